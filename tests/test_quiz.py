import textwrap
from pathlib import Path

import pytest

from mlops_lab import quiz, quiz_answers
from mlops_lab.quiz import QuizBankError, grade_answer, load_bank, show_quiz

VALID = """\
notebook: {name}
questions:
  - id: q-single
    type: single
    objective: o
    text: Pick a
    options:
      - {{key: a, text: A, correct: true, explanation: right}}
      - {{key: b, text: B, explanation: wrong}}
  - id: q-multi
    type: multiple
    objective: o
    text: Pick a and c
    options:
      - {{key: a, text: A, correct: true, explanation: it is}}
      - {{key: b, text: B, explanation: it is not}}
      - {{key: c, text: C, correct: true, explanation: it is}}
  - id: q-num
    type: numeric
    objective: o
    text: How much?
    answer: 0.5
    tolerance: 0.01
    explanation: half
  - id: q-fact
    type: numeric
    objective: o
    text: Your AUC?
    answer_fact: auc
    tolerance: 0.001
    explanation: see above
exercises:
  - {{id: ex, objective: o, prompt: p, solution: 3}}
"""


def write(tmp_path: Path, text: str, name: str = "nb") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_valid_bank_loads(tmp_path):
    bank = load_bank(write(tmp_path, VALID.format(name="nb")))
    assert [q.id for q in bank.questions] == ["q-single", "q-multi", "q-num", "q-fact"]
    assert bank.answer_key() == {
        "q-single": "a",
        "q-multi": ["a", "c"],
        "q-num": 0.5,
    }
    assert bank.answer_key(facts={"auc": 0.8})["q-fact"] == 0.8
    assert bank.solutions() == {"ex": 3}


BROKEN = {
    "duplicate ids": (VALID.replace("id: q-multi", "id: q-single"), "question 'q-single': duplicate id"),
    "no correct option": (
        VALID.replace("{key: a, text: A, correct: true, explanation: right}", "{key: a, text: A, explanation: right}"),
        "question 'q-single': no option is marked",
    ),
    "two correct in single": (
        VALID.replace("{key: b, text: B, explanation: wrong}", "{key: b, text: B, correct: true, explanation: wrong}"),
        "question 'q-single': a single-choice question has 2 correct",
    ),
    "missing explanation": (
        VALID.replace("{key: b, text: B, explanation: it is not}", "{key: b, text: B}"),
        "question 'q-multi', option 'b': missing or empty 'explanation'",
    ),
    "unknown key": (
        VALID.replace("    objective: o\n    text: How much?", "    objective: o\n    hint: x\n    text: How much?"),
        "question 'q-num': unknown key(s) ['hint']",
    ),
    "bad yaml": (VALID.replace("  - id: q-num", "  - id: [q-num"), "line "),
    "numeric without answer": (
        VALID.replace("    answer: 0.5\n", ""),
        "question 'q-num': a numeric question needs exactly one",
    ),
    "bad type": (VALID.replace("type: multiple", "type: essay"), "question 'q-multi': 'type' must be one of"),
    "no questions": ("notebook: nb\nquestions: []\n", "needs a 'questions' list of 1 to"),
    "exercise without solution": (
        VALID.replace("solution: 3", "prompt2: 3").replace("prompt2", "objective2"),
        "exercise 'ex': unknown key",
    ),
    "alias": (
        "notebook: nb\nx: &a [1, 2]\nquestions: [*a, *a]\n",
        "aliases (*name) are not allowed",
    ),
    "date as text": (VALID.replace("text: Pick a\n", "text: 2025-01-01\n"), "question 'q-single': 'text' must be text"),
    "date as solution": (
        VALID.replace("solution: 3", "solution: 2025-01-01"),
        "exercise 'ex': 'solution' holds a date",
    ),
    "nan answer": (VALID.replace("answer: 0.5", "answer: .nan"), "question 'q-num': 'answer' must be a finite number"),
    "infinite tolerance": (VALID.replace("tolerance: 0.01", "tolerance: .inf"), "'tolerance' must be a finite number"),
    "boolean answer": (VALID.replace("answer: 0.5", "answer: yes"), "'answer' must be a finite number"),
    "duplicate option texts": (
        VALID.replace("{{key: b, text: B, explanation: wrong}}", "{{key: b, text: ' a ', explanation: wrong}}"),
        "question 'q-single': options ['a', 'b'] have the same text",
    ),
    "id with odd characters": (VALID.replace("id: q-num", "id: 'q num/../x'"), "'id' must be 1-64 letters"),
    "non-text key": (
        VALID.replace("    objective: o\n    text: How much?", "    1: x\n    objective: o\n    text: How much?"),
        "unknown key(s) ['1']",
    ),
    "python tag": ("notebook: nb\nquestions: !!python/object:os.system [ls]\n", "invalid YAML"),
    "deep nesting": ("notebook: nb\nquestions: " + "[" * 5000 + "]" * 5000 + "\n", "nb.yaml: "),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_bank_is_refused_naming_file_and_question(tmp_path, case):
    text, expected = BROKEN[case]
    path = write(tmp_path, text.format(name="nb") if "{name}" in text else text)
    with pytest.raises(QuizBankError) as info:
        load_bank(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert expected in message, message


def test_alias_bomb_is_refused_at_once(tmp_path):
    lines = ["notebook: nb", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    with pytest.raises(QuizBankError, match="aliases"):
        load_bank(write(tmp_path, "\n".join(lines) + "\nquestions: *a29\n"))


def test_non_utf8_and_oversized_banks_are_refused_with_a_clear_error(tmp_path):
    latin1 = tmp_path / "nb.yaml"
    latin1.write_bytes(VALID.format(name="nb").replace("Pick a", "Caf\u00e9").encode("latin-1"))
    with pytest.raises(QuizBankError, match=r"not UTF-8 text \(byte 0xe9 at offset \d+\)"):
        load_bank(latin1)
    big = tmp_path / "big.yaml"
    big.write_text("notebook: big\n# " + "x" * quiz.MAX_BANK_BYTES + "\n")
    with pytest.raises(QuizBankError, match="larger than"):
        load_bank(big)


def test_validate_never_raises_on_odd_inputs(tmp_path):
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "binary.yaml").write_bytes(bytes(range(256)))
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    (tmp_path / "empty.yaml").write_text("")
    errors = quiz.validate_banks([tmp_path, tmp_path / "missing.yaml"])
    assert len(errors) == 5 and all("\n" not in e for e in errors), errors


MUTATIONS = (
    "",
    "x: [",
    "  - 1",
    "    answer: 1" + "0" * 5000,
    "    text: ~",
    "    id: *a",
    "? [a]\n: b",
    "\t",
    "<<: 1",
)


def test_validate_never_raises_whatever_a_line_of_a_bank_becomes(tmp_path):
    lines = quiz.bank_path("00_start_here").read_text().splitlines()
    for n in range(0, min(len(lines), 90), 6):
        for mutation in MUTATIONS:
            path = tmp_path / "00_start_here.yaml"
            path.write_text("\n".join(lines[:n] + [mutation] + lines[n + 1 :]) + "\n")
            errors = quiz.validate_banks([path])
            assert all(isinstance(e, str) and "\n" not in e for e in errors), (n, mutation, errors)


def test_an_answer_key_marker_is_never_an_answer(tmp_path):
    bank = load_bank(write(tmp_path, VALID.format(name="nb")))
    assert "q-fact" not in bank.answer_key()
    with pytest.raises(ValueError, match="answer with a number"):
        grade_answer(bank.question("q-fact"), {"from_results": "auc"}, facts={"auc": 0.8})
    with pytest.raises(ValueError, match="answer with a number"):
        grade_answer(bank.question("q-num"), True)
    assert not grade_answer(bank.question("q-num"), float("inf")).correct


def test_bad_yaml_reports_its_line(tmp_path):
    path = write(tmp_path, "notebook: nb\nquestions:\n  - id: [oops\n")
    with pytest.raises(QuizBankError, match=r"line 4|line 3"):
        load_bank(path)


def test_notebook_name_must_match_file(tmp_path):
    with pytest.raises(QuizBankError, match="named after 'other'"):
        load_bank(write(tmp_path, VALID.format(name="nb"), name="other"))


def test_grading_single_multiple_numeric_and_facts(tmp_path):
    bank = load_bank(write(tmp_path, VALID.format(name="nb")))
    assert grade_answer(bank.question("q-single"), "a").correct
    wrong = grade_answer(bank.question("q-single"), "b")
    assert not wrong.correct and wrong.score == 0 and "a) you missed, right: right" in wrong.feedback
    partial = grade_answer(bank.question("q-multi"), ["a"])
    assert partial.score == 0.5 and not partial.correct and "Partly right" in partial.feedback
    assert grade_answer(bank.question("q-multi"), "a, c").correct
    assert grade_answer(bank.question("q-multi"), ["a", "b", "c"]).score == 0.5
    assert grade_answer(bank.question("q-num"), 0.505).correct
    assert not grade_answer(bank.question("q-num"), 0.52).correct
    assert grade_answer(bank.question("q-fact"), 0.8123, facts={"auc": 0.8125}).correct
    with pytest.raises(ValueError, match="fact 'auc' is missing"):
        grade_answer(bank.question("q-fact"), 0.8)
    with pytest.raises(ValueError, match="unknown option"):
        grade_answer(bank.question("q-single"), "z")


def test_headless_answers_are_stored_and_survive_a_restart(tmp_path):
    path = write(tmp_path, VALID.format(name="nb"))
    workspace = tmp_path / "ws"
    view = show_quiz(
        "nb", bank=path, workspace=workspace, facts={"auc": 0.9}, answers={"q-single": "b", "q-multi": ["a", "c"]}
    )
    assert view.score == 1
    text = repr(view)
    assert "-> your answer: b" in text and "Not quite." in text and "Score: 1/4" in text
    restored = show_quiz("nb", bank=path, workspace=workspace, facts={"auc": 0.9})
    assert restored.grades["q-single"].answer == "b" and restored.score == 1
    corrected = show_quiz("nb", bank=path, workspace=workspace, facts={"auc": 0.9}, answers={"q-single": "a"})
    assert corrected.score == 2


def test_widget_check_button_grades_and_records(tmp_path):
    path = write(tmp_path, VALID.format(name="nb"))
    view = show_quiz("nb", bank=path, workspace=tmp_path / "ws", facts={"auc": 0.9})
    first = view.widget().children[0]
    title, chooser, button, feedback = first.children
    chooser.value = "a"
    button.click()
    assert "Correct." in feedback.value
    assert view.progress.answers("nb")["q-single"]["correct"] is True
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("Quiz nb: 4 questions")


def test_a_number_box_starts_empty_so_an_answer_of_zero_is_never_given_by_default(tmp_path):
    path = write(tmp_path, VALID.format(name="nb"))
    view = show_quiz("nb", bank=path, workspace=tmp_path / "ws", facts={"auc": 0.9})
    _, box, button, feedback = view.widget().children[2].children
    assert box.value == ""
    button.click()
    assert "Pick an answer first" in feedback.value and "q-num" not in view.progress.answers("nb")
    box.value = "half"
    button.click()
    assert "Write a number" in feedback.value and "q-num" not in view.progress.answers("nb")
    box.value = "0,5"  # a decimal comma, as Spanish writes it
    button.click()
    assert "Correct." in feedback.value and view.progress.answers("nb")["q-num"]["answer"] == 0.5
    assert (
        show_quiz("nb", bank=path, workspace=tmp_path / "ws", facts={"auc": 0.9}).widget().children[2].children[1].value
        == "0.5"
    )


def test_shipped_banks_are_valid_and_hold_the_course_items():
    assert quiz.validate_banks([quiz.quizzes_dir()]) == []
    level0 = load_bank(quiz.bank_path("04_maturity_levels")).question("level-0-characteristic")
    assert [o.text for o in level0.options if o.correct] == ["A manual, script-driven and interactive process"]
    ct = load_bank(quiz.bank_path("04_maturity_levels")).question("continuous-training")
    assert [o.text for o in ct.options if o.correct] == ["Continuous training"]
    devops = load_bank(quiz.bank_path("02_devops_vs_mlops"))
    assert [o.text for o in devops.question("ci-cd-not-ct").options if o.correct] == ["Building the model"]
    assert [o.text for o in devops.question("mlops-vs-devops").options if o.correct] == [
        "MLOps constantly monitors, retrains and serves the model"
    ]


OTHER = """\
notebook: other
questions:
  - id: other-q
    type: single
    objective: o
    text: Pick b
    options:
      - {key: a, text: A, explanation: wrong}
      - {key: b, text: B, correct: true, explanation: right}
"""


def test_answers_for_several_notebooks_are_scoped_and_unknown_ids_reported_once(tmp_path):
    path = write(tmp_path, VALID.format(name="nb"))
    write(tmp_path, OTHER, name="other")
    answers = {
        "q-single": "a",  # flat, this quiz's question
        "other-q": "a",  # flat, another quiz's question: skipped silently here
        "nb": {"q-multi": ["a", "c"], "typo-id": "a"},  # this notebook's section, with an id it does not have
        "other": {"other-q": "b"},  # another notebook's section: never read here, and wins over "other-q" there
        "nowhere": "c",  # no quiz has it
    }
    view = show_quiz("nb", bank=path, workspace=tmp_path / "ws", facts={"auc": 0.9}, answers=answers)
    assert sorted(view.grades) == ["q-multi", "q-single"] and view.score == 2
    assert view.ignored == ("nowhere", "typo-id")
    text = view.text()
    assert text.count("Ignored answers for 'nowhere', 'typo-id'") == 1 and "other-q" not in text
    other = show_quiz("other", bank=tmp_path / "other.yaml", workspace=tmp_path / "ws2", answers=answers)
    assert {qid: g.answer for qid, g in other.grades.items()} == {"other-q": "b"}
    assert other.ignored == ("nowhere",)


def test_answers_for_keeps_flat_ids_and_the_notebooks_own_section():
    answers = {"a-q": 1, "nb": {"b-q": 2, "a-q": 3}, "other": {"c-q": 4}, "stray": {"from_results": "x"}}
    assert quiz_answers.answers_for("nb", answers, notebooks={"nb", "other"}) == {
        "a-q": 3,
        "b-q": 2,
        "stray": {"from_results": "x"},
    }
    assert quiz_answers.answers_for("nb", "not a dict", notebooks={"nb"}) == {}


def test_unknown_answer_ids_names_what_no_bank_has(tmp_path):
    write(tmp_path, VALID.format(name="nb"))
    write(tmp_path, OTHER, name="other")
    answers = {"q-single": "a", "other": {"other-q": "b", "q-num": 1}, "typo": "a", "07_missing": {"x": "a"}}
    assert quiz_answers.unknown_answer_ids(answers, folder=tmp_path) == ("other/q-num", "typo", "07_missing")
    assert quiz_answers.unknown_answer_ids({"q-single": "a"}, folder=tmp_path) == ()
    assert quiz_answers.unknown_answer_ids(None, folder=tmp_path) == ()


def test_quiz_answers_that_are_not_a_mapping_get_a_clear_error(tmp_path):
    path = write(tmp_path, VALID.format(name="nb"))
    with pytest.raises(ValueError, match="quiz answers must be a dict"):
        show_quiz("nb", bank=path, workspace=tmp_path / "ws", answers="q-single=a")
