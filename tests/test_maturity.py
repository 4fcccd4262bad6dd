"""The maturity-level simulation: deterministic, each trigger fires on its event, level 2 never does worse than level 1."""

import re
from dataclasses import replace

import pytest

from mlops_lab import exercise_checks, maturity, maturity_levels, maturity_plots


@pytest.fixture(scope="module")
def world():
    return maturity.World(maturity.Scenario())


@pytest.fixture(scope="module")
def comparison(world):
    return maturity_plots.compare_levels(world)


def test_the_simulation_is_deterministic(comparison):
    again = maturity_plots.compare_levels(maturity.World(maturity.Scenario()))
    for first, second in zip(comparison.outcomes, again.outcomes, strict=True):
        assert first.costs == second.costs
        assert first.journal == second.journal
        assert first.runs == second.runs
    assert repr(comparison) == repr(again)


def test_level_2_never_does_worse_than_level_1_on_the_default_scenario(comparison):
    level1, level2 = comparison.outcome(1), comparison.outcome(2)
    assert level2.months_off_target <= level1.months_off_target
    assert level2.longest_recovery <= level1.longest_recovery
    assert level2.mean_cost <= level1.mean_cost
    assert level2.incidents <= level1.incidents and level2.manual_interventions <= level1.manual_interventions
    # ... and both automated levels beat the manual one where it hurts: time off target.
    assert level1.months_off_target < comparison.outcome(0).months_off_target


@pytest.mark.parametrize("trigger", maturity_levels.TRIGGER_KINDS)
def test_level_2_is_never_off_target_longer_than_level_1_whatever_the_trigger(world, trigger):
    level1, level2 = maturity_levels.default_policies(trigger=trigger)[1:]
    assert (
        maturity_levels.simulate(world, level2).months_off_target
        <= maturity_levels.simulate(world, level1).months_off_target
    )


def test_level_2_ships_the_new_feature_the_same_month_and_ci_blocks_the_broken_change(comparison):
    scenario = comparison.scenario
    labels = comparison.labels
    level1, level2 = comparison.outcome(1), comparison.outcome(2)
    journal2 = dict.fromkeys(text for _, text in level2.journal)
    assert (
        labels[scenario.new_feature_month],
        "CI passed for code v2; CD deployed the pipeline the same month",
    ) in level2.journal
    assert any(
        m == labels[scenario.broken_change_month] and t.startswith("CI BLOCKED code v3") for m, t in level2.journal
    )
    assert not any(r.code_version == "v3" for r in level2.runs) and level2.incidents == 0
    assert "v3" not in level2.serving_code and not any("FAILED" in t for t in journal2)
    # Level 1 releases by hand, later, without tests: v2 arrives late and v3 breaks the pipeline.
    release = labels[scenario.new_feature_month + level1.policy.release_delay]
    assert (release, "manual release of code v2, 3 months after it was written") in level1.journal
    assert any(r.code_version == "v3" and r.outcome == "failed" for r in level1.runs)
    assert level1.incidents == 1 and level1.manual_interventions == 3


def test_data_validation_stops_the_pipeline_on_the_incident_and_level_0_does_not_notice(comparison):
    incident = comparison.labels[comparison.scenario.incident_month]
    for level in (1, 2):
        notes = [t for m, t in comparison.outcome(level).journal if m == incident]
        assert any(t.startswith("data validation STOPPED the pipeline: schema skew") for t in notes)
        assert not any(r.month == incident for r in comparison.outcome(level).runs)
    assert (incident, "broken data served and nobody noticed (no validation, no monitoring)") in comparison.outcome(
        0
    ).journal


def test_level_0_retrains_only_after_the_human_delay(world):
    scenario = world.scenario
    for delay in (1, 3):
        outcome = maturity_levels.simulate(world, maturity_levels.Level0Manual(human_delay=delay))
        first_retrain = outcome.runs[0]
        off = outcome.off_target
        position = outcome.months.index(first_retrain.month)
        assert off[position - delay + 1 : position + 1] == (True,) * delay
        assert outcome.manual_interventions == len(outcome.runs)
    assert scenario.concept_drift_month >= scenario.history_months


def test_each_trigger_fires_on_the_event_designed_for_it(world):
    scenario = world.scenario
    initial = world.initial_key()
    concept = scenario.concept_drift_month
    # Performance drop: the first model's cost jumps past the target in the month of the concept change.
    costs = {m: world.cost(initial, m) for m in scenario.production_months}
    perf = maturity_levels.Trigger("performance", scenario.cost_target)
    fired = [
        m
        for m in scenario.production_months
        if m != scenario.incident_month and perf.fires(maturity_levels.Signals(1, 0, costs[m], 0.0))
    ]
    assert fired and fired[0] == concept
    # Distribution shift: the first model's training data and the batches drift apart during the covariate shift.
    drift = maturity_levels.Trigger("drift", 0.1)
    distances = {m: world.drift(initial, m) for m in scenario.production_months if m != scenario.incident_month}
    first_shift = min(m for m, d in distances.items() if drift.fires(maturity_levels.Signals(1, 0, 0.0, d)))
    assert scenario.covariate_drift_start < first_shift < concept
    assert all(distances[m] < 0.1 for m in scenario.production_months if m < scenario.covariate_drift_start)
    # Schedule: every N months of production, and only then.
    schedule = maturity_levels.Trigger("schedule", 3)
    assert [n for n in range(1, 10) if schedule.fires(maturity_levels.Signals(n, 0, 0.0, 0.0))] == [3, 6, 9]
    # New data: once enough validated rows have arrived since the last training.
    new_data = maturity_levels.Trigger("new_data", 6000)
    assert not new_data.fires(maturity_levels.Signals(1, 3000, 0.0, 0.0)) and new_data.fires(
        maturity_levels.Signals(2, 6000, 0.0, 0.0)
    )


def test_a_drift_trigger_cannot_see_a_concept_change(world):
    """The concept change moves the relationship, not the inputs: only the performance trigger reacts to it."""
    by_drift = maturity_levels.simulate(
        world, maturity_levels.Level2CICD(trigger=maturity_levels.Trigger("drift", 0.3))
    )
    by_performance = maturity_levels.simulate(
        world, maturity_levels.Level2CICD(trigger=maturity_levels.Trigger("performance", 20))
    )
    after = world.scenario.concept_drift_month - world.scenario.history_months
    assert all(by_drift.off_target[after:])
    assert sum(by_performance.off_target[after:]) == 1


def test_the_summary_table_and_facts_agree(comparison):
    table = comparison.table()
    facts = comparison.facts()
    for outcome in comparison.outcomes:
        row = table.loc[outcome.name]
        assert row["months off target"] == facts[f"level{outcome.policy.level}_months_off_target"]
        assert row["retrains"] == outcome.retrains == sum(r.outcome != "failed" for r in outcome.runs)
    assert "months off target" in repr(comparison) and "<table>" in comparison._repr_html_()
    rows = {outcome.policy.level: table.loc[outcome.name] for outcome in comparison.outcomes}
    assert facts["level0_minus_level2_months_off_target"] == (
        rows[0]["months off target"] - rows[2]["months off target"]
    )
    gap = rows[1]["mean cost per customer"] - rows[2]["mean cost per customer"]
    assert abs(facts["level1_minus_level2_mean_cost"] - gap) < 0.006


def test_quality_chart_marks_target_events_and_levels(comparison):
    import matplotlib

    matplotlib.use("Agg")
    ax = comparison.plot_quality()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_title() and ax.get_xlabel() == "month" and "lower is better" in ax.get_ylabel()
    concept = comparison.labels[comparison.scenario.concept_drift_month]
    assert f"{concept}: customers become price sensitive" in labels
    assert any(label.startswith("target") for label in labels)
    assert sum(label.startswith("level") for label in labels) == 3


def test_monitoring_chart_uses_the_vertex_threshold(world):
    import matplotlib

    matplotlib.use("Agg")
    ax = maturity_plots.plot_monitoring(world)
    assert "threshold 0.3" in [t.get_text() for t in ax.get_legend().get_texts()]
    timeline = world.drift_timeline()
    incident = world.labels[world.scenario.incident_month]
    # The default covariate shift stays under 0.3; the broken batch of the data incident does not.
    assert [p for p, r in zip(timeline.periods, timeline.reports, strict=True) if r.alerts] == [incident]


def test_policy_search_and_feedback(world):
    search = maturity_levels.search_policies(world)
    best = search.best
    assert all(best.rank() <= s.rank() for s in search.scores)
    assert exercise_checks.check_policy(
        {"trigger": best.trigger, "threshold": best.threshold}, world=world, search=search
    ).passed
    drift = exercise_checks.check_policy({"trigger": "drift", "threshold": 0.3}, world=world, search=search)
    assert not drift.passed and "off target" in drift.message
    # A wrong answer is told how good the best policy is, never which one it is.
    assert f"{best.trigger} with threshold {best.threshold:g}" not in drift.message
    assert not exercise_checks.check_policy({"trigger": "schedule", "threshold": 1}, world=world, search=search).passed
    assert "dict" in exercise_checks.check_policy("performance", world=world, search=search).message
    assert (
        "unknown trigger"
        in exercise_checks.check_policy({"trigger": "moon", "threshold": 1}, world=world, search=search).message
    )
    assert (
        "positive"
        in exercise_checks.check_policy({"trigger": "drift", "threshold": -1}, world=world, search=search).message
    )


def test_bad_scenarios_and_triggers_are_refused():
    with pytest.raises(ValueError, match="incident_month"):
        maturity.Scenario(incident_month=1)
    with pytest.raises(ValueError, match="unknown trigger"):
        maturity_levels.Trigger("sometimes", 1)
    with pytest.raises(ValueError, match="positive"):
        maturity_levels.Trigger("drift", 0)


def test_ci_checks_the_pipeline_code(world):
    assert world.ci(maturity.CODE_V2).passed
    report = world.ci(maturity.CODE_V3)
    failed = [c for c in report.checks if not c.passed]
    assert not report.passed and "non-finite" in failed[0].detail
    # The unit tests of the shared ML code run first and pass: the new feature step is what breaks.
    assert report.checks[0].stage == "code tests" and report.checks[0].passed


def test_every_pipeline_ci_shares_one_run_of_the_code_tests_per_seed(monkeypatch):
    from mlops_lab import ci

    runs = []
    original = ci.run_code_tests
    monkeypatch.setattr(ci, "run_code_tests", lambda *, seed: runs.append(seed) or original(seed=seed))
    ci._shared_code_tests.cache_clear()
    sample = maturity.World(maturity.Scenario(seed=5, customers_per_month=300)).batches[2]
    reports = [maturity.run_ci(code, sample, seed=5) for code in (maturity.CODE_V2, maturity.CODE_V3, maturity.CODE_V2)]
    ci._shared_code_tests.cache_clear()
    assert runs == [5]
    code_tests = original(seed=5).checks
    assert all(report.checks[: len(code_tests)] == code_tests for report in reports)
    assert reports[0] == reports[2] and reports[0].passed and not reports[1].passed


def test_every_retrain_is_logged_as_a_tracked_run(tmp_path, world):
    import mlflow

    from mlops_lab import tracking

    store = tracking.open_store(tmp_path, experiment="maturity-test")
    outcome = maturity_levels.simulate(
        world, maturity_levels.Level1PipelineAutomation(trigger=maturity_levels.Trigger("schedule", 3)), store=store
    )
    logged = mlflow.search_runs(experiment_ids=[store.experiment_id], output_format="list")
    assert len(logged) == len(outcome.runs)
    assert sorted(r.data.tags["outcome"] for r in logged) == sorted(r.outcome for r in outcome.runs)
    assert {r.data.params["level"] for r in logged} == {"1"}
    assert {r.data.params["pipeline_code"] for r in logged} == {r.code_version for r in outcome.runs}
    assert {r.info.status for r in logged} == {"FINISHED"}
    assert all(len(r.data.tags[tracking.FINGERPRINT_TAG]) > 0 for r in logged)


def test_world_fingerprints_the_training_data_of_a_model(world):
    from mlops_lab.data import fingerprint

    key = world.initial_key()
    assert world.fingerprint(key) == fingerprint(world.training_data(key))


def test_drift_threshold_exercise_rewards_a_threshold_between_calm_and_shift(world):
    assert exercise_checks.check_drift_threshold(0.1, world=world).passed
    too_high = exercise_checks.check_drift_threshold(0.3, world=world)
    assert not too_high.passed and "never alerts during the covariate shift" in too_high.message
    too_low = exercise_checks.check_drift_threshold(0.01, world=world)
    assert not too_low.passed and "false alarms" in too_low.message
    assert "between 0 and 1" in exercise_checks.check_drift_threshold(2, world=world).message
    assert "number" in exercise_checks.check_drift_threshold("high", world=world).message


def test_policies_describe_themselves():
    level0, level1, level2 = maturity_levels.default_policies(trigger="performance", threshold=18, human_delay=2)
    assert "after 2 bad months" in str(level0)
    assert "performance" in str(level1) and "released by hand after 2 months" in str(level1)
    assert "tested by CI" in str(level2) and level2.trigger == level1.trigger == maturity_levels.Trigger(
        "performance", 18
    )


def test_ci_reports_broken_feature_logic_that_only_fails_when_scoring():
    from mlops_lab.data import make_customers

    sample = make_customers(n_months=1, customers_per_month=400, seed=3)
    # Training half: new customers without calls (0/0, a NaN the imputer fills); scoring half: with calls (x/0 = inf).
    sample.loc[:199, "support_calls"] = sample.loc[:199, "support_calls"].where(
        sample.loc[:199, "tenure_months"] > 0, 0
    )
    sample.loc[200:209, ["tenure_months", "support_calls"]] = [0, 2]
    report = maturity.run_ci(maturity.CODE_V3, sample, seed=3)
    assert not report.passed
    failed = {c.check: c.detail for c in report.checks if not c.passed}
    assert "Input X contains infinity" in failed["model beats a constant guess"]
    assert "non-finite values" in failed["feature logic: no NaN or infinite values"]


def test_ci_catches_the_broken_refactoring_even_when_the_sample_has_no_new_customers():
    from mlops_lab.data import make_customers

    sample = make_customers(n_months=1, customers_per_month=200, seed=11)
    sample["tenure_months"] = sample["tenure_months"].clip(lower=1)
    assert maturity.run_ci(maturity.CODE_V2, sample, seed=11).passed
    report = maturity.run_ci(maturity.CODE_V3, sample, seed=11)
    failed = [c for c in report.checks if not c.passed]
    assert [c.check for c in failed] == ["feature logic: no NaN or infinite values"]
    assert failed[0].detail.startswith("1 non-finite values")


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def comparison_es(world):
    return maturity_plots.compare_levels(world, language="es")


def test_the_spanish_comparison_says_the_same_numbers_in_other_words(comparison, comparison_es):
    assert [o.costs for o in comparison_es.outcomes] == [o.costs for o in comparison.outcomes]
    for outcome, salida in zip(comparison.outcomes, comparison_es.outcomes, strict=True):
        assert [replace(r, reason="") for r in salida.runs] == [replace(r, reason="") for r in outcome.runs]
    assert comparison_es.facts() == comparison.facts()
    english, spanish = repr(comparison), repr(comparison_es)
    assert "meses fuera del objetivo" in spanish and "months off target" not in spanish
    assert NUMBER.findall(spanish) == NUMBER.findall(english)
    assert "<td>reentrenamientos</td>" in comparison_es._repr_html_()
    assert comparison_es.table().index.name == "nivel"
    assert (comparison_es.table().to_numpy()[:, 1:] == comparison.table().to_numpy()[:, 1:]).all()
    note, nota = comparison.broken_pipeline_note(), comparison_es.broken_pipeline_note()
    assert note.startswith("== From") and nota.startswith("== Desde")
    assert NUMBER.findall(nota) == NUMBER.findall(note)


def test_the_spanish_journals_tell_the_same_story(comparison, comparison_es):
    incident = comparison.labels[comparison.scenario.incident_month]
    for outcome, salida in zip(comparison.outcomes, comparison_es.outcomes, strict=True):
        assert [m for m, _ in salida.journal] == [m for m, _ in outcome.journal]
        assert salida.name != outcome.name and salida.name.startswith("nivel")
        for (_, text), (_, texto) in zip(outcome.journal, salida.journal, strict=True):
            assert texto != text and NUMBER.findall(texto) == NUMBER.findall(text), (text, texto)
    level1 = dict(comparison_es.outcome(1).journal)
    assert any("FALLIDA" in t for _, t in comparison_es.outcome(1).journal)
    assert "sesgo de esquema en categorías conocidas (contract)" in level1[incident]
    ci_blocked = dict(comparison_es.outcome(2).journal)[comparison.labels[comparison.scenario.broken_change_month]]
    assert ci_blocked.startswith("la CI BLOQUEÓ el código v3: lógica de las características")
    # The runs record their reasons in the learner's language too (they are logged to MLflow as parameters).
    reasons = {r.reason for r in comparison_es.outcome(1).runs}
    assert "programación: cada 3 meses" in reasons and not any("schedule" in r for r in reasons)


def test_policies_and_search_results_describe_themselves_in_spanish(world):
    level0, level1, level2 = maturity_levels.default_policies(trigger="performance", threshold=18, human_delay=2)
    assert "tras 2 meses malos" in level0.describe(language="es") and str(level0) == level0.describe()
    assert "performance (costo por cliente el mes anterior: 18)" in level1.describe(language="es")
    assert "se lanza a mano 2 meses después" in level1.describe(language="es")
    assert "lo prueba la CI" in level2.describe(language="es")
    search = maturity_levels.PolicySearch(
        (maturity_levels.PolicyScore("drift", 0.15, 1, 2, 16.13), maturity_levels.PolicyScore("schedule", 3, 2, 5, 14))
    )
    best = search.best
    assert NUMBER.findall(best.describe(language="es")) == NUMBER.findall(str(best))
    assert search.describe_best(language="es").startswith("mejor política: drift con umbral 0.15")
    frame, tabla = search.to_frame(), search.to_frame(language="es")
    assert list(frame.columns) == ["trigger", "threshold", "months_off_target", "retrains", "mean_cost"]
    assert list(tabla.columns) == ["activador", "umbral", "meses fuera del objetivo", "reentrenamientos", "costo medio"]
    assert (tabla.to_numpy() == frame.to_numpy()).all()
    reason = maturity_levels.Trigger("drift", 0.1).fires(maturity_levels.Signals(1, 0, 0.0, 0.25), language="es")
    assert reason == "cambio de distribución: distancia 0.250 >= 0.1"
    first, primero = world.describe_first_model(), world.describe_first_model(language="es")
    assert first.startswith("first model") and primero.startswith("primer modelo")
    assert NUMBER.findall(primero) == NUMBER.findall(first)


def test_the_spanish_charts_and_run_table_are_labelled_in_spanish(tmp_path, world, comparison_es):
    import matplotlib

    from mlops_lab import tracking

    matplotlib.use("Agg")
    ax = comparison_es.plot_quality()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_xlabel() == "mes" and "menos es mejor" in ax.get_ylabel() and "madurez" in ax.get_title()
    concept = comparison_es.labels[comparison_es.scenario.concept_drift_month]
    assert f"{concept}: los clientes se vuelven sensibles al precio" in labels
    assert "objetivo: costo <= 20" in labels and sum(label.startswith("nivel") for label in labels) == 3
    ax = maturity_plots.plot_monitoring(world, language="es")
    assert ax.get_title().startswith("Supervisión") and ax.get_legend().get_title().get_text().startswith("caract")
    store = tracking.open_store(tmp_path, experiment="maturity-es")
    maturity_levels.simulate(world, maturity_levels.Level0Manual(), store=store, language="es")
    runs = tracking.compare_runs(
        store=store, params=["level", "month", "pipeline_code", "reason"], metrics=["promoted"]
    )
    english, spanish = maturity_plots.run_table(runs), maturity_plots.run_table(runs, language="es")
    assert list(english.columns) == ["level", "month", "pipeline_code", "promoted", "reason"]
    assert list(spanish.columns) == ["nivel", "mes", "pipeline_code", "promovido", "motivo"]
    assert spanish.index.name == "ejecución" and (spanish.to_numpy() == english.to_numpy()).all()
    assert spanish["motivo"].str.startswith("quejas tras").all()
