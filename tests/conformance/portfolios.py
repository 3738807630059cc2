"""Foreign portfolios for the conformance battery, each a folder as a lender would bring it.

Every portfolio is written as plain files (a card YAML per model, a skops artifact of a
real scikit-learn Pipeline trained here on the portfolio's own training rows, prediction
logs, outcomes, optionally reference data and a business.toml), then registered and
ingested through the `dashboard` command exactly as the README tells a new user. The
frames the files were written from are kept on the Portfolio, so the tests can recompute
every figure from the raw rows with pandas, scikit-learn and scipy.

| portfolio | rows | traps |
|---|---|---|
| german | 3,000 apps x 2 models, 8 months | the real UCI table (`Default` = 1 is GOOD); champion and challenger on the same applications; age in years (default bands); outcomes with `loan_amount`, no `loss_amount`; default config (EUR); CSV with missing cells |
| alpine | 8,000 apps, 12 months | CHF; heavy-tailed (lognormal) amounts; single model; review band applied on Thresholds; `loss_amount` 0 for fully recovered defaults; missing ages; capital far below lending (capital deployed > 100%); Parquet in monthly files |
| vistula | 6,000 apps, 10 months | PLN; scores all in 0.30-0.36; outcomes with `loss_amount`, no `loan_amount`; numeric protected attribute not named like age (quintile bands); reference file with its own dates; a channel unseen at registration; no latency; JSON Lines |
| prairie | 10,000 apps x 2 models, 14 months | USD; outcomes with label only; corrected outcomes (a later row changes the label); age bands declared in the card; a protected group below the minimum group size (set to 50); review approval share 0.4; no latency |
| thames | 10,000 apps, 9 months | GBP; Pareto-tailed debt; input drift from month 6; `loan_amount` / `loss_amount` each missing on part of the outcomes; CSV in monthly files; outcomes for part of the approved loans only |
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io
import yaml
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

GERMAN_CSV = Path("/work/shared/datasets/german_credit.csv")
PORTFOLIO_NAMES = ("german", "alpine", "vistula", "prairie", "thames")

# The defaults of business.toml as shipped (for portfolios that bring no business.toml).
SHIPPED_BUSINESS = Path(__file__).resolve().parents[2] / "src" / "dashboard" / "config" / "business.toml"


@dataclass
class Feature:
    name: str
    type: str                       # numeric | categorical
    description: str
    direction: int | None = None
    categories: tuple[str, ...] = ()


@dataclass
class Portfolio:
    """A lender's folder, the store it was ingested into, and the raw frames behind the files."""

    name: str
    folder: Path
    store: Path
    currency: str
    champion: str
    models: list[str]                          # champion first
    features: list[Feature]
    protected: list[Any]                       # as written in the card (str or {name, bands})
    applications: pd.DataFrame                 # one row per application: features, protected, true label
    predictions: pd.DataFrame                  # every logged row, all models (as written to the logs)
    outcomes: pd.DataFrame                     # every outcome row (as written)
    reference: pd.DataFrame | None             # the reference file's rows (as written)
    reference_file: Path | None
    business_toml: Path | None                 # the portfolio's own business.toml (None: shipped defaults)
    policy: dict[str, tuple[float, float | None]]  # per model: (cutoff, review_from) in force
    card_training_window: tuple[str, str]
    has_latency: bool
    notes: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)   # reports shared by the tests

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """A report or computation made once per session (the store does not change)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    @property
    def business(self) -> dict[str, Any]:
        """The business.toml in force for this portfolio, read as a TOML mapping (not by the project)."""
        path = self.business_toml or SHIPPED_BUSINESS
        return tomllib.loads(path.read_text("utf-8"))

    def env(self) -> dict[str, str]:
        return {"DASHBOARD_BUSINESS_CONFIG": str(self.business_toml)} if self.business_toml else {}


# --------------------------------------------------------------------------- helpers
def _pipeline(kind: str, numeric: list[str], categorical: list[str], seed: int = 0, c: float = 1.0) -> Pipeline:
    prep = ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
        ("cat", Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                          ("onehot", OneHotEncoder(handle_unknown="ignore"))]), categorical),
    ])
    if kind == "logit":
        est: Any = LogisticRegression(C=c, max_iter=2000)
    elif kind == "gbc":
        est = GradientBoostingClassifier(n_estimators=60, max_depth=3, learning_rate=0.1, random_state=seed)
    else:
        est = HistGradientBoostingClassifier(max_iter=80, learning_rate=0.08, max_leaf_nodes=15, random_state=seed)
    return Pipeline([("prep", prep), ("model", est)])


def _object_cats(frame: pd.DataFrame, categorical: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in categorical:
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _card(model_id: str, role: str, algorithm: str, features: list[Feature], protected: list[Any],
          cutoff: float, window: tuple[str, str], auc: float, train: pd.DataFrame) -> dict[str, Any]:
    feats = []
    for f in features:
        entry: dict[str, Any] = {"name": f.name, "type": f.type, "description": f.description,
                                 "reason_template": f"{f.name.replace('_', ' ').capitalize()}: {{value}}",
                                 "actionable": False}
        if f.type == "numeric":
            col = pd.to_numeric(train[f.name], errors="coerce")
            entry["min"] = float(col.min())
            entry["max"] = float(col.max())
            if f.direction is not None:
                entry["direction"] = f.direction
        else:
            entry["categories"] = list(f.categories)
        feats.append(entry)
    return {
        "id": model_id, "name": f"{algorithm.split('(')[0].strip()} ({model_id})", "version": "1.0.0",
        "role": role, "algorithm": algorithm, "owner": "Conformance lender (risk@example.com)",
        "training": {"window": {"start": window[0], "end": window[1]}, "data": "own development sample",
                     "rows": int(len(train))},
        "target": "label = 1 when the loan defaulted", "features": feats, "protected_attributes": protected,
        "validation_metrics": {"auc": round(auc, 4)}, "intended_use": "Conformance testing only.",
        "limitations": "Trained on a small table.", "cutoff": cutoff,
    }


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def _timestamps(rng: np.random.Generator, n: int, start: str, months: int) -> pd.Series:
    """n naive timestamps spread uniformly over `months` calendar months from `start`, sorted."""
    lo = pd.Timestamp(start)
    hi = lo + pd.DateOffset(months=months)
    seconds = rng.integers(0, int((hi - lo).total_seconds()), n)
    return pd.Series(np.sort(lo + pd.to_timedelta(seconds, unit="s")))


def _ts_text(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%dT%H:%M:%S")


def _score(model: Pipeline, frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    return np.round(model.predict_proba(frame[names])[:, 1], 6)


def _decide(score: np.ndarray, cutoff: float, review_from: float | None) -> np.ndarray:
    lower = cutoff if review_from is None else review_from
    return np.where(score < lower, "approve", np.where(score < cutoff, "review", "decline")).astype(object)


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score
    return float(roc_auc_score(y, s))


def _log_rows(apps: pd.DataFrame, model_id: str, scores: np.ndarray, decisions: np.ndarray | None,
              columns: list[str], latency: np.ndarray | None, offset_ms: int = 0) -> pd.DataFrame:
    out = apps[["application_id", *columns]].copy()
    out.insert(0, "prediction_id", apps["application_id"] + f"-{model_id}")
    out.insert(1, "model_id", model_id)
    ts = pd.to_datetime(apps["timestamp"]) + pd.Timedelta(milliseconds=offset_ms)
    out.insert(2, "timestamp", _ts_text(ts))
    out["score"] = scores
    if decisions is not None:
        out["decision"] = decisions
    if latency is not None:
        out["latency_ms"] = latency
    return out


def _outcome_times(rng: np.random.Generator, apps: pd.DataFrame, lo_days: int, hi_days: int) -> pd.Series:
    delay = rng.integers(lo_days * 86_400, hi_days * 86_400, len(apps))
    return pd.to_datetime(apps["timestamp"]) + pd.to_timedelta(delay, unit="s")


# --------------------------------------------------------------------------- generated applicants
PURPOSES = ("car", "home", "education", "business", "other")
HOUSING = ("rent", "own", "mortgage")


def _applicants(rng: np.random.Generator, n: int, heavy: str = "lognormal", drift_from: int | None = None,
                timestamps: pd.Series | None = None) -> pd.DataFrame:
    """Synthetic applicants with a known default probability (`p_true`) and a drawn `label`."""
    income = np.round(rng.lognormal(10.6, 0.45, n), 0)
    if heavy == "pareto":
        debt = np.round((rng.pareto(1.6, n) + 1) * 150, 2)
    else:
        debt = np.round(rng.lognormal(6.0, 0.8, n), 2)
    amount = np.round(rng.lognormal(9.3, 1.1, n), 0)      # heavy right tail: a few loans 20x the median
    employment = np.round(rng.gamma(2.0, 3.0, n), 1)
    employment[rng.random(n) < 0.07] = np.nan
    inquiries = rng.poisson(1.2, n).astype(float)
    purpose = rng.choice(PURPOSES, n, p=[0.3, 0.25, 0.15, 0.1, 0.2])
    housing = rng.choice(HOUSING, n, p=[0.4, 0.25, 0.35])
    age = rng.integers(19, 80, n).astype(float)
    sex = rng.choice(["female", "male"], n, p=[0.45, 0.55])
    frame = pd.DataFrame({"income": income, "monthly_debt": debt, "requested_amount": amount,
                          "employment_years": employment, "inquiries_6m": inquiries,
                          "purpose": purpose, "housing": housing, "age": age, "sex": sex})
    if timestamps is not None:
        frame["timestamp"] = timestamps.to_numpy()
        if drift_from is not None:
            month_idx = (pd.to_datetime(frame["timestamp"]).dt.to_period("M") -
                         pd.to_datetime(frame["timestamp"]).min().to_period("M")).apply(lambda p: p.n)
            late = month_idx.to_numpy() >= drift_from
            frame.loc[late, "income"] = np.round(frame.loc[late, "income"] * 0.8, 0)
            frame.loc[late & (rng.random(n) < 0.15), "employment_years"] = np.nan
    dti = frame["monthly_debt"] * 12 / frame["income"]
    logit = (-2.2 + 1.8 * np.log1p(dti) + 0.25 * frame["inquiries_6m"] - 0.06 * frame["employment_years"].fillna(1)
             + 0.15 * np.log(frame["requested_amount"] / 10_000) - 0.01 * (frame["age"] - 45)
             + frame["purpose"].map({"car": -0.2, "home": -0.4, "education": 0.1, "business": 0.5, "other": 0.2})
             + frame["housing"].map({"rent": 0.25, "own": -0.2, "mortgage": -0.1}))
    frame["p_true"] = 1 / (1 + np.exp(-logit))
    frame["label"] = (rng.random(n) < frame["p_true"]).astype(int)
    return frame


GEN_FEATURES = [
    Feature("income", "numeric", "Gross annual income", -1),
    Feature("monthly_debt", "numeric", "Monthly debt payments", 1),
    Feature("requested_amount", "numeric", "Requested loan amount", 1),
    Feature("employment_years", "numeric", "Years with the current employer (empty if none)", -1),
    Feature("inquiries_6m", "numeric", "Credit inquiries in the last 6 months", 1),
    Feature("purpose", "categorical", "Purpose of the loan", categories=PURPOSES),
    Feature("housing", "categorical", "Housing status", categories=HOUSING),
]


def _fit(kind: str, train: pd.DataFrame, features: list[Feature], seed: int = 0, c: float = 1.0) -> Pipeline:
    numeric = [f.name for f in features if f.type == "numeric"]
    categorical = [f.name for f in features if f.type == "categorical"]
    model = _pipeline(kind, numeric, categorical, seed, c)
    model.fit(_object_cats(train, categorical)[numeric + categorical], train["label"].to_numpy())
    return model


def _save_model(folder: Path, model_id: str, model: Pipeline, card: dict[str, Any]) -> None:
    mdir = folder / "models" / model_id
    mdir.mkdir(parents=True, exist_ok=True)
    skops.io.dump(model, mdir / "model.skops")
    _write_yaml(mdir / "card.yaml", card)


def _business(path: Path, currency: str, **sections: dict[str, Any]) -> Path:
    """A business.toml as a lender would write it (only the keys they change)."""
    lines = ["# this lender's business assumptions", "[money]", f'currency = "{currency}"', ""]
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {v!r}" for k, v in values.items()]
        lines.append("")
    path.write_text("\n".join(lines), "utf-8")
    return path


# --------------------------------------------------------------------------- portfolios
def build_german(folder: Path, store: Path) -> Portfolio:
    """The real UCI German credit table: `Default` = 1 means GOOD, so label = 1 - Default."""
    rng = np.random.default_rng(101)
    raw = pd.read_csv(GERMAN_CSV)
    table = raw.rename(columns=lambda c: re.sub(r"[^0-9a-zA-Z]+", "_", c.strip()).strip("_").lower())
    table["label"] = 1 - table["default"].astype(int)           # bad = Default 0
    cats = {c: tuple(sorted(table[c].dropna().astype(str).unique()))
            for c in ("housing", "saving_accounts", "checking_account", "purpose")}
    features = [Feature("credit_amount", "numeric", "Credit amount", 1),
                Feature("duration", "numeric", "Duration in months", 1),
                Feature("job", "numeric", "Job skill level 0-3", -1),
                *[Feature(c, "categorical", c.replace("_", " "), categories=v) for c, v in cats.items()]]
    names = [f.name for f in features]
    categorical = [f.name for f in features if f.type == "categorical"]
    order = rng.permutation(len(table))
    train = _object_cats(table.iloc[order[:500]].reset_index(drop=True), categorical)
    hold = _object_cats(table.iloc[order[500:]].reset_index(drop=True), categorical)
    champion = _fit("logit", train, features, c=0.5)
    challenger = _fit("gbc", train, features, seed=3)
    n = 3000
    pick = rng.integers(0, len(hold), n)
    apps = hold.iloc[pick].reset_index(drop=True)
    apps["timestamp"] = _timestamps(rng, n, "2025-01-01", 8).to_numpy()
    apps["application_id"] = [f"DE-{i:05d}" for i in range(n)]
    cutoff = 0.4
    s_champ, s_chal = _score(champion, apps, names), _score(challenger, apps, names)
    decision = _decide(s_champ, cutoff, None)
    window = ("2019-01-01", "2019-12-31")
    for mid, role, model, algo in (
            ("de_logit", "champion", champion, "LogisticRegression in a Pipeline"),
            ("de_gbc", "challenger", challenger, "GradientBoostingClassifier in a Pipeline")):
        _save_model(folder, mid, model, _card(mid, role, algo, features, ["sex", "age"], cutoff, window,
                                              _auc(hold["label"].to_numpy(), _score(model, hold, names)), train))
    lat = np.round(rng.lognormal(3.6, 0.25, n), 2)
    cols = [*names, "sex", "age"]
    logs = pd.concat([_log_rows(apps, "de_logit", s_champ, decision, cols, lat),
                      _log_rows(apps, "de_gbc", s_chal, None, cols, np.round(lat * 1.3, 2), offset_ms=40)],
                     ignore_index=True)
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    logs.to_csv(folder / "logs" / "predictions.csv", index=False)
    as_of = pd.Timestamp("2025-10-31")
    when = _outcome_times(rng, apps, 60, 300)
    known = (decision == "approve") & (when < as_of).to_numpy()
    outcomes = pd.DataFrame({"application_id": apps["application_id"][known],
                             "outcome_timestamp": _ts_text(when[known]),
                             "label": apps["label"][known].astype(int),
                             "loan_amount": apps["credit_amount"][known].astype(float)})
    outcomes.to_csv(folder / "outcomes.csv", index=False)
    ref = train[[*names, "label"]]
    ref.to_csv(folder / "training.csv", index=False)
    return Portfolio("german", folder, store, "EUR", "de_logit", ["de_logit", "de_gbc"], features,
                     ["sex", "age"], apps, logs, outcomes, ref, folder / "training.csv", None,
                     {"de_logit": (cutoff, None), "de_gbc": (cutoff, None)}, window, True)


def build_alpine(folder: Path, store: Path) -> Portfolio:
    rng = np.random.default_rng(202)
    features = GEN_FEATURES
    names = [f.name for f in features]
    train = _object_cats(_applicants(rng, 5000), ["purpose", "housing"])
    model = _fit("hgb", train, features, seed=1)
    n = 8000
    apps = _applicants(rng, n, timestamps=_timestamps(rng, n, "2024-11-01", 12))
    apps.loc[rng.random(n) < 0.04, "age"] = np.nan               # some applicants declined to give their age
    apps["application_id"] = [f"CH-{i:06d}" for i in range(n)]
    apps = _object_cats(apps, ["purpose", "housing"])
    card_cutoff, cutoff, review_from = 0.3, 0.25, 0.18
    score = _score(model, apps, names)
    decision = _decide(score, cutoff, review_from)
    window = ("2022-01-01", "2023-12-31")
    _save_model(folder, "ch_hgb", model, _card("ch_hgb", "champion", "HistGradientBoostingClassifier in a Pipeline",
                                                features, ["sex", "age"], card_cutoff, window,
                                                _auc(train["label"].to_numpy(), _score(model, train, names)), train))
    lat = np.round(rng.lognormal(3.2, 0.6, n), 2)                 # heavy-tailed latency
    logs = _log_rows(apps, "ch_hgb", score, decision, [*names, "sex", "age"], lat)
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    month = pd.to_datetime(logs["timestamp"]).dt.strftime("%Y-%m")
    for m, part in logs.groupby(month):
        part.to_parquet(folder / "logs" / f"scores-{m}.parquet", index=False)
    as_of = pd.Timestamp("2025-11-15")
    when = _outcome_times(rng, apps, 90, 360)
    known = (decision == "approve") & (when < as_of).to_numpy()
    sub = apps[known]
    loss = np.where(sub["label"] == 1, np.round(sub["requested_amount"] * rng.uniform(0.2, 0.9, len(sub)), 2), 0.0)
    recovered = (sub["label"].to_numpy() == 1) & (rng.random(len(sub)) < 0.15)
    loss[recovered] = 0.0                                         # fully recovered defaults: a real 0
    outcomes = pd.DataFrame({"application_id": sub["application_id"], "outcome_timestamp": _ts_text(when[known]),
                             "label": sub["label"].astype(int), "loan_amount": sub["requested_amount"].astype(float),
                             "loss_amount": loss})
    outcomes.to_parquet(folder / "outcomes.parquet", index=False)
    ref = train[[*names, "label"]]
    ref.to_parquet(folder / "training.parquet", index=False)
    toml = _business(folder / "business.toml", "CHF",
                     loan={"average_amount": 18000.0, "interest_margin": 0.05, "average_term_years": 4.0,
                           "loss_given_default": 0.6},
                     review={"minutes_per_review": 30.0, "cost_per_review": 40.0, "approval_share": 0.5},
                     baseline={"cutoff": 0.15}, capital={"available": 20000000.0},
                     fairness={"min_group_size": 30})
    return Portfolio("alpine", folder, store, "CHF", "ch_hgb", ["ch_hgb"], features, ["sex", "age"], apps, logs,
                     outcomes, ref, folder / "training.parquet", toml, {"ch_hgb": (cutoff, review_from)}, window,
                     True, {"card_cutoff": card_cutoff, "policy_effective": dt.datetime(2024, 10, 1)})


CHANNELS = ("branch", "online", "broker")


def _capped(frame: pd.DataFrame) -> pd.DataFrame:
    """This lender's application form caps the declared values (so no score leaves the band)."""
    frame["requested_amount"] = frame["requested_amount"].clip(upper=60_000)
    frame["monthly_debt"] = frame["monthly_debt"].clip(upper=2_500)
    frame["inquiries_6m"] = frame["inquiries_6m"].clip(upper=5)
    frame["income"] = frame["income"].clip(15_000, 150_000)
    return frame


def build_vistula(folder: Path, store: Path) -> Portfolio:
    rng = np.random.default_rng(303)
    features = [*GEN_FEATURES, Feature("channel", "categorical", "Sales channel", categories=CHANNELS)]
    names = [f.name for f in features]
    train = _capped(_applicants(rng, 4000, timestamps=_timestamps(rng, 4000, "2024-01-01", 6)))
    train["channel"] = rng.choice(CHANNELS, len(train))
    train["birth_year"] = (2024 - train["age"]).astype(int)
    # Labels with a base rate near a third and a weak signal: the regularised model's scores
    # all land in a narrow band.
    train["label"] = (rng.random(len(train)) < 0.30 + 0.2 * train["p_true"]).astype(int)
    train = _object_cats(train, ["purpose", "housing", "channel"])
    model = _fit("logit", train, features, c=0.0007)
    n = 6000
    apps = _capped(_applicants(rng, n, timestamps=_timestamps(rng, n, "2024-09-01", 10)))
    apps["channel"] = rng.choice(CHANNELS, n)
    late = pd.to_datetime(apps["timestamp"]) >= pd.Timestamp("2025-03-01")
    apps.loc[late & (rng.random(n) < 0.3), "channel"] = "partner_api"   # unseen at registration
    apps["birth_year"] = (2025 - apps["age"]).astype(int)
    apps["label"] = (rng.random(n) < 0.30 + 0.2 * apps["p_true"]).astype(int)
    apps["application_id"] = [f"PL-{i:06d}" for i in range(n)]
    apps = _object_cats(apps, ["purpose", "housing", "channel"])
    score = _score(model, apps, names)
    cutoff = 0.325
    decision = _decide(score, cutoff, None)
    window = ("2021-01-01", "2022-12-31")     # the card's window: NOT the reference file's dates
    _save_model(folder, "pl_logit", model, _card("pl_logit", "champion", "LogisticRegression (C=0.0007) in a Pipeline",
                                                  features, ["birth_year", "sex"], cutoff, window,
                                                  _auc(train["label"].to_numpy(), _score(model, train, names)), train))
    logs = _log_rows(apps, "pl_logit", score, decision, [*names, "birth_year", "sex"], None)
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    logs.to_json(folder / "logs" / "predictions.jsonl", orient="records", lines=True)
    as_of = pd.Timestamp("2025-09-30")
    when = _outcome_times(rng, apps, 60, 300)
    known = (decision == "approve") & (when < as_of).to_numpy()
    sub = apps[known]
    loss = np.where(sub["label"] == 1, np.round(sub["requested_amount"] * rng.uniform(0.3, 0.8, len(sub)), 2), 0.0)
    outcomes = pd.DataFrame({"application_id": sub["application_id"], "outcome_timestamp": _ts_text(when[known]),
                             "label": sub["label"].astype(int), "loss_amount": loss})
    outcomes.to_csv(folder / "outcomes.csv", index=False)
    ref = train[["timestamp", *names, "birth_year", "label"]].copy()
    ref["timestamp"] = _ts_text(ref["timestamp"])
    ref.to_csv(folder / "reference_2024H1.csv", index=False)
    toml = _business(folder / "business.toml", "PLN",
                     loan={"average_amount": 45000.0, "interest_margin": 0.08, "average_term_years": 2.0,
                           "loss_given_default": 0.5},
                     baseline={"cutoff": 0.315}, capital={"available": 900000000.0})
    return Portfolio("vistula", folder, store, "PLN", "pl_logit", ["pl_logit"], features, ["birth_year", "sex"], apps,
                     logs, outcomes, ref, folder / "reference_2024H1.csv", toml, {"pl_logit": (cutoff, None)}, window,
                     False)


def build_prairie(folder: Path, store: Path) -> Portfolio:
    rng = np.random.default_rng(404)
    features = GEN_FEATURES
    names = [f.name for f in features]
    train = _object_cats(_applicants(rng, 4000), ["purpose", "housing"])
    champion = _fit("hgb", train, features, seed=2)
    challenger = _fit("logit", train, features)
    n = 10000
    apps = _applicants(rng, n, timestamps=_timestamps(rng, n, "2024-06-01", 14))
    apps["sex"] = np.where(rng.random(n) < 0.0015, "x", apps["sex"])   # a group far below the minimum size
    apps["application_id"] = [f"US-{i:06d}" for i in range(n)]
    apps = _object_cats(apps, ["purpose", "housing"])
    cutoff = 0.22
    s_champ, s_chal = _score(champion, apps, names), _score(challenger, apps, names)
    decision = _decide(s_champ, cutoff, None)
    window = ("2022-06-01", "2024-05-31")
    protected: list[Any] = ["sex", {"name": "age", "bands": [30, 45, 60]}]
    for mid, role, model, algo in (
            ("us_hgb", "champion", champion, "HistGradientBoostingClassifier in a Pipeline"),
            ("us_logit", "challenger", challenger, "LogisticRegression in a Pipeline")):
        _save_model(folder, mid, model, _card(mid, role, algo, features, protected, cutoff, window,
                                              _auc(train["label"].to_numpy(), _score(model, train, names)), train))
    cols = [*names, "sex", "age"]
    logs = pd.concat([_log_rows(apps, "us_hgb", s_champ, decision, cols, None),
                      _log_rows(apps, "us_logit", s_chal, None, cols, None, offset_ms=15)], ignore_index=True)
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    logs.to_parquet(folder / "logs" / "predictions.parquet", index=False)
    as_of = pd.Timestamp("2025-10-31")
    when = _outcome_times(rng, apps, 90, 400)
    known = (decision == "approve") & (when < as_of).to_numpy()
    sub = apps[known]
    first = pd.DataFrame({"application_id": sub["application_id"], "outcome_timestamp": _ts_text(when[known]),
                          "label": sub["label"].astype(int)})
    # Corrections: a later outcome row turns some goods into defaults; the latest row counts.
    fix = sub[(sub["label"] == 0).to_numpy() & (rng.random(len(sub)) < 0.03)]
    later = pd.DataFrame({"application_id": fix["application_id"],
                          "outcome_timestamp": _ts_text(when[known][fix.index] + pd.Timedelta(days=20)),
                          "label": 1})
    outcomes = pd.concat([first, later], ignore_index=True)
    outcomes.to_parquet(folder / "outcomes.parquet", index=False)
    ref = train[[*names, "label"]]
    ref.to_parquet(folder / "training.parquet", index=False)
    toml = _business(folder / "business.toml", "USD",
                     loan={"average_amount": 9000.0, "interest_margin": 0.07, "average_term_years": 3.0,
                           "loss_given_default": 0.45},
                     review={"approval_share": 0.4}, baseline={"cutoff": 0.12},
                     capital={"available": 400000000.0}, fairness={"min_group_size": 50})
    return Portfolio("prairie", folder, store, "USD", "us_hgb", ["us_hgb", "us_logit"], features, protected, apps,
                     logs, outcomes, ref, folder / "training.parquet", toml,
                     {"us_hgb": (cutoff, None), "us_logit": (cutoff, None)}, window, False)


def build_thames(folder: Path, store: Path) -> Portfolio:
    rng = np.random.default_rng(505)
    features = GEN_FEATURES
    names = [f.name for f in features]
    train = _object_cats(_applicants(rng, 5000, heavy="pareto"), ["purpose", "housing"])
    model = _fit("gbc", train, features, seed=5)
    n = 10000
    apps = _applicants(rng, n, heavy="pareto", drift_from=5, timestamps=_timestamps(rng, n, "2025-01-01", 9))
    apps["application_id"] = [f"UK-{i:06d}" for i in range(n)]
    apps = _object_cats(apps, ["purpose", "housing"])
    cutoff = 0.18
    score = _score(model, apps, names)
    decision = _decide(score, cutoff, None)
    window = ("2023-01-01", "2024-12-31")
    _save_model(folder, "uk_gbc", model, _card("uk_gbc", "champion", "GradientBoostingClassifier in a Pipeline",
                                                features, ["sex", "age"], cutoff, window,
                                                _auc(train["label"].to_numpy(), _score(model, train, names)), train))
    lat = np.round(rng.lognormal(3.8, 0.35, n), 1)
    logs = _log_rows(apps, "uk_gbc", score, decision, [*names, "sex", "age"], lat)
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    month = pd.to_datetime(logs["timestamp"]).dt.strftime("%Y-%m")
    for m, part in logs.groupby(month):
        part.to_csv(folder / "logs" / f"scores-{m}.csv", index=False)
    as_of = pd.Timestamp("2025-12-31")
    when = _outcome_times(rng, apps, 60, 330)
    known = (decision == "approve") & (when < as_of).to_numpy() & (rng.random(n) < 0.8)  # some never reported
    sub = apps[known]
    amount = sub["requested_amount"].astype(float).where(rng.random(len(sub)) > 0.25)   # 25% without amount
    loss = pd.Series(np.where(sub["label"] == 1, np.round(sub["requested_amount"] * 0.55, 2), 0.0), index=sub.index)
    loss = loss.where(rng.random(len(sub)) > 0.4)                                         # 40% without loss
    outcomes = pd.DataFrame({"application_id": sub["application_id"], "outcome_timestamp": _ts_text(when[known]),
                             "label": sub["label"].astype(int), "loan_amount": amount, "loss_amount": loss})
    outcomes.to_csv(folder / "outcomes.csv", index=False)
    ref = train[[*names, "label"]]
    ref.to_csv(folder / "training.csv", index=False)
    toml = _business(folder / "business.toml", "GBP",
                     loan={"average_amount": 7500.0, "interest_margin": 0.09, "average_term_years": 2.5,
                           "loss_given_default": 0.65},
                     baseline={"cutoff": 0.2}, capital={"available": 150000000.0})
    return Portfolio("thames", folder, store, "GBP", "uk_gbc", ["uk_gbc"], features, ["sex", "age"], apps, logs,
                     outcomes, ref, folder / "training.csv", toml, {"uk_gbc": (cutoff, None)}, window, True)


BUILDERS: dict[str, Callable[[Path, Path], Portfolio]] = {
    "german": build_german, "alpine": build_alpine, "vistula": build_vistula,
    "prairie": build_prairie, "thames": build_thames,
}


# --------------------------------------------------------------------------- through the CLI
@contextmanager
def lender_env(p: Portfolio) -> Iterator[None]:
    """The environment a lender's shell would have: their business.toml, if they brought one.
    Every variable it sets or removes is restored on the way out (a MonkeyPatch undone)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DASHBOARD_BUSINESS_CONFIG", raising=False)
        for key, value in p.env().items():
            patch.setenv(key, value)
        yield


def cli(store: Path, *args: str) -> tuple[int, str, str]:
    """Run `dashboard --store STORE ARGS...` in-process; (exit code, stdout, stderr)."""
    import contextlib
    import io

    from dashboard.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--store", str(store), *args])
        except SystemExit as exc:          # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return int(code), out.getvalue(), err.getvalue()


def ingest(p: Portfolio) -> None:
    """Register every model and ingest the logs as the README's "Bring your own model" says."""
    with lender_env(p):
        for mid in p.models:
            args = ["register-model", str(p.folder / "models" / mid / "card.yaml"),
                    "--artifact", str(p.folder / "models" / mid / "model.skops")]
            if p.reference_file is not None:
                args += ["--reference", str(p.reference_file)]
            code, out, err = cli(p.store, *args)
            assert code == 0, f"{p.name}: register-model {mid} exited {code}: {err or out}"
        if p.name == "alpine":
            # The risk manager applies a cutoff with a review band on the Thresholds page
            # (the page's own services call), in force before the first logged decision.
            from dashboard.services.policy import apply_policy
            from dashboard.store import Store
            cutoff, review_from = p.policy[p.champion]
            apply_policy(Store(p.store), p.champion, cutoff, review_from, "review band for borderline scores",
                         actor="risk@example.com", effective_at=p.notes["policy_effective"], role="data_scientist")
        logs = sorted(str(f) for f in (p.folder / "logs").iterdir())
        code, out, err = cli(p.store, "ingest", "predictions", *logs)
        assert code == 0, f"{p.name}: ingest predictions exited {code}: {err or out}"
        outcome_file = next(f for f in p.folder.iterdir() if f.name.startswith("outcomes."))
        code, out, err = cli(p.store, "ingest", "outcomes", str(outcome_file))
        assert code == 0, f"{p.name}: ingest outcomes exited {code}: {err or out}"


def build(name: str, root: Path) -> Portfolio:
    folder = root / name / "lender"
    store = root / name / "store"
    folder.mkdir(parents=True, exist_ok=True)
    p = BUILDERS[name](folder, store)
    ingest(p)
    return p
