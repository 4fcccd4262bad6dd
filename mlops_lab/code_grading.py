"""Gradebook rows for code exercises: the kernel's result by default, the rerun's with ``--run-code``.

By default nothing a learner wrote is executed: the row repeats what the learner's kernel
recorded and is flagged ``unverified``. With ``run_code`` the functions saved in each learner's
progress file are run again by :func:`mlops_lab.code_rerun.rerun_learner` (one limited process
per learner) and the rerun decides; a kernel result that disagrees is flagged ``conflict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlops_lab.grading import CODE_EXPECTED

if TYPE_CHECKING:
    from mlops_lab.code_rerun import RerunLimits, RerunResult
    from mlops_lab.grading import GradeRow
    from mlops_lab.quiz import Exercise, QuizBank


def rerun_class(
    progress_by_learner: Mapping[str, Mapping[str, Mapping[str, Any]]],
    banks: Mapping[str, QuizBank],
    *,
    limits: RerunLimits | None = None,
) -> dict[str, dict[str, RerunResult]]:
    """Rerun every learner's saved functions, one process per learner; keyed by learner, then ``notebook/exercise``."""
    from mlops_lab.code_rerun import rerun_learner, submissions_from_progress

    code_ids = {notebook: {e.id for e in bank.exercises if e.code} for notebook, bank in banks.items()}
    return {
        learner: rerun_learner(submissions_from_progress(sections, code_ids), limits=limits)
        for learner, sections in sorted(progress_by_learner.items())
    }


def grade_code_exercise(
    learner: str,
    notebook: str,
    exercise: Exercise,
    record: Any,
    *,
    source: str,
    rerun: RerunResult | None,
    run_code: bool,
) -> GradeRow:
    """One gradebook row for a code exercise (``record`` is the progress file's entry, or None)."""
    from mlops_lab.grading import GradeRow

    base = {"learner": learner, "notebook": notebook, "kind": "exercise", "item": exercise.id, "max_score": 1.0}
    if record is None:
        return GradeRow(status="unanswered", score=0.0, source=source, **base)
    if not isinstance(record, Mapping) or not isinstance(record.get("passed"), bool):
        return GradeRow(
            status="failed",
            score=0.0,
            flag="malformed",
            issue="the record has no true/false 'passed'",
            source=source,
            **base,
        )
    code = record.get("code") if isinstance(record.get("code"), str) else ""
    claimed = record["passed"]
    kernel = "passed" if claimed else "failed"
    tests = record.get("tests") if isinstance(record.get("tests"), str) else "?"
    if rerun is None:
        why = "no source was saved, so it cannot be rerun" if run_code else "the code was not rerun (--run-code)"
        return GradeRow(
            status=kernel,
            score=1.0 if claimed else 0.0,
            answer=code,
            expected=CODE_EXPECTED,
            flag="unverified",
            issue=f"the learner's kernel recorded {kernel} ({tests} hidden tests); {why}",
            source=source,
            **base,
        )
    passed = rerun.status == "passed"
    status = rerun.status if rerun.status in ("passed", "failed", "timeout") else "failed"
    details = rerun.message.replace("\n", " ").replace("  - ", "; ").strip()
    issue = "" if passed else f"rerun {rerun.status}: {details}"
    flag = ""
    if passed != claimed:
        flag = "conflict"
        issue = f"the learner's kernel recorded {kernel}, the rerun {rerun.status}" + (
            f": {details}" if details else ""
        )
    return GradeRow(
        status=status,
        score=1.0 if passed else 0.0,
        answer=code,
        expected=CODE_EXPECTED,
        flag=flag,
        issue=issue,
        source=source,
        **base,
    )
