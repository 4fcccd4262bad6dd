"""Quizzes: YAML question banks, a strict loader, grading, and an interactive quiz widget.

One bank per notebook, ``quizzes/<notebook>.yaml``::

    notebook: 00_start_here
    questions:
      - id: level-0
        type: single            # single | multiple | numeric
        objective: Recognise maturity level 0
        text: Which characteristic ...?
        options:
          - {key: a, text: ..., correct: true, explanation: Why this is right}
          - {key: b, text: ..., explanation: Why this is wrong}
      - id: best-auc
        type: numeric
        objective: Read a result off your own runs
        text: What ROC AUC did your best run reach?
        answer_fact: best_auc   # or: answer: 0.81
        tolerance: 0.005
        explanation: Where to find it
    exercises:
      - id: split-month
        objective: ...
        prompt: ...
        solution: 6             # injected by CI through papermill's `solutions`
      - id: validate-batch      # a code exercise (mlops_lab.code_exercises): the reference as text
        objective: ...
        prompt: ...
        solution_code: |
          def validate_batch(batch): ...

A translated edition's bank, ``quizzes/<language>/<notebook>.yaml`` (``quizzes/es/``), has the
same schema and is checked against its English twin: same question and exercise ids in the same
order, same types, option keys and order, ``correct`` flags, answers, tolerances, facts and
solutions; only the words differ. So grading, which reads the English banks, is the same for
learners of every edition.

A quiz works three ways: interactively with ipywidgets (choose, check, feedback on every
option); headless, answered through the notebook's ``quiz_answers`` parameter with a
stable text result; and stored in the workspace's progress file for grading.

Each learner sees the options in their own order (:func:`option_order`, from their seed and
the question), shown with the bank's keys: answers are stored, graded and discussed by key.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlops_lab.errors import QuizBankError
from mlops_lab.i18n import LANGUAGES, check_language, message
from mlops_lab.progress import Progress

QUESTION_TYPES = ("single", "multiple", "numeric")
# Bounds that keep a bank small enough to read, show and grade in no time, whatever it holds.
MAX_BANK_BYTES = 1_000_000
MAX_ITEMS = 200  # questions, exercises, or options of one question
MAX_TEXT_CHARS = 5_000
MAX_SOLUTION_CHARS = 20_000
MAX_SOLUTION_DEPTH = 10
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_BANK_KEYS = {"notebook", "title", "questions", "exercises"}
_QUESTION_KEYS = {"id", "type", "objective", "text", "options", "answer", "answer_fact", "tolerance", "explanation"}
_OPTION_KEYS = {"key", "text", "correct", "explanation"}
_EXERCISE_KEYS = {"id", "objective", "prompt", "solution", "solution_code"}


@dataclass(frozen=True)
class Option:
    key: str
    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    objective: str
    text: str
    options: tuple[Option, ...] = ()
    answer: float | None = None
    answer_fact: str | None = None
    tolerance: float = 0.0
    explanation: str = ""

    @functools.cached_property
    def correct_keys(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.options if o.correct)


@dataclass(frozen=True)
class Exercise:
    id: str
    objective: str
    prompt: str
    solution: Any
    code: bool = False  # a code exercise: ``solution`` is the reference function's source text


@dataclass(frozen=True)
class QuizBank:
    notebook: str
    path: Path
    questions: tuple[Question, ...]
    exercises: tuple[Exercise, ...] = ()
    title: str = ""

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"{self.path}: no question {question_id!r}")

    def answer_key(self, facts: dict[str, float] | None = None) -> dict[str, Any]:
        """The correct answers, in the form the ``quiz_answers`` parameter takes."""
        key: dict[str, Any] = {}
        for q in self.questions:
            if q.type == "single":
                key[q.id] = q.correct_keys[0]
            elif q.type == "multiple":
                key[q.id] = list(q.correct_keys)
            elif q.answer_fact is None:
                key[q.id] = q.answer
            elif facts and q.answer_fact in facts:
                key[q.id] = facts[q.answer_fact]
            # Without the facts there is no right number yet, so the question is left out: a stand-in
            # value must never be something a learner could hand in as an answer.
        return key

    def solutions(self) -> dict[str, Any]:
        """The reference solutions, in the form the ``solutions`` parameter takes."""
        return {e.id: e.solution for e in self.exercises}


def option_order(question: Question, *, learner: int | str | None, notebook: str = "") -> tuple[Option, ...]:
    """The options of ``question`` in the order ``learner`` (a seed or a name) sees them.

    Each option is ranked by the SHA-256 of learner, notebook, question id and option key: the same
    order on every machine and Python (``hash()`` changes per process), and a different one for
    another learner. ``None`` keeps the bank's order.
    """
    if learner is None:
        return question.options

    def rank(option: Option) -> str:
        return hashlib.sha256(f"{learner}\x1f{notebook}\x1f{question.id}\x1f{option.key}".encode()).hexdigest()

    return tuple(sorted(question.options, key=rank))


def shuffled(bank: QuizBank, *, learner: int | str | None) -> QuizBank:
    """``bank`` with every question's options in ``learner``'s order (keys and grading unchanged)."""
    questions = tuple(
        replace(q, options=option_order(q, learner=learner, notebook=bank.notebook)) for q in bank.questions
    )
    return replace(bank, questions=questions)


def quizzes_dir() -> Path:
    """Where the banks live: ``$MLOPS_LAB_QUIZZES``, else ``quizzes/`` at the top of the workbook."""
    if "MLOPS_LAB_QUIZZES" in os.environ:
        return Path(os.environ["MLOPS_LAB_QUIZZES"])
    return Path(__file__).resolve().parent.parent / "quizzes"


def bank_path(notebook: str, *, language: str = "en") -> Path:
    """The bank of ``notebook`` in ``language``: ``quizzes/<notebook>.yaml``, or ``quizzes/es/<notebook>.yaml``."""
    language = check_language(language)
    folder = quizzes_dir() if language == "en" else quizzes_dir() / language
    return folder / f"{notebook}.yaml"


def english_twin(path: str | os.PathLike[str]) -> Path | None:
    """The English bank a translated bank must match (``quizzes/es/X.yaml`` -> ``quizzes/X.yaml``), else None."""
    path = Path(path)
    return path.parent.parent / path.name if path.parent.name in LANGUAGES[1:] else None


def _fail(path: Path, where: str, message: str) -> QuizBankError:
    return QuizBankError(f"{path}: {where}: {message}")


def _require_text(path: Path, where: str, item: dict, key: str) -> str:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        # YAML reads bare yes/no/true/1 as booleans or numbers.
        raise _fail(path, where, f"'{key}' must be text, got {value!r}: put it in quotes")
    if not value or not value.strip():
        raise _fail(path, where, f"missing or empty '{key}'")
    if len(value) > MAX_TEXT_CHARS:
        raise _fail(path, where, f"'{key}' is longer than {MAX_TEXT_CHARS} characters")
    return value.strip()


def _require_id(path: Path, where: str, item: dict, key: str) -> str:
    value = _require_text(path, where, item, key)
    # Ids end up in file names, gradebook cells and terminal lines: plain characters only.
    if len(value) > 64 or not set(value) <= _ID_CHARS:
        raise _fail(path, where, f"'{key}' must be 1-64 letters, digits, '-', '_' or '.', got {value[:64]!r}")
    return value


def _number(path: Path, where: str, key: str, value: Any) -> float:
    """A finite number (YAML's .nan, .inf and true/false are refused)."""
    try:
        number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise _fail(path, where, f"'{key}' must be a finite number, got {value!r:.40}")
    return number


def _plain_data(path: Path, where: str, value: Any, depth: int = 0) -> None:
    """Refuse what JSON cannot hold (dates, binary) or what is too deep to be an exercise answer."""
    if depth > MAX_SOLUTION_DEPTH:
        raise _fail(path, where, f"'solution' is nested deeper than {MAX_SOLUTION_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _fail(path, where, f"'solution' has a non-text key {key!r:.40}: put it in quotes")
            _plain_data(path, where, item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _plain_data(path, where, item, depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise _fail(path, where, f"'solution' holds {value!r}, not a finite number")
    elif value is not None and not isinstance(value, (str, bool, int, float)):
        # YAML reads 2025-01-01 as a date: a quiz bank holds only what JSON can.
        raise _fail(path, where, f"'solution' holds a {type(value).__name__} ({value!s:.40}): put it in quotes")


def _check_keys(path: Path, where: str, item: Any, allowed: set[str]) -> None:
    if not isinstance(item, dict):
        raise _fail(path, where, f"expected a mapping, got {type(item).__name__}")
    unknown = sorted(str(k)[:40] for k in set(item) - allowed)
    if unknown:
        raise _fail(path, where, f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _parse_question(path: Path, index: int, raw: Any) -> Question:
    qid = raw.get("id") if isinstance(raw, dict) else None
    where = f"question {qid[:64]!r}" if isinstance(qid, str) and qid else f"question #{index + 1}"
    _check_keys(path, where, raw, _QUESTION_KEYS)
    _require_id(path, where, raw, "id")
    qtype = raw.get("type")
    if qtype not in QUESTION_TYPES:
        raise _fail(path, where, f"'type' must be one of {list(QUESTION_TYPES)}, got {qtype!r}")
    question = Question(
        id=raw["id"],
        type=qtype,
        text=_require_text(path, where, raw, "text"),
        objective=_require_text(path, where, raw, "objective"),
    )
    if qtype == "numeric":
        return _parse_numeric(path, where, raw, question)
    for key in ("answer", "answer_fact", "tolerance"):
        if key in raw:
            raise _fail(path, where, f"'{key}' belongs to numeric questions; mark options with 'correct: true'")
    if "explanation" in raw:
        raise _fail(path, where, "explanations belong to each option, not to the question")
    return replace(question, options=_parse_options(path, where, raw.get("options"), qtype))


def _parse_numeric(path: Path, where: str, raw: dict, question: Question) -> Question:
    if raw.get("options"):
        raise _fail(path, where, "a numeric question takes 'answer' or 'answer_fact', not 'options'")
    has_answer, has_fact = "answer" in raw, "answer_fact" in raw
    if has_answer == has_fact:
        raise _fail(path, where, "a numeric question needs exactly one of 'answer' or 'answer_fact'")
    tolerance = _number(path, where, "tolerance", raw.get("tolerance", 0.0))
    if tolerance < 0:
        raise _fail(path, where, f"'tolerance' must be a number >= 0, got {tolerance!r}")
    return replace(
        question,
        answer=_number(path, where, "answer", raw["answer"]) if has_answer else None,
        answer_fact=_require_id(path, where, raw, "answer_fact") if has_fact else None,
        tolerance=float(tolerance),
        explanation=_require_text(path, where, raw, "explanation"),
    )


def _parse_option(path: Path, where: str, index: int, raw: Any) -> Option:
    owhere = f"{where}, option #{index + 1}"
    _check_keys(path, owhere, raw, _OPTION_KEYS)
    key = _require_id(path, owhere, raw, "key")
    owhere = f"{where}, option {key!r}"
    correct = raw.get("correct", False)
    if not isinstance(correct, bool):
        raise _fail(path, owhere, f"'correct' must be true or false, got {correct!r}")
    return Option(
        key=key,
        text=_require_text(path, owhere, raw, "text"),
        correct=correct,
        explanation=_require_text(path, owhere, raw, "explanation"),
    )


def _parse_options(path: Path, where: str, raw_options: Any, qtype: str) -> tuple[Option, ...]:
    if not isinstance(raw_options, list) or not 2 <= len(raw_options) <= MAX_ITEMS:
        raise _fail(path, where, f"needs a list of 2 to {MAX_ITEMS} 'options'")
    options = tuple(_parse_option(path, where, i, raw) for i, raw in enumerate(raw_options))
    keys = [o.key for o in options]
    if len(set(keys)) != len(keys):
        raise _fail(path, where, f"duplicate option keys {keys}")
    texts = [" ".join(o.text.lower().split()) for o in options]
    repeated = sorted({o.key for o, t in zip(options, texts, strict=True) if texts.count(t) > 1})
    if repeated:
        raise _fail(path, where, f"options {repeated} have the same text; a learner could not tell them apart")
    n_correct = sum(o.correct for o in options)
    if n_correct == 0:
        raise _fail(path, where, "no option is marked 'correct: true'")
    if qtype == "single" and n_correct > 1:
        raise _fail(path, where, f"a single-choice question has {n_correct} correct options; use type 'multiple'")
    return options


def _parse_exercise(path: Path, index: int, raw: Any) -> Exercise:
    eid = raw.get("id") if isinstance(raw, dict) else None
    where = f"exercise {eid[:64]!r}" if isinstance(eid, str) and eid else f"exercise #{index + 1}"
    _check_keys(path, where, raw, _EXERCISE_KEYS)
    if ("solution" in raw) == ("solution_code" in raw):
        raise _fail(path, where, "needs exactly one of 'solution' (a value) or 'solution_code' (a function's source)")
    exercise_id = _require_id(path, where, raw, "id")
    is_code = "solution_code" in raw
    if is_code:
        from mlops_lab.code_exercises import solution_code_problem

        solution = _require_text(path, where, raw, "solution_code")
        problem = solution_code_problem(exercise_id, solution, notebook=path.stem)
        if problem:
            raise _fail(path, where, f"'solution_code': {problem}")
    else:
        solution = raw["solution"]
        _plain_data(path, where, solution)
    if len(json.dumps(solution)) > MAX_SOLUTION_CHARS:
        raise _fail(path, where, f"the solution is longer than {MAX_SOLUTION_CHARS} characters as JSON")
    return Exercise(
        id=exercise_id,
        objective=_require_text(path, where, raw, "objective"),
        prompt=_require_text(path, where, raw, "prompt"),
        solution=solution,
        code=is_code,
    )


def read_safe_yaml(path: str | os.PathLike[str], *, max_bytes: int = MAX_BANK_BYTES) -> Any:
    """Read a small instructor-written YAML file: UTF-8 only, at most ``max_bytes``, no aliases, no tags.

    Aliases (``*name``) are refused because each one copies a whole subtree: a few lines of
    them can grow into billions of values. Errors are :class:`ValueError` naming the file.
    """
    import yaml

    class _NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed here", mark)
            return super().compose_node(parent, index)

    path = Path(path)
    try:
        if path.stat().st_size > max_bytes:
            raise ValueError(f"{path}: larger than {max_bytes:,} bytes")
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read it ({exc.strerror or exc.__class__.__name__})") from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {raw_bytes[exc.start]:#04x} at offset {exc.start})") from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValueError(f"{path}: {line}: invalid YAML: {' '.join(str(problem).split())}") from None
    except (RecursionError, MemoryError):
        raise ValueError(f"{path}: nested too deeply to read") from None
    except (ValueError, TypeError) as exc:  # e.g. an integer too long to convert
        raise ValueError(f"{path}: a value YAML cannot read ({' '.join(str(exc).split())[:120]})") from None


def load_bank(path: str | os.PathLike[str], *, english: str | os.PathLike[str] | None = None) -> QuizBank:
    """Load and validate a question bank; a broken one raises :class:`QuizBankError`.

    A translated bank (in ``quizzes/es/``, or any bank given its ``english`` twin) must also match
    the English bank in everything but its words (:func:`check_parity`).
    """
    bank = _load_one(Path(path))
    twin = english if english is not None else english_twin(path)
    if twin is not None:
        if not Path(twin).is_file():
            raise _fail(bank.path, "top level", f"a translated bank needs its English bank {twin}, which is missing")
        check_parity(bank, _load_one(Path(twin)))
    return bank


def _parity_fields(question: Question) -> dict[str, Any]:
    return {
        "type": question.type,
        "option keys": [o.key for o in question.options],
        "correct options": list(question.correct_keys),
        "answer": question.answer,
        "answer_fact": question.answer_fact,
        "tolerance": question.tolerance,
    }


def _same_ids(path: Path, kind: str, ours: list[str], theirs: list[str], english: Path) -> None:
    for missing in (i for i in theirs if i not in ours):
        raise _fail(path, f"{kind} {missing!r}", f"missing: the English bank {english} has it; translate it")
    for extra in (i for i in ours if i not in theirs):
        raise _fail(path, f"{kind} {extra!r}", f"not in the English bank {english}; ids must be the same")
    if ours != theirs:
        raise _fail(path, "top level", f"{kind}s are in another order than in the English bank {english}: {theirs}")


def check_parity(translated: QuizBank, english: QuizBank) -> None:
    """Refuse a translated bank that differs from ``english`` in anything but its words (ids, keys, answers...)."""
    path = translated.path
    if translated.notebook != english.notebook:
        raise _fail(
            path, "top level", f"notebook {translated.notebook!r}, but the English bank's is {english.notebook!r}"
        )
    if bool(translated.title) != bool(english.title):
        raise _fail(path, "top level", f"'title' must be given exactly when the English bank {english.path} gives one")
    _same_ids(path, "question", [q.id for q in translated.questions], [q.id for q in english.questions], english.path)
    for ours, theirs in zip(translated.questions, english.questions, strict=True):
        mine, reference = _parity_fields(ours), _parity_fields(theirs)
        for name, value in mine.items():
            if value != reference[name]:
                raise _fail(
                    path,
                    f"question {ours.id!r}",
                    f"{name} is {value!r} but {reference[name]!r} in the English bank {english.path}; "
                    "a translation changes only the words",
                )
    _same_ids(path, "exercise", [e.id for e in translated.exercises], [e.id for e in english.exercises], english.path)
    for ours, theirs in zip(translated.exercises, english.exercises, strict=True):
        if (ours.code, ours.solution) != (theirs.code, theirs.solution):
            raise _fail(
                path, f"exercise {ours.id!r}", f"the solution differs from the English bank {english.path}; copy it"
            )


def _load_one(path: Path) -> QuizBank:
    try:
        raw = read_safe_yaml(path)
    except ValueError as exc:
        raise QuizBankError(str(exc)) from None
    _check_keys(path, "top level", raw, _BANK_KEYS)
    questions_raw = raw.get("questions")
    if not isinstance(questions_raw, list) or not 1 <= len(questions_raw) <= MAX_ITEMS:
        raise _fail(path, "top level", f"needs a 'questions' list of 1 to {MAX_ITEMS} questions")
    questions = [_parse_question(path, i, q) for i, q in enumerate(questions_raw)]
    exercises_raw = raw.get("exercises") or []
    if not isinstance(exercises_raw, list) or len(exercises_raw) > MAX_ITEMS:
        raise _fail(path, "top level", f"'exercises' must be a list of at most {MAX_ITEMS}")
    exercises = [_parse_exercise(path, i, e) for i, e in enumerate(exercises_raw)]
    for kind, items in (("question", questions), ("exercise", exercises)):
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise _fail(path, f"{kind} {item.id!r}", "duplicate id")
            seen.add(item.id)
    notebook = raw.get("notebook", path.stem)
    if notebook != path.stem:
        raise _fail(path, "top level", f"'notebook' is {notebook!r:.80} but the file is named after {path.stem!r}")
    title = _require_text(path, "top level", raw, "title") if "title" in raw else ""
    return QuizBank(notebook=notebook, path=path, questions=tuple(questions), exercises=tuple(exercises), title=title)


def validate_banks(paths: list[str | os.PathLike[str]]) -> list[str]:
    """Validate every bank in ``paths`` (files or folders); return one error message per broken bank."""
    errors = []
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            # A folder of English banks brings its translations along: quizzes/ validates quizzes/es/ too.
            files.extend(sorted(p.glob("*.yaml")))
            files.extend(sorted(f for language in LANGUAGES[1:] for f in (p / language).glob("*.yaml")))
        else:
            files.append(p)
    if not files:
        return [f"no quiz banks found in {', '.join(map(str, paths))}"]
    for file in files:
        try:
            load_bank(file)
        except QuizBankError as exc:
            errors.append(" ".join(str(exc).split()))
    return errors


@dataclass(frozen=True)
class Grade:
    """The outcome of one answer: ``score`` is 1 for right, 0 for wrong, between for partly right."""

    question_id: str
    answer: Any
    score: float
    correct: bool
    feedback: str
    expected: Any = None

    def as_record(self) -> dict[str, Any]:
        return {"answer": self.answer, "score": self.score, "correct": self.correct, "expected": self.expected}


def _normalise_choice(question: Question, answer: Any) -> list[str]:
    if isinstance(answer, str):
        picked = [a.strip() for a in answer.split(",") if a.strip()]
    elif isinstance(answer, (list, tuple, set)):
        if len(answer) > len(question.options) or not all(isinstance(a, str) for a in answer):
            raise ValueError(f"question {question.id!r}: answer with a list of option keys")
        picked = [a.strip() for a in answer]
    else:
        raise ValueError(f"question {question.id!r}: answer with option keys, got {type(answer).__name__}")
    unknown = [a for a in picked if a not in {o.key for o in question.options}]
    if unknown:
        keys = ", ".join(o.key for o in question.options)
        raise ValueError(
            f"question {question.id!r}: unknown option(s) {[u[:20] for u in unknown[:5]]}; choose from {keys}"
        )
    return sorted(set(picked))


def grade_answer(
    question: Question, answer: Any, *, facts: dict[str, float] | None = None, language: str = "en"
) -> Grade:
    """Grade one answer. Multiple choice earns partial credit: (right picks - wrong picks) / correct options.

    ``language`` is the language of the feedback's frame; the explanations are the bank's own.
    """
    if question.type == "numeric":
        expected = question.answer
        if question.answer_fact is not None:
            if not facts or question.answer_fact not in facts:
                raise ValueError(
                    f"question {question.id!r} is answered from your results: fact {question.answer_fact!r} is missing"
                )
            expected = float(facts[question.answer_fact])
        try:
            if isinstance(answer, bool):
                raise TypeError("true/false is not a number")
            value = float(answer)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"question {question.id!r}: answer with a number, got {type(answer).__name__}") from None
        correct = math.isfinite(value) and abs(value - expected) <= question.tolerance + 1e-12
        verdict = (
            message("quiz.correct", language=language)
            if correct
            else message(
                "quiz.expected", language=language, expected=f"{expected:g}", tolerance=f"{question.tolerance:g}"
            )
        )
        return Grade(
            question.id, value, 1.0 if correct else 0.0, correct, f"{verdict} {question.explanation}", expected
        )
    picked = _normalise_choice(question, answer)
    right = set(question.correct_keys)
    if question.type == "single" and len(picked) != 1:
        raise ValueError(f"question {question.id!r}: pick exactly one option, got {picked}")
    hits, misses = len(right & set(picked)), len(set(picked) - right)
    score = max(0.0, (hits - misses) / len(right))
    correct = set(picked) == right
    verdict = "quiz.correct" if correct else ("quiz.partly_right" if score > 0 else "quiz.not_quite")
    lines = [message(verdict, language=language)]
    for option in question.options:
        chosen = option.key in picked
        if chosen or option.correct:
            mark = message("quiz.right" if option.correct else "quiz.wrong", language=language)
            who = message("quiz.you_chose" if chosen else "quiz.you_missed", language=language)
            lines.append(
                message(
                    "quiz.option", language=language, key=option.key, who=who, mark=mark, explanation=option.explanation
                )
            )
    stored = picked[0] if question.type == "single" else picked
    expected = question.correct_keys[0] if question.type == "single" else sorted(question.correct_keys)
    return Grade(question.id, stored, round(score, 4), correct, "\n".join(lines), expected)


@dataclass
class QuizView:
    """What a quiz cell displays: ipywidgets in JupyterLab, a stable text summary everywhere else."""

    bank: QuizBank
    grades: dict[str, Grade] = field(default_factory=dict)
    facts: dict[str, float] = field(default_factory=dict)
    progress: Progress | None = None
    ignored: tuple[str, ...] = ()
    language: str = "en"
    _widget: Any = None

    @property
    def score(self) -> float:
        return round(sum(g.score for g in self.grades.values()), 2)

    def answer(self, question_id: str, answer: Any) -> Grade:
        """Grade and store an answer (what the Check button and the ``quiz_answers`` parameter both do)."""
        grade = grade_answer(self.bank.question(question_id), answer, facts=self.facts, language=self.language)
        self.grades[question_id] = grade
        if self.progress is not None:
            self.progress.record(self.bank.notebook, "questions", question_id, grade.as_record())
        return grade

    @property
    def ignored_note(self) -> str:
        """One sentence about answers given for questions no quiz has ('' when there are none)."""
        if not self.ignored:
            return ""
        names = ", ".join(repr(qid) for qid in self.ignored)
        example = f'{{"{self.bank.notebook}": {{"question-id": "b"}}}}'
        return message("quiz.ignored", language=self.language, names=names, example=example)

    def text(self) -> str:
        say = functools.partial(message, language=self.language)
        n = len(self.bank.questions)
        lines = [say("quiz.header.one" if n == 1 else "quiz.header.many", notebook=self.bank.notebook, n=n)]
        if self.ignored:
            lines.append(self.ignored_note)
        for n, q in enumerate(self.bank.questions, 1):
            lines.append(f"{say('quiz.question', n=n)} {q.text}")
            for o in q.options:
                lines.append(f"   {o.key}) {o.text}")
            grade = self.grades.get(q.id)
            if grade is None:
                lines.append("   " + say("quiz.not_answered"))
                continue
            shown = ", ".join(grade.answer) if isinstance(grade.answer, list) else grade.answer
            lines.append("   " + say("quiz.your_answer", answer=shown))
            lines.extend("      " + line for line in grade.feedback.splitlines())
        lines.append(say("quiz.score", score=f"{self.score:g}", total=len(self.bank.questions)))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def widget(self) -> Any:
        if self._widget is None:
            from mlops_lab.quiz_widgets import build_widget

            self._widget = build_widget(self)
        return self._widget

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget()._repr_mimebundle_())
        bundle["text/plain"] = self.text()
        return bundle


def show_quiz(
    notebook: str,
    *,
    answers: dict[str, Any] | None = None,
    facts: dict[str, float] | None = None,
    workspace: str | os.PathLike[str] | None = None,
    bank: str | os.PathLike[str] | None = None,
    questions: list[str] | None = None,
    seed: int | str | None = None,
    language: str = "en",
) -> QuizView:
    """The quiz of ``notebook``, ready to display.

    ``answers`` (the notebook's ``quiz_answers`` parameter) answers questions headless. It may
    hold answers for several notebooks (see :func:`answers_for`): this quiz takes its own and
    ignores the others; ids that no bank has are named once in the quiz's output, not raised.
    Answers stored earlier in the workspace's progress file are restored, so a kernel
    restart loses nothing. ``facts`` holds the learner's own results that numeric
    questions are checked against. ``questions`` shows only those question ids, for a
    predict-then-run question asked before the cell that reveals its answer. ``seed`` (the
    notebook's ``seed`` parameter, or a learner's name) orders each question's options for
    that learner (:func:`option_order`); ``None`` keeps the bank's order. ``language`` (the
    notebook's parameter) picks the bank's translation and the words of the widget and feedback.
    """
    from mlops_lab.quiz_answers import scope_answers  # it reads banks with this module's loader

    full = load_bank(bank or bank_path(notebook, language=language))
    loaded = full if questions is None else replace(full, questions=tuple(full.question(qid) for qid in questions))
    loaded = shuffled(loaded, learner=seed)
    progress = Progress.in_workspace(workspace)
    mine, ignored = scope_answers(full, answers)
    # Answers no quiz has are named once, by the notebook's full quiz, not by each predict-then-run question.
    view = QuizView(
        bank=loaded,
        facts=dict(facts or {}),
        progress=progress,
        ignored=ignored if questions is None else (),
        language=language,
    )
    known = {q.id for q in loaded.questions}
    for qid, record in progress.answers(loaded.notebook).items():
        # An answer to a question since removed from the bank, or one that no longer
        # grades, is left in the file untouched rather than lost.
        if qid in known:
            try:
                view.grades[qid] = grade_answer(
                    loaded.question(qid), record.get("answer"), facts=view.facts, language=language
                )
            except ValueError:
                pass
    for qid, answer in mine.items():
        # The notebook passes every answer to every quiz cell; a partial quiz answers only its own questions.
        if qid in known:
            view.answer(qid, answer)
    return view


def scorecard(notebook: str, *, workspace: str | os.PathLike[str] | None = None, language: str = "en") -> str:
    """One line, in ``language``: how much of ``notebook``'s quiz and exercises the learner has got right so far."""
    loaded = load_bank(bank_path(notebook, language=language))
    progress = Progress.in_workspace(workspace)
    questions = progress.answers(notebook, "questions")
    exercises = progress.answers(notebook, "exercises")
    quiz_score = sum(float(questions[q.id].get("score", 0)) for q in loaded.questions if q.id in questions)
    passed = sum(1 for e in loaded.exercises if exercises.get(e.id, {}).get("passed"))
    return message(
        "scorecard",
        language=language,
        notebook=notebook,
        score=f"{quiz_score:g}",
        total=len(loaded.questions),
        passed=passed,
        exercises=len(loaded.exercises),
    )
