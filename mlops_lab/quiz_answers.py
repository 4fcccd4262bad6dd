"""Which answers of a ``quiz_answers`` value are meant for which notebook's quiz.

A roster or sweep may give one learner's answers for several notebooks at once, keyed by
notebook name (``{"01_pain_points": {"file-names": "b"}}``) or flat by question id. Each
quiz takes its own share (:func:`answers_for`, :func:`scope_answers`); ids that no bank has
are named (:func:`unknown_answer_ids`), never raised, so one typo does not stop a learner's run.
"""

from __future__ import annotations

import os
from collections.abc import Container
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_lab.quiz import quizzes_dir, read_safe_yaml

if TYPE_CHECKING:
    from mlops_lab.quiz import QuizBank


def bank_question_ids(folder: str | os.PathLike[str] | None = None) -> dict[str, set[str]]:
    """Every bank's question ids by notebook, read leniently: a broken bank is skipped, not an error here.

    Used only to sort a ``quiz_answers`` value; ``mlops-lab quiz validate`` is where banks are checked.
    """
    ids: dict[str, set[str]] = {}
    for path in sorted(Path(folder or quizzes_dir()).glob("*.yaml")):
        try:
            raw = read_safe_yaml(path)
        except ValueError:
            continue
        questions = raw.get("questions") if isinstance(raw, dict) else None
        ids[path.stem] = {q["id"] for q in questions or () if isinstance(q, dict) and isinstance(q.get("id"), str)}
    return ids


def answers_for(notebook: str, answers: Any, *, notebooks: Container[str]) -> dict[str, Any]:
    """The part of a ``quiz_answers`` value meant for ``notebook``, as question id -> answer.

    ``answers`` may hold answers for several notebooks: keyed by notebook name
    (``{"01_pain_points": {"file-names": "b"}}``), or flat by question id. Flat ids are
    kept (the caller tells this bank's ids from others); sections for the other notebooks
    (any name in ``notebooks``) are dropped.
    """
    if not isinstance(answers, dict):
        return {}
    picked = {k: v for k, v in answers.items() if k not in notebooks}
    own = answers.get(notebook)
    if isinstance(own, dict):
        picked.update(own)
    return picked


def unknown_answer_ids(answers: Any, *, folder: str | os.PathLike[str] | None = None) -> tuple[str, ...]:
    """The ids in a ``quiz_answers`` value that no bank has (as ``notebook/id`` inside a notebook's section).

    What a batch names once per learner before running; each notebook's quiz names its own share too.
    """
    if not isinstance(answers, dict):
        return ()
    everyone = bank_question_ids(folder)
    every_id = set().union(*everyone.values()) if everyone else set()
    unknown = []
    for key, value in answers.items():
        if key in everyone and isinstance(value, dict):
            unknown.extend(f"{key}/{qid}" for qid in value if qid not in everyone[key])
        elif key not in every_id:
            unknown.append(str(key))
    return tuple(unknown)


def scope_answers(bank: QuizBank, answers: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    """This bank's answers out of ``answers``, and the ids that belong to no bank (reported, never fatal)."""
    if not answers:
        return {}, ()
    if not isinstance(answers, dict):
        raise ValueError(
            f"quiz answers must be a dict of question id -> answer, or notebook -> {{question id: answer}}; "
            f"got {answers!r:.80}"
        )
    known = {q.id for q in bank.questions}
    everyone = bank_question_ids(bank.path.parent)
    everyone.setdefault(bank.notebook, known)
    own_section = answers.get(bank.notebook)
    mine, unknown = {}, []
    for qid, answer in answers_for(bank.notebook, answers, notebooks=everyone).items():
        if qid in known:
            mine[qid] = answer
        elif isinstance(own_section, dict) and qid in own_section:
            unknown.append(qid)  # filed under this notebook, yet not one of its questions
        elif not any(qid in ids for ids in everyone.values()):
            unknown.append(qid)
    return mine, tuple(unknown)
