"""Feature store: point-in-time correct feature retrieval, the offline half of Vertex AI Feature Store.

A feature store keeps every value a feature has taken, each with the time it became
known. A training example asks "what did we know about this customer at the moment we
made the prediction?", and only a **point-in-time join** answers it: for every label row,
the latest feature row whose timestamp is not after the label's timestamp. Joining the
*latest* values instead lets information from after the prediction leak into training:
the model looks excellent offline and disappoints in production.

:func:`point_in_time_join` is that join on pandas (``merge_asof``);
:func:`latest_values_join` is the naive join, kept to show the leak;
:func:`make_feature_history` turns the churn snapshots into a feature history in which
churners call support and stop using the service *after* the snapshot, which is exactly
the kind of late information that leaks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from mlops_lab.data import FEATURES, ID_COLUMN, TARGET, TIME_COLUMN
from mlops_lab.i18n import translate

if TYPE_CHECKING:
    import pandas as pd


FEATURE_TIME = "feature_time"
PREDICTION_TIME = "prediction_time"
_ROW = "__row__"


def point_in_time_join(
    labels: pd.DataFrame,
    features: pd.DataFrame,
    *,
    entity: str = ID_COLUMN,
    label_time: str = PREDICTION_TIME,
    feature_time: str = FEATURE_TIME,
    max_age: str | pd.Timedelta | None = None,
) -> pd.DataFrame:
    """Attach to each label row the latest feature values known at its ``label_time``.

    A feature row counts when ``feature_time <= label_time`` for the same ``entity``; with
    ``max_age`` (e.g. ``"45D"``) older rows count as unknown, as a feature store's TTL
    would have it. Rows with nothing known get missing values. The result keeps the
    labels' order and index and adds ``feature_time`` (when the values were recorded).
    """
    import pandas as pd

    for frame, name, columns in (
        (labels, "labels", (entity, label_time)),
        (features, "features", (entity, feature_time)),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} lack column(s) {missing}")
    overlap = sorted((set(labels.columns) & set(features.columns)) - {entity})
    if overlap:
        raise ValueError(f"labels and features share column(s) {overlap}; drop or rename them before joining")
    left = labels.assign(**{_ROW: range(len(labels))}).sort_values(label_time, kind="stable")
    right = features.sort_values(feature_time, kind="stable")
    joined = pd.merge_asof(
        left,
        right,
        left_on=label_time,
        right_on=feature_time,
        by=entity,
        direction="backward",
        allow_exact_matches=True,
        tolerance=pd.Timedelta(max_age) if max_age is not None else None,
    )
    joined = joined.sort_values(_ROW).drop(columns=_ROW)
    joined.index = labels.index
    return joined


def latest_values_join(
    labels: pd.DataFrame, features: pd.DataFrame, *, entity: str = ID_COLUMN, feature_time: str = FEATURE_TIME
) -> pd.DataFrame:
    """The naive join: each label row gets its entity's most recent feature values, whenever they were recorded.

    This is what joining a "current features" table gives, and it leaks the future into training.
    """
    latest = features.sort_values(feature_time, kind="stable").groupby(entity, sort=False).tail(1)
    joined = labels.merge(latest, on=entity, how="left", validate="many_to_one")
    joined.index = labels.index
    return joined


def make_feature_history(
    customers: pd.DataFrame, *, seed: int = 0, update_after_days: int = 20
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split churn snapshots into ``(labels, features)`` as a feature store would hold them.

    ``labels`` has one row per customer: the ``prediction_time`` (the snapshot's month)
    and ``churned``. ``features`` has three rows per customer: the values a month before
    the snapshot, at the snapshot, and ``update_after_days`` later, when churners have
    called support to cancel and stopped using the service.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = len(customers)
    churned = customers[TARGET].to_numpy() == 1
    at = customers[[ID_COLUMN, *FEATURES]].assign(**{FEATURE_TIME: customers[TIME_COLUMN]})
    before = at.assign(
        **{
            FEATURE_TIME: customers[TIME_COLUMN] - pd.DateOffset(months=1),
            "tenure_months": (customers["tenure_months"] - 1).clip(lower=0),
            "support_calls": (customers["support_calls"] - rng.binomial(1, 0.3, n)).clip(lower=0),
        }
    )
    after = at.assign(
        **{
            FEATURE_TIME: customers[TIME_COLUMN] + pd.Timedelta(days=update_after_days),
            "support_calls": customers["support_calls"]
            + np.where(churned, 1 + rng.poisson(2.0, n), rng.poisson(0.2, n)),
            "data_usage_gb": (customers["data_usage_gb"] * np.where(churned, 0.2, 1.0)).round(1),
        }
    )
    features = pd.concat([before, at, after], ignore_index=True).sort_values([FEATURE_TIME, ID_COLUMN], kind="stable")
    features = features[[ID_COLUMN, FEATURE_TIME, *FEATURES]].reset_index(drop=True)
    labels = pd.DataFrame(
        {
            ID_COLUMN: customers[ID_COLUMN].to_numpy(),
            PREDICTION_TIME: customers[TIME_COLUMN].to_numpy(),
            TARGET: customers[TARGET].to_numpy(),
        }
    )
    return labels, features


def leakage_report(
    labels: pd.DataFrame,
    features: pd.DataFrame,
    *,
    train_ids: Iterable[str],
    test_ids: Iterable[str],
    seed: int = 0,
    language: str = "en",
) -> pd.DataFrame:
    """Train the same model on each join and compare what offline evaluation promises with what serving delivers.

    "offline" evaluates on test rows built with the same join as the training rows;
    "at serving time" evaluates on the values known when predictions are made (the
    point-in-time rows), which is all an online model ever sees. ``language``: of the table's labels.
    """
    import pandas as pd

    from mlops_lab.training import evaluate_model, train_model

    train_labels = labels[labels[ID_COLUMN].isin(set(train_ids))]
    test_labels = labels[labels[ID_COLUMN].isin(set(test_ids))]
    served = point_in_time_join(test_labels, features)
    rows = {}
    joins = (
        (translate("latest values (naive)", language=language), latest_values_join),
        (translate("point-in-time", language=language), point_in_time_join),
    )
    offline_auc = translate("offline ROC AUC", language=language)
    serving_auc = translate("ROC AUC at serving time", language=language)
    for name, join in joins:
        model = train_model(join(train_labels, features), seed=seed)
        at_serving = evaluate_model(model, served).roc_auc
        # The point-in-time test rows are the served rows: score them once.
        offline = (
            at_serving if join is point_in_time_join else evaluate_model(model, join(test_labels, features)).roc_auc
        )
        rows[name] = {offline_auc: offline, serving_auc: at_serving}
    return pd.DataFrame(rows).T.rename_axis(translate("training rows joined with", language=language))
