"""`loco train` end to end on a tiny base: outputs, bad data, Ctrl-C and resume, two ranks,
and adapter format compatibility with mlx-lm both ways."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import mlx.core as mx
import numpy as np
import pytest

from tests.fixtures.tiny_gguf import write_tiny_gguf

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A LOCO_HOME with the tiny llama base imported as 'tiny', and a small arithmetic dataset."""
    tmp = tmp_path_factory.mktemp("train_cli")
    env = {**os.environ, "LOCO_HOME": str(tmp / "home")}
    gguf = write_tiny_gguf(tmp / "tiny.gguf", "llama", "F32")
    subprocess.run([sys.executable, "-m", "loco_mlx", "base", "import", str(gguf), "--id", "tiny"], env=env, check=True)
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_arithmetic_data.py"), "--out", str(tmp / "data"),
         "--train", "32", "--valid", "8"],
        check=True, capture_output=True,
    )  # fmt: skip
    env["TMP"] = str(tmp)
    return env


def loco(env, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "loco_mlx", *args], env=env, capture_output=True, text=True, **kwargs)


def train_args(env, out, *extra, quiet: bool = True):
    data = Path(env["TMP"]) / "data"
    args = ["train", "--base", "tiny", "--data", str(data), "--out", str(out), "--epochs", "3", "--batch-size", "4"]
    return args + (["--quiet"] if quiet else []) + list(extra)


def adapter(path) -> dict:
    return {k: np.array(v) for k, v in mx.load(str(path)).items()}


def assert_same_adapter(a: Path, b: Path, atol: float):
    x, y = adapter(a), adapter(b)
    assert x.keys() == y.keys()
    for key in x:
        np.testing.assert_allclose(x[key], y[key], atol=atol, err_msg=key)


@pytest.fixture(scope="module")
def finished(env):
    out = Path(env["TMP"]) / "finished"
    result = loco(env, *train_args(env, out, "--json", quiet=False))
    assert result.returncode == 0, result.stderr
    return out, result


def test_a_run_writes_every_output(finished):
    out, result = finished
    for name in (
        "adapters.safetensors",
        "adapter_config.json",
        "loco_adapter.json",
        "metrics.jsonl",
        "loss.png",
        "TRAINING_LOG.md",
        "checkpoints/best/adapters.safetensors",
        "checkpoints/last/optimizer.safetensors",
    ):
        assert (out / name).is_file(), name  # fmt: skip
    manifest = json.loads((out / "loco_adapter.json").read_text())
    assert manifest["base"]["id"] == "tiny" and len(manifest["base"]["fingerprint"]) == 64
    assert Path(manifest["base"]["source"]).is_file()  # what `loco base import` needs elsewhere
    assert set(manifest["data"]["files"]) == {
        str(Path(manifest["config"]["data"]) / f) for f in ("train.jsonl", "valid.jsonl")
    }
    assert manifest["versions"]["mlx"] and manifest["run"]["steps"] == 24
    vals = [r["val_loss"] for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "val_loss" in r]
    assert vals[-1] < vals[0]
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert {e["event"] for e in events} >= {"start", "step", "eval"}
    log = (out / "TRAINING_LOG.md").read_text()
    assert "## Author's notes" in log and "![loss](loss.png)" in log
    # The shipped adapter is the best checkpoint.
    assert_same_adapter(out / "adapters.safetensors", out / "checkpoints/best/adapters.safetensors", atol=0)


def test_a_finished_adapter_is_never_overwritten(env, finished):
    out, _ = finished
    before = (out / "adapters.safetensors").read_bytes()
    result = loco(env, *train_args(env, out))
    assert result.returncode == 1 and "already holds a trained adapter" in result.stderr
    assert (out / "adapters.safetensors").read_bytes() == before


@pytest.mark.parametrize(
    "content,fragment",
    [
        ('{"messages": [{"role": "user", "content": "hi"}]}\n{not json\n', "train.jsonl:2"),
        ('{"prompt": "a", "answer": "b"}\n', "train.jsonl:1"),
        ("", "no examples"),
        (b'{"text": "caf\xe9"}\n', "train.jsonl:1"),
    ],
    ids=["malformed", "wrong-keys", "empty", "invalid-utf8"],
)
def test_bad_data_names_file_and_line_and_writes_nothing(env, tmp_path, content, fragment):
    data = tmp_path / "bad"
    data.mkdir()
    (data / "train.jsonl").write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "out"
    result = loco(env, "train", "--base", "tiny", "--data", str(data), "--out", str(out), "--quiet")
    assert result.returncode == 1
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_overlong_example_is_refused_with_its_token_count(env, tmp_path):
    out = tmp_path / "out"
    result = loco(env, *train_args(env, out, "--max-seq-length", "40"))
    assert result.returncode == 1 and "tokens" in result.stderr and "max_seq_length" in result.stderr, result.stderr
    assert not out.exists()


def test_ctrl_c_leaves_a_resumable_run_that_ends_like_an_uninterrupted_one(env, finished, tmp_path):
    out = tmp_path / "interrupted"
    proc = subprocess.Popen([sys.executable, "-m", "loco_mlx", *train_args(env, out, "--json", quiet=False)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    for line in proc.stdout:  # interrupt once a few steps are done
        event = json.loads(line)
        if event["event"] == "step" and event["step"] >= 5:
            proc.send_signal(signal.SIGINT)
            break
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert (out / "checkpoints/last/state.json").is_file()
    assert not (out / "loco_adapter.json").exists()  # not finished, so not an adapter yet
    stopped = json.loads((out / "checkpoints/last/state.json").read_text())["step"]
    assert 5 <= stopped < 24

    assert loco(env, *train_args(env, out)).returncode == 1  # refuses to start over without --resume
    resumed = loco(env, *train_args(env, out, "--resume"))
    assert resumed.returncode == 0, resumed.stderr
    reference, _ = finished
    assert_same_adapter(out / "checkpoints/last/adapters.safetensors",
                        reference / "checkpoints/last/adapters.safetensors", atol=1e-6)  # fmt: skip
    steps = [r["step"] for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "train_loss" in r]
    assert steps == list(range(1, 25))  # no step logged twice after the resume


def test_a_run_killed_before_its_first_periodic_checkpoint_resumes_from_best(env, finished, tmp_path):
    """SIGKILL after the step-0 evaluation (which saves checkpoints/best) and long before checkpoints/last
    (saved at step 24 only): a plain rerun points to --resume, and --resume goes on from best."""
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "loco_mlx", *train_args(env, out, "--json", quiet=False)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    for line in proc.stdout:
        if json.loads(line)["event"] == "eval":  # step 0: best is saved before the event is written
            proc.send_signal(signal.SIGKILL)
            break
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert (out / "checkpoints/best/state.json").is_file() and not (out / "checkpoints/last").exists()

    again = loco(env, *train_args(env, out))
    assert again.returncode == 1 and "continue it with --resume" in again.stderr and "Traceback" not in again.stderr
    resumed = loco(env, *train_args(env, out, "--resume", "--json", quiet=False))
    assert resumed.returncode == 0, resumed.stderr
    notes = [e["text"] for e in map(json.loads, resumed.stdout.splitlines()) if e["event"] == "message"]
    assert "resuming from checkpoints/best (step 0): no checkpoints/last was saved" in notes
    reference, _ = finished
    assert_same_adapter(out / "checkpoints/last/adapters.safetensors",
                        reference / "checkpoints/last/adapters.safetensors", atol=1e-6)  # fmt: skip
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "train_loss" in r] == list(range(1, 25))
    assert [r["step"] for r in records if "val_loss" in r].count(0) == 1  # step 0 is not evaluated twice
    assert json.loads((out / "loco_adapter.json").read_text())["run"]["resumed"] is True


def test_a_run_that_saved_no_checkpoint_starts_over_even_with_resume(env, tmp_path):
    """What a SIGKILL in the middle of the first checkpoint leaves: checkpoints/ with a temporary only."""
    out = tmp_path / "empty"
    (out / "checkpoints" / ".best.x1y2.tmp").mkdir(parents=True)
    (out / "metrics.jsonl").write_text('{"step": 0, "val_loss": 9.0}\n')
    result = loco(env, *train_args(env, out, "--resume", "--max-steps", "2", "--json", quiet=False))
    assert result.returncode == 0, result.stderr
    assert f"{out} holds a run that saved no checkpoint; starting over" in result.stdout
    assert not (out / "checkpoints" / ".best.x1y2.tmp").exists()
    val_losses = [r["val_loss"] for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines())
                  if "val_loss" in r]  # fmt: skip
    assert 9.0 not in val_losses  # the old run's log is gone with it


def test_two_ranks_match_one_process(env, tmp_path):
    """mlx.launch, ring backend, 2 ranks on loopback, global batch 4 = one process with batch 4.
    Dropout is off: each rank draws its own dropout masks, which one process cannot reproduce."""
    one, two = tmp_path / "one", tmp_path / "two"
    common = ["--max-steps", "4", str(tmp_path / "nodrop.yaml")]  # the recipe is the positional argument
    (tmp_path / "nodrop.yaml").write_text("lora:\n  dropout: 0.0\n")
    assert loco(env, *train_args(env, one, *common)).returncode == 0
    result = loco(env, *train_args(env, two, *common, "--processes", "2"), timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout
    manifest = json.loads((two / "loco_adapter.json").read_text())
    assert manifest["hardware"]["processes"] == 2
    assert_same_adapter(one / "checkpoints/last/adapters.safetensors", two / "checkpoints/last/adapters.safetensors",
                        atol=1e-5)  # fmt: skip


def test_mlx_lm_generate_runs_our_adapter(env, finished):
    out, _ = finished
    model_dir = json.loads((out / "adapter_config.json").read_text())["model"]
    result = subprocess.run(
        [sys.executable, "-m", "mlx_lm", "generate", "--model", model_dir, "--adapter-path", str(out),
         "--prompt", "What is 2 + 3?", "--max-tokens", "5"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Generation:" in result.stdout or "tokens-per-sec" in result.stdout


def test_an_mlx_lm_lora_adapter_loads_in_loco(env, tmp_path):
    home_model = Path(env["LOCO_HOME"]) / "bases" / "tiny" / "model"
    adapter_dir = tmp_path / "mlx_lm_adapter"
    result = subprocess.run(
        [sys.executable, "-m", "mlx_lm", "lora", "--model", str(home_model), "--train",
         "--data", str(Path(env["TMP"]) / "data"), "--iters", "2", "--batch-size", "2", "--num-layers", "2",
         "--adapter-path", str(adapter_dir), "--steps-per-eval", "100"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    generated = loco(env, "generate", "What is 2 + 3?", "--base", "tiny", "--adapter-path", str(adapter_dir),
                     "--max-tokens", "5", "--temp", "0")  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    assert "tiny + mlx_lm_adapter" in generated.stderr


def test_adapter_on_another_base_is_refused_naming_both_fingerprints(env, finished, tmp_path):
    out, _ = finished
    other = write_tiny_gguf(tmp_path / "other.gguf", "llama", "F32", seed=5)
    assert loco(env, "base", "import", str(other), "--id", "other").returncode == 0
    result = loco(env, "generate", "hi", "--base", "other", "--adapter-path", str(out), "--max-tokens", "2")
    assert result.returncode == 1
    assert "was trained on base" in result.stderr and "but the loaded base is" in result.stderr


def test_launch_options_are_stripped_for_the_ranks():
    from loco_mlx.train.launch import strip_launch_options

    argv = ["train", "r.yaml", "--processes", "2", "--out", "x", "--hosts=a,b", "-n", "3", "--quiet"]
    assert strip_launch_options(argv) == ["train", "r.yaml", "--out", "x", "--quiet"]


def test_registered_adapter_by_name_in_generate_and_chat(env, finished, tmp_path):
    """A trained adapter registered with `loco adapters add` is used by name; chat switches it live."""
    out, _ = finished
    env = {**env, "LOCO_REGISTRY": str(tmp_path / "registry.yaml")}
    added = loco(env, "adapters", "add", str(out), "--name", "arith")
    assert added.returncode == 0, added.stderr
    result = loco(env, "generate", "What is 2 + 3?", "--base", "tiny", "--adapter", "arith", "--max-tokens", "4")
    assert result.returncode == 0, result.stderr
    assert "[tiny + arith (" in result.stderr
    unknown = loco(env, "generate", "hi", "--base", "tiny", "--adapter", "nope", "--max-tokens", "2")
    assert unknown.returncode == 1 and "unknown adapter 'nope' (available: arith)" in unknown.stderr
    script = "/adapters\n/adapter arith\nhello\n/adapter missing\nhello again\n/adapter none\nbye\n/stats\n/quit\n"
    chat = loco(env, "chat", "--base", "tiny", "--max-tokens", "3", "--temp", "0", input=script)
    assert chat.returncode == 0, chat.stderr
    assert "now using arith; switched in" in chat.stdout
    assert "unknown adapter 'missing'" in chat.stdout and "still using arith" in chat.stdout
    assert chat.stdout.count("[tiny + arith (") == 2  # the failed switch kept arith for the next turn
    assert "[tiny + base (" in chat.stdout and "arith:" in chat.stdout  # /stats lists the loaded adapter


def test_user_config_sets_defaults_and_flags_win(env, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text("inference:\n  reread: false\n  votes: 3\nsampling:\n  max_tokens: 7\n")
    os.environ["LOCO_HOME"], saved = str(home), os.environ.get("LOCO_HOME")
    try:
        from loco_mlx.cli.options import generate_config as _generate_config

        cfg = _generate_config(None, votes=None, max_tokens=None, reread=None)
        assert (cfg.inference.reread, cfg.inference.votes, cfg.sampling.max_tokens) == (False, 3, 7)
        cfg = _generate_config(None, votes=1, max_tokens=None, reread=True)
        assert (cfg.inference.reread, cfg.inference.votes, cfg.sampling.max_tokens) == (True, 1, 7)
    finally:
        if saved is None:
            del os.environ["LOCO_HOME"]
        else:
            os.environ["LOCO_HOME"] = saved


def test_votes_print_the_distribution(env):
    result = loco(env, "generate", "What is 2 + 3?", "--base", "tiny", "--votes", "3", "--max-tokens", "4",
                  "--vote-method", "exact")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "exact vote over 3:" in result.stderr or "best of 3" in result.stderr


def _benchmark(path: Path, rows: list[tuple[str, str, object]]) -> Path:
    lines = [
        json.dumps({"id": f"q{i}", "input": q, "expected": e, "scorer": s, "difficulty": ["easy", "hard"][i % 2]})
        for i, (q, s, e) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_eval_writes_results_verdict_and_registry_gate(env, finished, tmp_path):
    """End to end on the tiny base: base vs a trained adapter, results.json, a verdict, the registry updated.
    (The must-show run on the embedded SmolLM2 is the same command with its own adapter.)"""
    out, _ = finished
    env = {**env, "LOCO_REGISTRY": str(tmp_path / "registry.yaml")}
    assert loco(env, "adapters", "add", str(out), "--name", "arith").returncode == 0
    bench = _benchmark(tmp_path / "bench.jsonl", [(f"What is {a} + {b}?", "numeric", a + b) for a, b in
                                                   [(2, 3), (10, 4), (7, 8), (1, 1), (6, 9), (12, 30)]])  # fmt: skip
    ood = _benchmark(tmp_path / "ood.jsonl", [("Name a colour.", "contains", "red"), ("Say hi.", "contains", "hi")])
    ood2 = _benchmark(tmp_path / "ood2.jsonl", [("Name a fruit.", "contains", "apple")])
    results_path = tmp_path / "results.json"
    result = loco(env, "eval", "arith", "--benchmark", str(bench), "--ood", str(ood), "--ood", str(ood2),
                  "--max-tokens", "8", "--batch-size", "4", "--out", str(results_path), "--quiet")  # fmt: skip
    assert result.returncode in (2, 3), result.stderr  # never SHIP: 6 items is below the 50 the gate needs
    assert "verdict:" in result.stdout and "at least 50 needed" in result.stdout
    assert "adapter wrong on" in result.stdout and "lost to the base on" in result.stdout
    r = json.loads(results_path.read_text())
    assert r["items"] == 6 and len(r["per_item"]["adapter"]) == 6
    assert len(r["benchmark_sha256"]) == 64 and r["settings"]["temperature"] == 0.0
    assert {"p_value", "b", "c"} <= set(r["mcnemar"])
    assert [Path(o["benchmark"]).name for o in r["out_of_domain"]] == ["ood.jsonl", "ood2.jsonl"]
    assert r["contamination"]["train_data"]  # taken from the adapter's manifest
    listing = loco(env, "adapters", "info", "arith").stdout
    assert r["verdict"] in listing


def test_bad_benchmark_lines_are_named(env, finished, tmp_path):
    out, _ = finished
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "input": "x", "expected": 1, "scorer": "numbers"}\n{oops\n')
    result = loco(env, "eval", str(out), "--benchmark", str(bad), "--quiet")
    assert result.returncode == 1
    assert "bad.jsonl:1: unknown scorer 'numbers'" in result.stderr and "bad.jsonl:2: bad JSON" in result.stderr


def test_stale_results_leaderboard_and_compare(env, finished, tmp_path):
    import shutil

    out, _ = finished
    env = {**env, "LOCO_REGISTRY": str(tmp_path / "registry.yaml")}
    copy = tmp_path / "arith-copy"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("checkpoints"))
    assert loco(env, "adapters", "add", str(copy), "--name", "arith", "--domain", "math").returncode == 0
    bench = _benchmark(tmp_path / "bench.jsonl", [(f"What is {a} + 1?", "numeric", a + 1) for a in range(4)])
    assert loco(env, "eval", "arith", "--benchmark", str(bench), "--max-tokens", "4", "--quiet").returncode in (2, 3)
    board = loco(env, "adapters", "leaderboard").stdout
    assert board.splitlines()[1].split()[:2] == ["math", "arith"]
    assert "(stale" not in loco(env, "adapters", "list").stdout
    bench.write_text(
        bench.read_text() + json.dumps({"id": "new", "input": "1+1?", "expected": 2, "scorer": "numeric"}) + "\n"
    )
    assert "(stale: benchmark changed)" in loco(env, "adapters", "list").stdout
    compared = loco(
        env, "eval", "arith", "--compare", str(out), "--benchmark", str(bench), "--max-tokens", "4", "--quiet"
    )
    assert compared.returncode == 0, compared.stderr
    assert "finished vs arith on 5 items" in compared.stdout and "+0.0 points" in compared.stdout  # the same weights


def test_llm_judge_items_are_graded_by_the_resident_base(env, finished, tmp_path):
    out, _ = finished
    bench = _benchmark(
        tmp_path / "judge.jsonl", [("Name a fruit.", "llm_judge", "apple"), ("Say hi.", "llm_judge", "hi")]
    )
    results_path = tmp_path / "results.json"
    result = loco(env, "eval", str(out), "--benchmark", str(bench), "--max-tokens", "4", "--out", str(results_path),
                  "--quiet")  # fmt: skip
    assert result.returncode in (2, 3), result.stderr
    for side in ("base", "adapter"):
        for item in json.loads(results_path.read_text())["per_item"][side]:
            assert 0.0 <= item["score"] <= 1.0
            assert item["extracted"] is None or item["extracted"].endswith("/10")


def write_chat(path: Path, pairs: list[tuple[str, str]]) -> Path:
    rows = ({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]} for q, a in pairs)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def train_with_recipe(env, out: Path, recipe: str) -> tuple[Path, dict]:
    """A short run on the arithmetic data with `recipe` (YAML) as its config file: the output and its manifest."""
    config = out.with_suffix(".yaml")
    config.write_text(recipe)
    args = train_args(env, out)
    result = loco(env, args[0], str(config), *args[1:])
    assert result.returncode == 0, result.stderr
    return out, json.loads((out / "loco_adapter.json").read_text())


def test_replay_trains_on_the_base_replies_but_routes_on_the_own_prompts(env, tmp_path):
    """A recipe's replay: examples join the training split (recorded in the manifest) and never become
    router examples: they are other routes' prompts."""
    replay = write_chat(tmp_path / "replay.jsonl", [(f"Name colour {i}.", "Red.") for i in range(6)])
    out, manifest = train_with_recipe(env, tmp_path / "with_replay", f"replay: [{replay}]\nmax_steps: 2\n")
    assert str(replay) in manifest["data"]["files"] and manifest["data"]["train_count"] == 38
    queries = (out / "router_examples.jsonl").read_text()
    assert "colour" not in queries and len(queries.splitlines()) == 32
    steps = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in steps if "train_loss" in r]
    assert len(steps) == 2 and all("task_loss" in r for r in steps)  # the curve the diagnosis reads


def test_mix_trains_on_a_seeded_sample_that_is_routed_and_logged(env, tmp_path):
    """A recipe's mix: a sample of another file joins the training split, becomes router examples (it is
    the task's own data, unlike replay) and is named with its sample size in TRAINING_LOG.md."""
    more = write_chat(tmp_path / "more.jsonl", [(f"What is {i} plus {i}?", f"{2 * i}") for i in range(100, 110)])
    recipe = f"mix:\n  - path: {more}\n    sample: 4\nmax_steps: 2\n"
    out, manifest = train_with_recipe(env, tmp_path / "with_mix", recipe)
    assert str(more) in manifest["data"]["files"] and manifest["data"]["train_count"] == 36
    assert manifest["config"]["mix"] == [{"path": str(more), "sample": 4}]
    queries = (out / "router_examples.jsonl").read_text()
    assert len(queries.splitlines()) == 36 and queries.count("plus 10") == 4
    assert f"| mix | path: {more} sample: 4 |" in (out / "TRAINING_LOG.md").read_text()
