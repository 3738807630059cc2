"""dashboard sample: generate the synthetic demo portfolio."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dashboard.cli import Command
from dashboard.cli._common import fail

# The generator (numpy, pandas, scikit-learn) loads only when the command runs, so the defaults
# below are None and come from dashboard.sample.generator then; the numbers in the help are
# checked against the generator's by tests/cli/test_conventions.py.


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="data/sample", type=Path, help="folder to write (default data/sample)")
    parser.add_argument("--applications", type=int, default=None,
                        help="number of applications, at least 100 (default 90,000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same portfolio)")
    parser.add_argument("--chunk-size", type=int, default=None,
                        help="above 2,000,000 applications, generate and write this many at a time "
                             "(default 1,000,000)")


def _run(args: argparse.Namespace) -> int:
    from dashboard.sample import generator
    from dashboard.sample.story import render_readme
    from dashboard.services.portfolio import write_portfolio, write_portfolio_chunks

    applications = generator.DEFAULT_APPLICATIONS if args.applications is None else args.applications
    chunk_size = generator.CHUNK_SIZE if args.chunk_size is None else args.chunk_size
    if applications < 100:
        return fail(f"--applications must be at least 100, got {applications}")
    if chunk_size < 1:
        return fail(f"--chunk-size must be at least 1, got {chunk_size}")
    try:
        args.out.mkdir(parents=True, exist_ok=True)   # before minutes of generating, not after
    except OSError as exc:
        return fail(f"cannot write to {args.out}: {exc.strerror or exc}")
    start = time.perf_counter()
    say = lambda msg: print(f"- {msg}", file=sys.stderr)  # noqa: E731
    if applications > generator.CHUNKED_ABOVE:
        # Too big to hold at once: time-ordered chunks written one by one, same trained models.
        files = write_portfolio_chunks(args.out, generator.generate_portfolio_chunks(
            applications, args.seed, chunk_size=chunk_size, progress=say), readme=render_readme)
        m, n_models = files.manifest, len(files.cards)
    else:
        portfolio = generator.generate_portfolio(applications, args.seed, progress=say)
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
