"""Synthetic personal columns (name, national id, address) for the sample portfolio.

They are drawn from their own random stream, so adding them changes no other value of a
portfolio generated with the same seed. Every value is visibly fake: national ids start
with "SYN-" and the streets and towns do not exist together.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

PERSONAL_COLUMNS = ("applicant_name", "national_id", "address")
_STREAM = 0x5EC12E7  # separates this stream from the generator's own

FIRST_NAMES = ("Anna", "Ben", "Chloé", "Daniel", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonas",
               "Kasia", "Liam", "Mila", "Noah", "Olga", "Pavel", "Rosa", "Sami", "Tara", "Umar",
               "Vera", "Wim", "Yara", "Zoe")
LAST_NAMES = ("Andersen", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Horvat", "Ivanova",
              "Jansen", "Kowalski", "Lambert", "Moreau", "Novak", "O'Brien", "Petrov", "Rossi", "Schmidt",
              "Torres", "Usman", "Virtanen", "Weber", "Yilmaz", "Zhang")
STREETS = ("Birch Lane", "Canal Street", "Elm Road", "Harbour Way", "Linden Avenue", "Mill Street",
           "Oak Crescent", "Park Row", "Quarry Hill", "River Walk", "Station Road", "Willow Close")
TOWNS = ("Northby", "Southwick", "Eastford", "Westmere", "Midvale", "Lakeside", "Hillcrest", "Brookton")


def draw_personal(n: int, seed: int | Sequence[int]) -> pd.DataFrame:
    """`n` rows of applicant_name, national_id and address, deterministic by `seed`."""
    rng = np.random.default_rng([*(seed if isinstance(seed, Sequence) else (seed,)), _STREAM])
    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(LAST_NAMES, n)
    digits = rng.integers(0, 1_000_000_000, n)
    number = rng.integers(1, 240, n)
    street = rng.choice(STREETS, n)
    postcode = rng.integers(10_000, 99_999, n)
    town = rng.choice(TOWNS, n)
    return pd.DataFrame({
        "applicant_name": [f"{f} {s}" for f, s in zip(first, last, strict=True)],
        "national_id": [f"SYN-{d:09d}" for d in digits],
        "address": [f"{k} {s}, {p} {t}" for k, s, p, t in zip(number, street, postcode, town, strict=True)],
    })


def add_personal_columns(predictions: dict[str, pd.DataFrame], personal: pd.DataFrame) -> None:
    """Append the same applicants' personal columns to every model's log (row i = application i)."""
    for frame in predictions.values():
        for name in PERSONAL_COLUMNS:
            frame[name] = personal[name].to_numpy()
