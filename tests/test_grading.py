"""Grading reads submissions as data: right, wrong, partial, malformed, corrupted and tampered files are all
graded or reported per learner, and code in an answer cell is never run."""

import csv
import json
from pathlib import Path

import pytest

from mlops_lab.cli import main
from mlops_lab.grading import grade_submissions, read_gradebook
from mlops_lab.quiz import bank_path, load_bank, show_quiz
from mlops_lab.submissions import find_submissions, read_parameter_values

NOTEBOOK = "00_start_here"
TEST_ROWS = 3000
WRONG = {"what-is-mlops": "b", "time-split": "a", "pain-points": ["c"], "test-rows": 1, "where-answers-go": "c"}


def key() -> dict:
    return load_bank(bank_path(NOTEBOOK)).answer_key(facts={"test_rows": TEST_ROWS})


def answer_quiz(workspace: Path, answers: dict, test_rows: int = TEST_ROWS) -> Path:
    """A learner's progress file, written the way the notebook writes it (headless quiz answers)."""
    show_quiz(NOTEBOOK, answers=answers, facts={"test_rows": test_rows}, workspace=workspace)
    return workspace / "progress.json"


def write_executed_notebook(path: Path, parameters: str, injected: str | None = None) -> Path:
    """An executed notebook as papermill leaves it: the parameters cell, then the injected-parameters cell."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    notebook.cells.append(cell)
    if injected is not None:
        cell = nbformat.v4.new_code_cell(injected)
        cell.metadata["tags"] = ["injected-parameters"]
        notebook.cells.append(cell)
    notebook.cells.append(nbformat.v4.new_code_cell("print('lab')"))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def by_item(gradebook, learner: str) -> dict:
    return {r.item: r for r in gradebook.rows if r.learner == learner and r.kind == "question"}


def test_correct_wrong_and_partial_answers_are_graded_per_question(tmp_path):
    answer_quiz(tmp_path / "class" / "alice", key())
    answer_quiz(tmp_path / "class" / "bob", WRONG)
    answer_quiz(tmp_path / "class" / "carol", {"pain-points": ["a", "b"], "what-is-mlops": "a"})

    gradebook = grade_submissions([tmp_path / "class"])

    alice, bob, carol = (by_item(gradebook, name) for name in ("alice", "bob", "carol"))
    assert {q: r.status for q, r in alice.items()} == dict.fromkeys(key(), "correct")
    assert {q: bob[q].status for q in WRONG} == dict.fromkeys(WRONG, "wrong")
    assert {bob[q].status for q in set(key()) - set(WRONG)} <= {"unanswered"}
    assert carol["pain-points"].status == "partial" and carol["pain-points"].score == pytest.approx(2 / 3, abs=1e-3)
    assert carol["what-is-mlops"].status == "correct" and carol["time-split"].status == "unanswered"
    totals = {(t["learner"], t["notebook"]): t["quiz"] for t in gradebook.totals()}
    assert totals == {
        ("alice", NOTEBOOK): float(len(key())),
        ("bob", NOTEBOOK): 0.0,
        ("carol", NOTEBOOK): pytest.approx(1.6667, abs=1e-3),
    }
    assert not gradebook.flagged
    # Exercises nobody attempted are in the gradebook too, as unanswered.
    assert {r.item for r in gradebook.rows if r.kind == "exercise" and r.learner == "alice"} == {
        "train-months",
        "m2m-churn-rate",
    }


def test_a_tampered_score_is_flagged_and_the_answer_graded_again(tmp_path):
    progress = answer_quiz(tmp_path / "mallory", WRONG)
    data = json.loads(progress.read_text())
    for record in data["notebooks"][NOTEBOOK]["questions"].values():
        record.update(score=1.0, correct=True)  # claims full marks for wrong answers
    data["notebooks"][NOTEBOOK]["exercises"] = {"train-months": {"value": 3, "passed": True}}
    progress.write_text(json.dumps(data))

    gradebook = grade_submissions([tmp_path / "mallory"])

    rows = {q: r for q, r in by_item(gradebook, "mallory").items() if q in WRONG}
    assert {r.status for r in rows.values()} == {"wrong"} and sum(r.score for r in rows.values()) == 0
    assert {r.flag for r in rows.values()} == {"tampered"}
    assert "claims score 1.0 (correct: true) but the answer earns 0" in rows["time-split"].issue
    exercise = next(r for r in gradebook.rows if r.item == "train-months")
    assert exercise.flag == "unverified" and exercise.expected == "9"


def test_a_tampered_expected_value_is_caught_by_reference_facts(tmp_path, capsys):
    # The learner answered 5 and edited the stored expected value to match it.
    progress = answer_quiz(tmp_path / "eve", {"test-rows": 5}, test_rows=5)
    assert by_item(grade_submissions([tmp_path / "eve"]), "eve")["test-rows"].status == "correct"  # without a reference

    facts = tmp_path / "facts.yaml"
    facts.write_text(f"{NOTEBOOK}:\n  test_rows: {TEST_ROWS}\n")
    output = tmp_path / "gradebook.csv"
    assert main(["grade", str(progress.parent), "--facts", str(facts), "--output", str(output)]) == 0
    row = next(r for r in csv.DictReader(output.open()) if r["item"] == "test-rows")
    assert (row["status"], row["score"], row["flag"]) == ("wrong", "0.0", "tampered")
    assert "expected value 5 differs from the reference 3000" in row["issue"]
    assert "1 item(s) flagged" in capsys.readouterr().out


def test_corrupted_and_malformed_submissions_are_reported_and_the_others_graded(tmp_path):
    answer_quiz(tmp_path / "class" / "alice", key())
    truncated = answer_quiz(tmp_path / "class" / "bob", key())
    truncated.write_text(truncated.read_text()[:80])
    (tmp_path / "class" / "carol").mkdir()
    (tmp_path / "class" / "carol" / "progress.json").write_bytes(b"\xff\xfe\x00garbage")
    dave = answer_quiz(tmp_path / "class" / "dave", key())
    data = json.loads(dave.read_text())
    questions = data["notebooks"][NOTEBOOK]["questions"]
    questions["time-split"]["answer"] = "z"  # not an option
    del questions["what-is-mlops"]["answer"]
    questions["test-rows"]["expected"] = "lots"  # not a number
    dave.write_text(json.dumps(data))
    write_executed_notebook(tmp_path / "class" / "erin" / f"{NOTEBOOK}.ipynb", "quiz_answers = {}")
    broken = tmp_path / "class" / "erin" / f"{NOTEBOOK}.ipynb"
    broken.write_text(broken.read_text()[:50])

    odd = tmp_path / "class" / "gina" / f"{NOTEBOOK}.ipynb"
    odd.parent.mkdir()
    odd.write_text(
        json.dumps({"cells": [1, "x", {"cell_type": "code", "metadata": {"tags": "parameters"}, "source": 3}]})
    )

    gradebook = grade_submissions([tmp_path / "class"])

    assert {r.status for r in by_item(gradebook, "gina").values()} == {"unanswered"}
    files = {r.learner: r for r in gradebook.rows if r.kind == "file"}
    assert files["bob"].flag == "corrupted" and "not valid JSON" in files["bob"].issue
    assert files["carol"].flag == "corrupted" and files["erin"].flag == "corrupted"
    assert "not valid JSON" in files["erin"].issue
    assert {q: r.status for q, r in by_item(gradebook, "alice").items()} == dict.fromkeys(key(), "correct")
    dave_rows = by_item(gradebook, "dave")
    assert dave_rows["time-split"].flag == "malformed" and "unknown option(s) ['z']" in dave_rows["time-split"].issue
    assert dave_rows["what-is-mlops"].issue == "the progress record has no answer"
    assert dave_rows["test-rows"].status == "invalid" and "no finite 'expected'" in dave_rows["test-rows"].issue
    assert dave_rows["pain-points"].status == "correct"
    # A learner with only an unreadable file still gets a row per question (unanswered), so nobody disappears.
    assert {r.status for r in by_item(gradebook, "bob").values()} == {"unanswered"}


def test_answers_are_read_from_the_injected_parameters_cell_without_running_it(tmp_path):
    answers = {k: v for k, v in key().items() if k != "test-rows"}
    write_executed_notebook(
        tmp_path / "frank" / f"{NOTEBOOK}.ipynb",
        "seed = 42\nquiz_answers = {}",
        f"seed = 7\nquiz_answers = {answers!r}\n",
    )
    gradebook = grade_submissions([tmp_path / "frank"])
    rows = by_item(gradebook, "frank")
    assert {q: r.status for q, r in rows.items() if q != "test-rows"} == dict.fromkeys(answers, "correct")
    assert rows["test-rows"].status == "unanswered"
    assert rows["time-split"].source.endswith(f"frank/{NOTEBOOK}.ipynb")


def test_answers_keyed_by_notebook_are_graded_for_their_own_notebook_only(tmp_path):
    answers = {k: v for k, v in key().items() if k != "test-rows"}
    several = {NOTEBOOK: answers, "02_devops_vs_mlops": {"time-split": "a"}}
    write_executed_notebook(tmp_path / "gina" / f"{NOTEBOOK}.ipynb", f"quiz_answers = {several!r}")
    rows = by_item(grade_submissions([tmp_path / "gina"]), "gina")
    assert {q: r.status for q, r in rows.items() if q != "test-rows"} == dict.fromkeys(answers, "correct")


def test_an_answer_cell_holding_code_is_graded_and_never_executed(tmp_path):
    canary = tmp_path / "pwned.txt"
    payloads = [
        f"quiz_answers = open({str(canary)!r}, 'w').write('x') or {{'time-split': 'b'}}",
        f"quiz_answers = {{'time-split': __import__('pathlib').Path({str(canary)!r}).write_text('x')}}",
        f"import os\nos.system('touch {canary}')\nquiz_answers = {{'what-is-mlops': 'a'}}",
    ]
    for n, payload in enumerate(payloads):
        write_executed_notebook(tmp_path / "class" / f"hacker{n}" / f"{NOTEBOOK}.ipynb", "quiz_answers = {}", payload)

    gradebook = grade_submissions([tmp_path / "class"])

    assert not canary.exists()
    for n in (0, 1):
        rows = by_item(gradebook, f"hacker{n}")
        assert {r.status for r in rows.values()} == {"unanswered"}
        assert (
            rows["time-split"].flag == "malformed"
            and "is code, not a plain value; it was not run" in rows["time-split"].issue
        )
    # Statements around a literal assignment are ignored, the literal is read.
    assert by_item(gradebook, "hacker2")["what-is-mlops"].status == "correct"
    assert not canary.exists()


def test_parameter_values_are_literals_only():
    values, problems = read_parameter_values("a = 1\nb: dict = {'x': [1, 2]}\nc = len('abc')\nd = a\na = 'two'")
    assert values == {"a": "two", "b": {"x": [1, 2]}}
    assert set(problems) == {"c", "d"}


def test_learners_are_found_in_batch_folders_learner_folders_and_files(tmp_path):
    answer_quiz(tmp_path / "batch" / "alice" / "workspace", key())
    write_executed_notebook(tmp_path / "batch" / "alice" / f"{NOTEBOOK}.ipynb", "quiz_answers = {}")
    answer_quiz(tmp_path / "single" / "bob", key())
    loose = answer_quiz(tmp_path / "loose", key())
    renamed = loose.rename(tmp_path / "loose" / "carol.json")
    found = find_submissions([tmp_path / "batch", tmp_path / "single" / "bob", renamed])
    assert sorted((s.learner, s.kind) for s in found) == [
        ("alice", "notebook"),
        ("alice", "progress"),
        ("bob", "progress"),
        ("carol", "progress"),
    ]
    assert set(grade_submissions([tmp_path / "batch", tmp_path / "single" / "bob", renamed]).learners) == {
        "alice",
        "bob",
        "carol",
    }


def test_the_gradebook_csv_round_trips_and_the_cli_refuses_empty_input(tmp_path, capsys):
    answer_quiz(tmp_path / "class" / "alice", key())
    output = tmp_path / "gradebook.csv"
    assert main(["grade", str(tmp_path / "class"), "--output", str(output)]) == 0
    assert read_gradebook(output).rows == grade_submissions([tmp_path / "class"]).rows
    (tmp_path / "empty").mkdir()
    assert main(["grade", str(tmp_path / "empty"), "--output", str(tmp_path / "x.csv")]) == 2
    assert "no progress.json or .ipynb files" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "missing"), "--output", str(tmp_path / "x.csv")]) == 2
