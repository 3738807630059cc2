"""dashboard api [--host H] [--port P] | dashboard api token add NAME --scopes ..."""

from __future__ import annotations

import argparse
import sys

from dashboard.cli import Command
from dashboard.cli._common import fail, store_from

SCOPES = ("predictions", "outcomes", "metrics")  # api.auth.SCOPES, named here to keep --help light


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8600, help="port (default 8600)")
    actions = parser.add_subparsers(dest="api_action", metavar="ACTION")
    token = actions.add_parser("token", help="manage bearer tokens",
                               description="Bearer tokens of the API, kept hashed in $DASHBOARD_API_TOKENS.")
    token_actions = token.add_subparsers(dest="token_action", metavar="ACTION")
    add = token_actions.add_parser(
        "add", help="add a token and print its secret once",
        description="Add a token; its secret is printed once (only its SHA-256 is kept).\n\n"
                    "Example:\n  dashboard api token add scoring-service --scopes predictions outcomes",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("name", help="who uses it (letters, digits, '_', '-', '.')")
    add.add_argument("--scopes", nargs="+", required=True, choices=SCOPES, help="what it may do")
    add.set_defaults(_run=_run_token_add)
    listing = token_actions.add_parser("list", help="list the tokens' names and scopes")
    listing.set_defaults(_run=_run_token_list)
    token.set_defaults(_run=lambda _a: fail("choose `token add` or `token list`"))


def _run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        return fail(f"--port {args.port} is not a port (1 to 65535)")
    from dashboard.api.server import serve_api

    store = store_from(args)
    print(f"ingest API of {store.root} on http://{args.host}:{args.port} (docs at /docs)", file=sys.stderr)
    serve_api(store, args.host, args.port)
    return 0


def _run_token_add(args: argparse.Namespace) -> int:
    from dashboard.api.auth import add_token
    from dashboard.settings import api_tokens_path

    secret = add_token(api_tokens_path(), args.name, args.scopes)
    print(f"token {args.name!r} ({', '.join(args.scopes)}) added to {api_tokens_path()}; its secret, shown "
          "only now:", file=sys.stderr)
    print(secret)
    return 0


def _run_token_list(_args: argparse.Namespace) -> int:
    from dashboard.api.auth import load_tokens
    from dashboard.settings import api_tokens_path

    for token in sorted(load_tokens(api_tokens_path()).values(), key=lambda t: t.name):
        print(f"{token.name}\t{','.join(sorted(token.scopes))}")
    return 0


COMMANDS = [
    Command(("api",), "Serve the HTTP ingest API (or manage its tokens).",
            "Serve POST /v1/predictions and /v1/outcomes (JSON, JSON Lines, Arrow IPC or Parquet),\n"
            "GET /healthz, GET /metrics and the OpenAPI docs at /docs, with bearer tokens from\n"
            "$DASHBOARD_API_TOKENS. Single decisions are group-committed: a 2xx means the rows are\n"
            "on disk. SIGTERM finishes open requests and writes the buffer before exiting.\n\n"
            "Examples:\n  dashboard api token add scoring-service --scopes predictions outcomes\n"
            "  dashboard --store var/store api --host 127.0.0.1 --port 8600",
            _configure, _run),
]
