"""Explainable AI: which features drive a model's predictions.

Vertex AI Explainable AI attributes each prediction to the input features (sampled
Shapley for tabular models, integrated gradients or XRAI for differentiable and image
models). Here, :func:`feature_attributions` measures the same idea globally with
scikit-learn's permutation importance: shuffle one input column, and the drop in ROC AUC
is how much the model relied on it. Both work on the model's *input* features (before
one-hot encoding), so the two rankings are directly comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlops_lab.data import FEATURES, TARGET

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure
    from sklearn.pipeline import Pipeline


@dataclass(frozen=True)
class Attributions:
    """Mean and spread of the score drop when each feature is shuffled, most important first."""

    table: pd.DataFrame
    scoring: str

    def __repr__(self) -> str:
        lines = [f"Feature attributions (drop in {self.scoring} when the feature is shuffled)"]
        for feature, row in self.table.iterrows():
            lines.append(f"  {feature:<16}{row['importance']:>8.4f} ± {row['spread']:.4f}")
        return "\n".join(lines)

    def plot(self, *, title: str = "Feature attributions") -> Figure:
        import matplotlib.pyplot as plt

        ordered = self.table.iloc[::-1]
        fig, ax = plt.subplots(figsize=(7, 3))
        ax.barh(ordered.index, ordered["importance"], xerr=ordered["spread"], color="tab:blue")
        ax.set(title=title, xlabel=f"drop in {self.scoring} when shuffled")
        fig.tight_layout()
        return fig


def feature_attributions(
    model: Pipeline, frame: pd.DataFrame, *, n_repeats: int = 5, seed: int = 0, scoring: str = "roc_auc"
) -> Attributions:
    """Permutation importance of every input feature of ``model`` on labelled data ``frame``."""
    import pandas as pd
    from sklearn.inspection import permutation_importance

    result = permutation_importance(
        model, frame[list(FEATURES)], frame[TARGET], scoring=scoring, n_repeats=n_repeats, random_state=seed, n_jobs=1
    )
    table = pd.DataFrame(
        {"importance": result.importances_mean.round(4), "spread": result.importances_std.round(4)},
        index=pd.Index(list(FEATURES), name="feature"),
    ).sort_values("importance", ascending=False, kind="stable")
    return Attributions(table=table, scoring=scoring)
