"""Explainers: additivity per explainer type, grouping, foreign models with odd features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from dashboard.explain.explainer import ExplainError, Explanation, load_explainer
from dashboard.explain.links import to_margin, to_score
from dashboard.models.card import ModelCard, parse_card

FEATURES = [
    {"name": "Monthly income", "type": "numeric", "min": 0, "max": 50_000, "actionable": True, "direction": -1,
     "reason_template": "Monthly income of {value}", "description": "Net monthly income in EUR"},
    {"name": "Years at job", "type": "numeric", "min": 0, "max": 50, "reason_template": "{value} years at job"},
    {"name": "Home status", "type": "categorical", "categories": ["rent", "own", "with parents"],
     "reason_template": "Home: {value}"},
    {"name": "Purpose of loan", "type": "categorical", "categories": ["car", "tv", "business"],
     "actionable": True, "reason_template": "Purpose: {value}"},
]


def foreign_card(model_id: str = "foreign") -> ModelCard:
    return parse_card({"id": model_id, "name": "Foreign model", "version": "1", "role": "challenger",
                       "algorithm": "test", "owner": "tests", "training": {"data": "inline"},
                       "target": "bad = 1", "features": FEATURES, "protected_attributes": ["Sex"],
                       "cutoff": 0.3})


def foreign_data(n: int = 600, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Spaces in names, text categories, missing values in numbers and text."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(7.8, 0.5, n)
    years = rng.integers(0, 30, n).astype(float)
    home = rng.choice(["rent", "own", "with parents"], n).astype(object)
    purpose = rng.choice(["car", "tv", "business"], n).astype(object)
    years[rng.random(n) < 0.15] = np.nan
    home[rng.random(n) < 0.1] = np.nan
    logit = 1.5 - income / 2500 + 0.8 * (home == "rent") + 0.6 * (purpose == "business") - 0.03 * np.nan_to_num(years)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({"Monthly income": income, "Years at job": years, "Home status": home,
                          "Purpose of loan": purpose, "Sex": rng.choice(["f", "m"], n)})
    return frame, y


def _prep(scale: bool) -> ColumnTransformer:
    num = [("impute", SimpleImputer(strategy="median", add_indicator=True))]
    if scale:
        num.append(("scale", StandardScaler()))
    cat = Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                    ("onehot", OneHotEncoder(handle_unknown="ignore"))])
    return ColumnTransformer([("num", Pipeline(num), ["Monthly income", "Years at job"]),
                              ("cat", cat, ["Home status", "Purpose of loan"])])


FEATURE_NAMES = [f["name"] for f in FEATURES]


def fitted(estimator: object, scale: bool = False) -> Pipeline:
    frame, y = foreign_data()
    model = Pipeline([("prep", _prep(scale)), ("model", estimator)])
    model.fit(frame[FEATURE_NAMES], y)
    return model


MODELS = {
    "tree": lambda: fitted(GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0)),
    "forest": lambda: fitted(RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0)),
    "linear": lambda: fitted(LogisticRegression(max_iter=500), scale=True),
    "agnostic": lambda: fitted(GaussianNB(), scale=True),
}
EXPECTED_KIND = {"tree": "tree", "forest": "tree", "linear": "linear", "agnostic": "model-agnostic"}


# Four trained models and their explainers (about 10 s): the tests that use them are marked slow.
@pytest.fixture(scope="module")
def explainers() -> dict[str, object]:
    frame, _ = foreign_data()
    return {name: load_explainer(make(), foreign_card(), frame) for name, make in MODELS.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_attributions_plus_base_reproduce_the_model_output(explainers: dict, name: str) -> None:
    explainer = explainers[name]
    assert explainer.kind == EXPECTED_KIND[name]
    frame, _ = foreign_data(5 if name == "agnostic" else 40, seed=9)
    explanation = explainer.explain(frame)
    assert isinstance(explanation, Explanation)
    assert list(explanation.values.columns) == FEATURE_NAMES  # raw card features, not one-hot columns
    model_scores = explainer.predict(frame)
    np.testing.assert_allclose(explanation.scores(), model_scores, atol=1e-6)
    np.testing.assert_allclose(explanation.margins(), to_margin(model_scores, explanation.link), atol=1e-5)


@pytest.mark.slow
def test_forest_attributions_are_probabilities_and_boosting_log_odds(explainers: dict) -> None:
    assert explainers["forest"].link == "identity"
    assert explainers["tree"].link == "logit"
    assert explainers["linear"].link == "logit"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tree", "linear", "forest"])
def test_grouped_attributions_equal_the_sum_of_their_columns(explainers: dict, name: str) -> None:
    explainer = explainers[name]
    frame, _ = foreign_data(25, seed=5)
    columns, _ = explainer.explain_outputs(frame)
    grouped = explainer.explain(frame).values
    names = explainer.output_names
    members = {
        "Monthly income": [n for n in names if "Monthly income" in n],
        "Years at job": [n for n in names if "Years at job" in n],  # the value and its missing flag
        "Home status": [n for n in names if "Home status" in n],
        "Purpose of loan": [n for n in names if "Purpose of loan" in n],
    }
    assert len(members["Years at job"]) == 2
    assert len(members["Home status"]) == 4  # three categories and 'missing'
    assert sum(len(v) for v in members.values()) == len(names)
    for raw, cols in members.items():
        idx = [names.index(c) for c in cols]
        np.testing.assert_allclose(grouped[raw].to_numpy(), columns[:, idx].sum(axis=1), atol=1e-12)


@pytest.mark.slow
def test_missing_values_and_unseen_categories_are_explained(explainers: dict) -> None:
    frame = pd.DataFrame({"Monthly income": [np.nan, 1800.0], "Years at job": [None, 3.0],
                          "Home status": [None, "boat"], "Purpose of loan": ["car", None]})
    for explainer in explainers.values():
        explanation = explainer.explain(frame)
        assert np.isfinite(explanation.values.to_numpy()).all()
        np.testing.assert_allclose(explanation.scores(), explainer.predict(frame), atol=1e-6)


def test_a_model_reading_fewer_features_gets_zero_for_the_rest() -> None:
    frame, y = foreign_data()
    model = GradientBoostingClassifier(n_estimators=10, random_state=0).fit(frame[["Monthly income"]], y)
    explainer = load_explainer(model, foreign_card(), frame)
    explanation = explainer.explain(frame.head(5))
    assert list(explanation.values.columns) == FEATURE_NAMES
    assert (explanation.values.drop(columns="Monthly income") == 0).all().all()
    np.testing.assert_allclose(explanation.scores(), explainer.predict(frame.head(5)), atol=1e-6)


@pytest.mark.slow
def test_bad_inputs_give_clear_errors(explainers: dict) -> None:
    with pytest.raises(ExplainError, match="background"):
        load_explainer(MODELS["tree"](), foreign_card(), pd.DataFrame())
    with pytest.raises(ExplainError, match="lacks column"):
        explainers["tree"].explain(pd.DataFrame({"Monthly income": [1.0]}))
    assert explainers["tree"].explain(foreign_data(5)[0].iloc[0:0]).values.empty


def test_link_round_trip() -> None:
    p = np.array([0.01, 0.3, 0.97])
    np.testing.assert_allclose(to_score(to_margin(p, "logit"), "logit"), p)
    np.testing.assert_allclose(to_score(p, "identity"), p)
    with pytest.raises(ValueError):
        to_score(p, "probit")


def test_sample_models_are_explained_exactly(small_store: object) -> None:
    from dashboard.models.artifact import load_model

    for model_id, kind in (("gbm_champion", "tree"), ("logit_scorecard", "linear"), ("hgb_challenger", "tree")):
        card = small_store.load_card(model_id)  # type: ignore[attr-defined]
        reference = small_store.read_reference(model_id)  # type: ignore[attr-defined]
        model = load_model(small_store.read_artifact(model_id))  # type: ignore[attr-defined]
        explainer = load_explainer(model, card, reference)
        assert explainer.kind == kind
        rows = reference.sample(30, random_state=1)
        explanation = explainer.explain(rows)
        assert list(explanation.values.columns) == card.feature_names
        np.testing.assert_allclose(explanation.scores(), explainer.predict(rows), atol=1e-6)
