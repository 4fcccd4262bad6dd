import dataclasses
import hashlib
from dataclasses import replace

import pandas as pd
import pytest

from mlops_lab import data, exercise_checks


def _bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_same_seed_same_bytes_and_other_seed_differs():
    first = data.make_customers(seed=7, n_months=3, customers_per_month=200)
    again = data.make_customers(seed=7, n_months=3, customers_per_month=200)
    other = data.make_customers(seed=8, n_months=3, customers_per_month=200)
    assert hashlib.sha256(_bytes(first)).hexdigest() == hashlib.sha256(_bytes(again)).hexdigest()
    assert _bytes(first) != _bytes(other)


def test_the_summary_line_carries_the_same_numbers_in_both_languages():
    frame = data.make_customers(seed=3, n_months=5, customers_per_month=40)
    assert data.summary(frame) == "200 rows x 10 columns, months 2025-01 to 2025-05"
    assert data.summary(frame, language="es") == "200 filas x 10 columnas, meses de 2025-01 a 2025-05"


def test_schema_ranges_and_categories():
    frame = data.make_customers(seed=0, n_months=2, customers_per_month=500)
    assert list(frame.columns) == [data.ID_COLUMN, data.TIME_COLUMN, *data.FEATURES, data.TARGET]
    assert len(frame) == 1000 and frame[data.ID_COLUMN].is_unique
    for column, (low, high) in data.VALID_RANGES.items():
        assert frame[column].between(low, high).all(), column
    for column, values in data.CATEGORIES.items():
        assert set(frame[column]) <= set(values)
    assert 0.15 < frame[data.TARGET].mean() < 0.5


def test_monthly_batches_are_in_time_order():
    frame = data.make_customers(seed=0, n_months=4, customers_per_month=50)
    months = [month for month, batch in data.monthly_batches(frame)]
    assert months == ["2025-01", "2025-02", "2025-03", "2025-04"]


def test_covariate_drift_shifts_features_only_after_its_start():
    calm = data.make_customers(seed=1, n_months=12, covariate_drift=0.0)
    drift = data.make_customers(seed=1, n_months=12, covariate_drift=1.0, covariate_drift_start=6)
    by_month = lambda f: f.groupby("month")["monthly_charges"].mean().to_numpy()  # noqa: E731
    assert abs(by_month(drift)[:5] - by_month(calm)[:5]).max() < 1e-9
    assert by_month(drift)[-1] > by_month(calm)[-1] + 15


def test_concept_drift_changes_labels_suddenly():
    frame = data.make_customers(seed=2, n_months=12, concept_drift=1.0, concept_drift_month=9)
    rates = frame.groupby("month")["churned"].mean().to_numpy()
    assert rates[9:].min() > rates[:9].max()


def test_time_split_never_mixes_months():
    frame = data.make_customers(seed=0, n_months=6, customers_per_month=20)
    train, test = data.split_by_month(frame, train_months=4)
    assert train["month"].max() < test["month"].min()
    assert len(train) == 80 and len(test) == 40
    with pytest.raises(ValueError, match="between 1 and 5"):
        data.split_by_month(frame, train_months=6)


@pytest.mark.parametrize(
    "fault, detect",
    [
        ("missing_values", lambda f: f["monthly_charges"].isna().sum() == 50),
        ("out_of_range", lambda f: (f["tenure_months"] < 0).sum() == 50),
        ("unseen_category", lambda f: (f["contract"] == "three-year").sum() == 50),
        ("renamed_column", lambda f: "support_tickets" in f and "support_calls" not in f),
        ("missing_column", lambda f: "data_usage_gb" not in f),
    ],
)
def test_each_fault_is_planted_and_the_original_is_untouched(fault, detect):
    frame = data.make_customers(seed=0, n_months=1, customers_per_month=1000)
    before = _bytes(frame)
    faulty = data.inject_faults(frame, faults=[fault], rate=0.05, seed=3)
    assert detect(faulty)
    assert _bytes(frame) == before


def test_unknown_fault_is_refused_by_name():
    with pytest.raises(ValueError, match="teleport"):
        data.inject_faults(data.make_customers(n_months=1, customers_per_month=5), faults=["teleport"])


def test_fingerprint_follows_content():
    frame = data.make_customers(seed=0, n_months=1, customers_per_month=100)
    assert data.fingerprint(frame) == data.fingerprint(frame.copy())
    changed = frame.copy()
    changed.loc[0, "monthly_charges"] += 1
    assert data.fingerprint(changed) != data.fingerprint(frame)


def test_exercise_checks_give_specific_feedback():
    frame = data.make_customers(seed=0, n_months=12, customers_per_month=50)
    assert exercise_checks.check_time_split(9, frame=frame).passed
    wrong = exercise_checks.check_time_split(6, frame=frame)
    assert not wrong.passed and "6 months" in wrong.message
    m2m = frame.loc[frame["contract"] == "month-to-month", "churned"].mean()
    assert exercise_checks.check_segment_churn_rate(m2m, frame=frame).passed
    overall = exercise_checks.check_segment_churn_rate(frame["churned"].mean(), frame=frame)
    assert not overall.passed and "all customers" in overall.message


# --- one declaration of the data knobs: every consumer agrees with DataSettings ----------------------


def _types_and_defaults(cls):
    return {f.name: (f.type, f.default) for f in dataclasses.fields(cls)}


def test_make_customers_takes_settings_or_single_knobs_and_refuses_unknown_ones():
    settings = data.DataSettings(n_months=2, customers_per_month=30, seed=4, covariate_drift=0.5)
    assert data.make_customers(settings).equals(
        data.make_customers(n_months=2, customers_per_month=30, seed=4, covariate_drift=0.5)
    )
    assert data.make_customers(settings, seed=5).equals(data.make_customers(replace(settings, seed=5)))
    with pytest.raises(TypeError, match=r"no knob \['customers'\]"):
        data.make_customers(customers=10)
    with pytest.raises(ValueError, match="at least 1"):
        data.DataSettings(n_months=0)


def test_the_pipeline_and_its_kubeflow_signature_use_the_data_settings():
    import inspect

    from mlops_lab import kfp_pipeline, pipeline_steps

    knobs = _types_and_defaults(data.DataSettings)
    parameters = _types_and_defaults(pipeline_steps.PipelineParameters)
    assert set(pipeline_steps.PIPELINE_DATA_KNOBS) <= set(knobs)
    assert {k: parameters[k] for k in pipeline_steps.PIPELINE_DATA_KNOBS} == {
        k: knobs[k] for k in pipeline_steps.PIPELINE_DATA_KNOBS
    }
    step = inspect.signature(pipeline_steps.extract_data).parameters
    assert {k: step[k].default for k in pipeline_steps.PIPELINE_DATA_KNOBS} == {
        k: knobs[k][1] for k in pipeline_steps.PIPELINE_DATA_KNOBS
    }
    assert pipeline_steps.STEPS[0].parameters == pipeline_steps.PIPELINE_DATA_KNOBS

    # Kubeflow needs plain typed parameters: the same names, types and defaults as PipelineParameters.
    signature = inspect.signature(kfp_pipeline.build_pipeline().pipeline_func).parameters
    assert list(signature) == list(parameters)
    for name, (kind, default) in parameters.items():
        assert signature[name].annotation.__name__ == kind.split("[")[0], name
        assert signature[name].default == (default if default is not dataclasses.MISSING else {}), name


def test_the_maturity_scenario_and_tracking_recipes_generate_through_the_data_settings():
    from mlops_lab import maturity, tracking

    knobs = _types_and_defaults(data.DataSettings)
    scenario = _types_and_defaults(maturity.Scenario)
    shared = set(scenario) & set(knobs)
    assert {"n_months", "customers_per_month", "seed", "covariate_drift", "concept_drift"} <= shared
    assert {k: scenario[k][0] for k in shared} == {k: knobs[k][0] for k in shared}
    small = maturity.Scenario(
        n_months=5,
        customers_per_month=40,
        history_months=2,
        incident_month=None,
        new_feature_month=None,
        broken_change_month=None,
        concept_drift_month=3,
    )
    assert small.data_settings() == data.DataSettings(
        n_months=5,
        customers_per_month=40,
        seed=42,
        covariate_drift=0.5,
        covariate_drift_start=5,
        concept_drift=2.0,
        concept_drift_month=3,
    )
    with pytest.raises(ValueError, match="at least 1"):
        maturity.Scenario(customers_per_month=0)

    assert set(tracking.RECIPE_DATA_KNOBS) <= set(tracking.RECIPE_DEFAULTS)
    assert set(tracking.RECIPE_DATA_KNOBS.values()) <= set(knobs)
    train, test = tracking.recipe_data({"data_seed": 3, "n_months": 4, "customers_per_month": 50, "train_months": 3})
    expected = data.make_customers(seed=3, n_months=4, customers_per_month=50)
    assert len(train) + len(test) == len(expected) and data.fingerprint(test) == data.fingerprint(
        expected[expected["month"] == expected["month"].max()].reset_index(drop=True)
    )
