"""Token file: secrets shown once and kept only as SHA-256; names and scopes checked."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.api.auth import Authenticator, TokenFileError, add_token, load_tokens


def test_tokens_are_stored_hashed_and_identified(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    secret = add_token(path, "scoring", ["predictions", "outcomes"])
    text = path.read_text()
    assert secret not in text and hashlib.sha256(secret.encode()).hexdigest() in text
    assert path.stat().st_mode & 0o077 == 0
    auth = Authenticator(load_tokens(path))
    token = auth.identify(f"Bearer {secret}")
    assert token is not None and token.name == "scoring" and token.scopes == {"predictions", "outcomes"}
    assert auth.identify(f"Bearer {secret}x") is None and auth.identify(secret) is None and auth.identify(None) is None
    with pytest.raises(TokenFileError, match="already exists"):
        add_token(path, "scoring", ["metrics"])
    with pytest.raises(TokenFileError, match="scopes must be among"):
        add_token(path, "other", ["admin"])
    with pytest.raises(TokenFileError, match="not allowed"):
        add_token(path, "../evil", ["metrics"])


def test_cli_prints_the_secret_once(tmp_path: Path) -> None:
    env = {"DASHBOARD_API_TOKENS": str(tmp_path / "t.json"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "dashboard.cli", "api", "token", "add", "svc", "--scopes",
                           "metrics"], env=env, capture_output=True, text=True, check=True)
    secret = done.stdout.strip()
    assert Authenticator(load_tokens(tmp_path / "t.json")).identify(f"Bearer {secret}") is not None
    listed = subprocess.run([sys.executable, "-m", "dashboard.cli", "api", "token", "list"], env=env,
                            capture_output=True, text=True, check=True)
    assert listed.stdout.strip() == "svc\tmetrics" and secret not in listed.stdout
