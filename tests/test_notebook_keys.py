"""Every notebook run with the reference solutions and the quiz key reports everything correct, its
own-results questions are checked against the values the notebook computed, the grader agrees with the
run on every item, and a run with wrong answers reports them wrong. (nbval checks the notebooks as shipped.)"""

import math
from pathlib import Path

import pytest

from mlops_lab.exercise_registry import reference_solutions
from mlops_lab.grading import grade_submissions
from mlops_lab.progress import Progress
from mlops_lab.quiz import bank_path, load_bank

ROOT = Path(__file__).resolve().parent.parent
# Both editions: the Spanish notebooks (notebooks/es/) run with their Spanish banks and must grade exactly alike.
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "es").glob("*.ipynb"))


def edition(notebook: Path) -> str:
    return "es" if notebook.parent.name == "es" else "en"


def run_notebook(notebook: Path, output: Path, **parameters):
    import papermill

    from mlops_lab.notebook_execution import register_engine

    papermill.execute_notebook(
        str(notebook),
        str(output),
        engine_name=register_engine(),  # as the batch runs a roster's notebooks
        parameters=parameters,
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
    )


# No own-results fact of any notebook can take this value: answered with it, those questions must come out wrong.
SENTINEL = -123456.0
# Facts the test knows without running the notebook (seed 42, full mode: the last 3 of 12 months of 1000 customers).
INDEPENDENT_FACTS = {"test_rows": 3 * 1000}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "notebooks").with_suffix("")))
def test_reference_solutions_and_key_score_full_marks(notebook, tmp_path):
    bank = load_bank(bank_path(notebook.stem, language=edition(notebook)))
    own = [q for q in bank.questions if q.answer_fact is not None]
    workspace = tmp_path / "ws"
    output = tmp_path / f"{bank.notebook}.ipynb"
    run_notebook(
        notebook,
        output,
        workspace=str(workspace),
        quiz_answers={**bank.answer_key(), **{q.id: SENTINEL for q in own}},
        solutions=reference_solutions(bank.notebook, seed=42, mode="full", fallback=bank.solutions()),
    )
    progress = Progress.in_workspace(workspace)
    questions = progress.answers(bank.notebook, "questions")
    exercises = progress.answers(bank.notebook, "exercises")
    assert {q.id: questions[q.id]["correct"] for q in bank.questions} == {
        q.id: q.answer_fact is None for q in bank.questions
    }
    assert {e.id: exercises[e.id]["passed"] for e in bank.exercises} == {e.id: True for e in bank.exercises}

    # Own-results questions: the notebook compared the answer with what it really computed ...
    computed = {q.answer_fact: questions[q.id]["expected"] for q in own}
    assert all(isinstance(v, (int, float)) and math.isfinite(v) and v != SENTINEL for v in computed.values())
    for fact, value in computed.items():
        if fact in INDEPENDENT_FACTS:
            assert value == INDEPENDENT_FACTS[fact], fact
    # ... and the grader, told those values as the instructor's facts, agrees on every item of the run.
    # Code exercises keep the kernel's verdict, flagged unverified, unless rerun; rerun, the reference passes.
    for run_code in (False, True):
        gradebook = grade_submissions(
            [workspace / "progress.json", output], facts={bank.notebook: computed}, run_code=run_code
        )
        graded = {r.item: (r.status, r.flag) for r in gradebook.rows if r.kind != "file"}
        assert graded == {
            **{q.id: ("wrong" if q.answer_fact else "correct", "") for q in bank.questions},
            **{e.id: ("passed", "unverified" if e.code and not run_code else "") for e in bank.exercises},
        }
    if edition(notebook) == "es":  # the learner-facing frame speaks the edition's language
        text = output.read_text(encoding="utf-8")
        assert "Puntuación: " in text and "CORRECTO: " in text and "Score: " not in text


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
