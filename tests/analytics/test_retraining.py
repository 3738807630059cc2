"""The out-of-time split, the count checks, calibration and the fit: against independent
computations with pandas, numpy, scipy and scikit-learn on the raw rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from dashboard.analytics.paired_metrics import compute_calibration
from dashboard.analytics.retraining import (
    RetrainError,
    check_counts,
    fingerprint_files,
    fingerprint_rows,
    fit_and_validate,
    split_out_of_time,
)


def _rows(per_month: dict[str, int], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for month, n in per_month.items():
        x = rng.normal(size=n)
        y = (rng.random(n) < 1 / (1 + np.exp(-(x * 1.5 - 1.5)))).astype(int)
        frames.append(pd.DataFrame({"application_id": [f"{month}-{i}" for i in range(n)], "month": month,
                                    "label": y, "x": x, "z": rng.normal(size=n)}))
    return pd.concat(frames, ignore_index=True)


def test_the_latest_months_are_held_out_and_never_trained_on() -> None:
    rows = _rows({"2026-01": 400, "2026-02": 300, "2026-03": 200, "2026-04": 100})
    split = split_out_of_time(rows, share=0.25)
    # Independent: walk back from the newest month until a quarter of the rows are held out.
    counts = rows.groupby("month").size().sort_index(ascending=False)
    held = counts.cumsum()
    expected_valid = sorted(counts.index[: int((held < 0.25 * len(rows)).sum()) + 1])
    assert list(split.valid_months) == expected_valid == ["2026-03", "2026-04"]
    assert list(split.train_months) == ["2026-01", "2026-02"]
    assert set(split.train["month"]) == {"2026-01", "2026-02"}
    assert not set(split.train["application_id"]) & set(split.valid["application_id"])
    assert len(split.train) + len(split.valid) == len(rows)
    assert split.disjoint


def test_one_month_cannot_be_split_out_of_time() -> None:
    with pytest.raises(RetrainError, match="at least two"):
        split_out_of_time(_rows({"2026-01": 500}))


def test_too_few_loans_or_bads_are_refused_with_the_numbers() -> None:
    split = split_out_of_time(_rows({"2026-01": 120, "2026-02": 60}))
    with pytest.raises(RetrainError, match=r"training months 2026-01 hold 120 matured loans"):
        check_counts(split)


def test_calibration_matches_an_independent_computation() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0.02, 0.4, 5_000)
    y = (rng.random(5_000) < p * 1.3).astype(int)
    got = compute_calibration(y, p)
    half = norm.ppf(0.975) * np.sqrt((p * (1 - p)).sum())
    assert got["observed"] == y.sum() and got["expected"] == pytest.approx(p.sum())
    assert got["ratio"] == pytest.approx(y.sum() / p.sum())
    assert got["ratio_lo"] == pytest.approx((y.sum() - half) / p.sum())
    assert got["ratio_hi"] == pytest.approx((y.sum() + half) / p.sum())
    assert got["ratio_lo"] > 1.0   # scores that under-predict by 30% are flagged beyond noise


class _Source:
    """A fitted stand-in for the source model: a fixed logistic on x."""

    classes_ = np.array([0, 1])

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        p = 1 / (1 + np.exp(-(frame["x"].to_numpy() - 1.0)))
        return np.column_stack([1 - p, p])


def test_the_fit_sees_only_the_training_months_and_is_validated_on_the_rest() -> None:
    rows = _rows({"2026-01": 1500, "2026-02": 1500, "2026-03": 1000})
    split = split_out_of_time(rows)
    model, val = fit_and_validate(LogisticRegression(), split, ["x", "z"], "src", _Source(), "new", draws=50)
    # The same estimator fitted independently on the training months alone gives the same coefficients.
    alone = LogisticRegression().fit(rows.loc[rows["month"] < "2026-03", ["x", "z"]],
                                     rows.loc[rows["month"] < "2026-03", "label"])
    np.testing.assert_allclose(model.coef_, alone.coef_, rtol=1e-6)
    valid = rows[rows["month"] == "2026-03"]
    table = val.metrics.set_index("model_id")
    assert table.loc["new", "auc"] == pytest.approx(roc_auc_score(valid["label"], alone.predict_proba(valid[["x", "z"]])[:, 1]))
    assert table.loc["src", "auc"] == pytest.approx(roc_auc_score(valid["label"], _Source().predict_proba(valid)[:, 1]))
    assert val.rows == len(valid) and val.bads == valid["label"].sum() and val.months == ("2026-03",)
    assert val.calibration["new"]["observed"] == valid["label"].sum()


def test_a_pipeline_that_cannot_fit_is_refused() -> None:
    rows = _rows({"2026-01": 800, "2026-02": 400})
    rows["x"] = "text"
    with pytest.raises(RetrainError, match="could not be fitted"):
        fit_and_validate(LogisticRegression(), split_out_of_time(rows), ["x"], "src", None, "new", draws=10)


def test_fingerprints_ignore_order_and_see_any_change() -> None:
    rows = _rows({"2026-01": 50})
    a = fingerprint_rows(rows, ["application_id", "label", "x"])
    assert a == fingerprint_rows(rows.sample(frac=1.0, random_state=1), ["application_id", "label", "x"])
    changed = rows.copy()
    changed.loc[3, "label"] = 1 - changed.loc[3, "label"]
    assert a != fingerprint_rows(changed, ["application_id", "label", "x"])
    assert fingerprint_files([("a", 1), ("b", 2)]) == fingerprint_files([("b", 2), ("a", 1)])
    assert fingerprint_files([("a", 1)]) != fingerprint_files([("a", 2)])
