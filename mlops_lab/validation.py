"""Validation: the checks an ML pipeline adds to software CI (data validation and model validation).

Plain DevOps CI tests code. An ML pipeline must also test the data that flows into it and the
model that comes out of it, because the code can stay the same while both change. This module
holds the three kinds of checks a churn pipeline runs, each returning a result object that
renders as a table (``repr`` in a terminal, HTML in a notebook; deterministic either way):

Code tests (what DevOps CI already runs)
    :func:`run_code_tests` -> :class:`CheckReport`: feature logic, no NaNs produced, training
    converges on a tiny sample. :func:`run_pipeline_ci` is the CI of one version of the
    pipeline's code: those tests, then its feature step and its model on a sample (the
    maturity simulation's level 2 runs it on every code change).

Data validation (MLOps adds it)
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

Model validation (MLOps adds it)
    :func:`validate_model` is the promotion gate -> :class:`GateDecision`: the candidate must
    beat the current model and a baseline on the whole evaluation set, and must not be worse
    than the current model by more than ``tolerance`` on any data slice. A slice spec is a
    plain mapping: ``{"column": "region"}`` (every value of the column) or
    ``{"column": "region", "value": "west"}``. :func:`fit_baseline` gives the baseline (each
    segment's training churn rate); :func:`slice_table` compares models slice by slice.

The whole pipeline
    :func:`run_ci_pipeline` runs the stages in order on new training data (code tests, data
    validation, training, model validation) -> :class:`CIRun`, whose report marks which checks a
    plain DevOps pipeline has and which only MLOps adds; schema skew stops it before training.
    :func:`fault_report` tabulates which check caught each fault.

Continuous training
    :func:`continuous_training` runs data validation and the gate on every new batch, without
    a human, and returns a :class:`TrainingLog`. Each triggered run goes through
    :func:`retrain` (train a candidate, gate it, promote it or keep the serving model), which
    the maturity simulation uses too. :func:`quality_by_month` shows what happens
    without it: a frozen model's cost rising month by month while its code tests stay green.

"Your turn" checks take plain values, never code: :func:`check_data_rule` grades a data rule
(``{"column": ..., "min": ..., "max": ...}``, or ``"allowed": [...]``, or ``"nullable": False``)
and :func:`check_slice_rule` grades a slice spec. :func:`drop_cancellations` plants the fault
that only the model gate can see (labels lost for one segment).

Typical use (notebook 04 reuses the same calls)::

    schema = infer_schema(train)                          # once, from training data
    checked = schema.validate(batch, name="2025-08")
    if checked.action == STOP: ...                        # schema skew: keep the serving model
    if checked.action == RETRAIN: ...                     # value skew: train a candidate
    gate = validate_model(candidate, data=fresh, current=serving, baseline=fit_baseline(train),
                          slices=[{"column": "region"}])
    if gate.promote: serving = candidate

pandera, pandas, numpy and scikit-learn are imported inside the functions that use them.
"""

from __future__ import annotations

import functools
import html
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_lab.data import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES, TARGET, TIME_COLUMN, VALID_RANGES

if TYPE_CHECKING:
    import pandas as pd


SCHEMA_SKEW = "schema skew"
VALUE_SKEW = "value skew"
STOP = "stop the pipeline"
RETRAIN = "trigger retraining"
CONTINUE = "continue"
METRICS: tuple[str, ...] = ("accuracy", "roc_auc", "precision", "recall", "f1")
_RULE_KEYS = {"column", "min", "max", "allowed", "nullable"}
_SLICE_KEYS = {"column", "value"}


# ----------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Table:
    """A small titled table that prints as aligned text and displays as HTML in a notebook."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    footer: str = ""

    def __repr__(self) -> str:
        cells = [self.columns, *self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        lines = [self.title] if self.title else []
        for n, row in enumerate(cells):
            lines.append("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * width for width in widths))
        if self.footer:
            lines.append(self.footer)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f'<th style="text-align:left">{html.escape(c)}</th>' for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f'<td style="text-align:left">{html.escape(v)}</td>' for v in row) + "</tr>"
            for row in self.rows
        )
        title = f"<p><b>{html.escape(self.title)}</b></p>" if self.title else ""
        footer = f"<p>{html.escape(self.footer)}</p>" if self.footer else ""
        return f"{title}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{footer}"


def _ok(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


# ----------------------------------------------------------------------------- code tests


WARN, SKIP = "WARN", "SKIP"


@dataclass(frozen=True)
class CheckResult:
    """One check of a CI run: its stage, whether it passed, and whether plain DevOps CI has it.

    ``status`` qualifies the result when needed: ``"WARN"`` (passed, with a warning: value skew
    makes the run retrain) or ``"SKIP"`` (not run, because an earlier stage stopped the run).
    """

    stage: str
    check: str
    passed: bool
    detail: str
    devops: bool = False
    status: str = ""

    @property
    def result(self) -> str:
        return self.status or _ok(self.passed)


@dataclass(frozen=True)
class CheckReport:
    """The outcome of several checks, shown as one table; ``outcome`` sums up what the run decided."""

    title: str
    checks: tuple[CheckResult, ...]
    outcome: str = ""

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def status(self) -> str:
        """For example ``"3/3 PASS"``."""
        return f"{sum(c.passed for c in self.checks)}/{len(self.checks)} {_ok(self.passed)}"

    def table(self) -> Table:
        rows = tuple((c.stage, c.check, "yes" if c.devops else "MLOps only", c.result, c.detail) for c in self.checks)
        n_passed = sum(c.passed for c in self.checks)
        summary = f"{n_passed}/{len(self.checks)} checks passed"
        return Table(
            self.title,
            ("stage", "check", "in DevOps CI?", "result", "detail"),
            rows,
            f"{summary}: {self.outcome}" if self.outcome else summary,
        )

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def run_code_tests(*, seed: int = 0, sample_rows: int = 200) -> CheckReport:
    """The unit tests a DevOps CI pipeline runs on the ML code: they look at code, not at the data to come.

    * feature logic: preprocessing yields one column per numeric feature plus one per known
      category, exactly one category set per categorical feature, and an unseen category
      encodes to zeros instead of crashing;
    * no NaNs produced: rows with missing values come out of preprocessing fully numeric;
    * training converges on a tiny sample: the solver stops before its iteration limit and
      beats predicting the average churn rate (log loss).
    """
    import numpy as np
    from sklearn.metrics import log_loss

    from mlops_lab import data
    from mlops_lab.training import build_model, train_model

    sample = data.make_customers(n_months=1, customers_per_month=sample_rows, seed=seed)
    features = list(FEATURES)
    checks = []

    preprocess = build_model(seed=seed).named_steps["preprocess"].fit(sample[features])
    encoded = np.asarray(preprocess.transform(sample[features]))
    n_expected = len(NUMERIC_FEATURES) + sum(len(data.CATEGORIES[c]) for c in CATEGORICAL_FEATURES)
    one_hot = encoded[:, len(NUMERIC_FEATURES) :]
    unseen = data.inject_faults(sample.head(20), faults=["unseen_category"], rate=1.0, seed=seed)
    unseen_one_hot = np.asarray(preprocess.transform(unseen[features]))[:, len(NUMERIC_FEATURES) :]
    contract_width = len(data.CATEGORIES["contract"])
    feature_ok = (
        encoded.shape[1] == n_expected
        and bool((one_hot.sum(axis=1) == len(CATEGORICAL_FEATURES)).all())
        and bool((unseen_one_hot[:, :contract_width].sum(axis=1) == 0).all())
    )
    checks.append(
        CheckResult(
            "code tests",
            "feature logic",
            feature_ok,
            f"{encoded.shape[1]} columns (expected {n_expected}); one category per feature; unseen category -> zeros",
            devops=True,
        )
    )

    holes = data.inject_faults(sample, faults=["missing_values"], rate=0.1, seed=seed)
    n_missing = int(holes[features].isna().to_numpy().sum())
    transformed = np.asarray(preprocess.transform(holes[features]), dtype=float)
    n_nan = int(np.isnan(transformed).sum())
    checks.append(
        CheckResult(
            "code tests",
            "no NaNs produced",
            n_nan == 0 and n_missing > 0,
            f"{n_missing} missing inputs -> {n_nan} NaNs after preprocessing",
            devops=True,
        )
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = train_model(sample, seed=seed)
    classifier = model.named_steps["classifier"]
    n_iter, max_iter = int(np.max(classifier.n_iter_)), int(classifier.max_iter)
    truth = sample[TARGET].to_numpy()
    model_loss = log_loss(truth, model.predict_proba(sample[features])[:, 1])
    constant_loss = log_loss(truth, np.full(len(truth), truth.mean()))
    checks.append(
        CheckResult(
            "code tests",
            "training converges on a tiny sample",
            n_iter < max_iter and model_loss < constant_loss,
            f"{n_iter}/{max_iter} iterations on {len(sample)} rows; log loss {model_loss:.3f} < {constant_loss:.3f} (constant)",
            devops=True,
        )
    )
    return CheckReport("Code tests (unit tests of the ML code)", tuple(checks))


def run_pipeline_ci(
    version: str,
    *,
    feature_step: Callable[[pd.DataFrame], pd.DataFrame],
    build: Callable[[], Any],
    sample: pd.DataFrame,
    seed: int = 0,
) -> CheckReport:
    """CI of one version of the training pipeline's code, before it may reach production.

    First :func:`run_code_tests` (what plain DevOps CI runs too), then the checks the Google
    Cloud MLOps guide adds for a pipeline, on ``sample`` with this version's ``feature_step``:
    the feature logic yields finite values, the model (``build()``, unfitted, the feature step
    inside it) trains, and it beats a constant guess.
    """
    import numpy as np
    import pandas as pd

    from mlops_lab.training import evaluate_model

    stage = f"pipeline CI ({version})"
    title = f"CI of pipeline code {version}"
    checks = list(run_code_tests(seed=seed).checks)
    # The sample, plus the edge case every feature test needs whatever the sample holds: a customer in their first
    # month (tenure 0) who has already called support.
    first_month = sample[list(FEATURES)].head(1).assign(tenure_months=0, support_calls=1)
    probe = pd.concat([sample[list(FEATURES)], first_month], ignore_index=True)
    numeric = feature_step(probe).select_dtypes("number").to_numpy(dtype=float)
    bad = int((~np.isfinite(numeric)).sum())
    checks.append(
        CheckResult(
            stage,
            "feature logic: no NaN or infinite values",
            bad == 0,
            f"{bad} non-finite values in the sample plus a first-month customer",
            devops=True,
        )
    )
    half = len(sample) // 2
    try:
        model = build().fit(sample.iloc[:half][list(FEATURES)], sample.iloc[:half][TARGET])
    except ValueError as exc:
        checks.append(CheckResult(stage, "training runs on a sample", False, str(exc).splitlines()[0], devops=True))
        return CheckReport(title, tuple(checks))
    checks.append(CheckResult(stage, "training runs on a sample", True, f"trained on {half} rows", devops=True))
    try:
        auc = evaluate_model(model, sample.iloc[half:]).roc_auc
    except ValueError as exc:
        # Broken feature logic can pass training (0/0 is a NaN the imputer fills) and still fail on other rows (x/0).
        checks.append(CheckResult(stage, "model beats a constant guess", False, str(exc).splitlines()[0]))
        return CheckReport(title, tuple(checks))
    checks.append(CheckResult(stage, "model beats a constant guess", auc > 0.5, f"ROC AUC {auc:.3f} > 0.5"))
    return CheckReport(title, tuple(checks))


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
    """The verdict on one batch: every finding, and what the pipeline does next (``action``)."""

    name: str
    n_rows: int
    findings: tuple[Finding, ...]

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
        return VALUE_SKEW if self.value_skew else "none"

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
        if self.schema_skew:
            return f"SCHEMA SKEW -> {STOP}"
        if self.value_skew:
            return f"VALUE SKEW -> {RETRAIN}"
        return "no skew -> continue"

    def table(self) -> Table:
        rows = tuple(
            (f.kind, f.check, f.column, "-" if f.failing_rows is None else str(f.failing_rows), f.detail)
            for f in self.findings
        )
        if not rows:
            rows = (("-", "every check passed", "-", "0", "-"),)
        return Table(
            f"Data validation of {self.name!r} ({self.n_rows} rows): {self.verdict}",
            ("kind", "check", "column", "failing rows", "detail"),
            rows,
        )

    def as_checks(self) -> tuple[CheckResult, ...]:
        """Two rows for a CI report: the schema (FAIL on schema skew) and the statistics (WARN on value skew)."""
        schema = [f for f in self.findings if f.kind == SCHEMA_SKEW]
        values = [f for f in self.findings if f.kind == VALUE_SKEW]
        return (
            CheckResult(
                "data validation",
                "schema (pandera)",
                not schema,
                _join_checks(schema) + f" -> {STOP}" if schema else f"{self.n_rows} rows match the schema",
            ),
            CheckResult(
                "data validation",
                "statistics (value skew)",
                True,
                _join_checks(values) + f" -> {RETRAIN}" if values else "close to the training data",
                status=WARN if values else "",
            ),
        )

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def _join_checks(findings: Iterable[Finding]) -> str:
    return "; ".join(dict.fromkeys(f"{f.check} ({f.column})" for f in findings))


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
                findings.append(Finding("required column", missing, SCHEMA_SKEW, 0, "column is missing from the batch"))
            continue
        examples = ", ".join(sorted(set(values))[:3])
        name = _check_label(str(check))
        findings.append(Finding(name, str(column), SCHEMA_SKEW, len(group), f"e.g. {examples}"))
    return findings


def _check_label(check: str) -> str:
    """pandera's check names, said the way a data contract would."""
    if check.startswith("in_range"):
        return "value range " + check[len("in_range") :].replace("(", "[").replace(")", "]")
    if check.startswith("isin"):
        return "known categories"
    if check.startswith("greater_than_or_equal_to"):
        return "min " + check[len("greater_than_or_equal_to(") : -1]
    if check.startswith("less_than_or_equal_to"):
        return "max " + check[len("less_than_or_equal_to(") : -1]
    if check == "not_nullable":
        return "no missing values"
    if check.startswith("dtype"):
        return "type " + check[len("dtype(") : -1].strip("'")
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
    source: str = "inferred"


@dataclass(frozen=True)
class DataSchema:
    """A data schema inferred from training data, plus the training statistics value skew is measured against."""

    expectations: tuple[ColumnExpectation, ...]
    means: Mapping[str, float]
    stds: Mapping[str, float]
    shares: Mapping[str, Mapping[str, float]]
    mean_shift_threshold: float = 0.25
    share_shift_threshold: float = 0.1

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
                        "mean shift",
                        column,
                        VALUE_SKEW,
                        None,
                        f"mean {mean:.2f} -> {observed:.2f} ({shift:.2f} sd > {self.mean_shift_threshold:g})",
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
                        "category share shift",
                        column,
                        VALUE_SKEW,
                        None,
                        f"{worst!r} {reference.get(worst, 0.0):.0%} -> {observed.get(worst, 0.0):.0%} "
                        f"(L-inf {distances[worst]:.2f} > {self.share_shift_threshold:g})",
                    )
                )
        return findings

    def validate(self, batch: pd.DataFrame, *, name: str = "batch") -> DataValidation:
        """Check ``batch`` against the schema and the training statistics; see :class:`DataValidation`."""
        if batch.empty:
            empty = Finding("rows", "-", SCHEMA_SKEW, 0, "the batch has no rows")
            return DataValidation(name=name, n_rows=0, findings=(empty,))
        findings = self.schema_findings(batch) + self.value_findings(batch)
        return DataValidation(name=name, n_rows=len(batch), findings=tuple(findings))

    def table(self) -> Table:
        rows = []
        for e in self.expectations:
            if e.allowed:
                rule = "one of " + ", ".join(e.allowed)
            elif e.low is not None:
                rule = f"between {e.low:g} and {e.high:g}"
            else:
                rule = "-"
            rows.append((e.column, e.dtype, "yes" if e.nullable else "no", rule, e.source))
        return Table(
            f"Data schema: {len(self.expectations)} required columns",
            ("column", "type", "missing values allowed", "values", "values from"),
            tuple(rows),
            f"Value skew: a numeric mean moves by more than {self.mean_shift_threshold:g} training sd, "
            f"or a category's share by more than {self.share_shift_threshold:g}.",
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
) -> DataSchema:
    """Infer a :class:`DataSchema` from training data.

    Types, nullability and the categories come from ``train``. Numeric value ranges come from
    ``value_ranges`` (default: the data contract ``data.VALID_RANGES``), because the smallest and
    largest value of one sample are too tight: next month's clean data would exceed them.
    A numeric column without a contract range gets no range check.
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
            source = "data contract" if column in ranges else "inferred"
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
    )


def validation_summary(results: Iterable[DataValidation], *, title: str = "Data validation") -> Table:
    """One row per batch: schema skew, value skew, the action, and the checks that caught it."""
    rows = tuple(
        (
            r.name,
            "yes" if r.schema_skew else "no",
            "yes" if r.value_skew else "no",
            r.action,
            r.caught_by,
        )
        for r in results
    )
    return Table(title, ("batch", "schema skew", "value skew", "action", "caught by"), rows)


# ----------------------------------------------------------------------------- the learner's data rule


def parse_rule(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        raise ValueError(
            f"a data rule is a dict such as {{'column': 'tenure_months', 'min': 0, 'max': 72}}, got {spec!r}"
        )
    unknown = sorted(set(spec) - _RULE_KEYS)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} in the data rule; use {sorted(_RULE_KEYS)}")
    if spec.get("column") not in FEATURES:
        raise ValueError(f"'column' must be one of {list(FEATURES)}, got {spec.get('column')!r}")
    if not set(spec) & {"min", "max", "allowed", "nullable"}:
        raise ValueError("the rule checks nothing yet: add 'min' and/or 'max', 'allowed', or 'nullable': False")
    for key in ("min", "max"):
        if key not in spec:
            continue
        if spec["column"] in CATEGORICAL_FEATURES:
            raise ValueError(
                f"'{key}' needs a numeric column, one of {list(NUMERIC_FEATURES)}; {spec['column']!r} holds categories"
            )
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"'{key}' must be a finite number, got {value!r}")
    if "allowed" in spec and not (isinstance(spec["allowed"], (list, tuple)) and spec["allowed"]):
        raise ValueError(f"'allowed' must be a non-empty list of values, got {spec['allowed']!r}")
    if "nullable" in spec and not isinstance(spec["nullable"], bool):
        raise ValueError(f"'nullable' must be True or False, got {spec['nullable']!r}")
    return dict(spec)


def rule_findings(spec: Mapping[str, Any], batch: pd.DataFrame) -> list[Finding]:
    """Run one data rule (a plain dict, see :func:`check_data_rule`) on ``batch`` with pandera."""
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


# ----------------------------------------------------------------------------- model validation


class SegmentRateBaseline:
    """A one-line business rule as a model: a customer's churn probability is the churn rate of their segment.

    It has ``predict_proba`` like a scikit-learn classifier, so it is evaluated the same way.
    """

    def __init__(self, rates: Mapping[str, float], *, column: str, prior: float) -> None:
        self.rates = dict(rates)
        self.column = column
        self.prior = prior

    def predict_proba(self, features: pd.DataFrame) -> Any:
        import numpy as np

        p = features[self.column].map(self.rates).astype(float).fillna(self.prior).to_numpy()
        return np.column_stack([1.0 - p, p])

    def __repr__(self) -> str:
        rates = ", ".join(f"{k}: {v:.3f}" for k, v in sorted(self.rates.items()))
        return f"SegmentRateBaseline(column={self.column!r}, rates={{{rates}}})"


def fit_baseline(train: pd.DataFrame, *, column: str = "contract") -> SegmentRateBaseline:
    """The baseline a model must beat: the training churn rate of each ``column`` segment."""
    rates = train.groupby(column)[TARGET].mean()
    return SegmentRateBaseline(
        {str(k): round(float(v), 4) for k, v in rates.items()},
        column=column,
        prior=round(float(train[TARGET].mean()), 4),
    )


def drop_cancellations(
    frame: pd.DataFrame, *, column: str, value: str, share: float = 0.3, seed: int = 0
) -> pd.DataFrame:
    """A copy of ``frame`` in which ``share`` of the churners of one segment are recorded as staying.

    This is the kind of upstream bug (a broken join, a lost feed) that schema checks cannot see:
    every value is still valid. Only the model gate's slice check notices its effect.
    """
    import numpy as np

    if column not in frame.columns:
        raise ValueError(f"no column {column!r} in the data")
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be between 0 and 1, got {share}")
    # A stream of its own: default_rng(seed) would repeat make_customers' first draws (the contract) for the same seed.
    rng = np.random.default_rng([seed, 1])
    hit = (frame[column] == value).to_numpy() & (frame[TARGET] == 1).to_numpy() & (rng.random(len(frame)) < share)
    faulty = frame.copy()
    faulty.loc[hit, TARGET] = 0
    return faulty


def parse_slices(slices: Iterable[Any], frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Expand slice specs into (column, value) pairs, in a stable order."""
    pairs: list[tuple[str, str]] = []
    for spec in slices:
        if not isinstance(spec, Mapping) or "column" not in spec:
            raise ValueError(f"a slice is a dict such as {{'column': 'region', 'value': 'west'}}, got {spec!r}")
        unknown = sorted(set(spec) - _SLICE_KEYS)
        if unknown:
            raise ValueError(f"unknown key(s) {unknown} in the slice; use {sorted(_SLICE_KEYS)}")
        column = spec["column"]
        if column not in CATEGORICAL_FEATURES or column not in frame.columns:
            # Slices are segments the business reports on; a numeric or id column would make thousands of them.
            raise ValueError(f"cannot slice on {column!r}; choose a categorical column: {list(CATEGORICAL_FEATURES)}")
        values = sorted(str(v) for v in frame[column].dropna().unique())
        if "value" in spec:
            if str(spec["value"]) not in values:
                raise ValueError(f"no rows with {column} = {spec['value']!r}; values are {values}")
            values = [str(spec["value"])]
        pairs.extend((column, v) for v in values if (column, v) not in pairs)
    return pairs


class _Scorer:
    """Scores models on ``data`` and its slices, predicting each model once (slices reuse the predictions)."""

    def __init__(self, data: pd.DataFrame, metric: str) -> None:
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; choose from {list(METRICS)}")
        self.data = data
        self.metric = metric
        self.truth = data[TARGET].to_numpy()
        self._proba: dict[int, Any] = {}

    def mask(self, column: str, value: str) -> Any:
        return (self.data[column].astype(str) == value).to_numpy()

    def score(self, model: Any, mask: Any = None) -> float:
        """``metric`` at threshold 0.5, equal to :func:`mlops_lab.training.evaluate_model`'s (same rounding).

        Threshold metrics are counted with numpy: a gate scores hundreds of slices, and
        scikit-learn's per-call input validation would dominate the time.
        """
        if id(model) not in self._proba:
            self._proba[id(model)] = model.predict_proba(self.data[list(FEATURES)])[:, 1]
        proba, truth = self._proba[id(model)], self.truth
        if mask is not None:
            proba, truth = proba[mask], truth[mask]
        if self.metric == "roc_auc":
            from sklearn.metrics import roc_auc_score

            value = roc_auc_score(truth, proba) if len(set(truth)) > 1 else float("nan")
            return round(float(value), 4)
        from mlops_lab.training import count_outcomes

        return count_outcomes(truth, proba >= 0.5).ratio(self.metric)


@dataclass(frozen=True)
class GateRow:
    """The gate's comparison on one scope (the whole evaluation set, or one slice)."""

    scope: str
    n_rows: int
    candidate: float
    current: float | None
    baseline: float | None
    passed: bool
    reason: str


@dataclass(frozen=True)
class GateDecision:
    """The model validation gate's verdict: promote the candidate or block it, with the reason per scope."""

    name: str
    metric: str
    tolerance: float
    rows: tuple[GateRow, ...]

    @property
    def promote(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def overall(self) -> GateRow:
        return self.rows[0]

    @property
    def blocked_by(self) -> tuple[str, ...]:
        return tuple(r.scope for r in self.rows if not r.passed)

    @property
    def verdict(self) -> str:
        if self.promote:
            return "PROMOTE"
        return "BLOCK (" + ", ".join(self.blocked_by) + ")"

    def table(self) -> Table:
        def num(value: float | None) -> str:
            return "-" if value is None else f"{value:.3f}"

        rows = tuple(
            (r.scope, str(r.n_rows), num(r.candidate), num(r.current), num(r.baseline), _ok(r.passed), r.reason)
            for r in self.rows
        )
        return Table(
            f"Model validation of {self.name!r} on {self.metric}: {self.verdict}",
            ("scope", "rows", "candidate", "current", "baseline", "result", "reason"),
            rows,
            f"Overall the candidate must beat the current model and the baseline; on each slice it may trail "
            f"the current model by at most {self.tolerance:g}.",
        )

    def as_checks(self) -> tuple[CheckResult, ...]:
        """Two rows for a CI report: the overall comparison and the slices."""
        overall = self.overall
        slices = self.rows[1:]
        worse = [f"{r.scope} ({r.candidate - r.current:+.3f})" for r in slices if not r.passed]
        return (
            CheckResult("model validation", f"overall {self.metric}", overall.passed, overall.reason),
            CheckResult(
                "model validation",
                f"{len(slices)} slices",
                not worse,
                "worse than the current model on " + ", ".join(worse)
                if worse
                else "no slice worse than the current model",
            ),
        )

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def validate_model(
    candidate: Any,
    *,
    data: pd.DataFrame,
    current: Any | None = None,
    baseline: Any | None = None,
    metric: str = "f1",
    slices: Iterable[Mapping[str, Any]] = (),
    tolerance: float = 0.02,
    name: str = "candidate",
) -> GateDecision:
    """The model validation gate before promotion.

    Overall, ``candidate`` must score strictly higher than ``current`` (if there is one) and at
    least as high as ``baseline`` (if given) on ``data``. On each slice it must not trail
    ``current`` by more than ``tolerance``: a better average can hide a segment the new model
    serves badly. Models need ``predict_proba`` (scikit-learn pipelines, :class:`SegmentRateBaseline`).
    """
    scorer = _Scorer(data, metric)
    pairs = parse_slices(slices, data)
    rows = []
    cand = scorer.score(candidate)
    cur = None if current is None else scorer.score(current)
    base = None if baseline is None else scorer.score(baseline)
    reasons = []
    if cur is not None and not cand > cur:
        reasons.append(f"not better than the current model ({cand - cur:+.3f})")
    if base is not None and cand < base:
        reasons.append(f"worse than the baseline ({cand - base:+.3f})")
    margins = []
    if cur is not None:
        margins.append(f"current {cand - cur:+.3f}")
    if base is not None:
        margins.append(f"baseline {cand - base:+.3f}")
    reason = "; ".join(reasons) or ("beats " + ", ".join(margins) if margins else "nothing to compare with")
    rows.append(GateRow("overall", len(data), cand, cur, base, not reasons, reason))
    for column, value in pairs:
        mask = scorer.mask(column, value)
        cand_s = scorer.score(candidate, mask)
        cur_s = None if current is None else scorer.score(current, mask)
        base_s = None if baseline is None else scorer.score(baseline, mask)
        if cur_s is None:
            passed, reason = True, "no current model to compare with"
        elif cand_s < cur_s - tolerance:
            passed, reason = False, f"worse than the current model ({cand_s - cur_s:+.3f})"
        else:
            passed, reason = True, f"{cand_s - cur_s:+.3f} against the current model"
        rows.append(GateRow(f"{column} = {value}", int(mask.sum()), cand_s, cur_s, base_s, passed, reason))
    return GateDecision(name=name, metric=metric, tolerance=tolerance, rows=tuple(rows))


def slice_table(
    models: Mapping[str, Any],
    data: pd.DataFrame,
    *,
    columns: Sequence[str] = CATEGORICAL_FEATURES,
    metric: str = "f1",
    title: str | None = None,
) -> Table:
    """Each model's ``metric`` overall and on every value of ``columns``: where does a model do worse?"""
    scorer = _Scorer(data, metric)
    pairs = parse_slices([{"column": c} for c in columns], data)
    scopes = [("overall", None)] + [(f"{c} = {v}", scorer.mask(c, v)) for c, v in pairs]
    rows = tuple(
        (
            scope,
            str(len(data) if mask is None else int(mask.sum())),
            *(f"{scorer.score(model, mask):.3f}" for model in models.values()),
        )
        for scope, mask in scopes
    )
    return Table(title or f"{metric} by slice", ("slice", "rows", *models), rows)


# ----------------------------------------------------------------------------- one CI run, end to end


@dataclass(frozen=True)
class CIRun:
    """One run of the ML pipeline's CI: the report, and the pieces a notebook may look at more closely."""

    report: CheckReport
    data: DataValidation
    gate: GateDecision | None = None
    candidate: Any = field(default=None, repr=False, compare=False)

    @property
    def outcome(self) -> str:
        return self.report.outcome

    def __repr__(self) -> str:
        return repr(self.report)

    def _repr_html_(self) -> str:
        return self.report._repr_html_()


def run_ci_pipeline(
    new_data: pd.DataFrame,
    *,
    code_tests: CheckReport,
    schema: DataSchema,
    holdout: pd.DataFrame,
    current: Any | None = None,
    baseline: Any | None = None,
    slices: Iterable[Mapping[str, Any]] = (),
    metric: str = "f1",
    tolerance: float = 0.02,
    name: str = "run",
    seed: int = 0,
) -> CIRun:
    """Run the whole pipeline on ``new_data``: code tests, data validation, training, model validation.

    ``code_tests`` are reused (the code did not change). Schema skew stops the run: no model is
    trained and the model checks are skipped. Otherwise a candidate is trained on ``new_data``
    and gated on ``holdout`` against ``current`` and ``baseline`` (see :func:`validate_model`).
    """
    from mlops_lab.training import train_model

    checked = schema.validate(new_data, name=name)
    checks = [*code_tests.checks, *checked.as_checks()]
    if not code_tests.passed or checked.schema_skew:
        stage = "code tests" if not code_tests.passed else "data validation (schema skew)"
        checks += [
            CheckResult(
                "model validation", f"overall {metric}", False, "no model trained: the run stopped", status=SKIP
            ),
            CheckResult("model validation", "slices", False, "no model trained: the run stopped", status=SKIP),
        ]
        return CIRun(CheckReport(f"CI run {name!r}", tuple(checks), f"STOPPED at {stage}"), checked)
    candidate = train_model(new_data, seed=seed)
    gate = validate_model(
        candidate,
        data=holdout,
        current=current,
        baseline=baseline,
        metric=metric,
        slices=slices,
        tolerance=tolerance,
        name=name,
    )
    checks += gate.as_checks()
    outcome = "PROMOTE the candidate" if gate.promote else "BLOCKED at model validation: the current model stays"
    return CIRun(CheckReport(f"CI run {name!r}", tuple(checks), outcome), checked, gate, candidate)


# ----------------------------------------------------------------------------- what each pipeline sees


def fault_report(code_tests: CheckReport, results: Mapping[str, DataValidation | GateDecision]) -> Table:
    """One row per fault: what the DevOps checks (code tests) said, which MLOps check caught it, what happened next."""
    devops = code_tests.status
    rows = []
    for fault, result in results.items():
        if isinstance(result, GateDecision):
            caught = "model gate: " + ", ".join(result.blocked_by) if not result.promote else "-"
            action = "promote" if result.promote else "block the promotion"
        else:
            caught, action = result.caught_by, result.action
        rows.append((fault, devops, caught, action))
    return Table(
        "Which check caught each fault",
        ("fault", "code tests (DevOps CI)", "caught by (MLOps checks)", "pipeline action"),
        tuple(rows),
    )


@dataclass(frozen=True)
class MonthQuality:
    """One month of a deployed model's life: its quality, and what a freshly retrained model would have done."""

    month: str
    code_tests: str
    churn_rate: float
    forecast: float
    cost: float
    retrained_cost: float | None


@dataclass(frozen=True)
class QualityByMonth:
    """A frozen model's quality month by month (see :func:`quality_by_month`)."""

    months: tuple[MonthQuality, ...]

    def table(self) -> Table:
        rows = tuple(
            (
                m.month,
                m.code_tests,
                f"{m.churn_rate:.2f}",
                f"{m.forecast:.2f}",
                f"{m.cost:.2f}",
                "-" if m.retrained_cost is None else f"{m.retrained_cost:.2f}",
            )
            for m in self.months
        )
        return Table(
            "The deployed model, month by month (same code, same tests)",
            (
                "month",
                "code tests",
                "churn rate",
                "forecast churn rate",
                "cost per customer",
                "cost if retrained quarterly",
            ),
            rows,
            "forecast: the model's average churn probability; cost: missed churners and needless retention "
            "offers per customer; "
            "retrained: a model retrained every quarter on the quarter before.",
        )

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def quality_by_month(
    model: Any, frame: pd.DataFrame, *, code_tests: CheckReport, window: int = 3, seed: int = 0
) -> QualityByMonth:
    """Score ``model`` on each month of ``frame`` beside the code tests' result, which never changes.

    From month ``window`` on, a model retrained every ``window`` months on the ``window`` months
    before is scored too: the gap is what keeping the frozen model costs the business.
    """
    from mlops_lab.data import monthly_batches
    from mlops_lab.training import business_cost, train_model

    status = code_tests.status
    batches = list(monthly_batches(frame))
    months = []
    retrained_model = None
    for i, (month, batch) in enumerate(batches):
        if i >= window and i % window == 0:
            previous = frame[TIME_COLUMN].isin([b[TIME_COLUMN].iloc[0] for _, b in batches[i - window : i]])
            retrained_model = train_model(frame[previous], seed=seed)
        months.append(
            MonthQuality(
                month,
                status,
                round(float(batch[TARGET].mean()), 4),
                round(float(model.predict_proba(batch[list(FEATURES)])[:, 1].mean()), 4),
                business_cost(model, batch),
                None if retrained_model is None else business_cost(retrained_model, batch),
            )
        )
    return QualityByMonth(tuple(months))


# ----------------------------------------------------------------------------- continuous training


@dataclass(frozen=True)
class TrainingStep:
    """What the continuous-training pipeline did when one batch arrived."""

    batch: str
    skew: str
    caught_by: str
    candidate: float | None
    current: float | None
    decision: str


@dataclass(frozen=True)
class TrainingLog:
    """Every batch the pipeline saw, and the model serving at the end."""

    metric: str
    steps: tuple[TrainingStep, ...]
    model: Any = field(repr=False, compare=False)

    @property
    def promotions(self) -> int:
        return sum(s.decision == "promoted" for s in self.steps)

    def table(self) -> Table:
        def num(value: float | None) -> str:
            return "-" if value is None else f"{value:.3f}"

        rows = tuple((s.batch, s.skew, s.caught_by, num(s.candidate), num(s.current), s.decision) for s in self.steps)
        return Table(
            f"Continuous training: {len(self.steps)} batches, {self.promotions} promotions",
            ("batch", "data skew", "caught by", f"candidate {self.metric}", f"current {self.metric}", "decision"),
            rows,
        )

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


@dataclass(frozen=True)
class Retraining:
    """One triggered continuous-training run: the candidate, the gate's decision, and whether it serves next."""

    candidate: Any = field(repr=False, compare=False)
    gate: GateDecision | None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def promoted(self) -> bool:
        return not self.failed and (self.gate is None or self.gate.promote)


def retrain(train: Callable[[], Any], *, gate: Callable[[Any], GateDecision] | None) -> Retraining:
    """Continuous training once it is triggered: train a candidate, then gate it against the serving model.

    ``train()`` returns the fitted candidate; a ``ValueError`` from it (broken pipeline code) makes
    a failed run and the serving model stays. ``gate(candidate)`` is the model validation
    (:func:`validate_model`); without one (``None``) the candidate is promoted as it is, which is
    what a pipeline without model validation does. :func:`continuous_training` and the maturity
    simulation (:mod:`mlops_lab.maturity`) both retrain through this function.
    """
    try:
        candidate = train()
    except ValueError as exc:
        return Retraining(None, None, str(exc).splitlines()[0])
    return Retraining(candidate, gate(candidate) if gate else None)


def continuous_training(
    batches: Iterable[tuple[str, pd.DataFrame]],
    *,
    schema: DataSchema,
    current: Any,
    history: pd.DataFrame,
    baseline: Any | None = None,
    window: int = 3,
    metric: str = "f1",
    slices: Iterable[Mapping[str, Any]] = (),
    tolerance: float = 0.02,
    seed: int = 0,
) -> TrainingLog:
    """Run the pipeline on every new labelled batch, with no human in the loop.

    For each ``(name, batch)``: validate the data. Schema skew stops the run (the batch is kept
    out of training and the serving model stays). Otherwise a candidate is trained on the last
    ``window`` accepted batches before this one (``history`` holds the earlier ones) and gated
    on this batch, the freshest labelled data, against the serving model; if it passes it is
    promoted and serves from then on.
    """
    import pandas as pd

    from mlops_lab.training import train_model

    accepted = [history]
    serving = current
    steps = []
    slice_specs = list(slices)
    for name, batch in batches:
        checked = schema.validate(batch, name=name)
        if checked.schema_skew:
            steps.append(TrainingStep(name, checked.skew, checked.caught_by, None, None, "stopped: serving model kept"))
            continue
        recent = pd.concat(accepted, ignore_index=True)
        months = sorted(recent[TIME_COLUMN].unique())[-window:]
        train = recent[recent[TIME_COLUMN].isin(months)]
        run = retrain(
            functools.partial(train_model, train, seed=seed),
            gate=functools.partial(
                validate_model,
                data=batch,
                current=serving,
                baseline=baseline,
                metric=metric,
                slices=slice_specs,
                tolerance=tolerance,
            ),
        )
        if run.failed:
            steps.append(TrainingStep(name, checked.skew, checked.caught_by, None, None, f"failed: {run.error}"))
        else:
            gate = run.gate
            decision = "promoted" if run.promoted else "blocked: " + ", ".join(gate.blocked_by)
            if run.promoted:
                serving = run.candidate
            steps.append(
                TrainingStep(
                    name, checked.skew, checked.caught_by, gate.overall.candidate, gate.overall.current, decision
                )
            )
        accepted.append(batch)
    return TrainingLog(metric=metric, steps=tuple(steps), model=serving)
