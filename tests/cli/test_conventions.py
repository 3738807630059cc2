"""One convention for every command, checked on the real `dashboard` entry point in a subprocess.

Exit 0 success, 1 a condition the user asked to detect, 2 bad usage or input with a message on
stderr that names the problem; `--help` fast because no command loads its heavy modules to build
the parser.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import _commands

DASHBOARD = Path(sys.executable).parent / "dashboard"
HEAVY = ("pandas", "numpy", "duckdb", "streamlit", "sklearn", "scipy", "pyarrow", "shap", "skops", "tqdm")
MISSING = "no-store-here"   # a store path under the test's folder that does not exist

# (command path, arguments after it, exit code, what stderr must say). Every command has a case:
# test_every_command_has_a_bad_input_case fails when a new command is added without one.
BAD_INPUT: list[tuple[tuple[str, ...], list[str], int, str]] = [
    (("api",), ["--port", "70000"], 2, "--port 70000 is not a port"),
    (("alerts", "run"), ["--config", "typo.toml"], 2, "the alert rules cannot be read"),
    (("alerts", "run"), ["--model", "typo"], 2, "unknown model 'typo'; registered models: gbm_champion"),
    (("alerts", "run"), ["--store", MISSING], 2, "no store at"),
    (("card", "draft"), ["--predictions", "typo.csv", "--model-id", "m"], 2, "no such file: typo.csv"),
    (("compact",), ["--min-files", "1"], 2, "--min-files must be at least 2"),
    (("compact",), ["--store", MISSING], 2, "no store at"),
    (("demo",), ["--sample", "no-such-folder"], 2, "no sample portfolio at no-such-folder"),
    (("ingest", "predictions"), ["typo.csv"], 2, "no such file: typo.csv"),
    (("ingest", "outcomes"), ["typo.csv"], 2, "no such file: typo.csv"),
    (("register-model",), ["typo.yaml"], 2, "typo.yaml: card file not found"),
    (("metrics",), ["--store", MISSING], 2, "no store at"),
    (("metrics",), ["--config", "typo.toml"], 2, "the alert rules cannot be read: no such file typo.toml"),
    (("metrics",), ["--output", "no-such-folder/dashboard.prom"], 2, "no such folder no-such-folder"),
    (("policy", "show"), ["--model", "typo"], 2, "unknown model 'typo'; registered models: gbm_champion"),
    (("policy", "export"), ["--model", "typo"], 2, "unknown model 'typo'"),
    (("promote",), ["typo", "--rationale", "because"], 2, "model 'typo' is not registered"),
    (("promote",), ["logit_scorecard", "--rationale", "x", "--role", "executive"], 2, "may not promote"),
    (("report", "drift"), ["--model", "typo"], 2, "unknown model 'typo'; registered models: gbm_champion"),
    (("report", "drift"), ["--model", "gbm_champion", "--current", "2026-04-01..2026-04-30"], 2,
     "--current '2026-04-01..2026-04-30': separate the two dates with a colon, as in 2026-04-01:2026-04-30"),
    (("report", "drift"), ["--model", "gbm_champion", "--reference", "2026-13"], 2,
     "--reference '2026-13': the month must be 01 to 12"),
    (("report", "drift"), ["--model", "gbm_champion", "--current", "1990-01"], 2, "holds no predictions"),
    (("report", "impact"), ["--period", "April"], 2, "--period 'April' is not a window: use YYYY-MM-DD:YYYY-MM-DD"),
    (("report", "impact"), ["--period", "1990-Q1"], 2, "No decisions by the champion"),
    (("report", "impact"), ["--store", MISSING], 2, "no store at"),
    (("report", "performance"), ["--model", "typo"], 2, "unknown model 'typo'; registered models: gbm_champion"),
    (("report", "performance"), ["--config", "typo.toml"], 2, "the alert rules cannot be read"),
    (("rollup", "rebuild"), ["--store", MISSING], 2, "no store at"),
    (("sample",), ["--applications", "5"], 2, "--applications must be at least 100"),
    (("serve",), ["--host", "0.0.0.0"], 2, "refusing to serve on 0.0.0.0"),
    (("serve",), ["--port", "70000"], 2, "--port must be between 1 and 65535"),
    (("simulate",), ["--store", MISSING], 2, "no store at"),
    (("simulate",), ["--rate", "-1"], 2, "argument --rate: must be above 0"),
]
USAGE: list[tuple[list[str], str]] = [
    (["no-such-command"], "invalid choice: 'no-such-command'"),
    (["report"], "choose a subcommand"),
    ([], "choose a command"),
    (["report", "drift"], "the following arguments are required: --model"),
    (["report", "impact", "--format", "pdf"], "invalid choice: 'pdf'"),
]


@pytest.fixture(scope="module")
def store_dir(small_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy: some refusals take a lock in the store before they refuse."""
    dest = tmp_path_factory.mktemp("conventions") / "store"
    shutil.copytree(small_store_dir, dest)
    return dest


def _dashboard(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    # HOME and the working folder are empty, so no secrets.toml or config of the machine is read.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")} | {"HOME": str(cwd)}
    return subprocess.run([str(DASHBOARD), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_every_command_has_a_bad_input_case() -> None:
    assert {cmd.path for cmd in _commands()} == {path for path, *_ in BAD_INPUT}


@pytest.mark.parametrize(("path", "args", "code", "message"), BAD_INPUT,
                         ids=[f"{' '.join(p)} {' '.join(a)}" for p, a, *_ in BAD_INPUT])
def test_bad_input_exit_code_and_message(store_dir: Path, tmp_path: Path, path: tuple[str, ...], args: list[str],
                                         code: int, message: str) -> None:
    store = str(tmp_path / MISSING) if MISSING in args else str(store_dir)
    args = [a for a in args if a not in ("--store", MISSING)]
    before = sorted(p.name for p in tmp_path.iterdir())
    done = _dashboard(["--store", store, *path, *args], tmp_path)
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before   # a refused command leaves nothing behind


@pytest.mark.parametrize(("args", "message"), USAGE, ids=[" ".join(a) or "(none)" for a, _ in USAGE])
def test_bad_usage_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = _dashboard(args, tmp_path)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert done.stdout == ""


def test_a_detected_condition_exits_1(store_dir: Path, tmp_path: Path) -> None:
    strict = tmp_path / "strict.toml"
    strict.write_text("[targets.hours_saved]\ntarget = 1e12\nat_risk = 1e11\n", "utf-8")
    env_args = ["--store", str(store_dir), "report", "impact", "--fail-on", "off-track"]
    done = subprocess.run([str(DASHBOARD), *env_args], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, HOME=str(tmp_path), DASHBOARD_IMPACT_TARGETS=str(strict)))
    assert done.returncode == 1, done.stderr
    assert "Labor: off track or worse in" in done.stderr
    assert '"points"' in done.stdout   # the report is still printed


def _help_paths() -> list[tuple[str, ...]]:
    paths = {cmd.path for cmd in _commands()}
    return [(), *sorted({p[:1] for p in paths if len(p) == 2}), *sorted(paths)]


@pytest.mark.slow  # three processes per command: about 10 s in all
@pytest.mark.parametrize("path", _help_paths(), ids=lambda p: " ".join(p) or "dashboard")
def test_help_is_fast(tmp_path: Path, path: tuple[str, ...]) -> None:
    # CPU seconds of the process, not wall time: what --help costs, whatever else the shared
    # machine runs (wall time, about 0.1 s, is in the benchmarks).
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = _dashboard([*path, "--help"], tmp_path)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert cpu < 0.5, cpu
    assert "Exit status" in done.stdout


def test_building_the_parser_loads_no_heavy_module() -> None:
    code = ("import sys; from dashboard.cli import build_parser; build_parser(); "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"


@pytest.mark.slow
def test_help_states_exit_codes_and_windows() -> None:
    for cmd in _commands():
        done = subprocess.run([str(DASHBOARD), *cmd.path, "--help"], capture_output=True, text=True, timeout=60)
        text = " ".join(done.stdout.split())
        assert "Exit status: 0 success;" in text and "2 bad usage or input" in text, cmd.path
        assert ("; 1 " in text) == (cmd.detects is not None), cmd.path
        takes_window = any(opt in text for opt in ("--period", "--current"))
        assert takes_window == cmd.windows, cmd.path
        if cmd.windows:
            assert "YYYY-MM-DD:YYYY-MM-DD (inclusive), YYYY-MM, YYYY-Qn, last-30d or last-3m" in text
            assert '"Windows and periods" in the README' in text


def test_sample_help_states_the_generator_defaults() -> None:
    from dashboard.sample.generator import CHUNK_SIZE, CHUNKED_ABOVE, DEFAULT_APPLICATIONS

    done = subprocess.run([str(DASHBOARD), "sample", "--help"], capture_output=True, text=True, timeout=60)
    text = " ".join(done.stdout.split())
    assert f"(default {DEFAULT_APPLICATIONS:,})" in text
    assert f"above {CHUNKED_ABOVE:,} applications" in text and f"(default {CHUNK_SIZE:,})" in text


@pytest.mark.slow
def test_python_m_runs_the_same_cli(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "dashboard.cli", "report", "drift", "--model", "m", "--current",
                           "2026-04..2026-05"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, HOME=str(tmp_path), DASHBOARD_STORE=str(tmp_path / MISSING)))
    assert done.returncode == 2 and "no store at" in done.stderr


@pytest.mark.parametrize(("error", "code", "message"), [
    (RuntimeError("boom"), 70, "unexpected failure (a bug"),
    (PermissionError(13, "Permission denied", "/srv/store/x"), 2, "Permission denied: '/srv/store/x'"),
    ("store", 2, "no store at /nowhere"),
])
def test_an_error_no_command_handled_never_reads_as_found(monkeypatch: pytest.MonkeyPatch, error: object,
                                                         code: int, message: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import dashboard.cli as cli
    from dashboard.store import StoreError

    def run(_args: object) -> int:
        if isinstance(error, Exception):
            raise error
        raise StoreError("no store at /nowhere")

    monkeypatch.setattr(cli, "_commands", lambda: [cli.Command(("boom",), "h", "d", lambda p: None, run)])
    assert cli.main(["boom"]) == code
    err = capsys.readouterr().err
    assert message in err
    assert ("Traceback" in err) == (code == 70)
