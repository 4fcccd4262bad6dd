"""Training and evaluation: outcome counts (missed churners, false alarms) and the business cost, in one place."""

import numpy as np
import pandas as pd
import pytest

from mlops_lab import data, model_validation, tracking, training


@pytest.fixture(scope="module")
def fitted():
    frame = data.make_customers(n_months=4, customers_per_month=250, seed=3)
    train, test = data.split_by_month(frame, train_months=3)
    return training.train_model(train, seed=3), test


def test_outcome_counts_match_the_confusion_matrix_by_hand():
    truth = np.array([1, 1, 1, 0, 0, 0, 0])
    decided = np.array([True, False, False, True, False, False, False])
    counted = training.count_outcomes(truth, decided)
    assert (counted.true_positives, counted.missed_churners, counted.false_alarms, counted.rows) == (1, 2, 1, 7)
    assert counted.ratio("recall") == round(1 / 3, 4) and counted.ratio("precision") == 0.5
    assert counted.ratio("accuracy") == round(4 / 7, 4) and counted.ratio("f1") == round(2 / 5, 4)
    assert counted.cost(missed_churner_cost=100, false_alarm_cost=10) == round(210 / 7, 4)
    assert training.count_outcomes(np.array([0, 0]), np.array([False, False])).ratio("precision") == 0.0
    with pytest.raises(ValueError, match="unknown ratio 'roc_auc'"):
        counted.ratio("roc_auc")


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_ratios_agree_with_scikit_learns_evaluation(fitted, threshold):
    model, test = fitted
    counted = training.outcomes(model, test, threshold=threshold)
    evaluation = training.evaluate_model(model, test, threshold=threshold)
    for metric in ("accuracy", "precision", "recall", "f1"):
        assert counted.ratio(metric) == getattr(evaluation, metric), metric


def test_tracking_and_the_validation_gate_count_with_training(fitted):
    model, test = fitted
    counted = training.outcomes(model, test, threshold=0.4)
    logged = tracking.outcome_metrics(model, test, threshold=0.4)
    assert (logged["missed_churners"], logged["false_alarms"], logged["test_rows"]) == (
        counted.missed_churners,
        counted.false_alarms,
        counted.rows,
    )
    table = tracking.business_costs(pd.DataFrame([logged], index=["run"]), missed_churner_cost=70, false_alarm_cost=5)
    assert table["run"] == training.business_cost(
        model, test, threshold=0.4, missed_churner_cost=70, false_alarm_cost=5
    )
    scorer = model_validation._Scorer(test, "recall")
    assert scorer.score(model) == training.outcomes(model, test).ratio("recall")


@pytest.mark.parametrize("seed", [0, 5, 23])
def test_evaluation_from_probabilities_equals_scikit_learns_metrics(seed):
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

    rng = np.random.default_rng(seed)
    for n in (1, 7, 300):
        for truth in (rng.integers(0, 2, n), np.zeros(n, dtype=int)):
            proba = rng.random(n) ** rng.uniform(0.3, 4)
            for threshold in (0.0, 0.3, 0.5, 1.0):
                got = training.evaluate_probabilities(truth, proba, threshold=threshold)
                decided = (proba >= threshold).astype(int)
                assert (got.accuracy, got.precision, got.recall, got.f1) == tuple(
                    round(float(f(truth, decided, **kw)), 4)
                    for f, kw in (
                        (accuracy_score, {}),
                        (precision_score, {"zero_division": 0}),
                        (recall_score, {"zero_division": 0}),
                        (f1_score, {"zero_division": 0}),
                    )
                )
                expected_auc = round(float(roc_auc_score(truth, proba)), 4) if len(set(truth)) > 1 else None
                assert got.roc_auc == expected_auc or (expected_auc is None and np.isnan(got.roc_auc))
                assert got.n_rows == n


@pytest.mark.parametrize("threshold", [0.3, 0.5])
def test_outcome_metrics_predict_once_and_agree_with_evaluate_model_and_outcomes(fitted, threshold, monkeypatch):
    from mlops_lab import row_scoring

    model, test = fitted
    calls = []
    original = row_scoring.predict_proba
    monkeypatch.setattr(row_scoring, "predict_proba", lambda m, frame: calls.append(len(frame)) or original(m, frame))
    metrics = tracking.outcome_metrics(model, test, threshold=threshold)
    monkeypatch.undo()
    counted = training.outcomes(model, test, threshold=threshold)
    assert calls == [len(test)]
    assert metrics == {
        **training.evaluate_model(model, test, threshold=threshold).as_dict(),
        "missed_churners": counted.missed_churners,
        "false_alarms": counted.false_alarms,
        "test_rows": len(test),
    }


def test_a_forest_fitted_on_every_core_is_the_forest_fitted_on_one(tmp_path):
    import zipfile

    import skops.io as sio

    from mlops_lab.data import FEATURES, TARGET, make_customers
    from mlops_lab.model_files import fingerprint

    frame = make_customers(seed=3, n_months=3, customers_per_month=300)
    X, y = frame[list(FEATURES)], frame[TARGET]
    parallel = training.train_model(frame, kind="random_forest", params={"n_estimators": 20}, seed=3)
    sequential = training.build_model("random_forest", params={"n_estimators": 20}, seed=3).fit(X, y)
    # The model keeps its own n_jobs: predictions add the trees' probabilities in one fixed order.
    assert parallel[-1].n_jobs == sequential[-1].n_jobs == 1
    assert np.array_equal(parallel.predict_proba(X), sequential.predict_proba(X))
    assert fingerprint(parallel) == fingerprint(sequential)
    files = {}
    for name, model in (("parallel", parallel), ("sequential", sequential)):
        sio.dump(model, tmp_path / f"{name}.skops")
        # The arrays skops writes, whatever their member names (which come from the objects' ids).
        with zipfile.ZipFile(tmp_path / f"{name}.skops") as archive:
            files[name] = sorted(archive.read(m) for m in archive.namelist() if m.endswith(".npy"))
    assert files["parallel"] == files["sequential"] and len(files["parallel"]) > 20


def test_fit_gives_the_forest_its_own_n_jobs_back_when_fitting_fails():
    forest = training.build_model("random_forest", seed=0)[-1]
    with pytest.raises(ValueError):
        training.fit(forest, [[0.0], [1.0]], [0, 1, 1])
    assert forest.n_jobs == 1
