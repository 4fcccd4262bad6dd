import pytest

from mlops_lab import data, tracking
from mlops_lab.tuning import (
    CategoricalParameter,
    DoubleParameter,
    IntegerParameter,
    mlflow_trial_logger,
    run_study,
    tune_churn_model,
)

SPACE = {
    "x": DoubleParameter(0.0, 5.0),
    "n": IntegerParameter(1, 8),
    "shape": CategoricalParameter(("flat", "peak")),
}


def bowl(params):
    """Best at x=2, n=5, shape=peak (value 1.0)."""
    return (1.0 if params["shape"] == "peak" else 0.5) - (params["x"] - 2.0) ** 2 - 0.1 * abs(params["n"] - 5)


def test_the_same_seed_proposes_the_same_trials_and_another_seed_does_not():
    first = run_study(bowl, parameters=SPACE, metric="score", max_trial_count=12, seed=7)
    again = run_study(bowl, parameters=SPACE, metric="score", max_trial_count=12, seed=7)
    other = run_study(bowl, parameters=SPACE, metric="score", max_trial_count=12, seed=8)
    assert first.trials.equals(again.trials) and repr(first) == repr(again)
    assert not first.trials.equals(other.trials)


def test_the_bayesian_study_finds_the_optimum_and_respects_the_space():
    result = run_study(bowl, parameters=SPACE, metric="score", max_trial_count=40, seed=0)
    assert list(result.trials.columns) == ["x", "n", "shape", "score"] and len(result.trials) == 40
    assert result.trials["x"].between(0, 5).all() and result.trials["n"].between(1, 8).all()
    assert set(result.trials["shape"]) <= {"flat", "peak"}
    assert result.best_value == result.trials["score"].max() == result.trials.loc[result.best_trial, "score"]
    assert result.best_value > 0.85 and result.best_params["shape"] == "peak"
    # Bayesian search beats random search with the same budget on this smooth objective.
    random = run_study(bowl, parameters=SPACE, metric="score", max_trial_count=40, seed=0, algorithm="random")
    assert result.trials["score"].iloc[20:].mean() > random.trials["score"].iloc[20:].mean()


def test_minimize_and_every_trial_reported_in_order():
    seen = []
    result = run_study(
        lambda p: (p["x"] - 1) ** 2,
        parameters={"x": DoubleParameter(0.01, 10.0, log=True)},
        metric="loss",
        goal="minimize",
        max_trial_count=15,
        on_trial=lambda number, params, value: seen.append((number, params["x"], value)),
    )
    assert [s[0] for s in seen] == list(range(15))
    assert [s[2] for s in seen] == result.trials["loss"].tolist()
    assert result.best_value == min(s[2] for s in seen) < 0.1


@pytest.mark.parametrize(
    "options, message",
    [
        ({"goal": "maximise"}, "goal must be one of"),
        ({"algorithm": "grid"}, "algorithm must be one of"),
        ({"max_trial_count": 0}, "at least 1"),
        ({"parameters": {}}, "at least one parameter"),
        ({"parameters": {"x": (0, 1)}}, "unknown spec"),
    ],
)
def test_bad_study_settings_are_refused(options, message):
    settings = {"parameters": SPACE, "metric": "score", "max_trial_count": 3, **options}
    with pytest.raises((ValueError, TypeError), match=message):
        run_study(bowl, **settings)


def test_a_churn_study_logs_every_trial_to_mlflow(tmp_path):
    customers = data.make_customers(n_months=3, customers_per_month=200, seed=1)
    train, valid = data.split_by_month(customers, train_months=2)
    tracking.open_store(tmp_path, experiment="tuning-test")
    result = tune_churn_model(
        train,
        valid,
        kind="random_forest",
        parameters={"max_depth": IntegerParameter(2, 6), "n_estimators": IntegerParameter(5, 20)},
        max_trial_count=4,
        on_trial=mlflow_trial_logger("rf", data=train),
    )
    runs = tracking.compare_runs(metrics=["roc_auc"], params=["max_depth", "n_estimators"])
    assert list(runs.index) == ["rf-trial-00", "rf-trial-01", "rf-trial-02", "rf-trial-03"]
    assert runs["roc_auc"].tolist() == pytest.approx(result.trials["roc_auc"].tolist())
    assert runs["max_depth"].tolist() == result.trials["max_depth"].tolist()
    assert 0.5 < result.best_value <= 1.0
    tags = tracking.find_run("rf-trial-03").data.tags
    assert tags["study"] == "rf"
    assert tags[tracking.FINGERPRINT_TAG] == data.fingerprint(train)
    assert tags[tracking.CODE_VERSION_TAG] == tracking.code_version()
    assert tracking.find_run("rf-trial-03").info.status == "FINISHED"


def test_a_trial_logger_needs_the_training_frame():
    customers = data.make_customers(n_months=2, customers_per_month=50, seed=1)
    with pytest.raises(ValueError, match="'train' frame"):
        mlflow_trial_logger("rf", data={"valid": customers})


@pytest.mark.parametrize("kind", ["random_forest", "logistic_regression"])
def test_each_trial_scores_what_train_model_and_evaluate_model_give(kind):
    from mlops_lab.training import evaluate_model, train_model

    customers = data.make_customers(n_months=4, customers_per_month=200, seed=5)
    train, valid = data.split_by_month(customers, train_months=3)
    space = (
        {"C": DoubleParameter(0.01, 10.0, log=True)}
        if kind == "logistic_regression"
        else {"max_depth": IntegerParameter(2, 8)}
    )
    study = tune_churn_model(train, valid, kind=kind, parameters=space, max_trial_count=3, seed=7)
    for params, auc in zip(study.trials[list(space)].to_dict("records"), study.trials["roc_auc"], strict=True):
        assert auc == evaluate_model(train_model(train, kind=kind, params=params, seed=7), valid).roc_auc


def test_the_spanish_study_carries_the_same_numbers():
    import re

    english, spanish = (
        run_study(bowl, parameters=SPACE, metric="score", max_trial_count=6, seed=1, language=lang)
        for lang in ("en", "es")
    )
    assert english.trials.equals(spanish.trials) and english.best_params == spanish.best_params
    numbers = [re.findall(r"\d+(?:\.\d+)?", repr(study)) for study in (english, spanish)]
    assert repr(english) != repr(spanish) and numbers[0] == numbers[1]
    assert repr(spanish).startswith("StudyResult(6 pruebas, objetivo: maximizar score): mejor prueba ")
