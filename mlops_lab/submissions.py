"""A learner's submissions: finding them, and reading them as data, never by running them.

A submission is a learner's ``progress.json`` (what the quiz widgets and exercises stored) and/or
their executed notebooks (the ``quiz_answers``, ``seed`` and ``mode`` values in the ``parameters`` /
``injected-parameters`` cells). :func:`find_submissions` finds them under the given folders (one
sub-folder per learner); the readers take JSON with ``json`` and cell values with
``ast.literal_eval``, which accepts literals only, so an answer cell holding code is reported,
never run. A file larger than :data:`MAX_FILE_BYTES` is refused before it is parsed, and anything
unreadable, too deep, or of an unexpected type raises :class:`~mlops_lab.errors.SubmissionError`
with a one-line reason. :mod:`mlops_lab.grading` grades what they read.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_lab.errors import SubmissionError
from mlops_lab.progress import PROGRESS_FILE

MAX_FILE_BYTES = 20_000_000
"""Largest progress file or notebook read; an executed workbook notebook is well under 1 MB."""
MAX_PARAMETER_CELL_CHARS = 100_000
"""Largest parameters cell parsed: quiz answers and solutions take a few hundred characters."""
DEFAULT_PARAMETERS = (42, "full")
_WORKSPACE_DIR = "workspace"
_SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__", ".git"}


@dataclass(frozen=True)
class Submission:
    """One file a learner handed in: a progress file or an executed notebook."""

    learner: str
    path: Path
    kind: str  # "progress" | "notebook"


def printable(text: Any) -> str:
    """``text`` safe for a terminal: control characters and escape sequences shown as ``\\x1b``, never sent."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


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
    return answers_from(values, problems)


def answers_from(values: dict[str, Any], problems: dict[str, str]) -> tuple[dict[str, Any] | None, str]:
    """The ``quiz_answers`` of a notebook's parameter values, or None and why they cannot be graded."""
    if "quiz_answers" in problems:
        return None, f"quiz_answers: {problems['quiz_answers']}"
    answers = values.get("quiz_answers", {})
    if not isinstance(answers, dict) or not all(isinstance(k, str) for k in answers):
        return None, f"quiz_answers is not a mapping of question ids to answers (a {type(answers).__name__})"
    return answers, ""


def parameters_from(values: dict[str, Any]) -> tuple[int, str] | None:
    """The notebook's ``(seed, mode)`` (the workbook's defaults where a cell leaves them out), or None if invalid."""
    seed, mode = values.get("seed", DEFAULT_PARAMETERS[0]), values.get("mode", DEFAULT_PARAMETERS[1])
    return valid_parameters(seed, mode)


def valid_parameters(seed: Any, mode: Any) -> tuple[int, str] | None:
    """``(seed, mode)`` if the exercise checks can be rerun for them, else None."""
    from mlops_lab.exercise_registry import MODES

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
