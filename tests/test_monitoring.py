"""Drift metrics follow Vertex AI Model Monitoring (TFDV): exact values on known distributions, agreement with scipy."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon

from mlops_lab import data, monitoring


def test_jensen_shannon_divergence_is_scipys_distance_squared_in_base_2():
    rng = np.random.default_rng(0)
    for _ in range(20):
        p, q = rng.random(8), rng.random(8)
        expected = jensenshannon(p, q, base=2) ** 2
        assert monitoring.jensen_shannon_divergence(p, q) == pytest.approx(expected, abs=1e-12)
    # The divergence is smaller than scipy's default (natural-log distance): mixing them up moves every threshold.
    assert monitoring.jensen_shannon_divergence([1, 2, 3], [3, 2, 1]) < jensenshannon([1, 2, 3], [3, 2, 1])


def test_jensen_shannon_divergence_on_known_distributions():
    assert monitoring.jensen_shannon_divergence([5, 5], [5, 5]) == 0.0
    assert monitoring.jensen_shannon_divergence([1, 0], [0, 1]) == 1.0  # disjoint supports: the maximum
    # p = (1/2, 1/2), q = (1, 0): m = (3/4, 1/4); JSD = (KL(p||m) + KL(q||m)) / 2 in bits.
    kl_p = 0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(0.5 / 0.25)
    kl_q = math.log2(1 / 0.75)
    assert monitoring.jensen_shannon_divergence([1, 1], [1, 0]) == pytest.approx((kl_p + kl_q) / 2)
    # Counts and shares give the same answer.
    assert monitoring.jensen_shannon_divergence([10, 30], [20, 20]) == pytest.approx(
        monitoring.jensen_shannon_divergence([0.25, 0.75], [0.5, 0.5])
    )


def test_l_infinity_distance_is_the_largest_share_difference():
    assert monitoring.l_infinity_distance([50, 30, 20], [80, 15, 5]) == pytest.approx(0.30)
    assert monitoring.l_infinity_distance([1, 1], [1, 1]) == 0.0


def test_population_stability_index_matches_its_formula_and_survives_empty_buckets():
    expected, actual = np.array([0.5, 0.3, 0.2]), np.array([0.3, 0.3, 0.4])
    formula = float(np.sum((actual - expected) * np.log(actual / expected)))
    assert monitoring.population_stability_index(expected, actual) == pytest.approx(formula)
    assert math.isfinite(monitoring.population_stability_index([10, 0], [5, 5]))


@pytest.mark.parametrize("bad", [[], [-1, 2], [0, 0], [1, float("nan")]])
def test_bad_distributions_are_refused_with_a_clear_message(bad):
    with pytest.raises(ValueError, match="distribution|counts"):
        monitoring.jensen_shannon_divergence(bad, [1, 1])


def test_distributions_with_different_buckets_are_refused():
    with pytest.raises(ValueError, match="same buckets"):
        monitoring.l_infinity_distance([1, 2], [1, 2, 3])


def test_numeric_histograms_share_edges_and_count_missing_values_in_their_own_bucket():
    base, cur, edges = monitoring.numeric_histograms([0, 1, 2, 3], [2, 3, 4, float("nan")], bins=4)
    assert edges[0] == 0 and edges[-1] == 4 and len(edges) == 5
    assert base.tolist() == [1, 1, 1, 1, 0] and cur.tolist() == [0, 0, 1, 2, 1]


def test_same_data_has_no_drift_and_a_shifted_mean_does():
    rng = np.random.default_rng(1)
    same = monitoring.feature_drift("x", rng.normal(0, 1, 5000), rng.normal(0, 1, 5000), categorical=False)
    moved = monitoring.feature_drift("x", rng.normal(0, 1, 5000), rng.normal(3, 1, 5000), categorical=False)
    assert same.distance < 0.01 and not same.alert
    assert moved.distance > 0.5 and moved.alert and moved.psi > 0.25


def test_categorical_feature_names_the_category_that_moved_most():
    result = monitoring.feature_drift(
        "contract", ["a"] * 50 + ["b"] * 50, ["a"] * 90 + ["b"] * 5 + [None] * 5, categorical=True
    )
    assert result.metric == "l_infinity" and result.distance == pytest.approx(0.45)
    assert result.largest_change == "b"


def test_detect_drift_flags_the_drifted_features_of_the_churn_data():
    calm = data.make_customers(n_months=2, customers_per_month=2000, seed=3)
    shifted = data.make_customers(
        n_months=12, customers_per_month=2000, seed=4, covariate_drift=1.5, covariate_drift_start=0
    )
    late = shifted[shifted["month"] == shifted["month"].max()]
    report = monitoring.detect_skew(calm, late)
    assert report.kind == "skew" and report.baseline_rows == 4000 and report.current_rows == 2000
    assert {"monthly_charges", "contract"} <= set(report.alerts)
    assert "region" not in report.alerts and "data_usage_gb" not in report.alerts
    assert report.feature("contract").metric == "l_infinity"
    assert report.feature("monthly_charges").metric == "jensen_shannon"
    frame = report.to_frame()
    assert list(frame["feature"]) == list(data.FEATURES) and frame["alert"].sum() == len(report.alerts)
    assert "ALERT" in repr(report) and "<table>" in report._repr_html_()


def test_thresholds_per_feature_change_which_features_alert():
    calm = data.make_customers(n_months=1, customers_per_month=1000, seed=5)
    other = data.make_customers(n_months=1, customers_per_month=1000, seed=6)
    strict = monitoring.detect_drift(calm, other, thresholds={"region": 0.001})
    assert strict.alerts == ("region",)
    assert strict.feature("contract").threshold == monitoring.DEFAULT_THRESHOLD


def test_detect_drift_refuses_missing_columns_and_bad_thresholds():
    calm = data.make_customers(n_months=1, customers_per_month=200, seed=5)
    renamed = data.inject_faults(calm, faults=["renamed_column"])
    with pytest.raises(ValueError, match="support_calls"):
        monitoring.detect_drift(calm, renamed)
    with pytest.raises(ValueError, match="threshold"):
        monitoring.detect_drift(calm, calm, thresholds=0)
    with pytest.raises(ValueError, match="unmonitored"):
        monitoring.detect_drift(calm, calm, thresholds={"nope": 0.2})


def test_missing_values_show_up_as_drift():
    calm = data.make_customers(n_months=1, customers_per_month=2000, seed=7)
    holes = data.inject_faults(calm, faults=["missing_values"], rate=0.5, seed=1)
    result = monitoring.detect_drift(calm, holes).feature("monthly_charges")
    assert result.alert and result.largest_change == monitoring.MISSING


def test_prediction_drift_treats_scores_as_a_numeric_feature():
    rng = np.random.default_rng(2)
    result = monitoring.detect_prediction_drift(rng.beta(2, 5, 3000), rng.beta(5, 2, 3000))
    assert result.feature == "prediction" and result.alert


def test_drift_over_time_finds_the_first_alert():
    frame = data.make_customers(
        n_months=12, customers_per_month=1500, seed=8, covariate_drift=1.5, covariate_drift_start=4
    )
    baseline = frame[frame["month"] < frame["month"].unique()[3]]
    timeline = monitoring.drift_over_time(baseline, list(data.monthly_batches(frame)))
    table = timeline.to_frame()
    assert table.shape == (12, len(data.FEATURES))
    assert table["monthly_charges"].iloc[-1] > table["monthly_charges"].iloc[0]
    period, features = timeline.first_alert()
    assert period > "2025-05" and {"contract", "monthly_charges"} & set(features)
    assert "first alert" in repr(timeline)


def test_plots_have_titles_labels_and_a_threshold():
    import matplotlib

    matplotlib.use("Agg")
    calm = data.make_customers(n_months=3, customers_per_month=500, seed=9)
    report = monitoring.detect_skew(calm, calm)
    ax = report.plot()
    assert ax.get_title() and ax.get_ylabel() and ax.get_legend() is not None
    timeline = monitoring.drift_over_time(calm, list(data.monthly_batches(calm)))
    ax = timeline.plot()
    assert "threshold 0.3" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert isinstance(timeline.to_frame(), pd.DataFrame)


def numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


def test_the_spanish_report_and_timeline_carry_the_same_numbers():
    import matplotlib

    matplotlib.use("Agg")
    frame = data.make_customers(
        n_months=6, customers_per_month=800, seed=8, covariate_drift=3.0, covariate_drift_start=2
    )
    baseline, later = data.split_by_month(frame, train_months=2)
    english = monitoring.detect_skew(baseline, later)
    spanish = monitoring.detect_skew(baseline, later, language="es")
    assert english == spanish and english.alerts  # the same result: only the words differ
    assert repr(english) != repr(spanish) and numbers(repr(english)) == numbers(repr(spanish))
    assert "ALERTA en" in spanish.summary() and spanish.summary().startswith("sesgo: ")
    assert (
        numbers(english._repr_html_()) == numbers(spanish._repr_html_()) and "<th>umbral</th>" in spanish._repr_html_()
    )
    assert spanish.plot().get_xlabel() == "característica"
    batches = list(data.monthly_batches(later))
    timelines = [monitoring.drift_over_time(baseline, batches, kind="skew", language=lang) for lang in ("en", "es")]
    assert timelines[1].reports[0].language == "es" and timelines[0] == timelines[1]
    assert numbers(repr(timelines[0])) == numbers(repr(timelines[1])) and "primera alerta" in repr(timelines[1])
    ax = timelines[1].plot()
    assert "umbral 0.3" in [t.get_text() for t in ax.get_legend().get_texts()] and ax.get_xlabel() == "mes"
    assert timelines[0].plot(language="es").get_xlabel() == "mes"
