"""Bearer tokens: a JSON file of names, scopes and SHA-256 hashes; the secrets are never stored.

A secret is 32 random bytes (urlsafe text), so one SHA-256 is enough: there is nothing to guess
by brute force that a slow hash would protect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from dashboard.contracts import check_id
from dashboard.errors import DashboardError

SCOPES = ("predictions", "outcomes", "metrics")


class TokenFileError(DashboardError, ValueError):
    """The token file cannot be read or a token cannot be added; the message says why."""


@dataclass(frozen=True)
class Token:
    name: str
    sha256: str
    scopes: frozenset[str]


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def load_tokens(path: Path) -> dict[str, Token]:
    """The tokens of `path` by hash (none when the file does not exist)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
        tokens = [Token(str(t["name"]), str(t["sha256"]), frozenset(t["scopes"])) for t in data["tokens"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TokenFileError(f"the API token file {path} cannot be read: {exc}") from None
    return {t.sha256: t for t in tokens}


def add_token(path: Path, name: str, scopes: list[str]) -> str:
    """Add a token named `name` with `scopes` to the file; returns its secret (shown once)."""
    try:
        check_id(name, "token name")
    except ValueError as exc:
        raise TokenFileError(str(exc)) from None
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise TokenFileError(f"scopes must be among {', '.join(SCOPES)} (got {', '.join(unknown) or 'none'})")
    tokens = load_tokens(path)
    if any(t.name == name for t in tokens.values()):
        raise TokenFileError(f"a token named {name!r} already exists in {path}")
    secret = "dsh_" + secrets.token_urlsafe(32)
    rows = [{"name": t.name, "sha256": t.sha256, "scopes": sorted(t.scopes)} for t in tokens.values()]
    rows.append({"name": name, "sha256": hash_secret(secret), "scopes": sorted(set(scopes)),
                 "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # hashes only, still nobody else's
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"tokens": rows}, fh, indent=2)
    os.replace(tmp, path)
    return secret


class Authenticator:
    """Who a request's Authorization header names, and whether it may use a scope."""

    def __init__(self, tokens: dict[str, Token]) -> None:
        self.tokens = tokens
        self._seen: dict[str, Token | None] = {}  # header -> token, so the hot path hashes once

    def identify(self, header: str | None) -> Token | None:
        if not header:
            return None
        if header in self._seen:
            return self._seen[header]
        scheme, _, secret = header.partition(" ")
        token = None
        if scheme.lower() == "bearer" and secret:
            digest = hash_secret(secret.strip())
            found = self.tokens.get(digest)
            token = found if found is not None and hmac.compare_digest(found.sha256, digest) else None
        if len(self._seen) < 1024:  # bounded: a flood of random headers cannot grow it
            self._seen[header] = token
        return token
