"""The "Your turn" exercises: a learner's value, a check with specific feedback, and a stored result.

A "Your turn" cell sets a variable to a working default, then submits it::

    training_months = 3          # your turn: try other values
    training_months = your_turn.submit("training-months", training_months, check=check_training_months)

``submit`` returns the value the rest of the notebook uses. When the notebook's
``solutions`` parameter holds a reference solution for that exercise (CI injects
:func:`mlops_lab.exercise_registry.reference_solutions` for the run's seed and mode through
papermill), that solution replaces the learner's value, so one notebook serves both the
learner and the "everything correct" CI run. Answers are plain values (numbers, strings,
lists, mappings), never code: a grader reads them from the progress file without executing
anything, and reruns the check through :mod:`mlops_lab.exercise_registry` on them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlops_lab.errors import in_language
from mlops_lab.i18n import check_language, message
from mlops_lab.progress import Progress


@dataclass(frozen=True)
class Feedback:
    """What a check says about a submitted value."""

    passed: bool
    message: str

    def __repr__(self) -> str:
        return f"{'PASS' if self.passed else 'TRY AGAIN'}: {self.message}"


def _json_value(value: Any) -> Any:
    """The value as JSON can store it (numpy scalars and tuples included), or its text."""
    try:
        return json.loads(json.dumps(value, default=lambda v: v.item() if hasattr(v, "item") else str(v)))
    except (TypeError, ValueError):
        return repr(value)


@dataclass
class ExerciseBook:
    """The exercises of one notebook, bound to the learner's workspace and the ``solutions`` parameter.

    ``seed`` and ``mode`` are the notebook's parameters; they are stored with every result so a
    grader can rerun the check for the data this learner saw (:mod:`mlops_lab.exercise_registry`).
    ``language`` is the language of the feedback's frame (PASS / TRY AGAIN); the stored result is the same.
    """

    notebook: str
    solutions: dict[str, Any] | None = None
    workspace: str | os.PathLike[str] | None = None
    seed: int | None = None
    mode: str | None = None
    language: str = "en"

    def __post_init__(self) -> None:
        check_language(self.language)
        self._progress = Progress.in_workspace(self.workspace)
        self.results: dict[str, Feedback] = {}

    def submit(self, exercise_id: str, value: Any, *, check: Callable[[Any], Feedback]) -> Any:
        """Check ``value`` (or the injected reference solution), print the feedback, store the result."""
        source = "learner"
        if self.solutions and exercise_id in self.solutions:
            value, source = self.solutions[exercise_id], "solution"
        try:
            feedback = check(value)
        except Exception as exc:  # a learner's odd value must produce feedback, not a traceback
            feedback = Feedback(
                False,
                message(
                    "exercise.check_failed",
                    language=self.language,
                    value=repr(value),
                    error=in_language(exc, language=self.language),
                ),
            )
        self.results[exercise_id] = feedback
        self._progress.record(
            self.notebook,
            "exercises",
            exercise_id,
            {
                "value": _json_value(value),
                "passed": feedback.passed,
                "message": feedback.message,
                "source": source,
                **({"seed": self.seed} if self.seed is not None else {}),
                **({"mode": self.mode} if self.mode is not None else {}),
            },
        )
        print(self.feedback_line(exercise_id, feedback, reference=source == "solution"))
        return value

    def feedback_line(self, exercise_id: str, feedback: Feedback, *, reference: bool) -> str:
        """What the learner reads under an exercise: ``[id] PASS: message``, in the book's language."""
        verdict = message("exercise.pass" if feedback.passed else "exercise.try_again", language=self.language)
        note = message("exercise.reference", language=self.language) if reference else ""
        return f"[{exercise_id}]{note} {verdict}: {feedback.message}"

    def submit_code(self, exercise_id: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """Run a code exercise's hidden tests on ``function`` (or the injected reference); see :mod:`mlops_lab.code_exercises`."""
        from mlops_lab.code_exercises import submit_code

        return submit_code(self, exercise_id, function)
