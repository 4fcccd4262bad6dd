"""Check results: what a CI run, a data validation or a model gate found, shown as one table.

:class:`CheckResult` is one check (its stage, whether it passed, whether plain DevOps CI has it)
and :class:`CheckReport` several of them with the outcome of the run; both render through
:class:`Table`, a small titled table that prints as aligned text and displays as HTML in a
notebook (deterministic either way). Data validation (:mod:`mlops_lab.data_validation`), model
validation (:mod:`mlops_lab.model_validation`) and CI (:mod:`mlops_lab.ci`) all report this way.

The results keep their words in English, so code can test them (``decision.startswith("blocked")``)
the same way in every edition; a table shows them in its ``language``. A word written once is
looked up in the catalogue (``mlops_lab/locale``); a sentence with values in it is a
:class:`Phrase`, which remembers its English template and its values so it can be said again in
another language.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mlops_lab import i18n
from mlops_lab.i18n import translatable, translate


class Phrase(i18n.Phrase):
    """A phrase of a check's result (:class:`mlops_lab.i18n.Phrase`) whose values that are words, like a
    table's cells, are translated too: ``Phrase(translatable("{kind} found"), kind="value skew")``."""

    @staticmethod
    def value_in(value: Any, language: str) -> Any:
        return _word(value, language)


def joined(separator: str, parts: Iterable[str]) -> Phrase:
    """``separator.join(parts)`` as a :class:`Phrase`, so each part can be rendered in another language."""
    parts = list(parts)
    escaped = separator.replace("{", "{{").replace("}", "}}")
    return Phrase(escaped.join(f"{{p{i}}}" for i in range(len(parts))), **{f"p{i}": p for i, p in enumerate(parts)})


def _word(value: Any, language: str) -> Any:
    """A value of a phrase or a table in ``language``: phrases rendered, words looked up, numbers unchanged."""
    if isinstance(value, i18n.Phrase):
        return value.render(language)
    return translate(value, language=language) if isinstance(value, str) else value


def render(value: Any, /, *, language: str = "en") -> str:
    """How a table shows ``value`` in ``language``: a :class:`Phrase` rendered, a word translated if it is one."""
    return str(_word(value, language))


@dataclass(frozen=True)
class Table:
    """A small titled table that prints as aligned text and displays as HTML in a notebook.

    Its title, column names, cells and footer are shown in ``language`` (see :func:`render`).
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    footer: str = ""
    language: str = field(default="en", repr=False, compare=False)

    def _rendered(self) -> tuple[str, tuple[str, ...], list[tuple[str, ...]], str]:
        def say(value: Any) -> str:
            return render(value, language=self.language)

        columns = tuple(say(c) for c in self.columns)
        rows = [tuple(say(v) for v in row) for row in self.rows]
        return say(self.title), columns, rows, say(self.footer)

    def __repr__(self) -> str:
        title, columns, rows, footer = self._rendered()
        cells = [columns, *rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
        lines = [title] if title else []
        for n, row in enumerate(cells):
            lines.append("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * width for width in widths))
        if footer:
            lines.append(footer)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        title, columns, rows, footer = self._rendered()
        head = "".join(f'<th style="text-align:left">{html.escape(c)}</th>' for c in columns)
        body = "".join(
            "<tr>" + "".join(f'<td style="text-align:left">{html.escape(v)}</td>' for v in row) + "</tr>"
            for row in rows
        )
        title = f"<p><b>{html.escape(title)}</b></p>" if title else ""
        footer = f"<p>{html.escape(footer)}</p>" if footer else ""
        return f"{title}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{footer}"


def pass_fail(passed: bool) -> str:
    """How a table shows a check's result."""
    return translatable("PASS") if passed else translatable("FAIL")


# ----------------------------------------------------------------------------- check results


# A check that passed with a warning (value skew makes a run retrain), and one not run (an earlier stage stopped).
WARN, SKIP = translatable("WARN"), translatable("SKIP")


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
    """The outcome of several checks, shown as one table in ``language``; ``outcome`` sums up what the run decided."""

    title: str
    checks: tuple[CheckResult, ...]
    outcome: str = ""
    language: str = field(default="en", repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def status(self) -> str:
        """For example ``"3/3 PASS"``, in the report's language."""
        n_passed = sum(c.passed for c in self.checks)
        status = Phrase(
            "{passed}/{total} {result}", passed=n_passed, total=len(self.checks), result=pass_fail(self.passed)
        )
        return render(status, language=self.language)

    def table(self, *, language: str | None = None) -> Table:
        """The report as a table, in ``language`` (by default the report's own)."""
        rows = tuple(
            (c.stage, c.check, translatable("yes") if c.devops else translatable("MLOps only"), c.result, c.detail)
            for c in self.checks
        )
        summary = Phrase(
            translatable("{passed}/{total} checks passed"),
            passed=sum(c.passed for c in self.checks),
            total=len(self.checks),
        )
        return Table(
            self.title,
            (
                translatable("stage"),
                translatable("check"),
                translatable("in DevOps CI?"),
                translatable("result"),
                translatable("detail"),
            ),
            rows,
            Phrase("{summary}: {outcome}", summary=summary, outcome=self.outcome) if self.outcome else summary,
            language=self.language if language is None else language,
        )

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()
