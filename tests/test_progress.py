import json
import multiprocessing

import pytest

from mlops_lab.exercises import ExerciseBook, Feedback
from mlops_lab.progress import Progress, ProgressFileError, read_progress, summarize


def _record_many(args):
    workspace, worker = args
    progress = Progress.in_workspace(workspace)
    for i in range(20):
        progress.record("nb", "questions", f"w{worker}-q{i}", {"answer": "a", "score": 1.0, "correct": True})


def test_concurrent_writers_lose_no_answer(tmp_path):
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_record_many, [(tmp_path, 0), (tmp_path, 1)])
    answers = Progress.in_workspace(tmp_path).answers("nb")
    assert len(answers) == 40


def test_corrupted_progress_file_is_named_in_the_error(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text('{"notebooks": {"nb": ')
    with pytest.raises(ProgressFileError, match="progress.json"):
        read_progress(path)
    path.write_text("[1, 2]")
    with pytest.raises(ProgressFileError, match="not a progress file"):
        read_progress(path)


def test_exercise_uses_learner_value_unless_a_solution_is_injected(tmp_path, capsys):
    def check(value):
        return Feedback(value == 9, f"got {value}")

    learner = ExerciseBook("nb", workspace=tmp_path)
    assert learner.submit("months", 6, check=check) == 6
    assert capsys.readouterr().out == "[months] TRY AGAIN: got 6\n"
    key = ExerciseBook("nb", solutions={"months": 9}, workspace=tmp_path)
    assert key.submit("months", 6, check=check) == 9
    assert "(reference solution) PASS: got 9" in capsys.readouterr().out
    stored = json.loads((tmp_path / "progress.json").read_text())["notebooks"]["nb"]["exercises"]["months"]
    assert stored == {"value": 9, "passed": True, "message": "got 9", "source": "solution"}


def test_a_check_that_raises_becomes_feedback(tmp_path, capsys):
    book = ExerciseBook("nb", workspace=tmp_path)
    book.submit("x", "abc", check=lambda v: Feedback(float(v) > 0, "ok"))
    assert "TRY AGAIN: the check could not use 'abc'" in capsys.readouterr().out


def test_summary_counts_partial_credit(tmp_path):
    progress = Progress.in_workspace(tmp_path)
    progress.record("nb", "questions", "a", {"answer": "a", "score": 1.0, "correct": True})
    progress.record("nb", "questions", "b", {"answer": ["a"], "score": 0.5, "correct": False})
    progress.record("nb", "exercises", "e", {"value": 1, "passed": True})
    [score] = summarize(progress.load())
    assert (score.questions_correct, score.questions_answered, score.exercises_passed) == (1.5, 2, 1)
