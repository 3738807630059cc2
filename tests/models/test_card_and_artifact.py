"""Model cards are validated with every problem named; skops loading refuses untrusted types."""

from __future__ import annotations

import os

import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer

from dashboard.models.artifact import ArtifactError, dump_model, load_model
from dashboard.models.card import CardError, dump_card_yaml, parse_card, parse_card_yaml

GOOD = {"id": "m1", "name": "M", "version": "1", "role": "champion", "algorithm": "lr", "owner": "o",
        "training": {"window": {"start": "2024-01-01", "end": "2024-12-31"}}, "target": "default",
        "features": [{"name": "income", "type": "numeric", "min": 0, "max": 10}], "cutoff": 0.3}


def test_card_round_trip() -> None:
    card = parse_card(GOOD)
    again = parse_card_yaml(dump_card_yaml(card))
    assert again == card and again.training_window == ("2024-01-01", "2024-12-31")
    assert "description" in " ".join(card.missing_recommended()) or card.missing_recommended()


@pytest.mark.parametrize("change,needle", [
    ({"owner": None}, "owner"),
    ({"role": "boss"}, "role"),
    ({"id": "../etc"}, "not allowed"),
    ({"cutoff": 2}, "cutoff"),
    ({"features": [{"name": "x", "type": "text"}]}, "type"),
    ({"features": [{"name": "x", "type": "numeric", "min": 5, "max": 1}]}, "min"),
    ({"protected_attributes": ["income"]}, "protected"),
    ({"segments": "product"}, "segments must be a list"),
    ({"segments": [{"name": "income", "bands": [5, 1]}]}, r"segments\[0\] \(income\)\.bands: band edges must increase"),
    ({"segments": ["product", "product"]}, "segments listed twice: product"),
])
def test_card_problems_are_named(change: dict[str, object], needle: str) -> None:
    with pytest.raises(CardError, match=needle):
        parse_card({**GOOD, **change})


def test_card_segments_round_trip_and_are_kept_on_ingest() -> None:
    card = parse_card({**GOOD, "protected_attributes": ["sex"],
                       "segments": ["product", {"name": "income", "bands": [2, 5]}, "sex"]})
    assert card.segments == ("product", "income", "sex") and card.segment_bands == {"income": (2.0, 5.0)}
    assert parse_card_yaml(dump_card_yaml(card)) == card
    # income is a feature (kept as a number already); the others are kept as text
    assert card.kept_columns == ["sex", "product"]
    assert "segments" not in parse_card(GOOD).to_dict()


def test_card_yaml_syntax_error() -> None:
    with pytest.raises(CardError, match="YAML"):
        parse_card_yaml("id: [unclosed")


def test_model_round_trip_through_skops() -> None:
    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    loaded = load_model(dump_model(model))
    assert loaded.predict([[3.0]])[0] == 1


def test_untrusted_types_are_refused() -> None:
    malicious = sio.dumps(FunctionTransformer(func=os.system))
    with pytest.raises(ArtifactError, match="untrusted"):
        load_model(malicious)


def test_not_a_skops_file() -> None:
    with pytest.raises(ArtifactError, match="not a skops file"):
        load_model(b"\x80\x04definitely pickle")
