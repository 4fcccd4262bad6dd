"""Options are shown in each learner's own order, the same everywhere, and graded by key as before."""

import json
import os
import re
import subprocess
import sys

import pytest

from mlops_lab.quiz import bank_path, grade_answer, load_bank, option_order, show_quiz

NOTEBOOK = "01_pain_points"


@pytest.fixture(scope="module")
def bank():
    return load_bank(bank_path(NOTEBOOK))


def shown_keys(text: str, number: int) -> list[str]:
    """The option keys of question ``number`` in the order a quiz's text lists them."""
    block = text.split(f"\nQ{number}. ")[1].split(f"\nQ{number + 1}. ")[0]
    return re.findall(r"^   (\w+)\) ", block, flags=re.MULTILINE)


def orders(bank, learner) -> dict[str, list[str]]:
    return {
        q.id: [o.key for o in option_order(q, learner=learner, notebook=bank.notebook)]
        for q in bank.questions
        if q.options
    }


def test_the_same_learner_sees_the_same_order_in_text_widget_and_feedback(tmp_path, bank):
    view = show_quiz(NOTEBOOK, workspace=tmp_path / "ws", seed=7)
    again = show_quiz(NOTEBOOK, workspace=tmp_path / "other", seed=7)
    expected = orders(bank, 7)
    text = view.text()
    assert text == again.text()
    widget_boxes = view.widget().children
    for number, question in enumerate(view.bank.questions, 1):
        if not question.options:
            continue
        assert shown_keys(text, number) == expected[question.id]
        chooser = widget_boxes[number - 1].children[1]
        if question.type == "single":
            labels = [label for label, _ in chooser.options]
            assert [key for _, key in chooser.options] == expected[question.id]
        else:
            labels = [tick.description for tick in chooser.children]
        # The widget shows each option under its own key, in the learner's order.
        assert [label.split(")")[0] for label in labels] == expected[question.id]
        # The feedback on an answer lists options in the order they were shown.
        every = [o.key for o in question.options] if question.type == "multiple" else question.options[-1].key
        feedback = grade_answer(question, every).feedback
        assert re.findall(r"^(\w+)\) you", feedback, flags=re.MULTILINE) == [
            k for k in expected[question.id] if question.type == "multiple" or k in (every, *question.correct_keys)
        ]


def test_the_order_does_not_depend_on_the_process(bank):
    script = (
        "import json; from mlops_lab.quiz import bank_path, load_bank, option_order; "
        f"b = load_bank(bank_path({NOTEBOOK!r})); "
        "print(json.dumps({q.id: [o.key for o in option_order(q, learner=7, notebook=b.notebook)] "
        "for q in b.questions if q.options}))"
    )
    found = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
        found.append(json.loads(run.stdout))
    assert found[0] == found[1] == orders(bank, 7)


def test_other_learners_see_other_orders_across_a_bank(bank):
    by_learner = {learner: orders(bank, learner) for learner in (1, 2, 3, 42, "alice", "bob")}
    distinct = {json.dumps(o, sort_keys=True) for o in by_learner.values()}
    assert len(distinct) == len(by_learner)
    # Every question's order is a permutation of its keys, and across a class the first option shown varies.
    for question in bank.questions:
        if not question.options:
            continue
        keys = sorted(o.key for o in question.options)
        assert all(sorted(o[question.id]) == keys for o in by_learner.values())
        first_shown = {orders_[question.id][0] for orders_ in (orders(bank, seed) for seed in range(20))}
        assert len(first_shown) > 1, question.id
    # No learner: the bank's own order.
    assert orders(bank, None) == {q.id: [o.key for o in q.options] for q in bank.questions if q.options}


def test_keys_and_grades_do_not_change_with_the_order(tmp_path, bank):
    answers = {}
    for question in bank.questions:
        if question.type == "single":
            answers[question.id] = question.options[0].key
        elif question.type == "multiple":
            answers[question.id] = [o.key for o in question.options[:2]]
    plain = show_quiz(NOTEBOOK, workspace=tmp_path / "plain", answers=answers)
    mine = show_quiz(NOTEBOOK, workspace=tmp_path / "mine", answers=answers, seed=11)
    assert mine.score == plain.score
    assert plain.progress.answers(NOTEBOOK) == mine.progress.answers(NOTEBOOK)
    assert {qid: (g.answer, g.score, g.expected) for qid, g in mine.grades.items()} == {
        qid: (g.answer, g.score, g.expected) for qid, g in plain.grades.items()
    }
    # The answer key is still given by option key, and scores full marks in any learner's order.
    full = show_quiz(NOTEBOOK, workspace=tmp_path / "key", answers=bank.answer_key(), seed=11)
    answered = [q for q in bank.questions if q.id in bank.answer_key()]
    assert all(full.grades[q.id].correct for q in answered)
