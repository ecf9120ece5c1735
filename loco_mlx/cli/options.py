"""Options and helpers shared by the command families: one definition each."""

from __future__ import annotations

import typer

BaseOption = typer.Option(
    None,
    "--base",
    "-b",
    help="Base: default, an imported id, a .gguf, an MLX dir or a HF repo id.",
    show_default="default",
)

ComputeOption = typer.Option(
    None,
    "--compute",
    envvar="LOCO_COMPUTE",
    help="auto | packed (keep 4-bit) | fp32 (expand on CPU).",
    show_default="auto",
)

ConfigOption = typer.Option(None, "--config", "-c", help="YAML file with settings (CLI options win over it).")
BackendOption = typer.Option(
    None, "--backend", help="mlx | llamacpp | auto (MLX on Metal/CUDA, else llama.cpp).", show_default="mlx"
)
AdapterOption = typer.Option(
    None, "--adapter", "-a", help="A registered adapter (loco adapters list), none, or auto (the router picks)."
)
AdapterPathOption = typer.Option(None, "--adapter-path", help="A LoRA adapter directory (loco's or mlx_lm.lora's).")
RereadOption = typer.Option(None, "--reread/--no-reread", help="RE2: repeat the question once.", show_default="on")
VotesOption = typer.Option(None, "--votes", help="Self-consistency: sample N replies, answer by majority.")
VoteTempOption = typer.Option(None, "--vote-temp", help="Temperature of the voting samples.", show_default="0.7")
VoteMethodOption = typer.Option(
    None,
    "--vote-method",
    help="auto | numeric | exact | json | best | examples (code: the function that gets most of the "
    "request's stated examples right).",
    show_default="auto",
)
_JSON_GUIDE_HELP = (
    "off | keys (a request that names its JSON keys gets exactly them) | copy (keys, and string "
    "values copied from the request)."
)
JsonGuideOption = typer.Option(None, "--json-guide", help=_JSON_GUIDE_HELP, show_default="keys")
JsonGuideFlag = typer.Option("keys", "--json-guide", help=_JSON_GUIDE_HELP)


def check_flag(settings: type, name: str, value, flag: str):
    """`value` for the setting `name` of the dataclass `settings`, checked by that field's own rule
    (ranges.py) and named by its flag: for commands that check before loading a model."""
    import dataclasses

    from loco_mlx.errors import LocoError
    from loco_mlx.ranges import setting_problem

    field = next(f for f in dataclasses.fields(settings) if f.name == name)
    if (problem := setting_problem(field, value)) is not None:
        raise LocoError(f"{flag} {problem}")
    return value


SystemOption = typer.Option(None, "--system", help="System prompt.")
MaxTokensOption = typer.Option(None, "--max-tokens", help="Most tokens per reply.", show_default="512")
TempOption = typer.Option(None, "--temp", help="Sampling temperature; 0 is greedy.", show_default="0.7")
TopPOption = typer.Option(None, "--top-p", help="Nucleus sampling mass, 1 = off.", show_default="1")
SeedOption = typer.Option(None, "--seed", help="Random seed for reproducible sampling.")
ToolsOption = typer.Option(
    None, "--tools/--no-tools", help="Run the programs of adapters that answer with one.", show_default="on"
)
ToolsFlag = typer.Option(True, "--tools/--no-tools", help="Run the programs of adapters that answer with one.")
AllowUnsandboxedFlag = typer.Option(
    False, "--allow-unsandboxed-tools", help="Run tool programs with rlimits only where there is no sandbox isolation."
)


def err(message: str) -> None:
    """A line on stderr (progress, notices and `error: ...` lines)."""
    typer.echo(message, err=True)


# option name -> (dotted setting, flag): where a value of `loco generate/chat/serve` goes, and how
# an error about it names it
GENERATE_OPTIONS = {
    "base": ("base", "--base"),
    "adapter": ("adapter", "--adapter"),
    "system": ("system", "--system"),
    "compute": ("compute", "--compute"),
    "backend": ("backend", "--backend"),
    "max_tokens": ("sampling.max_tokens", "--max-tokens"),
    "temp": ("sampling.temperature", "--temp"),
    "top_p": ("sampling.top_p", "--top-p"),
    "seed": ("sampling.seed", "--seed"),
    "reread": ("inference.reread", "--reread"),
    "votes": ("inference.votes", "--votes"),
    "vote_temp": ("inference.vote_temperature", "--vote-temp"),
    "vote_method": ("inference.vote_method", "--vote-method"),
    "json_guide": ("inference.json_guide", "--json-guide"),
    "tools": ("tools.enabled", "--tools"),
    "allow_unsandboxed_tools": ("tools.allow_unsandboxed", "--allow-unsandboxed-tools"),
}


def generate_config(config, **options):
    """Defaults < $LOCO_HOME/config.yaml < --config file < command-line options."""
    from loco_mlx.config import GenerateConfig, load_config, user_config_path

    overrides = {GENERATE_OPTIONS[key][0]: value for key, value in options.items()}
    flags = dict(GENERATE_OPTIONS.values())
    files = [p for p in (user_config_path(),) if p.is_file()] + ([config] if config else [])
    return load_config(GenerateConfig, files, overrides, flags=flags)
