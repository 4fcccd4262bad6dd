"""Check results: what a CI run, a data validation or a model gate found, shown as one table.

:class:`CheckResult` is one check (its stage, whether it passed, whether plain DevOps CI has it)
and :class:`CheckReport` several of them with the outcome of the run; both render through
:class:`Table`, a small titled table that prints as aligned text and displays as HTML in a
notebook (deterministic either way). Data validation (:mod:`mlops_lab.data_validation`), model
validation (:mod:`mlops_lab.model_validation`) and CI (:mod:`mlops_lab.ci`) all report this way.
"""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """A small titled table that prints as aligned text and displays as HTML in a notebook."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    footer: str = ""

    def __repr__(self) -> str:
        cells = [self.columns, *self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        lines = [self.title] if self.title else []
        for n, row in enumerate(cells):
            lines.append("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * width for width in widths))
        if self.footer:
            lines.append(self.footer)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f'<th style="text-align:left">{html.escape(c)}</th>' for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f'<td style="text-align:left">{html.escape(v)}</td>' for v in row) + "</tr>"
            for row in self.rows
        )
        title = f"<p><b>{html.escape(self.title)}</b></p>" if self.title else ""
        footer = f"<p>{html.escape(self.footer)}</p>" if self.footer else ""
        return f"{title}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{footer}"


def pass_fail(passed: bool) -> str:
    """How a table shows a check's result."""
    return "PASS" if passed else "FAIL"


# ----------------------------------------------------------------------------- check results


# A check that passed with a warning (value skew makes a run retrain), and one not run (an earlier stage stopped).
WARN, SKIP = "WARN", "SKIP"


@dataclass(frozen=True)
class CheckResult:
    """One check of a CI run: its stage, whether it passed, and whether plain DevOps CI has it.

    ``status`` qualifies the result when needed: ``"WARN"`` (passed, with a warning: value skew
    makes the run retrain) or ``"SKIP"`` (not run, because an earlier stage stopped the run).
    """

    stage: str
    check: str
    passed: bool
    detail: str
    devops: bool = False
    status: str = ""

    @property
    def result(self) -> str:
        return self.status or pass_fail(self.passed)


@dataclass(frozen=True)
class CheckReport:
    """The outcome of several checks, shown as one table; ``outcome`` sums up what the run decided."""

    title: str
    checks: tuple[CheckResult, ...]
    outcome: str = ""

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def status(self) -> str:
        """For example ``"3/3 PASS"``."""
        return f"{sum(c.passed for c in self.checks)}/{len(self.checks)} {pass_fail(self.passed)}"

    def table(self) -> Table:
        rows = tuple((c.stage, c.check, "yes" if c.devops else "MLOps only", c.result, c.detail) for c in self.checks)
        n_passed = sum(c.passed for c in self.checks)
        summary = f"{n_passed}/{len(self.checks)} checks passed"
        return Table(
            self.title,
            ("stage", "check", "in DevOps CI?", "result", "detail"),
            rows,
            f"{summary}: {self.outcome}" if self.outcome else summary,
        )

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()
