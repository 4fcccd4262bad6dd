import numpy as np
import pandas as pd
import pytest

from mlops_lab import data, maturity, serving, training
from mlops_lab.row_scoring import predict_proba, row_scorer

COLUMNS = serving.churn_schema().columns


def _frames(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    customers = data.make_customers(n_months=4, customers_per_month=300, seed=seed, covariate_drift=1.5)
    return data.split_by_month(customers, train_months=3)


@pytest.mark.parametrize(
    ("kind", "params", "seed"),
    [
        ("random_forest", {"n_estimators": 15}, 3),
        ("random_forest", {"n_estimators": 10, "max_depth": 4, "min_samples_leaf": 9}, 8),
        ("logistic_regression", {}, 11),
        ("gradient_boosting", {"n_estimators": 10}, 5),
    ],
)
def test_rows_score_exactly_as_the_pipeline_scores_them(kind, params, seed):
    train, test = _frames(seed)
    model = training.train_model(train, kind=kind, params=params, seed=seed)
    scorer = row_scorer(model)
    assert scorer is not None
    rows = serving.instances_from_frame(test)
    # A whole batch at once, and one row at a time (the endpoint's canary): bit for bit the pipeline's numbers.
    assert np.array_equal(scorer.predict_proba(rows), model.predict_proba(test[COLUMNS]))
    for row in rows[:25]:
        expected = model.predict_proba(pd.DataFrame.from_records([row], columns=COLUMNS))
        assert np.array_equal(scorer.predict_proba([row]), expected)


def test_missing_numbers_are_imputed_and_unknown_categories_encode_as_zeros():
    train, test = _frames(2)
    model = training.train_model(train, kind="random_forest", params={"n_estimators": 8}, seed=2)
    rows = serving.instances_from_frame(test.head(30))
    rows[0] = {**rows[0], "monthly_charges": None, "tenure_months": float("nan")}
    rows[1] = {**rows[1], "contract": "three-year"}
    frame = pd.DataFrame.from_records(rows, columns=COLUMNS).astype({"monthly_charges": float, "tenure_months": float})
    assert np.array_equal(row_scorer(model).predict_proba(rows), model.predict_proba(frame))
    assert np.array_equal(row_scorer(model).transform(rows), model[0].transform(frame))


def test_other_models_and_configurations_get_no_scorer():
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import make_pipeline

    train, _ = _frames(1)
    features, target = train[COLUMNS], train[data.TARGET]
    assert row_scorer(DummyClassifier().fit(features, target)) is None
    assert row_scorer(make_pipeline(DummyClassifier()).fit(features, target)) is None
    # Pandas output from the preprocessing: the classifier is fitted on named columns, not the scorer's array.
    pandas_out = training.build_model(seed=0)
    pandas_out.steps[0][1].transformers[1][1].set_params(sparse_output=False)
    pandas_out.steps[0][1].set_output(transform="pandas")
    assert row_scorer(pandas_out.fit(features, target)) is None
    # Rare categories grouped into an "infrequent" column: not the plain one-hot layout.
    grouped = training.build_model(seed=0)
    grouped.steps[0][1].transformers[1][1].set_params(min_frequency=0.3)
    assert row_scorer(grouped.fit(features, target)) is None


def test_the_endpoint_answers_with_the_pipelines_probabilities():
    train, test = _frames(6)
    model = training.train_model(train, kind="random_forest", params={"n_estimators": 12}, seed=6)
    rows = serving.instances_from_frame(test.head(5))
    with serving.Endpoint([serving.DeployedModel("m", model, version="1")]) as endpoint:
        answers = [endpoint.predict([row], request_id=f"r-{i}")["predictions"][0] for i, row in enumerate(rows)]
    expected = model.predict_proba(test.head(5)[COLUMNS])[:, 1]
    assert [a["probability"] for a in answers] == [round(float(p), 6) for p in expected]
    assert [a["prediction"] for a in answers] == [int(p >= 0.5) for p in expected]


@pytest.mark.parametrize(
    ("kind", "params"),
    [("random_forest", {"n_estimators": 12}), ("logistic_regression", {}), ("gradient_boosting", {"n_estimators": 8})],
)
def test_frames_score_exactly_as_the_pipeline_scores_them_faults_included(kind, params):
    train, test = _frames(4)
    model = training.train_model(train, kind=kind, params=params, seed=4)
    faulty = data.inject_faults(test, faults=["missing_values", "out_of_range", "unseen_category"], rate=0.4, seed=4)
    for frame in (test, faulty, test.head(1), test[test["contract"] == "two-year"]):
        features = frame[COLUMNS]
        assert np.array_equal(predict_proba(model, features), model.predict_proba(features))
    assert np.array_equal(row_scorer(model).transform_frame(faulty[COLUMNS]), model[0].transform(faulty[COLUMNS]))


def test_frames_the_pipeline_would_refuse_raise_the_pipelines_own_error():
    train, test = _frames(9)
    model = training.train_model(train, kind="logistic_regression", seed=9)
    features = test[COLUMNS].assign(monthly_charges=np.inf)
    with pytest.raises(ValueError, match="infinity"):
        model.predict_proba(features)
    with pytest.raises(ValueError, match="infinity"):
        predict_proba(model, features)
    # Other columns, text where a number belongs, numbers where text belongs: the pipeline itself answers.
    scorer = row_scorer(model)
    assert scorer.transform_frame(test[list(reversed(COLUMNS))]) is None
    assert scorer.transform_frame(test[COLUMNS].astype({"tenure_months": object}).assign(tenure_months="x")) is None
    assert scorer.transform_frame(test[COLUMNS].assign(region=1)) is None
    reordered = test[list(reversed(COLUMNS))]
    assert np.array_equal(predict_proba(model, reordered), model.predict_proba(reordered))


@pytest.mark.parametrize("code", [maturity.CODE_V1, maturity.CODE_V2, maturity.CODE_V3])
def test_the_maturity_pipelines_feature_step_runs_first(code):
    train, test = _frames(12)
    model = maturity.build_pipeline_model(maturity.CODE_V2, seed=12).fit(train[COLUMNS], train[data.TARGET])
    # The fitted v2 model behind each code version's feature step (v3 divides by a zero tenure: infinity).
    model.steps[0] = ("features", maturity.build_pipeline_model(code).steps[0][1].fit(train[COLUMNS]))
    features = test[COLUMNS].assign(tenure_months=test["tenure_months"].where(test.index % 5 > 0, 0))
    try:
        expected = model.predict_proba(features)
    except ValueError as error:
        with pytest.raises(ValueError, match=str(error)[:40]):
            predict_proba(model, features)
    else:
        assert np.array_equal(predict_proba(model, features), expected)


def test_an_endpoint_whose_schema_is_not_the_models_columns_lets_the_pipeline_answer():
    train, test = _frames(7)
    model = training.train_model(train, kind="random_forest", params={"n_estimators": 6}, seed=7)
    schema = serving.churn_schema()
    reordered = serving.InputSchema(
        numeric=schema.numeric, categorical=dict(reversed(list(schema.categorical.items())))
    )
    same = serving.Endpoint([serving.DeployedModel("m", model)])
    other = serving.Endpoint([serving.DeployedModel("m", model)], schema=reordered)
    assert same._scorers["m"] is not None
    assert other._scorers["m"] is None
