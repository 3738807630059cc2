"""Model cards: the documented facts about a model, parsed and validated without I/O."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import yaml

from dashboard.contracts import CARD_ROLES, check_id
from dashboard.errors import DashboardError

FEATURE_TYPES = ("numeric", "categorical")
REQUIRED_FIELDS = (
    "id", "name", "version", "role", "algorithm", "owner", "training", "target", "features",
)
RECOMMENDED_FIELDS = (
    "protected_attributes", "validation_metrics", "intended_use", "limitations", "cutoff",
)
OPTIONAL_FIELDS = ("personal_columns", "segments")


class CardError(DashboardError, ValueError):
    """A model card that cannot be used, with every problem found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    type: str
    description: str = ""
    reason_template: str = ""
    actionable: bool = False
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] = ()
    # +1: higher values raise the risk score; -1: lower it; 0/None: no expectation.
    direction: int | None = None


@dataclass(frozen=True)
class ModelCard:
    id: str
    name: str
    version: str
    role: str
    algorithm: str
    owner: str
    training: dict[str, Any]
    target: str
    features: tuple[FeatureSpec, ...]
    protected_attributes: tuple[str, ...] = ()
    # Band edges of numeric protected attributes declared in the card (name -> edges).
    protected_bands: dict[str, tuple[float, ...]] = field(default_factory=dict)
    personal_columns: tuple[str, ...] = ()
    # Columns whose values split the figures into segments (names, or {name, bands} for a numeric
    # column); empty: the default of analytics/segments.py (protected attributes, categorical features).
    segments: tuple[str, ...] = ()
    segment_bands: dict[str, tuple[float, ...]] = field(default_factory=dict)
    validation_metrics: dict[str, float] = field(default_factory=dict)
    intended_use: str = ""
    limitations: str = ""
    cutoff: float = 0.5
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def feature(self, name: str) -> FeatureSpec:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def kept_columns(self) -> list[str]:
        """Columns besides the features that ingest keeps (as text): protected, personal, segments."""
        features = set(self.feature_names)
        names = (*self.protected_attributes, *self.personal_columns, *self.segments)
        return [n for n in dict.fromkeys(names) if n not in features]

    @property
    def training_window(self) -> tuple[str, str] | None:
        window = self.training.get("window") if isinstance(self.training, dict) else None
        if isinstance(window, dict) and window.get("start") and window.get("end"):
            return str(window["start"]), str(window["end"])
        return None

    def missing_recommended(self) -> list[str]:
        """Card fields a reviewer expects but this card leaves empty."""
        missing = []
        for name in RECOMMENDED_FIELDS:
            if name == "cutoff":
                continue
            if not getattr(self, name):
                missing.append(name)
        for f in self.features:
            if not f.description:
                missing.append(f"features.{f.name}.description")
            if not f.reason_template:
                missing.append(f"features.{f.name}.reason_template")
        # A generated card (a retrained challenger) lists what only a reviewer can fill.
        review = self.extra.get("review")
        if isinstance(review, dict) and isinstance(review.get("missing"), list):
            missing += [str(m) for m in review["missing"]]
        return missing

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        data["features"] = [
            {k: (list(v) if isinstance(v, tuple) else v) for k, v in f.items() if v not in (None, (), "")}
            for f in data["features"]
        ]
        bands = data.pop("protected_bands")
        data["protected_attributes"] = [{"name": p, "bands": list(bands[p])} if p in bands else p
                                        for p in data["protected_attributes"]]
        data["personal_columns"] = list(data["personal_columns"])
        seg_bands = data.pop("segment_bands")
        if data["segments"]:
            data["segments"] = [{"name": p, "bands": list(seg_bands[p])} if p in seg_bands else p
                                for p in data["segments"]]
        else:
            data.pop("segments")
        data.update(extra)
        return data


def _feature_from(raw: Any, index: int, problems: list[str]) -> FeatureSpec | None:
    where = f"features[{index}]"
    if not isinstance(raw, dict):
        problems.append(f"{where} must be a mapping with name and type")
        return None
    name = raw.get("name")
    ftype = raw.get("type")
    if not isinstance(name, str) or not name:
        problems.append(f"{where}.name is missing")
        return None
    if ftype not in FEATURE_TYPES:
        problems.append(f"{where} ({name}).type must be one of {', '.join(FEATURE_TYPES)}, got {ftype!r}")
        return None
    lo, hi = raw.get("min"), raw.get("max")
    for key, val in (("min", lo), ("max", hi)):
        if val is not None and not isinstance(val, (int, float)):
            problems.append(f"{where} ({name}).{key} must be a number, got {val!r}")
            return None
    if lo is not None and hi is not None and lo > hi:
        problems.append(f"{where} ({name}) has min {lo} above max {hi}")
        return None
    direction = raw.get("direction")
    if direction not in (None, -1, 0, 1):
        problems.append(f"{where} ({name}).direction must be -1, 0 or 1")
        return None
    return FeatureSpec(
        name=name,
        type=str(ftype),
        description=str(raw.get("description") or ""),
        reason_template=str(raw.get("reason_template") or ""),
        actionable=bool(raw.get("actionable", False)),
        min=float(lo) if lo is not None else None,
        max=float(hi) if hi is not None else None,
        categories=tuple(str(c) for c in raw.get("categories") or ()),
        direction=direction,
    )


def parse_band_edges(edges: Any, where: str) -> tuple[float, ...]:
    """Band edges of a numeric protected attribute: finite, strictly increasing numbers."""
    if not isinstance(edges, (list, tuple)) or not edges:
        raise ValueError(f"{where}: bands must be a list of increasing numbers, e.g. [25, 35, 45, 55, 65]")
    out = []
    for e in edges:
        if isinstance(e, bool) or not isinstance(e, (int, float)) or not math.isfinite(e):
            raise ValueError(f"{where}: band edge {e!r} is not a number")
        out.append(float(e))
    if any(b <= a for a, b in zip(out, out[1:], strict=False)):
        raise ValueError(f"{where}: band edges must increase, got {out}")
    return tuple(out)


def _protected_from(raw: Any, problems: list[str], key: str = "protected_attributes"
                    ) -> tuple[list[str], dict[str, tuple[float, ...]]]:
    """Names and declared bands: each entry a name, or {name, bands: [edges]} for a numeric column
    (`key`: the card field read, protected_attributes or segments)."""
    if raw in (None, ""):
        return [], {}
    if not isinstance(raw, list):
        problems.append(f"{key} must be a list of names or {{name, bands}} mappings")
        return [], {}
    names: list[str] = []
    bands: dict[str, tuple[float, ...]] = {}
    for i, entry in enumerate(raw):
        where = f"{key}[{i}]"
        if isinstance(entry, dict):
            name = entry.get("name")
            if not isinstance(name, str) or not name:
                problems.append(f"{where}.name is missing")
                continue
            unknown = sorted(set(entry) - {"name", "bands"})
            if unknown:
                problems.append(f"{where} ({name}) has unknown keys {', '.join(unknown)} (allowed: name, bands)")
                continue
            if entry.get("bands") is not None:
                try:
                    bands[name] = parse_band_edges(entry["bands"], f"{where} ({name}).bands")
                except ValueError as exc:
                    problems.append(str(exc))
                    continue
            names.append(name)
        elif isinstance(entry, (str, int, float)) and not isinstance(entry, bool) and str(entry):
            names.append(str(entry))
        else:
            problems.append(f"{where} must be a column name or a mapping with name and bands")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"{key.replace('_', ' ')} listed twice: {', '.join(dupes)}")
    return names, bands


def _check_identity(data: dict[str, Any], problems: list[str]) -> None:
    for name in REQUIRED_FIELDS:
        if data.get(name) in (None, "", [], {}):
            problems.append(f"required field '{name}' is missing")
    if data.get("id") not in (None, ""):
        try:
            check_id(data.get("id"))
        except ValueError as exc:
            problems.append(str(exc))
    if data.get("role") not in (None, "") and data.get("role") not in CARD_ROLES:
        problems.append(f"role must be one of {', '.join(CARD_ROLES)}, got {data.get('role')!r}")


def _features_from(raw_features: Any, problems: list[str]) -> list[FeatureSpec]:
    if not isinstance(raw_features, list):
        problems.append("features must be a list")
        return []
    features = [spec for i, raw in enumerate(raw_features) if (spec := _feature_from(raw, i, problems)) is not None]
    names = [f.name for f in features]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"features listed twice: {', '.join(dupes)}")
    return features


def _mapping(data: dict[str, Any], key: str, what: str, problems: list[str]) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        problems.append(f"{key} must be a mapping ({what})")
        return {}
    return value


def parse_card(data: Any, source: str = "model card") -> ModelCard:
    """Validate a card mapping; raise CardError naming every problem at once."""
    if not isinstance(data, dict):
        raise CardError(source, ["the card must be a YAML mapping of field: value"])
    problems: list[str] = []
    _check_identity(data, problems)
    features = _features_from(data.get("features") or [], problems)
    protected, bands = _protected_from(data.get("protected_attributes"), problems)
    segments, segment_bands = _protected_from(data.get("segments"), problems, "segments")
    used = sorted(set(protected) & {f.name for f in features})
    if used:
        problems.append(f"protected attributes must not be model features: {', '.join(used)}")
    cutoff = data.get("cutoff", 0.5)
    if not isinstance(cutoff, (int, float)) or not 0 <= float(cutoff) <= 1:
        problems.append(f"cutoff must be a number between 0 and 1, got {cutoff!r}")
        cutoff = 0.5
    metrics = _mapping(data, "validation_metrics", "metric: value", problems)
    training = _mapping(data, "training", "window: {start, end}, data: ...", problems)
    if problems:
        raise CardError(source, problems)
    known = set(REQUIRED_FIELDS) | set(RECOMMENDED_FIELDS) | set(OPTIONAL_FIELDS)
    return ModelCard(
        id=str(data["id"]), name=str(data["name"]), version=str(data["version"]), role=str(data["role"]),
        algorithm=str(data["algorithm"]), owner=str(data["owner"]), training=training, target=str(data["target"]),
        features=tuple(features), protected_attributes=tuple(protected), protected_bands=bands,
        personal_columns=tuple(str(p) for p in data.get("personal_columns") or []),
        segments=tuple(segments), segment_bands=segment_bands,
        validation_metrics={str(k): float(v) for k, v in metrics.items() if isinstance(v, (int, float))},
        intended_use=str(data.get("intended_use") or ""), limitations=str(data.get("limitations") or ""),
        cutoff=float(cutoff), extra={k: v for k, v in data.items() if k not in known},
    )


def parse_card_yaml(text: str, source: str = "model card") -> ModelCard:
    """Parse card YAML text; YAML syntax errors become a CardError with the line."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CardError(source, [f"not valid YAML: {exc}"]) from exc
    return parse_card(data, source)


def dump_card_yaml(card: ModelCard) -> str:
    return yaml.safe_dump(card.to_dict(), sort_keys=False, allow_unicode=True)
