"""Explainable AI: which features drive a model's predictions.

Vertex AI Explainable AI attributes each prediction to the input features (sampled
Shapley for tabular models, integrated gradients or XRAI for differentiable and image
models). Here, :func:`feature_attributions` measures the same idea globally with
scikit-learn's permutation importance: shuffle one input column, and the drop in ROC AUC
is how much the model relied on it. Both work on the model's *input* features (before
one-hot encoding), so the two rankings are directly comparable.

For the workbook's own models (row-wise preprocessing, then a classifier) the shuffling runs on
the preprocessed matrix: shuffling an input column is shuffling the block of columns it
becomes, so the inputs are transformed once instead of once per shuffle. The shuffles and
scores are scikit-learn's own (same random sequence, same scorer), so the numbers are
exactly those of :func:`sklearn.inspection.permutation_importance`; any other model goes
through that function itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlops_lab.data import FEATURES, TARGET
from mlops_lab.i18n import translate

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure
    from sklearn.pipeline import Pipeline


@dataclass(frozen=True)
class Attributions:
    """Mean and spread of the score drop when each feature is shuffled, most important first."""

    table: pd.DataFrame
    scoring: str
    language: str = field(default="en", repr=False, compare=False)

    def __repr__(self) -> str:
        lines = [
            translate(
                "Feature attributions (drop in {scoring} when the feature is shuffled)",
                language=self.language,
                scoring=self.scoring,
            )
        ]
        for feature, row in self.table.iterrows():
            lines.append(f"  {feature:<16}{row['importance']:>8.4f} ± {row['spread']:.4f}")
        return "\n".join(lines)

    def plot(self, *, title: str | None = None) -> Figure:
        import matplotlib.pyplot as plt

        ordered = self.table.iloc[::-1]
        fig, ax = plt.subplots(figsize=(7, 3))
        ax.barh(ordered.index, ordered["importance"], xerr=ordered["spread"], color="tab:blue")
        ax.set(
            title=translate("Feature attributions", language=self.language) if title is None else title,
            xlabel=translate("drop in {scoring} when shuffled", language=self.language, scoring=self.scoring),
        )
        fig.tight_layout()
        return fig


def feature_attributions(
    model: Pipeline,
    frame: pd.DataFrame,
    *,
    n_repeats: int = 5,
    seed: int = 0,
    scoring: str = "roc_auc",
    language: str = "en",
) -> Attributions:
    """Permutation importance of every input feature of ``model`` on labelled data ``frame``.

    ``language``: the language the attributions are shown in (the numbers are the same in every language).
    """
    import numpy as np
    import pandas as pd

    X, y = frame[list(FEATURES)], frame[TARGET]
    blocks = _feature_blocks(model, list(FEATURES))
    drops = (
        None
        if blocks is None
        else _permutation_drops(model, X, y, blocks, n_repeats=n_repeats, seed=seed, scoring=scoring)
    )
    if drops is None:
        from sklearn.inspection import permutation_importance

        result = permutation_importance(model, X, y, scoring=scoring, n_repeats=n_repeats, random_state=seed, n_jobs=1)
        mean, std = result.importances_mean, result.importances_std
    else:
        mean, std = np.mean(drops, axis=1), np.std(drops, axis=1)
    table = pd.DataFrame(
        {"importance": mean.round(4), "spread": std.round(4)},
        index=pd.Index(list(FEATURES), name="feature"),
    ).sort_values("importance", ascending=False, kind="stable")
    return Attributions(table=table, scoring=scoring, language=language)


def _feature_blocks(model: Pipeline, features: list[str]) -> list[list[int]] | None:
    """The preprocessed columns each input feature becomes, for a ``build_model`` pipeline
    (imputer and scaler, one-hot encoder: each row transformed on its own); None for any other model."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        return None
    preprocess = model.steps[0][1]
    if not isinstance(preprocess, ColumnTransformer) or preprocess.remainder != "drop":
        return None
    blocks: dict[str, list[int]] = {}
    for name, transformer, columns in preprocess.transformers_:
        if name == "remainder" and transformer == "drop":
            continue
        start = preprocess.output_indices_[name].start
        steps = transformer.steps if isinstance(transformer, Pipeline) else [(None, transformer)]
        if all(isinstance(step, SimpleImputer | StandardScaler) for _, step in steps):
            widths = [1] * len(columns)
            if any(getattr(step, "add_indicator", False) for _, step in steps):
                return None
        elif len(steps) == 1 and isinstance(transformer, OneHotEncoder) and transformer.drop is None:
            widths = [len(categories) for categories in transformer.categories_]
        else:
            return None
        for column, width in zip(columns, widths, strict=True):
            blocks[column] = list(range(start, start + width))
            start += width
    if sorted(blocks) != sorted(features):
        return None
    return [blocks[feature] for feature in features]


def _permutation_drops(
    model: Pipeline, X: pd.DataFrame, y: pd.Series, blocks: list[list[int]], *, n_repeats: int, seed: int, scoring: str
):
    """Baseline score minus the score with each feature's block shuffled, ``n_repeats`` times per feature
    (None if the preprocessing does not give a plain array, e.g. under ``set_output(transform="pandas")``).

    The same steps as scikit-learn's ``permutation_importance``: one seed drawn from ``seed``, a fresh
    ``RandomState`` from it per feature, and each repeat shuffles the already shuffled column again.
    """
    import numpy as np
    from scipy import sparse
    from sklearn.metrics import get_scorer
    from sklearn.utils import check_random_state

    preprocess, classifier = model.steps[0][1], model.steps[1][1]
    transformed = preprocess.transform(X)
    if sparse.issparse(transformed):
        transformed = transformed.toarray()
    if not isinstance(transformed, np.ndarray):
        return None
    scorer = get_scorer(scoring)
    feature_seed = check_random_state(seed).randint(np.iinfo(np.int32).max + 1)
    baseline = scorer(classifier, transformed, y)
    drops = np.empty((len(blocks), n_repeats))
    for feature, block in enumerate(blocks):
        random_state = check_random_state(feature_seed)
        permuted = transformed.copy()
        order = np.arange(permuted.shape[0])
        for repeat in range(n_repeats):
            random_state.shuffle(order)
            permuted[:, block] = permuted[np.ix_(order, block)]
            drops[feature, repeat] = baseline - scorer(classifier, permuted, y)
    return drops
