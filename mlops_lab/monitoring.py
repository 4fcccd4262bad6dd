"""Model monitoring: training-serving skew and prediction drift, measured the way Vertex AI does it.

Vertex AI Model Monitoring (v1, whose default metrics this module copies) compares the distribution
of every input feature in a window of prediction requests with a baseline:

* **skew**: the baseline is the training data (is production fed what the model learned from?);
* **drift**: the baseline is an earlier window of production data (is production changing?).

It runs TensorFlow Data Validation underneath, and so does this module, in a few lines of
numpy: a numeric feature is bucketed into a histogram (10 equal-width buckets over the range
both samples span, plus one bucket for missing values) and compared with the
**Jensen-Shannon divergence**; a categorical feature is compared with the **L-infinity
distance**, the largest difference in the share of any one category. A feature whose distance
reaches its threshold (0.3 unless told otherwise) raises an alert.

Be precise about which Jensen-Shannon number is meant. TFDV (so Vertex AI) reports the
*divergence* with base-2 logarithms, a number between 0 and 1. ``scipy.spatial.distance.jensenshannon``
returns the *distance*, the square root of the divergence, with natural logarithms by default:
``jensen_shannon_divergence(p, q) == jensenshannon(p, q, base=2) ** 2``. The distance is always
larger than the divergence (a divergence of 0.3 is a base-2 distance of 0.55, or 0.46 with
natural logarithms), so a threshold copied from one to the other alerts at a very different
amount of change.

The **population stability index** (PSI) is the common industry alternative, computed on ten
buckets cut at the baseline's deciles; by convention below 0.1 is stable, 0.1 to 0.25 is a
moderate shift and above 0.25 a major one.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_lab.data import CATEGORICAL_FEATURES, FEATURES
from mlops_lab.i18n import translatable, translate

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.axes import Axes

DEFAULT_THRESHOLD = 0.3
DEFAULT_BINS = 10
# Laplace-style floor so that an empty bucket does not make PSI infinite.
PSI_FLOOR = 1e-4
MISSING = "(missing)"
# What a report's kind is called where a learner reads it (the kinds themselves are identifiers).
KIND_NAMES = {"skew": translatable("skew"), "drift": translatable("drift")}
REPORT_HEADINGS = (
    translatable("feature"),
    translatable("metric"),
    translatable("distance"),
    translatable("threshold"),
    translatable("alert"),
    "PSI",
    translatable("largest change"),
)


def _as_distribution(counts: Sequence[float] | np.ndarray) -> np.ndarray:
    import numpy as np

    values = np.asarray(counts, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("a distribution needs a non-empty one-dimensional list of counts")
    if np.any(values < 0) or not np.all(np.isfinite(values)):
        raise ValueError("counts must be finite and non-negative")
    total = values.sum()
    if total <= 0:
        raise ValueError("a distribution needs at least one observation")
    return values / total


def _aligned(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p_dist, q_dist = _as_distribution(p), _as_distribution(q)
    if p_dist.shape != q_dist.shape:
        raise ValueError(f"both distributions need the same buckets, got {p_dist.size} and {q_dist.size}")
    return p_dist, q_dist


def jensen_shannon_divergence(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray) -> float:
    """Jensen-Shannon divergence of two histograms (counts or shares), base 2: 0 = same, 1 = disjoint.

    This is the number Vertex AI Model Monitoring compares with a numeric feature's threshold.
    """
    import numpy as np

    p_dist, q_dist = _aligned(p, q)
    mean = (p_dist + q_dist) / 2

    def kullback_leibler(a: np.ndarray) -> float:
        used = a > 0  # 0 * log 0 counts as 0
        return float(np.sum(a[used] * np.log2(a[used] / mean[used])))

    return min(1.0, max(0.0, (kullback_leibler(p_dist) + kullback_leibler(q_dist)) / 2))


def l_infinity_distance(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray) -> float:
    """Largest absolute difference between the shares of any one bucket or category (0 to 1)."""
    import numpy as np

    p_dist, q_dist = _aligned(p, q)
    return float(np.max(np.abs(p_dist - q_dist)))


def population_stability_index(
    expected: Sequence[float] | np.ndarray, actual: Sequence[float] | np.ndarray, *, floor: float = PSI_FLOOR
) -> float:
    """PSI = sum((actual - expected) * ln(actual / expected)) over buckets; empty buckets count as ``floor``."""
    import numpy as np

    e_dist, a_dist = _aligned(expected, actual)
    e_dist, a_dist = np.maximum(e_dist, floor), np.maximum(a_dist, floor)
    return float(np.sum((a_dist - e_dist) * np.log(a_dist / e_dist)))


def numeric_histograms(
    baseline: Sequence[float] | np.ndarray, current: Sequence[float] | np.ndarray, *, bins: int = DEFAULT_BINS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of both samples in ``bins`` equal-width buckets over their joint range, then a missing-value bucket.

    Returns ``(baseline_counts, current_counts, edges)``; each count array has ``bins + 1`` entries.
    """
    import numpy as np

    base = np.asarray(baseline, dtype=float)
    cur = np.asarray(current, dtype=float)
    present = np.concatenate([base[np.isfinite(base)], cur[np.isfinite(cur)]])
    if present.size == 0:
        edges = np.linspace(0.0, 1.0, bins + 1)
    else:
        low, high = float(present.min()), float(present.max())
        edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)

    def counts(values: np.ndarray) -> np.ndarray:
        finite = values[np.isfinite(values)]
        histogram, _ = np.histogram(finite, bins=edges)
        return np.append(histogram, values.size - finite.size).astype(float)

    return counts(base), counts(cur), edges


def category_counts(baseline: Sequence[Any], current: Sequence[Any]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Counts of every category seen in either sample (sorted; missing values as ``(missing)``)."""
    import numpy as np
    import pandas as pd

    def counted(values: Sequence[Any]) -> dict[str, float]:
        # Counting first and naming the few distinct values after is far cheaper than turning
        # every value into text (a monitoring job compares thousands of rows per feature).
        counts = pd.Series(values, copy=False).value_counts(dropna=False, sort=False)
        found: dict[str, float] = {}
        for value, count in counts.items():
            name = MISSING if pd.isna(value) else str(value)
            found[name] = found.get(name, 0.0) + float(count)
        return found

    base, cur = counted(baseline), counted(current)
    labels = sorted(base.keys() | cur.keys())
    base_counts = np.array([base.get(label, 0.0) for label in labels])
    cur_counts = np.array([cur.get(label, 0.0) for label in labels])
    return labels, base_counts, cur_counts


def _psi_numeric(baseline: np.ndarray, current: np.ndarray, bins: int) -> float:
    import numpy as np

    base = baseline[np.isfinite(baseline)]
    cur = current[np.isfinite(current)]
    if base.size == 0 or cur.size == 0:
        return float("nan")
    cuts = np.unique(np.quantile(base, np.linspace(0, 1, bins + 1)[1:-1]))
    base_counts = np.bincount(np.searchsorted(cuts, base, side="right"), minlength=cuts.size + 1)
    cur_counts = np.bincount(np.searchsorted(cuts, cur, side="right"), minlength=cuts.size + 1)
    return population_stability_index(base_counts, cur_counts)


@dataclass(frozen=True)
class FeatureDrift:
    """How far one feature moved: the Vertex AI metric and its threshold, and PSI beside it."""

    feature: str
    kind: str  # "numeric" or "categorical"
    metric: str  # "jensen_shannon" or "l_infinity"
    distance: float
    threshold: float
    psi: float
    largest_change: str = ""  # the category (or bucket) whose share moved most

    @property
    def alert(self) -> bool:
        return self.distance >= self.threshold

    def __repr__(self) -> str:
        flag = "ALERT" if self.alert else "ok"
        return f"FeatureDrift({self.feature}: {self.metric}={self.distance:.3f} (threshold {self.threshold:.2f}) {flag}, psi={self.psi:.3f})"


@dataclass(frozen=True)
class DriftReport:
    """Every monitored feature's distance to the baseline, like one Vertex AI monitoring job's result."""

    features: tuple[FeatureDrift, ...]
    kind: str  # "skew" (baseline = training data) or "drift" (baseline = earlier serving data)
    baseline_rows: int
    current_rows: int
    language: str = field(default="en", repr=False, compare=False)

    @property
    def alerts(self) -> tuple[str, ...]:
        """Names of the features whose distance reached their threshold."""
        return tuple(f.feature for f in self.features if f.alert)

    @property
    def max_distance(self) -> float:
        return max(f.distance for f in self.features)

    def feature(self, name: str) -> FeatureDrift:
        for f in self.features:
            if f.feature == name:
                return f
        raise KeyError(f"feature {name!r} is not monitored; monitored: {[f.feature for f in self.features]}")

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            {
                "feature": [f.feature for f in self.features],
                "metric": [f.metric for f in self.features],
                "distance": [round(f.distance, 4) for f in self.features],
                "threshold": [f.threshold for f in self.features],
                "alert": [f.alert for f in self.features],
                "psi": [round(f.psi, 4) for f in self.features],
                "largest_change": [f.largest_change for f in self.features],
            }
        )

    def _kind_name(self) -> str:
        return translate(KIND_NAMES.get(self.kind, self.kind), language=self.language)

    def _flag(self, f: FeatureDrift) -> str:
        return translate("ALERT", language=self.language) if f.alert else "ok"

    def summary(self) -> str:
        if not self.alerts:
            return translate(
                "{kind}: no feature reached its threshold ({n} monitored)",
                language=self.language,
                kind=self._kind_name(),
                n=len(self.features),
            )
        return translate(
            "{kind}: ALERT on {features} ({n} of {total} features)",
            language=self.language,
            kind=self._kind_name(),
            features=", ".join(self.alerts),
            n=len(self.alerts),
            total=len(self.features),
        )

    def _headings(self) -> tuple[str, ...]:
        return tuple(translate(h, language=self.language) for h in REPORT_HEADINGS)

    def __repr__(self) -> str:
        head = translate(
            "DriftReport({kind}, baseline {baseline} rows, current {current} rows)",
            language=self.language,
            kind=self._kind_name(),
            baseline=self.baseline_rows,
            current=self.current_rows,
        )
        feature, metric, distance, threshold, alert, _, largest = self._headings()
        lines = [head, f"{feature:<16}{metric:<16}{distance:>9}{threshold:>10}  {alert:<6}{'psi':>7}  {largest}"]
        for f in self.features:
            lines.append(
                f"{f.feature:<16}{f.metric:<16}{f.distance:>9.3f}{f.threshold:>10.2f}  {self._flag(f):<6}"
                f"{f.psi:>7.3f}  {f.largest_change}"
            )
        lines.append(self.summary())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = []
        for f in self.features:
            style = ' style="color:#cf222e;font-weight:bold"' if f.alert else ""
            rows.append(
                f"<tr><td>{html.escape(f.feature)}</td><td>{f.metric}</td><td{style}>{f.distance:.3f}</td>"
                f"<td>{f.threshold:.2f}</td><td{style}>{self._flag(f)}</td><td>{f.psi:.3f}</td>"
                f"<td>{html.escape(f.largest_change)}</td></tr>"
            )
        head = "".join(f"<th>{h}</th>" for h in self._headings())
        rows_line = translate(
            "baseline {baseline} rows, current {current} rows",
            language=self.language,
            baseline=self.baseline_rows,
            current=self.current_rows,
        )
        return (
            f"<p><b>{self._kind_name()}</b>: {rows_line}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"<p>{html.escape(self.summary())}</p>"
        )

    def plot(self, *, ax: Axes | None = None, title: str | None = None) -> Axes:
        """Bar chart of every feature's distance, its threshold marked, alerts in red."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3))
        names = [f.feature for f in self.features]
        colours = ["#cf222e" if f.alert else "#0969da" for f in self.features]
        ax.bar(names, [f.distance for f in self.features], color=colours)
        threshold = translate("threshold", language=self.language)
        ax.scatter(names, [f.threshold for f in self.features], marker="_", s=600, color="black", label=threshold)
        if self.kind == "skew":
            default_title = translate(
                "Training-serving skew: distance of each feature to the baseline", language=self.language
            )
        else:
            default_title = translate("Drift: distance of each feature to the baseline", language=self.language)
        top = max(self.max_distance, *(f.threshold for f in self.features))
        ax.set(
            title=title or default_title,
            xlabel=translate("feature", language=self.language),
            ylabel=translate("distance (JS divergence / L-inf)", language=self.language),
            ylim=(0, top * 1.15),
        )
        ax.tick_params(axis="x", labelrotation=30)
        ax.legend(loc="upper right")
        return ax


def _thresholds_for(features: Sequence[str], thresholds: float | Mapping[str, float]) -> dict[str, float]:
    if isinstance(thresholds, Mapping):
        unknown = sorted(set(thresholds) - set(features))
        if unknown:
            raise ValueError(f"thresholds given for unmonitored feature(s) {unknown}")
        chosen = {f: float(thresholds.get(f, DEFAULT_THRESHOLD)) for f in features}
    else:
        chosen = dict.fromkeys(features, float(thresholds))
    bad = {f: t for f, t in chosen.items() if not (0 < t <= 1) or math.isnan(t)}
    if bad:
        raise ValueError(f"a threshold must be in (0, 1], got {bad}")
    return chosen


def feature_drift(
    feature: str,
    baseline: Sequence[Any],
    current: Sequence[Any],
    *,
    categorical: bool,
    threshold: float = DEFAULT_THRESHOLD,
    bins: int = DEFAULT_BINS,
) -> FeatureDrift:
    """Distance between the baseline and current values of one feature (Vertex AI's metric, plus PSI)."""
    import numpy as np

    if len(baseline) == 0 or len(current) == 0:
        raise ValueError(f"feature {feature!r}: both samples need at least one value")
    if categorical:
        labels, base_counts, cur_counts = category_counts(baseline, current)
        moved = np.abs(base_counts / base_counts.sum() - cur_counts / cur_counts.sum())
        return FeatureDrift(
            feature=feature,
            kind="categorical",
            metric="l_infinity",
            distance=l_infinity_distance(base_counts, cur_counts),
            threshold=threshold,
            psi=population_stability_index(base_counts, cur_counts),
            largest_change=labels[int(np.argmax(moved))],
        )
    base = np.asarray(baseline, dtype=float)
    cur = np.asarray(current, dtype=float)
    base_counts, cur_counts, edges = numeric_histograms(base, cur, bins=bins)
    moved = np.abs(base_counts / base_counts.sum() - cur_counts / cur_counts.sum())
    top = int(np.argmax(moved))
    bucket = MISSING if top == bins else f"[{edges[top]:.4g}, {edges[top + 1]:.4g}]"
    return FeatureDrift(
        feature=feature,
        kind="numeric",
        metric="jensen_shannon",
        distance=jensen_shannon_divergence(base_counts, cur_counts),
        threshold=threshold,
        psi=_psi_numeric(base, cur, bins),
        largest_change=bucket,
    )


def detect_drift(
    baseline: pd.DataFrame,
    current: pd.DataFrame,
    *,
    features: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    thresholds: float | Mapping[str, float] = DEFAULT_THRESHOLD,
    bins: int = DEFAULT_BINS,
    kind: str = "drift",
    language: str = "en",
) -> DriftReport:
    """Compare every monitored feature of ``current`` with ``baseline``.

    ``features`` defaults to the churn features; ``categorical`` names the ones compared with
    the L-infinity distance (default: the churn data's categorical features, and any column of
    text). ``thresholds`` is one number for all features or a mapping per feature (0.3 default).
    ``kind`` only labels the report: ``"skew"`` when the baseline is the training data.
    ``language``: the language the report is shown in (its numbers are the same in every language).
    """
    if kind not in ("skew", "drift"):
        raise ValueError(f"kind must be 'skew' or 'drift', got {kind!r}")
    monitored = list(features) if features is not None else [f for f in FEATURES if f in baseline.columns]
    missing = {
        name: [c for c in monitored if c not in frame.columns]
        for name, frame in (("baseline", baseline), ("current", current))
    }
    missing = {name: cols for name, cols in missing.items() if cols}
    if missing:
        details = "; ".join(f"{name} lacks {cols}" for name, cols in missing.items())
        raise ValueError(f"cannot monitor missing column(s): {details} (a schema problem: validate the data first)")
    if not monitored:
        raise ValueError("no feature to monitor")
    limits = _thresholds_for(monitored, thresholds)
    declared = set(CATEGORICAL_FEATURES if categorical is None else categorical)
    results = []
    for name in monitored:
        is_text = baseline[name].dtype == object or str(baseline[name].dtype) in ("string", "str", "category")
        results.append(
            feature_drift(
                name,
                baseline[name].to_numpy(),
                current[name].to_numpy(),
                categorical=name in declared or is_text,
                threshold=limits[name],
                bins=bins,
            )
        )
    return DriftReport(
        features=tuple(results),
        kind=kind,
        baseline_rows=len(baseline),
        current_rows=len(current),
        language=language,
    )


def detect_skew(training: pd.DataFrame, serving: pd.DataFrame, **options: Any) -> DriftReport:
    """Training-serving skew: :func:`detect_drift` with the training data as the baseline."""
    return detect_drift(training, serving, kind="skew", **options)


def detect_prediction_drift(
    baseline_scores: Sequence[float],
    current_scores: Sequence[float],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    bins: int = DEFAULT_BINS,
) -> FeatureDrift:
    """Drift of the model's output (predicted churn probabilities): a numeric feature named ``prediction``."""
    return feature_drift(
        "prediction", baseline_scores, current_scores, categorical=False, threshold=threshold, bins=bins
    )


@dataclass(frozen=True)
class DriftTimeline:
    """One :class:`DriftReport` per period (e.g. per month), all against the same baseline."""

    periods: tuple[str, ...]
    reports: tuple[DriftReport, ...]
    language: str = field(default="en", repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """Periods as rows, features as columns, the distance in each cell."""
        import pandas as pd

        return pd.DataFrame(
            [[round(f.distance, 4) for f in r.features] for r in self.reports],
            index=pd.Index(self.periods, name="period"),
            columns=[f.feature for f in self.reports[0].features],
        )

    def first_alert(self) -> tuple[str, tuple[str, ...]] | None:
        """The first period with an alert, and the features that raised it."""
        for period, report in zip(self.periods, self.reports, strict=True):
            if report.alerts:
                return period, report.alerts
        return None

    def __repr__(self) -> str:
        frame = self.to_frame().rename_axis(translate("period", language=self.language))
        first = self.first_alert()
        if first:
            tail = translate(
                "first alert: {period} on {features}",
                language=self.language,
                period=first[0],
                features=", ".join(first[1]),
            )
        else:
            tail = translate("no alert", language=self.language)
        head = translate("DriftTimeline({n} periods; {tail})", language=self.language, n=len(self.periods), tail=tail)
        return f"{head}\n{frame.to_string(float_format=lambda v: f'{v:.3f}')}"

    def plot(self, *, ax: Axes | None = None, title: str | None = None, language: str | None = None) -> Axes:
        """Each feature's distance over time, against its threshold (dashed).

        ``language``: of the labels (default: the timeline's own).
        """
        import matplotlib.pyplot as plt

        language = self.language if language is None else language
        if title is None:
            title = translate("Monitoring: distance of each feature to the training data", language=language)

        if ax is None:
            _, ax = plt.subplots(figsize=(9, 3.5))
        frame = self.to_frame()
        x = range(len(self.periods))
        for column in frame.columns:
            metric = self.reports[0].feature(column).metric
            style = "-" if metric == "jensen_shannon" else "--"
            ax.plot(
                x,
                frame[column].to_numpy(),
                style,
                marker="o",
                markersize=3,
                label=f"{column} ({'JS' if style == '-' else 'L-inf'})",
            )
        thresholds = sorted({f.threshold for f in self.reports[0].features})
        for t in thresholds:
            label = translate("threshold {threshold:g}", language=language, threshold=t)
            ax.axhline(t, color="#cf222e", linestyle=":", linewidth=1.5, label=label)
        ax.set(
            title=title,
            xlabel=translate("month", language=language),
            ylabel=translate("distance (0 = same distribution)", language=language),
        )
        ax.set_xticks(list(x), self.periods, rotation=45, ha="right")
        ax.legend(loc="upper left", fontsize="small", ncol=2)
        return ax


def drift_over_time(
    baseline: pd.DataFrame,
    batches: Mapping[str, pd.DataFrame] | Sequence[tuple[str, pd.DataFrame]],
    *,
    language: str = "en",
    **options: Any,
) -> DriftTimeline:
    """:func:`detect_drift` of every batch (e.g. ``data.monthly_batches(frame)``) against one baseline."""
    items = list(batches.items()) if isinstance(batches, Mapping) else list(batches)
    if not items:
        raise ValueError("no batch to monitor")
    reports = tuple(detect_drift(baseline, batch, language=language, **options) for _, batch in items)
    return DriftTimeline(periods=tuple(str(period) for period, _ in items), reports=reports, language=language)
