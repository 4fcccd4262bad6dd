"""MLOps maturity levels 0, 1 and 2, operated side by side on the same world (:mod:`mlops_lab.maturity`).

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
  automated tests (:func:`mlops_lab.maturity.run_ci`) and is deployed the same month; a broken
  change is blocked.

:func:`simulate` operates one level (its policy) month by month and returns a
:class:`LevelOutcome`; :func:`search_policies` tries every trigger of a grid at level 2 (the
"Your turn" exercise). The levels' table and charts are in :mod:`mlops_lab.maturity_plots`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_lab.maturity import (
    CODE_V1,
    CODE_V3,
    GATE_METRIC,
    ModelKey,
    PipelineCode,
    Scenario,
    World,
)
from mlops_lab.training import one_blas_thread

if TYPE_CHECKING:
    import pandas as pd

    from mlops_lab.data_validation import DataValidation
    from mlops_lab.tracking import TrackingStore

TRIGGER_KINDS: tuple[str, ...] = ("schedule", "new_data", "performance", "drift")
TRIGGER_UNITS: dict[str, str] = {
    "schedule": "run every N months",
    "new_data": "new validated rows since the last run",
    "performance": "cost per customer last month",
    "drift": "largest feature distance to the training data",
}


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
        from mlops_lab.ci import retrain

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
    from mlops_lab.data_validation import SCHEMA_SKEW

    return "; ".join(dict.fromkeys(f"{f.check} ({f.column})" for f in result.findings if f.kind == SCHEMA_SKEW))


def simulate(scenario: Scenario | World, policy: Policy, *, store: TrackingStore | None = None) -> LevelOutcome:
    """Operate ``policy`` through the whole scenario; every retrain is logged to ``store`` when given."""
    world = scenario if isinstance(scenario, World) else World(scenario)
    op = _Operation(world, policy, store)
    operator = (
        _Level0Operator(world, policy, op) if isinstance(policy, Level0Manual) else _PipelineOperator(world, policy, op)
    )
    costs, codes = [], []
    with one_blas_thread():
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
