import pandas as pd

from mlops_lab import data, training
from mlops_lab.exercise_checks import check_top_feature
from mlops_lab.explainability import Attributions, feature_attributions


def test_a_feature_the_model_never_sees_gets_no_attribution_and_a_strong_one_leads():
    customers = data.make_customers(n_months=3, customers_per_month=400, seed=4)
    train, test = data.split_by_month(customers, train_months=2)
    # Region does not influence churn in the generator: make it constant so the model cannot use it at all.
    train = train.assign(region="north")
    model = training.train_model(train, seed=0)
    first = feature_attributions(model, test, n_repeats=3, seed=0)
    again = feature_attributions(model, test, n_repeats=3, seed=0)
    pd.testing.assert_frame_equal(first.table, again.table)
    assert sorted(first.table.index) == sorted(data.FEATURES)
    assert first.table.loc["region", "importance"] == 0
    assert first.table.index[0] in {"contract", "tenure_months"}
    assert first.table["importance"].is_monotonic_decreasing
    assert repr(first).splitlines()[0] == "Feature attributions (drop in roc_auc when the feature is shuffled)"


def test_the_top_feature_check():
    table = pd.DataFrame(
        {"importance": [0.2, 0.05], "spread": [0.01, 0.01]}, index=pd.Index(["contract", "region"], name="feature")
    )
    attributions = Attributions(table=table, scoring="roc_auc")
    assert check_top_feature("contract", attributions=attributions).passed
    assert (
        check_top_feature("region", attributions=attributions).message
        == "region ranks 2 of 2; look for the largest importance."
    )
    assert "not an input feature" in check_top_feature("age", attributions=attributions).message
