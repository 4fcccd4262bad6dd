"""Learner progress: quiz answers and exercise results, kept in a JSON file in the workspace.

The file survives kernel restarts, so a learner who comes back finds their answers
again, and it is what an instructor's grader reads (it never runs learner code).
Writes are atomic (write a temporary file, then rename) and serialised with a file lock,
so two notebooks saving at once lose nothing, and a record is only ever added or updated,
never dropped.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_lab.environment import open_workspace
from mlops_lab.errors import ProgressFileError

PROGRESS_FILE = "progress.json"
FORMAT_VERSION = 1


def read_progress(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a progress file, refusing anything that is not one, with the file named."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"format": FORMAT_VERSION, "notebooks": {}}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProgressFileError(f"{path}: not a readable progress file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("notebooks"), dict):
        raise ProgressFileError(f"{path}: not a progress file (no 'notebooks' mapping)")
    return data


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass
class Progress:
    """The progress record of one learner in one workspace."""

    path: Path

    @classmethod
    def in_workspace(cls, workspace: str | os.PathLike[str] | None = None) -> Progress:
        return cls(open_workspace(workspace) / PROGRESS_FILE)

    def load(self) -> dict[str, Any]:
        return read_progress(self.path)

    def record(self, notebook: str, kind: str, item_id: str, result: dict[str, Any]) -> None:
        """Store ``result`` for question or exercise ``item_id`` of ``notebook``.

        ``kind`` is ``"questions"`` or ``"exercises"``.
        """
        with _locked(self.path):
            data = self.load()
            data.setdefault("format", FORMAT_VERSION)
            section = data["notebooks"].setdefault(notebook, {"questions": {}, "exercises": {}})
            section.setdefault(kind, {})[item_id] = result
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)

    def answers(self, notebook: str, kind: str = "questions") -> dict[str, dict[str, Any]]:
        """The stored results of one notebook (empty if there are none)."""
        return dict(self.load()["notebooks"].get(notebook, {}).get(kind, {}))


@dataclass(frozen=True)
class NotebookScore:
    notebook: str
    questions_correct: float
    questions_answered: int
    exercises_passed: int
    exercises_attempted: int


def summarize(progress: dict[str, Any]) -> list[NotebookScore]:
    """Per-notebook scores from a progress record (partial credit counts as a fraction)."""
    scores = []
    for notebook in sorted(progress["notebooks"]):
        section = progress["notebooks"][notebook]
        questions = section.get("questions", {})
        exercises = section.get("exercises", {})
        scores.append(
            NotebookScore(
                notebook=notebook,
                questions_correct=round(sum(float(q.get("score", 0.0)) for q in questions.values()), 2),
                questions_answered=len(questions),
                exercises_passed=sum(1 for e in exercises.values() if e.get("passed")),
                exercises_attempted=len(exercises),
            )
        )
    return scores
