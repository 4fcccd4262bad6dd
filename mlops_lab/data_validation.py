"""Data validation: the check an ML pipeline adds to software CI on the data that flows into it.

Plain DevOps CI tests code; the code can stay the same while the data changes.
:func:`infer_schema` learns a :class:`DataSchema` from training data (columns, types,
nullability, categories; value ranges from the data contract ``data.VALID_RANGES``; the
training statistics). ``schema.validate(batch, name=...)`` -> :class:`DataValidation`:
pandera checks the schema lazily (every failure at once), and a statistics check compares
the batch with the training data. Its ``action`` follows Google Cloud's level-1 rule:

* **schema skew** (missing column, wrong type, missing or out-of-range values, unseen
  category): ``"stop the pipeline"``, a human must look before anything trains on it;
* **value skew** (the distribution moved: a numeric mean by more than
  ``mean_shift_threshold`` training standard deviations, or a category's share by more than
  ``share_shift_threshold``, the L-infinity distance): ``"trigger retraining"``;
* otherwise ``"continue"``.

A learner's data rule is a plain dict (``{"column": ..., "min": ..., "max": ...}``, or
``"allowed": [...]``, or ``"nullable": False``): :func:`parse_rule` checks it and
:func:`rule_findings` runs it on a batch.

Typical use (notebook 04 reuses the same calls)::

    schema = infer_schema(train)                          # once, from training data
    checked = schema.validate(batch, name="2025-08")
    if checked.action == STOP: ...                        # schema skew: keep the serving model
    if checked.action == RETRAIN: ...                     # value skew: train a candidate

Results and tables take ``language`` ("en" or "es") for the words they show; the values code tests
(``action``, ``skew``, ``kind``) stay English in every language.

pandera, pandas and numpy are imported inside the functions that use them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_lab.checks import WARN, CheckResult, Phrase, Table, joined, render
from mlops_lab.data import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES, VALID_RANGES
from mlops_lab.errors import LearnerInputError
from mlops_lab.i18n import translatable

if TYPE_CHECKING:
    import pandas as pd


SCHEMA_SKEW = translatable("schema skew")
VALUE_SKEW = translatable("value skew")
STOP = translatable("stop the pipeline")
RETRAIN = translatable("trigger retraining")
CONTINUE = translatable("continue")
_RULE_KEYS = {"column", "min", "max", "allowed", "nullable"}


# ----------------------------------------------------------------------------- data validation


@dataclass(frozen=True)
class Finding:
    """One problem found in a batch: which check, on which column, what kind of skew, how much."""

    check: str
    column: str
    kind: str
    failing_rows: int | None  # None for a statistic of the whole batch
    detail: str


@dataclass(frozen=True)
class DataValidation:
    """The verdict on one batch: every finding, and what the pipeline does next (``action``), shown in ``language``."""

    name: str
    n_rows: int
    findings: tuple[Finding, ...]
    language: str = field(default="en", repr=False, compare=False)

    @property
    def schema_skew(self) -> bool:
        return any(f.kind == SCHEMA_SKEW for f in self.findings)

    @property
    def value_skew(self) -> bool:
        return any(f.kind == VALUE_SKEW for f in self.findings)

    @property
    def skew(self) -> str:
        """``"schema skew"``, ``"value skew"`` or ``"none"`` (the most serious kind found)."""
        if self.schema_skew:
            return SCHEMA_SKEW
        return VALUE_SKEW if self.value_skew else translatable("none")

    @property
    def action(self) -> str:
        if self.schema_skew:
            return STOP
        return RETRAIN if self.value_skew else CONTINUE

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def caught_by(self) -> str:
        """The checks that fired, most serious first (schema skew before value skew)."""
        return _join_checks(sorted(self.findings, key=lambda f: f.kind != SCHEMA_SKEW)) or "-"

    @property
    def verdict(self) -> str:
        """For example ``"VALUE SKEW -> trigger retraining"``, in the result's language."""
        return render(self._verdict(), language=self.language)

    def _verdict(self) -> str:
        if self.schema_skew:
            return Phrase(translatable("SCHEMA SKEW -> {action}"), action=STOP)
        if self.value_skew:
            return Phrase(translatable("VALUE SKEW -> {action}"), action=RETRAIN)
        return translatable("no skew -> continue")

    def table(self) -> Table:
        rows = tuple(
            (f.kind, f.check, f.column, "-" if f.failing_rows is None else str(f.failing_rows), f.detail)
            for f in self.findings
        )
        if not rows:
            rows = (("-", translatable("every check passed"), "-", "0", "-"),)
        return Table(
            Phrase(
                translatable("Data validation of {name!r} ({n_rows} rows): {verdict}"),
                name=self.name,
                n_rows=self.n_rows,
                verdict=self._verdict(),
            ),
            (
                translatable("kind"),
                translatable("check"),
                translatable("column"),
                translatable("failing rows"),
                translatable("detail"),
            ),
            rows,
            language=self.language,
        )

    def as_checks(self) -> tuple[CheckResult, ...]:
        """Two rows for a CI report: the schema (FAIL on schema skew) and the statistics (WARN on value skew)."""
        schema = [f for f in self.findings if f.kind == SCHEMA_SKEW]
        values = [f for f in self.findings if f.kind == VALUE_SKEW]
        return (
            CheckResult(
                translatable("data validation"),
                translatable("schema (pandera)"),
                not schema,
                Phrase("{checks} -> {action}", checks=_join_checks(schema), action=STOP)
                if schema
                else Phrase(translatable("{n_rows} rows match the schema"), n_rows=self.n_rows),
            ),
            CheckResult(
                translatable("data validation"),
                translatable("statistics (value skew)"),
                True,
                Phrase("{checks} -> {action}", checks=_join_checks(values), action=RETRAIN)
                if values
                else translatable("close to the training data"),
                status=WARN if values else "",
            ),
        )

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def _join_checks(findings: Iterable[Finding]) -> str:
    return joined("; ", dict.fromkeys(Phrase("{check} ({column})", check=f.check, column=f.column) for f in findings))


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return "NaN" if value != value else f"{value:g}"
    return str(value)


def _findings_from_pandera(failure_cases: pd.DataFrame) -> list[Finding]:
    """Group pandera's one-row-per-failure table into one finding per column and check."""
    findings = []
    cases = failure_cases.copy()
    cases["column"] = cases["column"].astype(object).where(cases["column"].notna(), None)
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=True):
        values = [_format_value(v) for v in group["failure_case"]]
        if check == "column_in_dataframe":
            for missing in sorted(set(values)):
                findings.append(
                    Finding(
                        translatable("required column"),
                        missing,
                        SCHEMA_SKEW,
                        0,
                        translatable("column is missing from the batch"),
                    )
                )
            continue
        examples = ", ".join(sorted(set(values))[:3])
        name = _check_label(str(check))
        findings.append(
            Finding(
                name, str(column), SCHEMA_SKEW, len(group), Phrase(translatable("e.g. {examples}"), examples=examples)
            )
        )
    return findings


def _check_label(check: str) -> str:
    """pandera's check names, said the way a data contract would."""
    if check.startswith("in_range"):
        bounds = check[len("in_range") :].replace("(", "[").replace(")", "]")
        return Phrase(translatable("value range {bounds}"), bounds=bounds)
    if check.startswith("isin"):
        return translatable("known categories")
    if check.startswith("greater_than_or_equal_to"):
        return Phrase(translatable("min {value}"), value=check[len("greater_than_or_equal_to(") : -1])
    if check.startswith("less_than_or_equal_to"):
        return Phrase(translatable("max {value}"), value=check[len("less_than_or_equal_to(") : -1])
    if check == "not_nullable":
        return translatable("no missing values")
    if check.startswith("dtype"):
        return Phrase(translatable("type {dtype}"), dtype=check[len("dtype(") : -1].strip("'"))
    return check


@dataclass(frozen=True)
class ColumnExpectation:
    """What the schema expects of one column, and where the expectation came from."""

    column: str
    dtype: str
    nullable: bool
    low: float | None = None
    high: float | None = None
    allowed: tuple[str, ...] = ()
    source: str = translatable("inferred")


@dataclass(frozen=True)
class DataSchema:
    """A data schema inferred from training data, plus the training statistics value skew is measured against.

    ``language`` is the language its table is shown in.
    """

    expectations: tuple[ColumnExpectation, ...]
    means: Mapping[str, float]
    stds: Mapping[str, float]
    shares: Mapping[str, Mapping[str, float]]
    mean_shift_threshold: float = 0.25
    share_shift_threshold: float = 0.1
    language: str = field(default="en", repr=False, compare=False)

    def pandera_schema(self) -> Any:
        """The schema as a pandera ``DataFrameSchema`` (required columns, types, nullability, ranges, categories)."""
        import pandera.pandas as pa

        columns = {}
        for e in self.expectations:
            checks = []
            if e.low is not None and e.high is not None:
                checks.append(pa.Check.in_range(e.low, e.high))
            if e.allowed:
                checks.append(pa.Check.isin(list(e.allowed)))
            columns[e.column] = pa.Column(e.dtype, checks=checks, nullable=e.nullable, required=True)
        return pa.DataFrameSchema(columns, strict=False, coerce=False)

    def schema_findings(self, batch: pd.DataFrame) -> list[Finding]:
        import pandera.pandas as pa

        try:
            self.pandera_schema().validate(batch, lazy=True)
        except pa.errors.SchemaErrors as errors:
            return _findings_from_pandera(errors.failure_cases)
        return []

    def value_findings(self, batch: pd.DataFrame) -> list[Finding]:
        """Distribution checks on the columns present: numeric mean shift and categorical share shift (L-infinity)."""
        import pandas as pd

        findings = []
        for column, mean in self.means.items():
            if column not in batch.columns:
                continue
            # Values that are not numbers are schema skew, reported by the schema check; skip them here.
            observed = float(pd.to_numeric(batch[column], errors="coerce").mean())
            shift = abs(observed - mean) / self.stds[column]
            if shift > self.mean_shift_threshold:
                findings.append(
                    Finding(
                        translatable("mean shift"),
                        column,
                        VALUE_SKEW,
                        None,
                        Phrase(
                            translatable("mean {before:.2f} -> {after:.2f} ({shift:.2f} sd > {threshold:g})"),
                            before=mean,
                            after=observed,
                            shift=shift,
                            threshold=self.mean_shift_threshold,
                        ),
                    )
                )
        for column, reference in self.shares.items():
            if column not in batch.columns:
                continue
            observed = batch[column].value_counts(normalize=True).to_dict()
            distances = {
                c: abs(observed.get(c, 0.0) - reference.get(c, 0.0)) for c in sorted(set(reference) | set(observed))
            }
            worst = max(distances, key=lambda c: (distances[c], c))
            if distances[worst] > self.share_shift_threshold:
                findings.append(
                    Finding(
                        translatable("category share shift"),
                        column,
                        VALUE_SKEW,
                        None,
                        f"{worst!r} {reference.get(worst, 0.0):.0%} -> {observed.get(worst, 0.0):.0%} "
                        f"(L-inf {distances[worst]:.2f} > {self.share_shift_threshold:g})",
                    )
                )
        return findings

    def validate(self, batch: pd.DataFrame, *, name: str = "batch", language: str = "en") -> DataValidation:
        """Check ``batch`` against the schema and the training statistics; see :class:`DataValidation`."""
        if batch.empty:
            empty = Finding(translatable("rows"), "-", SCHEMA_SKEW, 0, translatable("the batch has no rows"))
            return DataValidation(name=name, n_rows=0, findings=(empty,), language=language)
        findings = self.schema_findings(batch) + self.value_findings(batch)
        return DataValidation(name=name, n_rows=len(batch), findings=tuple(findings), language=language)

    def table(self) -> Table:
        rows = []
        for e in self.expectations:
            if e.allowed:
                rule = Phrase(translatable("one of {values}"), values=", ".join(e.allowed))
            elif e.low is not None:
                rule = Phrase(translatable("between {low:g} and {high:g}"), low=e.low, high=e.high)
            else:
                rule = "-"
            rows.append((e.column, e.dtype, translatable("yes") if e.nullable else translatable("no"), rule, e.source))
        return Table(
            Phrase(translatable("Data schema: {n} required columns"), n=len(self.expectations)),
            (
                translatable("column"),
                translatable("type"),
                translatable("missing values allowed"),
                translatable("values"),
                translatable("values from"),
            ),
            tuple(rows),
            Phrase(
                translatable(
                    "Value skew: a numeric mean moves by more than {mean_shift:g} training sd, "
                    "or a category's share by more than {share_shift:g}."
                ),
                mean_shift=self.mean_shift_threshold,
                share_shift=self.share_shift_threshold,
            ),
            language=self.language,
        )

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def infer_schema(
    train: pd.DataFrame,
    *,
    columns: Sequence[str] = FEATURES,
    value_ranges: Mapping[str, tuple[float, float]] | None = None,
    mean_shift_threshold: float = 0.25,
    share_shift_threshold: float = 0.1,
    language: str = "en",
) -> DataSchema:
    """Infer a :class:`DataSchema` from training data.

    Types, nullability and the categories come from ``train``. Numeric value ranges come from
    ``value_ranges`` (default: the data contract ``data.VALID_RANGES``), because the smallest and
    largest value of one sample are too tight: next month's clean data would exceed them.
    A numeric column without a contract range gets no range check. ``language`` is the language
    of the schema's table.
    """
    import pandas as pd

    ranges = dict(VALID_RANGES if value_ranges is None else value_ranges)
    missing = [c for c in columns if c not in train.columns]
    if missing:
        raise ValueError(f"cannot infer a schema: training data has no column(s) {missing}")
    expectations, means, stds, shares = [], {}, {}, {}
    for column in columns:
        values = train[column]
        nullable = bool(values.isna().any())
        if pd.api.types.is_numeric_dtype(values):
            low, high = ranges.get(column, (None, None))
            source = translatable("data contract") if column in ranges else translatable("inferred")
            expectations.append(ColumnExpectation(column, str(values.dtype), nullable, low, high, (), source))
            means[column] = float(values.mean())
            stds[column] = float(values.std()) or 1.0
        else:
            allowed = tuple(sorted(str(v) for v in values.dropna().unique()))
            expectations.append(ColumnExpectation(column, "str", nullable, allowed=allowed))
            shares[column] = {str(k): float(v) for k, v in values.value_counts(normalize=True).sort_index().items()}
    return DataSchema(
        tuple(expectations),
        means,
        stds,
        shares,
        mean_shift_threshold=mean_shift_threshold,
        share_shift_threshold=share_shift_threshold,
        language=language,
    )


def validation_summary(
    results: Iterable[DataValidation], *, title: str = translatable("Data validation"), language: str = "en"
) -> Table:
    """One row per batch, in ``language``: schema skew, value skew, the action, and the checks that caught it."""

    def yes_no(flag: bool) -> str:
        return translatable("yes") if flag else translatable("no")

    rows = tuple((r.name, yes_no(r.schema_skew), yes_no(r.value_skew), r.action, r.caught_by) for r in results)
    columns = (
        translatable("batch"),
        translatable("schema skew"),
        translatable("value skew"),
        translatable("action"),
        translatable("caught by"),
    )
    return Table(title, columns, rows, language=language)


# ----------------------------------------------------------------------------- the learner's data rule


def parse_rule(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        raise LearnerInputError(
            translatable("a data rule is a dict such as {example}, got {got!r}"),
            example="{'column': 'tenure_months', 'min': 0, 'max': 72}",
            got=spec,
        )
    unknown = sorted(set(spec) - _RULE_KEYS)
    if unknown:
        raise LearnerInputError(
            translatable("unknown key(s) {unknown} in the data rule; use {keys}"),
            unknown=unknown,
            keys=sorted(_RULE_KEYS),
        )
    if spec.get("column") not in FEATURES:
        raise LearnerInputError(
            translatable("'column' must be one of {columns}, got {got!r}"),
            columns=list(FEATURES),
            got=spec.get("column"),
        )
    if not set(spec) & {"min", "max", "allowed", "nullable"}:
        raise LearnerInputError(
            translatable("the rule checks nothing yet: add 'min' and/or 'max', 'allowed', or 'nullable': False")
        )
    for key in ("min", "max"):
        if key not in spec:
            continue
        if spec["column"] in CATEGORICAL_FEATURES:
            raise LearnerInputError(
                translatable("'{key}' needs a numeric column, one of {columns}; {column!r} holds categories"),
                key=key,
                columns=list(NUMERIC_FEATURES),
                column=spec["column"],
            )
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise LearnerInputError(translatable("'{key}' must be a finite number, got {got!r}"), key=key, got=value)
    if "allowed" in spec and not (isinstance(spec["allowed"], (list, tuple)) and spec["allowed"]):
        raise LearnerInputError(
            translatable("'allowed' must be a non-empty list of values, got {got!r}"), got=spec["allowed"]
        )
    if "nullable" in spec and not isinstance(spec["nullable"], bool):
        raise LearnerInputError(translatable("'nullable' must be True or False, got {got!r}"), got=spec["nullable"])
    return dict(spec)


def rule_findings(spec: Mapping[str, Any], batch: pd.DataFrame) -> list[Finding]:
    """Run one data rule (a plain dict, see :func:`parse_rule`) on ``batch`` with pandera."""
    import pandera.pandas as pa

    rule = parse_rule(spec)
    checks = []
    if "min" in rule:
        checks.append(pa.Check.greater_than_or_equal_to(rule["min"]))
    if "max" in rule:
        checks.append(pa.Check.less_than_or_equal_to(rule["max"]))
    if "allowed" in rule:
        checks.append(pa.Check.isin(list(rule["allowed"])))
    schema = pa.DataFrameSchema({rule["column"]: pa.Column(checks=checks, nullable=rule.get("nullable", True))})
    try:
        schema.validate(batch, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return _findings_from_pandera(errors.failure_cases)
    return []
