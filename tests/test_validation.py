"""Validation: every planted fault is caught by the check designed for it, clean data passes every check,
and the model gate blocks a candidate that is better on average but worse on a slice."""

import pickle
import re
import subprocess
import sys
from collections import Counter

import pytest

from mlops_lab import ci, data, data_validation, exercise_checks, model_validation, training
from mlops_lab.checks import Phrase, joined, render
from mlops_lab.data_validation import RETRAIN, SCHEMA_SKEW, STOP, VALUE_SKEW
from mlops_lab.i18n import translatable

SEED = 42


@pytest.fixture(scope="module")
def year():
    return data.make_customers(
        n_months=12, seed=SEED, covariate_drift=0.5, covariate_drift_start=6, concept_drift=1.0, concept_drift_month=6
    )


@pytest.fixture(scope="module")
def months(year):
    return dict(data.monthly_batches(year))


@pytest.fixture(scope="module")
def train(year):
    return year[year["month"] < "2025-07-01"].reset_index(drop=True)


@pytest.fixture(scope="module")
def schema(train):
    return data_validation.infer_schema(train)


@pytest.fixture(scope="module")
def gate_setup(year, train):
    new = year[(year["month"] >= "2025-07-01") & (year["month"] < "2025-10-01")]
    test = year[year["month"] >= "2025-10-01"].reset_index(drop=True)
    return {
        "test": test,
        "current": training.train_model(train, seed=SEED),
        "baseline": model_validation.fit_baseline(new),
        "good": training.train_model(new, seed=SEED),
        "west_bug": training.train_model(
            model_validation.drop_cancellations(new, column="region", value="west", share=0.3, seed=SEED), seed=SEED
        ),
        "mailed_bug": training.train_model(
            model_validation.drop_cancellations(
                new, column="payment_method", value="mailed-check", share=0.5, seed=SEED
            ),
            seed=SEED,
        ),
    }


# The check designed for each fault that data.inject_faults plants: (check, column).
DESIGNED_CHECK = {
    "missing_values": ("no missing values", "monthly_charges"),
    "out_of_range": ("value range [0, 72]", "tenure_months"),
    "unseen_category": ("known categories", "contract"),
    "renamed_column": ("required column", "support_calls"),
    "missing_column": ("required column", "data_usage_gb"),
}


def test_every_fault_has_a_designed_check():
    assert set(DESIGNED_CHECK) == set(data.FAULTS)


@pytest.mark.parametrize("fault", data.FAULTS)
def test_each_planted_fault_is_caught_by_its_check_and_stops_the_pipeline(fault, schema, months):
    clean = months["2025-04"]
    result = schema.validate(data.inject_faults(clean, faults=[fault], rate=0.05, seed=SEED), name=fault)
    schema_findings = [(f.check, f.column) for f in result.findings if f.kind == SCHEMA_SKEW]
    assert schema_findings == [DESIGNED_CHECK[fault]]
    assert not result.value_skew
    assert result.action == STOP
    finding = next(f for f in result.findings if f.kind == SCHEMA_SKEW)
    if fault in ("missing_values", "out_of_range", "unseen_category"):
        assert finding.failing_rows == 50  # 5 % of 1000 rows


def test_shifted_distribution_is_value_skew_and_triggers_retraining(schema, months):
    result = schema.validate(months["2025-12"], name="drifted")
    assert not result.schema_skew and result.value_skew
    assert result.action == RETRAIN
    shifted = {(f.check, f.column) for f in result.findings}
    assert ("mean shift", "monthly_charges") in shifted
    assert all(f.kind == VALUE_SKEW for f in result.findings)


def test_clean_data_passes_every_check(schema, months):
    calm = data.make_customers(n_months=12, seed=SEED + 1)
    for name, batch in [*list(months.items())[:6], *data.monthly_batches(calm)]:
        result = schema.validate(batch, name=name)
        assert result.findings == (), (name, result)
        assert result.action == "continue" and result.passed
    report = ci.run_code_tests(seed=SEED)
    assert report.passed and len(report.checks) == 3 and all(c.devops for c in report.checks)


def test_code_tests_fail_when_preprocessing_lets_nans_through(monkeypatch):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    def build_without_imputer(kind="logistic_regression", *, params=None, seed=0):
        preprocess = ColumnTransformer(
            [
                ("numeric", StandardScaler(), list(data.NUMERIC_FEATURES)),
                ("categorical", OneHotEncoder(handle_unknown="ignore"), list(data.CATEGORICAL_FEATURES)),
            ]
        )
        return Pipeline([("preprocess", preprocess), ("classifier", LogisticRegression(random_state=seed))])

    monkeypatch.setattr(training, "build_model", build_without_imputer)
    report = ci.run_code_tests(seed=SEED)
    outcome = {c.check: c.passed for c in report.checks}
    assert outcome["no NaNs produced"] is False
    assert not report.passed


def test_schema_types_categories_and_contract_ranges(schema):
    by_column = {e.column: e for e in schema.expectations}
    assert list(by_column) == list(data.FEATURES)
    assert by_column["contract"].allowed == tuple(sorted(data.CATEGORIES["contract"]))
    assert (by_column["tenure_months"].low, by_column["tenure_months"].high) == data.VALID_RANGES["tenure_months"]
    assert by_column["tenure_months"].source == "data contract"
    assert not any(e.nullable for e in schema.expectations)
    with pytest.raises(ValueError, match="no column"):
        data_validation.infer_schema(data.inject_faults(data.make_customers(n_months=1), faults=["missing_column"]))


def test_gate_blocks_a_candidate_better_overall_but_worse_on_a_slice(gate_setup):
    s = gate_setup
    slices = [{"column": "region"}, {"column": "contract"}]
    bad = model_validation.validate_model(
        s["west_bug"], data=s["test"], current=s["current"], baseline=s["baseline"], slices=slices
    )
    assert bad.overall.passed and bad.overall.candidate > bad.overall.current
    assert not bad.promote
    assert bad.blocked_by == ("region = west",)
    good = model_validation.validate_model(
        s["good"], data=s["test"], current=s["current"], baseline=s["baseline"], slices=slices
    )
    assert good.promote and len(good.rows) == 1 + 4 + 3


def test_gate_requires_beating_the_current_model_and_the_baseline(gate_setup):
    s = gate_setup
    same = model_validation.validate_model(s["current"], data=s["test"], current=s["current"])
    assert not same.promote and "not better than the current model" in same.overall.reason
    weak = model_validation.fit_baseline(s["test"], column="region")
    below = model_validation.validate_model(weak, data=s["test"], baseline=s["baseline"])
    assert not below.promote and "worse than the baseline" in below.overall.reason
    first = model_validation.validate_model(s["good"], data=s["test"], slices=[{"column": "region"}])
    assert first.promote  # no current model yet: nothing on a slice to fall behind


def test_slice_tolerance_decides(gate_setup):
    s = gate_setup
    spec = [{"column": "region", "value": "west"}]
    strict = model_validation.validate_model(s["west_bug"], data=s["test"], current=s["current"], slices=spec)
    drop = strict.rows[1].current - strict.rows[1].candidate
    assert drop > 0
    lenient = model_validation.validate_model(
        s["west_bug"], data=s["test"], current=s["current"], slices=spec, tolerance=drop + 0.01
    )
    assert not strict.promote and lenient.promote


def test_gate_rejects_bad_specs(gate_setup):
    s = gate_setup
    with pytest.raises(ValueError, match="unknown metric"):
        model_validation.validate_model(s["good"], data=s["test"], metric="speed")
    with pytest.raises(ValueError, match="no rows with region"):
        model_validation.validate_model(s["good"], data=s["test"], slices=[{"column": "region", "value": "mars"}])
    with pytest.raises(ValueError, match="unknown key"):
        model_validation.validate_model(s["good"], data=s["test"], slices=[{"column": "region", "where": "x"}])
    for column in ("customer_id", "tenure_months", "churned"):
        with pytest.raises(ValueError, match="cannot slice on"):
            model_validation.validate_model(s["good"], data=s["test"], slices=[{"column": column}])


def test_drop_cancellations_changes_only_the_slice_churners(year):
    faulty = model_validation.drop_cancellations(year, column="region", value="west", share=0.5, seed=SEED)
    changed = faulty["churned"] != year["churned"]
    assert changed.any()
    assert (year.loc[changed, "region"] == "west").all() and (year.loc[changed, "churned"] == 1).all()
    west_churners = ((year["region"] == "west") & (year["churned"] == 1)).sum()
    assert 0.4 < changed.sum() / west_churners < 0.6


def test_data_rule_exercise_feedback(months):
    clean = {m: months[m] for m in ("2025-01", "2025-04", "2025-07", "2025-10")}
    faulty = {f: data.inject_faults(months["2025-04"], faults=[f], seed=SEED) for f in data.FAULTS}
    check = lambda spec: exercise_checks.check_data_rule(spec, clean=clean, faulty=faulty)  # noqa: E731
    solution = check({"column": "tenure_months", "min": 0, "max": 72})
    assert solution.passed and "catches out_of_range" in solution.message
    too_tight = check({"column": "tenure_months", "min": 1, "max": 60})
    assert not too_tight.passed and "false alarms" in too_tight.message
    too_loose = check({"column": "tenure_months", "min": -10, "max": 100})
    assert not too_loose.passed and "catches none" in too_loose.message
    assert check({"column": "monthly_charges", "nullable": False}).passed
    for spec, message in [
        ("tenure_months >= 0", "a data rule is a dict"),
        ({"column": "age", "min": 0}, "'column' must be one of"),
        ({"column": "tenure_months", "minimum": 0}, "unknown key"),
        ({"column": "tenure_months"}, "checks nothing"),
        ({"column": "tenure_months", "min": "0"}, "'min' must be a finite number"),
        ({"column": "tenure_months", "max": float("nan")}, "'max' must be a finite number"),
        ({"column": "contract", "min": 0}, "'min' needs a numeric column"),
    ]:
        feedback = check(spec)
        assert not feedback.passed and message in feedback.message


def test_slice_rule_exercise_feedback(gate_setup):
    s = gate_setup
    check = lambda spec: exercise_checks.check_slice_rule(  # noqa: E731
        spec, data=s["test"], current=s["current"], good=s["good"], faulty=s["mailed_bug"]
    )
    assert check({"column": "payment_method", "value": "mailed-check"}).passed
    assert check({"column": "payment_method"}).passed
    missed = check({"column": "region", "value": "north"})
    assert not missed.passed and "does not block" in missed.message
    assert not check({"column": "planet"}).passed
    assert not check("payment_method").passed


def test_continuous_training_stops_on_schema_skew_and_promotes_through_the_gate(schema, months, train, gate_setup):
    broken = data.inject_faults(months["2025-08"], faults=["unseen_category"], seed=SEED)
    stream = [("2025-07", months["2025-07"]), ("2025-08", broken), ("2025-09", months["2025-09"])]
    log = ci.continuous_training(stream, schema=schema, current=gate_setup["current"], history=train, seed=SEED)
    steps = {s.batch: s for s in log.steps}
    assert steps["2025-08"].skew == SCHEMA_SKEW and steps["2025-08"].decision.startswith("stopped")
    assert steps["2025-08"].candidate is None
    decided = [s for s in log.steps if s.candidate is not None]
    assert all(s.decision == "promoted" or s.decision.startswith("blocked") for s in decided)
    assert (log.model is gate_setup["current"]) == (log.promotions == 0)


def test_results_render_as_stable_tables(schema, months, gate_setup):
    result = schema.validate(data.inject_faults(months["2025-04"], faults=["out_of_range"], seed=SEED), name="<b>")
    text = repr(result)
    assert text == repr(
        schema.validate(data.inject_faults(months["2025-04"], faults=["out_of_range"], seed=SEED), name="<b>")
    )
    assert "SCHEMA SKEW -> stop the pipeline" in text and "value range [0, 72]" in text and "0x" not in text
    assert "&lt;b&gt;" in result._repr_html_() and "<table>" in result._repr_html_()
    summary = repr(data_validation.validation_summary([result]))
    assert "stop the pipeline" in summary
    s = gate_setup
    table = repr(
        model_validation.slice_table({"current": s["current"], "good": s["good"]}, s["test"], columns=["region"])
    )
    assert table.splitlines()[1].split()[:4] == ["slice", "rows", "current", "good"]
    assert len(table.splitlines()) == 3 + 1 + 4


def test_importing_validation_loads_no_heavy_library():
    code = (
        "import sys, mlops_lab.ci, mlops_lab.checks, mlops_lab.data_validation, mlops_lab.model_validation;"
        "heavy = {'pandas', 'numpy', 'sklearn', 'pandera'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_quality_by_month_shows_silent_decay_with_unchanged_code_tests(year, train, gate_setup):
    report = ci.run_code_tests(seed=SEED)
    monthly = ci.quality_by_month(gate_setup["current"], year, code_tests=report, seed=SEED)
    assert [m.month for m in monthly.months] == [f"2025-{i:02d}" for i in range(1, 13)]
    assert {m.code_tests for m in monthly.months} == {"3/3 PASS"}
    assert all(abs(m.churn_rate - m.forecast) < 0.03 for m in monthly.months[:6])
    assert monthly.months[-1].churn_rate - monthly.months[-1].forecast > 0.1
    assert [m.retrained_cost is None for m in monthly.months[:4]] == [True, True, True, False]
    assert all(m.retrained_cost < m.cost for m in monthly.months[9:])
    assert "cost if retrained quarterly" in repr(monthly)


def test_fault_report_names_the_check_that_caught_each_fault(schema, months, gate_setup):
    s = gate_setup
    report = ci.run_code_tests(seed=SEED)
    gate = model_validation.validate_model(
        s["west_bug"], data=s["test"], current=s["current"], slices=[{"column": "region"}], name="W"
    )
    results = {
        "out of range": schema.validate(data.inject_faults(months["2025-04"], faults=["out_of_range"], seed=SEED)),
        "lost labels": gate,
    }
    rows = ci.fault_report(report, results).rows
    assert rows[0] == ("out of range", "3/3 PASS", "value range [0, 72] (tenure_months)", STOP)
    assert rows[1] == ("lost labels", "3/3 PASS", "model gate: region = west", "block the promotion")


def test_ci_pipeline_stops_on_schema_skew_blocks_on_a_slice_and_promotes_good_data(year, schema, gate_setup):
    s = gate_setup
    new = year[(year["month"] >= "2025-07-01") & (year["month"] < "2025-10-01")]
    setup = dict(
        code_tests=ci.run_code_tests(seed=SEED),
        schema=schema,
        holdout=s["test"],
        current=s["current"],
        baseline=s["baseline"],
        slices=[{"column": "region"}],
        seed=SEED,
    )
    good = ci.run_ci_pipeline(new, name="good", **setup)
    assert good.outcome == "PROMOTE the candidate" and good.gate.promote and good.report.passed
    assert [c.devops for c in good.report.checks] == [True] * 3 + [False] * 4

    buggy = model_validation.drop_cancellations(new, column="region", value="west", share=0.3, seed=SEED)
    blocked = ci.run_ci_pipeline(buggy, name="buggy", **setup)
    statuses = {c.check: c.result for c in blocked.report.checks}
    assert statuses["schema (pandera)"] == "PASS" and statuses["overall f1"] == "PASS"
    assert statuses["4 slices"] == "FAIL" and blocked.outcome.startswith("BLOCKED")

    broken = ci.run_ci_pipeline(data.inject_faults(new, faults=["missing_column"], seed=SEED), name="broken", **setup)
    assert broken.gate is None and broken.candidate is None
    assert [c.result for c in broken.report.checks][3:] == ["FAIL", "WARN", "SKIP", "SKIP"]
    assert broken.outcome == "STOPPED at data validation (schema skew)"
    assert "4/7 checks passed: STOPPED" in repr(broken)


def test_wrong_types_and_empty_batches_are_schema_skew(schema, months):
    as_text = months["2025-04"].assign(tenure_months=months["2025-04"]["tenure_months"].astype(str))
    result = schema.validate(as_text, name="text")
    assert ("type int64", "tenure_months") in {(f.check, f.column) for f in result.findings}
    assert result.action == STOP
    empty = schema.validate(months["2025-04"].iloc[:0], name="empty")
    assert empty.action == STOP and [f.detail for f in empty.findings] == ["the batch has no rows"]


@pytest.mark.parametrize("metric", model_validation.METRICS)
def test_gate_scores_equal_evaluate_model(metric, gate_setup):
    s = gate_setup
    for model in (s["current"], s["good"], s["baseline"]):
        for frame in (
            s["test"],
            s["test"][s["test"]["region"] == "west"],
            s["test"][s["test"]["contract"] == "two-year"],
        ):
            gate = model_validation.validate_model(model, data=frame, metric=metric)
            assert gate.overall.candidate == getattr(training.evaluate_model(model, frame), metric)


def test_retrain_trains_gates_and_promotes_and_a_broken_training_is_a_failed_run():
    from types import SimpleNamespace

    from mlops_lab.ci import retrain

    def broken():
        raise ValueError("Input contains infinity\nmore detail")

    failed = retrain(broken, gate=lambda candidate: SimpleNamespace(promote=True))
    assert failed.failed and not failed.promoted and failed.error == "Input contains infinity"
    ungated = retrain(lambda: "model", gate=None)
    assert ungated.promoted and ungated.candidate == "model" and ungated.gate is None
    blocked = retrain(lambda: "model", gate=lambda candidate: SimpleNamespace(promote=candidate != "model"))
    assert not blocked.failed and not blocked.promoted


# ----------------------------------------------------------------------------- the Spanish edition

NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?%?")
VERDICTS = {"PASS": "SUPERADA", "FAIL": "FALLIDA", "WARN": "AVISO", "SKIP": "OMITIDA", "PROMOTE": "PROMOVER"}


def assert_same_figures_in_spanish(english: str, spanish: str) -> None:
    """The Spanish rendering is another text with the same numbers and one Spanish verdict per English one."""
    assert spanish != english
    assert Counter(NUMBER.findall(spanish)) == Counter(NUMBER.findall(english))
    for word, palabra in VERDICTS.items():
        assert len(re.findall(rf"\b{word}\b", english)) == len(re.findall(rf"\b{palabra}\b", spanish)), word
        assert not re.search(rf"\b{word}\b", spanish), word


def test_a_phrase_is_its_english_text_and_renders_in_another_language():
    phrase = Phrase(translatable("{n_rows} rows match the schema"), n_rows=3000)
    assert phrase == "3000 rows match the schema" and phrase.startswith("3000") and isinstance(phrase, str)
    assert phrase.render("es") == "3000 filas coinciden con el esquema" and phrase.render("en") == phrase
    both = joined("; ", [phrase, STOP, "region = west"])
    assert both == "3000 rows match the schema; stop the pipeline; region = west"
    assert render(both, language="es") == "3000 filas coinciden con el esquema; detener la canalización; region = west"
    assert render(joined(", ", []), language="es") == ""
    copied = pickle.loads(pickle.dumps(phrase))
    assert copied == phrase and copied.render("es") == phrase.render("es")
    assert render("a data value", language="es") == "a data value"  # only the package's words are translated


def test_spanish_data_validation_carries_the_same_numbers_and_keeps_english_values(schema, months):
    batch = data.inject_faults(months["2025-04"], faults=["out_of_range"], seed=SEED)
    english, spanish = schema.validate(batch, name="x"), schema.validate(batch, name="x", language="es")
    assert english == spanish and spanish.action == STOP and spanish.findings[0].check == "value range [0, 72]"
    assert spanish.verdict == "SESGO DE ESQUEMA -> detener la canalización"
    assert_same_figures_in_spanish(repr(english), repr(spanish))
    assert "rango de valores [0, 72]" in repr(spanish) and "SESGO DE ESQUEMA" in spanish._repr_html_()
    shifted = [schema.validate(months["2025-12"], language=lang) for lang in ("en", "es")]
    assert_same_figures_in_spanish(repr(shifted[0]), repr(shifted[1]))
    summaries = [
        repr(data_validation.validation_summary([english, shifted[0]], language=lang)) for lang in ("en", "es")
    ]
    assert_same_figures_in_spanish(*summaries)
    assert "activar un reentrenamiento" in summaries[1] and "sí" in summaries[1]
    es_schema = data_validation.infer_schema(months["2025-01"], language="es")
    assert_same_figures_in_spanish(repr(data_validation.infer_schema(months["2025-01"])), repr(es_schema))
    assert repr(es_schema).startswith("Esquema de datos: 7 columnas obligatorias")


def test_spanish_gate_ci_run_and_fault_report_carry_the_same_numbers_and_statuses(year, schema, gate_setup):
    s = gate_setup
    new = year[(year["month"] >= "2025-07-01") & (year["month"] < "2025-10-01")]
    buggy = model_validation.drop_cancellations(new, column="region", value="west", share=0.3, seed=SEED)
    runs = {}
    for language in ("en", "es"):
        code_tests = ci.run_code_tests(seed=SEED, language=language)
        runs[language] = ci.run_ci_pipeline(
            buggy,
            code_tests=code_tests,
            schema=schema,
            holdout=s["test"],
            current=s["current"],
            baseline=s["baseline"],
            slices=[{"column": "region"}],
            name="W",
            seed=SEED,
            language=language,
        )
        assert code_tests.status == {"en": "3/3 PASS", "es": "3/3 SUPERADA"}[language]
    en, es = runs["en"], runs["es"]
    assert es.outcome == en.outcome and es.outcome.startswith("BLOCKED") and es.gate.blocked_by == ("region = west",)
    assert_same_figures_in_spanish(repr(en), repr(es))
    assert repr(es).splitlines()[-1].startswith("6/7 comprobaciones superadas: BLOQUEADO")
    assert_same_figures_in_spanish(repr(en.gate), repr(es.gate))
    assert es.gate.verdict == "BLOQUEAR (region = west)" and en.gate.verdict == "BLOCK (region = west)"
    reports = [
        repr(ci.fault_report(run.report, {"lost labels": run.gate}, language=lang)) for lang, run in runs.items()
    ]
    assert_same_figures_in_spanish(*reports)
    assert "puerta del modelo: region = west" in reports[1] and "bloquear la promoción" in reports[1]
    slices = [
        repr(model_validation.slice_table({"current": s["current"]}, s["test"], columns=["region"], language=lang))
        for lang in ("en", "es")
    ]
    assert_same_figures_in_spanish(*slices)
    assert slices[1].splitlines()[1].split() == ["segmento", "filas", "actual"]


def test_spanish_training_log_and_monthly_quality_carry_the_same_numbers(year, schema, months, train, gate_setup):
    broken = data.inject_faults(months["2025-08"], faults=["unseen_category"], seed=SEED)
    stream = [("2025-07", months["2025-07"]), ("2025-08", broken)]
    logs = [
        ci.continuous_training(
            stream, schema=schema, current=gate_setup["current"], history=train, seed=SEED, language=lang
        )
        for lang in ("en", "es")
    ]
    assert logs[0].steps == logs[1].steps and logs[1].stops == 1
    assert_same_figures_in_spanish(repr(logs[0]), repr(logs[1]))
    assert "detenido: se mantiene el modelo en servicio" in repr(logs[1])
    first_half = year[year["month"] < "2025-05-01"]
    monthly = [
        ci.quality_by_month(
            gate_setup["current"],
            first_half,
            code_tests=ci.run_code_tests(seed=SEED, language=lang),
            seed=SEED,
            language=lang,
        )
        for lang in ("en", "es")
    ]
    assert_same_figures_in_spanish(repr(monthly[0]), repr(monthly[1]))
