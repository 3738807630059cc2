"""One SQL builder per rollup kind, over `j`: one model's predictions of the days being
computed, joined with each application's latest outcome (the only join), with score bins and
protected groups. Amounts are summed in integer cents so sums do not depend on their order."""

from __future__ import annotations

from collections.abc import Sequence

from dashboard.analytics.binning import GROUP_SCORE_BINS, SCORE_BINS
from dashboard.analytics.fairness import BANDS, MISSING_GROUP, GroupSpec
from dashboard.analytics.segments import MICRO, OTHER_VALUE, SEGMENT_SCORE_BINS, SegmentSpec
from dashboard.store.engine import quote, sql_literal
from dashboard.store.sampling import duckdb_sample_order

SHADOW_PER_DAY = 300  # applications per model and day kept for the paired shadow comparison
CENTS = "CAST(round(coalesce({c}, 0) * 100) AS BIGINT)"


def group_sql(column: str, spec: GroupSpec) -> str:
    """The group label of a protected attribute in SQL: `fairness.assign_groups`, row by row."""
    col = quote(column)
    if spec.kind != BANDS:
        return f"coalesce(CAST({col} AS VARCHAR), {sql_literal(MISSING_GROUP)})"
    value = f"TRY_CAST(CAST({col} AS VARCHAR) AS DOUBLE)"
    labels = spec.labels()
    whens = [f"WHEN {value} IS NULL OR NOT isfinite({value}) THEN {sql_literal(MISSING_GROUP)}"]
    whens += [f"WHEN {value} < {edge!r} THEN {sql_literal(label)}"
              for edge, label in zip(spec.edges, labels, strict=False)]
    return f"CASE {' '.join(whens)} ELSE {sql_literal(labels[-1])} END"


def segment_value_sql(spec: SegmentSpec) -> str:
    """The segment value of a row in SQL: its band, or a kept value, else OTHER_VALUE (or missing)."""
    if spec.group.kind == BANDS:
        return group_sql(spec.column, spec.group)
    text = f"CAST({quote(spec.column)} AS VARCHAR)"
    kept = ", ".join(sql_literal(v) for v in spec.values) or "NULL"
    return (f"CASE WHEN {text} IS NULL THEN {sql_literal(MISSING_GROUP)} WHEN {text} IN ({kept}) THEN {text} "
            f"ELSE {sql_literal(OTHER_VALUE)} END")


def joined_sql(source: str, outcomes: str | None, groups: dict[str, GroupSpec],
               segments: dict[str, SegmentSpec] | None = None) -> str:
    """CREATE TEMP TABLE j: the predictions of `source` with their latest outcome, protected groups
    (g_<name>) and segment values (s_<name>)."""
    prot_cols = "".join(f", {group_sql(p, spec)} AS {quote('g_' + p)}" for p, spec in groups.items())
    prot_cols += "".join(f", {segment_value_sql(spec)} AS {quote('s_' + c)}" for c, spec in (segments or {}).items())
    join = ""
    label_cols = "NULL::INTEGER AS label, NULL::DOUBLE AS amount, NULL::DOUBLE AS loss"
    if outcomes:
        join = (f"LEFT JOIN (SELECT application_id, arg_max(label, outcome_timestamp) AS label, "
                f"arg_max(loan_amount, outcome_timestamp) AS amount, "
                f"arg_max(loss_amount, outcome_timestamp) AS loss FROM {outcomes} "
                f"WHERE application_id IN (SELECT application_id FROM {source}) GROUP BY 1) o "
                "USING (application_id)")
        label_cols = "o.label, o.amount, o.loss"
    return f"""
        CREATE TEMP TABLE j AS
        SELECT p.application_id, p.timestamp, p.date, p.score,
               coalesce(p.decision, 'none') AS decision, p.latency_ms {prot_cols},
               least(floor(p.score * {SCORE_BINS}), {SCORE_BINS - 1})::SMALLINT AS bin,
               least(floor(p.score * {GROUP_SCORE_BINS}), {GROUP_SCORE_BINS - 1})::SMALLINT AS gbin,
               least(floor(p.score * {SEGMENT_SCORE_BINS}), {SEGMENT_SCORE_BINS - 1})::SMALLINT AS sbin,
               {label_cols}
        FROM {source} p {join}"""


def daily_sql(model_id: str) -> str:
    return f"""
        SELECT {sql_literal(model_id)} AS model_id, date, count(*)::BIGINT AS n,
          count(*) FILTER (decision = 'approve')::BIGINT AS n_approve,
          count(*) FILTER (decision = 'decline')::BIGINT AS n_decline,
          count(*) FILTER (decision = 'review')::BIGINT AS n_review,
          count(*) FILTER (decision = 'none')::BIGINT AS n_undecided,
          sum(CAST(round(score * 1e6) AS BIGINT))::BIGINT AS score_micro_sum,
          count(label)::BIGINT AS n_labelled,
          coalesce(sum(label), 0)::BIGINT AS n_bad,
          count(label) FILTER (decision = 'approve')::BIGINT AS n_labelled_approved,
          coalesce(sum(label) FILTER (decision = 'approve'), 0)::BIGINT AS n_bad_approved,
          sum({CENTS.format(c='amount')}) FILTER (label IS NOT NULL)::BIGINT AS amount_cents_labelled,
          sum({CENTS.format(c='loss')}) FILTER (label IS NOT NULL)::BIGINT AS loss_cents,
          count(latency_ms)::BIGINT AS n_latency,
          min(timestamp) AS first_ts, max(timestamp) AS last_ts
        FROM j GROUP BY date ORDER BY date"""


def scores_sql(model_id: str) -> str:
    """The money model's sums (analytics/money.py): observed amounts and losses, and how many
    matured loans lack them (those take the assumptions when a figure is computed)."""
    def zsum(expr: str, where: str) -> str:
        return f"coalesce(sum({expr}) FILTER ({where}), 0)::BIGINT"

    amount, loss = CENTS.format(c="amount"), CENTS.format(c="loss")
    return f"""
        SELECT {sql_literal(model_id)} AS model_id, date, decision, bin, count(*)::BIGINT AS n,
          count(label)::BIGINT AS n_labelled, coalesce(sum(label), 0)::BIGINT AS n_bad,
          {zsum(amount, 'label IS NOT NULL')} AS amount_cents,
          count(amount) FILTER (label IS NOT NULL)::BIGINT AS n_amount,
          {zsum(amount, 'label = 0')} AS good_amount_cents,
          count(amount) FILTER (label = 0)::BIGINT AS n_good_amount,
          {zsum(loss, 'label IS NOT NULL')} AS loss_cents,
          count(loss) FILTER (label = 1)::BIGINT AS n_bad_loss,
          {zsum(amount, 'label = 1 AND loss IS NULL')} AS bad_noloss_amount_cents,
          count(amount) FILTER (label = 1 AND loss IS NULL)::BIGINT AS n_bad_noloss_amount
        FROM j GROUP BY date, decision, bin ORDER BY date, decision, bin"""


def groups_sql(model_id: str, attributes: Sequence[str]) -> str:
    mid = sql_literal(model_id)
    union = " UNION ALL ".join(
        f"SELECT {mid} AS model_id, date, {sql_literal(p)} AS attribute, "
        f"{quote('g_' + p)} AS grp, decision, gbin AS bin, "
        "count(*)::BIGINT AS n, count(label)::BIGINT AS n_labelled, "
        "coalesce(sum(label), 0)::BIGINT AS n_bad FROM j GROUP BY ALL" for p in attributes)
    return f"SELECT * FROM ({union}) ORDER BY date, attribute, grp, decision, bin"


def segments_sql(model_id: str, columns: Sequence[str]) -> str:
    """Per segment column, value and score bin (100): volumes, decisions, matured outcomes and the
    matured rows' scores in millionths (the expected bads of the calibration ratio)."""
    mid = sql_literal(model_id)
    union = " UNION ALL ".join(
        f"SELECT {mid} AS model_id, date, {sql_literal(c)} AS segment, {quote('s_' + c)} AS value, sbin AS bin, "
        "count(*)::BIGINT AS n, count(*) FILTER (decision <> 'none')::BIGINT AS n_decided, "
        "count(*) FILTER (decision = 'approve')::BIGINT AS n_approve, count(label)::BIGINT AS n_labelled, "
        "coalesce(sum(label), 0)::BIGINT AS n_bad, "
        f"coalesce(sum(CAST(round(score * {MICRO}) AS BIGINT)) FILTER (label IS NOT NULL), 0)::BIGINT "
        "AS score_micro_labelled FROM j GROUP BY ALL" for c in columns)
    return f"SELECT * FROM ({union}) ORDER BY date, segment, value, bin"


def shadow_sql(model_id: str, attributes: Sequence[str]) -> str:
    """A bounded, paired sample for the shadow comparison: the sampling hash (store/sampling.py)
    ranks the same applications first for every model, so the models' daily samples line up."""
    g_cols = "".join(f", {quote('g_' + p)}" for p in attributes)
    return f"""
        SELECT {sql_literal(model_id)} AS model_id, date, application_id, timestamp, score, decision,
               label::INTEGER AS label, amount AS loan_amount, loss AS loss_amount {g_cols}
        FROM (SELECT * FROM j QUALIFY dense_rank() OVER (
                PARTITION BY date ORDER BY {duckdb_sample_order('application_id')}) <= {SHADOW_PER_DAY})
        QUALIFY row_number() OVER (PARTITION BY date, application_id ORDER BY timestamp DESC, score DESC) = 1
        ORDER BY date, application_id"""


def outcomes_sql(source: str) -> str:
    return f"""
        SELECT date, count(*)::BIGINT AS n, coalesce(sum(label), 0)::BIGINT AS n_bad,
          sum(CAST(round(coalesce(loss_amount, 0) * 100) AS BIGINT))::BIGINT AS loss_cents,
          max(outcome_timestamp) AS last_ts
        FROM {source} GROUP BY date ORDER BY date"""
