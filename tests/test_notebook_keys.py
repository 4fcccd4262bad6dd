"""Every notebook run with the reference solutions and the quiz key reports everything correct,
and a run with wrong answers reports them wrong. (nbval checks the notebooks as shipped.)"""

from pathlib import Path

import pytest

from mlops_lab.progress import Progress
from mlops_lab.quiz import bank_path, load_bank

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def run_notebook(notebook: Path, output: Path, **parameters):
    import papermill

    papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters=parameters,
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_reference_solutions_and_key_score_full_marks(notebook, tmp_path):
    bank = load_bank(bank_path(notebook.stem))
    workspace = tmp_path / "ws"
    run_notebook(
        notebook,
        tmp_path / "out.ipynb",
        workspace=str(workspace),
        quiz_answers=bank.answer_key(),
        solutions=bank.solutions(),
    )
    progress = Progress.in_workspace(workspace)
    questions = progress.answers(bank.notebook, "questions")
    exercises = progress.answers(bank.notebook, "exercises")
    assert {q.id: questions[q.id]["correct"] for q in bank.questions} == {q.id: True for q in bank.questions}
    assert {e.id: exercises[e.id]["passed"] for e in bank.exercises} == {e.id: True for e in bank.exercises}


def test_wrong_answers_are_reported_wrong(tmp_path):
    notebook = ROOT / "notebooks" / "00_start_here.ipynb"
    bank = load_bank(bank_path("00_start_here"))
    wrong = {}
    for q in bank.questions:
        if q.type == "numeric":
            wrong[q.id] = -1
        else:
            wrong[q.id] = next(o.key for o in q.options if not o.correct)
    workspace = tmp_path / "ws"
    run_notebook(notebook, tmp_path / "out.ipynb", workspace=str(workspace), quiz_answers=wrong)
    questions = Progress.in_workspace(workspace).answers("00_start_here")
    assert all(not record["correct"] for record in questions.values()) and len(questions) == len(bank.questions)
    exercises = Progress.in_workspace(workspace).answers("00_start_here", "exercises")
    assert not any(record["passed"] for record in exercises.values())
    text = (tmp_path / "out.ipynb").read_text()
    assert f"Score: 0/{len(bank.questions)}" in text and "TRY AGAIN" in text
