"""dashboard sample: generate the synthetic demo portfolio."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dashboard.cli import Command
from dashboard.sample.generator import DEFAULT_APPLICATIONS, generate_portfolio
from dashboard.sample.story import render_readme
from dashboard.store.portfolio import write_portfolio


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="data/sample", type=Path, help="folder to write (default data/sample)")
    parser.add_argument("--applications", type=int, default=DEFAULT_APPLICATIONS,
                        help=f"number of applications (default {DEFAULT_APPLICATIONS:,})")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same portfolio)")


def _run(args: argparse.Namespace) -> int:
    if args.applications < 100:
        print("error: --applications must be at least 100", file=sys.stderr)
        return 2
    start = time.perf_counter()
    portfolio = generate_portfolio(args.applications, args.seed,
                                   progress=lambda msg: print(f"- {msg}", file=sys.stderr))
    write_portfolio(args.out, portfolio, readme=render_readme(portfolio.manifest, portfolio.cards))
    m = portfolio.manifest
    print(f"wrote {args.out}: {m['applications']:,} applications x {len(portfolio.models)} models, "
          f"{m['outcomes']:,} outcomes, in {time.perf_counter() - start:.1f} s")
    print(f"build a store from it: dashboard --store var/store demo --sample {args.out}")
    return 0


COMMANDS = [Command(("sample",), "Generate the synthetic demo portfolio.",
                    "Generate a synthetic credit portfolio: 18 months of applications scored by a\n"
                    "champion and two challengers, outcomes for approved loans 3 to 12 months later,\n"
                    "a data drift and a concept drift at documented months. Deterministic by seed.\n\n"
                    "Examples:\n  dashboard sample --out data/sample\n"
                    "  dashboard sample --out /tmp/big --applications 1000000",
                    _configure, _run)]
