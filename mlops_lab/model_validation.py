"""Model validation: the promotion gate an ML pipeline adds to software CI on the model that comes out of it.

:func:`validate_model` is the gate -> :class:`GateDecision`: the candidate must beat the
current model and a baseline on the whole evaluation set, and must not be worse than the
current model by more than ``tolerance`` on any data slice. A slice spec is a plain mapping:
``{"column": "region"}`` (every value of the column) or ``{"column": "region", "value":
"west"}``. :func:`fit_baseline` gives the baseline (each segment's training churn rate);
:func:`slice_table` compares models slice by slice. :func:`drop_cancellations` plants the
fault that only the gate can see (labels lost for one segment).

Typical use::

    gate = validate_model(candidate, data=fresh, current=serving, baseline=fit_baseline(train),
                          slices=[{"column": "region"}])
    if gate.promote: serving = candidate

The gate's decision and :func:`slice_table` take ``language`` ("en" or "es") for the words they
show; ``promote``, ``blocked_by`` and the reasons stay English, so code tests them alike in every language.

numpy and scikit-learn are imported inside the functions that use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_lab.checks import CheckResult, Phrase, Table, joined, pass_fail, render
from mlops_lab.data import CATEGORICAL_FEATURES, FEATURES, TARGET
from mlops_lab.errors import LearnerInputError
from mlops_lab.i18n import translatable

if TYPE_CHECKING:
    import pandas as pd


METRICS: tuple[str, ...] = ("accuracy", "roc_auc", "precision", "recall", "f1")
_SLICE_KEYS = {"column", "value"}


# ----------------------------------------------------------------------------- model validation


class SegmentRateBaseline:
    """A one-line business rule as a model: a customer's churn probability is the churn rate of their segment.

    It has ``predict_proba`` like a scikit-learn classifier, so it is evaluated the same way.
    """

    def __init__(self, rates: Mapping[str, float], *, column: str, prior: float) -> None:
        self.rates = dict(rates)
        self.column = column
        self.prior = prior

    def predict_proba(self, features: pd.DataFrame) -> Any:
        import numpy as np

        p = features[self.column].map(self.rates).astype(float).fillna(self.prior).to_numpy()
        return np.column_stack([1.0 - p, p])

    def __repr__(self) -> str:
        rates = ", ".join(f"{k}: {v:.3f}" for k, v in sorted(self.rates.items()))
        return f"SegmentRateBaseline(column={self.column!r}, rates={{{rates}}})"


def fit_baseline(train: pd.DataFrame, *, column: str = "contract") -> SegmentRateBaseline:
    """The baseline a model must beat: the training churn rate of each ``column`` segment."""
    rates = train.groupby(column)[TARGET].mean()
    return SegmentRateBaseline(
        {str(k): round(float(v), 4) for k, v in rates.items()},
        column=column,
        prior=round(float(train[TARGET].mean()), 4),
    )


def drop_cancellations(
    frame: pd.DataFrame, *, column: str, value: str, share: float = 0.3, seed: int = 0
) -> pd.DataFrame:
    """A copy of ``frame`` in which ``share`` of the churners of one segment are recorded as staying.

    This is the kind of upstream bug (a broken join, a lost feed) that schema checks cannot see:
    every value is still valid. Only the model gate's slice check notices its effect.
    """
    import numpy as np

    if column not in frame.columns:
        raise ValueError(f"no column {column!r} in the data")
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be between 0 and 1, got {share}")
    # A stream of its own: default_rng(seed) would repeat make_customers' first draws (the contract) for the same seed.
    rng = np.random.default_rng([seed, 1])
    hit = (frame[column] == value).to_numpy() & (frame[TARGET] == 1).to_numpy() & (rng.random(len(frame)) < share)
    faulty = frame.copy()
    faulty.loc[hit, TARGET] = 0
    return faulty


def parse_slices(slices: Iterable[Any], frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Expand slice specs into (column, value) pairs, in a stable order."""
    pairs: list[tuple[str, str]] = []
    for spec in slices:
        if not isinstance(spec, Mapping) or "column" not in spec:
            raise LearnerInputError(
                translatable("a slice is a dict such as {example}, got {got!r}"),
                example="{'column': 'region', 'value': 'west'}",
                got=spec,
            )
        unknown = sorted(set(spec) - _SLICE_KEYS)
        if unknown:
            raise LearnerInputError(
                translatable("unknown key(s) {unknown} in the slice; use {keys}"),
                unknown=unknown,
                keys=sorted(_SLICE_KEYS),
            )
        column = spec["column"]
        if column not in CATEGORICAL_FEATURES or column not in frame.columns:
            # Slices are segments the business reports on; a numeric or id column would make thousands of them.
            raise LearnerInputError(
                translatable("cannot slice on {column!r}; choose a categorical column: {columns}"),
                column=column,
                columns=list(CATEGORICAL_FEATURES),
            )
        values = sorted(str(v) for v in frame[column].dropna().unique())
        if "value" in spec:
            if str(spec["value"]) not in values:
                raise LearnerInputError(
                    translatable("no rows with {column} = {value!r}; values are {values}"),
                    column=column,
                    value=spec["value"],
                    values=values,
                )
            values = [str(spec["value"])]
        pairs.extend((column, v) for v in values if (column, v) not in pairs)
    return pairs


class _Scorer:
    """Scores models on ``data`` and its slices, predicting each model once (slices reuse the predictions)."""

    def __init__(self, data: pd.DataFrame, metric: str) -> None:
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; choose from {list(METRICS)}")
        self.data = data
        self.metric = metric
        self.truth = data[TARGET].to_numpy()
        self._proba: dict[int, Any] = {}

    def mask(self, column: str, value: str) -> Any:
        return (self.data[column].astype(str) == value).to_numpy()

    def score(self, model: Any, mask: Any = None) -> float:
        """``metric`` at threshold 0.5, equal to :func:`mlops_lab.training.evaluate_model`'s (same rounding).

        Threshold metrics are counted with numpy: a gate scores hundreds of slices, and
        scikit-learn's per-call input validation would dominate the time.
        """
        from mlops_lab.row_scoring import predict_proba

        if id(model) not in self._proba:
            self._proba[id(model)] = predict_proba(model, self.data[list(FEATURES)])[:, 1]
        proba, truth = self._proba[id(model)], self.truth
        if mask is not None:
            proba, truth = proba[mask], truth[mask]
        if self.metric == "roc_auc":
            from sklearn.metrics import roc_auc_score

            value = roc_auc_score(truth, proba) if len(set(truth)) > 1 else float("nan")
            return round(float(value), 4)
        from mlops_lab.training import count_outcomes

        return count_outcomes(truth, proba >= 0.5).ratio(self.metric)


@dataclass(frozen=True)
class GateRow:
    """The gate's comparison on one scope (the whole evaluation set, or one slice)."""

    scope: str
    n_rows: int
    candidate: float
    current: float | None
    baseline: float | None
    passed: bool
    reason: str


@dataclass(frozen=True)
class GateDecision:
    """The model validation gate's verdict: promote the candidate or block it, with the reason per scope.

    Its table and :attr:`verdict` are shown in ``language``.
    """

    name: str
    metric: str
    tolerance: float
    rows: tuple[GateRow, ...]
    language: str = field(default="en", repr=False, compare=False)

    @property
    def promote(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def overall(self) -> GateRow:
        return self.rows[0]

    @property
    def blocked_by(self) -> tuple[str, ...]:
        return tuple(r.scope for r in self.rows if not r.passed)

    @property
    def verdict(self) -> str:
        """``"PROMOTE"`` or ``"BLOCK (<the scopes that blocked it>)"``, in the decision's language."""
        return render(self._verdict(), language=self.language)

    def _verdict(self) -> str:
        if self.promote:
            return translatable("PROMOTE")
        return Phrase(translatable("BLOCK ({scopes})"), scopes=joined(", ", self.blocked_by))

    def table(self) -> Table:
        def num(value: float | None) -> str:
            return "-" if value is None else f"{value:.3f}"

        rows = tuple(
            (r.scope, str(r.n_rows), num(r.candidate), num(r.current), num(r.baseline), pass_fail(r.passed), r.reason)
            for r in self.rows
        )
        return Table(
            Phrase(
                translatable("Model validation of {name!r} on {metric}: {verdict}"),
                name=self.name,
                metric=self.metric,
                verdict=self._verdict(),
            ),
            (
                translatable("scope"),
                translatable("rows"),
                translatable("candidate"),
                translatable("current"),
                translatable("baseline"),
                translatable("result"),
                translatable("reason"),
            ),
            rows,
            Phrase(
                translatable(
                    "Overall the candidate must beat the current model and the baseline; on each slice it may trail "
                    "the current model by at most {tolerance:g}."
                ),
                tolerance=self.tolerance,
            ),
            language=self.language,
        )

    def as_checks(self) -> tuple[CheckResult, ...]:
        """Two rows for a CI report: the overall comparison and the slices."""
        overall = self.overall
        slices = self.rows[1:]
        worse = [
            Phrase("{scope} ({gap:+.3f})", scope=r.scope, gap=r.candidate - r.current) for r in slices if not r.passed
        ]
        stage = translatable("model validation")
        return (
            CheckResult(
                stage, Phrase(translatable("overall {metric}"), metric=self.metric), overall.passed, overall.reason
            ),
            CheckResult(
                stage,
                Phrase(translatable("{n} slices"), n=len(slices)),
                not worse,
                Phrase(translatable("worse than the current model on {slices}"), slices=joined(", ", worse))
                if worse
                else translatable("no slice worse than the current model"),
            ),
        )

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def validate_model(
    candidate: Any,
    *,
    data: pd.DataFrame,
    current: Any | None = None,
    baseline: Any | None = None,
    metric: str = "f1",
    slices: Iterable[Mapping[str, Any]] = (),
    tolerance: float = 0.02,
    name: str = "candidate",
    language: str = "en",
) -> GateDecision:
    """The model validation gate before promotion.

    Overall, ``candidate`` must score strictly higher than ``current`` (if there is one) and at
    least as high as ``baseline`` (if given) on ``data``. On each slice it must not trail
    ``current`` by more than ``tolerance``: a better average can hide a segment the new model
    serves badly. Models need ``predict_proba`` (scikit-learn pipelines, :class:`SegmentRateBaseline`).
    ``language`` is the language the decision is shown in.
    """
    scorer = _Scorer(data, metric)
    pairs = parse_slices(slices, data)
    rows = []
    cand = scorer.score(candidate)
    cur = None if current is None else scorer.score(current)
    base = None if baseline is None else scorer.score(baseline)
    reasons = []
    if cur is not None and not cand > cur:
        reasons.append(Phrase(translatable("not better than the current model ({gap:+.3f})"), gap=cand - cur))
    if base is not None and cand < base:
        reasons.append(Phrase(translatable("worse than the baseline ({gap:+.3f})"), gap=cand - base))
    margins = []
    if cur is not None:
        margins.append(Phrase(translatable("current {gap:+.3f}"), gap=cand - cur))
    if base is not None:
        margins.append(Phrase(translatable("baseline {gap:+.3f}"), gap=cand - base))
    if reasons:
        reason = joined("; ", reasons)
    elif margins:
        reason = Phrase(translatable("beats {margins}"), margins=joined(", ", margins))
    else:
        reason = translatable("nothing to compare with")
    rows.append(GateRow(translatable("overall"), len(data), cand, cur, base, not reasons, reason))
    for column, value in pairs:
        mask = scorer.mask(column, value)
        cand_s = scorer.score(candidate, mask)
        cur_s = None if current is None else scorer.score(current, mask)
        base_s = None if baseline is None else scorer.score(baseline, mask)
        if cur_s is None:
            passed, reason = True, translatable("no current model to compare with")
        elif cand_s < cur_s - tolerance:
            passed, reason = (
                False,
                Phrase(translatable("worse than the current model ({gap:+.3f})"), gap=cand_s - cur_s),
            )
        else:
            passed, reason = True, Phrase(translatable("{gap:+.3f} against the current model"), gap=cand_s - cur_s)
        rows.append(GateRow(f"{column} = {value}", int(mask.sum()), cand_s, cur_s, base_s, passed, reason))
    return GateDecision(name=name, metric=metric, tolerance=tolerance, rows=tuple(rows), language=language)


def slice_table(
    models: Mapping[str, Any],
    data: pd.DataFrame,
    *,
    columns: Sequence[str] = CATEGORICAL_FEATURES,
    metric: str = "f1",
    title: str | None = None,
    language: str = "en",
) -> Table:
    """Each model's ``metric`` overall and on every value of ``columns``: where does a model do worse?

    The table is shown in ``language``; a model's name is translated when it is a word the package
    translates (``"current"``).
    """
    scorer = _Scorer(data, metric)
    pairs = parse_slices([{"column": c} for c in columns], data)
    scopes = [(translatable("overall"), None)] + [(f"{c} = {v}", scorer.mask(c, v)) for c, v in pairs]
    rows = tuple(
        (
            scope,
            str(len(data) if mask is None else int(mask.sum())),
            *(f"{scorer.score(model, mask):.3f}" for model in models.values()),
        )
        for scope, mask in scopes
    )
    title = title or Phrase(translatable("{metric} by slice"), metric=metric)
    return Table(title, (translatable("slice"), translatable("rows"), *models), rows, language=language)
