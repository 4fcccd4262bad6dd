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

from mlops_lab.i18n import translatable, translate
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
    "schedule": translatable("run every N months"),
    "new_data": translatable("new validated rows since the last run"),
    "performance": translatable("cost per customer last month"),
    "drift": translatable("largest feature distance to the training data"),
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

    def fires(self, signals: Signals, *, language: str = "en") -> str | None:
        """The reason to run the pipeline now (in ``language``), or None."""
        if self.kind == "schedule" and signals.months_in_production % max(1, round(self.threshold)) == 0:
            return translate("schedule: every {n} months", language=language, n=round(self.threshold))
        if self.kind == "new_data" and signals.new_rows >= self.threshold:
            return translate("new data: {rows} new rows", language=language, rows=signals.new_rows)
        if self.kind == "performance" and signals.cost > self.threshold:
            return translate(
                "performance drop: cost {cost:.2f} > {threshold:g}",
                language=language,
                cost=signals.cost,
                threshold=self.threshold,
            )
        if self.kind == "drift" and signals.drift >= self.threshold:
            return translate(
                "distribution shift: distance {distance:.3f} >= {threshold:g}",
                language=language,
                distance=signals.drift,
                threshold=self.threshold,
            )
        return None

    def describe(self, *, language: str = "en") -> str:
        """The trigger's kind (an identifier), what its threshold measures and the threshold."""
        return f"{self.kind} ({translate(TRIGGER_UNITS[self.kind], language=language)}: {self.threshold:g})"

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Level0Manual:
    """Level 0: manual, script-driven, interactive. No pipeline, no monitoring, no validation.

    The business complains after ``human_delay`` months off target in a row; then a data
    scientist retrains by hand on the last months with the newest code that runs, and hands
    the model file over.
    """

    human_delay: int = 3
    level: int = 0
    name: str = translatable("level 0: manual")

    def notices_problem(self, months_off_target_in_a_row: int) -> bool:
        return months_off_target_in_a_row >= self.human_delay

    def describe(self, *, language: str = "en") -> str:
        """The policy in one line, in ``language``."""
        return translate(
            "{name}: retrained by hand after {n} bad months in a row; "
            "no pipeline, no monitoring, no data or model validation",
            language=language,
            name=translate(self.name, language=language),
            n=self.human_delay,
        )

    def __str__(self) -> str:
        return self.describe()


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
    name: str = translatable("level 1: pipeline automation")

    def describe(self, *, language: str = "en") -> str:
        """The policy in one line, in ``language``: trigger, validations, how new pipeline code ships."""
        checks = [
            translate(name, language=language)
            for name, on in (
                (translatable("data validation"), self.validate_data),
                (translatable("model validation"), self.validate_model),
            )
            if on
        ]
        code = (
            translate("new pipeline code tested by CI and deployed by CD the same month", language=language)
            if self.ci_cd
            else translate(
                "new pipeline code released by hand after {n} months, untested",
                language=language,
                n=self.release_delay,
            )
        )
        return translate(
            "{name}: trigger {trigger}; {checks}; {code}",
            language=language,
            name=translate(self.name, language=language),
            trigger=self.trigger.describe(language=language),
            checks=", ".join(checks) or translate("no validation", language=language),
            code=code,
        )

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Level2CICD(Level1PipelineAutomation):
    """Level 2: level 1 plus CI/CD of the pipeline: every code change is tested and, if it passes, deployed at once."""

    release_delay: int = 3  # still the time a human needs to repair what CI could not have caught
    ci_cd: bool = True
    level: int = 2
    name: str = translatable("level 2: CI/CD pipeline automation")


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
    language: str = field(default="en", repr=False, compare=False)  # of the journal, the name and the summary

    @property
    def name(self) -> str:
        return translate(self.policy.name, language=self.language)

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
        """The outcome's measures by their English names (see :meth:`labelled_summary` for the learner's language)."""
        return {
            translatable("level"): self.name,
            translatable("retrains"): self.retrains,
            translatable("models promoted"): self.promotions,
            translatable("manual interventions"): self.manual_interventions,
            translatable("incidents reaching production"): self.incidents,
            translatable("problems caught automatically"): self.alerts,
            translatable("months off target"): self.months_off_target,
            translatable("longest time to recover (months)"): self.longest_recovery,
            translatable("mean cost per customer"): self.mean_cost,
        }

    def labelled_summary(self) -> dict[str, Any]:
        """:meth:`summary` with each measure named in the outcome's language."""
        return {translate(measure, language=self.language): value for measure, value in self.summary().items()}

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

    def __init__(self, world: World, policy: Policy, store: TrackingStore | None, *, language: str = "en") -> None:
        self.world, self.policy, self.store, self.language = world, policy, store, language
        self.production: ModelKey = world.initial_key()
        self.new_rows = 0
        self.runs: list[RunRecord] = []
        self.journal: list[tuple[str, str]] = [
            (
                world.labels[world.scenario.history_months],
                translate("first model (code {version}) goes live", language=language, version=CODE_V1.version),
            )
        ]
        self.manual = self.incidents = self.alerts = 0

    def note(self, month: int, text: str, /, **values: Any) -> None:
        """Write ``text`` (English, marked :func:`translatable` where written) in the journal, in the operation's
        language."""
        self.journal.append((self.world.labels[month], translate(text, language=self.language, **values)))

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
            self.note(month, translatable("pipeline run FAILED ({reason}): {error}"), reason=reason, error=run.error)
            self._track(month, reason, code, "failed", key, {})
            return
        self.new_rows = 0
        if run.gate is not None:
            candidate, current = run.gate.overall.candidate, run.gate.overall.current
            verdict = (
                translate("promoted", language=self.language)
                if run.promoted
                else translate("rejected by model validation", language=self.language)
            )
            self.note(
                month,
                translatable(
                    "pipeline run ({reason}), code {version}: {metric} {candidate:.3f} vs {current:.3f} -> {verdict}"
                ),
                reason=reason,
                version=code.version,
                metric=GATE_METRIC,
                candidate=candidate,
                current=current,
                verdict=verdict,
            )
        else:
            candidate = current = None
            text = (
                translatable(
                    "manual retrain ({reason}) with code {version} on {months}, promoted without model validation"
                )
                if self.policy.level == 0
                else translatable(
                    "pipeline run ({reason}) with code {version} on {months}, promoted without model validation"
                )
            )
            self.note(month, text, reason=reason, version=code.version, months=label)
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
            op.note(month, translatable("broken data served and nobody noticed (no validation, no monitoring)"))
        if self.policy.notices_problem(self.off_in_a_row) and month + 1 < scenario.n_months:
            op.manual += 1
            op.train(
                month,
                code=_newest_working_code(scenario, month),
                reason=translate("complaints after {n} bad months", language=op.language, n=self.off_in_a_row),
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
        from mlops_lab.checks import render

        op = self.op
        for changed, code in self.world.scenario.code_changes():
            if self.policy.ci_cd and changed == month:
                report = self.world.ci(code)
                if report.passed:
                    self.deployed = self.working = code
                    op.note(
                        month,
                        translatable("CI passed for code {version}; CD deployed the pipeline the same month"),
                        version=code.version,
                    )
                    self.reasons.append(translate("new pipeline {version}", language=op.language, version=code.version))
                else:
                    op.alerts += 1
                    failed = next(c for c in report.checks if not c.passed)
                    op.note(
                        month,
                        translatable("CI BLOCKED code {version}: {check} ({detail})"),
                        version=code.version,
                        check=render(failed.check, language=op.language),
                        detail=render(failed.detail, language=op.language),
                    )
        for code in [code for release, code in self.pending if release == month]:
            op.manual += 1
            self.deployed = code
            op.note(
                month,
                translatable("manual release of code {version}, {n} months after it was written"),
                version=code.version,
                n=self.policy.release_delay,
            )
            self.reasons.append(translate("new pipeline {version}", language=op.language, version=code.version))

    def repair(self, month: int) -> None:
        if self.repair_month == month:
            self.op.manual += 1
            self.deployed, self.repair_month = self.working, None
            self.op.note(
                month,
                translatable(
                    "engineer repairs the pipeline by hand (back to code {version}); it runs at the next trigger"
                ),
                version=self.working.version,
            )

    def accept_data(self, month: int) -> bool:
        """Data validation: schema skew stops the pipeline and keeps the batch out of training."""
        world, op = self.world, self.op
        if self.policy.validate_data and world.data_validation(month).schema_skew:
            op.alerts += 1
            self.quarantined.append(month)
            op.note(
                month,
                translatable("data validation STOPPED the pipeline: schema skew in {problems}"),
                problems=_schema_problems(world.data_validation(month), language=op.language),
            )
            return False
        if month == world.scenario.incident_month:
            op.incidents += 1
            op.note(month, translatable("broken data accepted: without data validation the pipeline may train on it"))
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
        fired = self.policy.trigger.fires(signals, language=op.language)
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
                translatable("the pipeline is broken in production until someone repairs it ({n} months)"),
                n=self.policy.release_delay,
            )
        elif op.runs[-1].outcome != "failed":
            self.working = self.deployed


def _schema_problems(result: DataValidation, *, language: str = "en") -> str:
    """The failed schema checks with their columns, in ``language``."""
    from mlops_lab.checks import render
    from mlops_lab.data_validation import SCHEMA_SKEW

    return "; ".join(
        dict.fromkeys(
            f"{render(f.check, language=language)} ({f.column})" for f in result.findings if f.kind == SCHEMA_SKEW
        )
    )


def simulate(
    scenario: Scenario | World, policy: Policy, *, store: TrackingStore | None = None, language: str = "en"
) -> LevelOutcome:
    """Operate ``policy`` through the whole scenario; every retrain is logged to ``store`` when given.

    ``language`` is the language of the journal and of the reasons the runs record.
    """
    world = scenario if isinstance(scenario, World) else World(scenario)
    op = _Operation(world, policy, store, language=language)
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
        language=language,
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

    def describe(self, *, language: str = "en") -> str:
        """The policy and its outcome in one line, in ``language``."""
        return translate(
            "{trigger} with threshold {threshold:g}: {months} months off target, {retrains} retrains, "
            "mean cost {cost:.2f}",
            language=language,
            trigger=self.trigger,
            threshold=self.threshold,
            months=self.months_off_target,
            retrains=self.retrains,
            cost=self.mean_cost,
        )

    def __str__(self) -> str:
        return self.describe()


# The search table's columns, named for a learner reading another language (the English keeps the field names).
SCORE_LABELS: dict[str, str] = {
    "trigger": translatable("trigger"),
    "threshold": translatable("threshold"),
    "months_off_target": translatable("months off target"),
    "retrains": translatable("retrains"),
    "mean_cost": translatable("mean cost"),
}


@dataclass(frozen=True)
class PolicySearch:
    """Every (trigger, threshold) of a grid, operated at level 2, ranked."""

    scores: tuple[PolicyScore, ...]

    @property
    def best(self) -> PolicyScore:
        return min(self.scores, key=PolicyScore.rank)

    def describe_best(self, *, language: str = "en") -> str:
        """The best policy and its outcome, in ``language``."""
        return translate("best policy: {best}", language=language, best=self.best.describe(language=language))

    def to_frame(self, *, language: str = "en") -> pd.DataFrame:
        """Every policy, best first; in another language the columns are named in it (trigger kinds stay)."""
        import pandas as pd

        frame = pd.DataFrame([vars(s) for s in sorted(self.scores, key=PolicyScore.rank)]).reset_index(drop=True)
        if language == "en":
            return frame
        return frame.rename(
            columns={column: translate(label, language=language) for column, label in SCORE_LABELS.items()}
        )

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
