"""The checks of the "Your turn" exercises, as a notebook calls them, with feedback in the learner's language.

Each check takes the value a learner submitted and the state the notebook already holds
(``check_time_split(value, frame=customers, language=language)``), so the learner gets feedback at
once. :mod:`mlops_lab.exercise_registry` reruns the same checks for a grader, from the learner's
``seed`` and ``mode`` alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlops_lab import (
    data,
    data_validation,
    maturity_levels,
    model_validation,
    pipeline_steps,
    serving,
    tracking,
)
from mlops_lab import features as feature_store
from mlops_lab.errors import in_language
from mlops_lab.exercises import Feedback
from mlops_lab.i18n import translatable, translate

if TYPE_CHECKING:
    import pandas as pd

    from mlops_lab.explainability import Attributions
    from mlops_lab.maturity import World
    from mlops_lab.maturity_levels import PolicyScore, PolicySearch
    from mlops_lab.tracking import TrackingStore


def check_time_split(train_months: int, *, frame: pd.DataFrame, test_months: int = 3, language: str = "en") -> Feedback:
    """Exercise check: does ``train_months`` leave exactly the last ``test_months`` months for testing?"""
    train, test = data.split_by_month(frame, train_months=int(train_months))
    tested = test[data.TIME_COLUMN].dt.strftime("%Y-%m").unique()
    if len(tested) == test_months:
        return Feedback(
            True,
            translate(
                "the model trains on {first} to {last} and is tested on {tested}.",
                language=language,
                first=f"{train[data.TIME_COLUMN].min():%Y-%m}",
                last=f"{train[data.TIME_COLUMN].max():%Y-%m}",
                tested=", ".join(tested),
            ),
        )
    return Feedback(
        False,
        translate(
            "with train_months={train_months} the test set covers {n} months ({first} to {last}); "
            "it should cover the last {test_months}.",
            language=language,
            train_months=train_months,
            n=len(tested),
            first=tested[0],
            last=tested[-1],
            test_months=test_months,
        ),
    )


def check_segment_churn_rate(
    value: float, *, frame: pd.DataFrame, contract: str = "month-to-month", language: str = "en"
) -> Feedback:
    """Exercise check: is ``value`` the churn rate of customers on ``contract``?"""
    truth = frame.loc[frame["contract"] == contract, data.TARGET].mean()
    overall = frame[data.TARGET].mean()
    if abs(float(value) - truth) <= 0.001:
        return Feedback(
            True,
            translate(
                "{value:.4f} of {contract} customers churned, against {overall:.4f} overall.",
                language=language,
                value=float(value),
                contract=contract,
                overall=overall,
            ),
        )
    if abs(float(value) - overall) <= 0.001:
        return Feedback(
            False,
            translate(
                "that is the churn rate of all customers; filter on the contract column first.", language=language
            ),
        )
    return Feedback(
        False,
        translate(
            "{value:.4f} is not the churn rate of {contract} customers; check the filter and the column.",
            language=language,
            value=float(value),
            contract=contract,
        ),
    )


def check_recorded_value(value: Any, *, table: pd.DataFrame, run: str, column: str, language: str = "en") -> Feedback:
    """Exercise check: is ``value`` what run ``run`` recorded in ``column``?"""
    if run not in table.index or column not in table.columns:
        raise ValueError(f"the table has no run {run!r} or no column {column!r}")
    truth = table.loc[run, column]
    if _same_value(value, truth):
        return Feedback(
            True,
            translate(
                "{run} recorded {column} = {truth}; the store answers this in one query.",
                language=language,
                run=run,
                column=column,
                truth=truth,
            ),
        )
    others = [name for name in table.index if _same_value(value, table.loc[name, column])]
    hint = translate(" ({others} used that value)", language=language, others=", ".join(others)) if others else ""
    return Feedback(
        False,
        translate(
            "{run} did not use {column} = {value}{hint}; look up the row {run!r} in the runs table.",
            language=language,
            run=run,
            column=column,
            value=value,
            hint=hint,
        ),
    )


def _same_value(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        return str(a) == str(b)


def check_cost_choice(
    value: str, *, table: pd.DataFrame, missed_churner_cost: float, false_alarm_cost: float, language: str = "en"
) -> Feedback:
    """Exercise check: is ``value`` the run with the lowest business cost at these prices?"""
    choice = tracking.best_by_cost(table, missed_churner_cost=missed_churner_cost, false_alarm_cost=false_alarm_cost)
    costs = tracking.business_costs(table, missed_churner_cost=missed_churner_cost, false_alarm_cost=false_alarm_cost)
    if value == choice.run:
        return Feedback(
            True,
            translate(
                "{run} costs {cost:.4f} per customer, the least of all {n} runs.",
                language=language,
                run=value,
                cost=choice.value,
                n=len(table),
            ),
        )
    if value not in costs.index:
        return Feedback(
            False,
            translate("there is no run named {run!r}; use a name from the runs table.", language=language, run=value),
        )
    return Feedback(
        False,
        translate(
            "{run} costs {cost:.4f} per customer at these prices; another run costs less. "
            "Compute the cost of every run.",
            language=language,
            run=value,
            cost=costs[value],
        ),
    )


def check_filter(
    value: str, *, expected: list[str], store: TrackingStore | None = None, language: str = "en"
) -> Feedback:
    """Exercise check: does MLflow search filter ``value`` find exactly the runs ``expected``?

    The filter is handed to MLflow's search parser, never executed as code.
    """
    from mlflow.exceptions import MlflowException

    try:
        found = list(tracking.compare_runs(store=store, filter_string=str(value)).index)
    except MlflowException as exc:
        return Feedback(
            False,
            translate("MLflow cannot parse this filter: {error}", language=language, error=exc.message.splitlines()[0]),
        )
    if sorted(found) == sorted(expected):
        return Feedback(
            True,
            translate("the filter finds exactly {runs}.", language=language, runs=", ".join(sorted(expected))),
        )
    if not found:
        return Feedback(
            False,
            translate(
                "the filter finds 0 run(s), none; it should find {expected}.",
                language=language,
                expected=", ".join(expected),
            ),
        )
    return Feedback(
        False,
        translate(
            "the filter finds {n} run(s), {found}; it should find {expected}.",
            language=language,
            n=len(found),
            found=", ".join(found),
            expected=", ".join(expected),
        ),
    )


def _rule_text(rule: Mapping[str, Any]) -> str:
    parts = [f"{key}={rule[key]!r}" for key in ("min", "max", "allowed", "nullable") if key in rule]
    return f"{rule['column']} ({', '.join(parts)})"


# How data validation names a check and describes what it found: the finding keeps data_validation's English,
# the feedback shows it in the learner's language. (English prefix, its sentence, the sentence's placeholder.)
_FINDING_PATTERNS = (
    ("value range ", translatable("value range {bounds}"), "bounds"),
    ("min ", translatable("min {bound}"), "bound"),
    ("max ", translatable("max {bound}"), "bound"),
    ("type ", translatable("type {dtype}"), "dtype"),
    ("e.g. ", translatable("e.g. {examples}"), "examples"),
)
_FINDING_PHRASES = (
    translatable("known categories"),
    translatable("no missing values"),
    translatable("required column"),
    translatable("column is missing from the batch"),
)


def _finding_text(text: str, *, language: str) -> str:
    """A data validation finding's check name or detail in ``language`` (unchanged if its wording is unknown)."""
    if text in _FINDING_PHRASES:
        return translate(text, language=language)
    for prefix, sentence, placeholder in _FINDING_PATTERNS:
        if text.startswith(prefix):
            return translate(sentence, language=language, **{placeholder: text[len(prefix) :]})
    return text


def check_data_rule(
    spec: Any, *, clean: Mapping[str, pd.DataFrame], faulty: Mapping[str, pd.DataFrame], language: str = "en"
) -> Feedback:
    """Exercise check: does the learner's data rule catch a planted fault without false alarms on clean data?

    ``spec`` is a plain dict: ``{"column": ..., "min": ..., "max": ...}``, or
    ``{"column": ..., "allowed": [...]}``, or ``{"column": ..., "nullable": False}`` (keys may be
    combined). ``clean`` and ``faulty`` map batch names to data frames.
    """
    try:
        rule = data_validation.parse_rule(spec)
    except ValueError as exc:
        return Feedback(False, in_language(exc, language=language))
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
            translate(
                "{rule} raises false alarms on {n} of {total} clean batches "
                "(first: {batch!r}, {check}, {rows} rows, {detail}); "
                "a rule that fires on good data gets switched off: widen it to what valid data can hold.",
                language=language,
                rule=_rule_text(rule),
                n=len(alarms),
                total=len(clean),
                batch=name,
                check=_finding_text(first.check, language=language),
                rows=first.failing_rows,
                detail=_finding_text(first.detail, language=language),
            ),
        )
    if not caught:
        return Feedback(
            False,
            translate(
                "{rule} passes every clean batch but catches none of the planted faults "
                "({faults}); tighten it around a column a fault breaks.",
                language=language,
                rule=_rule_text(rule),
                faults=", ".join(faulty),
            ),
        )
    return Feedback(
        True,
        translate(
            "{rule} catches {caught} and passes all {n} clean batches.",
            language=language,
            rule=_rule_text(rule),
            caught=", ".join(caught),
            n=len(clean),
        ),
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
    language: str = "en",
) -> Feedback:
    """Exercise check: does the learner's slice spec block the faulty candidate and still promote the good one?"""
    try:
        pairs = model_validation.parse_slices([spec], data)
    except ValueError as exc:
        return Feedback(False, in_language(exc, language=language))
    if len(pairs) <= 2:
        described = ", ".join(f"{c} = {v}" for c, v in pairs)
    else:
        described = translate("every value of {column}", language=language, column=pairs[0][0])
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
            translate(
                "slicing on {described} blocks the good candidate too ({blocked}): a false alarm.",
                language=language,
                described=described,
                blocked=", ".join(good_blocked),
            ),
        )
    if not caught:
        shown = "; ".join(
            translate(
                "{scope}: {candidate:.3f} vs {current:.3f}",
                language=language,
                scope=r.scope,
                candidate=r.candidate,
                current=r.current,
            )
            for r in faulty_slices[:4]
        )
        return Feedback(
            False,
            translate(
                "slicing on {described} does not block the faulty candidate ({metric} candidate vs current: {shown}); "
                "look for the segment where it falls behind in the slice table.",
                language=language,
                described=described,
                metric=metric,
                shown=shown,
            ),
        )
    hit = caught[0]
    return Feedback(
        True,
        translate(
            "slicing on {described} blocks the faulty candidate ({scope}: {candidate:.3f} vs "
            "{current:.3f} for the current model) and still promotes the good one.",
            language=language,
            described=described,
            scope=hit.scope,
            candidate=hit.candidate,
            current=hit.current,
        ),
    )


def _policy_values(prefix: str, score: PolicyScore) -> dict[str, Any]:
    """A policy's figures as placeholders ``{prefix}_trigger``..., for a sentence that describes it."""
    return {
        f"{prefix}_trigger": score.trigger,
        f"{prefix}_threshold": score.threshold,
        f"{prefix}_months": score.months_off_target,
        f"{prefix}_retrains": score.retrains,
        f"{prefix}_cost": score.mean_cost,
    }


def check_policy(choice: Any, *, world: World, search: PolicySearch, language: str = "en") -> Feedback:
    """Exercise check: does ``{"trigger": ..., "threshold": ...}`` match the best policy of the search?

    It passes with as few months off target as the best policy and at most one retrain more.
    """
    if not isinstance(choice, dict) or set(choice) != {"trigger", "threshold"}:
        return Feedback(False, translate('answer with a dict {"trigger": ..., "threshold": ...}', language=language))
    if choice["trigger"] not in maturity_levels.TRIGGER_KINDS:
        return Feedback(
            False,
            translate(
                "unknown trigger {trigger!r}; choose from {kinds}",
                language=language,
                trigger=choice["trigger"],
                kinds=list(maturity_levels.TRIGGER_KINDS),
            ),
        )
    try:
        threshold = float(choice["threshold"])
        mine = maturity_levels.score_policy(world, trigger=choice["trigger"], threshold=threshold)
    except (TypeError, ValueError) as exc:
        return Feedback(
            False, translate("the threshold must be a positive number ({error})", language=language, error=exc)
        )
    best = search.best
    if mine.months_off_target <= best.months_off_target and mine.retrains <= best.retrains + 1:
        return Feedback(
            True,
            translate(
                "your policy, {mine_trigger} with threshold {mine_threshold:g}: {mine_months} months off target, "
                "{mine_retrains} retrains, mean cost {mine_cost:.2f}, is as good as the best one found by the "
                "search: {best_trigger} with threshold {best_threshold:g}: {best_months} months off target, "
                "{best_retrains} retrains, mean cost {best_cost:.2f}.",
                language=language,
                **_policy_values("mine", mine),
                **_policy_values("best", best),
            ),
        )
    if mine.months_off_target > best.months_off_target:
        hint = translate(
            "quality stays off target longer: which trigger reacts to what the business feels?", language=language
        )
    else:
        hint = translate(
            "quality is on target, but it retrains more often than it needs to: raise the threshold or change trigger.",
            language=language,
        )
    # The target is given as figures only: naming the best trigger and threshold would hand over the answer.
    return Feedback(
        False,
        translate(
            "your policy, {mine_trigger} with threshold {mine_threshold:g}: {mine_months} months off target, "
            "{mine_retrains} retrains, mean cost {mine_cost:.2f}; the search found one with {best_months} months "
            "off target with {best_retrains} retrains. {hint}",
            language=language,
            **_policy_values("mine", mine),
            best_months=best.months_off_target,
            best_retrains=best.retrains,
            hint=hint,
        ),
    )


def check_drift_threshold(value: Any, *, world: World, language: str = "en") -> Feedback:
    """Exercise check: does a monitoring threshold alert during the covariate shift, before the concept change,
    without a false alarm in the calm months before the shift? (The data-incident month is left out: data
    validation handles it.)"""
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        return Feedback(
            False,
            translate("the threshold must be a number between 0 and 1, got {value!r}", language=language, value=value),
        )
    if not 0 < threshold <= 1:
        return Feedback(
            False,
            translate(
                "the threshold must be between 0 and 1, got {threshold:g}", language=language, threshold=threshold
            ),
        )
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
            False,
            translate(
                "threshold {threshold:g} raises false alarms in calm months ({months}): raise it.",
                language=language,
                threshold=threshold,
                months=", ".join(false_alarms),
            ),
        )
    if not during_shift:
        return Feedback(
            False,
            translate(
                "threshold {threshold:g} never alerts during the covariate shift; the largest distance before the "
                "concept change is {largest:.3f}: lower it.",
                language=language,
                threshold=threshold,
                largest=max(d for m, d in largest.items() if m < scenario.concept_drift_month),
            ),
        )
    first = during_shift[0]
    return Feedback(
        True,
        translate(
            "threshold {threshold:g} first alerts in {month}, {lead} months before the concept change, "
            "with no false alarm before the shift.",
            language=language,
            threshold=threshold,
            month=world.labels[first],
            lead=scenario.concept_drift_month - first,
        ),
    )


def check_lifecycle_order(value: list[str], *, language: str = "en") -> Feedback:
    """Exercise check: are the eight lifecycle steps (their names, e.g. "data analysis") in order?

    The feedback names a step by its name in ``language`` (the steps' table of names marks them translatable).
    """
    expected = [s.stage for s in pipeline_steps.STEPS]
    given = [str(v).strip().lower() for v in value]
    unknown = [v for v in given if v not in expected]
    if unknown or len(given) != len(expected) or set(given) != set(expected):
        missing = [e for e in expected if e not in given]
        return Feedback(
            False,
            translate(
                "list each of the eight steps once; {unknown}, {missing}.",
                language=language,
                unknown=translate("unknown: {steps}", language=language, steps=unknown)
                if unknown
                else translate("unknown: none", language=language),
                missing=translate(
                    "missing: {steps}", language=language, steps=[translate(m, language=language) for m in missing]
                )
                if missing
                else translate("missing: none", language=language),
            ),
        )
    if given == expected:
        return Feedback(
            True,
            translate(
                "data comes first (extraction, analysis, preparation), then the model (training, "
                "evaluation, validation), then operations (serving, monitoring), which starts the next iteration.",
                language=language,
            ),
        )
    first_wrong = next(i for i, (g, e) in enumerate(zip(given, expected, strict=True)) if g != e)
    if first_wrong:
        return Feedback(
            False,
            translate(
                "the order is right up to step {right}, but step {wrong} is not {given!r}.",
                language=language,
                right=first_wrong,
                wrong=first_wrong + 1,
                given=translate(given[first_wrong], language=language),
            ),
        )
    return Feedback(
        False,
        translate(
            "the order starts wrong: step 1 is not {given!r}.",
            language=language,
            given=translate(given[first_wrong], language=language),
        ),
    )


def check_rerun_prediction(value: list[str], *, parameter: str, language: str = "en") -> Feedback:
    """Exercise check: does ``value`` name exactly the steps that rerun when ``parameter`` changes?"""
    expected = pipeline_steps.steps_affected_by(parameter)
    given = [str(v).strip() for v in value]
    unknown = sorted(set(given) - set(pipeline_steps.STEP_NAMES))
    if unknown:
        return Feedback(
            False,
            translate(
                "{unknown} are not step names; use names such as 'train_model'.", language=language, unknown=unknown
            ),
        )
    if set(given) == set(expected):
        return Feedback(
            True,
            translate(
                "{n} steps rerun: {parameter} feeds {first}, and everything downstream reads its outputs.",
                language=language,
                n=len(expected),
                parameter=parameter,
                first=expected[0],
            ),
        )
    extra, missing = sorted(set(given) - set(expected)), [e for e in expected if e not in given]
    if missing and not extra:
        return Feedback(
            False,
            translate(
                "some steps are missing: a step reruns when any of its inputs changes, not only its parameters.",
                language=language,
            ),
        )
    return Feedback(
        False,
        translate(
            "{extra} do not depend on {parameter}, directly or through their inputs; they stay cached.",
            language=language,
            extra=extra,
            parameter=parameter,
        ),
    )


def check_point_in_time_value(
    value: float,
    *,
    labels: pd.DataFrame,
    features: pd.DataFrame,
    customer_id: str,
    column: str = "support_calls",
    language: str = "en",
) -> Feedback:
    """Exercise check: is ``value`` the ``column`` value known for ``customer_id`` at its prediction time?"""
    row = labels[labels[data.ID_COLUMN] == customer_id]
    if row.empty:
        raise ValueError(f"no label row for customer {customer_id!r}")
    truth = feature_store.point_in_time_join(row, features)[column].iloc[0]
    leaked = feature_store.latest_values_join(row, features)[column].iloc[0]
    if float(value) == float(truth):
        return Feedback(
            True,
            translate(
                "{customer} had {column}={truth:g} when the prediction was made; later rows are ignored.",
                language=language,
                customer=customer_id,
                column=column,
                truth=truth,
            ),
        )
    if float(value) == float(leaked):
        return Feedback(
            False,
            translate(
                "{value:g} was recorded after the prediction time: that is the leaking value. Use point_in_time_join.",
                language=language,
                value=value,
            ),
        )
    return Feedback(
        False,
        translate(
            "{value:g} is not what was known about {customer} at its prediction time.",
            language=language,
            value=value,
            customer=customer_id,
        ),
    )


def check_canary_split(
    value: Mapping[str, int],
    *,
    champion: str = "champion",
    challenger: str = "challenger",
    share: int = 20,
    language: str = "en",
) -> Feedback:
    """Exercise check: is ``value`` a valid traffic split sending ``share`` percent to the challenger?"""
    if not isinstance(value, Mapping):
        return Feedback(
            False,
            translate(
                "a traffic split is a dict of model id to percentage, like {example}.",
                language=language,
                example=f"{{{champion!r}: 90, {challenger!r}: 10}}",
            ),
        )
    try:
        split = serving.check_traffic_split(dict(value), [champion, challenger])
    except ValueError as exc:
        return Feedback(
            False,
            translate(
                "Vertex AI would refuse this split: {error}.",
                language=language,
                error=in_language(exc, language=language),
            ),
        )
    if split[challenger] != share:
        return Feedback(
            False,
            translate(
                "the challenger gets {got}% of the traffic; the canary should get {share}%.",
                language=language,
                got=split[challenger],
                share=share,
            ),
        )
    routed = sum(serving.route(f"request-{i}", split) == challenger for i in range(1000))
    return Feedback(
        True,
        translate(
            "{champion} keeps {kept}%; of 1000 request ids, {routed} would reach the {challenger}.",
            language=language,
            champion=champion,
            kept=split[champion],
            routed=routed,
            challenger=challenger,
        ),
    )


def check_top_feature(value: str, *, attributions: Attributions, language: str = "en") -> Feedback:
    """Exercise check: is ``value`` the feature with the largest attribution?"""
    ranking = list(attributions.table.index)
    if value == ranking[0]:
        return Feedback(
            True,
            translate(
                "shuffling {feature} costs the most {scoring}: the model relies on it most.",
                language=language,
                feature=value,
                scoring=attributions.scoring,
            ),
        )
    if value in ranking:
        return Feedback(
            False,
            translate(
                "{feature} ranks {rank} of {n}; look for the largest importance.",
                language=language,
                feature=value,
                rank=ranking.index(value) + 1,
                n=len(ranking),
            ),
        )
    return Feedback(
        False,
        translate(
            "{feature!r} is not an input feature; choose one of {features}.",
            language=language,
            feature=value,
            features=", ".join(ranking),
        ),
    )
