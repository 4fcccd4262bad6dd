"""Scoring rows with a fitted churn pipeline, without scikit-learn's per-call overhead.

An online prediction is usually one row, and a simulation scores hundreds of monthly batches.
For one row, ``Pipeline.predict_proba`` spends almost all of its time around the arithmetic, not
in it: building a DataFrame, selecting its columns (pandas), checking the input at every step,
and, for a random forest, wrapping each tree's call in joblib's configuration and warning-filter
bookkeeping: about 5 ms of CPU for a row whose actual work (impute, scale, one-hot encode, walk
50 trees) takes a tenth of that. On a few thousand rows the same overhead is still most of a
logistic regression's prediction.

:func:`row_scorer` reads the fitted parameters of a :func:`mlops_lab.training.build_model`
pipeline (the imputer's medians, the scaler's means and scales, the encoder's categories) and
applies them with the same numpy operations scikit-learn uses, to plain rows (the endpoint's
requests) or to a DataFrame's columns (:func:`predict_proba`); the classifier is the fitted one,
called on the same matrix the pipeline would give it (a forest's trees one by one, summed in the
forest's own order). The probabilities are therefore exactly those of ``model.predict_proba``
(tests compare them with ``np.array_equal``). Any other model, and any input the pipeline would
refuse or treat differently, goes through the model's own ``predict_proba``, errors included.

Plain rows must already be valid (right columns, finite numbers): the endpoint's request schema
checks that before a row gets here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class _NumericBlock:
    """Numeric columns through an imputer and/or a scaler: each step is ("fill", values) or ("scale", mean, scale)."""

    columns: tuple[str, ...]
    start: int
    steps: tuple[tuple[Any, ...], ...]

    def apply(self, values: np.ndarray) -> np.ndarray:
        """The imputer's and scaler's ``transform`` on a float64 matrix of these columns (changed in place)."""
        import numpy as np

        for step in self.steps:
            if step[0] == "fill":
                values = np.where(np.isnan(values), step[1], values)
            else:
                _, mean, scale = step
                if mean is not None:
                    values -= mean
                if scale is not None:
                    values /= scale
        return values


@dataclass(frozen=True)
class _OneHotBlock:
    """Categorical columns one-hot encoded: for each column, its categories' positions; unknown values give zeros."""

    columns: tuple[str, ...]
    start: int
    positions: tuple[dict[Any, int], ...]


@dataclass(frozen=True)
class RowScorer:
    """The churn probability of plain rows (mappings of column to value), equal to the pipeline's ``predict_proba``."""

    width: int
    blocks: tuple[_NumericBlock | _OneHotBlock, ...]
    classify: Callable[[np.ndarray], np.ndarray]
    columns: tuple[str, ...] = ()  # the columns the pipeline was fitted on, in order

    def transform(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The matrix the pipeline's preprocessing gives the classifier for these rows."""
        import numpy as np

        matrix = np.zeros((len(rows), self.width), dtype=np.float64)
        for block in self.blocks:
            if isinstance(block, _NumericBlock):
                values = np.array(
                    [[np.nan if row[c] is None else row[c] for c in block.columns] for row in rows], dtype=np.float64
                )
                matrix[:, block.start : block.start + len(block.columns)] = block.apply(values)
            else:
                for i, row in enumerate(rows):
                    for column, positions in zip(block.columns, block.positions, strict=True):
                        position = positions.get(row[column])
                        if position is not None:
                            matrix[i, block.start + position] = 1.0
        return matrix

    def predict_proba(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Class probabilities of ``rows`` (shape: rows x classes), as ``Pipeline.predict_proba`` gives them."""
        return self.classify(self.transform(rows))

    def transform_frame(self, frame: pd.DataFrame) -> np.ndarray | None:
        """:meth:`transform` for a DataFrame with exactly the fitted columns, column by column; None for anything
        the pipeline would refuse or treat differently (other columns, infinite or non-numeric numbers, categories
        that are not text), so that the caller lets the pipeline itself answer, or raise its own error."""
        import numpy as np
        import pandas as pd

        if tuple(frame.columns) != self.columns:
            return None
        matrix = np.zeros((len(frame), self.width), dtype=np.float64)
        for block in self.blocks:
            if isinstance(block, _NumericBlock):
                try:
                    values = np.array(
                        frame[list(block.columns)].to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64
                    )
                except (TypeError, ValueError):
                    return None
                if np.isinf(values).any():
                    return None
                matrix[:, block.start : block.start + len(block.columns)] = block.apply(values)
                continue
            for column, positions in zip(block.columns, block.positions, strict=True):
                series = frame[column]
                if not pd.api.types.is_string_dtype(series.dtype) or (
                    series.dtype == object and not all(isinstance(v, str) for v in series.dropna())
                ):
                    return None
                found = np.array([positions.get(value, -1) for value in series.to_numpy(dtype=object)], dtype=np.intp)
                known = np.flatnonzero(found >= 0)
                matrix[known, block.start + found[known]] = 1.0
        return matrix


def predict_proba(model: Any, frame: pd.DataFrame) -> np.ndarray:
    """``model.predict_proba(frame)``, the same numbers; for a fitted ``build_model`` pipeline (or one behind
    plain function steps, as the maturity simulation's pipelines) without scikit-learn's per-call overhead, which
    is most of the time of a prediction on a few thousand rows."""
    from sklearn.pipeline import Pipeline

    steps = model.steps if isinstance(model, Pipeline) else []
    functions = []
    while len(steps) == 2 and _plain_function(steps[0][1]) and isinstance(steps[1][1], Pipeline):
        functions.append(steps[0][1])
        steps = steps[1][1].steps
    scorer = _scorer(steps[0][1], steps[1][1]) if len(steps) == 2 else None
    if scorer is not None:
        features = frame
        try:
            for step in functions:
                features = step.func(features, **(step.kw_args or {}))
        except Exception:  # the pipeline's own call raises it, with the same traceback a learner would see
            features = None
        matrix = scorer.transform_frame(features) if isinstance(features, type(frame)) else None
        if matrix is not None:
            return scorer.classify(matrix)
    return model.predict_proba(frame)


def _plain_function(step: Any) -> bool:
    """A ``FunctionTransformer`` that only calls its function on the frame (no input validation)."""
    from sklearn.preprocessing import FunctionTransformer

    return isinstance(step, FunctionTransformer) and step.func is not None and not step.validate


def row_scorer(model: Any) -> RowScorer | None:
    """A :class:`RowScorer` for a fitted ``build_model`` pipeline (imputer and scaler, one-hot encoder, then a
    classifier); None for any other model or configuration."""
    from sklearn.pipeline import Pipeline

    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        return None
    return _scorer(model.steps[0][1], model.steps[1][1])


def _scorer(preprocess: Any, classifier: Any) -> RowScorer | None:
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    if not isinstance(preprocess, ColumnTransformer) or preprocess.remainder != "drop":
        return None
    # A classifier that knows feature names was fitted on DataFrames: the preprocessing was asked for pandas
    # output (set_output), not the plain array this scorer builds.
    if getattr(preprocess, "sparse_output_", True) is not False or hasattr(classifier, "feature_names_in_"):
        return None
    blocks: list[_NumericBlock | _OneHotBlock] = []
    width = 0
    for name, transformer, columns in preprocess.transformers_:
        if name == "remainder" and transformer == "drop":
            continue
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            return None
        start = preprocess.output_indices_[name].start
        if isinstance(transformer, OneHotEncoder):
            block: _NumericBlock | _OneHotBlock | None = _one_hot_block(transformer, tuple(columns), start)
        else:
            block = _numeric_block(transformer, tuple(columns), start)
        if block is None:
            return None
        blocks.append(block)
        width = max(width, preprocess.output_indices_[name].stop)
    classify = _classifier(classifier)
    if classify is None:
        return None
    columns = tuple(getattr(preprocess, "feature_names_in_", ()))
    return RowScorer(width=width, blocks=tuple(blocks), classify=classify, columns=columns)


def _numeric_block(transformer: Any, columns: tuple[str, ...], start: int) -> _NumericBlock | None:
    import numpy as np
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    steps = [step for _, step in transformer.steps] if isinstance(transformer, Pipeline) else [transformer]
    recipe: list[tuple[Any, ...]] = []
    for step in steps:
        if isinstance(step, SimpleImputer):
            statistics = np.asarray(step.statistics_, dtype=np.float64)
            missing = step.missing_values
            if step.add_indicator or not (isinstance(missing, float) and np.isnan(missing)):
                return None
            if np.isnan(statistics).any():  # a column without any value in training: the imputer drops it
                return None
            recipe.append(("fill", statistics))
        elif isinstance(step, StandardScaler):
            recipe.append(("scale", step.mean_ if step.with_mean else None, step.scale_ if step.with_std else None))
        else:
            return None
    return _NumericBlock(columns=columns, start=start, steps=tuple(recipe))


def _one_hot_block(encoder: Any, columns: tuple[str, ...], start: int) -> _OneHotBlock | None:
    grouped = encoder.min_frequency is not None or encoder.max_categories is not None  # "infrequent" columns
    if encoder.drop is not None or encoder.handle_unknown != "ignore" or grouped:
        return None
    positions: list[dict[Any, int]] = []
    offset = 0
    for categories in encoder.categories_:
        if not all(isinstance(value, str) for value in categories.tolist()):
            return None
        positions.append({value: offset + i for i, value in enumerate(categories.tolist())})
        offset += len(categories)
    return _OneHotBlock(columns=columns, start=start, positions=tuple(positions))


def _classifier(classifier: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """How the pipeline's classifier scores the preprocessed matrix: a forest tree by tree, as its own
    ``predict_proba`` does (without joblib around each tree), any other classifier through ``predict_proba``."""
    from sklearn.ensemble import RandomForestClassifier

    if not hasattr(classifier, "predict_proba"):
        return None
    if isinstance(classifier, RandomForestClassifier) and classifier.n_outputs_ == 1:
        return lambda matrix: _forest_proba(classifier, matrix)
    return classifier.predict_proba


def _forest_proba(forest: Any, matrix: np.ndarray) -> np.ndarray:
    """``RandomForestClassifier.predict_proba``'s own steps: float32 input, each tree's probabilities added
    to a zero array in the order of ``estimators_``, then divided by the number of trees."""
    import numpy as np

    features = np.ascontiguousarray(matrix, dtype=np.float32)
    total = np.zeros((features.shape[0], forest.n_classes_), dtype=np.float64)
    for tree in forest.estimators_:
        total += tree.predict_proba(features, check_input=False)
    total /= len(forest.estimators_)
    return total
