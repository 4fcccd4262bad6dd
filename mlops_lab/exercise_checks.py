"""The checks of the "Your turn" exercises, and a registry that reruns them from a learner's parameters.

Each check exists in two forms. The notebook form (``check_time_split(value, frame=customers)``)
takes the state the notebook already holds, so a learner gets feedback at once. The registry form,
``REGISTRY[(notebook, exercise_id)]``, is what a grader uses: :meth:`ExerciseCheck.check` takes only
the stored value and the learner's ``seed`` and ``mode``, rebuilds what the check needs with the
package's own code (cached per ``(seed, mode)``, so a class sharing a seed shares the work), and
runs the same notebook-form check. :meth:`ExerciseCheck.reference_solution` gives an answer the
check accepts for those parameters: CI injects it through the ``solutions`` parameter.

    >>> from mlops_lab.exercise_checks import check_exercise, reference_solution
    >>> check_exercise("00_start_here", "train-months", 9, seed=7, mode="full").passed
    True
    >>> reference_solution("00_start_here", "train-months", seed=7, mode="smoke")
    3

A few checks need state that only a full notebook run builds (models trained and tuned, an MLflow
store): their entries have ``rebuild=None``; :meth:`ExerciseCheck.check` raises
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
    data_validation,
    maturity,
    maturity_levels,
    model_validation,
    pipeline_steps,
    serving,
    tracking,
)
from mlops_lab import features as feature_store
from mlops_lab.exercises import Feedback

if TYPE_CHECKING:
    import pandas as pd

    from mlops_lab.explainability import Attributions
    from mlops_lab.maturity import World
    from mlops_lab.maturity_levels import PolicySearch
    from mlops_lab.tracking import TrackingStore

MODES = ("full", "smoke")


def check_time_split(train_months: int, *, frame: pd.DataFrame, test_months: int = 3) -> Feedback:
    """Exercise check: does ``train_months`` leave exactly the last ``test_months`` months for testing?"""
    train, test = data.split_by_month(frame, train_months=int(train_months))
    tested = test[data.TIME_COLUMN].dt.strftime("%Y-%m").unique()
    if len(tested) == test_months:
        return Feedback(
            True,
            f"the model trains on {train[data.TIME_COLUMN].min():%Y-%m} to {train[data.TIME_COLUMN].max():%Y-%m} "
            f"and is tested on {', '.join(tested)}.",
        )
    return Feedback(
        False,
        f"with train_months={train_months} the test set covers {len(tested)} months ({tested[0]} to {tested[-1]}); "
        f"it should cover the last {test_months}.",
    )


def check_segment_churn_rate(value: float, *, frame: pd.DataFrame, contract: str = "month-to-month") -> Feedback:
    """Exercise check: is ``value`` the churn rate of customers on ``contract``?"""
    truth = frame.loc[frame["contract"] == contract, data.TARGET].mean()
    overall = frame[data.TARGET].mean()
    if abs(float(value) - truth) <= 0.001:
        return Feedback(True, f"{float(value):.4f} of {contract} customers churned, against {overall:.4f} overall.")
    if abs(float(value) - overall) <= 0.001:
        return Feedback(False, "that is the churn rate of all customers; filter on the contract column first.")
    return Feedback(
        False, f"{float(value):.4f} is not the churn rate of {contract} customers; check the filter and the column."
    )


def check_recorded_value(value: Any, *, table: pd.DataFrame, run: str, column: str) -> Feedback:
    """Exercise check: is ``value`` what run ``run`` recorded in ``column``?"""
    if run not in table.index or column not in table.columns:
        raise ValueError(f"the table has no run {run!r} or no column {column!r}")
    truth = table.loc[run, column]
    if _same_value(value, truth):
        return Feedback(True, f"{run} recorded {column} = {truth}; the store answers this in one query.")
    others = [name for name in table.index if _same_value(value, table.loc[name, column])]
    hint = f" ({', '.join(others)} used that value)" if others else ""
    return Feedback(False, f"{run} did not use {column} = {value}{hint}; look up the row {run!r} in the runs table.")


def _same_value(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        return str(a) == str(b)


def check_cost_choice(
    value: str, *, table: pd.DataFrame, missed_churner_cost: float, false_alarm_cost: float
) -> Feedback:
    """Exercise check: is ``value`` the run with the lowest business cost at these prices?"""
    choice = tracking.best_by_cost(table, missed_churner_cost=missed_churner_cost, false_alarm_cost=false_alarm_cost)
    costs = tracking.business_costs(table, missed_churner_cost=missed_churner_cost, false_alarm_cost=false_alarm_cost)
    if value == choice.run:
        return Feedback(True, f"{value} costs {choice.value:.4f} per customer, the least of all {len(table)} runs.")
    if value not in costs.index:
        return Feedback(False, f"there is no run named {value!r}; use a name from the runs table.")
    return Feedback(
        False,
        f"{value} costs {costs[value]:.4f} per customer at these prices; another run costs less. Compute the cost of every run.",
    )


def check_filter(value: str, *, expected: list[str], store: TrackingStore | None = None) -> Feedback:
    """Exercise check: does MLflow search filter ``value`` find exactly the runs ``expected``?

    The filter is handed to MLflow's search parser, never executed as code.
    """
    from mlflow.exceptions import MlflowException

    try:
        found = list(tracking.compare_runs(store=store, filter_string=str(value)).index)
    except MlflowException as exc:
        return Feedback(False, f"MLflow cannot parse this filter: {exc.message.splitlines()[0]}")
    if sorted(found) == sorted(expected):
        return Feedback(True, f"the filter finds exactly {', '.join(sorted(expected))}.")
    return Feedback(
        False,
        f"the filter finds {len(found)} run(s), {', '.join(found) or 'none'}; it should find {', '.join(expected)}.",
    )


def _rule_text(rule: Mapping[str, Any]) -> str:
    parts = [f"{key}={rule[key]!r}" for key in ("min", "max", "allowed", "nullable") if key in rule]
    return f"{rule['column']} ({', '.join(parts)})"


def check_data_rule(spec: Any, *, clean: Mapping[str, pd.DataFrame], faulty: Mapping[str, pd.DataFrame]) -> Feedback:
    """Exercise check: does the learner's data rule catch a planted fault without false alarms on clean data?

    ``spec`` is a plain dict: ``{"column": ..., "min": ..., "max": ...}``, or
    ``{"column": ..., "allowed": [...]}``, or ``{"column": ..., "nullable": False}`` (keys may be
    combined). ``clean`` and ``faulty`` map batch names to data frames.
    """
    try:
        rule = data_validation.parse_rule(spec)
    except ValueError as exc:
        return Feedback(False, str(exc))
    alarms = {}
    for name, batch in clean.items():
        found = data_validation.rule_findings(rule, batch)
        if found:
            alarms[name] = found
    caught = [name for name, batch in faulty.items() if data_validation.rule_findings(rule, batch)]
    if alarms:
        name, found = next(iter(alarms.items()))
        first = found[0]
        return Feedback(
            False,
            f"{_rule_text(rule)} raises false alarms on {len(alarms)} of {len(clean)} clean batches "
            f"(first: {name!r}, {first.check}, {first.failing_rows} rows, {first.detail}); "
            "a rule that fires on good data gets switched off: widen it to what valid data can hold.",
        )
    if not caught:
        return Feedback(
            False,
            f"{_rule_text(rule)} passes every clean batch but catches none of the planted faults "
            f"({', '.join(faulty)}); tighten it around a column a fault breaks.",
        )
    return Feedback(
        True,
        f"{_rule_text(rule)} catches {', '.join(caught)} and passes all {len(clean)} clean batches.",
    )


def check_slice_rule(
    spec: Any,
    *,
    data: pd.DataFrame,
    current: Any,
    good: Any,
    faulty: Any,
    metric: str = "f1",
    tolerance: float = 0.02,
) -> Feedback:
    """Exercise check: does the learner's slice spec block the faulty candidate and still promote the good one?"""
    try:
        pairs = model_validation.parse_slices([spec], data)
    except ValueError as exc:
        return Feedback(False, str(exc))
    described = ", ".join(f"{c} = {v}" for c, v in pairs) if len(pairs) <= 2 else f"every value of {pairs[0][0]}"
    faulty_gate = model_validation.validate_model(
        faulty, data=data, current=current, metric=metric, slices=[spec], tolerance=tolerance
    )
    good_gate = model_validation.validate_model(
        good, data=data, current=current, metric=metric, slices=[spec], tolerance=tolerance
    )
    faulty_slices = faulty_gate.rows[1:]
    good_blocked = [r.scope for r in good_gate.rows[1:] if not r.passed]
    caught = [r for r in faulty_slices if not r.passed]
    if good_blocked:
        return Feedback(
            False,
            f"slicing on {described} blocks the good candidate too ({', '.join(good_blocked)}): a false alarm.",
        )
    if not caught:
        shown = "; ".join(f"{r.scope}: {r.candidate:.3f} vs {r.current:.3f}" for r in faulty_slices[:4])
        return Feedback(
            False,
            f"slicing on {described} does not block the faulty candidate ({metric} candidate vs current: {shown}); "
            "look for the segment where it falls behind in the slice table.",
        )
    hit = caught[0]
    return Feedback(
        True,
        f"slicing on {described} blocks the faulty candidate ({hit.scope}: {hit.candidate:.3f} vs "
        f"{hit.current:.3f} for the current model) and still promotes the good one.",
    )


def check_policy(choice: Any, *, world: World, search: PolicySearch) -> Feedback:
    """Exercise check: does ``{"trigger": ..., "threshold": ...}`` match the best policy of the search?

    It passes with as few months off target as the best policy and at most one retrain more.
    """
    if not isinstance(choice, dict) or set(choice) != {"trigger", "threshold"}:
        return Feedback(False, 'answer with a dict {"trigger": ..., "threshold": ...}')
    if choice["trigger"] not in maturity_levels.TRIGGER_KINDS:
        return Feedback(
            False, f"unknown trigger {choice['trigger']!r}; choose from {list(maturity_levels.TRIGGER_KINDS)}"
        )
    try:
        threshold = float(choice["threshold"])
        mine = maturity_levels.score_policy(world, trigger=choice["trigger"], threshold=threshold)
    except (TypeError, ValueError) as exc:
        return Feedback(False, f"the threshold must be a positive number ({exc})")
    best = search.best
    if mine.months_off_target <= best.months_off_target and mine.retrains <= best.retrains + 1:
        return Feedback(True, f"your policy, {mine}, is as good as the best one found by the search: {best}.")
    if mine.months_off_target > best.months_off_target:
        hint = "quality stays off target longer: which trigger reacts to what the business feels?"
    else:
        hint = (
            "quality is on target, but it retrains more often than it needs to: raise the threshold or change trigger."
        )
    # The target is given as figures only: naming the best trigger and threshold would hand over the answer.
    target = f"{best.months_off_target} months off target with {best.retrains} retrains"
    return Feedback(False, f"your policy, {mine}; the search found one with {target}. {hint}")


def check_drift_threshold(value: Any, *, world: World) -> Feedback:
    """Exercise check: does a monitoring threshold alert during the covariate shift, before the concept change,
    without a false alarm in the calm months before the shift? (The data-incident month is left out: data
    validation handles it.)"""
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        return Feedback(False, f"the threshold must be a number between 0 and 1, got {value!r}")
    if not 0 < threshold <= 1:
        return Feedback(False, f"the threshold must be between 0 and 1, got {threshold:g}")
    scenario = world.scenario
    timeline = world.drift_timeline()
    largest = {
        month: max(f.distance for f in report.features)
        for month, report in zip(scenario.production_months, timeline.reports, strict=True)
        if month != scenario.incident_month
    }
    false_alarms = [
        world.labels[m] for m, d in largest.items() if m < scenario.covariate_drift_start and d >= threshold
    ]
    during_shift = [
        m
        for m, d in largest.items()
        if scenario.covariate_drift_start <= m < scenario.concept_drift_month and d >= threshold
    ]
    if false_alarms:
        return Feedback(
            False, f"threshold {threshold:g} raises false alarms in calm months ({', '.join(false_alarms)}): raise it."
        )
    if not during_shift:
        return Feedback(
            False,
            f"threshold {threshold:g} never alerts during the covariate shift; the largest distance before the concept "
            f"change is {max(d for m, d in largest.items() if m < scenario.concept_drift_month):.3f}: lower it.",
        )
    first = during_shift[0]
    return Feedback(
        True,
        f"threshold {threshold:g} first alerts in {world.labels[first]}, "
        f"{scenario.concept_drift_month - first} months before the concept change, with no false alarm before the shift.",
    )


def check_lifecycle_order(value: list[str]) -> Feedback:
    """Exercise check: are the eight lifecycle steps (their names, e.g. "data analysis") in order?"""
    expected = [s.stage for s in pipeline_steps.STEPS]
    given = [str(v).strip().lower() for v in value]
    unknown = [v for v in given if v not in expected]
    if unknown or len(given) != len(expected) or set(given) != set(expected):
        missing = [e for e in expected if e not in given]
        return Feedback(
            False, f"list each of the eight steps once; unknown: {unknown or 'none'}, missing: {missing or 'none'}."
        )
    if given == expected:
        return Feedback(
            True,
            "data comes first (extraction, analysis, preparation), then the model (training, "
            "evaluation, validation), then operations (serving, monitoring), which starts the next iteration.",
        )
    first_wrong = next(i for i, (g, e) in enumerate(zip(given, expected, strict=True)) if g != e)
    where = f"the order is right up to step {first_wrong}, but" if first_wrong else "the order starts wrong:"
    return Feedback(False, f"{where} step {first_wrong + 1} is not {given[first_wrong]!r}.")


def check_rerun_prediction(value: list[str], *, parameter: str) -> Feedback:
    """Exercise check: does ``value`` name exactly the steps that rerun when ``parameter`` changes?"""
    expected = pipeline_steps.steps_affected_by(parameter)
    given = [str(v).strip() for v in value]
    unknown = sorted(set(given) - set(pipeline_steps.STEP_NAMES))
    if unknown:
        return Feedback(False, f"{unknown} are not step names; use names such as 'train_model'.")
    if set(given) == set(expected):
        return Feedback(
            True,
            f"{len(expected)} steps rerun: {parameter} feeds {expected[0]}, and everything downstream reads its outputs.",
        )
    extra, missing = sorted(set(given) - set(expected)), [e for e in expected if e not in given]
    if missing and not extra:
        return Feedback(
            False, "some steps are missing: a step reruns when any of its inputs changes, not only its parameters."
        )
    return Feedback(False, f"{extra} do not depend on {parameter}, directly or through their inputs; they stay cached.")


def check_point_in_time_value(
    value: float,
    *,
    labels: pd.DataFrame,
    features: pd.DataFrame,
    customer_id: str,
    column: str = "support_calls",
) -> Feedback:
    """Exercise check: is ``value`` the ``column`` value known for ``customer_id`` at its prediction time?"""
    row = labels[labels[data.ID_COLUMN] == customer_id]
    if row.empty:
        raise ValueError(f"no label row for customer {customer_id!r}")
    truth = feature_store.point_in_time_join(row, features)[column].iloc[0]
    leaked = feature_store.latest_values_join(row, features)[column].iloc[0]
    if float(value) == float(truth):
        return Feedback(
            True, f"{customer_id} had {column}={truth:g} when the prediction was made; later rows are ignored."
        )
    if float(value) == float(leaked):
        return Feedback(
            False,
            f"{value:g} was recorded after the prediction time: that is the leaking value. Use point_in_time_join.",
        )
    return Feedback(False, f"{value:g} is not what was known about {customer_id} at its prediction time.")


def check_canary_split(
    value: Mapping[str, int], *, champion: str = "champion", challenger: str = "challenger", share: int = 20
) -> Feedback:
    """Exercise check: is ``value`` a valid traffic split sending ``share`` percent to the challenger?"""
    if not isinstance(value, Mapping):
        return Feedback(
            False,
            f"a traffic split is a dict of model id to percentage, like {{{champion!r}: 90, {challenger!r}: 10}}.",
        )
    try:
        split = serving.check_traffic_split(dict(value), [champion, challenger])
    except ValueError as exc:
        return Feedback(False, f"Vertex AI would refuse this split: {exc}.")
    if split[challenger] != share:
        return Feedback(
            False, f"the challenger gets {split[challenger]}% of the traffic; the canary should get {share}%."
        )
    routed = sum(serving.route(f"request-{i}", split) == challenger for i in range(1000))
    return Feedback(
        True, f"{champion} keeps {split[champion]}%; of 1000 request ids, {routed} would reach the {challenger}."
    )


def check_top_feature(value: str, *, attributions: Attributions) -> Feedback:
    """Exercise check: is ``value`` the feature with the largest attribution?"""
    ranking = list(attributions.table.index)
    if value == ranking[0]:
        return Feedback(True, f"shuffling {value} costs the most {attributions.scoring}: the model relies on it most.")
    if value in ranking:
        return Feedback(
            False, f"{value} ranks {ranking.index(value) + 1} of {len(ranking)}; look for the largest importance."
        )
    return Feedback(False, f"{value!r} is not an input feature; choose one of {', '.join(ranking)}.")


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
    ``judge(value, state)`` runs the notebook-form check; ``solve(seed, mode)`` is a reference
    solution (``None``: only the bank's constant, valid for the seed it was written for).
    ``seeded`` says whether the rebuilt state (and so the verdict) depends on the seed;
    ``grader_reruns`` is false for a check too slow to rebuild for a class.
    """

    notebook: str
    exercise: str
    judge: Callable[[Any, Any], Feedback]
    state: Callable[[int, str], Any] | None
    solve: Callable[[int, str], Any] | None
    seeded: bool
    grader_reruns: bool = True

    @property
    def can_regrade(self) -> bool:
        return self.state is not None

    def check(self, value: Any, *, seed: int = 42, mode: str = "full") -> Feedback:
        """The check's verdict on ``value`` for a learner who ran the notebook with ``seed`` and ``mode``."""
        seed, mode = _parameters(seed, mode)
        if self.state is None:
            raise RegradeUnavailable(f"{self.notebook}/{self.exercise}: the check needs a full notebook run")
        state = self.state(seed, mode)
        try:
            return self.judge(value, state)
        except Exception as exc:  # a learner's odd value must produce a verdict, not a traceback
            return Feedback(False, f"the check could not use this value ({exc.__class__.__name__})")

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
            lambda v, frame: check_time_split(v, frame=frame, test_months=3),
            lambda seed, mode: _start_here_customers(0, mode),  # the months are the same for every seed
            lambda seed, mode: 3 if mode == "smoke" else 9,
            seeded=False,
        ),
        ExerciseCheck(
            "00_start_here",
            "m2m-churn-rate",
            lambda v, frame: check_segment_churn_rate(v, frame=frame),
            _start_here_customers,
            lambda seed, mode: _segment_rate(_start_here_customers(seed, mode)),
            seeded=True,
        ),
        ExerciseCheck(
            "01_pain_points",
            "trial-threshold",
            lambda v, table: check_recorded_value(v, table=table, run="trial-7", column="threshold"),
            lambda seed, mode: _trial_table(),
            _same(0.2),
            seeded=False,
        ),
        ExerciseCheck(
            "01_pain_points",
            "bo-filter",
            lambda v, store: check_filter(v, expected=["bo-1", "bo-2"], store=store),
            None,
            _same("tags.`mlflow.user` = 'bo'"),
            seeded=False,
        ),
        ExerciseCheck(
            "01_pain_points",
            "cost-choice",
            lambda v, table: check_cost_choice(v, table=table, missed_churner_cost=50, false_alarm_cost=25),
            None,
            None,
            seeded=True,
        ),
        ExerciseCheck(
            "02_devops_vs_mlops",
            "data-check",
            lambda v, batches: check_data_rule(v, clean=batches[0], faulty=batches[1]),
            lambda seed, mode: _devops_batches(seed),
            _same({"column": "tenure_months", "min": 0, "max": 72}),
            seeded=True,
        ),
        ExerciseCheck(
            "02_devops_vs_mlops",
            "slice-check",
            lambda v, models: check_slice_rule(v, **models),
            None,
            _same({"column": "payment_method", "value": "mailed-check"}),
            seeded=False,
        ),
        ExerciseCheck(
            "03_ml_lifecycle",
            "lifecycle-order",
            lambda v, _: check_lifecycle_order(v),
            _same(None),
            _same(lifecycle),
            seeded=False,
        ),
        ExerciseCheck(
            "03_ml_lifecycle",
            "rerun-prediction",
            lambda v, _: check_rerun_prediction(v, parameter="train_months"),
            _same(None),
            lambda seed, mode: pipeline_steps.steps_affected_by("train_months"),
            seeded=False,
        ),
        ExerciseCheck(
            "04_maturity_levels",
            "drift-threshold",
            lambda v, world: check_drift_threshold(v, world=world),
            _world,
            _drift_threshold_solution,
            seeded=True,
        ),
        ExerciseCheck(
            "04_maturity_levels",
            "best-trigger",
            lambda v, state: check_policy(v, world=state[0], search=state[1]),
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
            lambda v, h: check_point_in_time_value(v, labels=h[0], features=h[1], customer_id=h[2]),
            _feature_history,
            lambda seed, mode: _point_in_time_solution(*_feature_history(seed, mode)),
            seeded=True,
        ),
        ExerciseCheck(
            "05_vertex_ai",
            "canary-split",
            lambda v, _: check_canary_split(v),
            _same(None),
            _same({"champion": 80, "challenger": 20}),
            seeded=False,
        ),
        ExerciseCheck(
            "05_vertex_ai",
            "top-feature",
            lambda v, attributions: check_top_feature(v, attributions=attributions),
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


def check_exercise(notebook: str, exercise_id: str, value: Any, *, seed: int = 42, mode: str = "full") -> Feedback:
    """Rerun one exercise's check on ``value`` for a learner's ``seed`` and ``mode``."""
    return get_check(notebook, exercise_id).check(value, seed=seed, mode=mode)


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
