"""Histograms counted in numpy from Arrow columns: the features and latency rollups.

One bincount per feature and day range instead of a GROUP BY: the bins come from Python
(reference bins, sub-bins and positions), so counting beside them is the cheapest way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.analytics.binning import (
    NULL_BIN,
    assign_feature_bins,
    assign_feature_positions,
    feature_cell_starts,
    feature_cells,
    latency_bin,
)

Positions = tuple[np.ndarray, np.ndarray, np.ndarray]  # bin, sub-bin, position per row


def arrow_table(result: Any) -> pa.Table:
    """A DuckDB result (a table or a record batch reader) as one Arrow table."""
    return result.read_all() if hasattr(result, "read_all") else result


def feature_bin_index(column: pa.ChunkedArray, spec: dict[str, Any]) -> np.ndarray:
    """`assign_feature_bins` on an Arrow column, with Arrow kernels (no Python objects)."""
    if spec["type"] == "numeric":
        values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        values = np.where(pc.is_null(column).to_numpy(zero_copy_only=False), np.nan, values)
        return assign_feature_bins(values, spec)
    cats = pa.array(spec["categories"], pa.string())
    text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
    index = pc.index_in(text, value_set=cats).to_numpy(zero_copy_only=False)  # null: missing or unseen
    idx = np.where(np.isnan(index.astype(float)), len(cats), index).astype(np.int32)
    idx[pc.is_null(text).to_numpy(zero_copy_only=False)] = NULL_BIN
    return idx


def feature_positions(column: pa.ChunkedArray, spec: dict[str, Any]) -> Positions:
    """Bin, sub-bin and position per row (`assign_feature_positions`; categorical: the
    category's bin, sub-bin 0 and position 0), with Arrow kernels (no Python objects)."""
    if spec["type"] == "numeric":
        values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        values = np.where(pc.is_null(column).to_numpy(zero_copy_only=False), np.nan, values)
        return assign_feature_positions(values, spec)
    idx = feature_bin_index(column, spec)
    return idx, np.zeros(len(idx), dtype=np.int16), np.zeros(len(idx), dtype=np.int64)


def _day_codes(dates: pa.ChunkedArray) -> tuple[np.ndarray, int, int]:
    days = dates.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    first = int(days.min())
    return days - first, int(days.max()) - first + 1, first


def count_latency(model_id: str, table: pa.Table) -> pa.Table:
    """The latency rollup of rows with (date, latency_ms): counts per (date, latency bin)."""
    bins = latency_bin(table.column("latency_ms").to_numpy())
    day_codes, n_days, first = _day_codes(table.column("date"))
    low = int(bins.min())  # latency bins start at 10,000: count from the lowest one
    idx = bins.astype(np.int64) - low
    width = int(idx.max()) + 1
    counts = np.bincount(day_codes * width + idx, minlength=n_days * width)
    nz = np.flatnonzero(counts)
    out = pa.table({"model_id": pa.array(np.full(len(nz), model_id, dtype=object), pa.string()),
                    "date": pa.array((nz // width + first).astype(np.int32), pa.int32()).cast(pa.date32()),
                    "bin": pa.array((nz % width + low).astype(np.int32), pa.int32()),
                    "n": pa.array(counts[nz].astype(np.int64), pa.int64())})
    return out.sort_by([("date", "ascending"), ("bin", "ascending")])


def count_features(model_id: str, dates: pa.ChunkedArray, bins: dict[str, Any],
                   positions_of: dict[str, Positions]) -> pa.Table:
    """Rows and summed positions per (date, feature, bin, sub-bin), sorted so; one bincount per feature.

    Each (bin, sub) of a feature gets a dense code (`feature_cell_starts`), so a day's cells
    are counted with one bincount. Position sums are sums of integers up to 256 per row: exact
    in float64 (under 2**53) for fewer than 2**32 rows a day, so they are exact integers.
    """
    day_codes, n_days, first = _day_codes(dates)
    cols: dict[str, list[np.ndarray]] = {"date": [], "feature": [], "bin": [], "sub": [], "n": [], "pos_sum": []}
    for name in sorted(positions_of):
        bin_idx, subs, pos = positions_of[name]
        starts = feature_cell_starts(bins[name])
        width = int(starts[-1])
        cell = starts[bin_idx.astype(np.int64) + 1] + subs.astype(np.int64)  # NULL_BIN -1 -> the first code
        key = day_codes * width + cell
        counts = np.bincount(key, minlength=n_days * width)
        sums = np.bincount(key, weights=pos.astype(np.float64), minlength=n_days * width)
        nz = np.flatnonzero(counts)
        cell_bin, cell_sub = feature_cells(bins[name], nz % width)
        cols["date"].append(nz // width + first)
        cols["feature"].append(np.full(len(nz), name, dtype=object))
        cols["bin"].append(cell_bin)
        cols["sub"].append(cell_sub)
        cols["n"].append(counts[nz])
        cols["pos_sum"].append(sums[nz].astype(np.int64))
    total = sum(len(x) for x in cols["n"])
    table = pa.table({"model_id": pa.array(np.full(total, model_id, dtype=object), pa.string()),
                      "date": pa.array(np.concatenate(cols["date"]).astype(np.int32), pa.int32()).cast(pa.date32()),
                      "feature": pa.array(np.concatenate(cols["feature"]), pa.string()),
                      "bin": pa.array(np.concatenate(cols["bin"]).astype(np.int32), pa.int32()),
                      "sub": pa.array(np.concatenate(cols["sub"]).astype(np.int16), pa.int16()),
                      "n": pa.array(np.concatenate(cols["n"]).astype(np.int64), pa.int64()),
                      "pos_sum": pa.array(np.concatenate(cols["pos_sum"]).astype(np.int64), pa.int64())})
    return table.sort_by([("date", "ascending"), ("feature", "ascending"), ("bin", "ascending"),
                          ("sub", "ascending")])
