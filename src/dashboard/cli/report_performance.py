"""dashboard report performance: figures and alerts for one model, for cron or CI."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from dashboard.cli import Command
from dashboard.cli._common import EXIT_FOUND, fail, model_or_champion, store_from


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="model id (default: the current champion)")
    parser.add_argument("--format", choices=("json", "md"), default="md", help="output format (default md)")
    parser.add_argument("--config", default=None, metavar="TOML",
                        help="alert rules file (default: $DASHBOARD_ALERTS_CONFIG or the packaged alerts.toml)")
    parser.add_argument("--fail-on", choices=("warning", "critical"), default="warning",
                        help="lowest severity that makes the exit code 1 (default warning)")


def _pct(v: Any, digits: int = 1) -> str:
    return "n/a" if v is None else f"{v:.{digits}%}"


def _num(v: Any, digits: int = 3) -> str:
    return "n/a" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}f}"


def _latency(m: dict[str, Any]) -> str:
    return _num(m["latency_p95"], 0) + (" *" if m.get("latency_note") and m["latency_p95"] is not None else "")


def _markdown(fig: dict[str, Any]) -> str:
    from dashboard.analytics.performance import (  # heavy: only when it runs
        BOUND_SHOWN,
        format_bounded,
    )

    lines = [f"# Performance report: {fig['model']} ({fig['role']})", "",
             f"- cutoff in force: {fig['cutoff_in_force']:.3f} (policy version {fig['policy_version']})",
             f"- validation AUC (model card): {_num(fig['validation_auc'])}",
             f"- reference window (PSI and estimate calibration): {fig['reference_window']}",
             f"- realized metrics population: {fig['population']}", ""]
    if fig["estimate_note"]:
        lines += [f"No performance estimate: {fig['estimate_note']}", ""]
    lines += ["| month | applications | approval rate | matured | maturity | bad rate | AUC | KS | Brier | "
              "est. AUC | est. bad rate | PSI | p95 ms |", "|" + "---|" * 13]
    for m in fig["months"]:
        lines.append(f"| {str(m['period'])[:7]} | {m['applications']:,} | {_pct(m['approval_rate'])} | "
                     f"{m['labelled']:,} | {_pct(m['label_maturity'], 0)} | {_pct(m['bad_rate'])} | "
                     f"{format_bounded(m['auc'], m.get('auc_bound'), 'auc')} | "
                     f"{format_bounded(m['ks'], m.get('ks_bound'), 'ks')} | {_num(m['brier'], 4)} | "
                     f"{_num(m['expected_auc'])} "
                     f"(estimate) | {_pct(m['expected_bad_rate'])} (estimate) | {_num(m['psi'])} | "
                     f"{_latency(m)} |")
    if any(m.get("auc_bound") is not None and m["auc_bound"] > BOUND_SHOWN["auc"] for m in fig["months"]):
        lines += ["", "AUC +-x: the exact AUC lies within x (scores tied in a 0.001 bin: the model's scores fill few "
                  "bins); KS (up to +x): the exact KS lies between the figure and the figure + x."]
    if any(m["latency_p95"] is not None for m in fig["months"]):
        lines += ["", f"p95 latency {fig['latency_percentiles']}."]
    marked = next((m["latency_note"] for m in fig["months"] if m.get("latency_note")), None)
    if marked:
        lines.append(f"\\* {marked[0].upper()}{marked[1:]}.")
    lines += ["", f"## Alerts in force ({len(fig['alerts_now'])}; {fig['alerts_fired']} fired over the history)", ""]
    if not fig["alerts_now"]:
        lines.append("No rule fails in the latest month.")
    for a in fig["alerts_now"]:
        lines.append(f"- **{a['severity']}** {a['rule']} ({a['period']}): {a['message']}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from dashboard.analytics.alerts import AlertConfigError
    from dashboard.services.performance import (
        load_alert_config,
        load_performance,
        performance_figures,
    )
    from dashboard.services.stores import StoreError

    try:
        store = store_from(args, create=False)
        config = load_alert_config(None if args.config is None else Path(args.config))
    except (StoreError, AlertConfigError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"the alert rules cannot be read: {exc}")
    model, problem = model_or_champion(store, args.model)
    if model is None:
        return fail(problem or "no model")
    if not store.prediction_files(model_id=model):
        return fail(f"model {model!r} has no prediction logs in {store.root}; ingest some first")
    view = load_performance(store, model, "month", config)
    figures = performance_figures(view)
    if args.format == "json":
        print(json.dumps(figures, indent=2, default=str))
    else:
        print(_markdown(figures))
    levels = {"warning": ("warning", "critical"), "critical": ("critical",)}[args.fail_on]
    failing = [a for a in figures["alerts_now"] if a["severity"] in levels]
    if failing:
        print(f"{len(failing)} alert rule(s) fail for {model}: "
              + "; ".join(f"{a['rule']} ({a['severity']})" for a in failing), file=sys.stderr)
        return EXIT_FOUND
    return 0


COMMANDS = [Command(("report", "performance"), "Performance figures and alerts for one model.",
                    "Print realized metrics (approved loans with a matured outcome), the performance\n"
                    "estimate for unlabelled months, PSI and latency per month, and the alerts in force\n"
                    "(rules in config/alerts.toml).\n\n"
                    "Examples:\n  dashboard report performance --model gbm_champion --format md\n"
                    "  dashboard report performance --format json --fail-on critical > perf.json",
                    _configure, _run, detects="an alert rule of at least the --fail-on severity fires in the "
                                              "latest month")]
