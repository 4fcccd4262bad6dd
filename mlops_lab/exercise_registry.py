"""The registry that reruns the "Your turn" checks from a learner's parameters, for a grader and for CI.

``REGISTRY[(notebook, exercise_id)]`` is an :class:`ExerciseCheck`: :meth:`ExerciseCheck.check` takes
only the stored value and the learner's ``seed`` and ``mode``, rebuilds what the check needs with the
package's own code (cached per ``(seed, mode)``, so a class sharing a seed shares the work), and runs
the notebook's own check (:mod:`mlops_lab.exercise_checks`). :meth:`ExerciseCheck.reference_solution`
gives an answer the check accepts for those parameters: CI injects it through the ``solutions`` parameter.

    >>> from mlops_lab.exercise_registry import check_exercise, reference_solution
    >>> check_exercise("00_start_here", "train-months", 9, seed=7, mode="full").passed
    True
    >>> reference_solution("00_start_here", "train-months", seed=7, mode="smoke")
    3

A few checks need state that only a full notebook run builds (models trained and tuned, an MLflow
store): their entries have ``state=None``; :meth:`ExerciseCheck.check` raises
:class:`RegradeUnavailable` for them and the grader keeps the notebook's own verdict.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_lab import (
    data,
    maturity,
    maturity_levels,
    pipeline_steps,
)
from mlops_lab import features as feature_store
from mlops_lab.exercise_checks import (
    check_canary_split,
    check_cost_choice,
    check_data_rule,
    check_drift_threshold,
    check_filter,
    check_lifecycle_order,
    check_point_in_time_value,
    check_policy,
    check_recorded_value,
    check_rerun_prediction,
    check_segment_churn_rate,
    check_slice_rule,
    check_time_split,
    check_top_feature,
)
from mlops_lab.exercises import Feedback
from mlops_lab.i18n import check_language, translate

if TYPE_CHECKING:
    import pandas as pd

    from mlops_lab.maturity import World
    from mlops_lab.maturity_levels import PolicySearch

MODES = ("full", "smoke")


# ---------------------------------------------------------------------------------------------
# What each check needs, rebuilt from a learner's parameters (cached: a class shares its seeds)


def _parameters(seed: Any, mode: Any) -> tuple[int, str]:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be a whole number from 0 to 2**32 - 1, got {seed!r:.40}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r:.40}")
    return seed, mode


@functools.lru_cache(maxsize=16)
def _start_here_customers(seed: int, mode: str) -> pd.DataFrame:
    return data.make_customers(n_months=6 if mode == "smoke" else 12, seed=seed)


@functools.lru_cache(maxsize=16)
def _devops_batches(seed: int) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    customers = data.make_customers(
        n_months=12, seed=seed, covariate_drift=0.5, covariate_drift_start=6, concept_drift=1.0, concept_drift_month=6
    )
    months = dict(data.monthly_batches(customers))
    clean = {month: months[month] for month in ("2025-01", "2025-04", "2025-07", "2025-10")}
    faulty = {fault: data.inject_faults(months["2025-04"], faults=[fault], seed=seed) for fault in data.FAULTS}
    return clean, faulty


@functools.lru_cache(maxsize=4)
def _world(seed: int, mode: str) -> World:
    return maturity.World(maturity.Scenario(seed=seed, customers_per_month=1000 if mode == "smoke" else 3000))


@functools.lru_cache(maxsize=4)
def _policy_search(seed: int, mode: str) -> PolicySearch:
    return maturity_levels.search_policies(_world(seed, mode))


@functools.lru_cache(maxsize=16)
def _feature_history(seed: int, mode: str) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    customers = data.make_customers(
        n_months=12,
        customers_per_month=200 if mode == "smoke" else 500,
        seed=seed,
        covariate_drift=1.5,
        covariate_drift_start=7,
    )
    train, _ = data.split_by_month(customers, train_months=5)
    labels, rows = feature_store.make_feature_history(customers, seed=seed)
    churners = labels[labels[data.ID_COLUMN].isin(train[data.ID_COLUMN]) & (labels[data.TARGET] == 1)]
    return labels, rows, str(churners.iloc[0][data.ID_COLUMN])


def _drift_threshold_solution(seed: int, mode: str) -> float:
    """A threshold halfway between the largest calm-month distance and the largest distance during the shift."""
    world = _world(seed, mode)
    scenario, timeline = world.scenario, world.drift_timeline()
    largest = {
        month: max(f.distance for f in report.features)
        for month, report in zip(scenario.production_months, timeline.reports, strict=True)
        if month != scenario.incident_month
    }
    calm = max(d for m, d in largest.items() if m < scenario.covariate_drift_start)
    shift = max(d for m, d in largest.items() if scenario.covariate_drift_start <= m < scenario.concept_drift_month)
    return round((calm + shift) / 2, 4)


# ---------------------------------------------------------------------------------------------
# The registry


class RegradeUnavailable(LookupError):
    """The check needs state only a full notebook run builds, so it cannot be rerun from the parameters."""


@dataclass(frozen=True)
class ExerciseCheck:
    """One exercise's check, runnable from the stored value and the learner's parameters alone.

    ``state(seed, mode)`` rebuilds what the check needs (``None``: only the notebook has it);
    ``judge(value, state, language)`` runs the notebook-form check; ``solve(seed, mode)`` is a reference
    solution (``None``: only the bank's constant, valid for the seed it was written for).
    ``seeded`` says whether the rebuilt state (and so the verdict) depends on the seed;
    ``grader_reruns`` is false for a check too slow to rebuild for a class.
    """

    notebook: str
    exercise: str
    judge: Callable[[Any, Any, str], Feedback]
    state: Callable[[int, str], Any] | None
    solve: Callable[[int, str], Any] | None
    seeded: bool
    grader_reruns: bool = True

    @property
    def can_regrade(self) -> bool:
        return self.state is not None

    def check(self, value: Any, *, seed: int = 42, mode: str = "full", language: str = "en") -> Feedback:
        """The check's verdict on ``value`` for a learner who ran the notebook with ``seed`` and ``mode``.

        ``language`` is the language of the feedback's message; the verdict is the same in every language.
        """
        seed, mode = _parameters(seed, mode)
        check_language(language)
        if self.state is None:
            raise RegradeUnavailable(f"{self.notebook}/{self.exercise}: the check needs a full notebook run")
        state = self.state(seed, mode)
        try:
            return self.judge(value, state, language)
        except Exception as exc:  # a learner's odd value must produce a verdict, not a traceback
            return Feedback(
                False,
                translate(
                    "the check could not use this value ({error})", language=language, error=exc.__class__.__name__
                ),
            )

    def reference_solution(self, seed: int = 42, mode: str = "full") -> Any:
        """A value the check accepts for ``seed`` and ``mode`` (plain data, as the ``solutions`` parameter takes)."""
        seed, mode = _parameters(seed, mode)
        if self.solve is None:
            raise RegradeUnavailable(
                f"{self.notebook}/{self.exercise}: the reference solution needs a full notebook run"
            )
        # A copy: the caller may change it without changing what the next learner is compared with.
        return copy.deepcopy(self.solve(seed, mode))


def _same(value: Any) -> Callable[[int, str], Any]:
    return lambda seed, mode: value


def _entries() -> dict[tuple[str, str], ExerciseCheck]:
    lifecycle = [step.stage for step in pipeline_steps.STEPS]
    entries = [
        ExerciseCheck(
            "00_start_here",
            "train-months",
            lambda v, frame, language: check_time_split(v, frame=frame, test_months=3, language=language),
            lambda seed, mode: _start_here_customers(0, mode),  # the months are the same for every seed
            lambda seed, mode: 3 if mode == "smoke" else 9,
            seeded=False,
        ),
        ExerciseCheck(
            "00_start_here",
            "m2m-churn-rate",
            lambda v, frame, language: check_segment_churn_rate(v, frame=frame, language=language),
            _start_here_customers,
            lambda seed, mode: _segment_rate(_start_here_customers(seed, mode)),
            seeded=True,
        ),
        ExerciseCheck(
            "01_pain_points",
            "trial-threshold",
            lambda v, table, language: check_recorded_value(
                v, table=table, run="trial-7", column="threshold", language=language
            ),
            lambda seed, mode: _trial_table(),
            _same(0.2),
            seeded=False,
        ),
        ExerciseCheck(
            "01_pain_points",
            "bo-filter",
            lambda v, store, language: check_filter(v, expected=["bo-1", "bo-2"], store=store, language=language),
            None,
            _same("tags.`mlflow.user` = 'bo'"),
            seeded=False,
        ),
        ExerciseCheck(
            "01_pain_points",
            "cost-choice",
            lambda v, table, language: check_cost_choice(
                v, table=table, missed_churner_cost=50, false_alarm_cost=25, language=language
            ),
            None,
            None,
            seeded=True,
        ),
        ExerciseCheck(
            "02_devops_vs_mlops",
            "data-check",
            lambda v, batches, language: check_data_rule(v, clean=batches[0], faulty=batches[1], language=language),
            lambda seed, mode: _devops_batches(seed),
            _same({"column": "tenure_months", "min": 0, "max": 72}),
            seeded=True,
        ),
        ExerciseCheck(
            "02_devops_vs_mlops",
            "slice-check",
            lambda v, models, language: check_slice_rule(v, **models, language=language),
            None,
            _same({"column": "payment_method", "value": "mailed-check"}),
            seeded=False,
        ),
        ExerciseCheck(
            "03_ml_lifecycle",
            "lifecycle-order",
            lambda v, _, language: check_lifecycle_order(v, language=language),
            _same(None),
            _same(lifecycle),
            seeded=False,
        ),
        ExerciseCheck(
            "03_ml_lifecycle",
            "rerun-prediction",
            lambda v, _, language: check_rerun_prediction(v, parameter="train_months", language=language),
            _same(None),
            lambda seed, mode: pipeline_steps.steps_affected_by("train_months"),
            seeded=False,
        ),
        ExerciseCheck(
            "04_maturity_levels",
            "drift-threshold",
            lambda v, world, language: check_drift_threshold(v, world=world, language=language),
            _world,
            _drift_threshold_solution,
            seeded=True,
        ),
        ExerciseCheck(
            "04_maturity_levels",
            "best-trigger",
            lambda v, state, language: check_policy(v, world=state[0], search=state[1], language=language),
            lambda seed, mode: (_world(seed, mode), _policy_search(seed, mode)),
            lambda seed, mode: {
                "trigger": _policy_search(seed, mode).best.trigger,
                "threshold": _policy_search(seed, mode).best.threshold,
            },
            seeded=True,
            grader_reruns=False,  # the policy search simulates every trigger: ~8 s per seed
        ),
        ExerciseCheck(
            "05_vertex_ai",
            "point-in-time-value",
            lambda v, h, language: check_point_in_time_value(
                v, labels=h[0], features=h[1], customer_id=h[2], language=language
            ),
            _feature_history,
            lambda seed, mode: _point_in_time_solution(*_feature_history(seed, mode)),
            seeded=True,
        ),
        ExerciseCheck(
            "05_vertex_ai",
            "canary-split",
            lambda v, _, language: check_canary_split(v, language=language),
            _same(None),
            _same({"champion": 80, "challenger": 20}),
            seeded=False,
        ),
        ExerciseCheck(
            "05_vertex_ai",
            "top-feature",
            lambda v, attributions, language: check_top_feature(v, attributions=attributions, language=language),
            None,
            None,
            seeded=True,
        ),
    ]
    return {(e.notebook, e.exercise): e for e in entries}


@functools.lru_cache(maxsize=1)
def _trial_table() -> pd.DataFrame:
    """trial-7's row of the notebook's runs table: its sweep fixes each trial's threshold, whatever the seed."""
    import pandas as pd

    return pd.DataFrame({"threshold": [0.2]}, index=pd.Index(["trial-7"], name="run"))


def _segment_rate(frame: pd.DataFrame) -> float:
    return round(float(frame.loc[frame["contract"] == "month-to-month", data.TARGET].mean()), 6)


def _point_in_time_solution(labels: pd.DataFrame, rows: pd.DataFrame, churner: str) -> float:
    one = labels[labels[data.ID_COLUMN] == churner]
    return float(feature_store.point_in_time_join(one, rows)["support_calls"].iloc[0])


REGISTRY: Mapping[tuple[str, str], ExerciseCheck] = _entries()


def get_check(notebook: str, exercise_id: str) -> ExerciseCheck:
    """The registry entry of one exercise (``KeyError`` for an exercise the package does not know)."""
    return REGISTRY[(notebook, exercise_id)]


def check_exercise(
    notebook: str, exercise_id: str, value: Any, *, seed: int = 42, mode: str = "full", language: str = "en"
) -> Feedback:
    """Rerun one exercise's check on ``value`` for a learner's ``seed`` and ``mode``, its message in ``language``."""
    return get_check(notebook, exercise_id).check(value, seed=seed, mode=mode, language=language)


def reference_solution(notebook: str, exercise_id: str, *, seed: int = 42, mode: str = "full") -> Any:
    """A value the check of ``notebook``'s ``exercise_id`` accepts for ``seed`` and ``mode``."""
    return get_check(notebook, exercise_id).reference_solution(seed=seed, mode=mode)


def reference_solutions(
    notebook: str, *, seed: int = 42, mode: str = "full", fallback: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Every exercise's reference solution for ``seed`` and ``mode``, as the ``solutions`` parameter takes.

    An exercise whose solution only a full notebook run could compute takes its value from
    ``fallback`` (the bank's constants, :meth:`mlops_lab.quiz.QuizBank.solutions`) when given.
    """
    solutions = dict(fallback or {})
    for (book, exercise), entry in REGISTRY.items():
        if book == notebook and entry.solve is not None:
            solutions[exercise] = entry.solve(*_parameters(seed, mode))
    return solutions
