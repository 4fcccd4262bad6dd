"""The maturity simulation's world: a year and a half of churn data, its events, and the models trained on it.

One churn business, one model, three ways of running it (Google Cloud's MLOps maturity levels
0, 1 and 2, in :mod:`mlops_lab.maturity_levels`). This module is what they all face.

A :class:`Scenario` is the world: monthly batches from :func:`mlops_lab.data.make_customers`
with a gradual covariate shift, a sudden concept change, a data-quality incident
(:func:`mlops_lab.data.inject_faults`) and two changes to the pipeline's code
(:class:`PipelineCode` ``CODE_V1`` to ``CODE_V3``): a new feature, then a broken refactoring.
:func:`run_ci` is the continuous integration a code version goes through at level 2.

Quality is the business cost of the model's mistakes per customer
(:func:`mlops_lab.training.business_cost`: a missed churner costs 100, a false alarm 10),
so *lower is better*, and the business sets a target: a month costing more is *off target*.
The cost is a better yardstick than accuracy or ROC AUC here, because drift also changes
how many customers churn, which moves those metrics even for a perfectly fresh model. The
model validation gate (:func:`mlops_lab.model_validation.validate_model`) compares a candidate with
the production model on the same held-out rows, where ROC AUC is a fair, low-noise judge.

Models trained on the same data with the same code are identical, so a :class:`World`
caches them: the three levels, and the policy search of the "Your turn" exercise, share
every model and every measurement, which keeps a whole comparison to a few seconds. (The
lifecycle runner of :mod:`mlops_lab.pipeline` writes every artifact of a run to disk, right for
one real run and too slow for the hundreds a simulation makes; here runs stay in memory and
each one is logged to MLflow as a light run, :func:`mlops_lab.tracking.log_light_run`, when a store is given.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlops_lab.data import FEATURES, TARGET, DataSettings
from mlops_lab.i18n import translatable, translate

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sklearn.pipeline import Pipeline

    from mlops_lab.checks import CheckReport
    from mlops_lab.data_validation import DataSchema, DataValidation
    from mlops_lab.model_validation import GateDecision
    from mlops_lab.monitoring import DriftTimeline

# Share of the newest month held out to compare a candidate with the production model.
HOLDOUT_SHARE = 0.25
# The model validation gate (mlops_lab.model_validation.validate_model) compares candidate and
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
    :func:`mlops_lab.ci.run_pipeline_ci` on this version's feature step and model."""
    from mlops_lab.ci import run_pipeline_ci

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
    label: str  # English, marked translatable where written

    def describe(self, *, language: str = "en") -> str:
        """What happens, in ``language``."""
        return translate(self.label, language=language)


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
            found.append(
                Event(self.covariate_drift_start, "covariate_shift", translatable("customer mix starts shifting"))
            )
        if self.concept_drift > 0:
            found.append(
                Event(self.concept_drift_month, "concept_change", translatable("customers become price sensitive"))
            )
        if self.incident_month is not None:
            found.append(Event(self.incident_month, "data_incident", translatable("broken upstream data")))
        if self.new_feature_month is not None:
            found.append(Event(self.new_feature_month, "code_change", translatable("new feature (code v2)")))
        if self.broken_change_month is not None:
            found.append(
                Event(self.broken_change_month, "broken_code_change", translatable("broken refactoring (code v3)"))
            )
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
            from mlops_lab.training import fit

            code = CODES[key[0]]
            train = self.training_data(key)
            self._models[key] = fit(
                build_pipeline_model(code, seed=self.scenario.seed), train[list(FEATURES)], train[TARGET]
            )
        return self._models[key]

    def predictions(self, key: ModelKey, month: int) -> _KnownPredictions:
        """A model's churn probabilities for a month's batch, computed once."""
        from mlops_lab.row_scoring import predict_proba

        if (key, month) not in self._predictions:
            proba = predict_proba(self.model(key), self.batches[month][list(FEATURES)])[:, 1]
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
        from mlops_lab.data_validation import infer_schema

        if self._schema is None:
            self._schema = infer_schema(self.training_data(self.initial_key()))
        if month not in self._validations:
            self._validations[month] = self._schema.validate(self.batches[month], name=self.labels[month])
        return self._validations[month]

    def gate(self, candidate: ModelKey, production: ModelKey, month: int) -> GateDecision:
        """Model validation: does the candidate beat the production model on the newest month's holdout?"""
        from mlops_lab.model_validation import validate_model

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

    def describe_first_model(self, *, language: str = "en") -> str:
        """The first model's code and training months, and its cost in its first production month against the target."""
        code, months, _ = self.initial_key()
        month = self.scenario.history_months
        cost = self.cost(self.initial_key(), month)
        verdict = (
            translate("on target", language=language)
            if cost <= self.scenario.cost_target
            else translate("already off target", language=language)
        )
        return translate(
            "first model (code {code}, trained on {first} to {last}): cost {cost:.2f} per customer in {month}, "
            "target {target:g}: {verdict}",
            language=language,
            code=code,
            first=self.labels[months[0]],
            last=self.labels[months[-1]],
            cost=cost,
            month=self.labels[month],
            target=self.scenario.cost_target,
            verdict=verdict,
        )


CODES: dict[str, PipelineCode] = {c.version: c for c in (CODE_V1, CODE_V2, CODE_V3)}
