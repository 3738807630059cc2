"""dashboard report segments --model M --by COLUMN [--period P] [--format json|md]"""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING, Any

from dashboard.cli import Command
from dashboard.cli._common import fail, model_or_champion, store_from

if TYPE_CHECKING:
    from dashboard.services.segments import SegmentReport

TOP = 5  # segments listed per metric in the markdown ranking


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="model id (default: the current champion)")
    parser.add_argument("--by", required=True, metavar="COLUMN", help="a segment column of the model")
    parser.add_argument("--period", default=None, metavar="P", help="the period (default last-12m)")
    parser.add_argument("--format", choices=("json", "md"), default="md", help="output format (default md)")


def _num(v: Any, digits: int = 3, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    return f"{v:.{digits - 2}%}" if pct else f"{v:.{digits}f}"


def _interval(lo: Any, hi: Any, pct: bool = False) -> str:
    return f"[{_num(lo, 3, pct)}, {_num(hi, 3, pct)}]" if _num(lo) != "n/a" else ""


def render_markdown(report: SegmentReport) -> str:
    lines = [f"# Segments of {report.model_id} by {report.column}, {report.period.label}", "",
             f"- Grouping: {report.grouping}", *(f"- {n}" for n in report.notes), "",
             "| value | applications | approval rate | matured | bad rate | AUC | calibration ratio | score PSI |",
             "|---|---|---|---|---|---|---|---|"]
    for r in report.figures.to_dict(orient="records"):
        small = " (small)" if r["small"] else ""
        auc = _num(r["auc"]) + (f" +-{r['auc_bound']:.3f}" if _num(r["auc_bound"]) != "n/a" else "")
        lines.append(
            f"| {r['value']}{small} | {r['applications']:,} | {_num(r['approval_rate'], 3, True)} "
            f"{_interval(r['approval_lo'], r['approval_hi'], True)} | {r['labelled']:,} | "
            f"{_num(r['bad_rate'], 4, True)} {_interval(r['bad_rate_lo'], r['bad_rate_hi'], True)} | "
            f"{auc} {_interval(r['auc_lo'], r['auc_hi'])} | {_num(r['calibration_ratio'], 2)} "
            f"{_interval(r['calibration_lo'], r['calibration_hi'])} | {_num(r['psi'])} ({r['psi_status']}) |")
    lines += ["", "## Where is it failing (gap to the portfolio x share of the population behind the figure)", ""]
    for metric, ranking in report.failing.items():
        top = ranking.head(TOP)
        text = "; ".join(f"{row.value} ({_num(row.figure)} vs {_num(row.portfolio)}, weighted gap "
                         f"{row.weighted_gap:.4f}{', beyond noise' if row.beyond_noise else ''})"
                         for row in top.itertuples(index=False))
        lines.append(f"- **{metric}**: {text or 'no segment worse than the portfolio'}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from dashboard.analytics.periods import PeriodError
    from dashboard.services.segments import (
        SegmentError,
        build_segment_report,
        resolve_period,
        segment_report_dict,
    )
    from dashboard.services.stores import StoreError

    try:
        store = store_from(args, create=False)
    except StoreError as exc:
        return fail(str(exc))
    model, problem = model_or_champion(store, args.model)
    if model is None:
        return fail(problem or "no model")
    try:
        period = resolve_period(store, model, args.period)
        report = build_segment_report(store, model, args.by, period)
    except PeriodError as exc:
        return fail(f"--period {exc}")
    except SegmentError as exc:
        return fail(str(exc))
    if args.format == "json":
        print(json.dumps(segment_report_dict(report), indent=2, default=str))
    else:
        print(render_markdown(report))
    return 0


COMMANDS = [Command(("report", "segments"), "Figures of one model per segment value, and where it fails.",
                    "Print, per value of a segment column (declared in the card's `segments`, else its\n"
                    "protected attributes and categorical features): applications, approval rate, matured\n"
                    "outcomes, bad rate, AUC, calibration ratio and score PSI (against the period before),\n"
                    "with 95% intervals, and the segments ranked by their gap to the whole portfolio\n"
                    "weighted by their size.\n\n"
                    "Examples:\n  dashboard report segments --model gbm_champion --by region --period 2026-Q1\n"
                    "  dashboard report segments --by age_band --format json > segments.json",
                    _configure, _run, windows=True)]
