"""dashboard sample: generate the synthetic demo portfolio."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dashboard.cli import Command
from dashboard.sample.generator import (
    CHUNK_SIZE,
    CHUNKED_ABOVE,
    DEFAULT_APPLICATIONS,
    generate_portfolio,
    generate_portfolio_chunks,
)
from dashboard.sample.story import render_readme
from dashboard.store.portfolio import write_portfolio, write_portfolio_chunks


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="data/sample", type=Path, help="folder to write (default data/sample)")
    parser.add_argument("--applications", type=int, default=DEFAULT_APPLICATIONS,
                        help=f"number of applications (default {DEFAULT_APPLICATIONS:,})")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same portfolio)")
    parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE,
                        help=f"above {CHUNKED_ABOVE:,} applications, generate and write this many at a time "
                             f"(default {CHUNK_SIZE:,})")


def _run(args: argparse.Namespace) -> int:
    if args.applications < 100:
        print("error: --applications must be at least 100", file=sys.stderr)
        return 2
    start = time.perf_counter()
    say = lambda msg: print(f"- {msg}", file=sys.stderr)  # noqa: E731
    if args.applications > CHUNKED_ABOVE:
        # Too big to hold at once: time-ordered chunks written one by one, same trained models.
        files = write_portfolio_chunks(args.out, generate_portfolio_chunks(args.applications, args.seed,
                                                                           chunk_size=args.chunk_size, progress=say),
                                       readme=render_readme)
        m, n_models = files.manifest, len(files.cards)
    else:
        portfolio = generate_portfolio(args.applications, args.seed, progress=say)
        write_portfolio(args.out, portfolio, readme=render_readme(portfolio.manifest, portfolio.cards))
        m, n_models = portfolio.manifest, len(portfolio.models)
    print(f"wrote {args.out}: {m['applications']:,} applications x {n_models} models, "
          f"{m['outcomes']:,} outcomes, in {time.perf_counter() - start:.1f} s")
    print(f"build a store from it: dashboard --store var/store demo --sample {args.out}")
    return 0


COMMANDS = [Command(("sample",), "Generate the synthetic demo portfolio.",
                    "Generate a synthetic credit portfolio: 18 months of applications scored by a\n"
                    "champion and two challengers, outcomes for approved loans 3 to 12 months later,\n"
                    "a data drift and a concept drift at documented months. Deterministic by seed.\n\n"
                    "Examples:\n  dashboard sample --out data/sample\n"
                    "  dashboard sample --out /tmp/big --applications 1000000\n"
                    "  dashboard sample --out /tmp/huge --applications 10000000   # written in 1M chunks",
                    _configure, _run)]
