"""dashboard serve: local mode only on loopback; any address once [auth] is configured and complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.cli import main, serve

AUTH = """[auth]
redirect_uri = "https://dash.bank.example/oauth2callback"
cookie_secret = "0123456789abcdef0123456789abcdef"
client_id = "dashboard"
client_secret = "s3cret"
server_metadata_url = "https://login.bank.example/.well-known/openid-configuration"
"""


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / ".streamlit" / "secrets.toml"
    path.parent.mkdir()
    monkeypatch.setattr(serve, "secrets_files", lambda: [tmp_path / "missing.toml", path])
    return path


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []
    monkeypatch.setattr(serve, "run_supervised", lambda cmd, env: calls.append(cmd) or 0)
    return calls


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::", "dashboard.bank.example"])
def test_local_mode_refuses_other_addresses(secrets: Path, launched: list[list[str]], host: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    secrets.write_text('[other]\nkey = "value"\n')  # a secrets file without [auth] is still local mode
    assert main(["serve", "--host", host]) == 2
    assert "local mode" in capsys.readouterr().err and launched == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_local_mode_serves_on_loopback(secrets: Path, launched: list[list[str]], host: str) -> None:
    assert main(["serve", "--host", host]) == 0
    assert launched[0][launched[0].index("--server.address") + 1] == host


def test_with_a_provider_any_address_is_served(secrets: Path, launched: list[list[str]],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    secrets.write_text(AUTH)
    assert main(["serve", "--host", "0.0.0.0"]) == 0
    assert "identity provider" in capsys.readouterr().err
    assert launched and "0.0.0.0" in launched[0]


def test_provider_in_a_named_section_counts(secrets: Path, launched: list[list[str]]) -> None:
    head, _, _ = AUTH.partition('client_id')
    secrets.write_text(head + '\n[auth.corp]\nclient_id = "d"\nclient_secret = "s"\n'
                       'server_metadata_url = "https://x.example/.well-known/openid-configuration"\n')
    assert main(["serve", "--host", "0.0.0.0"]) == 0


@pytest.mark.parametrize("text,needle", [
    (AUTH.replace('cookie_secret = "0123456789abcdef0123456789abcdef"\n', ""), "cookie_secret"),
    (AUTH.replace("/oauth2callback", "/callback"), "/oauth2callback"),
    (AUTH.replace('client_secret = "s3cret"\n', ""), "client_secret"),
    ("[auth\nbroken", "cannot be read"),
    ('auth = "yes"\n', "must be a table"),
])
def test_broken_or_incomplete_auth_is_refused(secrets: Path, launched: list[list[str]], text: str, needle: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    secrets.write_text(text)
    assert main(["serve", "--host", "127.0.0.1"]) == 2
    assert needle in capsys.readouterr().err and launched == []


def test_served_app_watches_no_files_and_skips_the_collection_after_each_run(
        secrets: Path, launched: list[list[str]]) -> None:
    """Both cost every view under load (issue 21): the watcher each new session, the collection each run."""
    assert main(["serve"]) == 0
    cmd = launched[0]
    assert cmd[cmd.index("--server.fileWatcherType") + 1] == "none"
    assert cmd[cmd.index("--runner.postScriptGC") + 1] == "false"
