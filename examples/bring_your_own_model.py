"""Bring your own model: train on any table, save with skops, write a card, register, log, ingest.

Run it on the German credit table (1,000 applicants; its `Default` column is 1 for GOOD
credit, so the bad label is Default == 0):

    python examples/bring_your_own_model.py --data german_credit.csv --target Default --good-value 1 \\
        --id-column ID --protected Sex Age --out /tmp/byom --store /tmp/byom-store

Then `DASHBOARD_STORE=/tmp/byom-store dashboard serve`. Every step writes a plain file in
--out (card.yaml, model.skops, reference.parquet, predictions.parquet, outcomes.parquet) and
then runs the same `dashboard` commands a person would type.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from dashboard.cli import main as dashboard
from dashboard.models.artifact import dump_model


def snake(name: str) -> str:
    """'Saving accounts' -> 'saving_accounts': column names that read well in logs and SQL."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", name.strip()).strip("_").lower() or "column"


def age_band(age: pd.Series) -> pd.Series:
    return pd.cut(pd.to_numeric(age, errors="coerce"), [0, 25, 35, 50, 65, 200],
                  labels=["18-25", "26-35", "36-50", "51-65", "66+"], right=True).astype(str)


def prepare(table: pd.DataFrame, target: str, good_value: str, id_column: str | None,
            protected: list[str]) -> tuple[pd.DataFrame, pd.Series, list[str], list[str], list[str]]:
    """Features, the bad label (1 = bad), numeric and categorical feature names, protected columns."""
    if target not in table:
        raise SystemExit(f"error: the table has no target column {target!r} (columns: {', '.join(table.columns)})")
    raw_target = table[target].astype(str).str.strip()
    # The label must be 1 for the BAD outcome; say which target value means good.
    label = (raw_target != str(good_value)).astype(int)
    drop = {target, *([id_column] if id_column else [])}
    frame = table.drop(columns=[c for c in drop if c in table]).rename(columns=snake)
    prot = [snake(p) for p in protected]
    if "age" in prot:  # a raw age makes one group per year: band it for fairness checks
        frame["age_band"] = age_band(frame["age"])
        prot = ["age_band" if p == "age" else p for p in prot]
        frame = frame.drop(columns=["age"])
    features = [c for c in frame.columns if c not in prot]
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in features if c not in numeric]
    for c in categorical:  # empty cells stay missing; the model imputes them
        frame[c] = frame[c].astype("object").where(frame[c].notna(), None)
    return frame, label, numeric, categorical, prot


def build_model(kind: str, numeric: list[str], categorical: list[str]) -> Pipeline:
    prep = ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True)),
                          ("scale", StandardScaler())]), numeric),
        ("cat", Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                          ("onehot", OneHotEncoder(handle_unknown="ignore"))]), categorical),
    ])
    if kind == "logit":
        return Pipeline([("prep", prep), ("model", LogisticRegression(C=0.5, max_iter=2000))])
    return Pipeline([("prep", prep), ("model", HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05,
                                                                              max_leaf_nodes=8, random_state=0))])


def write_card(path: Path, model_id: str, role: str, algorithm: str, source: str, frame: pd.DataFrame,
               numeric: list[str], categorical: list[str], protected: list[str], auc: float, cutoff: float,
               target: str, good_value: str) -> None:
    """A card a reviewer can read: every feature described, a reason template per feature."""
    features: list[dict[str, Any]] = []
    for name in numeric:
        col = pd.to_numeric(frame[name], errors="coerce")
        features.append({"name": name, "type": "numeric", "description": f"{name.replace('_', ' ')} (from {source})",
                         "reason_template": f"{name.replace('_', ' ').capitalize()} of {{value}}",
                         "actionable": False, "min": float(col.min()), "max": float(col.max())})
    for name in categorical:
        cats = sorted(frame[name].dropna().astype(str).unique())
        features.append({"name": name, "type": "categorical",
                         "description": f"{name.replace('_', ' ')} (from {source}; empty when not declared)",
                         "reason_template": f"{name.replace('_', ' ').capitalize()}: {{value}}",
                         "actionable": False, "categories": cats})
    card = {
        "id": model_id, "name": f"{algorithm.split()[0]} on {source}", "version": "1.0.0", "role": role,
        "algorithm": algorithm, "owner": "you (you@example.com)",
        "training": {"data": f"{source}, 70% split", "rows": int(len(frame))},
        "target": f"label = 1 when {target} != {good_value} (the source codes good credit as {good_value})",
        "features": features, "protected_attributes": protected,
        "validation_metrics": {"auc": round(auc, 4)},
        "intended_use": "Example only: shows how to bring a model and its logs into the dashboard.",
        "limitations": "Trained on a small public table; not for real decisions.", "cutoff": cutoff,
    }
    path.write_text(yaml.safe_dump(card, sort_keys=False, allow_unicode=True), "utf-8")


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="CSV (or Parquet) table, one row per applicant")
    parser.add_argument("--target", required=True, help="the outcome column")
    parser.add_argument("--good-value", required=True, help="the target value that means GOOD credit")
    parser.add_argument("--id-column", help="an identifier column to leave out of the features")
    parser.add_argument("--protected", nargs="*", default=[], help="columns kept for fairness, never as features")
    parser.add_argument("--out", type=Path, required=True, help="folder for the card, model and logs")
    parser.add_argument("--store", type=Path, required=True, help="the dashboard store to register and ingest into")
    parser.add_argument("--as-of", default="2026-06-30", help="the day the logs end (outcomes after it are unknown)")
    args = parser.parse_args(argv)

    table = pd.read_parquet(args.data) if args.data.suffix == ".parquet" else pd.read_csv(args.data)
    frame, label, numeric, categorical, protected = prepare(table, args.target, args.good_value, args.id_column,
                                                            args.protected)
    features = numeric + categorical
    x_train, x_live, y_train, y_live = train_test_split(frame, label, test_size=0.3, random_state=0, stratify=label)
    args.out.mkdir(parents=True, exist_ok=True)

    # 1. Train a champion (a readable logistic scorecard) and a challenger, save with skops.
    ids = {"byom_logit": ("champion", "logit", "LogisticRegression on imputed, scaled and one-hot features"),
           "byom_hgb": ("challenger", "hgb", "HistGradientBoostingClassifier on imputed and one-hot features")}
    models, cutoffs = {}, {}
    for model_id, (role, kind, algorithm) in ids.items():
        model = build_model(kind, numeric, categorical).fit(x_train[features], y_train)
        auc = float(roc_auc_score(y_live, model.predict_proba(x_live[features])[:, 1]))
        train_scores = model.predict_proba(x_train[features])[:, 1]
        cutoffs[model_id] = float(np.round(np.quantile(train_scores, 0.7), 3))  # approve about 70%
        folder = args.out / model_id
        folder.mkdir(exist_ok=True)
        (folder / "model.skops").write_bytes(dump_model(model))
        write_card(folder / "card.yaml", model_id, role, algorithm, args.data.name, frame, numeric, categorical,
                   protected, auc, cutoffs[model_id], args.target, args.good_value)
        models[model_id] = model
        print(f"trained {model_id}: hold-out AUC {auc:.3f}, cutoff {cutoffs[model_id]}")
    reference = x_train.assign(label=y_train.to_numpy())
    reference.to_parquet(args.out / "reference.parquet", index=False)

    # 2. Logs: the hold-out applicants arrive over six months; both models score each one
    #    (the challenger in shadow), the champion decides; outcomes come 90-200 days later
    #    for approved loans only, and only those before --as-of are known.
    rng = np.random.default_rng(0)
    as_of = pd.Timestamp(args.as_of)
    n = len(x_live)
    when = as_of - pd.to_timedelta(rng.integers(30, 400, n), unit="D") + pd.to_timedelta(rng.integers(0, 86_400, n),
                                                                                            unit="s")
    apps = x_live.reset_index(drop=True).assign(application_id=[f"BYOM-{i:06d}" for i in range(n)], timestamp=when)
    champion_scores = models["byom_logit"].predict_proba(apps[features])[:, 1]
    approved = champion_scores < cutoffs["byom_logit"]
    logs = []
    for model_id, model in models.items():
        part = apps.copy()
        part["prediction_id"] = part["application_id"] + "-" + model_id
        part["model_id"] = model_id
        part["score"] = np.round(model.predict_proba(apps[features])[:, 1], 6)
        part["decision"] = np.where(approved, "approve", "decline") if model_id == "byom_logit" else None
        part["latency_ms"] = np.round(rng.lognormal(2.0, 0.3, n), 1)
        logs.append(part)
    pd.concat(logs, ignore_index=True).to_parquet(args.out / "predictions.parquet", index=False)
    outcome_at = when + pd.to_timedelta(rng.integers(90, 200, n), unit="D")
    known = approved & (outcome_at < as_of)
    amount = pd.to_numeric(apps["credit_amount"], errors="coerce") if "credit_amount" in apps else pd.Series(np.nan,
                                                                                                           index=apps.index)
    y_live_arr = y_live.to_numpy()
    pd.DataFrame({"application_id": apps["application_id"][known], "outcome_timestamp": outcome_at[known],
                  "label": y_live_arr[known], "loan_amount": amount[known],
                  "loss_amount": np.where(y_live_arr[known] == 1, np.round(amount[known] * 0.5, 2), 0.0)}
                 ).to_parquet(args.out / "outcomes.parquet", index=False)
    print(f"wrote {n * len(models):,} prediction rows and {int(known.sum()):,} outcomes to {args.out}")

    # 3. Register each model and ingest the logs: the same commands you would type.
    store = ["--store", str(args.store)]
    for model_id in models:
        code = dashboard([*store, "register-model", str(args.out / model_id / "card.yaml"),
                          "--artifact", str(args.out / model_id / "model.skops"),
                          "--reference", str(args.out / "reference.parquet")])
        if code:
            return code
    for kind, name in (("predictions", "predictions.parquet"), ("outcomes", "outcomes.parquet")):
        code = dashboard([*store, "ingest", kind, str(args.out / name)])
        if code:
            return code
    print(f"done: DASHBOARD_STORE={args.store} dashboard serve")
    return 0


if __name__ == "__main__":
    sys.exit(run())
