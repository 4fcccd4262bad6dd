import pandas as pd
import pytest

from mlops_lab import data
from mlops_lab.exercise_checks import check_point_in_time_value
from mlops_lab.features import (
    latest_values_join,
    leakage_report,
    make_feature_history,
    point_in_time_join,
)


def ts(day: int) -> pd.Timestamp:
    return pd.Timestamp("2025-03-01") + pd.Timedelta(days=day)


@pytest.fixture
def history():
    features = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "B"],
            "feature_time": [ts(0), ts(10), ts(20), ts(5)],
            "support_calls": [1, 2, 7, 0],
        }
    )
    # Labels deliberately out of time order, with a custom index.
    labels = pd.DataFrame(
        {
            "customer_id": ["A", "B", "A", "A", "B"],
            "prediction_time": [ts(15), ts(4), ts(10), ts(30), ts(60)],
            "churned": [1, 0, 1, 0, 0],
        },
        index=[50, 40, 30, 20, 10],
    )
    return labels, features


def test_each_label_gets_the_latest_values_known_at_its_time(history):
    labels, features = history
    joined = point_in_time_join(labels, features)
    assert list(joined.index) == [50, 40, 30, 20, 10]
    assert joined["churned"].tolist() == [1, 0, 1, 0, 0]
    # A at day 15 knows day 10; B at day 4 knows nothing yet; a value recorded exactly at
    # prediction time counts; A at day 30 knows day 20; B at day 60 knows day 5.
    assert joined["support_calls"].tolist()[:1] == [2]
    assert pd.isna(joined.loc[40, "support_calls"]) and pd.isna(joined.loc[40, "feature_time"])
    assert joined.loc[30, "support_calls"] == 2 and joined.loc[30, "feature_time"] == ts(10)
    assert joined.loc[20, "support_calls"] == 7 and joined.loc[10, "support_calls"] == 0
    assert (joined["feature_time"].dropna() <= joined.loc[joined["feature_time"].notna(), "prediction_time"]).all()


def test_max_age_treats_old_values_as_unknown(history):
    labels, features = history
    joined = point_in_time_join(labels, features, max_age="30D")
    assert pd.isna(joined.loc[10, "support_calls"])  # B's value is 55 days old
    assert joined.loc[20, "support_calls"] == 7  # A's is 10 days old


def test_the_naive_join_leaks_values_from_after_the_prediction(history):
    labels, features = history
    naive = latest_values_join(labels, features)
    assert naive.loc[50, "support_calls"] == 7  # recorded on day 20, after the prediction on day 15
    assert (naive["feature_time"] > naive["prediction_time"]).sum() == 3


def test_bad_inputs_are_named(history):
    labels, features = history
    with pytest.raises(ValueError, match=r"labels lack column\(s\) \['prediction_time'\]"):
        point_in_time_join(labels.drop(columns="prediction_time"), features)
    with pytest.raises(ValueError, match=r"share column\(s\) \['churned'\]"):
        point_in_time_join(labels, features.assign(churned=0))


def test_the_churn_history_reproduces_the_snapshots_only_when_joined_in_time():
    customers = data.make_customers(n_months=3, customers_per_month=300, seed=5)
    labels, features = make_feature_history(customers, seed=5)
    assert len(features) == 3 * len(customers) and len(labels) == len(customers)
    columns = list(data.FEATURES)
    pit = point_in_time_join(labels, features)
    pd.testing.assert_frame_equal(pit[columns].reset_index(drop=True), customers[columns].reset_index(drop=True))
    naive = latest_values_join(labels, features)
    churners = customers[data.TARGET].to_numpy() == 1
    assert (naive.loc[churners, "support_calls"].to_numpy() > customers.loc[churners, "support_calls"].to_numpy()).all()
    assert make_feature_history(customers, seed=5)[1].equals(features)


def test_leakage_report_shows_the_naive_join_promising_more_than_it_delivers():
    customers = data.make_customers(n_months=4, customers_per_month=300, seed=6)
    train, test = data.split_by_month(customers, train_months=3)
    labels, features = make_feature_history(customers, seed=6)
    report = leakage_report(labels, features, train_ids=train["customer_id"], test_ids=test["customer_id"], seed=0)
    naive, correct = report.loc["latest values (naive)"], report.loc["point-in-time"]
    assert naive["offline ROC AUC"] > 0.95 > correct["offline ROC AUC"]
    assert naive["ROC AUC at serving time"] < correct["ROC AUC at serving time"] == correct["offline ROC AUC"]


def test_the_point_in_time_exercise_check_spots_the_leaking_value():
    customers = data.make_customers(n_months=2, customers_per_month=100, seed=0)
    labels, features = make_feature_history(customers, seed=0)
    churner = labels.loc[labels["churned"] == 1, "customer_id"].iloc[0]
    one = labels[labels["customer_id"] == churner]
    truth = point_in_time_join(one, features)["support_calls"].iloc[0]
    leaked = latest_values_join(one, features)["support_calls"].iloc[0]
    assert check_point_in_time_value(truth, labels=labels, features=features, customer_id=churner).passed
    feedback = check_point_in_time_value(leaked, labels=labels, features=features, customer_id=churner)
    assert not feedback.passed and "leaking value" in feedback.message
    assert not check_point_in_time_value(truth + 100, labels=labels, features=features, customer_id=churner).passed
    with pytest.raises(ValueError, match="no label row"):
        check_point_in_time_value(1, labels=labels, features=features, customer_id="nobody")


def test_the_spanish_leakage_report_carries_the_same_numbers():
    customers = data.make_customers(n_months=3, customers_per_month=200, seed=6)
    train, test = data.split_by_month(customers, train_months=2)
    labels, features = make_feature_history(customers, seed=6)
    ids = {"train_ids": train["customer_id"], "test_ids": test["customer_id"]}
    english = leakage_report(labels, features, **ids, seed=0)
    spanish = leakage_report(labels, features, **ids, seed=0, language="es")
    assert spanish.to_numpy().tolist() == english.to_numpy().tolist()
    assert list(spanish.columns) == ["ROC AUC sin conexión", "ROC AUC al servir"]
    assert spanish.index.name == "filas de entrenamiento unidas con" and "a un momento dado" in spanish.index
