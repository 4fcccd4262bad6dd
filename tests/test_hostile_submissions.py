"""Hostile submissions beside honest ones: every hostile file is flagged for its own learner only,
nobody earns unearned points, the honest learners' grades are exact, and grade/report never crash."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_lab import submissions
from mlops_lab.cli import main
from mlops_lab.exercise_registry import check_exercise, reference_solution
from mlops_lab.exercises import ExerciseBook
from mlops_lab.grading import grade_submissions, read_gradebook
from mlops_lab.quiz import bank_path, load_bank, quizzes_dir, show_quiz
from mlops_lab.report import build_report

NOTEBOOK = "00_start_here"
TEST_ROWS = 3000  # the test months (the last 3) hold 1000 customers each, in either mode


def honest(workspace: Path, *, seed: int = 42, mode: str = "full") -> Path:
    """A learner who got everything right for their own seed and mode, written as the notebook writes it."""
    key = load_bank(bank_path(NOTEBOOK)).answer_key(facts={"test_rows": TEST_ROWS})
    show_quiz(NOTEBOOK, answers=key, facts={"test_rows": TEST_ROWS}, workspace=workspace)
    book = ExerciseBook(NOTEBOOK, workspace=workspace, seed=seed, mode=mode)
    for exercise in ("train-months", "m2m-churn-rate"):
        value = reference_solution(NOTEBOOK, exercise, seed=seed, mode=mode)
        book.submit(exercise, value, check=lambda v, e=exercise: check_exercise(NOTEBOOK, e, v, seed=seed, mode=mode))
    return workspace / "progress.json"


def learner_rows(gradebook, learner: str) -> list:
    return [r for r in gradebook.rows if r.learner == learner]


def assert_full_marks(gradebook, learner: str) -> None:
    totals = [t for t in gradebook.totals() if t["learner"] == learner and t["notebook"] == NOTEBOOK]
    questions = len(load_bank(bank_path(NOTEBOOK)).questions)
    assert totals and (totals[0]["quiz"], totals[0]["passed"], totals[0]["flags"]) == (float(questions), 2, 0), totals


def edit(progress: Path, change) -> None:
    data = json.loads(progress.read_text())
    change(data["notebooks"][NOTEBOOK])
    progress.write_text(json.dumps(data))


def raw_progress(folder: Path, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "progress.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return path


def notebook_file(folder: Path, cells: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{NOTEBOOK}.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def parameters_cell(source: object, tags: object = ("injected-parameters",)) -> dict:
    return {
        "cell_type": "code",
        "metadata": {"tags": list(tags) if isinstance(tags, tuple) else tags},
        "source": source,
    }


@pytest.fixture
def klass(tmp_path):
    root = tmp_path / "class"
    honest(root / "alice")
    honest(root / "zoe", seed=7, mode="smoke")
    return root


def graded_alongside_honest(root: Path):
    gradebook = grade_submissions([root])
    assert_full_marks(gradebook, "alice")
    assert_full_marks(gradebook, "zoe")
    return gradebook


# --- files that used to stop everyone ------------------------------------------------------------------


def test_deep_nesting_is_flagged_for_its_learner_only(klass):
    raw_progress(klass / "deep_json", '{"notebooks": ' + "[" * 200_000 + "]" * 200_000 + "}")
    nested = "[" * 5_000 + "]" * 5_000
    notebook_file(klass / "deep_cell", [parameters_cell(f"quiz_answers = {{'test-rows': {nested}}}")])
    deep_answer = honest(klass / "deep_answer")
    edit(deep_answer, lambda nb: nb["questions"]["time-split"].update(answer=json.loads("[" * 900 + "]" * 900)))

    gradebook = graded_alongside_honest(klass)

    files = {r.learner: r for r in gradebook.rows if r.kind == "file"}
    assert files["deep_json"].flag == "corrupted" and "RecursionError" in files["deep_json"].issue
    assert all(r.status == "unanswered" for r in learner_rows(gradebook, "deep_cell") if r.kind == "question")
    assert any(r.flag == "corrupted" and "not valid Python" in r.issue for r in learner_rows(gradebook, "deep_cell"))
    row = next(r for r in learner_rows(gradebook, "deep_answer") if r.item == "time-split")
    assert (row.status, row.score, row.flag) == ("invalid", 0.0, "malformed")


def test_huge_integers_never_crash_and_never_score(klass):
    raw_progress(
        klass / "digits",
        '{"notebooks": {"00_start_here": {"questions": {"test-rows": {"answer": 1' + "0" * 5000 + "}}}}}",
    )
    big = 10**4000
    inflated = honest(klass / "inflated")
    edit(
        inflated,
        lambda nb: (
            nb["questions"]["test-rows"].update(answer=big, score=big),
            nb["exercises"]["m2m-churn-rate"].update(value=big),
        ),
    )
    notebook_file(klass / "literal", [parameters_cell("quiz_answers = {'test-rows': 1" + "0" * 5000 + "}")])

    gradebook = graded_alongside_honest(klass)

    assert next(r for r in gradebook.rows if r.learner == "digits").flag == "corrupted"
    rows = {r.item: r for r in learner_rows(gradebook, "inflated")}
    assert rows["test-rows"].score == 0 and rows["test-rows"].flag == "malformed"
    assert rows["m2m-churn-rate"].status == "failed" and rows["m2m-churn-rate"].flag == "tampered"
    assert sum(r.score for r in learner_rows(gradebook, "literal")) == 0


@pytest.mark.parametrize(
    "cells",
    [
        {"not": "a list"},
        [parameters_cell(["quiz_answers = ", 3])],
        [parameters_cell(None)],
        [parameters_cell("quiz_answers = {'test-rows': 1}", tags="parameters")],
        [parameters_cell("quiz_answers = {'test-rows': 1}", tags=[1, None, {"x": 1}])],
        [{"cell_type": "code", "metadata": "tags", "source": "x"}, 7, None, "cell"],
        [parameters_cell("quiz_answers = ['time-split', 'b']")],
        [parameters_cell("quiz_answers = {1: 'b', (2, 3): 'c'}")],
        [parameters_cell("quiz_answers = {'time-split': {1, 2}, 'pain-points': [1, None], 'test-rows': True}")],
        [parameters_cell("seed = -1\nmode = ['full']\nquiz_answers = {'time-split': b'b'}")],
    ],
)
def test_unexpected_types_in_a_notebook_only_affect_that_learner(klass, cells):
    notebook_file(klass / "odd", cells)

    gradebook = graded_alongside_honest(klass)

    assert sum(r.score for r in learner_rows(gradebook, "odd")) == 0
    assert learner_rows(gradebook, "odd")


def test_unexpected_types_in_a_progress_file_only_affect_that_learner(klass):
    odd = honest(klass / "odd")

    def scramble(nb):
        nb["questions"]["time-split"] = ["b"]
        nb["questions"]["what-is-mlops"] = {"answer": {"a": 1}, "score": "1", "correct": "yes"}
        nb["questions"]["pain-points"]["answer"] = [None, 1.5, ["a"]]
        nb["exercises"]["train-months"] = {"value": {"$gt": 0}, "passed": True, "seed": "42", "mode": None}
        nb["exercises"]["m2m-churn-rate"] = {"value": 0.5, "passed": 1}
        nb["questions"][""] = 7

    edit(odd, scramble)

    gradebook = graded_alongside_honest(klass)

    rows = {r.item: r for r in learner_rows(gradebook, "odd") if r.kind != "file"}
    assert rows["time-split"].flag == "malformed" and rows["what-is-mlops"].flag == "malformed"
    assert rows["pain-points"].flag == "malformed" and rows["m2m-churn-rate"].flag == "malformed"
    assert (rows["train-months"].status, rows["train-months"].flag) == ("failed", "unverified")
    assert rows["test-rows"].status == "correct"  # the untouched answer is still graded


def test_unencodable_text_and_odd_names_are_written_and_read_back(klass, tmp_path):
    surrogate = honest(klass / "sam")
    edit(surrogate, lambda nb: nb["questions"]["time-split"].update(answer="b\ud800"))
    os.mkdir(os.fsencode(klass) + b"/bad\xff\xfename")
    honest(Path(os.fsdecode(os.fsencode(klass) + b"/bad\xff\xfename")))
    output = tmp_path / "gradebook.csv"

    assert main(["grade", str(klass), "--output", str(output)]) == 0

    book = read_gradebook(output)
    assert {"alice", "zoe", "sam"} < set(book.learners) and len(book.learners) == 4
    row = next(r for r in book.rows if r.learner == "sam" and r.item == "time-split")
    assert row.flag == "malformed" and "\\ud800" in row.answer
    assert "<!DOCTYPE html>" in build_report(gradebook=output).html()


def test_a_file_past_the_size_limit_is_refused_before_parsing(klass, monkeypatch):
    giant = raw_progress(klass / "giant", b"{")
    with giant.open("r+b") as handle:
        handle.truncate(submissions.MAX_FILE_BYTES + 1)  # sparse: nothing to read if the limit holds
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read") if self == giant else read_bytes(self))
    gradebook = grade_submissions([klass / "giant"])
    row = next(r for r in gradebook.rows if r.kind == "file")
    assert row.flag == "corrupted" and "larger than the 20 MB limit" in row.issue


# --- unearned points ------------------------------------------------------------------------------------


def test_names_from_a_submission_are_never_turned_into_paths(klass, tmp_path):
    banks = tmp_path / "banks" / "quizzes"
    shutil.copytree(quizzes_dir(), banks)
    (tmp_path / "banks" / "evil.yaml").write_text("questions: [not, a, bank\n")
    traversal = honest(klass / "mallory")
    data = json.loads(traversal.read_text())
    data["notebooks"]["../evil"] = data["notebooks"][NOTEBOOK]
    data["notebooks"]["/etc/passwd"] = {}
    traversal.write_text(json.dumps(data))
    notebook_file(klass / "mallory" / "nb", [parameters_cell("quiz_answers = {}")]).rename(
        klass / "mallory" / "...ipynb"
    )

    gradebook = grade_submissions([klass], banks_dir=banks)

    assert_full_marks(gradebook, "alice")
    assert {r.notebook for r in gradebook.rows if r.kind != "file"} == {NOTEBOOK}
    ignored = next(r for r in learner_rows(gradebook, "mallory") if r.status == "ignored")
    assert "without a quiz bank: ../evil, /etc/passwd" in ignored.issue


def test_an_answer_key_marker_is_never_an_answer(klass):
    notebook_file(klass / "marker_nb", [parameters_cell("quiz_answers = {'test-rows': {'from_results': 'test_rows'}}")])
    marker = honest(klass / "marker_progress")
    edit(
        marker,
        lambda nb: nb["questions"]["test-rows"].update(answer={"from_results": "test_rows"}, score=1.0, correct=True),
    )

    gradebook = graded_alongside_honest(klass)

    for learner in ("marker_nb", "marker_progress"):
        row = next(r for r in learner_rows(gradebook, learner) if r.item == "test-rows")
        assert row.score == 0 and row.status in {"invalid", "unanswered"} and row.flag == "malformed", row


def test_exercises_are_regraded_for_the_learners_own_seed(klass):
    liar = honest(klass / "liar", seed=7)
    edit(liar, lambda nb: nb["exercises"]["train-months"].update(value=6))  # still claims a pass
    copycat = honest(klass / "copycat", seed=7)
    # The value of seed 42, stored by a learner whose notebook ran with seed 7: the check for seed 7 rejects it.
    edit(
        copycat,
        lambda nb: nb["exercises"]["m2m-churn-rate"].update(value=reference_solution(NOTEBOOK, "m2m-churn-rate")),
    )
    wrong_mode = honest(klass / "wrong_mode", seed=42, mode="smoke")
    edit(wrong_mode, lambda nb: nb["exercises"]["train-months"].update(value=9))  # right in full mode, not in smoke
    modest = honest(klass / "modest", seed=3)
    edit(modest, lambda nb: nb["exercises"]["train-months"].update(passed=False))  # a right answer claimed wrong

    gradebook = graded_alongside_honest(klass)

    liar_row = next(r for r in learner_rows(gradebook, "liar") if r.item == "train-months")
    assert (liar_row.status, liar_row.score, liar_row.flag) == ("failed", 0.0, "tampered")
    assert "for seed 7" in liar_row.issue
    copied = next(r for r in learner_rows(gradebook, "copycat") if r.item == "m2m-churn-rate")
    assert (copied.status, copied.flag) == ("failed", "tampered")
    assert next(r for r in learner_rows(gradebook, "modest") if r.item == "train-months").status == "passed"
    assert next(r for r in learner_rows(gradebook, "wrong_mode") if r.item == "train-months").flag == "tampered"


def test_learners_beyond_the_regrade_budget_keep_their_verdict_with_a_note(klass):
    honest(klass / "bob", seed=42)
    gradebook = grade_submissions([klass], regrade_seeds=1)
    zoe = next(r for r in learner_rows(gradebook, "zoe") if r.item == "m2m-churn-rate")
    assert zoe.status == "passed" and not zoe.flag and "--regrade-seeds" in zoe.issue
    alice = next(r for r in learner_rows(gradebook, "alice") if r.item == "m2m-churn-rate")
    assert alice.status == "passed" and not alice.issue


# --- the instructor's inputs fail loudly ---------------------------------------------------------------


def test_a_broken_bank_stops_grade_with_one_line(klass, tmp_path, capsys):
    banks = tmp_path / "quizzes"
    shutil.copytree(quizzes_dir(), banks)
    text = (banks / f"{NOTEBOOK}.yaml").read_text().replace("tolerance: 0", "tolerance: .nan", 1)
    (banks / f"{NOTEBOOK}.yaml").write_text(text)
    assert main(["grade", str(klass), "--quizzes", str(banks), "--output", str(tmp_path / "g.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{banks / NOTEBOOK}.yaml: question 'test-rows': 'tolerance'" in err
    assert not (tmp_path / "g.csv").exists()


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("00_start_here:\n  test_rows: three thousand\n", "00_start_here.test_rows: 'three thousand'"),
        ("00_start_here:\n  test_rows: .nan\n", "00_start_here.test_rows: nan"),
        ("00_start_here:\n  test_rows: true\n", "00_start_here.test_rows: True"),
        ("00_start_here: 12000\n", "00_start_here: expected a mapping"),
        ("a: &x [1]\nb: *x\n", "aliases"),
    ],
)
def test_a_facts_file_with_a_non_number_stops_grade_with_one_line(klass, tmp_path, capsys, text, entry):
    facts = tmp_path / "facts.yaml"
    facts.write_text(text)
    assert main(["grade", str(klass), "--facts", str(facts), "--output", str(tmp_path / "g.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(facts) in err and entry in err, err


# --- safe outputs --------------------------------------------------------------------------------------


def test_the_gradebook_csv_neutralises_formulas_and_round_trips(klass, tmp_path):
    formula = honest(klass / "=HYPERLINK(1)")
    edit(formula, lambda nb: nb["questions"]["time-split"].update(answer="=cmd|' /C calc'!A0"))
    edit(formula, lambda nb: nb["exercises"]["train-months"].update(value="@SUM(1+1)"))
    output = tmp_path / "gradebook.csv"
    book = graded_alongside_honest(klass)
    book.write_csv(output)

    cells = [cell for row in csv.reader(output.open(encoding="utf-8")) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], "a cell would run as a formula"
    assert "'=HYPERLINK(1)" in cells and "'=cmd|' /C calc'!A0" in cells and "'@SUM(1+1)" in cells
    assert read_gradebook(output).rows == book.rows


def test_terminal_output_cannot_carry_escape_sequences(klass, tmp_path):
    (klass / "\x1b[2Jwiped").mkdir()
    shutil.copy(klass / "alice" / "progress.json", klass / "\x1b[2Jwiped" / "progress.json")
    evil = honest(klass / "evil\u202e")
    edit(evil, lambda nb: nb["questions"]["time-split"].update(answer="\x1b]8;;http://x\x07b", score=1))
    run = subprocess.run(
        [sys.executable, "-m", "mlops_lab.cli", "grade", str(klass), "--output", str(tmp_path / "g.csv")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout and "\u202e" not in run.stdout
    assert "\\x1b[2Jwiped" in run.stdout and "evil\\u202e" in run.stdout


def test_the_html_report_escapes_everything_from_a_hostile_class(klass, tmp_path):
    script = honest(klass / "<b onmouseover=alert(1)>x")
    edit(script, lambda nb: nb["questions"]["time-split"].update(answer="<img src=x onerror=alert(1)>", score=1))
    output = tmp_path / "gradebook.csv"
    assert main(["grade", str(klass), "--output", str(output)]) == 0
    assert main(["report", "--gradebook", str(output), "--output", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<b onmouseover" not in page and "<img src=x" not in page
    assert "&lt;b onmouseover=alert(1)&gt;x" in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_regrade_budget_is_an_option_of_grade(klass, tmp_path):
    output = tmp_path / "gradebook.csv"
    assert main(["grade", str(klass), "--output", str(output), "--regrade-seeds", "0"]) == 0
    rows = [r for r in read_gradebook(output).rows if r.item == "m2m-churn-rate"]
    assert {r.status for r in rows} == {"passed"} and all("--regrade-seeds" in r.issue for r in rows)
    train = [r for r in read_gradebook(output).rows if r.item == "train-months"]
    assert all(not r.issue for r in train)  # a check that does not depend on the seed is always rerun
