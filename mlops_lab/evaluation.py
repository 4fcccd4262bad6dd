"""Model evaluation beyond one number: training curves and metrics per data slice.

Vertex AI shows training curves in TensorBoard (and Experiments' time-series metrics)
and stores a model evaluation per model version, optionally per slice of the data. Here:
:func:`training_curve` replays a boosted model stage by stage to get training and
validation loss per iteration, :func:`log_training_curve` records it in MLflow as a
metric history, and :func:`evaluate_slices` scores a model on each value of a column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_lab.data import FEATURES, TARGET
from mlops_lab.i18n import translate

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure
    from sklearn.pipeline import Pipeline


@dataclass(frozen=True)
class TrainingCurve:
    """Loss per boosting iteration on the training and the validation data."""

    history: pd.DataFrame
    language: str = field(default="en", repr=False, compare=False)

    @property
    def best_step(self) -> int:
        """The iteration with the lowest validation loss: training past it only fits noise."""
        return int(self.history["valid_loss"].idxmin())

    def __repr__(self) -> str:
        last = self.history.iloc[-1]
        best = self.history.loc[self.best_step]
        return translate(
            "TrainingCurve({n} iterations: validation loss lowest at iteration {best_step} ({best:.4f}); "
            "at the last one train {train:.4f}, validation {valid:.4f})",
            language=self.language,
            n=len(self.history),
            best_step=self.best_step,
            best=best["valid_loss"],
            train=last["train_loss"],
            valid=last["valid_loss"],
        )

    def plot(self, *, title: str | None = None) -> Figure:
        import matplotlib.pyplot as plt

        language = self.language
        fig, ax = plt.subplots(figsize=(7, 3))
        ax.plot(self.history.index, self.history["train_loss"], label=translate("training loss", language=language))
        ax.plot(self.history.index, self.history["valid_loss"], label=translate("validation loss", language=language))
        lowest = translate("lowest validation loss ({step})", language=language, step=self.best_step)
        ax.axvline(self.best_step, color="grey", linestyle=":", label=lowest)
        ax.set(
            title=translate("Training curve", language=language) if title is None else title,
            xlabel=translate("boosting iteration", language=language),
            ylabel="log loss",
        )
        ax.legend()
        fig.tight_layout()
        return fig


def _log_loss(truth: Any, proba: Any) -> float:
    """scikit-learn's ``log_loss(truth, proba, labels=[0, 1])`` for 0/1 labels, without its input validation.

    The same formula (probabilities clipped to [eps, 1 - eps], mean of -log of the true class's probability);
    ``log_loss`` itself spends about 6 ms validating its inputs, on every one of the curve's two losses per stage.
    """
    import numpy as np

    eps = np.finfo(proba.dtype).eps
    picked = np.clip(proba, eps, 1 - eps)[np.arange(len(truth)), truth]
    return float(np.average(-np.log(picked)))


def training_curve(model: Pipeline, train: pd.DataFrame, valid: pd.DataFrame, *, language: str = "en") -> TrainingCurve:
    """Training and validation log loss after each stage of a fitted boosted pipeline (gradient boosting).

    ``language``: the language the curve is shown in (its losses are the same in every language).
    """
    import pandas as pd

    classifier = model[-1]
    if not hasattr(classifier, "staged_predict_proba"):
        raise ValueError(
            f"{type(classifier).__name__} has no stages; train a gradient_boosting model for a training curve"
        )
    preprocess = model[:-1]
    train_truth, valid_truth = (_labels(frame) for frame in (train, valid))
    rows = []
    stages = zip(
        classifier.staged_predict_proba(preprocess.transform(train[list(FEATURES)])),
        classifier.staged_predict_proba(preprocess.transform(valid[list(FEATURES)])),
        strict=True,
    )
    for step, (train_proba, valid_proba) in enumerate(stages, start=1):
        rows.append(
            {
                "step": step,
                "train_loss": _log_loss(train_truth, train_proba),
                "valid_loss": _log_loss(valid_truth, valid_proba),
            }
        )
    return TrainingCurve(history=pd.DataFrame(rows).set_index("step").round(6), language=language)


def _labels(frame: pd.DataFrame) -> Any:
    truth = frame[TARGET].to_numpy()
    if not set(truth.tolist()) <= {0, 1}:
        raise ValueError(f"{TARGET} must hold 0/1 labels for a training curve")
    return truth.astype(int)


def log_training_curve(curve: TrainingCurve, *, run_name: str, params: dict[str, Any] | None = None) -> str:
    """Log the curve as MLflow metric histories (``train_loss``/``valid_loss`` per step) in a new run; returns its id.

    MLflow's UI draws these as charts, as Vertex AI Experiments does with time-series metrics.
    """
    import time

    import mlflow
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    metrics = [
        Metric(key=key, value=float(value), timestamp=now, step=int(step))
        for step, row in curve.history.iterrows()
        for key, value in row.items()
    ]
    with mlflow.start_run(run_name=run_name) as run:
        if params:
            mlflow.log_params(params)
        mlflow.tracking.MlflowClient().log_batch(run.info.run_id, metrics=metrics)
        mlflow.log_metric("best_step", curve.best_step)
    return run.info.run_id


def evaluate_slices(model: Pipeline, frame: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """Holdout metrics for every value of column ``by`` (plus the whole set): where does the model do worse?"""
    import pandas as pd

    from mlops_lab.training import evaluate_model

    rows = {"(all)": evaluate_model(model, frame)}
    for value, part in frame.groupby(by, sort=True):
        rows[f"{by}={value}"] = evaluate_model(model, part)
    return pd.DataFrame({name: {**e.as_dict(), "rows": e.n_rows} for name, e in rows.items()}).T.astype({"rows": int})
