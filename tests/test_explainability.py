import numpy as np
import pandas as pd
import pytest

from mlops_lab import data, explainability, training
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


@pytest.mark.parametrize(("kind", "seed"), [("random_forest", 3), ("logistic_regression", 11)])
def test_attributions_are_exactly_scikit_learns_permutation_importance(kind, seed):
    from sklearn.inspection import permutation_importance

    customers = data.make_customers(n_months=3, customers_per_month=300, seed=seed)
    train, test = data.split_by_month(customers, train_months=2)
    model = training.train_model(
        train, kind=kind, params={"n_estimators": 10} if kind == "random_forest" else {}, seed=seed
    )
    ours = feature_attributions(model, test, n_repeats=4, seed=seed)
    theirs = permutation_importance(
        model, test[list(data.FEATURES)], test[data.TARGET], scoring="roc_auc", n_repeats=4, random_state=seed
    )
    expected = pd.DataFrame(
        {"importance": theirs.importances_mean.round(4), "spread": theirs.importances_std.round(4)},
        index=pd.Index(list(data.FEATURES), name="feature"),
    )
    pd.testing.assert_frame_equal(ours.table.sort_index(), expected.sort_index())
    assert np.array_equal(
        explainability._permutation_drops(
            model,
            test[list(data.FEATURES)],
            test[data.TARGET],
            explainability._feature_blocks(model, list(data.FEATURES)),
            n_repeats=4,
            seed=seed,
            scoring="roc_auc",
        ),
        theirs.importances,
    )


def test_a_model_of_another_shape_goes_through_scikit_learn_itself():
    from sklearn.pipeline import make_pipeline

    customers = data.make_customers(n_months=3, customers_per_month=200, seed=2)
    train, test = data.split_by_month(customers, train_months=2)
    fitted = training.train_model(train, seed=0)
    other = make_pipeline(fitted.steps[0][1], fitted.steps[1][1])
    other.steps.insert(0, ("identity", "passthrough"))
    assert explainability._feature_blocks(other, list(data.FEATURES)) is None
    assert sorted(feature_attributions(other, test, n_repeats=2).table.index) == sorted(data.FEATURES)


def test_the_spanish_attributions_carry_the_same_numbers():
    import re

    import matplotlib

    matplotlib.use("Agg")
    customers = data.make_customers(n_months=2, customers_per_month=300, seed=5)
    train, test = data.split_by_month(customers, train_months=1)
    model = training.train_model(train, seed=0)
    english, spanish = (feature_attributions(model, test, n_repeats=2, seed=0, language=lang) for lang in ("en", "es"))
    pd.testing.assert_frame_equal(english.table, spanish.table)
    numbers = [re.findall(r"\d+\.\d+", repr(a)) for a in (english, spanish)]
    assert repr(english) != repr(spanish) and numbers[0] == numbers[1] and len(numbers[0]) == 2 * len(data.FEATURES)
    assert repr(spanish).startswith("Atribuciones de características (caída de roc_auc")
    assert spanish.plot().axes[0].get_xlabel() == "caída de roc_auc al mezclar la característica"
