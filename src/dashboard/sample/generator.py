"""A synthetic but realistic credit portfolio, deterministic by seed.

The story it tells (documented in data/sample/README.md):
- 18 months of applications scored by a champion and two challengers in shadow;
- the champion's score against the policy cutoff decides; outcomes arrive 3 to 12 months
  later and only for approved loans;
- a data drift begins in month DATA_DRIFT_MONTH (incomes fall, utilisation, inquiries and
  debt consolidation rise) and a concept drift in month CONCEPT_DRIFT_MONTH (the same
  applicant defaults more often: the risk curve itself moves).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from dashboard.models.card import ModelCard, parse_card
from dashboard.sample.personal import PERSONAL_COLUMNS, add_personal_columns, draw_personal

START = dt.date(2025, 5, 1)
MONTHS = 18
DATA_DRIFT_MONTH = 10      # 1-based: 2026-02
CONCEPT_DRIFT_MONTH = 12   # 1-based: 2026-04
DEFAULT_APPLICATIONS = 90_000
TRAINING_ROWS = 30_000
MIN_DELAY_DAYS, MAX_DELAY_DAYS = 91, 365

CATEGORIES: dict[str, list[str]] = {
    "home_ownership": ["rent", "mortgage", "own", "other"],
    "loan_purpose": ["debt_consolidation", "car", "home_improvement", "education", "business", "medical", "other"],
    "employment_type": ["salaried", "self_employed", "contract", "retired", "unemployed"],
    "region": ["north", "south", "east", "west", "central"],
    "has_cosigner": ["no", "yes"],
}
SEXES = ["female", "male"]
AGE_BANDS = ["18-25", "26-35", "36-45", "46-55", "56-65", "66+"]

# name, type, description, reason template, actionable, min, max, direction (+1: riskier when higher)
FEATURES: list[tuple[str, str, str, str, bool, float | None, float | None, int | None]] = [
    ("annual_income", "numeric", "Gross annual income in EUR", "Annual income of {value}", True, 0, 1_000_000, -1),
    ("debt_to_income", "numeric", "Monthly debt payments over monthly income", "Debt-to-income ratio of {value}", True, 0, 1.5, 1),
    ("loan_amount", "numeric", "Requested loan amount in EUR", "Requested amount of {value}", True, 500, 100_000, 1),
    ("loan_term_months", "numeric", "Requested term in months", "Loan term of {value} months", True, 6, 84, 1),
    ("employment_years", "numeric", "Years with the current employer (missing if not employed)", "Time with current employer of {value} years", False, 0, 50, -1),
    ("credit_history_months", "numeric", "Age of the oldest credit line in months", "Credit history of {value} months", False, 0, 720, -1),
    ("open_accounts", "numeric", "Number of open credit accounts", "{value} open credit accounts", False, 0, 60, 0),
    ("delinquencies_2y", "numeric", "Payments 30+ days late in the last 2 years", "{value} late payments in the last 2 years", False, 0, 30, 1),
    ("credit_utilization", "numeric", "Revolving balance over revolving limit", "Credit card utilisation of {value}", True, 0, 1.5, 1),
    ("inquiries_6m", "numeric", "Credit inquiries in the last 6 months", "{value} credit inquiries in the last 6 months", False, 0, 30, 1),
    ("savings_balance", "numeric", "Savings declared in EUR (missing if not declared)", "Savings of {value}", True, 0, 1_000_000, -1),
    ("months_at_address", "numeric", "Months at the current address", "{value} months at the current address", False, 0, 720, -1),
    ("existing_loans", "numeric", "Number of other instalment loans", "{value} other instalment loans", False, 0, 20, 1),
    ("home_ownership", "categorical", "Housing status", "Housing status: {value}", False, None, None, None),
    ("loan_purpose", "categorical", "Stated purpose of the loan", "Loan purpose: {value}", False, None, None, None),
    ("employment_type", "categorical", "Type of employment", "Employment type: {value}", False, None, None, None),
    ("region", "categorical", "Region of residence", "Region: {value}", False, None, None, None),
    ("has_cosigner", "categorical", "Whether a co-signer guarantees the loan", "Co-signer: {value}", True, None, None, None),
]
FEATURE_NAMES = [f[0] for f in FEATURES]
NUMERIC = [f[0] for f in FEATURES if f[1] == "numeric"]
CATEGORICAL = [f[0] for f in FEATURES if f[1] == "categorical"]
PROTECTED = ["sex", "age_band"]


@dataclass
class Portfolio:
    """Everything `dashboard sample` writes: logs, outcomes, models, cards, training data."""

    predictions: dict[str, pd.DataFrame]
    outcomes: pd.DataFrame
    training: pd.DataFrame
    models: dict[str, Any]
    cards: dict[str, ModelCard]
    manifest: dict[str, Any] = field(default_factory=dict)


def _month_index(timestamps: pd.Series | pd.DatetimeIndex, start: dt.date = START) -> np.ndarray:
    ts = pd.DatetimeIndex(timestamps)
    return np.asarray((ts.year - start.year) * 12 + (ts.month - start.month) + 1)


def draw_applicants(rng: np.random.Generator, n: int, month: np.ndarray | None = None) -> pd.DataFrame:
    """Applicant features and protected attributes; `month` (1-based) switches on the data drift."""
    drifted = np.zeros(n, dtype=bool) if month is None else month >= DATA_DRIFT_MONTH
    age = np.clip(rng.gamma(7.0, 5.6, n) + 16, 18, 85)
    sex = rng.choice(SEXES, n, p=[0.46, 0.54])
    income = np.exp(rng.normal(10.55 + 0.012 * np.minimum(age - 18, 30), 0.45, n))
    income *= np.where(sex == "female", 0.93, 1.0) * np.where(drifted, 0.9, 1.0)
    history = np.clip((age - 18) * 12 * rng.uniform(0.3, 1.0, n), 0, 720)
    emp_type = np.where(age > 64, rng.choice(["retired", "salaried"], n, p=[0.8, 0.2]),
                        rng.choice(CATEGORIES["employment_type"], n, p=[0.62, 0.15, 0.14, 0.01, 0.08]))
    emp_years = np.clip(rng.exponential(4 + 0.12 * (age - 18), n), 0, age - 17)
    emp_years = np.where(np.isin(emp_type, ["unemployed", "retired"]), np.nan, emp_years)
    emp_years = np.where(rng.random(n) < 0.04, np.nan, emp_years)  # not declared
    purpose_p = np.array([0.34, 0.2, 0.14, 0.08, 0.08, 0.06, 0.10])
    purpose_drift = np.array([0.46, 0.16, 0.10, 0.07, 0.07, 0.06, 0.08])
    purpose = np.where(drifted, rng.choice(CATEGORIES["loan_purpose"], n, p=purpose_drift),
                       rng.choice(CATEGORIES["loan_purpose"], n, p=purpose_p))
    amount = np.round(np.clip(income * rng.lognormal(-1.6, 0.55, n), 1_000, 75_000), -2)
    term = rng.choice([12, 24, 36, 48, 60, 72], n, p=[0.08, 0.18, 0.32, 0.18, 0.18, 0.06]).astype(float)
    dti = np.clip(rng.beta(2.2, 5.0, n) * 0.95 + np.where(drifted, 0.03, 0.0), 0, 1.2)
    util = np.clip(rng.beta(2.0, 2.6, n) + np.where(drifted, 0.08, 0.0), 0, 1.3)
    delinq = rng.poisson(np.where(util > 0.8, 0.7, 0.25), n).astype(float)
    inquiries = rng.poisson(np.where(drifted, 1.9, 1.2), n).astype(float)
    open_acc = rng.poisson(4 + history / 80, n).astype(float)
    savings = np.round(income * rng.lognormal(-1.9, 1.1, n), -1)
    savings = np.where(rng.random(n) < 0.15, np.nan, savings)
    home = np.where(age < 28, rng.choice(CATEGORIES["home_ownership"], n, p=[0.72, 0.12, 0.06, 0.10]),
                    rng.choice(CATEGORIES["home_ownership"], n, p=[0.32, 0.42, 0.22, 0.04]))
    at_address = np.clip(rng.exponential(20 + 2.5 * (age - 18), n), 0, (age - 17) * 12).round()
    existing = rng.poisson(0.8, n).astype(float)
    region = rng.choice(CATEGORIES["region"], n, p=[0.22, 0.2, 0.18, 0.2, 0.2])
    cosigner = rng.choice(CATEGORIES["has_cosigner"], n, p=[0.9, 0.1])
    age_band = pd.cut(age, [0, 25.999, 35.999, 45.999, 55.999, 65.999, 200], labels=AGE_BANDS).astype(str)
    return pd.DataFrame({
        "annual_income": np.round(income, -1), "debt_to_income": np.round(dti, 3),
        "loan_amount": amount, "loan_term_months": term, "employment_years": np.round(emp_years, 1),
        "credit_history_months": np.round(history), "open_accounts": open_acc,
        "delinquencies_2y": delinq, "credit_utilization": np.round(util, 3),
        "inquiries_6m": inquiries, "savings_balance": savings, "months_at_address": at_address,
        "existing_loans": existing, "home_ownership": home, "loan_purpose": purpose,
        "employment_type": emp_type, "region": region, "has_cosigner": cosigner,
        "sex": sex, "age_band": age_band,
    })


def true_default_probability(x: pd.DataFrame, month: np.ndarray | None = None) -> np.ndarray:
    """The world's risk: non-linear with interactions; the concept drift raises it."""
    lti = x["loan_amount"] / x["annual_income"]
    dti = x["debt_to_income"].to_numpy()
    util = x["credit_utilization"].to_numpy()
    z = (-1.45
         + 2.4 * (dti - 0.3) + 4.0 * np.maximum(dti - 0.45, 0)
         + 1.3 * (util - 0.5) + 0.9 * (util > 0.9)
         + 0.45 * np.minimum(x["delinquencies_2y"], 4) + 0.12 * x["inquiries_6m"]
         - 0.55 * np.log(x["annual_income"] / 45_000)
         + 1.6 * np.maximum(lti - 0.35, 0)
         + 0.006 * (x["loan_term_months"] - 36)
         - 0.035 * np.minimum(x["employment_years"].fillna(0), 15)
         + 0.35 * x["employment_years"].isna()
         - 0.003 * np.minimum(x["credit_history_months"], 240)
         + 0.12 * np.maximum(x["existing_loans"] - 1, 0)
         - 0.15 * np.log1p(x["savings_balance"].fillna(0) / 1_000) + 0.25 * x["savings_balance"].isna())
    z = z.to_numpy() if hasattr(z, "to_numpy") else z
    z += x["loan_purpose"].map({"business": 0.45, "medical": 0.3, "education": 0.15, "debt_consolidation": 0.2,
                                "car": -0.2, "home_improvement": -0.25, "other": 0.1}).to_numpy()
    z += x["home_ownership"].map({"own": -0.3, "mortgage": -0.15, "rent": 0.1, "other": 0.2}).to_numpy()
    z += x["employment_type"].map({"salaried": -0.1, "self_employed": 0.2, "contract": 0.25,
                                   "retired": 0.0, "unemployed": 0.9}).to_numpy()
    z += -0.6 * (x["has_cosigner"] == "yes").to_numpy()
    # Interactions: thin savings hurt the self-employed more; delinquency on a short history.
    low_savings = (x["savings_balance"].fillna(0) < 2_000).to_numpy()
    z += 0.6 * ((x["employment_type"] == "self_employed").to_numpy() & low_savings)
    z += 0.5 * ((x["delinquencies_2y"] > 0).to_numpy() & (x["credit_history_months"] < 36).to_numpy())
    if month is not None:
        shifted = month >= CONCEPT_DRIFT_MONTH
        # Stress: the same utilisation and debt now default more often.
        z = z + shifted * (0.45 + 1.6 * np.maximum(util - 0.5, 0) + 1.5 * np.maximum(dti - 0.35, 0))
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=float)


def _preprocessor(scale: bool) -> ColumnTransformer:
    num_steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median", add_indicator=True))]
    if scale:
        num_steps.append(("scale", StandardScaler()))
    return ColumnTransformer([
        ("num", Pipeline(num_steps), NUMERIC),
        ("cat", OneHotEncoder(handle_unknown="ignore", categories=[CATEGORIES[c] for c in CATEGORICAL]),
         CATEGORICAL),
    ])


MODEL_SPECS: dict[str, dict[str, Any]] = {
    "gbm_champion": {"name": "Gradient-boosted trees", "role": "champion",
                     "algorithm": "sklearn GradientBoostingClassifier (150 trees, depth 3) in a Pipeline"},
    "logit_scorecard": {"name": "Logistic scorecard", "role": "challenger",
                        "algorithm": "sklearn LogisticRegression on standardised and one-hot features"},
    "hgb_challenger": {"name": "Histogram gradient boosting", "role": "challenger",
                       "algorithm": "sklearn HistGradientBoostingClassifier (200 iterations) in a Pipeline"},
}


def train_models(training: pd.DataFrame, seed: int) -> dict[str, Any]:
    x, y = training[FEATURE_NAMES], training["label"].to_numpy()
    models = {
        "gbm_champion": Pipeline([("prep", _preprocessor(scale=False)), ("model", GradientBoostingClassifier(
            n_estimators=150, max_depth=3, learning_rate=0.08, subsample=0.8, random_state=seed))]),
        "logit_scorecard": Pipeline([("prep", _preprocessor(scale=True)),
                                     ("model", LogisticRegression(C=0.5, max_iter=2000))]),
        "hgb_challenger": Pipeline([("prep", _preprocessor(scale=False)), ("model", HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.06, max_leaf_nodes=15, random_state=seed))]),
    }
    for model in models.values():
        model.fit(x, y)
    return models


def build_card(model_id: str, validation_auc: float, cutoff: float, train_start: str, train_end: str,
               training_rows: int = TRAINING_ROWS) -> ModelCard:
    spec = MODEL_SPECS[model_id]
    features = []
    for name, ftype, desc, template, actionable, lo, hi, direction in FEATURES:
        entry: dict[str, Any] = {"name": name, "type": ftype, "description": desc,
                                 "reason_template": template, "actionable": actionable}
        if lo is not None:
            entry["min"], entry["max"] = lo, hi
        if direction is not None:
            entry["direction"] = direction
        if ftype == "categorical":
            entry["categories"] = CATEGORIES[name]
        features.append(entry)
    return parse_card({
        "id": model_id, "name": spec["name"], "version": "1.0.0", "role": spec["role"],
        "algorithm": spec["algorithm"], "owner": "Credit Risk Analytics (risk-models@example.com)",
        "training": {"window": {"start": train_start, "end": train_end},
                     "data": "training.parquet: synthetic development sample, all applicants with 12-month outcome",
                     "rows": training_rows},
        "target": "label = 1 when the borrower is 90+ days past due or charged off within 12 months",
        "features": features, "protected_attributes": PROTECTED, "personal_columns": list(PERSONAL_COLUMNS),
        "validation_metrics": {"auc": round(validation_auc, 4)},
        "intended_use": "Scoring consumer instalment loan applications of EUR 1,000 to 75,000.",
        "limitations": "Synthetic demo model. Not validated for business loans or applicants without credit history.",
        "cutoff": cutoff,
    }, source=model_id)


CHUNKED_ABOVE = 2_000_000   # above this many applications, generate and write chunk by chunk
CHUNK_SIZE = 1_000_000


def _develop(rng: np.random.Generator, seed: int, training_rows: int,
             say: Callable[[str], None]) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, dict[str, Any], float]:
    say("drawing the development sample and training three models")
    training = draw_applicants(rng, training_rows)
    training["label"] = (rng.random(training_rows) < true_default_probability(training)).astype(int)
    holdout = draw_applicants(rng, 10_000)
    holdout_y = (rng.random(len(holdout)) < true_default_probability(holdout)).astype(int)
    models = train_models(training, seed)
    train_scores = models["gbm_champion"].predict_proba(training[FEATURE_NAMES])[:, 1]
    cutoff = float(np.round(np.quantile(train_scores, 0.72), 2))  # about 70% approved before drift
    return training, holdout, holdout_y, models, cutoff


def _period_end() -> dt.date:
    end: dt.date = (pd.Timestamp(START) + pd.DateOffset(months=MONTHS)).date()
    return end


def _timestamps(rng: np.random.Generator, applications: int) -> pd.DatetimeIndex:
    """Application times over the whole period; volume grows about 2% a month (rising density)."""
    span = (pd.Timestamp(_period_end()) - pd.Timestamp(START)).total_seconds()
    u = np.sort(rng.random(applications))
    growth = 0.02 * MONTHS
    frac = np.log1p(u * (np.exp(growth) - 1)) / growth
    ts = pd.to_datetime(pd.Timestamp(START).value + (frac * span * 1e9).astype("int64"))
    return ts.floor("s")


def _score_and_outcomes(rng: np.random.Generator, ts: pd.DatetimeIndex, first_id: int, models: dict[str, Any],
                        cutoff: float, say: Callable[[str], None]
                        ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, np.ndarray]:
    """Applications at times `ts` (ids from `first_id`), every model's log, and the known outcomes."""
    applications = len(ts)
    month = _month_index(ts)
    apps = draw_applicants(rng, applications, month)
    apps.insert(0, "application_id", [f"APP-{i:08d}" for i in range(first_id, first_id + applications)])
    apps.insert(1, "timestamp", ts)
    pd_true = true_default_probability(apps, month)

    say("scoring every application with every model (shadow)")
    x = apps[FEATURE_NAMES]
    scores = {mid: np.round(m.predict_proba(x)[:, 1], 6) for mid, m in models.items()}
    decision = np.where(scores["gbm_champion"] < cutoff, "approve", "decline")
    latency_scale = {"gbm_champion": 3.4, "logit_scorecard": 2.3, "hgb_challenger": 3.0}
    predictions = {}
    for mid, score in scores.items():
        frame = apps.copy()
        frame.insert(0, "prediction_id", [f"{a}-{mid}" for a in apps["application_id"]])
        frame.insert(1, "model_id", mid)
        frame.insert(4, "score", score)
        frame.insert(5, "decision", decision if mid == "gbm_champion" else None)
        frame.insert(6, "latency_ms", np.round(rng.lognormal(latency_scale[mid], 0.35, applications), 1))
        predictions[mid] = frame

    say("drawing outcomes for approved loans (3 to 12 months later)")
    approved = decision == "approve"
    bad = rng.random(applications) < pd_true
    delay = rng.integers(MIN_DELAY_DAYS, MAX_DELAY_DAYS + 1, applications)
    outcome_ts = ts + pd.to_timedelta(delay, unit="D") + pd.to_timedelta(rng.integers(0, 86_400, applications), unit="s")
    as_of = pd.Timestamp(_period_end())
    known = approved & (outcome_ts < as_of)
    lgd = rng.uniform(0.35, 0.75, applications)
    loss = np.where(bad, np.round(apps["loan_amount"].to_numpy() * lgd * (1 - delay / 730), 2), 0.0)
    outcomes = pd.DataFrame({
        "application_id": apps["application_id"].to_numpy()[known],
        "outcome_timestamp": outcome_ts[known],
        "label": bad[known].astype(int),
        "loan_amount": apps["loan_amount"].to_numpy()[known],
        "loss_amount": loss[known],
    }).sort_values("outcome_timestamp", kind="stable").reset_index(drop=True)
    return predictions, outcomes, approved


def _finish(rng: np.random.Generator, seed: int, applications: int, training: pd.DataFrame,
            holdout: pd.DataFrame, holdout_y: np.ndarray, models: dict[str, Any], cutoff: float,
            training_rows: int, outcome_count: int, approval_rate: float
            ) -> tuple[pd.DataFrame, dict[str, ModelCard], dict[str, Any]]:
    """Cards, the dated training sample and the manifest (drawn last, after every application)."""
    train_start, train_end = "2023-01-01", "2024-12-31"
    cards = {}
    for mid, model in models.items():
        auc = roc_auc_score(holdout_y, model.predict_proba(holdout[FEATURE_NAMES])[:, 1])
        cards[mid] = build_card(mid, float(auc), cutoff, train_start, train_end, training_rows)
    training_out = training.copy()
    training_out.insert(0, "timestamp", pd.to_datetime(
        pd.Timestamp(train_start).value + rng.integers(0, 730 * 86_400, training_rows).astype("int64") * 1_000_000_000))
    end = _period_end()
    manifest = {
        "seed": seed, "applications": applications, "start": str(START), "end": str(end), "months": MONTHS,
        "as_of": str(end), "cutoff": cutoff,
        "data_drift_month": str((pd.Timestamp(START) + pd.DateOffset(months=DATA_DRIFT_MONTH - 1)).date())[:7],
        "concept_drift_month": str((pd.Timestamp(START) + pd.DateOffset(months=CONCEPT_DRIFT_MONTH - 1)).date())[:7],
        "champion": "gbm_champion", "challengers": ["logit_scorecard", "hgb_challenger"],
        "outcomes": outcome_count, "approval_rate": approval_rate,
    }
    return training_out, cards, manifest


def generate_portfolio(applications: int = DEFAULT_APPLICATIONS, seed: int = 7,
                       progress: Callable[[str], None] | None = None,
                       training_rows: int = TRAINING_ROWS) -> Portfolio:
    """Generate the whole portfolio; vectorised, so a million applications take about a minute."""
    say = progress or (lambda _msg: None)
    rng = np.random.default_rng(seed)
    training, holdout, holdout_y, models, cutoff = _develop(rng, seed, training_rows, say)
    say(f"drawing {applications:,} applications over {MONTHS} months")
    ts = _timestamps(rng, applications)
    predictions, outcomes, approved = _score_and_outcomes(rng, ts, 1, models, cutoff, say)
    add_personal_columns(predictions, draw_personal(applications, seed))  # own RNG: no other value moves
    training_out, cards, manifest = _finish(rng, seed, applications, training, holdout, holdout_y, models, cutoff,
                                            training_rows, int(len(outcomes)), float(approved.mean()))
    return Portfolio(predictions=predictions, outcomes=outcomes, training=training_out,
                     models=models, cards=cards, manifest=manifest)


def generate_portfolio_chunks(applications: int, seed: int = 7, chunk_size: int = CHUNK_SIZE,
                              progress: Callable[[str], None] | None = None,
                              training_rows: int = TRAINING_ROWS) -> Iterator[Portfolio]:
    """The portfolio as consecutive, time-ordered chunks of about `chunk_size` applications.

    For portfolios too big to hold at once (10M applications x 3 models). Every chunk is
    scored by the same trained models; chunk k draws from its own generator seeded by
    (seed, k), so the result is deterministic but differs from `generate_portfolio`.
    Each yielded Portfolio holds one chunk's logs and outcomes; training, models and cards
    are shared; the manifest of the last chunk describes the whole portfolio.
    """
    say = progress or (lambda _msg: None)
    rng = np.random.default_rng(seed)
    training, holdout, holdout_y, models, cutoff = _develop(rng, seed, training_rows, say)
    say(f"drawing {applications:,} application times over {MONTHS} months")
    ts_all = _timestamps(rng, applications)
    bounds = list(range(0, applications, chunk_size)) + [applications]
    outcome_count, approved_count = 0, 0
    training_out, cards, manifest = _finish(rng, seed, applications, training, holdout, holdout_y, models, cutoff,
                                            training_rows, 0, 0.0)
    for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        say(f"chunk {k + 1}/{len(bounds) - 1}: applications {lo + 1:,} to {hi:,}")
        chunk_rng = np.random.default_rng([seed, k])
        predictions, outcomes, approved = _score_and_outcomes(chunk_rng, ts_all[lo:hi], lo + 1, models, cutoff, say)
        add_personal_columns(predictions, draw_personal(hi - lo, (seed, k)))
        outcome_count += len(outcomes)
        approved_count += int(approved.sum())
        manifest = {**manifest, "outcomes": outcome_count, "approval_rate": approved_count / hi,
                    "chunks": len(bounds) - 1, "chunk_size": chunk_size}
        yield Portfolio(predictions=predictions, outcomes=outcomes, training=training_out,
                        models=models, cards=cards, manifest=manifest)
