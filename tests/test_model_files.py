"""Model files: safe loading against the allow-list, byte-stable saving, and a fingerprint stable across processors."""

import os

import numpy as np
import pytest

from mlops_lab import data, model_files, training


@pytest.fixture(scope="module")
def frames():
    frame = data.make_customers(n_months=6, customers_per_month=150, seed=3)
    return data.split_by_month(frame, train_months=4)


@pytest.fixture(scope="module")
def logistic(frames):
    return training.train_model(frames[0], seed=3)


def _nudged(model, *, relative: float):
    """A copy of a fitted model with every coefficient moved by ``relative`` of its value (last-bit noise or more)."""
    import copy

    twin = copy.deepcopy(model)
    classifier = twin[-1]
    classifier.coef_ = classifier.coef_ * (1 + relative)
    classifier.intercept_ = classifier.intercept_ * (1 - relative)
    return twin


def test_a_model_file_with_untrusted_types_is_refused_before_anything_runs(tmp_path):
    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    path = tmp_path / "evil.skops"
    skops.io.dump(FunctionTransformer(func=os.system), path)
    with pytest.raises(model_files.UntrustedModelError, match=r"evil\.skops: refusing to load.*posix\.system"):
        model_files.load_model(path)


def test_the_refusal_of_untrusted_types_reads_the_same_in_spanish(tmp_path):
    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    path = tmp_path / "evil.skops"
    skops.io.dump(FunctionTransformer(func=os.system), path)
    with pytest.raises(model_files.UntrustedModelError) as refused:
        model_files.load_model(path)
    assert refused.value.untrusted == ("posix.system",) and refused.value.path == str(path)
    assert model_files.refusal_message(refused.value) == str(refused.value)
    spanish = model_files.refusal_message(refused.value, language="es")
    assert spanish.startswith(f"{path}: se rechaza la carga") and "posix.system" in spanish
    assert "trusted=(...)" in spanish and "refusing" not in spanish


def test_a_tree_model_needs_its_reviewed_type_on_the_allow_list(frames, tmp_path):
    forest = training.train_model(frames[0], kind="random_forest", params={"n_estimators": 5}, seed=1)
    path = tmp_path / "forest.skops"
    model_files.save_model(forest, path)
    features = list(data.FEATURES)
    loaded = model_files.load_model(path)
    assert (loaded.predict_proba(frames[1][features]) == forest.predict_proba(frames[1][features])).all()
    with pytest.raises(model_files.UntrustedModelError, match=r"sklearn\.tree\._tree\.Tree"):
        model_files.load_model(path, trusted=())


def test_a_file_that_is_not_a_skops_model_is_refused(tmp_path):
    path = tmp_path / "model.skops"
    path.write_bytes(b"\x80\x04not a zip")
    with pytest.raises(model_files.UntrustedModelError, match="not a readable skops model file") as refused:
        model_files.load_model(path)
    # The reading library's own error is quoted as it is, in every language.
    assert model_files.refusal_message(refused.value, language="es") == str(refused.value)


def test_saving_twice_gives_the_same_bytes_and_the_round_trip_keeps_the_predictions(logistic, frames, tmp_path):
    model_files.save_model(logistic, tmp_path / "a.skops")
    model_files.save_model(logistic, tmp_path / "sub" / "b.skops")
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "sub" / "b.skops").read_bytes()
    loaded = model_files.load_model(tmp_path / "a.skops")
    features = list(data.FEATURES)
    assert (loaded.predict_proba(frames[1][features]) == logistic.predict_proba(frames[1][features])).all()
    assert model_files.file_fingerprint(tmp_path / "a.skops") == model_files.fingerprint(logistic)


def test_the_fingerprint_ignores_last_bit_noise(logistic):
    # Different processors' math kernels change coefficients by about 1e-14 of their value.
    assert model_files.fingerprint(_nudged(logistic, relative=1e-13)) == model_files.fingerprint(logistic)
    assert model_files.fingerprint(_nudged(logistic, relative=-4e-14)) == model_files.fingerprint(logistic)
    noisy_zero = _nudged(logistic, relative=0.0)
    noisy_zero[-1].coef_[0, 0] = 1e-17
    zero = _nudged(logistic, relative=0.0)
    zero[-1].coef_[0, 0] = -3e-18
    assert model_files.fingerprint(noisy_zero) == model_files.fingerprint(zero)


def test_the_fingerprint_changes_when_a_parameter_really_changes(logistic, frames):
    assert model_files.fingerprint(_nudged(logistic, relative=1e-4)) != model_files.fingerprint(logistic)
    other = training.train_model(frames[0], params={"C": 0.1}, seed=3)
    assert model_files.fingerprint(other) != model_files.fingerprint(logistic)
    assert len(model_files.fingerprint(logistic)) == 12


def test_the_fingerprint_covers_tree_models_and_non_finite_values(frames):
    boosted = training.train_model(frames[0], kind="gradient_boosting", params={"n_estimators": 5}, seed=2)
    again = training.train_model(frames[0], kind="gradient_boosting", params={"n_estimators": 5}, seed=2)
    deeper = training.train_model(
        frames[0], kind="gradient_boosting", params={"n_estimators": 5, "max_depth": 2}, seed=2
    )
    assert model_files.fingerprint(boosted) == model_files.fingerprint(again) != model_files.fingerprint(deeper)
    assert model_files.fingerprint({"w": np.array([np.nan, 1.0])}) != model_files.fingerprint(
        {"w": np.array([0.0, 1.0])}
    )


def test_the_fingerprint_does_not_depend_on_set_order():
    # Built in different insertion orders; with string hash randomisation, iteration order differs too.
    assert model_files.fingerprint({"names": {"b", "a", "c"}}) == model_files.fingerprint({"names": {"c", "a", "b"}})
    assert model_files.fingerprint({"names": {"a", "b"}}) != model_files.fingerprint({"names": {"a", "c"}})
