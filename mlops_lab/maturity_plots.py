"""The maturity levels compared: one table, a quality chart with the world's events marked, and each level's journal.

:func:`compare_levels` operates levels 0, 1 and 2 (:mod:`mlops_lab.maturity_levels`) on one
world (:mod:`mlops_lab.maturity`) and returns a :class:`Comparison`; :func:`plot_monitoring`
draws what a level-1 monitor sees month by month. matplotlib and pandas are imported inside
the functions that use them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlops_lab.i18n import translatable, translate
from mlops_lab.maturity import Scenario, World
from mlops_lab.maturity_levels import LevelOutcome, Policy, default_policies, simulate

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from mlops_lab.tracking import TrackingStore


# ---------------------------------------------------------------------------------------
# Comparing the levels: table and charts
# ---------------------------------------------------------------------------------------

# Events: colour and line style, chosen apart from the three levels' red, blue and green.
EVENT_STYLES: dict[str, tuple[str, tuple[int, ...]]] = {
    "covariate_shift": ("#9a6700", (0, (1, 2))),
    "concept_change": ("#8250df", (0, (5, 2))),
    "data_incident": ("#e16f24", (0, (1, 1))),
    "code_change": ("#57606a", (0, (3, 1, 1, 1))),
    "broken_code_change": ("#24292f", (0, (3, 1, 1, 1, 1, 1))),
}
LEVEL_COLOURS = ("#cf222e", "#0969da", "#1a7f37")


@dataclass(frozen=True)
class Comparison:
    """The levels' outcomes on one scenario: a table, a quality chart and each level's journal."""

    scenario: Scenario
    outcomes: tuple[LevelOutcome, ...]
    labels: tuple[str, ...]
    language: str = field(default="en", repr=False, compare=False)  # of the table, the chart and the notes

    def outcome(self, level: int) -> LevelOutcome:
        for o in self.outcomes:
            if o.policy.level == level:
                return o
        raise KeyError(f"no level {level} in this comparison")

    def table(self) -> pd.DataFrame:
        """One row per level, one column per measure, named in the comparison's language."""
        import pandas as pd

        return pd.DataFrame([o.labelled_summary() for o in self.outcomes]).set_index(
            translate("level", language=self.language)
        )

    def facts(self) -> dict[str, float]:
        """Numbers a quiz can ask about (``level0_months_off_target``, ``level2_retrains``, ...)."""
        found: dict[str, float] = {}
        for o in self.outcomes:
            prefix = f"level{o.policy.level}"
            found[f"{prefix}_retrains"] = o.retrains
            found[f"{prefix}_manual_interventions"] = o.manual_interventions
            found[f"{prefix}_incidents"] = o.incidents
            found[f"{prefix}_months_off_target"] = o.months_off_target
            found[f"{prefix}_longest_recovery"] = o.longest_recovery
            found[f"{prefix}_mean_cost"] = o.mean_cost
        if {"level0", "level1", "level2"} <= {k.split("_")[0] for k in found}:
            # Differences a learner computes from two cells of the table, so a question needs the lab, not a glance.
            found["level0_minus_level2_months_off_target"] = (
                found["level0_months_off_target"] - found["level2_months_off_target"]
            )
            found["level1_minus_level2_mean_cost"] = round(found["level1_mean_cost"] - found["level2_mean_cost"], 2)
        return found

    def broken_pipeline_note(self) -> str:
        """Level 1's cost against level 2's, from the month level 1's pipeline first failed to the end."""
        level1, level2 = self.outcome(1), self.outcome(2)
        failed_from = next((run.month for run in level1.runs if run.outcome == "failed"), None)
        if failed_from is None:
            return translate("== Level 1's pipeline never failed in this run.", language=self.language)
        start = level1.months.index(failed_from)
        cost1 = sum(level1.costs[start:]) / len(level1.costs[start:])
        cost2 = sum(level2.costs[start:]) / len(level2.costs[start:])
        return translate(
            "== From {month}, when level 1's pipeline first failed, to the end: level 1 cost {cost1:.2f} per customer, "
            "level 2 {cost2:.2f} ({ratio:.1f} times as much).",
            language=self.language,
            month=failed_from,
            cost1=cost1,
            cost2=cost2,
            ratio=cost1 / cost2,
        )

    def _rows(self) -> list[tuple[str, list[str]]]:
        """The summary as text, one row per measure (named in the comparison's language) and one column per level."""
        summaries = [o.summary() for o in self.outcomes]
        measures = [k for k in summaries[0] if k != "level"]
        return [
            (
                translate(m, language=self.language),
                [f"{s[m]:.2f}" if isinstance(s[m], float) else str(s[m]) for s in summaries],
            )
            for m in measures
        ]

    def _caption(self) -> str:
        months = self.outcomes[0].months
        return translate(
            "{n} production months ({first} to {last}), cost target {target:g} per customer",
            language=self.language,
            n=len(months),
            first=months[0],
            last=months[-1],
            target=self.scenario.cost_target,
        )

    def __repr__(self) -> str:
        levels = [translate("level {n}", language=self.language, n=o.policy.level) for o in self.outcomes]
        rows = self._rows()
        width = max(34, *(len(measure) + 2 for measure, _ in rows))  # 34: the English table's width, kept as it was
        lines = [self._caption(), f"{'':<{width}}" + "".join(f"{name:>10}" for name in levels)]
        lines += [f"{measure:<{width}}" + "".join(f"{v:>10}" for v in values) for measure, values in rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(o.name)}</th>" for o in self.outcomes)
        body = "".join(
            f"<tr><td>{html.escape(m)}</td>" + "".join(f"<td>{v}</td>" for v in values) + "</tr>"
            for m, values in self._rows()
        )
        return f"<p>{html.escape(self._caption())}</p><table><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"

    def plot_quality(self, *, ax: Axes | None = None) -> Axes:
        """Cost per customer over time for every level, with the target, the events and every model promotion."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(10, 4.5))
        months = list(self.outcomes[0].months)
        x = range(len(months))
        for o, colour in zip(self.outcomes, LEVEL_COLOURS, strict=False):
            ax.plot(x, o.costs, marker="o", markersize=3, color=colour, label=o.name)
            promoted = [
                months.index(_next_month(months, r.month))
                for r in o.runs
                if r.outcome == "promoted" and _next_month(months, r.month)
            ]
            ax.scatter(
                promoted, [o.costs[i] for i in promoted], marker="^", s=90, color=colour, edgecolor="black", zorder=3
            )
        language = self.language
        ax.scatter(
            [],
            [],
            marker="^",
            s=90,
            color="white",
            edgecolor="black",
            label=translate("new model in production", language=language),
        )
        ax.axhline(
            self.scenario.cost_target,
            color="black",
            linestyle="--",
            linewidth=1,
            label=translate("target: cost <= {target:g}", language=language, target=self.scenario.cost_target),
        )
        _mark_events(ax, self.scenario, self.labels, language=language)
        ax.set(
            title=translate("Model quality over time at maturity levels 0, 1 and 2", language=language),
            xlabel=translate("month", language=language),
            ylabel=translate("cost of mistakes per customer (lower is better)", language=language),
        )
        ax.set_xticks(list(x), months, rotation=45, ha="right")
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small",
            title=translate("levels and events", language=language),
        )
        return ax


def _next_month(months: list[str], month: str) -> str | None:
    position = months.index(month) + 1
    return months[position] if position < len(months) else None


def _mark_events(ax: Axes, scenario: Scenario, labels: Sequence[str], *, language: str = "en") -> None:
    """Vertical lines at the scenario's events, on an axis whose first position is the first production month."""
    for event in scenario.events():
        colour, style = EVENT_STYLES[event.kind]
        ax.axvline(
            event.month - scenario.history_months,
            color=colour,
            linestyle=style,
            linewidth=1.8,
            label=f"{labels[event.month]}: {event.describe(language=language)}",
        )


def plot_monitoring(world: World, *, ax: Axes | None = None, language: str = "en") -> Axes:
    """The monitoring chart: every feature's distance to the first model's training data, month by month."""
    timeline = world.drift_timeline()
    ax = timeline.plot(
        ax=ax,
        title=translate(
            "Monitoring: each feature's distance to the training data (Vertex AI metrics)", language=language
        ),
        language=language,
    )
    _mark_events(ax, world.scenario, world.labels, language=language)
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize="small",
        title=translate("features and events", language=language),
    )
    return ax


# The columns of the runs a comparison logs (tracking.compare_runs), with their names for a learner; the
# English table keeps MLflow's parameter names.
RUN_COLUMNS: dict[str, str] = {
    "level": translatable("level"),
    "month": translatable("month"),
    "pipeline_code": "pipeline_code",
    "promoted": translatable("promoted"),
    "reason": translatable("reason"),
}


def run_table(runs: pd.DataFrame, *, language: str = "en") -> pd.DataFrame:
    """The runs a comparison logged (from :func:`mlops_lab.tracking.compare_runs`), by run name: level, month,
    pipeline code, whether the model was promoted and why the run started; columns named in ``language``."""
    table = runs[list(RUN_COLUMNS)].sort_index()
    if language == "en":
        return table
    columns = {column: translate(label, language=language) for column, label in RUN_COLUMNS.items()}
    return table.rename(columns=columns).rename_axis(translate("run", language=language))


def compare_levels(
    scenario: Scenario | World | None = None,
    *,
    policies: Sequence[Policy] | None = None,
    store: TrackingStore | None = None,
    language: str = "en",
) -> Comparison:
    """Operate every policy (default: levels 0, 1 and 2, see :func:`default_policies`) on the same scenario.

    ``language`` is the language of the comparison's table, chart and journals.
    """
    world = scenario if isinstance(scenario, World) else World(scenario or Scenario())
    chosen = (
        tuple(policies)
        if policies is not None
        else default_policies(trigger="schedule", cost_target=world.scenario.cost_target)
    )
    outcomes = tuple(simulate(world, p, store=store, language=language) for p in chosen)
    return Comparison(scenario=world.scenario, outcomes=outcomes, labels=world.labels, language=language)
