"""The class report: one self-contained HTML page from a batch folder and/or a gradebook.

The page has inline CSS and inline PNG plots (base64), no scripts and no links to fetch, so it
can be mailed or opened offline. It shows completion, scores, the questions the class gets wrong
most, an item analysis of every question (:mod:`mlops_lab.item_analysis`), run durations, failed
and interrupted runs with their error, flagged submissions (apart from code exercises the grader
did not rerun, which are expected and listed on their own), and each learner's key lab metrics
(the results from their own runs that the quiz checked them against).

Every text that comes from a learner's files (names, answers, error messages) is HTML-escaped.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import math
import os
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_lab.batch import WORKSPACE_DIR, RunResult, describe_error, read_batch
from mlops_lab.grading import Gradebook, GradeRow, finite_number
from mlops_lab.item_analysis import DEFINITION, ItemStat, item_analysis
from mlops_lab.progress import PROGRESS_FILE
from mlops_lab.submissions import read_progress_submission

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#1f2328;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;padding:.6em 1em;min-width:9em}
.card b{display:block;font-size:1.5em}.bad{color:#cf222e}.good{color:#1a7f37}.muted{color:#656d76}
img{max-width:100%;border:1px solid #d0d7de;border-radius:6px;margin:.4em 0}code{font-size:.85em}
"""
_IGNORED_PARAMETERS = {"workspace", "quiz_answers", "solutions"}


@dataclass
class ClassReport:
    """What the report is built from; ``html()`` renders it, ``write()`` saves it."""

    runs: list[RunResult] = field(default_factory=list)
    gradebook: Gradebook | None = None
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # learner -> "notebook.fact" -> value
    title: str = "MLOps Lab: class report"
    # (notebook, exercise id) of the code exercises, whose "unverified" flag is expected without --run-code.
    code_exercises: frozenset[tuple[str, str]] = field(default_factory=lambda: code_exercise_ids(_shipped_banks()))

    def html(self) -> str:
        sections = [f"<h1>{_e(self.title)}</h1>", self._cards()]
        if self.runs:
            sections += [self._completion(), self._durations(), self._failures()]
        if self.gradebook is not None and self.gradebook.rows:
            sections += [self._scores(), self._most_missed(), self._items(), self._flags(), self._not_rerun()]
        sections.append(self._metrics())
        body = "\n".join(s for s in sections if s)
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{_e(self.title)}</title><style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
        )

    def write(self, path: str | os.PathLike[str]) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Text that no encoder accepts (a lone surrogate from a learner's file) is written escaped, not refused.
        path.write_text(self.html(), encoding="utf-8", errors="backslashreplace")
        return path

    def _learners(self) -> list[str]:
        names = {r.row for r in self.runs}
        if self.gradebook is not None:
            names |= set(self.gradebook.learners)
        return sorted(names)

    def _expected_flag(self, row: GradeRow) -> bool:
        """A code exercise the grader did not rerun: flagged ``unverified`` by design, not a problem."""
        return row.flag == "unverified" and row.kind == "exercise" and (row.notebook, row.item) in self.code_exercises

    def _flagged(self) -> tuple[list[GradeRow], list[GradeRow]]:
        """The flagged rows: (problems, code exercises not rerun)."""
        flagged = self.gradebook.flagged if self.gradebook is not None else []
        return [r for r in flagged if not self._expected_flag(r)], [r for r in flagged if self._expected_flag(r)]

    def _run_cards(self) -> list[tuple[str, str, str]]:
        completed = sum(1 for r in self.runs if r.succeeded)
        failed = sum(1 for r in self.runs if r.status == "failed")
        interrupted = sum(1 for r in self.runs if r.status == "interrupted")
        cards = [
            ("runs completed", f"{completed}/{len(self.runs)}", "good" if completed == len(self.runs) else ""),
            ("runs failed", str(failed), "bad" if failed else "good"),
        ]
        if interrupted:
            cards.append(("runs interrupted", str(interrupted), "bad"))
        return cards

    def _gradebook_cards(self) -> list[tuple[str, str, str]]:
        assert self.gradebook is not None
        cards = []
        questions = [r for r in self.gradebook.rows if r.kind == "question"]
        if questions:
            share = sum(r.score for r in questions) / len(questions)
            cards.append(("mean quiz score", f"{share:.0%}", ""))
            to_review = sum(1 for s in item_analysis(self.gradebook.rows) if s.flag)
            cards.append(("questions to review", str(to_review), "bad" if to_review else "good"))
        problems, not_rerun = self._flagged()
        cards.append(("flagged items", str(len(problems)), "bad" if problems else "good"))
        if not_rerun:
            cards.append(("code exercises not rerun", str(len(not_rerun)), "muted"))
        return cards

    def _cards(self) -> str:
        cards = [("learners", str(len(self._learners())), "")]
        if self.runs:
            cards += self._run_cards()
        if self.gradebook is not None and self.gradebook.rows:
            cards += self._gradebook_cards()
        inner = "".join(f'<div class="card"><b class="{c}">{_e(v)}</b>{_e(k)}</div>' for k, v, c in cards)
        return f'<div class="cards">{inner}</div>'

    def _completion(self) -> str:
        by_notebook: dict[str, list[RunResult]] = defaultdict(list)
        for r in self.runs:
            by_notebook[r.notebook].append(r)
        rows = []
        for notebook in sorted(by_notebook):
            runs = by_notebook[notebook]
            ok = sum(1 for r in runs if r.succeeded)  # failed and interrupted runs did not complete
            rows.append([notebook, f"{ok}/{len(runs)}", f"{ok / len(runs):.0%}"])
        return "<h2>Completion</h2>" + _table(["notebook", "runs completed", "share"], rows, numeric={1, 2})

    def _durations(self) -> str:
        by_notebook: dict[str, list[float]] = defaultdict(list)
        for r in self.runs:
            by_notebook[r.notebook].append(r.duration_s)
        rows = [
            [nb, str(len(d)), f"{statistics.median(d):.1f}", f"{max(d):.1f}", f"{sum(d):.1f}"]
            for nb, d in sorted(by_notebook.items())
        ]
        table = _table(["notebook", "runs", "median s", "max s", "total s"], rows, numeric={1, 2, 3, 4})
        plot = _plot_durations(by_notebook) if by_notebook else ""
        return "<h2>Durations</h2>" + table + plot

    def _failures(self) -> str:
        failed = [r for r in self.runs if r.status in ("failed", "interrupted")]
        if not failed:
            return '<h2>Failures</h2><p class="good">No run failed.</p>'
        rows = [
            [
                r.row,
                r.notebook,
                r.status,
                "" if (r.error or {}).get("cell") is None else str(r.error["cell"]),
                (r.error or {}).get("source", ""),
                describe_error(r.error),
            ]
            for r in failed
        ]
        return "<h2>Failures</h2>" + _table(["learner", "notebook", "status", "cell", "code", "error"], rows)

    def _scores(self) -> str:
        assert self.gradebook is not None
        totals = self.gradebook.totals()
        notebooks = sorted({t["notebook"] for t in totals})
        per_learner: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for t in totals:
            per_learner[t["learner"]][t["notebook"]] = t
        rows, shares = [], []
        for learner in sorted(per_learner):
            cells, got, out_of = [learner], 0.0, 0
            for nb in notebooks:
                t = per_learner[learner].get(nb)
                if t is None:
                    cells.append("")
                    continue
                cells.append(f"{t['quiz']:g}/{t['questions']} · ex {t['passed']}/{t['exercises']}")
                got += t["quiz"] + t["passed"]
                out_of += t["questions"] + t["exercises"]
            share = got / out_of if out_of else 0.0
            shares.append(share)
            rows.append(cells + [f"{share:.0%}"])
        table = _table(["learner", *notebooks, "overall"], rows, numeric={len(notebooks) + 1})
        return (
            '<h2>Scores</h2><p class="muted">quiz points / questions · exercises passed / exercises</p>'
            + table
            + _plot_scores(shares)
        )

    def _most_missed(self) -> str:
        assert self.gradebook is not None
        by_question: dict[tuple[str, str], list[GradeRow]] = defaultdict(list)
        for r in self.gradebook.rows:
            if r.kind == "question":
                by_question[(r.notebook, r.item)].append(r)
        stats = []
        for (notebook, item), rows in by_question.items():
            missed = [r for r in rows if r.score < 1]
            wrong_answers = Counter(r.answer for r in missed if r.answer)
            common = ", ".join(f"{a} ({n})" for a, n in wrong_answers.most_common(2))
            unanswered = sum(1 for r in missed if not r.answer)
            common = ", ".join(p for p in (common, f"no answer ({unanswered})" if unanswered else "") if p)
            stats.append(
                (len(missed) / len(rows), notebook, item, len(rows), sum(r.score for r in rows) / len(rows), common)
            )
        stats.sort(key=lambda s: (-s[0], s[1], s[2]))
        rows = [[nb, item, f"{share:.0%}", f"{mean:.2f}", str(n), common] for share, nb, item, n, mean, common in stats]
        table = _table(
            ["notebook", "question", "missed by", "mean score", "learners", "most common wrong answers"],
            rows,
            numeric={2, 3, 4},
        )
        return "<h2>Questions the class gets wrong most</h2>" + table + _plot_missed(stats[:10])

    def _items(self) -> str:
        assert self.gradebook is not None
        stats = item_analysis(self.gradebook.rows)
        if not stats:
            return ""
        rows = [_item_row(s) for s in stats]
        table = _table(
            ["notebook", "question", "learners", "correct", "top 27%", "bottom 27%", "discrimination", "review"],
            rows,
            numeric={2, 3, 4, 5, 6},
        )
        note = (
            f'<p class="muted">{_e(DEFINITION)} A question that most strong learners miss is usually badly worded '
            "or wrongly keyed.</p>"
        )
        return "<h2>Item analysis</h2>" + note + table

    def _flags(self) -> str:
        problems, _ = self._flagged()
        if not problems:
            return '<h2>Flagged submissions</h2><p class="good">Every submission was readable and consistent.</p>'
        rows = [[r.learner, r.notebook, r.item, r.flag, r.issue] for r in problems]
        return "<h2>Flagged submissions</h2>" + _table(["learner", "notebook", "item", "flag", "issue"], rows)

    def _not_rerun(self) -> str:
        _, not_rerun = self._flagged()
        if not not_rerun:
            return ""
        note = (
            '<p class="muted">Code exercises keep the verdict of the learner\'s own kernel unless graded with '
            "<code>mlops-lab grade --run-code</code>, which reruns them; this is expected, not a problem.</p>"
        )
        rows = [[r.learner, r.notebook, r.item, r.status, r.issue] for r in not_rerun]
        return (
            "<h2>Code exercises not rerun</h2>"
            + note
            + _table(["learner", "notebook", "exercise", "kernel's verdict", "note"], rows)
        )

    def _metrics(self) -> str:
        parameters: dict[str, dict[str, Any]] = defaultdict(dict)
        for r in self.runs:
            parameters[r.row].update({k: v for k, v in r.parameters.items() if k not in _IGNORED_PARAMETERS})
        learners = sorted(set(self.metrics) | {k for k, v in parameters.items() if v})
        if not learners:
            return ""
        parameter_names = sorted({k for v in parameters.values() for k in v})
        metric_names = sorted({k for v in self.metrics.values() for k in v})
        rows = []
        for learner in learners:
            cells = [learner]
            cells += [json.dumps(parameters[learner][p]) if p in parameters[learner] else "" for p in parameter_names]
            cells += [
                f"{self.metrics[learner][m]:g}" if m in self.metrics.get(learner, {}) else "" for m in metric_names
            ]
            rows.append(cells)
        numeric = set(range(1 + len(parameter_names), 1 + len(parameter_names) + len(metric_names)))
        note = '<p class="muted">Parameters of each learner\'s runs, and the results of their own labs that their quiz was checked against.</p>'
        return (
            "<h2>Key lab metrics per learner</h2>"
            + note
            + _table(["learner", *parameter_names, *metric_names], rows, numeric=numeric)
        )


def _item_row(stat: ItemStat) -> list[str]:
    def figure(value: float | None, form: str) -> str:
        return "" if value is None else format(value, form)

    return [
        stat.notebook,
        stat.question,
        str(stat.learners),
        f"{stat.share_correct:.0%}",
        figure(stat.upper, ".2f"),
        figure(stat.lower, ".2f"),
        figure(stat.discrimination, "+.2f"),
        stat.flag,
    ]


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, numeric: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{_e(c)}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _png(figure: Any, alt: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{encoded}">'


def _figure(height: float = 3.0) -> tuple[Any, Any]:
    from matplotlib.figure import Figure  # no pyplot: no global state, no display backend needed

    figure = Figure(figsize=(7, height))
    return figure, figure.add_subplot()


def _plot_durations(by_notebook: dict[str, list[float]]) -> str:
    figure, ax = _figure()
    names = sorted(by_notebook)
    ax.boxplot([by_notebook[n] for n in names], vert=False)
    ax.set_yticks(range(1, len(names) + 1), labels=names)
    ax.set(title="Run duration per notebook", xlabel="seconds")
    return _png(figure, "run durations per notebook")


def _plot_scores(shares: list[float]) -> str:
    figure, ax = _figure()
    ax.hist([s * 100 for s in shares], bins=[i * 10 for i in range(11)], color="#0969da", edgecolor="white")
    ax.set(title="Overall score per learner", xlabel="% of quiz points and exercises", ylabel="learners")
    return _png(figure, "histogram of overall scores")


def _plot_missed(stats: list[tuple[Any, ...]]) -> str:
    if not stats:
        return ""
    figure, ax = _figure(0.4 * len(stats) + 1.2)
    # A "$" would start matplotlib's math mode: labels are shown as plain text.
    labels = [f"{nb} · {item}".replace("$", r"\$") for _, nb, item, *_ in stats][::-1]
    ax.barh(labels, [s[0] * 100 for s in stats][::-1], color="#cf222e")
    ax.set(title="Share of learners who missed each question", xlabel="% of learners", xlim=(0, 100))
    return _png(figure, "questions missed most")


def _shipped_banks() -> dict[str, Any]:
    """The quiz banks by notebook, or none when a bank is broken (the report shows what it can without)."""
    from mlops_lab.grading import load_banks
    from mlops_lab.quiz import QuizBankError, quizzes_dir

    try:
        return load_banks(quizzes_dir())
    except QuizBankError:
        return {}


def code_exercise_ids(banks: dict[str, Any]) -> frozenset[tuple[str, str]]:
    """(notebook, exercise id) of every code exercise in ``banks``."""
    return frozenset((name, e.id) for name, bank in banks.items() for e in bank.exercises if e.code)


def collect_metrics(
    runs: Sequence[RunResult],
    output_dir: str | os.PathLike[str] | None,
    gradebook: Gradebook | None,
    *,
    banks: dict[str, Any] | None = None,
) -> dict[str, dict[str, float]]:
    """Each learner's own lab results: the ``expected`` values of their ``answer_fact`` questions, and
    how many MLflow runs their workspace's tracking store holds.

    Read from the progress files and MLflow stores in the batch's workspaces (as data), or else
    from the gradebook.
    """
    banks = _shipped_banks() if banks is None else banks
    # Notebook names read from learners' files are looked up among the known banks, never turned into paths.
    facts_of = {name: {q.id: q.answer_fact for q in bank.questions if q.answer_fact} for name, bank in banks.items()}
    metrics: dict[str, dict[str, float]] = defaultdict(dict)
    if output_dir is not None:
        _add_progress_facts(metrics, runs, Path(output_dir), facts_of)
        _add_mlflow_run_counts(metrics, runs, Path(output_dir))
    if gradebook is not None:
        _add_gradebook_facts(metrics, gradebook, facts_of)
    return {k: v for k, v in metrics.items() if v}


def _add_progress_facts(
    metrics: dict[str, dict[str, float]],
    runs: Sequence[RunResult],
    output_dir: Path,
    facts_of: dict[str, dict[str, str]],
) -> None:
    for learner in sorted({r.row for r in runs}):
        try:
            data = read_progress_submission(output_dir / learner / WORKSPACE_DIR / PROGRESS_FILE)
        except (OSError, ValueError):
            continue  # grade reports unreadable progress files; the report shows what it can
        for notebook, section in data["notebooks"].items():
            questions = section.get("questions", {})
            for qid, fact in facts_of.get(notebook, {}).items():
                record = questions.get(qid)
                value = finite_number(record.get("expected")) if isinstance(record, dict) else None
                if value is not None:
                    metrics[learner][f"{notebook}.{fact}"] = value


def _add_gradebook_facts(
    metrics: dict[str, dict[str, float]], gradebook: Gradebook, facts_of: dict[str, dict[str, str]]
) -> None:
    """Facts the progress files did not give, from the gradebook's ``expected`` column."""
    for r in gradebook.rows:
        fact = facts_of.get(r.notebook, {}).get(r.item) if r.kind == "question" and r.notebook else None
        if not fact or not r.expected or f"{r.notebook}.{fact}" in metrics[r.learner]:
            continue
        try:
            value = float(r.expected)
        except ValueError:
            continue
        if math.isfinite(value):
            metrics[r.learner][f"{r.notebook}.{fact}"] = value


def _add_mlflow_run_counts(metrics: dict[str, dict[str, float]], runs: Sequence[RunResult], output_dir: Path) -> None:
    for learner in sorted({r.row for r in runs}):
        count = count_mlflow_runs(output_dir / learner / WORKSPACE_DIR / "mlflow.db")
        if count is not None:
            metrics[learner]["mlflow runs"] = float(count)


def count_mlflow_runs(store: Path) -> int | None:
    """Finished runs in a learner's MLflow SQLite store, read through MLflow's search API (None if
    there is no readable store). Deleted runs count too: the learner ran them."""
    if not store.is_file():
        return None
    import shutil
    import tempfile

    from mlops_lab.tracking import finished_run_count

    # MLflow opens a store read-write (and would add its tables to a database that lacks them): it reads a copy.
    with tempfile.TemporaryDirectory(prefix="mlops-lab-report-") as folder:
        copy = Path(folder) / store.name
        try:
            shutil.copyfile(store, copy)
            # The store logs in write-ahead mode: runs not yet checkpointed are in mlflow.db-wal beside it.
            wal = store.with_name(f"{store.name}-wal")
            if wal.is_file():
                shutil.copyfile(wal, copy.with_name(f"{copy.name}-wal"))
            # MLflow retries opening a database it cannot read for 100 s: a file that is not an SQLite database
            # with MLflow's runs table never reaches it.
            if not _has_runs_table(copy):
                return None
            return finished_run_count(f"sqlite:///{copy}")
        except Exception:  # a learner's file that is not an MLflow store at this version: no count, no crash
            return None


def _has_runs_table(database: Path) -> bool:
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(database)) as connection:
            query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'"
            return connection.execute(query).fetchone() is not None
    except sqlite3.Error:
        return False


def build_report(
    *,
    batch_dir: str | os.PathLike[str] | None = None,
    gradebook: str | os.PathLike[str] | Gradebook | None = None,
    title: str = "MLOps Lab: class report",
) -> ClassReport:
    """Gather a batch folder's run records and/or a gradebook (CSV path or object) into a report."""
    from mlops_lab.grading import read_gradebook

    if batch_dir is None and gradebook is None:
        raise ValueError("give a batch folder, a gradebook, or both")
    runs: list[RunResult] = []
    if batch_dir is not None:
        if not Path(batch_dir).is_dir():
            raise ValueError(f"{batch_dir}: no such batch folder")
        runs = read_batch(batch_dir)
        if not runs:
            raise ValueError(f"{batch_dir}: no run records (*/*.run.json); is this a batch output folder?")
    book = read_gradebook(gradebook) if isinstance(gradebook, (str, os.PathLike)) else gradebook
    banks = _shipped_banks()
    return ClassReport(
        runs=runs,
        gradebook=book,
        metrics=collect_metrics(runs, batch_dir, book, banks=banks),
        title=title,
        code_exercises=code_exercise_ids(banks),
    )
