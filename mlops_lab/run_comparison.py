"""Comparing runs and choosing one: the business cost of each run's decisions, the best run by a metric
or a cost, each user's runs, and a plot of runs.

Everything here reads a table of runs as :func:`mlops_lab.tracking.compare_runs` returns it (one row per
run name; metrics such as ``roc_auc`` and the counts ``missed_churners``, ``false_alarms`` and ``test_rows``
as columns), so a choice never needs the store, and the answer to "best for whom?" follows from the
logged counts for any prices. :mod:`mlops_lab.tracking` offers every function of this module under its
own name too (``tracking.best_by_cost``), since notebooks meet them next to the runs they compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlops_lab.i18n import translate

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


def business_costs(table: pd.DataFrame, *, missed_churner_cost: float, false_alarm_cost: float) -> pd.Series:
    """Average cost per customer of each run's decisions, from its logged counts."""
    needed = {"missed_churners", "false_alarms", "test_rows"} - set(table.columns)
    if needed:
        raise ValueError(f"the runs have no {sorted(needed)} metrics; log them with outcome_metrics()")
    from mlops_lab.training import cost_per_customer

    cost = cost_per_customer(
        table["missed_churners"],
        table["false_alarms"],
        table["test_rows"],
        missed_churner_cost=missed_churner_cost,
        false_alarm_cost=false_alarm_cost,
    )
    return cost.round(4).rename("cost")


@dataclass(frozen=True)
class Choice:
    """The run a criterion picks, and its score.

    ``criterion`` is the metric, or ``"cost"`` for :func:`best_by_cost`, whose prices are kept
    in ``missed_churner_cost`` and ``false_alarm_cost``.
    """

    run: str
    criterion: str
    value: float
    missed_churner_cost: float | None = None
    false_alarm_cost: float | None = None
    language: str = field(default="en", repr=False, compare=False)

    def __repr__(self) -> str:
        if self.missed_churner_cost is None or self.false_alarm_cost is None:
            return translate(
                "Best by {metric}: {run} ({value:.4f})",
                language=self.language,
                metric=self.criterion,
                run=self.run,
                value=self.value,
            )
        return translate(
            "Best by cost (missed churner {missed:g}, false alarm {alarm:g}): {run} ({value:.4f})",
            language=self.language,
            missed=self.missed_churner_cost,
            alarm=self.false_alarm_cost,
            run=self.run,
            value=self.value,
        )


def best_run(table: pd.DataFrame, *, metric: str, higher_is_better: bool = True, language: str = "en") -> Choice:
    """The run with the best value of ``metric`` (ties go to the earliest run), shown in ``language``."""
    if metric not in table.columns:
        raise ValueError(f"no metric {metric!r} in the table; it has {list(table.columns)}")
    values = table[metric].astype(float)
    name = values.idxmax() if higher_is_better else values.idxmin()
    return Choice(run=str(name), criterion=metric, value=float(values[name]), language=language)


def best_by_cost(
    table: pd.DataFrame, *, missed_churner_cost: float, false_alarm_cost: float, language: str = "en"
) -> Choice:
    """The run whose decisions cost least per customer at these prices, shown in ``language``."""
    costs = business_costs(table, missed_churner_cost=missed_churner_cost, false_alarm_cost=false_alarm_cost)
    name = costs.idxmin()
    return Choice(
        run=str(name),
        criterion="cost",
        value=float(costs[name]),
        missed_churner_cost=missed_churner_cost,
        false_alarm_cost=false_alarm_cost,
        language=language,
    )


def runs_by_user(table: pd.DataFrame, *, language: str = "en") -> pd.DataFrame:
    """Who ran what: each user's number of runs and best ROC AUC, from a :func:`compare_runs` table."""
    by_user = table.groupby("user").agg(runs=("kind", "size"), best_auc=("roc_auc", "max"))
    by_user.index.name = translate("user", language=language)
    return by_user.rename(
        columns={"runs": translate("runs", language=language), "best_auc": translate("best_auc", language=language)}
    )


def plot_runs(
    table: pd.DataFrame,
    *,
    x: str,
    y: str,
    group: str | None = None,
    title: str | None = None,
    language: str = "en",
) -> Figure:
    """A scatter plot of runs: parameter or metric ``x`` against ``y``, one colour per ``group`` value.

    The axes and the legend name the table's columns, as code does; the default title is in ``language``.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    groups = table.groupby(group, sort=True) if group else [(None, table)]
    for label, rows in groups:
        ax.scatter(rows[x].astype(float), rows[y].astype(float), label=label, alpha=0.8)
    if group:
        ax.legend(title=group, fontsize="small")
    default = translate("{y} by {x}, one point per run", language=language, x=x, y=y)
    ax.set(xlabel=x, ylabel=y, title=title or default)
    fig.tight_layout()
    return fig
