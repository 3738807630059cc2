"""dashboard report drift --model M [--reference WINDOW] [--current WINDOW] [--format json|html|md] [--fail-on-drift]"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import sys
from typing import TYPE_CHECKING, Any

from dashboard.cli import Command
from dashboard.cli._common import EXIT_FOUND, fail, store_from, unknown_model_message, window_from

if TYPE_CHECKING:
    from dashboard.analytics.drift import DriftReport
    from dashboard.store import Store

DEFAULT_CURRENT_DAYS = 30
FEATURE_COLUMNS = ["feature", "type", "status", "psi", "js", "ks", "ks_pvalue", "wasserstein", "chi2",
                   "chi2_pvalue", "missing_ref", "missing_cur", "importance", "note"]


def build_report(store: Store, model_id: str, reference: tuple[dt.date, dt.date] | None,
                 current: tuple[dt.date, dt.date] | None) -> DriftReport:
    """The drift report the command prints (current None: the last DEFAULT_CURRENT_DAYS days of logs);
    raises ValueError with a message a person can act on."""
    from dashboard.services.drift import build_drift_report

    return build_drift_report(store, model_id, reference, current, default_days=DEFAULT_CURRENT_DAYS)


def _fmt(value: Any) -> str:
    """A cell or figure as text; "n/a" for a missing value (never a blank, "nan" or "None")."""
    import numpy as np  # here, not at the top: `dashboard --help` must not load numpy or pandas
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    text = str(value)
    return text if text.strip() else "n/a"


def _feature_rows(report: DriftReport) -> list[list[str]]:
    frame = report.features
    cols = [c for c in FEATURE_COLUMNS if c in frame.columns]
    rows = [[_fmt(v) for v in row] for row in frame[cols].itertuples(index=False)]
    if "note" in cols:  # an empty note is no note, not a missing value
        at = cols.index("note")
        for row, note in zip(rows, frame["note"], strict=True):
            row[at] = str(note) if isinstance(note, str) and note else "-"
    return [cols, *rows]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: DriftReport) -> str:
    rec = report.recommendation
    lines = [f"# Drift report: {report.model_id}", "",
             f"- Reference: {report.reference_label}", f"- Current: {report.current_label}",
             f"- Verdict: **{rec.verdict}**", f"- Recommendation: **{rec.action}**: {rec.headline}", ""]
    if rec.reasons:
        lines += ["## Reasons", ""]
        for r in rec.reasons:
            extra = (f" Features: {', '.join(r.features)}." if r.features else "") + \
                    (f" Since {r.since}." if r.since else "")
            lines.append(f"- **{r.rule}**: {r.detail}.{extra}")
        lines.append("")
    rows = _feature_rows(report)
    if len(rows) > 1:
        lines += ["## Features (sorted by drift x mean |SHAP|)", "",
                  "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows[1:]]
        lines.append("")
    s = report.score
    lines += ["## Prediction drift", "", f"- Score PSI: {_fmt(s.get('psi'))} ({_fmt(s.get('status'))})",
              f"- Mean score: {_fmt(s.get('mean_ref'))} -> {_fmt(s.get('mean_cur'))}",
              f"- Share below the cutoff {_fmt(s.get('cutoff'))}: {_fmt(s.get('below_cutoff_ref'))} -> "
              f"{_fmt(s.get('below_cutoff_cur'))}", ""]
    c = report.concept
    cur = c.get("current") or {}
    lines += ["## Concept drift", "",
              f"- Matured labels in the current window: {_fmt(cur.get('labelled', 0))}",
              f"- Realized vs expected bad rate: {_fmt(cur.get('observed_rate'))} vs {_fmt(cur.get('expected_rate'))}",
              f"- AUC on matured labels: {_fmt(cur.get('auc'))} (baseline {_fmt(c.get('baseline_auc'))})",
              f"- Relation changed: {'yes' if c.get('relation_changed') else 'no'}; "
              f"performance decay: {'yes' if c.get('decay') else 'no'}", ""]
    if report.messages:
        lines += ["## Notes", "", *(f"- {m}" for m in report.messages), ""]
    return "\n".join(lines)


def render_html(report: DriftReport) -> str:
    rec = report.recommendation
    e = html.escape
    rows = _feature_rows(report)
    table = ""
    if len(rows) > 1:
        head = "".join(f"<th>{e(c)}</th>" for c in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in r) + "</tr>" for r in rows[1:])
        table = f"<h2>Features (sorted by drift x mean |SHAP|)</h2><table><tr>{head}</tr>{body}</table>"
    reasons = "".join(
        f"<li><b>{e(r.rule)}</b>: {e(r.detail)}"
        + (f" Features: {e(', '.join(r.features))}." if r.features else "")
        + (f" Since {e(r.since)}." if r.since else "") + "</li>" for r in rec.reasons)
    md = render_markdown(report)
    notes = "".join(f"<li>{e(m)}</li>" for m in report.messages)
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Drift report "
            f"{e(report.model_id)}</title><style>body{{font-family:sans-serif;margin:2em}}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;font-size:90%}"
            "</style></head><body>"
            f"<h1>Drift report: {e(report.model_id)}</h1><p>Reference: {e(report.reference_label)}<br>"
            f"Current: {e(report.current_label)}</p><p>Verdict: <b>{e(rec.verdict)}</b>. "
            f"Recommendation: <b>{e(rec.action)}</b>: {e(rec.headline)}</p><ul>{reasons}</ul>{table}"
            f"<h2>Prediction and concept drift</h2><pre>{e(md.split('## Prediction drift', 1)[-1])}</pre>"
            + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "") + "</body></html>")


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model id")
    parser.add_argument("--reference", default="training", metavar="WINDOW",
                        help="reference window, or 'training' (default): the reference data registered with the "
                             "model")
    parser.add_argument("--current", metavar="WINDOW", help=f"current window (default last-{DEFAULT_CURRENT_DAYS}d: "
                        f"the last {DEFAULT_CURRENT_DAYS} days of logs)")
    parser.add_argument("--format", choices=("json", "html", "md"), default="md", help="output format (default md)")
    parser.add_argument("--fail-on-drift", action="store_true",
                        help="exit 1 when drift crosses a threshold or retraining is recommended")


def _run(args: argparse.Namespace) -> int:
    from dashboard.services.drift import log_date_range
    from dashboard.services.stores import StoreError

    try:
        store = store_from(args, create=False)
        if problem := unknown_model_message([args.model], store.list_cards()):
            return fail(problem)
        span = log_date_range(store, args.model)
        if span is None:
            return fail(f"model {args.model} has no prediction logs yet; ingest some first")
        # last-30d and last-3m count back from the newest day of this model's logs.
        reference = None
        if args.reference.strip().lower() not in ("", "training"):
            ref = window_from(args.reference, "--reference", span[1])
            reference = (ref.start, ref.end)
        current = None   # build_report's default: the last DEFAULT_CURRENT_DAYS days of logs
        if args.current is not None:
            cur = window_from(args.current, "--current", span[1])
            current = (cur.start, cur.end)
        report = build_report(store, args.model, reference, current)
    except (ValueError, StoreError) as exc:   # a PeriodError is a ValueError
        return fail(str(exc))
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2, default=str))
    elif args.format == "html":
        print(render_html(report))
    else:
        print(render_markdown(report))
    if args.fail_on_drift and report.drifted:
        print(f"drift: {report.recommendation.headline}", file=sys.stderr)
        return EXIT_FOUND
    return 0


COMMANDS = [Command(("report", "drift"), "Feature, prediction and concept drift with a retrain signal.",
                    "Drift of one model between a reference and a current window, from the rollups:\n"
                    "PSI (credit convention: <0.1 stable, 0.1-0.25 watch, >0.25 shifted), JS, KS,\n"
                    "Wasserstein, chi-square, missing shares; score drift; calibration (concept) drift;\n"
                    "and a retrain recommendation with its reasons.\n\n"
                    "Examples:\n  dashboard report drift --model gbm_champion --reference training \\\n"
                    "      --current 2026-04 --format md --fail-on-drift\n"
                    "  dashboard report drift --model gbm_champion --reference 2025-Q4 --current last-30d",
                    _configure, _run, detects="drift crosses a threshold or retraining is recommended, with "
                                              "--fail-on-drift", windows=True)]
