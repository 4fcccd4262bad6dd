"""Grading: a gradebook per learner, notebook and question, read from files, never by running them.

A submission is a learner's ``progress.json`` (what the quiz widgets and exercises stored) and/or
their executed notebooks (the ``quiz_answers``, ``seed`` and ``mode`` values in the ``parameters`` /
``injected-parameters`` cells). The grader reads both as data: JSON with ``json``, cell values with
``ast.literal_eval``, which accepts literals only, so an answer cell holding code is reported, never
run. Every answer is graded again against the quiz bank with :func:`mlops_lab.quiz.grade_answer`;
the score stored in the file is only compared, and a disagreement is flagged as tampering.

Exercises are graded again too: their values are plain data and their checks are the package's
own code (:mod:`mlops_lab.exercise_registry`), so each check is rerun on the stored value for the
learner's own ``seed`` and ``mode``. A claimed pass the check rejects is flagged ``tampered``.

Numeric questions answered from the learner's own results (``answer_fact``) are graded against
the ``expected`` value their progress record stored when the notebook ran. That value comes from
the learner's machine, so the grader checks it is a finite number and, when the instructor gives
reference facts (``facts``, e.g. from a batch run of the same parameters), compares it with them:
a different stored value is flagged as tampered and the reference is used instead.

One learner's file only ever affects that learner's rows: a file larger than
:data:`mlops_lab.submissions.MAX_FILE_BYTES` is refused before it is parsed, anything unreadable, too deep, or of an
unexpected type is reported as ``corrupted`` or ``malformed`` with a one-line reason, and the other
learners are graded as usual. Notebook and question names read from a file are only ever looked
up among the known banks, never turned into paths. The instructor's own inputs (the banks, the
facts file) are different: a broken one stops the grading with an error naming the file and entry.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_lab.errors import SubmissionError
from mlops_lab.submissions import (
    DEFAULT_PARAMETERS,
    Submission,
    answers_from,
    find_submissions,
    parameters_from,
    printable,
    read_notebook_parameters,
    read_progress_submission,
    valid_parameters,
)

if TYPE_CHECKING:
    from mlops_lab.code_rerun import RerunLimits

MAX_SHOWN_CHARS = 300
"""Learner text kept in a gradebook cell (an answer, a value); longer text is cut with an ellipsis."""
DEFAULT_REGRADE_SEEDS = 8
"""How many distinct (seed, mode) pairs the grader rebuilds seed-dependent exercise checks for."""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
# What a code exercise's row expects; its ``unverified`` flag is expected when the grader did not rerun learner code.
CODE_EXPECTED = "all hidden tests"


@dataclass(frozen=True)
class GradeRow:
    """One line of the gradebook.

    ``status`` is correct / partial / wrong / unanswered / invalid (questions), passed / failed /
    unanswered (exercises; a rerun code exercise may also be timeout), or unreadable / ignored (a
    whole file). ``flag`` is empty, or one of malformed, tampered, corrupted, conflict, unverified,
    with the details in ``issue``.
    """

    learner: str
    notebook: str
    kind: str  # "question" | "exercise" | "file"
    item: str
    status: str
    score: float
    max_score: float
    answer: str = ""
    expected: str = ""
    flag: str = ""
    issue: str = ""
    source: str = ""


def _csv_cell(value: Any) -> Any:
    """A cell no spreadsheet runs as a formula (OWASP's CSV injection advice) and any encoder can write."""
    if not isinstance(value, str):
        return value
    text = value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\0", "\\x00")
    # A leading quote makes the cell text; quotes of our own are doubled so reading strips exactly one.
    return "'" + text if text.startswith(_FORMULA_START) else text


def _from_csv_cell(text: str) -> str:
    return text[1:] if text.startswith("'") else text


@dataclass
class Gradebook:
    """Every graded item of every learner; ``write_csv`` saves it, ``totals`` sums it up."""

    rows: list[GradeRow] = field(default_factory=list)

    def write_csv(self, path: str | os.PathLike[str]) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(GradeRow)])
            writer.writeheader()
            writer.writerows({k: _csv_cell(v) for k, v in asdict(r).items()} for r in self.rows)
        return path

    @property
    def learners(self) -> list[str]:
        return sorted({r.learner for r in self.rows})

    @property
    def flagged(self) -> list[GradeRow]:
        return [r for r in self.rows if r.flag]

    @property
    def code_not_rerun(self) -> list[GradeRow]:
        """Code exercises graded from the learner's kernel alone: flagged ``unverified``, by design without --run-code."""
        return [r for r in self.flagged if r.flag == "unverified" and r.expected == CODE_EXPECTED]

    def totals(self) -> list[dict[str, Any]]:
        """Per learner and notebook: quiz score, exercises passed, and how many items were flagged."""
        table: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self.rows:
            if r.kind == "file" and not r.notebook:
                continue
            t = table.setdefault(
                (r.learner, r.notebook),
                {
                    "learner": r.learner,
                    "notebook": r.notebook,
                    "quiz": 0.0,
                    "questions": 0,
                    "exercises": 0,
                    "passed": 0,
                    "flags": 0,
                },
            )
            if r.kind == "question":
                t["quiz"] = round(t["quiz"] + r.score, 4)
                t["questions"] += 1
            elif r.kind == "exercise":
                t["passed"] += int(r.status == "passed")
                t["exercises"] += 1
            t["flags"] += int(bool(r.flag))
        return [table[k] for k in sorted(table)]

    def __repr__(self) -> str:
        lines = [f"{'learner':<20}{'notebook':<24}{'quiz':>10}{'exercises':>11}{'flags':>7}"]
        for t in self.totals():
            quiz, exercises = f"{t['quiz']:g}/{t['questions']}", f"{t['passed']}/{t['exercises']}"
            lines.append(
                f"{printable(t['learner']):<20}{printable(t['notebook']):<24}{quiz:>10}{exercises:>11}{t['flags']:>7}"
            )
        for r in self.flagged:
            where = "/".join(p for p in (r.notebook, r.item) if p)
            lines.append(printable(f"{r.flag.upper()} {r.learner} {where}: {r.issue}"))
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Grading


def _clip(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 1] + "…"


def _text(value: Any) -> str:
    """A learner's value as a short line of text, whatever it is (deep, huge or odd values included)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _clip(value)
    try:
        return _clip(json.dumps(value, sort_keys=True, default=str))
    except (TypeError, ValueError, RecursionError):
        return f"<a {type(value).__name__} that cannot be shown>"


def finite_number(value: Any) -> float | None:
    """``value`` as a float if it is a finite int or float (not a bool, not too large), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


@dataclass
class _LearnerFiles:
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)  # notebook -> section
    progress_source: dict[str, str] = field(default_factory=dict)
    notebook_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    notebook_source: dict[str, str] = field(default_factory=dict)
    notebook_problem: dict[str, str] = field(default_factory=dict)
    notebook_parameters: dict[str, tuple[int, str]] = field(default_factory=dict)


def _status(score: float) -> str:
    return "correct" if score >= 1 else ("partial" if score > 0 else "wrong")


class _Grades:
    """:func:`mlops_lab.quiz.grade_answer`, worked out once per question, answer and facts (a class shares answers)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Any, ...], Any] = {}

    def __call__(self, question: Any, answer: Any, facts: dict[str, float]) -> Any:
        from mlops_lab.quiz import grade_answer

        try:
            key: tuple[Any, ...] | None = (question, json.dumps(answer, sort_keys=True), tuple(sorted(facts.items())))
        except (TypeError, ValueError, RecursionError):
            key = None
        if key is not None and key in self._seen:
            outcome = self._seen[key]
        else:
            try:
                outcome = grade_answer(question, answer, facts=facts)
            except ValueError as exc:
                outcome = exc
            if key is not None:
                self._seen[key] = outcome
        if isinstance(outcome, ValueError):
            raise outcome
        return outcome


def _grade_question(
    learner: str, notebook: str, question: Any, files: _LearnerFiles, reference: dict[str, Any], grades: _Grades
) -> GradeRow:
    def row(status: str, score: float = 0.0, **extra: Any) -> GradeRow:
        return GradeRow(learner, notebook, "question", question.id, status, score, 1.0, **extra)

    found = _locate_answer(row, notebook, question.id, files)
    if isinstance(found, GradeRow):
        return found
    record, source, answer = found
    checked = _answer_facts(row, notebook, question, record, reference)
    if isinstance(checked, GradeRow):
        return replace(checked, answer=_text(answer), source=source)
    facts, flag, issue = checked
    try:
        grade = grades(question, answer, facts)
    except ValueError as exc:
        return row("invalid", answer=_text(answer), flag="malformed", issue=printable(exc)[:200], source=source)
    if record is not None and not flag:
        flag, issue = _claim_issue(
            question, record, answer, grade, files.notebook_answers.get(notebook, {}), facts, grades
        )
    return row(
        _status(grade.score),
        grade.score,
        answer=_text(grade.answer),
        expected=_text(grade.expected),
        flag=flag,
        issue=issue,
        source=source,
    )


def _locate_answer(
    row: Callable[..., GradeRow], notebook: str, question_id: str, files: _LearnerFiles
) -> GradeRow | tuple[Any, str, Any]:
    """``(progress record or None, source file, answer)``: the progress file's answer wins over the notebook's;
    or the row of a question that has no answer to grade."""
    record = files.progress.get(notebook, {}).get("questions", {}).get(question_id)
    from_notebook = files.notebook_answers.get(notebook, {})
    if record is not None:
        source = files.progress_source[notebook]
        if not isinstance(record, dict) or "answer" not in record:
            return row("invalid", flag="malformed", issue="the progress record has no answer", source=source)
        return record, source, record["answer"]
    if question_id in from_notebook:
        return None, files.notebook_source[notebook], from_notebook[question_id]
    problem = files.notebook_problem.get(notebook, "")
    return row(
        "unanswered",
        flag="malformed" if problem else "",
        issue=problem,
        source=files.notebook_source.get(notebook, ""),
    )


def _answer_facts(
    row: Callable[..., GradeRow], notebook: str, question: Any, record: Any, reference: dict[str, Any]
) -> GradeRow | tuple[dict[str, float], str, str]:
    """``(facts, flag, issue)`` for grading a question whose key is a fact of the run (the reference's value wins
    over the file's, which is then flagged if it differs); or the row of a question that cannot be graded."""
    facts: dict[str, float] = {}
    if question.answer_fact is None:
        return facts, "", ""
    known = finite_number(reference.get(notebook, {}).get(question.answer_fact))
    stored = finite_number(record.get("expected")) if isinstance(record, dict) else None
    if known is not None:
        facts[question.answer_fact] = known
        if stored is not None and abs(stored - known) > question.tolerance + 1e-12:
            return facts, "tampered", f"the file's expected value {stored:g} differs from the reference {known:g}"
        return facts, "", ""
    if stored is not None:
        facts[question.answer_fact] = stored
        return facts, "", ""
    why = "no finite 'expected' value in the progress record" if record is not None else "needs the progress record"
    return row("invalid", flag="malformed", issue=f"cannot grade: {why}")


def _claim_issue(
    question: Any,
    record: dict[str, Any],
    answer: Any,
    grade: Any,
    from_notebook: dict[str, Any],
    facts: dict[str, float],
    grades: _Grades,
) -> tuple[str, str]:
    """``(flag, issue)``: a progress file claiming another score than its answer earns is tampered with; one whose
    answer differs from the notebook's (and grades differently) is in conflict with it."""
    claimed, claimed_correct = record.get("score"), record.get("correct")
    number = finite_number(claimed)
    if (claimed is not None and (number is None or abs(number - grade.score) > 1e-6)) or (
        claimed_correct is not None and claimed_correct is not grade.correct
    ):
        return "tampered", (
            f"the file claims score {_text(claimed)} (correct: {_text(claimed_correct)}) "
            f"but the answer earns {grade.score:g}"
        )
    if question.id in from_notebook and from_notebook[question.id] != answer:
        try:
            other = grades(question, from_notebook[question.id], facts).answer
        except ValueError:
            other = grade.answer
        if other != grade.answer:
            return "conflict", f"the notebook's quiz_answers say {_text(other)}; the progress file's answer is graded"
    return "", ""


@dataclass
class _Regrader:
    """Reruns exercise checks; seed-dependent ones only for the (seed, mode) pairs within the budget."""

    allowed: set[tuple[int, str]]
    budget: int
    # Learners with the same parameters mostly hand in the same right answer: each verdict is worked out once.
    verdicts: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def verdict(self, entry: Any, value: Any, parameters: tuple[int, str]) -> tuple[Any, str]:
        """``(feedback, "")`` from a rerun, or ``(None, why it was not rerun)``."""
        if entry is None or not entry.can_regrade or not entry.grader_reruns:
            return None, "not rerun by the grader (the check needs a full notebook run); the notebook's verdict is kept"
        if entry.seeded and parameters not in self.allowed:
            return None, (
                f"not rerun: seed {parameters[0]}, mode {parameters[1]} is beyond the {self.budget} parameter "
                "set(s) the grader rebuilds (--regrade-seeds); the notebook's verdict is kept"
            )
        try:
            key: tuple[Any, ...] | None = (
                entry.notebook,
                entry.exercise,
                parameters[0] if entry.seeded else None,  # a check that ignores the seed still depends on the mode
                parameters[1],
                json.dumps(value, sort_keys=True),
            )
        except (TypeError, ValueError, RecursionError):
            key = None
        if key is not None and key in self.verdicts:
            return self.verdicts[key], ""
        try:
            feedback = entry.check(value, seed=parameters[0], mode=parameters[1])
        except Exception as exc:  # rebuilding a seed's data can fail; that must not stop the class
            return None, f"not rerun: rebuilding the check for seed {parameters[0]} failed ({exc.__class__.__name__})"
        if key is not None:
            self.verdicts[key] = feedback
        return feedback, ""


def _exercise_parameters(record: dict[str, Any], files: _LearnerFiles, notebook: str) -> tuple[tuple[int, str], bool]:
    """The learner's (seed, mode) for this exercise, and whether the files said so (or it is assumed)."""
    if "seed" in record or "mode" in record:
        recorded = valid_parameters(record.get("seed"), record.get("mode", DEFAULT_PARAMETERS[1]))
        if recorded is not None:
            return recorded, True
    if notebook in files.notebook_parameters:
        return files.notebook_parameters[notebook], True
    return DEFAULT_PARAMETERS, False


def _grade_exercise(
    learner: str,
    notebook: str,
    exercise: Any,
    files: _LearnerFiles,
    regrader: _Regrader,
    reruns: dict[str, Any] | None = None,
) -> GradeRow:
    """A value exercise's check is rerun (:class:`_Regrader`); a code exercise's hidden tests only with ``reruns``."""
    from mlops_lab.exercise_registry import REGISTRY

    record = files.progress.get(notebook, {}).get("exercises", {}).get(exercise.id)
    source = files.progress_source.get(notebook, "")
    if getattr(exercise, "code", False):
        from mlops_lab.code_grading import grade_code_exercise

        rerun = (reruns or {}).get(f"{notebook}/{exercise.id}")
        return grade_code_exercise(
            learner, notebook, exercise, record, source=source, rerun=rerun, run_code=reruns is not None
        )
    entry = REGISTRY.get((notebook, exercise.id))
    fixed = entry is not None and not entry.seeded and entry.solve is not None
    expected = _text(entry.reference_solution() if fixed else None)
    base = {
        "learner": learner,
        "notebook": notebook,
        "kind": "exercise",
        "item": exercise.id,
        "max_score": 1.0,
        "source": source,
        "expected": expected,
    }
    if record is None:
        return GradeRow(status="unanswered", score=0.0, **base)
    if not isinstance(record, dict) or not isinstance(record.get("passed"), bool):
        return GradeRow(
            status="failed", score=0.0, flag="malformed", issue="the record has no true/false 'passed'", **base
        )
    value, claimed = record.get("value"), record["passed"]
    parameters, stated = _exercise_parameters(record, files, notebook)
    feedback, not_rerun = regrader.verdict(entry, value, parameters)
    flag = ""
    if feedback is None:
        passed, issue = claimed, not_rerun
    else:
        passed, issue = feedback.passed, ""
        if claimed and not passed:
            flag = "tampered" if stated else "unverified"
            assumed = "" if stated else " (no seed recorded: assumed 42, full)"
            issue = printable(
                f"marked passed, but the check rejects it for seed {parameters[0]}{assumed}: {feedback.message}"
            )[:300]
    return GradeRow(
        status="passed" if passed else "failed",
        score=1.0 if passed else 0.0,
        answer=_text(value),
        flag=flag,
        issue=issue,
        **base,
    )


def load_reference_facts(path: str | os.PathLike[str]) -> dict[str, dict[str, float]]:
    """Reference facts per notebook from YAML (``00_start_here: {test_rows: 3000}``); every value a finite number.

    A broken file raises :class:`ValueError` naming the file and the entry.
    """
    from mlops_lab.quiz import read_safe_yaml

    raw = read_safe_yaml(path)
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected 'notebook: {{fact: number}}' mappings")
    facts: dict[str, dict[str, float]] = {}
    for notebook, values in raw.items():
        if not isinstance(notebook, str) or not isinstance(values, dict):
            raise ValueError(f"{path}: {printable(notebook)[:60]}: expected a mapping of fact names to numbers")
        facts[notebook] = {}
        for fact, value in values.items():
            number = finite_number(value)
            if not isinstance(fact, str) or number is None:
                raise ValueError(
                    f"{path}: {notebook}.{printable(fact)[:60]}: {printable(repr(value))[:60]} is not a finite number"
                )
            facts[notebook][fact] = number
    return facts


def load_banks(banks_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Every bank in ``banks_dir`` by notebook name; one that does not validate raises :class:`QuizBankError`."""
    from mlops_lab.quiz import QuizBankError, load_bank

    banks_dir = Path(banks_dir)
    if not banks_dir.is_dir():
        raise QuizBankError(f"{banks_dir}: no such folder of quiz banks")
    banks = {}
    for path in sorted(banks_dir.glob("*.yaml")):
        try:
            bank = load_bank(path)
        except QuizBankError as exc:
            raise QuizBankError(" ".join(str(exc).split())) from None
        banks[bank.notebook] = bank
    return banks


def _regrade_budget(by_learner: dict[str, _LearnerFiles], banks: dict[str, Any], budget: int) -> set[tuple[int, str]]:
    """The ``budget`` (seed, mode) pairs most learners share (ties: smallest seed first)."""
    counts: Counter[tuple[int, str]] = Counter()
    for files in by_learner.values():
        for notebook in banks:
            for record in files.progress.get(notebook, {}).get("exercises", {}).values():
                if isinstance(record, dict):
                    counts[_exercise_parameters(record, files, notebook)[0]] += 1
    ranked = sorted(counts, key=lambda pair: (-counts[pair], pair))
    return set(ranked[: max(budget, 0)])


def grade_submissions(
    paths: Sequence[str | os.PathLike[str]],
    *,
    facts: dict[str, dict[str, float]] | None = None,
    banks_dir: str | os.PathLike[str] | None = None,
    regrade_seeds: int = DEFAULT_REGRADE_SEEDS,
    run_code: bool = False,
    rerun_limits: RerunLimits | None = None,
) -> Gradebook:
    """Grade every learner found under ``paths`` against the quiz banks; nothing is executed.

    Except with ``run_code``: then each learner's code exercises run again in a separate, limited
    process (:mod:`mlops_lab.code_rerun`, limits from ``rerun_limits``); without it their rows
    repeat the kernel's result, flagged ``unverified``.

    Every notebook with a bank that any learner submitted is graded for every learner, so a
    missing notebook shows as unanswered questions. ``facts`` are the instructor's reference values
    for ``answer_fact`` questions; ``banks_dir`` defaults to the workbook's ``quizzes/``. Exercise
    checks whose data depends on the seed are rerun for the ``regrade_seeds`` (seed, mode) pairs
    most learners share; other learners keep their notebook's verdict on those, with a note.
    A bank that does not validate raises :class:`mlops_lab.quiz.QuizBankError`.
    """
    from mlops_lab.quiz import quizzes_dir

    banks = load_banks(banks_dir or quizzes_dir())
    by_learner: dict[str, _LearnerFiles] = {}
    problems: list[GradeRow] = []
    seen_notebooks: set[str] = set()
    for sub in find_submissions(paths):
        files = by_learner.setdefault(sub.learner, _LearnerFiles())
        add = _add_progress if sub.kind == "progress" else _add_notebook
        seen_notebooks.update(add(sub, files, banks, problems))

    graded = {name: banks[name] for name in sorted(seen_notebooks)}
    regrader = _Regrader(_regrade_budget(by_learner, graded, regrade_seeds), regrade_seeds)
    grades = _Grades()
    reruns: dict[str, dict[str, Any]] | None = None
    if run_code:
        from mlops_lab.code_grading import rerun_class

        reruns = rerun_class({n: f.progress for n, f in by_learner.items()}, graded, limits=rerun_limits)
    rows: list[GradeRow] = []
    for learner in sorted(by_learner):
        files = by_learner[learner]
        for notebook, bank in graded.items():
            try:
                rows.extend(
                    [_grade_question(learner, notebook, q, files, facts or {}, grades) for q in bank.questions]
                    + [
                        _grade_exercise(
                            learner, notebook, e, files, regrader, None if reruns is None else reruns.get(learner, {})
                        )
                        for e in bank.exercises
                    ]
                )
            except Exception as exc:  # whatever one learner's file holds, the rest of the class is graded
                source = files.progress_source.get(notebook) or files.notebook_source.get(notebook, "")
                problems.append(
                    _file_row(
                        learner,
                        notebook,
                        Path(source),
                        "unreadable",
                        "malformed",
                        f"could not be graded: {exc.__class__.__name__}",
                    )
                )
        problems.extend(_unknown_questions(learner, files, graded))
    rows.extend(problems)
    rows.sort(key=lambda r: (r.learner, r.notebook, r.kind != "file", r.kind, r.item))
    return Gradebook(rows)


def _file_row(learner: str, notebook: str, path: Path, status: str, flag: str, issue: str) -> GradeRow:
    """A gradebook row about a whole file (unreadable, or partly ignored)."""
    return GradeRow(learner, notebook, "file", path.name, status, 0.0, 0.0, flag=flag, issue=issue, source=str(path))


def _some(names: Sequence[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _add_progress(sub: Submission, files: _LearnerFiles, banks: dict[str, Any], problems: list[GradeRow]) -> set[str]:
    """Take a progress file's sections of notebooks with a bank; the notebooks it covers."""
    try:
        data = read_progress_submission(sub.path)
    except (SubmissionError, OSError) as exc:
        problems.append(_file_row(sub.learner, "", sub.path, "unreadable", "corrupted", printable(exc)[:300]))
        return set()
    unknown = sorted(printable(n)[:40] for n in data["notebooks"] if n not in banks)
    if unknown:
        issue = f"sections for notebooks without a quiz bank: {_some(unknown)}"
        problems.append(_file_row(sub.learner, "", sub.path, "ignored", "", issue))
    seen = set()
    for notebook, section in data["notebooks"].items():
        if notebook not in banks:
            continue
        seen.add(notebook)
        if notebook in files.progress:
            issue = f"a second progress file for {notebook}; the first one is graded"
            problems.append(_file_row(sub.learner, notebook, sub.path, "ignored", "conflict", issue))
            continue
        files.progress[notebook] = section
        files.progress_source[notebook] = str(sub.path)
    return seen


def _add_notebook(sub: Submission, files: _LearnerFiles, banks: dict[str, Any], problems: list[GradeRow]) -> set[str]:
    """Take a submitted notebook's quiz answers and parameters, if it has a bank; the notebook, then."""
    from mlops_lab.quiz_answers import answers_for

    notebook = sub.path.stem
    if notebook not in banks:
        return set()  # a notebook without a quiz (or a stray file) has nothing to grade
    try:
        values, value_problems = read_notebook_parameters(sub.path)
    except (SubmissionError, OSError) as exc:
        problems.append(_file_row(sub.learner, notebook, sub.path, "unreadable", "corrupted", printable(exc)[:300]))
        return {notebook}
    answers, problem = answers_from(values, value_problems)
    files.notebook_source[notebook] = str(sub.path)
    # A quiz_answers value may hold several notebooks' answers: grade this notebook's part.
    files.notebook_answers[notebook] = answers_for(notebook, answers, notebooks=banks)
    if problem:
        files.notebook_problem[notebook] = problem
    parameters = parameters_from(values)
    if parameters is not None:
        files.notebook_parameters[notebook] = parameters
    return {notebook}


def _unknown_questions(learner: str, files: _LearnerFiles, graded: dict[str, Any]) -> list[GradeRow]:
    """A row for each progress section that answers questions its bank does not have."""
    rows = []
    for notebook, section in files.progress.items():
        unknown = sorted(
            printable(q)[:40] for q in section.get("questions", {}) if not _has_question(graded[notebook], q)
        )
        if unknown:
            path = Path(files.progress_source[notebook])
            rows.append(
                _file_row(
                    learner, notebook, path, "ignored", "", f"answers to questions not in the bank: {_some(unknown)}"
                )
            )
    return rows


def _has_question(bank: Any, question_id: str) -> bool:
    return any(q.id == question_id for q in bank.questions)


def read_gradebook(path: str | os.PathLike[str]) -> Gradebook:
    """A gradebook CSV written by :meth:`Gradebook.write_csv`; anything else raises :class:`ValueError`."""
    path = Path(path)
    expected = [f.name for f in fields(GradeRow)]
    rows = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames != expected:
                raise ValueError(f"{path}: not a gradebook (columns {reader.fieldnames}, expected {expected})")
            for record in reader:
                line = reader.line_num
                cells = {k: _from_csv_cell(record.get(k) or "") for k in expected}
                try:
                    score, max_score = float(cells["score"] or 0), float(cells["max_score"] or 0)
                except ValueError:
                    raise ValueError(f"{path}: line {line}: score or max_score is not a number") from None
                if not (math.isfinite(score) and math.isfinite(max_score)):
                    raise ValueError(f"{path}: line {line}: score or max_score is not a finite number")
                rows.append(GradeRow(**{**cells, "score": score, "max_score": max_score}))  # type: ignore[arg-type]
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (offset {exc.start})") from None
    except csv.Error as exc:
        raise ValueError(f"{path}: not a readable CSV file ({exc})") from None
    return Gradebook(rows)
