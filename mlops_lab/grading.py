"""Grading: a gradebook per learner, notebook and question, read from files, never by running them.

A submission is a learner's ``progress.json`` (what the quiz widgets and exercises stored) and/or
their executed notebooks (the ``quiz_answers`` value in the ``parameters`` / ``injected-parameters``
cells). The grader reads both as data: JSON with ``json``, cell values with ``ast.literal_eval``,
which accepts literals only, so an answer cell holding code is reported, never run. Every answer
is graded again against the quiz bank with :func:`mlops_lab.quiz.grade_answer`; the score stored in
the file is only compared, and a disagreement is flagged as tampering.

Numeric questions answered from the learner's own results (``answer_fact``) are graded against
the ``expected`` value their progress record stored when the notebook ran. That value comes from
the learner's machine, so the grader checks it is a finite number and, when the instructor gives
reference facts (``facts``, e.g. from a batch run of the same parameters), compares it with them:
a different stored value is flagged as tampered and the reference is used instead.

A corrupted, truncated or tampered file is reported in that learner's rows; the other learners
(and the learner's other files) are graded as usual.
"""

from __future__ import annotations

import ast
import csv
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from mlops_lab.progress import PROGRESS_FILE, ProgressFileError, read_progress

MAX_FILE_BYTES = 50_000_000
_WORKSPACE_DIR = "workspace"
_SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__", ".git"}


@dataclass(frozen=True)
class Submission:
    """One file a learner handed in: a progress file or an executed notebook."""

    learner: str
    path: Path
    kind: str  # "progress" | "notebook"


@dataclass(frozen=True)
class GradeRow:
    """One line of the gradebook.

    ``status`` is correct / partial / wrong / unanswered / invalid (questions), passed / failed /
    unanswered (exercises), or unreadable (a whole file). ``flag`` is empty, or one of malformed,
    tampered, corrupted, conflict, unverified, with the details in ``issue``.
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
            writer.writerows(asdict(r) for r in self.rows)
        return path

    @property
    def learners(self) -> list[str]:
        return sorted({r.learner for r in self.rows})

    @property
    def flagged(self) -> list[GradeRow]:
        return [r for r in self.rows if r.flag]

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
            lines.append(f"{t['learner']:<20}{t['notebook']:<24}{quiz:>10}{exercises:>11}{t['flags']:>7}")
        for r in self.flagged:
            where = "/".join(p for p in (r.notebook, r.item) if p)
            lines.append(f"{r.flag.upper()} {r.learner} {where}: {r.issue}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Finding submissions


def _learner_from_folder(folder: Path) -> str:
    return folder.parent.name if folder.name == _WORKSPACE_DIR else folder.name


def find_submissions(paths: Iterable[str | os.PathLike[str]]) -> list[Submission]:
    """The progress files and notebooks under ``paths``, each with the learner it belongs to.

    A folder holds either one learner (its files directly inside, or in ``workspace/``) or one
    sub-folder per learner (a batch output folder, or a folder of collected submissions). A file
    given directly belongs to the folder it is in; a progress file with another name than
    ``progress.json`` (``alice.json``) to the learner its name says.
    """
    found: list[Submission] = []
    for root in map(Path, paths):
        if root.is_file():
            kind = "notebook" if root.suffix == ".ipynb" else "progress"
            learner = (
                root.stem
                if kind == "progress" and root.name != PROGRESS_FILE
                else _learner_from_folder(root.resolve().parent)
            )
            found.append(Submission(learner, root, kind))
            continue
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: no such file or folder")
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if not path.is_file() or path.is_symlink() or _SKIPPED_DIRS & set(rel.parts):
                continue
            if path.name == PROGRESS_FILE:
                kind = "progress"
            elif path.suffix == ".ipynb":
                kind = "notebook"
            else:
                continue
            top = rel.parts[0] if len(rel.parts) > 1 else ""
            learner = top if top and top != _WORKSPACE_DIR else _learner_from_folder(root.resolve())
            found.append(Submission(learner, path, kind))
    return found


# ---------------------------------------------------------------------------------------------
# Reading answers without executing anything


class SubmissionError(ValueError):
    """A file that cannot be read as a submission (its message says why)."""


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SubmissionError(f"larger than {MAX_FILE_BYTES // 1_000_000} MB")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"not UTF-8 text ({exc.reason})") from None


def read_parameter_values(source: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The values assigned in a parameters cell, read with ``ast.literal_eval`` (never executed).

    Returns ``(values, problems)``: a name assigned something other than a literal (a call, a name,
    an expression) lands in ``problems`` with the reason.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise SubmissionError(f"the parameters cell is not valid Python ({exc.__class__.__name__})") from None
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            try:
                values[target.id] = ast.literal_eval(value)
                problems.pop(target.id, None)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                values.pop(target.id, None)
                problems[target.id] = f"`{ast.unparse(value)[:80]}` is code, not a plain value; it was not run"
    return values, problems


def read_notebook_answers(path: Path) -> tuple[dict[str, Any] | None, str]:
    """``quiz_answers`` from an executed notebook (the injected value wins over the default), and any problem."""
    try:
        notebook = json.loads(_read_text(path))
    except ValueError as exc:
        raise SubmissionError(f"not a readable notebook ({exc})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise SubmissionError("not a notebook (no list of cells)")
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    # papermill puts the injected cell after the parameters cell; reading in order lets it win, as it does when run.
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata")
        tags = metadata.get("tags") if isinstance(metadata, dict) else None
        if not isinstance(tags, list) or not (
            {"parameters", "injected-parameters"} & {t for t in tags if isinstance(t, str)}
        ):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        cell_values, cell_problems = read_parameter_values(source)
        for name in cell_values:
            problems.pop(name, None)
        values.update(cell_values)
        problems.update(cell_problems)
    if "quiz_answers" in problems:
        return None, f"quiz_answers: {problems['quiz_answers']}"
    answers = values.get("quiz_answers", {})
    if not isinstance(answers, dict) or not all(isinstance(k, str) for k in answers):
        return None, f"quiz_answers is not a mapping of question ids to answers: {answers!r:.80}"
    return answers, ""


def _read_progress_file(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SubmissionError(f"larger than {MAX_FILE_BYTES // 1_000_000} MB")
    try:
        data = read_progress(path)
    except ProgressFileError as exc:
        raise SubmissionError(str(exc).removeprefix(f"{path}: ")) from None
    for notebook, section in data["notebooks"].items():
        if not isinstance(section, dict) or not all(
            isinstance(section.get(k, {}), dict) for k in ("questions", "exercises")
        ):
            raise SubmissionError(f"notebook {notebook!r}: not a mapping of questions and exercises")
    return data


# ---------------------------------------------------------------------------------------------
# Grading


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _finite_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass
class _LearnerFiles:
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)  # notebook -> section
    progress_source: dict[str, str] = field(default_factory=dict)
    notebook_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    notebook_source: dict[str, str] = field(default_factory=dict)
    notebook_problem: dict[str, str] = field(default_factory=dict)


def _status(score: float) -> str:
    return "correct" if score >= 1 else ("partial" if score > 0 else "wrong")


def _grade_question(
    learner: str, notebook: str, question: Any, files: _LearnerFiles, reference: dict[str, Any]
) -> GradeRow:
    from mlops_lab.quiz import grade_answer

    def row(status: str, score: float = 0.0, **extra: Any) -> GradeRow:
        return GradeRow(learner, notebook, "question", question.id, status, score, 1.0, **extra)

    record = files.progress.get(notebook, {}).get("questions", {}).get(question.id)
    from_notebook = files.notebook_answers.get(notebook, {})
    if record is not None:
        source = files.progress_source[notebook]
        if not isinstance(record, dict) or "answer" not in record:
            return row("invalid", flag="malformed", issue="the progress record has no answer", source=source)
        answer = record["answer"]
    elif question.id in from_notebook:
        source, answer = files.notebook_source[notebook], from_notebook[question.id]
        if isinstance(answer, dict):
            return row(
                "invalid",
                answer=_text(answer),
                flag="malformed",
                issue="an answer-key placeholder, not an answer",
                source=source,
            )
    else:
        problem = files.notebook_problem.get(notebook, "")
        return row(
            "unanswered",
            flag="malformed" if problem else "",
            issue=problem,
            source=files.notebook_source.get(notebook, ""),
        )

    facts: dict[str, float] = {}
    flag = issue = ""
    if question.answer_fact is not None:
        known = _finite_number(reference.get(notebook, {}).get(question.answer_fact))
        stored = _finite_number(record.get("expected")) if isinstance(record, dict) else None
        if known is not None:
            facts[question.answer_fact] = known
            if stored is not None and abs(stored - known) > question.tolerance + 1e-12:
                flag, issue = "tampered", f"the file's expected value {stored:g} differs from the reference {known:g}"
        elif stored is not None:
            facts[question.answer_fact] = stored
        else:
            why = (
                "no finite 'expected' value in the progress record"
                if record is not None
                else "needs the progress record"
            )
            return row("invalid", answer=_text(answer), flag="malformed", issue=f"cannot grade: {why}", source=source)
    try:
        grade = grade_answer(question, answer, facts=facts)
    except ValueError as exc:
        return row("invalid", answer=_text(answer), flag="malformed", issue=str(exc), source=source)

    if record is not None and not flag:
        claimed, claimed_correct = record.get("score"), record.get("correct")
        number = _finite_number(claimed)
        if (claimed is not None and (number is None or abs(number - grade.score) > 1e-6)) or (
            claimed_correct is not None and claimed_correct is not grade.correct
        ):
            flag = "tampered"
            issue = (
                f"the file claims score {claimed!r} (correct: {claimed_correct!r}) but the answer earns {grade.score:g}"
            )
    if (
        record is not None
        and not flag
        and question.id in from_notebook
        and not isinstance(from_notebook[question.id], dict)
    ):
        try:
            other = grade_answer(question, from_notebook[question.id], facts=facts).answer
        except ValueError:
            other = grade.answer
        if other != grade.answer:
            flag = "conflict"
            issue = f"the notebook's quiz_answers say {_text(other)}; the progress file's answer is graded"
    return row(
        _status(grade.score),
        grade.score,
        answer=_text(grade.answer),
        expected=_text(grade.expected),
        flag=flag,
        issue=issue,
        source=source,
    )


def _grade_exercise(learner: str, notebook: str, exercise: Any, files: _LearnerFiles) -> GradeRow:
    record = files.progress.get(notebook, {}).get("exercises", {}).get(exercise.id)
    source = files.progress_source.get(notebook, "")
    base = {
        "learner": learner,
        "notebook": notebook,
        "kind": "exercise",
        "item": exercise.id,
        "max_score": 1.0,
        "source": source,
    }
    if record is None:
        return GradeRow(status="unanswered", score=0.0, **base)
    if not isinstance(record, dict) or not isinstance(record.get("passed"), bool):
        return GradeRow(
            status="failed", score=0.0, flag="malformed", issue="the record has no true/false 'passed'", **base
        )
    value, passed = record.get("value"), record["passed"]
    flag = issue = ""
    number, reference = _finite_number(value), _finite_number(exercise.solution)
    differs = (
        not math.isclose(number, reference, rel_tol=0.01, abs_tol=1e-9)
        if number is not None and reference is not None
        else _text(value) != _text(exercise.solution)
    )
    if passed and differs:
        flag = "unverified"
        issue = "marked passed with a value that differs from the reference solution (checks are not rerun)"
    return GradeRow(
        status="passed" if passed else "failed",
        score=1.0 if passed else 0.0,
        answer=_text(value),
        expected=_text(exercise.solution),
        flag=flag,
        issue=issue,
        **base,
    )


def load_reference_facts(path: str | os.PathLike[str]) -> dict[str, dict[str, float]]:
    """Reference facts per notebook from YAML (``00_start_here: {n_rows: 12000}``)."""
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the reference facts ({exc})") from None
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ValueError(f"{path}: expected 'notebook: {{fact: number}}' mappings")
    return raw


def grade_submissions(
    paths: Sequence[str | os.PathLike[str]],
    *,
    facts: dict[str, dict[str, float]] | None = None,
    banks_dir: str | os.PathLike[str] | None = None,
) -> Gradebook:
    """Grade every learner found under ``paths`` against the quiz banks; nothing is executed.

    Every notebook that any learner submitted is graded for every learner, so a missing
    notebook shows as unanswered questions. ``facts`` are the instructor's reference values for
    ``answer_fact`` questions; ``banks_dir`` defaults to the workbook's ``quizzes/``.
    """
    from mlops_lab.quiz import QuizBankError, answers_for, bank_question_ids, load_bank, quizzes_dir

    banks_dir = Path(banks_dir) if banks_dir else quizzes_dir()
    all_banks = bank_question_ids(banks_dir)
    reference = facts or {}
    by_learner: dict[str, _LearnerFiles] = {}
    problems: list[GradeRow] = []
    seen_notebooks: set[str] = set()

    def note(learner: str, notebook: str, path: Path, status: str, flag: str, issue: str) -> None:
        problems.append(
            GradeRow(learner, notebook, "file", path.name, status, 0.0, 0.0, flag=flag, issue=issue, source=str(path))
        )

    for sub in find_submissions(paths):
        files = by_learner.setdefault(sub.learner, _LearnerFiles())
        if sub.kind == "progress":
            try:
                data = _read_progress_file(sub.path)
            except (SubmissionError, OSError) as exc:
                note(sub.learner, "", sub.path, "unreadable", "corrupted", str(exc))
                continue
            for notebook, section in data["notebooks"].items():
                seen_notebooks.add(notebook)
                if notebook in files.progress:
                    note(
                        sub.learner,
                        notebook,
                        sub.path,
                        "ignored",
                        "conflict",
                        f"a second progress file for {notebook}; the first one is graded",
                    )
                    continue
                files.progress[notebook] = section
                files.progress_source[notebook] = str(sub.path)
        else:
            notebook = sub.path.stem
            try:
                answers, problem = read_notebook_answers(sub.path)
            except (SubmissionError, OSError) as exc:
                note(sub.learner, notebook, sub.path, "unreadable", "corrupted", str(exc))
                seen_notebooks.add(notebook)
                continue
            seen_notebooks.add(notebook)
            files.notebook_source[notebook] = str(sub.path)
            # A quiz_answers value may hold several notebooks' answers: grade this notebook's part.
            files.notebook_answers[notebook] = answers_for(notebook, answers, notebooks=all_banks)
            if problem:
                files.notebook_problem[notebook] = problem

    banks = {}
    for notebook in sorted(seen_notebooks):
        try:
            banks[notebook] = load_bank(banks_dir / f"{notebook}.yaml")
        except QuizBankError:
            continue  # a notebook without a quiz (or a stray file) has nothing to grade
    rows: list[GradeRow] = []
    for learner in sorted(by_learner):
        files = by_learner[learner]
        for notebook, bank in banks.items():
            rows.extend(_grade_question(learner, notebook, q, files, reference) for q in bank.questions)
            rows.extend(_grade_exercise(learner, notebook, e, files) for e in bank.exercises)
        for notebook, section in files.progress.items():
            if notebook in banks:
                unknown = sorted(set(section.get("questions", {})) - {q.id for q in banks[notebook].questions})
                if unknown:
                    path = Path(files.progress_source[notebook])
                    note(
                        learner,
                        notebook,
                        path,
                        "ignored",
                        "",
                        f"answers to questions not in the bank: {', '.join(unknown)}",
                    )
    rows.extend(problems)
    rows.sort(key=lambda r: (r.learner, r.notebook, r.kind != "file", r.kind, r.item))
    return Gradebook(rows)


def read_gradebook(path: str | os.PathLike[str]) -> Gradebook:
    """A gradebook CSV written by :meth:`Gradebook.write_csv`."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        expected = [f.name for f in fields(GradeRow)]
        if reader.fieldnames != expected:
            raise ValueError(f"{path}: not a gradebook (columns {reader.fieldnames}, expected {expected})")
        rows = [
            GradeRow(**{**r, "score": float(r["score"] or 0), "max_score": float(r["max_score"] or 0)})  # type: ignore[arg-type]
            for r in reader
        ]
    return Gradebook(rows)
