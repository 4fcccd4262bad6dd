"""Grading: a gradebook per learner, notebook and question, read from files, never by running them.

A submission is a learner's ``progress.json`` (what the quiz widgets and exercises stored) and/or
their executed notebooks (the ``quiz_answers``, ``seed`` and ``mode`` values in the ``parameters`` /
``injected-parameters`` cells). The grader reads both as data: JSON with ``json``, cell values with
``ast.literal_eval``, which accepts literals only, so an answer cell holding code is reported, never
run. Every answer is graded again against the quiz bank with :func:`mlops_lab.quiz.grade_answer`;
the score stored in the file is only compared, and a disagreement is flagged as tampering.

Exercises are graded again too: their values are plain data and their checks are the package's
own code (:mod:`mlops_lab.exercise_checks`), so each check is rerun on the stored value for the
learner's own ``seed`` and ``mode``. A claimed pass the check rejects is flagged ``tampered``.

Numeric questions answered from the learner's own results (``answer_fact``) are graded against
the ``expected`` value their progress record stored when the notebook ran. That value comes from
the learner's machine, so the grader checks it is a finite number and, when the instructor gives
reference facts (``facts``, e.g. from a batch run of the same parameters), compares it with them:
a different stored value is flagged as tampered and the reference is used instead.

One learner's file only ever affects that learner's rows: a file larger than
:data:`MAX_FILE_BYTES` is refused before it is parsed, anything unreadable, too deep, or of an
unexpected type is reported as ``corrupted`` or ``malformed`` with a one-line reason, and the other
learners are graded as usual. Notebook and question names read from a file are only ever looked
up among the known banks, never turned into paths. The instructor's own inputs (the banks, the
facts file) are different: a broken one stops the grading with an error naming the file and entry.
"""

from __future__ import annotations

import ast
import csv
import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_lab.errors import SubmissionError
from mlops_lab.progress import PROGRESS_FILE

if TYPE_CHECKING:
    from mlops_lab.code_rerun import RerunLimits

MAX_FILE_BYTES = 20_000_000
"""Largest progress file or notebook read; an executed workbook notebook is well under 1 MB."""
MAX_PARAMETER_CELL_CHARS = 100_000
"""Largest parameters cell parsed: quiz answers and solutions take a few hundred characters."""
MAX_SHOWN_CHARS = 300
"""Learner text kept in a gradebook cell (an answer, a value); longer text is cut with an ellipsis."""
DEFAULT_REGRADE_SEEDS = 8
"""How many distinct (seed, mode) pairs the grader rebuilds seed-dependent exercise checks for."""
DEFAULT_PARAMETERS = (42, "full")
_WORKSPACE_DIR = "workspace"
_SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__", ".git"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


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


def printable(text: Any) -> str:
    """``text`` safe for a terminal: control characters and escape sequences shown as ``\\x1b``, never sent."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


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
# Finding submissions


def _learner_from_folder(folder: Path) -> str:
    return folder.parent.name if folder.name == _WORKSPACE_DIR else folder.name


def find_submissions(paths: Iterable[str | os.PathLike[str]]) -> list[Submission]:
    """The progress files and notebooks under ``paths``, each with the learner it belongs to.

    A folder holds either one learner (its files directly inside, or in ``workspace/``) or one
    sub-folder per learner (a batch output folder, or a folder of collected submissions). A file
    given directly belongs to the folder it is in; a progress file with another name than
    ``progress.json`` (``alice.json``) to the learner its name says. Symbolic links are skipped.
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


def _load_json(path: Path) -> Any:
    """JSON of a file of at most :data:`MAX_FILE_BYTES`, refused before parsing when larger."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SubmissionError(f"larger than the {MAX_FILE_BYTES // 1_000_000} MB limit; not read")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        # Over-long integer literals (ValueError) and very deep nesting (RecursionError).
        raise SubmissionError(f"not readable JSON ({exc.__class__.__name__}: {printable(exc)[:80]})") from None


def read_parameter_values(source: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The values assigned in a parameters cell, read with ``ast.literal_eval`` (never executed).

    Returns ``(values, problems)``: a name assigned something other than a literal (a call, a name,
    an expression) lands in ``problems`` with the reason.
    """
    if len(source) > MAX_PARAMETER_CELL_CHARS:
        raise SubmissionError(f"the parameters cell is longer than {MAX_PARAMETER_CELL_CHARS:,} characters")
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
                try:
                    shown = ast.unparse(value)[:80]
                except (RecursionError, ValueError):
                    shown = type(value).__name__
                problems[target.id] = f"`{printable(shown)}` is code, not a plain value; it was not run"
    return values, problems


def read_notebook_parameters(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The values of an executed notebook's parameters cells (the injected ones win, as when it ran)."""
    notebook = _load_json(path)
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
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise SubmissionError("a parameters cell's source is not text")
        cell_values, cell_problems = read_parameter_values(source)
        for name in cell_values:
            problems.pop(name, None)
        values.update(cell_values)
        problems.update(cell_problems)
    return values, problems


def read_notebook_answers(path: Path) -> tuple[dict[str, Any] | None, str]:
    """``quiz_answers`` from an executed notebook (the injected value wins over the default), and any problem."""
    values, problems = read_notebook_parameters(path)
    return _answers_from(values, problems)


def _answers_from(values: dict[str, Any], problems: dict[str, str]) -> tuple[dict[str, Any] | None, str]:
    if "quiz_answers" in problems:
        return None, f"quiz_answers: {problems['quiz_answers']}"
    answers = values.get("quiz_answers", {})
    if not isinstance(answers, dict) or not all(isinstance(k, str) for k in answers):
        return None, f"quiz_answers is not a mapping of question ids to answers (a {type(answers).__name__})"
    return answers, ""


def _parameters_from(values: dict[str, Any]) -> tuple[int, str] | None:
    seed, mode = values.get("seed", DEFAULT_PARAMETERS[0]), values.get("mode", DEFAULT_PARAMETERS[1])
    return _valid_parameters(seed, mode)


def _valid_parameters(seed: Any, mode: Any) -> tuple[int, str] | None:
    from mlops_lab.exercise_checks import MODES

    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32 or mode not in MODES:
        return None
    return seed, mode


def read_progress_submission(path: Path) -> dict[str, Any]:
    """A learner's progress file, size-bounded and checked; :class:`SubmissionError` says why it is not one."""
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("notebooks"), dict):
        raise SubmissionError("not a progress file (no 'notebooks' mapping)")
    for notebook, section in data["notebooks"].items():
        if not isinstance(section, dict) or not all(
            isinstance(section.get(k, {}), dict) for k in ("questions", "exercises")
        ):
            raise SubmissionError(f"notebook {printable(notebook)[:60]!r}: not a mapping of questions and exercises")
    return data


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

    record = files.progress.get(notebook, {}).get("questions", {}).get(question.id)
    from_notebook = files.notebook_answers.get(notebook, {})
    if record is not None:
        source = files.progress_source[notebook]
        if not isinstance(record, dict) or "answer" not in record:
            return row("invalid", flag="malformed", issue="the progress record has no answer", source=source)
        answer = record["answer"]
    elif question.id in from_notebook:
        source, answer = files.notebook_source[notebook], from_notebook[question.id]
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
        known = finite_number(reference.get(notebook, {}).get(question.answer_fact))
        stored = finite_number(record.get("expected")) if isinstance(record, dict) else None
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
        grade = grades(question, answer, facts)
    except ValueError as exc:
        return row("invalid", answer=_text(answer), flag="malformed", issue=printable(exc)[:200], source=source)

    if record is not None and not flag:
        claimed, claimed_correct = record.get("score"), record.get("correct")
        number = finite_number(claimed)
        if (claimed is not None and (number is None or abs(number - grade.score) > 1e-6)) or (
            claimed_correct is not None and claimed_correct is not grade.correct
        ):
            flag = "tampered"
            issue = (
                f"the file claims score {_text(claimed)} (correct: {_text(claimed_correct)}) "
                f"but the answer earns {grade.score:g}"
            )
    if record is not None and not flag and question.id in from_notebook and from_notebook[question.id] != answer:
        try:
            other = grades(question, from_notebook[question.id], facts).answer
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
        recorded = _valid_parameters(record.get("seed"), record.get("mode", DEFAULT_PARAMETERS[1]))
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
    from mlops_lab.exercise_checks import REGISTRY

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
    """Reference facts per notebook from YAML (``00_start_here: {n_rows: 12000}``); every value a finite number.

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
    from mlops_lab.quiz import answers_for, quizzes_dir

    banks = load_banks(banks_dir or quizzes_dir())
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
                data = read_progress_submission(sub.path)
            except (SubmissionError, OSError) as exc:
                note(sub.learner, "", sub.path, "unreadable", "corrupted", printable(exc)[:300])
                continue
            unknown = sorted(printable(n)[:40] for n in data["notebooks"] if n not in banks)
            if unknown:
                shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
                note(sub.learner, "", sub.path, "ignored", "", f"sections for notebooks without a quiz bank: {shown}")
            for notebook, section in data["notebooks"].items():
                if notebook not in banks:
                    continue
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
            if notebook not in banks:
                continue  # a notebook without a quiz (or a stray file) has nothing to grade
            seen_notebooks.add(notebook)
            try:
                values, value_problems = read_notebook_parameters(sub.path)
            except (SubmissionError, OSError) as exc:
                note(sub.learner, notebook, sub.path, "unreadable", "corrupted", printable(exc)[:300])
                continue
            answers, problem = _answers_from(values, value_problems)
            files.notebook_source[notebook] = str(sub.path)
            # A quiz_answers value may hold several notebooks' answers: grade this notebook's part.
            files.notebook_answers[notebook] = answers_for(notebook, answers, notebooks=banks)
            if problem:
                files.notebook_problem[notebook] = problem
            parameters = _parameters_from(values)
            if parameters is not None:
                files.notebook_parameters[notebook] = parameters

    graded = {name: banks[name] for name in sorted(seen_notebooks)}
    regrader = _Regrader(_regrade_budget(by_learner, graded, regrade_seeds), regrade_seeds)
    grades = _Grades()
    reruns: dict[str, dict[str, Any]] = {}
    if run_code:
        from mlops_lab.code_grading import rerun_class

        reruns = rerun_class({n: f.progress for n, f in by_learner.items()}, graded, limits=rerun_limits)
    rows: list[GradeRow] = []
    for learner in sorted(by_learner):
        files = by_learner[learner]
        for notebook, bank in graded.items():
            try:
                rows.extend(
                    [_grade_question(learner, notebook, q, files, reference, grades) for q in bank.questions]
                    + [
                        _grade_exercise(
                            learner, notebook, e, files, regrader, reruns.get(learner, {}) if run_code else None
                        )
                        for e in bank.exercises
                    ]
                )
            except Exception as exc:  # whatever one learner's file holds, the rest of the class is graded
                source = files.progress_source.get(notebook) or files.notebook_source.get(notebook, "")
                note(
                    learner,
                    notebook,
                    Path(source),
                    "unreadable",
                    "malformed",
                    f"could not be graded: {exc.__class__.__name__}",
                )
        for notebook, section in files.progress.items():
            unknown = sorted(
                printable(q)[:40] for q in section.get("questions", {}) if not _has_question(graded[notebook], q)
            )
            if unknown:
                shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
                path = Path(files.progress_source[notebook])
                note(learner, notebook, path, "ignored", "", f"answers to questions not in the bank: {shown}")
    rows.extend(problems)
    rows.sort(key=lambda r: (r.learner, r.notebook, r.kind != "file", r.kind, r.item))
    return Gradebook(rows)


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
