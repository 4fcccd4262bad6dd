"""A partial quiz (a predict-then-run question asked mid-notebook) shows and grades only its own questions, and
the full quiz at the end of the notebook finds its answer again."""

import pytest

from mlops_lab.quiz import show_quiz
from tests.test_quiz import VALID, write


def test_partial_quiz_answers_only_its_questions_and_the_full_quiz_restores_them(tmp_path):
    path = write(tmp_path, VALID.format(name="nb"))
    workspace = tmp_path / "ws"
    every_answer = {"q-single": "a", "q-multi": ["a", "c"], "q-num": 0.5}
    partial = show_quiz("nb", bank=path, workspace=workspace, answers=every_answer, questions=["q-num"])
    assert list(partial.grades) == ["q-num"] and partial.score == 1
    text = repr(partial)
    assert text.startswith("Quiz nb: 1 question\n") and "Pick a" not in text and "Score: 1/1" in text
    full = show_quiz("nb", bank=path, workspace=workspace, facts={"auc": 0.9})
    assert full.grades["q-num"].correct and "q-single" not in full.grades


def test_partial_quiz_refuses_an_unknown_question(tmp_path):
    path = write(tmp_path, VALID.format(name="nb"))
    with pytest.raises(KeyError, match="no question 'q-none'"):
        show_quiz("nb", bank=path, workspace=tmp_path / "ws", questions=["q-none"])
