"""Model training and evaluation: the few lines of "ML code" inside a much larger ML system.

Every notebook trains churn models the same way, so the rest of the workbook can focus
on what surrounds them (tracking, validation, pipelines, monitoring, serving).
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from mlops_lab.data import CATEGORICAL_FEATURES, CATEGORIES, NUMERIC_FEATURES, TARGET

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sklearn.pipeline import Pipeline

Estimator = TypeVar("Estimator")

MODEL_KINDS: tuple[str, ...] = ("logistic_regression", "random_forest", "gradient_boosting")


def build_model(kind: str = "logistic_regression", *, params: dict[str, Any] | None = None, seed: int = 0) -> Pipeline:
    """An unfitted scikit-learn pipeline: feature preprocessing followed by a classifier.

    Preprocessing is part of the model so that training and serving transform features
    with the same code (no training-serving skew).
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    params = dict(params or {})
    if kind == "logistic_regression":
        classifier = LogisticRegression(max_iter=500, random_state=seed, **params)
    elif kind == "random_forest":
        classifier = RandomForestClassifier(random_state=seed, n_jobs=1, **{"n_estimators": 50, **params})
    elif kind == "gradient_boosting":
        classifier = GradientBoostingClassifier(random_state=seed, **params)
    else:
        raise ValueError(f"unknown model kind {kind!r}; choose from {list(MODEL_KINDS)}")
    preprocess = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), list(NUMERIC_FEATURES)),
            (
                "categorical",
                OneHotEncoder(categories=[list(CATEGORIES[c]) for c in CATEGORICAL_FEATURES], handle_unknown="ignore"),
                list(CATEGORICAL_FEATURES),
            ),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])


@functools.cache
def _thread_pools() -> Any:
    """The BLAS and OpenMP thread pools of this process, found once (``threadpoolctl.threadpool_limits`` looks for
    them among every loaded shared library at each call: about 4 ms of CPU). scikit-learn's estimators are imported
    first, so that the pools their libraries bring are among those found."""
    import sklearn.ensemble
    import sklearn.linear_model  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager[Any]:
    """A ``with`` block in which BLAS and OpenMP use one thread.

    The workbook's models are small: a logistic regression on a few thousand rows fits 2-4 times faster on one
    thread than on two threads synchronising for every small matrix product (on a busy 2-core machine, measured).
    """
    return _thread_pools().limit(limits=1)


def fit(model: Estimator, features: Any, target: Any) -> Estimator:
    """Fit a model of :func:`build_model` (the pipeline, or its classifier alone) on one BLAS thread.

    A random forest grows its trees on every core, then gets its own ``n_jobs`` back. Each tree
    is grown from its own seed, drawn before the first one is fitted, so the forest is the same
    with any number of threads (tested); predictions stay on one thread, because threads add the
    trees' probabilities in whatever order they finish, which can change the last bits of a sum.
    On a 2-core machine a 50-tree forest fits in 0.27 s instead of 0.48 s.
    """
    from sklearn.ensemble import RandomForestClassifier

    classifier = model[-1] if hasattr(model, "steps") else model
    forest = isinstance(classifier, RandomForestClassifier)
    own_jobs = classifier.n_jobs if forest else None
    with one_blas_thread():
        if forest:
            classifier.set_params(n_jobs=-1)
        try:
            return model.fit(features, target)
        finally:
            if forest:
                classifier.set_params(n_jobs=own_jobs)


def train_model(
    frame: pd.DataFrame, *, kind: str = "logistic_regression", params: dict[str, Any] | None = None, seed: int = 0
) -> Pipeline:
    """Fit :func:`build_model` on ``frame`` (which must hold the features and the target), with :func:`fit`."""
    model = build_model(kind, params=params, seed=seed)
    return fit(model, frame[list(NUMERIC_FEATURES + CATEGORICAL_FEATURES)], frame[TARGET])


@dataclass(frozen=True)
class Evaluation:
    """Holdout metrics of a churn model, rounded for stable display."""

    accuracy: float
    roc_auc: float
    precision: float
    recall: float
    f1: float
    n_rows: int

    def as_dict(self) -> dict[str, float]:
        return {
            "accuracy": self.accuracy,
            "roc_auc": self.roc_auc,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }

    def __repr__(self) -> str:
        return (
            f"Evaluation(accuracy={self.accuracy:.3f}, roc_auc={self.roc_auc:.3f}, precision={self.precision:.3f}, "
            f"recall={self.recall:.3f}, f1={self.f1:.3f}, n_rows={self.n_rows})"
        )


def evaluate_model(model: Pipeline, frame: pd.DataFrame, *, threshold: float = 0.5) -> Evaluation:
    """Score ``model`` on labelled data ``frame``; ``threshold`` turns probabilities into decisions."""
    from mlops_lab.row_scoring import predict_proba

    features = list(NUMERIC_FEATURES + CATEGORICAL_FEATURES)
    return evaluate_probabilities(
        frame[TARGET].to_numpy(), predict_proba(model, frame[features])[:, 1], threshold=threshold
    )


def evaluate_probabilities(truth: np.ndarray, proba: np.ndarray, *, threshold: float = 0.5) -> Evaluation:
    """:func:`evaluate_model` for churn probabilities already computed (0/1 labels ``truth``).

    The threshold metrics are ratios of the decisions' counts (:meth:`Outcomes.ratio`, scikit-learn's
    formulas with ``zero_division=0``): scikit-learn's own functions would spend ~5 ms validating their
    input, four times per evaluation.
    """
    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score(truth, proba) if len(set(truth)) > 1 else float("nan")
    counted = count_outcomes(truth, proba >= threshold)
    return Evaluation(
        accuracy=counted.ratio("accuracy"),
        roc_auc=round(float(auc), 4),
        precision=counted.ratio("precision"),
        recall=counted.ratio("recall"),
        f1=counted.ratio("f1"),
        n_rows=len(truth),
    )


@dataclass(frozen=True)
class Outcomes:
    """What a model's yes/no decisions did, counted against the truth: the one place outcome metrics live.

    A *missed churner* is a churner the model let go (a false negative); a *false alarm* is a
    retention offer spent on a customer who would have stayed (a false positive). Tracking logs
    these counts, the validation gate scores slices with them, and every business cost follows
    from them.
    """

    true_positives: int
    false_alarms: int
    missed_churners: int
    rows: int

    def ratio(self, metric: str) -> float:
        """``accuracy``, ``precision``, ``recall`` or ``f1``, rounded like :func:`evaluate_model` (an undefined
        ratio counts as 0, as scikit-learn's ``zero_division=0``)."""
        tp, fp, fn = self.true_positives, self.false_alarms, self.missed_churners
        ratios = {
            "accuracy": ((self.rows - fp - fn), self.rows),
            "precision": (tp, tp + fp),
            "recall": (tp, tp + fn),
            "f1": (2 * tp, 2 * tp + fp + fn),
        }
        if metric not in ratios:
            raise ValueError(f"unknown ratio {metric!r}; choose from {list(ratios)}")
        numerator, denominator = ratios[metric]
        return round(numerator / denominator, 4) if denominator else 0.0

    def cost(self, *, missed_churner_cost: float = 100.0, false_alarm_cost: float = 10.0) -> float:
        """Average cost per customer of acting on these decisions (see :func:`cost_per_customer`)."""
        return round(
            cost_per_customer(
                self.missed_churners,
                self.false_alarms,
                self.rows,
                missed_churner_cost=missed_churner_cost,
                false_alarm_cost=false_alarm_cost,
            ),
            4,
        )


def count_outcomes(truth: np.ndarray, predicted: np.ndarray) -> Outcomes:
    """:class:`Outcomes` of boolean (or 0/1) decisions ``predicted`` against 0/1 labels ``truth``."""
    actual = truth == 1
    decided = predicted.astype(bool)
    return Outcomes(
        true_positives=int((decided & actual).sum()),
        false_alarms=int((decided & ~actual).sum()),
        missed_churners=int((~decided & actual).sum()),
        rows=len(truth),
    )


def outcomes(model: Pipeline, frame: pd.DataFrame, *, threshold: float = 0.5) -> Outcomes:
    """:class:`Outcomes` of ``model`` on labelled data ``frame``; ``threshold`` turns probabilities into decisions."""
    from mlops_lab.row_scoring import predict_proba

    features = list(NUMERIC_FEATURES + CATEGORICAL_FEATURES)
    predicted = predict_proba(model, frame[features])[:, 1] >= threshold
    return count_outcomes(frame[TARGET].to_numpy(), predicted)


def cost_per_customer(
    missed_churners: Any, false_alarms: Any, rows: Any, *, missed_churner_cost: float, false_alarm_cost: float
) -> Any:
    """The business cost formula, for counts or for whole columns of them (pandas Series): unrounded.

    A missed churner loses the customer's revenue; a false alarm spends a retention offer
    on someone who would have stayed. Which model is "best" depends on these two prices.
    """
    return (missed_churners * missed_churner_cost + false_alarms * false_alarm_cost) / rows


def business_cost(
    model: Pipeline,
    frame: pd.DataFrame,
    *,
    missed_churner_cost: float = 100.0,
    false_alarm_cost: float = 10.0,
    threshold: float = 0.5,
) -> float:
    """Average cost per customer of acting on the model's decisions (rounded to 4 decimals)."""
    return outcomes(model, frame, threshold=threshold).cost(
        missed_churner_cost=missed_churner_cost, false_alarm_cost=false_alarm_cost
    )
