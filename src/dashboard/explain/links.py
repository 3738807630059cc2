"""The scales attributions are on (log-odds or probability of the bad outcome) and the way
between a scale and the model's score."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

EPS = 1e-9  # scores are kept this far from 0 and 1 before taking log-odds

LINKS = ("logit", "identity")
LINK_LABELS = {"logit": "log-odds of the bad outcome", "identity": "probability of the bad outcome"}


def to_score(margin: float | np.ndarray, link: str) -> np.ndarray:
    """The model's score (probability of the bad outcome) from base + attributions."""
    value = np.asarray(margin, dtype=float)
    if link == "logit":
        return np.asarray(expit(value))
    if link == "identity":
        return value
    raise ValueError(f"unknown link {link!r}; expected one of {', '.join(LINKS)}")


def to_margin(score: float | np.ndarray, link: str) -> np.ndarray:
    """The inverse of `to_score`: a score on the explanation's scale."""
    value = np.asarray(score, dtype=float)
    if link == "logit":
        return np.asarray(logit(np.clip(value, EPS, 1 - EPS)))
    return value
