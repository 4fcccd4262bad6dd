"""MLOps maturity levels 0, 1 and 2, operated side by side on the same year and a half of data.

One churn business, one model, three ways of running it (Google Cloud's MLOps maturity levels):

* :class:`Level0Manual`: a data scientist trains the model by hand and hands the file over.
  Nobody monitors it; it is retrained only after the business has felt bad months for
  ``human_delay`` months in a row. No data validation, no model validation.
* :class:`Level1PipelineAutomation`: the *training pipeline* is deployed, and a
  :class:`Trigger` (schedule, new data, performance drop or distribution shift) runs it:
  continuous training. Data validation stops the pipeline on a broken batch; model
  validation promotes a new model only if it beats the current one. New pipeline *code*
  still reaches production through a manual release, ``release_delay`` months later, with
  no automated tests.
* :class:`Level2CICD`: level 1 plus CI/CD of the pipeline itself: a code change passes
  automated tests (:func:`run_ci`) and is deployed the same month; a broken change is blocked.

A :class:`Scenario` is the world they all face: monthly batches from
:func:`mlops_lab.data.make_customers` with a gradual covariate shift, a sudden concept change,
a data-quality incident (:func:`mlops_lab.data.inject_faults`) and two changes to the
pipeline's code: a new feature, then a broken refactoring.

Quality is the business cost of the model's mistakes per customer
(:func:`mlops_lab.training.business_cost`: a missed churner costs 100, a false alarm 10),
so *lower is better*, and the business sets a target: a month costing more is *off target*.
The cost is a better yardstick than accuracy or ROC AUC here, because drift also changes
how many customers churn, which moves those metrics even for a perfectly fresh model. The
model validation gate (:func:`mlops_lab.validation.validate_model`) compares a candidate with
the production model on the same held-out rows, where ROC AUC is a fair, low-noise judge.

Models trained on the same data with the same code are identical, so a :class:`World`
caches them: the three levels, and the policy search of the "Your turn" exercise, share
every model and every measurement, which keeps a whole comparison to a few seconds. (The
lifecycle runner of :mod:`mlops_lab.pipeline` writes every artifact of a run to disk, right for
one real run and too slow for the hundreds a simulation makes; here runs stay in memory and
each one is logged to MLflow as a light run, :func:`mlops_lab.tracking.log_light_run`, when a store is given.)
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_lab.data import FEATURES, TARGET, DataSettings

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.axes import Axes
    from sklearn.pipeline import Pipeline

    from mlops_lab.monitoring import DriftTimeline
    from mlops_lab.tracking import TrackingStore
    from mlops_lab.validation import CheckReport, DataSchema, DataValidation, GateDecision

TRIGGER_KINDS: tuple[str, ...] = ("schedule", "new_data", "performance", "drift")
TRIGGER_UNITS: dict[str, str] = {
    "schedule": "run every N months",
    "new_data": "new validated rows since the last run",
    "performance": "cost per customer last month",
    "drift": "largest feature distance to the training data",
}
# Share of the newest month held out to compare a candidate with the production model.
HOLDOUT_SHARE = 0.25
# The model validation gate (mlops_lab.validation.validate_model) compares candidate and
# production model on this metric, on the held-out part of the newest month.
GATE_METRIC = "roc_auc"


# ---------------------------------------------------------------------------------------
# The pipeline's code: three versions of the feature step
# ---------------------------------------------------------------------------------------


def _features_v1(frame: pd.DataFrame) -> pd.DataFrame:
    """v1: support calls are not joined from the ticketing system yet, so the column carries no signal."""
    return frame.assign(support_calls=0)


def _features_v2(frame: pd.DataFrame) -> pd.DataFrame:
    """v2: the new feature: support calls from the ticketing system."""
    return frame


def _features_v3(frame: pd.DataFrame) -> pd.DataFrame:
    """v3: "support calls per month of tenure"; new customers have a tenure of 0, so this divides by zero."""
    return frame.assign(support_calls=frame["support_calls"] / frame["tenure_months"])


@dataclass(frozen=True)
class PipelineCode:
    """One version of the training pipeline's code (here, its feature step)."""

    version: str
    description: str
    feature_step: Callable[[pd.DataFrame], pd.DataFrame] = field(repr=False, compare=False)

    def __repr__(self) -> str:
        return f"PipelineCode({self.version}: {self.description})"


CODE_V1 = PipelineCode("v1", "first model, without support calls", _features_v1)
CODE_V2 = PipelineCode("v2", "new feature: support calls", _features_v2)
CODE_V3 = PipelineCode("v3", "refactoring: support calls per month of tenure (divides by zero)", _features_v3)


def build_pipeline_model(code: PipelineCode, *, seed: int = 0) -> Pipeline:
    """The feature step of ``code`` in front of :func:`mlops_lab.training.build_model`.

    The feature step travels inside the model, so serving computes features with exactly
    the code that training used.
    """
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from mlops_lab.training import build_model

    return Pipeline([("features", FunctionTransformer(code.feature_step)), ("model", build_model(seed=seed))])


def run_ci(code: PipelineCode, sample: pd.DataFrame, *, seed: int = 0) -> CheckReport:
    """Test a pipeline version before it may reach production (level 2's continuous integration):
    :func:`mlops_lab.validation.run_pipeline_ci` on this version's feature step and model."""
    from mlops_lab.validation import run_pipeline_ci

    return run_pipeline_ci(
        code.version,
        feature_step=code.feature_step,
        build=lambda: build_pipeline_model(code, seed=seed),
        sample=sample,
        seed=seed,
    )


# ---------------------------------------------------------------------------------------
# The world: data, events and cached models
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    month: int
    kind: str  # covariate_shift | concept_change | data_incident | code_change | broken_code_change
    label: str


@dataclass(frozen=True)
class Scenario:
    """The business's data over time and what happens to it (months are numbered from 0).

    The first ``history_months`` months train the first model; production starts after them.
    The fields named like :class:`~mlops_lab.data.DataSettings`' are the data knobs (same
    meaning and types, a busier default world); the others script the events.
    """

    n_months: int = 18
    customers_per_month: int = 3000
    history_months: int = 3
    covariate_drift: float = 0.5
    covariate_drift_start: int = 5
    concept_drift: float = 2.0
    concept_drift_month: int = 11
    incident_month: int | None = 7
    new_feature_month: int | None = 4
    broken_change_month: int | None = 9
    cost_target: float = 20.0
    window_months: int = 2
    seed: int = 42

    def __post_init__(self) -> None:
        self.data_settings()  # the data knobs' own limits
        if self.history_months < 1 or self.n_months <= self.history_months:
            raise ValueError("the scenario needs at least one history month and one production month")
        if self.window_months < 1:
            raise ValueError("window_months must be at least 1")
        for name in ("incident_month", "new_feature_month", "broken_change_month", "concept_drift_month"):
            month = getattr(self, name)
            if month is not None and not self.history_months <= month < self.n_months:
                raise ValueError(
                    f"{name}={month} must fall in production, months {self.history_months} to {self.n_months - 1}"
                )

    def data_settings(self) -> DataSettings:
        """What the scenario's data generator is asked for."""
        return DataSettings(**DataSettings.pick(self))

    @property
    def production_months(self) -> range:
        return range(self.history_months, self.n_months)

    def events(self) -> tuple[Event, ...]:
        found = []
        if self.covariate_drift > 0:
            found.append(Event(self.covariate_drift_start, "covariate_shift", "customer mix starts shifting"))
        if self.concept_drift > 0:
            found.append(Event(self.concept_drift_month, "concept_change", "customers become price sensitive"))
        if self.incident_month is not None:
            found.append(Event(self.incident_month, "data_incident", "broken upstream data"))
        if self.new_feature_month is not None:
            found.append(Event(self.new_feature_month, "code_change", "new feature (code v2)"))
        if self.broken_change_month is not None:
            found.append(Event(self.broken_change_month, "broken_code_change", "broken refactoring (code v3)"))
        return tuple(sorted(found, key=lambda e: e.month))

    def code_changes(self) -> tuple[tuple[int, PipelineCode], ...]:
        changes = []
        if self.new_feature_month is not None:
            changes.append((self.new_feature_month, CODE_V2))
        if self.broken_change_month is not None:
            changes.append((self.broken_change_month, CODE_V3))
        return tuple(sorted(changes, key=lambda change: change[0]))


ModelKey = tuple[str, tuple[int, ...], bool]


class _KnownPredictions:
    """Stands in for a model whose probabilities on one batch are already known.

    ``training.business_cost`` and ``validation.validate_model`` call ``predict_proba``; a
    model predicts each month once and every later question reuses the answer.
    """

    def __init__(self, proba: np.ndarray) -> None:
        self.proba = proba

    def rows_from(self, start: int) -> _KnownPredictions:
        return _KnownPredictions(self.proba[start:])

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        import numpy as np

        if len(features) != len(self.proba):
            raise ValueError(f"known predictions cover {len(self.proba)} rows, asked for {len(features)}")
        return np.column_stack([1 - self.proba, self.proba])


class World:
    """A scenario's monthly batches, with every trained model and measurement cached."""

    def __init__(self, scenario: Scenario) -> None:
        from mlops_lab.data import inject_faults, make_customers, monthly_batches

        self.scenario = scenario
        frame = make_customers(scenario.data_settings())
        batches = list(monthly_batches(frame))
        self.labels: tuple[str, ...] = tuple(label for label, _ in batches)
        self.batches: list[pd.DataFrame] = [batch for _, batch in batches]
        if scenario.incident_month is not None:
            self.batches[scenario.incident_month] = inject_faults(
                self.batches[scenario.incident_month],
                faults=["missing_values", "out_of_range", "unseen_category"],
                rate=0.4,
                seed=scenario.seed,
            )
        self._training_data: dict[tuple[tuple[int, ...], bool], pd.DataFrame] = {}
        self._fingerprints: dict[tuple[tuple[int, ...], bool], str] = {}
        self._models: dict[ModelKey, Pipeline] = {}
        self._predictions: dict[tuple[ModelKey, int], _KnownPredictions] = {}
        self._costs: dict[tuple[ModelKey, int], float] = {}
        self._drift: dict[tuple[ModelKey, int], float] = {}
        self._validations: dict[int, DataValidation] = {}
        self._gates: dict[tuple[ModelKey, ModelKey, int], GateDecision] = {}
        self._ci: dict[str, CheckReport] = {}
        self._schema: DataSchema | None = None

    def holdout(self, month: int) -> pd.DataFrame:
        batch = self.batches[month]
        return batch.iloc[int(len(batch) * (1 - HOLDOUT_SHARE)) :]

    def training_data(self, key: ModelKey) -> pd.DataFrame:
        """The rows a model was trained on: whole months, the last one minus its holdout if asked (built once)."""
        import pandas as pd

        _, months, hold_out_last = key
        data_key = (months, hold_out_last)
        if data_key not in self._training_data:
            parts = [self.batches[m] for m in months[:-1]]
            last = self.batches[months[-1]]
            parts.append(last.iloc[: int(len(last) * (1 - HOLDOUT_SHARE))] if hold_out_last else last)
            self._training_data[data_key] = pd.concat(parts, ignore_index=True)
        return self._training_data[data_key]

    def fingerprint(self, key: ModelKey) -> str:
        """The fingerprint of a model's training data (:func:`mlops_lab.data.fingerprint`), computed once."""
        from mlops_lab.data import fingerprint

        data_key = (key[1], key[2])
        if data_key not in self._fingerprints:
            self._fingerprints[data_key] = fingerprint(self.training_data(key))
        return self._fingerprints[data_key]

    def model(self, key: ModelKey) -> Pipeline:
        """Train (once) the model of ``key`` = (code version, months, last month held out?).

        Raises ``ValueError`` when the code cannot train, as a broken pipeline step would.
        """
        if key not in self._models:
            code = CODES[key[0]]
            train = self.training_data(key)
            self._models[key] = build_pipeline_model(code, seed=self.scenario.seed).fit(
                train[list(FEATURES)], train[TARGET]
            )
        return self._models[key]

    def predictions(self, key: ModelKey, month: int) -> _KnownPredictions:
        """A model's churn probabilities for a month's batch, computed once."""
        if (key, month) not in self._predictions:
            proba = self.model(key).predict_proba(self.batches[month][list(FEATURES)])[:, 1]
            self._predictions[(key, month)] = _KnownPredictions(proba)
        return self._predictions[(key, month)]

    def cost(self, key: ModelKey, month: int) -> float:
        """Business cost per customer of a model on a month's batch."""
        from mlops_lab.training import business_cost

        if (key, month) not in self._costs:
            self._costs[(key, month)] = business_cost(self.predictions(key, month), self.batches[month])
        return self._costs[(key, month)]

    def drift(self, key: ModelKey, month: int) -> float:
        """Largest per-feature distance (Vertex AI metrics) between a model's training data and a month."""
        from mlops_lab.monitoring import detect_skew

        if (key, month) not in self._drift:
            self._drift[(key, month)] = detect_skew(self.training_data(key), self.batches[month]).max_distance
        return self._drift[(key, month)]

    def data_validation(self, month: int) -> DataValidation:
        """Automated data validation of a month's batch against the schema of the first training data."""
        from mlops_lab.validation import infer_schema

        if self._schema is None:
            self._schema = infer_schema(self.training_data(self.initial_key()))
        if month not in self._validations:
            self._validations[month] = self._schema.validate(self.batches[month], name=self.labels[month])
        return self._validations[month]

    def gate(self, candidate: ModelKey, production: ModelKey, month: int) -> GateDecision:
        """Model validation: does the candidate beat the production model on the newest month's holdout?"""
        from mlops_lab.validation import validate_model

        if (candidate, production, month) not in self._gates:
            start = len(self.batches[month]) - len(self.holdout(month))
            self._gates[(candidate, production, month)] = validate_model(
                self.predictions(candidate, month).rows_from(start),
                data=self.holdout(month),
                current=self.predictions(production, month).rows_from(start),
                metric=GATE_METRIC,
            )
        return self._gates[(candidate, production, month)]

    def ci(self, code: PipelineCode) -> CheckReport:
        """The CI run of a pipeline version (cached: the same code always gives the same result)."""
        if code.version not in self._ci:
            self._ci[code.version] = run_ci(
                code, self.batches[self.scenario.history_months - 1], seed=self.scenario.seed
            )
        return self._ci[code.version]

    def drift_timeline(self) -> DriftTimeline:
        """Every production month against the first model's training data: what monitoring would chart."""
        from mlops_lab.monitoring import drift_over_time

        baseline = self.training_data(self.initial_key())
        return drift_over_time(
            baseline, [(self.labels[m], self.batches[m]) for m in self.scenario.production_months], kind="skew"
        )

    def initial_key(self) -> ModelKey:
        return (CODE_V1.version, tuple(range(self.scenario.history_months)), False)


CODES: dict[str, PipelineCode] = {c.version: c for c in (CODE_V1, CODE_V2, CODE_V3)}


# ---------------------------------------------------------------------------------------
# The three levels, as policies
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signals:
    """What a trigger can see at the end of a month."""

    months_in_production: int
    new_rows: int
    cost: float
    drift: float


@dataclass(frozen=True)
class Trigger:
    """When continuous training runs the pipeline; ``threshold`` is in :data:`TRIGGER_UNITS` of ``kind``."""

    kind: str = "performance"
    threshold: float = 20.0

    def __post_init__(self) -> None:
        if self.kind not in TRIGGER_KINDS:
            raise ValueError(f"unknown trigger {self.kind!r}; choose from {list(TRIGGER_KINDS)}")
        if not self.threshold > 0:
            raise ValueError(f"a trigger threshold must be positive, got {self.threshold!r}")

    def fires(self, signals: Signals) -> str | None:
        """The reason to run the pipeline now, or None."""
        if self.kind == "schedule" and signals.months_in_production % max(1, round(self.threshold)) == 0:
            return f"schedule: every {round(self.threshold)} months"
        if self.kind == "new_data" and signals.new_rows >= self.threshold:
            return f"new data: {signals.new_rows} new rows"
        if self.kind == "performance" and signals.cost > self.threshold:
            return f"performance drop: cost {signals.cost:.2f} > {self.threshold:g}"
        if self.kind == "drift" and signals.drift >= self.threshold:
            return f"distribution shift: distance {signals.drift:.3f} >= {self.threshold:g}"
        return None

    def __str__(self) -> str:
        return f"{self.kind} ({TRIGGER_UNITS[self.kind]}: {self.threshold:g})"


@dataclass(frozen=True)
class Level0Manual:
    """Level 0: manual, script-driven, interactive. No pipeline, no monitoring, no validation.

    The business complains after ``human_delay`` months off target in a row; then a data
    scientist retrains by hand on the last months with the newest code that runs, and hands
    the model file over.
    """

    human_delay: int = 3
    level: int = 0
    name: str = "level 0: manual"

    def notices_problem(self, months_off_target_in_a_row: int) -> bool:
        return months_off_target_in_a_row >= self.human_delay

    def __str__(self) -> str:
        return (
            f"{self.name}: retrained by hand after {self.human_delay} bad months in a row; "
            "no pipeline, no monitoring, no data or model validation"
        )


@dataclass(frozen=True)
class Level1PipelineAutomation:
    """Level 1: continuous training by a deployed pipeline with data and model validation.

    New pipeline code is released by hand ``release_delay`` months after it is written,
    untested; a failing pipeline is repaired by hand ``release_delay`` months after it breaks.
    """

    trigger: Trigger = field(default_factory=Trigger)
    release_delay: int = 3
    validate_data: bool = True
    validate_model: bool = True
    ci_cd: bool = False
    level: int = 1
    name: str = "level 1: pipeline automation"

    def __str__(self) -> str:
        checks = [
            name
            for name, on in (("data validation", self.validate_data), ("model validation", self.validate_model))
            if on
        ]
        code = (
            "new pipeline code tested by CI and deployed by CD the same month"
            if self.ci_cd
            else f"new pipeline code released by hand after {self.release_delay} months, untested"
        )
        return f"{self.name}: trigger {self.trigger}; {', '.join(checks) or 'no validation'}; {code}"


@dataclass(frozen=True)
class Level2CICD(Level1PipelineAutomation):
    """Level 2: level 1 plus CI/CD of the pipeline: every code change is tested and, if it passes, deployed at once."""

    release_delay: int = 3  # still the time a human needs to repair what CI could not have caught
    ci_cd: bool = True
    level: int = 2
    name: str = "level 2: CI/CD pipeline automation"


Policy = Level0Manual | Level1PipelineAutomation


def default_policies(
    *, trigger: str = "performance", threshold: float | None = None, human_delay: int = 3, cost_target: float = 20.0
) -> tuple[Policy, ...]:
    """Level 0, 1 and 2 with one trigger for levels 1 and 2 (``threshold`` None: that trigger's default)."""
    chosen = Trigger(trigger, default_threshold(trigger, cost_target=cost_target) if threshold is None else threshold)
    return (
        Level0Manual(human_delay=human_delay),
        Level1PipelineAutomation(trigger=chosen, release_delay=human_delay),
        Level2CICD(trigger=chosen, release_delay=human_delay),
    )


def default_threshold(kind: str, *, cost_target: float = 20.0) -> float:
    from mlops_lab.monitoring import DEFAULT_THRESHOLD

    defaults = {"schedule": 3, "new_data": 4000, "performance": cost_target, "drift": DEFAULT_THRESHOLD}
    if kind not in defaults:
        raise ValueError(f"unknown trigger {kind!r}; choose from {list(TRIGGER_KINDS)}")
    return defaults[kind]


# ---------------------------------------------------------------------------------------
# Operating a level for the whole scenario
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRecord:
    """One training run (or its failure), as the metadata store would keep it."""

    month: str
    reason: str
    code_version: str
    outcome: str  # promoted | rejected | failed
    training_months: str
    candidate_score: float | None  # the gate metric on the newest month's holdout
    production_score: float | None


@dataclass(frozen=True)
class LevelOutcome:
    """What happened to one level over the scenario, month by month."""

    policy: Policy
    months: tuple[str, ...]
    costs: tuple[float, ...]
    serving_code: tuple[str, ...]
    runs: tuple[RunRecord, ...]
    journal: tuple[tuple[str, str], ...]  # (month, what happened), in order
    manual_interventions: int
    incidents: int  # problems that reached production unnoticed or untested
    alerts: int  # problems caught automatically (data validation, CI)
    cost_target: float

    @property
    def name(self) -> str:
        return self.policy.name

    @property
    def retrains(self) -> int:
        """Models trained (by hand or by the pipeline), failed runs excluded."""
        return sum(1 for r in self.runs if r.outcome != "failed")

    @property
    def promotions(self) -> int:
        return sum(1 for r in self.runs if r.outcome == "promoted")

    @property
    def off_target(self) -> tuple[bool, ...]:
        return tuple(c > self.cost_target for c in self.costs)

    @property
    def months_off_target(self) -> int:
        return sum(self.off_target)

    @property
    def longest_recovery(self) -> int:
        """The longest run of consecutive months off target: the worst time to recover."""
        longest = current = 0
        for off in self.off_target:
            current = current + 1 if off else 0
            longest = max(longest, current)
        return longest

    @property
    def mean_cost(self) -> float:
        return round(sum(self.costs) / len(self.costs), 2)

    def summary(self) -> dict[str, Any]:
        return {
            "level": self.name,
            "retrains": self.retrains,
            "models promoted": self.promotions,
            "manual interventions": self.manual_interventions,
            "incidents reaching production": self.incidents,
            "problems caught automatically": self.alerts,
            "months off target": self.months_off_target,
            "longest time to recover (months)": self.longest_recovery,
            "mean cost per customer": self.mean_cost,
        }

    def journal_text(self) -> str:
        return "\n".join(f"{month}  {text}" for month, text in self.journal)

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"LevelOutcome({self.name}: {s['retrains']} retrains, {s['manual interventions']} manual interventions, "
            f"{s['incidents reaching production']} incidents, {s['months off target']} months off target, "
            f"mean cost {s['mean cost per customer']:.2f})"
        )


def _months_label(world: World, months: Sequence[int]) -> str:
    return f"{world.labels[months[0]]}..{world.labels[months[-1]]}"


class _Operation:
    """The month-by-month bookkeeping of one level: the production model, runs, the journal."""

    def __init__(self, world: World, policy: Policy, store: TrackingStore | None) -> None:
        self.world, self.policy, self.store = world, policy, store
        self.production: ModelKey = world.initial_key()
        self.new_rows = 0
        self.runs: list[RunRecord] = []
        self.journal: list[tuple[str, str]] = [
            (world.labels[world.scenario.history_months], "first model (code v1) goes live")
        ]
        self.manual = self.incidents = self.alerts = 0

    def note(self, month: int, text: str) -> None:
        self.journal.append((self.world.labels[month], text))

    def train(
        self, month: int, *, code: PipelineCode, reason: str, months: tuple[int, ...], validate_model: bool
    ) -> None:
        """Train a candidate on ``months``; promote it if model validation (when on) says it beats production."""
        from mlops_lab.validation import retrain

        world = self.world
        key: ModelKey = (code.version, months, validate_model)
        label = _months_label(world, months)
        run = retrain(
            lambda: world.model(key),
            gate=(lambda _: world.gate(key, self.production, month)) if validate_model else None,
        )
        if run.failed:
            self.runs.append(RunRecord(world.labels[month], reason, code.version, "failed", label, None, None))
            self.note(month, f"pipeline run FAILED ({reason}): {run.error}")
            self._track(month, reason, code, "failed", key, {})
            return
        self.new_rows = 0
        if run.gate is not None:
            candidate, current = run.gate.overall.candidate, run.gate.overall.current
            verdict = "promoted" if run.promoted else "rejected by model validation"
            self.note(
                month,
                f"pipeline run ({reason}), code {code.version}: {GATE_METRIC} {candidate:.3f} vs {current:.3f} -> {verdict}",
            )
        else:
            candidate = current = None
            what = "manual retrain" if self.policy.level == 0 else "pipeline run"
            self.note(
                month, f"{what} ({reason}) with code {code.version} on {label}, promoted without model validation"
            )
        outcome = "promoted" if run.promoted else "rejected"
        self.runs.append(RunRecord(world.labels[month], reason, code.version, outcome, label, candidate, current))
        metrics = (
            {} if candidate is None else {f"candidate_{GATE_METRIC}": candidate, f"production_{GATE_METRIC}": current}
        )
        self._track(month, reason, code, outcome, key, metrics)
        if run.promoted:
            self.production = key

    def _track(
        self, month: int, reason: str, code: PipelineCode, outcome: str, key: ModelKey, metrics: dict[str, float]
    ) -> None:
        if self.store is None:
            return
        from mlops_lab.tracking import CODE_VERSION_TAG, FINGERPRINT_TAG, code_version, log_light_run

        # A simulation logs dozens of runs: one batched write each, the data's fingerprint computed once.
        log_light_run(
            name=f"level{self.policy.level}-{self.world.labels[month]}",
            params={
                "level": self.policy.level,
                "month": self.world.labels[month],
                "pipeline_code": code.version,
                "training_months": _months_label(self.world, key[1]),
                "reason": reason,
            },
            metrics={**metrics, "promoted": float(outcome == "promoted")},
            tags={
                FINGERPRINT_TAG: self.world.fingerprint(key),
                CODE_VERSION_TAG: code_version(),
                "maturity_level": str(self.policy.level),
                "outcome": outcome,
            },
            store=self.store,
        )


def _window(world: World, month: int, *, skip: Iterable[int] = ()) -> tuple[int, ...]:
    """The last ``window_months`` months up to ``month``, leaving out ``skip`` (quarantined batches)."""
    skipped = set(skip)
    usable = [m for m in range(month + 1) if m not in skipped]
    return tuple(usable[-world.scenario.window_months :])


class _Level0Operator:
    """Level 0, one month at a time: a data scientist retrains by hand once complaints pile up."""

    def __init__(self, world: World, policy: Level0Manual, op: _Operation) -> None:
        self.world, self.policy, self.op = world, policy, op
        self.off_in_a_row = 0

    def operate(self, month: int) -> None:
        world, op, scenario = self.world, self.op, self.world.scenario
        self.off_in_a_row = self.off_in_a_row + 1 if world.cost(op.production, month) > scenario.cost_target else 0
        if month == scenario.incident_month:
            op.incidents += 1
            op.note(month, "broken data served and nobody noticed (no validation, no monitoring)")
        if self.policy.notices_problem(self.off_in_a_row) and month + 1 < scenario.n_months:
            op.manual += 1
            op.train(
                month,
                code=_newest_working_code(scenario, month),
                reason=f"complaints after {self.off_in_a_row} bad months",
                months=_window(world, month),
                validate_model=False,
            )
            self.off_in_a_row = 0


def _newest_working_code(scenario: Scenario, month: int) -> PipelineCode:
    """At level 0 the data scientist runs the code by hand, sees a crash at once and keeps the last version that ran."""
    code = CODE_V1
    for changed, candidate in scenario.code_changes():
        if changed <= month and candidate is not CODE_V3:
            code = candidate
    return code


class _PipelineOperator:
    """Levels 1 and 2, one month at a time, in this order: pipeline code reaches production (CI/CD or a
    manual release, then any repair), data validation may stop the month, the trigger decides, the pipeline runs."""

    def __init__(self, world: World, policy: Level1PipelineAutomation, op: _Operation) -> None:
        self.world, self.policy, self.op = world, policy, op
        self.deployed = self.working = CODE_V1
        # Without CI/CD a code change waits for a manual release: (release month, code).
        self.pending = (
            []
            if policy.ci_cd
            else [(changed + policy.release_delay, code) for changed, code in world.scenario.code_changes()]
        )
        self.repair_month: int | None = None
        self.quarantined: list[int] = []
        self.reasons: list[str] = []  # kept until the pipeline can run (data validation may stop it this month)

    def operate(self, month: int) -> None:
        self.release_code(month)
        self.repair(month)
        if not self.accept_data(month):
            return
        self.check_trigger(month)
        if self.reasons and month + 1 < self.world.scenario.n_months:
            self.run_pipeline(month)

    def release_code(self, month: int) -> None:
        """Pipeline code reaches production: through CI/CD the month it is written, or by a manual release."""
        op = self.op
        for changed, code in self.world.scenario.code_changes():
            if self.policy.ci_cd and changed == month:
                report = self.world.ci(code)
                if report.passed:
                    self.deployed = self.working = code
                    op.note(month, f"CI passed for code {code.version}; CD deployed the pipeline the same month")
                    self.reasons.append(f"new pipeline {code.version}")
                else:
                    op.alerts += 1
                    failed = next(c for c in report.checks if not c.passed)
                    op.note(month, f"CI BLOCKED code {code.version}: {failed.check} ({failed.detail})")
        for code in [code for release, code in self.pending if release == month]:
            op.manual += 1
            self.deployed = code
            op.note(
                month, f"manual release of code {code.version}, {self.policy.release_delay} months after it was written"
            )
            self.reasons.append(f"new pipeline {code.version}")

    def repair(self, month: int) -> None:
        if self.repair_month == month:
            self.op.manual += 1
            self.deployed, self.repair_month = self.working, None
            self.op.note(
                month,
                f"engineer repairs the pipeline by hand (back to code {self.working.version}); it runs at the next trigger",
            )

    def accept_data(self, month: int) -> bool:
        """Data validation: schema skew stops the pipeline and keeps the batch out of training."""
        world, op = self.world, self.op
        if self.policy.validate_data and world.data_validation(month).schema_skew:
            op.alerts += 1
            self.quarantined.append(month)
            op.note(
                month,
                f"data validation STOPPED the pipeline: schema skew in {_schema_problems(world.data_validation(month))}",
            )
            return False
        if month == world.scenario.incident_month:
            op.incidents += 1
            op.note(month, "broken data accepted: without data validation the pipeline may train on it")
        op.new_rows += len(world.batches[month])
        return True

    def check_trigger(self, month: int) -> None:
        """Continuous training: the trigger looks at this month's signals."""
        world, op, scenario = self.world, self.op, self.world.scenario
        signals = Signals(
            months_in_production=month - scenario.history_months + 1,
            new_rows=op.new_rows,
            cost=world.cost(op.production, month),
            drift=world.drift(op.production, month) if self.policy.trigger.kind == "drift" else 0.0,
        )
        fired = self.policy.trigger.fires(signals)
        if fired:
            self.reasons.append(fired)

    def run_pipeline(self, month: int) -> None:
        op = self.op
        op.train(
            month,
            code=self.deployed,
            reason="; ".join(self.reasons),
            months=_window(self.world, month, skip=self.quarantined),
            validate_model=self.policy.validate_model,
        )
        self.reasons = []
        if op.runs[-1].outcome == "failed" and self.repair_month is None:
            op.incidents += 1
            self.repair_month = month + self.policy.release_delay
            op.note(
                month,
                f"the pipeline is broken in production until someone repairs it ({self.policy.release_delay} months)",
            )
        elif op.runs[-1].outcome != "failed":
            self.working = self.deployed


def _schema_problems(result: DataValidation) -> str:
    from mlops_lab.validation import SCHEMA_SKEW

    return "; ".join(dict.fromkeys(f"{f.check} ({f.column})" for f in result.findings if f.kind == SCHEMA_SKEW))


def simulate(scenario: Scenario | World, policy: Policy, *, store: TrackingStore | None = None) -> LevelOutcome:
    """Operate ``policy`` through the whole scenario; every retrain is logged to ``store`` when given."""
    from threadpoolctl import threadpool_limits

    world = scenario if isinstance(scenario, World) else World(scenario)
    op = _Operation(world, policy, store)
    operator = (
        _Level0Operator(world, policy, op) if isinstance(policy, Level0Manual) else _PipelineOperator(world, policy, op)
    )
    costs, codes = [], []
    # Small models train 5x faster on one BLAS thread than on threads fighting for two cores.
    with threadpool_limits(limits=1):
        for month in world.scenario.production_months:
            # First the month is served by the model chosen at the end of last month, then the team acts.
            costs.append(world.cost(op.production, month))
            codes.append(op.production[0])
            operator.operate(month)
    return LevelOutcome(
        policy=policy,
        months=tuple(world.labels[m] for m in world.scenario.production_months),
        costs=tuple(costs),
        serving_code=tuple(codes),
        runs=tuple(op.runs),
        journal=tuple(op.journal),
        manual_interventions=op.manual,
        incidents=op.incidents,
        alerts=op.alerts,
        cost_target=world.scenario.cost_target,
    )


# ---------------------------------------------------------------------------------------
# Comparing the levels: table and charts
# ---------------------------------------------------------------------------------------

# Events: colour and line style, chosen apart from the three levels' red, blue and green.
EVENT_STYLES: dict[str, tuple[str, tuple[int, ...]]] = {
    "covariate_shift": ("#9a6700", (0, (1, 2))),
    "concept_change": ("#8250df", (0, (5, 2))),
    "data_incident": ("#e16f24", (0, (1, 1))),
    "code_change": ("#57606a", (0, (3, 1, 1, 1))),
    "broken_code_change": ("#24292f", (0, (3, 1, 1, 1, 1, 1))),
}
LEVEL_COLOURS = ("#cf222e", "#0969da", "#1a7f37")


@dataclass(frozen=True)
class Comparison:
    """The levels' outcomes on one scenario: a table, a quality chart and each level's journal."""

    scenario: Scenario
    outcomes: tuple[LevelOutcome, ...]
    labels: tuple[str, ...]

    def outcome(self, level: int) -> LevelOutcome:
        for o in self.outcomes:
            if o.policy.level == level:
                return o
        raise KeyError(f"no level {level} in this comparison")

    def table(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([o.summary() for o in self.outcomes]).set_index("level")

    def facts(self) -> dict[str, float]:
        """Numbers a quiz can ask about (``level0_months_off_target``, ``level2_retrains``, ...)."""
        found: dict[str, float] = {}
        for o in self.outcomes:
            prefix = f"level{o.policy.level}"
            found[f"{prefix}_retrains"] = o.retrains
            found[f"{prefix}_manual_interventions"] = o.manual_interventions
            found[f"{prefix}_incidents"] = o.incidents
            found[f"{prefix}_months_off_target"] = o.months_off_target
            found[f"{prefix}_longest_recovery"] = o.longest_recovery
            found[f"{prefix}_mean_cost"] = o.mean_cost
        if {"level0", "level1", "level2"} <= {k.split("_")[0] for k in found}:
            # Differences a learner computes from two cells of the table, so a question needs the lab, not a glance.
            found["level0_minus_level2_months_off_target"] = (
                found["level0_months_off_target"] - found["level2_months_off_target"]
            )
            found["level1_minus_level2_mean_cost"] = round(found["level1_mean_cost"] - found["level2_mean_cost"], 2)
        return found

    def _rows(self) -> list[tuple[str, list[str]]]:
        """The summary as text, one row per measure and one column per level."""
        summaries = [o.summary() for o in self.outcomes]
        measures = [k for k in summaries[0] if k != "level"]
        return [(m, [f"{s[m]:.2f}" if isinstance(s[m], float) else str(s[m]) for s in summaries]) for m in measures]

    def _caption(self) -> str:
        months = self.outcomes[0].months
        return f"{len(months)} production months ({months[0]} to {months[-1]}), cost target {self.scenario.cost_target:g} per customer"

    def __repr__(self) -> str:
        levels = [f"level {o.policy.level}" for o in self.outcomes]
        lines = [self._caption(), f"{'':<34}" + "".join(f"{name:>10}" for name in levels)]
        lines += [f"{measure:<34}" + "".join(f"{v:>10}" for v in values) for measure, values in self._rows()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(o.name)}</th>" for o in self.outcomes)
        body = "".join(
            f"<tr><td>{html.escape(m)}</td>" + "".join(f"<td>{v}</td>" for v in values) + "</tr>"
            for m, values in self._rows()
        )
        return f"<p>{html.escape(self._caption())}</p><table><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"

    def plot_quality(self, *, ax: Axes | None = None) -> Axes:
        """Cost per customer over time for every level, with the target, the events and every model promotion."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(10, 4.5))
        months = list(self.outcomes[0].months)
        x = range(len(months))
        for o, colour in zip(self.outcomes, LEVEL_COLOURS, strict=False):
            ax.plot(x, o.costs, marker="o", markersize=3, color=colour, label=o.name)
            promoted = [
                months.index(_next_month(months, r.month))
                for r in o.runs
                if r.outcome == "promoted" and _next_month(months, r.month)
            ]
            ax.scatter(
                promoted, [o.costs[i] for i in promoted], marker="^", s=90, color=colour, edgecolor="black", zorder=3
            )
        ax.scatter([], [], marker="^", s=90, color="white", edgecolor="black", label="new model in production")
        ax.axhline(
            self.scenario.cost_target,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"target: cost <= {self.scenario.cost_target:g}",
        )
        _mark_events(ax, self.scenario, self.labels)
        ax.set(
            title="Model quality over time at maturity levels 0, 1 and 2",
            xlabel="month",
            ylabel="cost of mistakes per customer (lower is better)",
        )
        ax.set_xticks(list(x), months, rotation=45, ha="right")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", title="levels and events")
        return ax


def _next_month(months: list[str], month: str) -> str | None:
    position = months.index(month) + 1
    return months[position] if position < len(months) else None


def _mark_events(ax: Axes, scenario: Scenario, labels: Sequence[str]) -> None:
    """Vertical lines at the scenario's events, on an axis whose first position is the first production month."""
    for event in scenario.events():
        colour, style = EVENT_STYLES[event.kind]
        ax.axvline(
            event.month - scenario.history_months,
            color=colour,
            linestyle=style,
            linewidth=1.8,
            label=f"{labels[event.month]}: {event.label}",
        )


def plot_monitoring(world: World, *, ax: Axes | None = None) -> Axes:
    """The monitoring chart: every feature's distance to the first model's training data, month by month."""
    timeline = world.drift_timeline()
    ax = timeline.plot(ax=ax, title="Monitoring: each feature's distance to the training data (Vertex AI metrics)")
    _mark_events(ax, world.scenario, world.labels)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", title="features and events")
    return ax


def compare_levels(
    scenario: Scenario | World | None = None,
    *,
    policies: Sequence[Policy] | None = None,
    store: TrackingStore | None = None,
) -> Comparison:
    """Operate every policy (default: levels 0, 1 and 2, see :func:`default_policies`) on the same scenario."""
    world = scenario if isinstance(scenario, World) else World(scenario or Scenario())
    chosen = (
        tuple(policies)
        if policies is not None
        else default_policies(trigger="schedule", cost_target=world.scenario.cost_target)
    )
    outcomes = tuple(simulate(world, p, store=store) for p in chosen)
    return Comparison(scenario=world.scenario, outcomes=outcomes, labels=world.labels)


# ---------------------------------------------------------------------------------------
# "Your turn": which trigger keeps quality on target with the fewest retrains?
# ---------------------------------------------------------------------------------------

SEARCH_GRID: dict[str, tuple[float, ...]] = {
    "schedule": (1, 2, 3, 4, 6),
    "new_data": (3000, 6000, 9000, 12000),
    "performance": (14, 16, 18, 20, 22, 24, 26),
    "drift": (0.05, 0.1, 0.15, 0.2, 0.3),
}


@dataclass(frozen=True)
class PolicyScore:
    trigger: str
    threshold: float
    months_off_target: int
    retrains: int
    mean_cost: float

    def rank(self) -> tuple[int, int, float]:
        """Fewest months off target first, then fewest retrains, then the lowest cost."""
        return (self.months_off_target, self.retrains, self.mean_cost)

    def __str__(self) -> str:
        return (
            f"{self.trigger} with threshold {self.threshold:g}: {self.months_off_target} months off target, "
            f"{self.retrains} retrains, mean cost {self.mean_cost:.2f}"
        )


@dataclass(frozen=True)
class PolicySearch:
    """Every (trigger, threshold) of a grid, operated at level 2, ranked."""

    scores: tuple[PolicyScore, ...]

    @property
    def best(self) -> PolicyScore:
        return min(self.scores, key=PolicyScore.rank)

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame([vars(s) for s in sorted(self.scores, key=PolicyScore.rank)])
        return frame.reset_index(drop=True)

    def __repr__(self) -> str:
        return f"PolicySearch({len(self.scores)} policies; best: {self.best})"


def score_policy(world: World, *, trigger: str, threshold: float) -> PolicyScore:
    """Operate level 2 with one trigger and summarise the outcome."""
    outcome = simulate(world, Level2CICD(trigger=Trigger(trigger, float(threshold))))
    return PolicyScore(trigger, float(threshold), outcome.months_off_target, outcome.retrains, outcome.mean_cost)


def search_policies(world: World, *, grid: dict[str, Sequence[float]] | None = None) -> PolicySearch:
    """Try every trigger and threshold of ``grid`` (default :data:`SEARCH_GRID`) on the world."""
    chosen = grid or SEARCH_GRID
    return PolicySearch(
        tuple(score_policy(world, trigger=k, threshold=t) for k, values in chosen.items() for t in values)
    )
