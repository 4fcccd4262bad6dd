"""The maturity levels compared: one table, a quality chart with the world's events marked, and each level's journal.

:func:`compare_levels` operates levels 0, 1 and 2 (:mod:`mlops_lab.maturity_levels`) on one
world (:mod:`mlops_lab.maturity`) and returns a :class:`Comparison`; :func:`plot_monitoring`
draws what a level-1 monitor sees month by month. matplotlib and pandas are imported inside
the functions that use them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

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

    def outcome(self, level: int) -> LevelOutcome:
        for o in self.outcomes:
            if o.policy.level == level:
                return o
        raise KeyError(f"no level {level} in this comparison")

    def table(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([o.summary() for o in self.outcomes]).set_index("level")

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

    def _rows(self) -> list[tuple[str, list[str]]]:
        """The summary as text, one row per measure and one column per level."""
        summaries = [o.summary() for o in self.outcomes]
        measures = [k for k in summaries[0] if k != "level"]
        return [(m, [f"{s[m]:.2f}" if isinstance(s[m], float) else str(s[m]) for s in summaries]) for m in measures]

    def _caption(self) -> str:
        months = self.outcomes[0].months
        return f"{len(months)} production months ({months[0]} to {months[-1]}), cost target {self.scenario.cost_target:g} per customer"

    def __repr__(self) -> str:
        levels = [f"level {o.policy.level}" for o in self.outcomes]
        lines = [self._caption(), f"{'':<34}" + "".join(f"{name:>10}" for name in levels)]
        lines += [f"{measure:<34}" + "".join(f"{v:>10}" for v in values) for measure, values in self._rows()]
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
        ax.scatter([], [], marker="^", s=90, color="white", edgecolor="black", label="new model in production")
        ax.axhline(
            self.scenario.cost_target,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"target: cost <= {self.scenario.cost_target:g}",
        )
        _mark_events(ax, self.scenario, self.labels)
        ax.set(
            title="Model quality over time at maturity levels 0, 1 and 2",
            xlabel="month",
            ylabel="cost of mistakes per customer (lower is better)",
        )
        ax.set_xticks(list(x), months, rotation=45, ha="right")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", title="levels and events")
        return ax


def _next_month(months: list[str], month: str) -> str | None:
    position = months.index(month) + 1
    return months[position] if position < len(months) else None


def _mark_events(ax: Axes, scenario: Scenario, labels: Sequence[str]) -> None:
    """Vertical lines at the scenario's events, on an axis whose first position is the first production month."""
    for event in scenario.events():
        colour, style = EVENT_STYLES[event.kind]
        ax.axvline(
            event.month - scenario.history_months,
            color=colour,
            linestyle=style,
            linewidth=1.8,
            label=f"{labels[event.month]}: {event.label}",
        )


def plot_monitoring(world: World, *, ax: Axes | None = None) -> Axes:
    """The monitoring chart: every feature's distance to the first model's training data, month by month."""
    timeline = world.drift_timeline()
    ax = timeline.plot(ax=ax, title="Monitoring: each feature's distance to the training data (Vertex AI metrics)")
    _mark_events(ax, world.scenario, world.labels)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", title="features and events")
    return ax


def compare_levels(
    scenario: Scenario | World | None = None,
    *,
    policies: Sequence[Policy] | None = None,
    store: TrackingStore | None = None,
) -> Comparison:
    """Operate every policy (default: levels 0, 1 and 2, see :func:`default_policies`) on the same scenario."""
    world = scenario if isinstance(scenario, World) else World(scenario or Scenario())
    chosen = (
        tuple(policies)
        if policies is not None
        else default_policies(trigger="schedule", cost_target=world.scenario.cost_target)
    )
    outcomes = tuple(simulate(world, p, store=store) for p in chosen)
    return Comparison(scenario=world.scenario, outcomes=outcomes, labels=world.labels)
