"""The `loco adapters` commands: list, info, add, install, remove, promote, deactivate.

Parses options and prints; the work is in `loco_mlx.adapters.registry`. The registry file is
`$LOCO_HOME/adapters/registry.yaml` unless LOCO_REGISTRY names another. Problems are
LocoErrors: one `error:` line on stderr, exit 1.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import List, Optional

import typer

from loco_mlx.errors import LocoError

adapters_app = typer.Typer(
    help="Register, inspect, install, promote and remove LoRA adapters (the registry).", no_args_is_help=True
)

NameArgument = typer.Argument(..., help="A registered adapter name (`loco adapters list`).")
NameOption = typer.Option(None, "--name", help="Register under this name (default: the manifest's, or the source's).")
VersionOption = typer.Option(None, "--version", help="Semver MAJOR.MINOR.PATCH (default: the manifest's, or 0.1.0).")
DescriptionOption = typer.Option(None, "--description", help="One line on what the adapter is for.")
DomainOption = typer.Option(None, "--domain", help="Its domain, e.g. math, code, sql.")
TagOption = typer.Option(None, "--tag", help="A tag (repeatable).")
KeywordOption = typer.Option(None, "--keyword", help="A router keyword, 'word' or 'word=2.0' (repeatable).")
BaseOption = typer.Option(
    None,
    "--base",
    "-b",
    help="Imported base id it was trained on (needed without loco_adapter.json, e.g. mlx_lm.lora).",
)
ReplaceOption = typer.Option(False, "--replace", help="Put this higher version in place of the registered one.")


def parse_keywords(values: list[str] | None) -> dict[str, float] | None:
    """`--keyword sum --keyword plus=2.0` -> {"sum": 1.0, "plus": 2.0}."""
    if not values:
        return None
    out = {}
    for value in values:
        word, sep, weight = value.rpartition("=") if "=" in value else (value, "", "1")
        try:
            number = float(weight)
        except ValueError:
            number = math.nan
        if not word.strip() or not math.isfinite(number):
            raise LocoError(f"--keyword {value!r}: use 'word' or 'word=WEIGHT' with a number, e.g. --keyword sum=2.0")
        out[word.strip()] = number
    return out


def _registry():
    from loco_mlx.adapters.registry import Registry

    return Registry()


@adapters_app.command("list")
def list_cmd() -> None:
    """List registered adapters with their base, gate verdict and path."""
    registry = _registry()
    entries = registry.entries()
    if not entries:
        typer.echo(f"no adapters registered in {registry.path}; `loco adapters add DIR` or `loco adapters install SRC`")
        return
    header = ("name", "version", "active", "domain", "tool", "base", "gate", "path")
    from loco_mlx.evaluation.gate import results_are_stale

    rows = [
        (e.name, e.version, "yes" if e.active else "-", e.domain or "-", e.tool or "-",
         f"{e.base_id} {e.short_fingerprint}",
         gate_text(e.gate) + (" (stale: benchmark changed)" if results_are_stale(e) else ""), e.path)
        for e in entries
    ]  # fmt: skip
    _table(header, rows)


@adapters_app.command("leaderboard")
def leaderboard_cmd() -> None:
    """Evaluated adapters per domain, best gate score first, with their gain over the base."""
    from loco_mlx.evaluation.gate import results_are_stale

    entries = [e for e in _registry().entries() if e.gate.score is not None]
    if not entries:
        typer.echo("no evaluated adapters yet; `loco eval NAME --benchmark FILE` records a verdict")
        return
    entries.sort(key=lambda e: (e.domain or "-", -(e.gate.score or 0)))
    header = ("domain", "name", "version", "score", "base", "gain", "verdict", "active")
    rows = []
    for e in entries:
        gain = f"{(e.gate.score - (e.gate.base_score or 0)) * 100:+.1f}"
        verdict = (e.gate.verdict or "-") + (" (stale)" if results_are_stale(e) else "")
        base = f"{e.gate.base_score:.3f}" if e.gate.base_score is not None else "-"
        rows.append((e.domain or "-", e.name, e.version, f"{e.gate.score:.3f}", base, gain, verdict,
                     "yes" if e.active else "-"))  # fmt: skip
    _table(header, rows)


@adapters_app.command("info")
def info_cmd(name: str = NameArgument) -> None:
    """Show everything recorded about one adapter, and its files with their sizes."""
    registry = _registry()
    entry = registry.get(name)
    rows = [
        ("name", entry.name),
        ("version", entry.version),
        ("active", "yes" if entry.active else "no"),
        ("description", entry.description or "-"),
        ("domain", entry.domain or "-"),
        ("tags", ", ".join(entry.tags) or "-"),
        ("keywords", ", ".join(f"{w}={v:g}" for w, v in entry.keywords.items()) or "-"),
        ("base", f"{entry.base_id} ({entry.base_fingerprint})"),
        ("gate", gate_text(entry.gate)),
        ("benchmark", entry.gate.benchmark_sha256 or "-"),
        ("created", entry.created or "-"),
        ("path", entry.path + ("  (installed copy)" if registry.owns(entry) else "")),
    ]
    for key, value in rows:
        typer.echo(f"{key:<12} {value}")
    path = Path(entry.path)
    if not path.is_dir():
        typer.echo(f"{'files':<12} missing: {path} does not exist")
        return
    typer.echo("files")
    for item in sorted(path.iterdir()):
        size = sum(f.stat().st_size for f in item.rglob("*") if f.is_file()) if item.is_dir() else item.stat().st_size
        typer.echo(f"  {item.name + ('/' if item.is_dir() else ''):<28} {human_size(size):>10}")


def _entry_options(description, domain, tag, keyword, base, replace) -> dict:
    """The options `add` and `install` share, as the registry takes them."""
    return {"description": description, "domain": domain, "tags": tag or None, "keywords": parse_keywords(keyword),
            "base": base, "replace": replace}  # fmt: skip


@adapters_app.command("add")
def add_cmd(
    directory: Path = typer.Argument(..., help="An adapter directory (loco train's, or mlx_lm.lora's with --base)."),
    name: Optional[str] = NameOption,
    version: Optional[str] = VersionOption,
    description: Optional[str] = DescriptionOption,
    domain: Optional[str] = DomainOption,
    tag: Optional[List[str]] = TagOption,
    keyword: Optional[List[str]] = KeywordOption,
    base: Optional[str] = BaseOption,
    replace: bool = ReplaceOption,
) -> None:
    """Register an adapter directory where it is (its files stay yours)."""
    registry = _registry()
    entry = registry.add(directory, name, version, **_entry_options(description, domain, tag, keyword, base, replace))
    typer.echo(
        f"registered {entry.name} {entry.version} (base {entry.base_id} {entry.short_fingerprint}): {entry.path}"
    )
    _router_notice(registry, entry)


@adapters_app.command("install")
def install_cmd(
    source: str = typer.Argument(..., help="A local adapter directory or a Hugging Face repo id (owner/name)."),
    name: Optional[str] = NameOption,
    version: Optional[str] = VersionOption,
    description: Optional[str] = DescriptionOption,
    domain: Optional[str] = DomainOption,
    tag: Optional[List[str]] = TagOption,
    keyword: Optional[List[str]] = KeywordOption,
    base: Optional[str] = BaseOption,
    replace: bool = ReplaceOption,
) -> None:
    """Copy an adapter into the registry's store, check it, and register it."""
    registry = _registry()
    entry = registry.install(source, name, version, **_entry_options(description, domain, tag, keyword, base, replace))
    typer.echo(f"installed {entry.name} {entry.version} (base {entry.base_id} {entry.short_fingerprint}): {entry.path}")
    _router_notice(registry, entry)


@adapters_app.command("remove")
def remove_cmd(name: str = NameArgument) -> None:
    """Unregister an adapter; delete its files only if `install` copied them into the store."""
    registry = _registry()
    entry = registry.remove(name)
    fate = "deleted its installed copy" if registry.owns(entry) else f"its files at {entry.path} are left in place"
    typer.echo(f"removed {entry.name} {entry.version}; {fate}")
    _router_notice(registry, entry)


@adapters_app.command("promote")
def promote_cmd(
    name: str = NameArgument,
    force: bool = typer.Option(False, "--force", help="Promote even without a SHIP verdict from the gate."),
) -> None:
    """Mark an adapter active (the router may pick it); needs gate verdict SHIP."""
    registry = _registry()
    entry = registry.promote(name, force)
    if entry.gate.verdict != "SHIP":
        typer.echo(
            f"warning: promoted {entry.name} without a SHIP verdict (gate: {entry.gate.verdict or 'not evaluated'}) "
            "because of --force",
            err=True,
        )
    typer.echo(f"promoted {entry.name} {entry.version}: active")
    _router_notice(registry, entry)


@adapters_app.command("deactivate")
def deactivate_cmd(name: str = NameArgument) -> None:
    """Mark an adapter inactive (it stays registered)."""
    registry = _registry()
    entry = registry.deactivate(name)
    typer.echo(f"deactivated {entry.name} {entry.version}")
    _router_notice(registry, entry)


def _router_notice(registry, entry) -> None:
    from loco_mlx.router.hybrid import stale_notice

    notice = stale_notice(registry, entry.base_fingerprint)
    if notice:
        typer.echo(f"note: {notice}", err=True)


def gate_text(gate) -> str:
    if gate.verdict is None and gate.score is None:
        return "-"
    score = "?" if gate.score is None else f"{gate.score:.3f}"
    base = "?" if gate.base_score is None else f"{gate.base_score:.3f}"
    return f"{gate.verdict or 'no verdict'} {score} vs base {base}"


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def _table(header: tuple, rows: list[tuple]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in (header, *rows):
        typer.echo("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())
