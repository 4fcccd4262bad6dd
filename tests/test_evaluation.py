import pytest

from mlops_lab import data, tracking, training
from mlops_lab.evaluation import evaluate_slices, log_training_curve, training_curve


@pytest.fixture(scope="module")
def split():
    customers = data.make_customers(n_months=4, customers_per_month=300, seed=2)
    return data.split_by_month(customers, train_months=3)


def test_training_curve_has_one_row_per_iteration_and_training_loss_keeps_falling(split):
    train, valid = split
    model = training.train_model(train, kind="gradient_boosting", params={"n_estimators": 60, "max_depth": 3}, seed=0)
    curve = training_curve(model, train, valid)
    history = curve.history
    assert list(history.index) == list(range(1, 61)) and list(history.columns) == ["train_loss", "valid_loss"]
    assert history["train_loss"].is_monotonic_decreasing
    assert history.loc[curve.best_step, "valid_loss"] == history["valid_loss"].min()
    assert f"lowest at iteration {curve.best_step}" in repr(curve)


def test_training_curve_refuses_a_model_without_stages(split):
    train, valid = split
    with pytest.raises(ValueError, match="train a gradient_boosting model"):
        training_curve(training.train_model(train, seed=0), train, valid)


def test_the_curve_is_logged_as_a_metric_history(split, tmp_path):
    train, valid = split
    model = training.train_model(train, kind="gradient_boosting", params={"n_estimators": 5}, seed=0)
    curve = training_curve(model, train, valid)
    tracking.open_store(tmp_path, experiment="curves")
    run_id = log_training_curve(curve, run_name="gb-curve", params={"n_estimators": 5})
    from mlflow import MlflowClient

    history = MlflowClient().get_metric_history(run_id, "valid_loss")
    assert [m.step for m in sorted(history, key=lambda m: m.step)] == [1, 2, 3, 4, 5]
    assert [m.value for m in sorted(history, key=lambda m: m.step)] == pytest.approx(
        curve.history["valid_loss"].tolist()
    )


def test_slices_cover_every_value_and_the_whole_set(split):
    train, valid = split
    model = training.train_model(train, seed=0)
    table = evaluate_slices(model, valid, by="contract")
    assert list(table.index) == ["(all)", "contract=month-to-month", "contract=one-year", "contract=two-year"]
    assert table.loc["(all)", "rows"] == len(valid) == table["rows"].iloc[1:].sum()
    assert table.loc["(all)", "roc_auc"] == training.evaluate_model(model, valid).roc_auc


def test_the_curve_losses_are_scikit_learns_log_loss_at_every_stage(split):
    from sklearn.metrics import log_loss

    train, valid = split
    model = training.train_model(train, kind="gradient_boosting", params={"n_estimators": 12}, seed=3)
    curve = training_curve(model, train, valid)
    stages = model[-1].staged_predict_proba(model[:-1].transform(valid[list(data.FEATURES)]))
    expected = [round(log_loss(valid[data.TARGET], proba, labels=[0, 1]), 6) for proba in stages]
    assert curve.history["valid_loss"].tolist() == expected


def test_the_spanish_curve_carries_the_same_numbers(split):
    import re

    import matplotlib

    matplotlib.use("Agg")
    train, valid = split
    model = training.train_model(train, kind="gradient_boosting", params={"n_estimators": 20, "max_depth": 3}, seed=0)
    english, spanish = (training_curve(model, train, valid, language=lang) for lang in ("en", "es"))
    assert english.history.equals(spanish.history)
    numbers = [re.findall(r"\d+(?:\.\d+)?", repr(curve)) for curve in (english, spanish)]
    assert repr(english) != repr(spanish) and numbers[0] == numbers[1]
    assert f"mínima en la iteración {spanish.best_step}" in repr(spanish)
    axes = spanish.plot().axes[0]
    assert axes.get_title() == "Curva de entrenamiento" and axes.get_xlabel() == "iteración de boosting"
