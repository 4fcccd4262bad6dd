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

Side by side
    :func:`devops_vs_mlops` fills the five areas where ML differs from software with what a lab showed.

Every report and table takes ``language`` ("en" or "es") for the words it shows; the values code
tests (``outcome``, ``decision``, ``passed``) stay English. The data checks come from
:mod:`mlops_lab.data_validation`, the gate from :mod:`mlops_lab.model_validation`. pandas, numpy
and scikit-learn are imported inside the functions that use them.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_lab.checks import SKIP, CheckReport, CheckResult, Phrase, Table, joined
from mlops_lab.data import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES, TARGET, TIME_COLUMN
from mlops_lab.data_validation import DataSchema, DataValidation
from mlops_lab.i18n import translatable
from mlops_lab.model_validation import GateDecision, GateRow, validate_model

if TYPE_CHECKING:
    import pandas as pd


# ----------------------------------------------------------------------------- code tests

CODE_TESTS = translatable("code tests")

# The faults data.inject_faults plants (data.FAULTS), as the lab's tables name them.
FAULT_NAMES: dict[str, str] = {
    "missing_values": translatable("missing values"),
    "out_of_range": translatable("out of range"),
    "unseen_category": translatable("unseen category"),
    "renamed_column": translatable("renamed column"),
    "missing_column": translatable("missing column"),
}


def run_code_tests(*, seed: int = 0, sample_rows: int = 200, language: str = "en") -> CheckReport:
    """The unit tests a DevOps CI pipeline runs on the ML code: they look at code, not at the data to come.

    * feature logic: preprocessing yields one column per numeric feature plus one per known
      category, exactly one category set per categorical feature, and an unseen category
      encodes to zeros instead of crashing;
    * no NaNs produced: rows with missing values come out of preprocessing fully numeric;
    * training converges on a tiny sample: the solver stops before its iteration limit and
      beats predicting the average churn rate (log loss).

    ``language`` is the language the report is shown in.
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
            CODE_TESTS,
            translatable("feature logic"),
            feature_ok,
            Phrase(
                translatable("{n} columns (expected {expected}); one category per feature; unseen category -> zeros"),
                n=encoded.shape[1],
                expected=n_expected,
            ),
            devops=True,
        )
    )

    holes = data.inject_faults(sample, faults=["missing_values"], rate=0.1, seed=seed)
    n_missing = int(holes[features].isna().to_numpy().sum())
    transformed = np.asarray(preprocess.transform(holes[features]), dtype=float)
    n_nan = int(np.isnan(transformed).sum())
    checks.append(
        CheckResult(
            CODE_TESTS,
            translatable("no NaNs produced"),
            n_nan == 0 and n_missing > 0,
            Phrase(
                translatable("{n_missing} missing inputs -> {n_nan} NaNs after preprocessing"),
                n_missing=n_missing,
                n_nan=n_nan,
            ),
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
            CODE_TESTS,
            translatable("training converges on a tiny sample"),
            n_iter < max_iter and model_loss < constant_loss,
            Phrase(
                translatable(
                    "{n_iter}/{max_iter} iterations on {n_rows} rows; log loss {loss:.3f} < {constant:.3f} (constant)"
                ),
                n_iter=n_iter,
                max_iter=max_iter,
                n_rows=len(sample),
                loss=model_loss,
                constant=constant_loss,
            ),
            devops=True,
        )
    )
    return CheckReport(translatable("Code tests (unit tests of the ML code)"), tuple(checks), language=language)


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
    language: str = "en",
) -> CheckReport:
    """CI of one version of the training pipeline's code, before it may reach production.

    First :func:`run_code_tests` (what plain DevOps CI runs too), then the checks the Google
    Cloud MLOps guide adds for a pipeline, on ``sample`` with this version's ``feature_step``:
    the feature logic yields finite values, the model (``build()``, unfitted, the feature step
    inside it) trains, and it beats a constant guess. ``language`` is the language the report is shown in.
    """
    import numpy as np
    import pandas as pd

    from mlops_lab.training import evaluate_model

    stage = Phrase(translatable("pipeline CI ({version})"), version=version)
    title = Phrase(translatable("CI of pipeline code {version}"), version=version)
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
            translatable("feature logic: no NaN or infinite values"),
            bad == 0,
            Phrase(translatable("{n} non-finite values in the sample plus a first-month customer"), n=bad),
            devops=True,
        )
    )
    half = len(sample) // 2
    trains, beats = translatable("training runs on a sample"), translatable("model beats a constant guess")
    try:
        model = build().fit(sample.iloc[:half][list(FEATURES)], sample.iloc[:half][TARGET])
    except ValueError as exc:
        checks.append(CheckResult(stage, trains, False, str(exc).splitlines()[0], devops=True))
        return CheckReport(title, tuple(checks), language=language)
    trained = Phrase(translatable("trained on {n} rows"), n=half)
    checks.append(CheckResult(stage, trains, True, trained, devops=True))
    try:
        auc = evaluate_model(model, sample.iloc[half:]).roc_auc
    except ValueError as exc:
        # Broken feature logic can pass training (0/0 is a NaN the imputer fills) and still fail on other rows (x/0).
        checks.append(CheckResult(stage, beats, False, str(exc).splitlines()[0]))
        return CheckReport(title, tuple(checks), language=language)
    checks.append(CheckResult(stage, beats, auc > 0.5, f"ROC AUC {auc:.3f} > 0.5"))
    return CheckReport(title, tuple(checks), language=language)


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
    language: str = "en",
) -> CIRun:
    """Run the whole pipeline on ``new_data``: code tests, data validation, training, model validation.

    ``code_tests`` are reused (the code did not change). Schema skew stops the run: no model is
    trained and the model checks are skipped. Otherwise a candidate is trained on ``new_data``
    and gated on ``holdout`` against ``current`` and ``baseline`` (see :func:`validate_model`).
    ``language`` is the language the report and the gate are shown in.
    """
    from mlops_lab.training import train_model

    checked = schema.validate(new_data, name=name, language=language)
    checks = [*code_tests.checks, *checked.as_checks()]
    title = Phrase(translatable("CI run {name!r}"), name=name)
    if not code_tests.passed or checked.schema_skew:
        stage = CODE_TESTS if not code_tests.passed else translatable("data validation (schema skew)")
        gate_stage, stopped = translatable("model validation"), translatable("no model trained: the run stopped")
        checks += [
            CheckResult(
                gate_stage, Phrase(translatable("overall {metric}"), metric=metric), False, stopped, status=SKIP
            ),
            CheckResult(gate_stage, translatable("slices"), False, stopped, status=SKIP),
        ]
        outcome = Phrase(translatable("STOPPED at {stage}"), stage=stage)
        return CIRun(CheckReport(title, tuple(checks), outcome, language=language), checked)
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
        language=language,
    )
    checks += gate.as_checks()
    if gate.promote:
        outcome = translatable("PROMOTE the candidate")
    else:
        outcome = translatable("BLOCKED at model validation: the current model stays")
    return CIRun(CheckReport(title, tuple(checks), outcome, language=language), checked, gate, candidate)


# ----------------------------------------------------------------------------- what each pipeline sees


def fault_report(
    code_tests: CheckReport, results: Mapping[str, DataValidation | GateDecision], *, language: str = "en"
) -> Table:
    """One row per fault: what the DevOps checks (code tests) said, which MLOps check caught it, what happened next.

    The table is shown in ``language``.
    """
    devops = code_tests.status
    rows = []
    for fault, result in results.items():
        if isinstance(result, GateDecision):
            caught = "-"
            if not result.promote:
                caught = Phrase(translatable("model gate: {scopes}"), scopes=joined(", ", result.blocked_by))
            action = translatable("promote") if result.promote else translatable("block the promotion")
        else:
            caught, action = result.caught_by, result.action
        rows.append((fault, devops, caught, action))
    return Table(
        translatable("Which check caught each fault"),
        (
            translatable("fault"),
            translatable("code tests (DevOps CI)"),
            translatable("caught by (MLOps checks)"),
            translatable("pipeline action"),
        ),
        tuple(rows),
        language=language,
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
    """A frozen model's quality month by month (see :func:`quality_by_month`), shown in ``language``."""

    months: tuple[MonthQuality, ...]
    language: str = field(default="en", repr=False, compare=False)

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
            translatable("The deployed model, month by month (same code, same tests)"),
            (
                translatable("month"),
                CODE_TESTS,
                translatable("churn rate"),
                translatable("forecast churn rate"),
                translatable("cost per customer"),
                translatable("cost if retrained quarterly"),
            ),
            rows,
            translatable(
                "forecast: the model's average churn probability; cost: missed churners and needless retention "
                "offers per customer; retrained: a model retrained every quarter on the quarter before."
            ),
            language=self.language,
        )

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def quality_by_month(
    model: Any, frame: pd.DataFrame, *, code_tests: CheckReport, window: int = 3, seed: int = 0, language: str = "en"
) -> QualityByMonth:
    """Score ``model`` on each month of ``frame`` beside the code tests' result, which never changes.

    From month ``window`` on, a model retrained every ``window`` months on the ``window`` months
    before is scored too: the gap is what keeping the frozen model costs the business. ``language``
    is the language the table is shown in.
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
    return QualityByMonth(tuple(months), language=language)


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
    """Every batch the pipeline saw, and the model serving at the end; its table is shown in ``language``."""

    metric: str
    steps: tuple[TrainingStep, ...]
    model: Any = field(repr=False, compare=False)
    language: str = field(default="en", repr=False, compare=False)

    @property
    def promotions(self) -> int:
        return sum(s.decision == "promoted" for s in self.steps)

    @property
    def stops(self) -> int:
        """How many batches schema skew kept out (the serving model stayed)."""
        return sum(s.decision.startswith("stopped") for s in self.steps)

    def table(self) -> Table:
        def num(value: float | None) -> str:
            return "-" if value is None else f"{value:.3f}"

        rows = tuple((s.batch, s.skew, s.caught_by, num(s.candidate), num(s.current), s.decision) for s in self.steps)
        return Table(
            Phrase(
                translatable("Continuous training: {n} batches, {promotions} promotions"),
                n=len(self.steps),
                promotions=self.promotions,
            ),
            (
                translatable("batch"),
                translatable("data skew"),
                translatable("caught by"),
                Phrase(translatable("candidate {metric}"), metric=self.metric),
                Phrase(translatable("current {metric}"), metric=self.metric),
                translatable("decision"),
            ),
            rows,
            language=self.language,
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
    language: str = "en",
) -> TrainingLog:
    """Run the pipeline on every new labelled batch, with no human in the loop.

    For each ``(name, batch)``: validate the data. Schema skew stops the run (the batch is kept
    out of training and the serving model stays). Otherwise a candidate is trained on the last
    ``window`` accepted batches before this one (``history`` holds the earlier ones) and gated
    on this batch, the freshest labelled data, against the serving model; if it passes it is
    promoted and serves from then on. ``language`` is the language the log's table is shown in.
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
            kept = translatable("stopped: serving model kept")
            steps.append(TrainingStep(name, checked.skew, checked.caught_by, None, None, kept))
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
            failed = Phrase(translatable("failed: {error}"), error=run.error)
            steps.append(TrainingStep(name, checked.skew, checked.caught_by, None, None, failed))
        else:
            gate = run.gate
            if run.promoted:
                decision = translatable("promoted")
            else:
                decision = Phrase(translatable("blocked: {scopes}"), scopes=joined(", ", gate.blocked_by))
            if run.promoted:
                serving = run.candidate
            steps.append(
                TrainingStep(
                    name, checked.skew, checked.caught_by, gate.overall.candidate, gate.overall.current, decision
                )
            )
        accepted.append(batch)
    return TrainingLog(metric=metric, steps=tuple(steps), model=serving, language=language)


# ----------------------------------------------------------------------------- DevOps and MLOps side by side


def devops_vs_mlops(
    *,
    slice_row: GateRow,
    code_tests: CheckReport,
    data_results: Iterable[DataValidation],
    ct_log: TrainingLog,
    cost_before: float,
    cost_after: float,
    language: str = "en",
) -> Table:
    """The five areas where Google Cloud's MLOps guide says an ML system differs from software, with a lab's evidence.

    ``slice_row`` is a slice the gate compared (skills: reading it), ``data_results`` the data
    validations run (how many schema skew stopped), ``ct_log`` a continuous-training run, and
    ``cost_before``/``cost_after`` a frozen model's cost per customer before and after the data changed.
    """
    stopped_batches = sum(r.schema_skew for r in data_results)
    evidence = (
        Phrase(
            translatable(
                "reading a slice gate ({scope}: {candidate:.3f} vs {current:.3f}) needs data and model skills"
            ),
            scope=slice_row.scope,
            candidate=slice_row.candidate,
            current=slice_row.current,
        ),
        translatable("three candidates from the same code, told apart only by their data and results"),
        Phrase(
            translatable("code tests: {status} on every fault; data checks stopped {stopped} batches"),
            status=code_tests.status,
            stopped=stopped_batches,
        ),
        Phrase(
            translatable("CT promoted {promotions} model(s) and stopped {stops} batch(es) without a person"),
            promotions=ct_log.promotions,
            stops=ct_log.stops,
        ),
        Phrase(
            translatable("cost per customer {before:.2f} -> {after:.2f} with unchanged code"),
            before=cost_before,
            after=cost_after,
        ),
    )
    areas = (
        (
            translatable("team skills"),
            translatable("software engineers build and run it"),
            translatable("data scientists build models; not always production engineers"),
        ),
        (
            translatable("development"),
            translatable("code changes, deterministic builds"),
            translatable("experiments: which data, parameters and model won must be recorded"),
        ),
        (
            translatable("testing"),
            translatable("unit and integration tests of code"),
            translatable("plus data validation, model quality and model validation"),
        ),
        (
            translatable("deployment"),
            translatable("deploy a package or service"),
            translatable("deploy a pipeline that retrains and redeploys the model"),
        ),
        (
            translatable("production"),
            translatable("code does not decay on its own"),
            translatable("models decay as data changes: track statistics and quality, retrain"),
        ),
    )
    return Table(
        translatable("DevOps vs MLOps, from this lab"),
        (
            translatable("area"),
            translatable("software (DevOps)"),
            translatable("ML system (MLOps)"),
            translatable("what this notebook showed"),
        ),
        tuple((*area, shown) for area, shown in zip(areas, evidence, strict=True)),
        language=language,
    )
