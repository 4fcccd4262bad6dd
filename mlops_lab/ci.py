"""CI and continuous training: the ML pipeline's tests of its code, then of its data and model, run in order.

Code tests (what DevOps CI already runs)
    :func:`run_code_tests` -> :class:`~mlops_lab.checks.CheckReport`: feature logic, no NaNs
    produced, training converges on a tiny sample. :func:`run_pipeline_ci` is the CI of one
    version of the pipeline's code: those tests, then its feature step and its model on a
    sample (the maturity simulation's level 2 runs it on every code change).

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

The data checks come from :mod:`mlops_lab.data_validation`, the gate from
:mod:`mlops_lab.model_validation`. pandas, numpy and scikit-learn are imported inside the
functions that use them.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_lab.checks import SKIP, CheckReport, CheckResult, Table
from mlops_lab.data import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES, TARGET, TIME_COLUMN
from mlops_lab.data_validation import DataSchema, DataValidation
from mlops_lab.model_validation import GateDecision, validate_model

if TYPE_CHECKING:
    import pandas as pd


# ----------------------------------------------------------------------------- code tests


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


@functools.lru_cache(maxsize=8)
def _shared_code_tests(seed: int) -> CheckReport:
    """:func:`run_code_tests` for :func:`run_pipeline_ci`: the code tests look at the training code, not at the
    pipeline version or its sample, so every version's CI in a process shares one run per seed (a report is
    immutable). The maturity notebook runs four pipeline CIs: one run of the code tests instead of four."""
    return run_code_tests(seed=seed)


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
    checks = list(_shared_code_tests(seed).checks)
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
    from mlops_lab.row_scoring import predict_proba
    from mlops_lab.training import count_outcomes, train_model

    def scored(model: Any, batch: pd.DataFrame) -> tuple[float, float]:
        # One prediction per model and month gives both the forecast and the business cost.
        proba = predict_proba(model, batch[list(FEATURES)])[:, 1]
        return round(float(proba.mean()), 4), count_outcomes(batch[TARGET].to_numpy(), proba >= 0.5).cost()

    status = code_tests.status
    batches = list(monthly_batches(frame))
    months = []
    retrained_model = None
    for i, (month, batch) in enumerate(batches):
        if i >= window and i % window == 0:
            previous = frame[TIME_COLUMN].isin([b[TIME_COLUMN].iloc[0] for _, b in batches[i - window : i]])
            retrained_model = train_model(frame[previous], seed=seed)
        forecast, cost = scored(model, batch)
        months.append(
            MonthQuality(
                month,
                status,
                round(float(batch[TARGET].mean()), 4),
                forecast,
                cost,
                None if retrained_model is None else scored(retrained_model, batch)[1],
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
