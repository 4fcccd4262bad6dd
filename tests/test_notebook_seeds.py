"""Every notebook runs to the end for seeds other than the default 42, and its answer key scores full marks there.

The notebooks tell their story from their own run; this catches a lab that only works for the seed it was written
on (an event that does not happen, a fact the quiz reads that does not exist). Smoke mode keeps it quick. The quiz
answers of every notebook go in at once, keyed by notebook, as an instructor's roster would give them, so each
notebook must also pick out its own answers. Every exercise whose reference solution can be computed for the seed
(:func:`mlops_lab.exercise_registry.reference_solutions`, and the code exercises' reference source) is injected and
must pass; the others run with the learner's defaults, which must not stop the notebook either.
"""

from pathlib import Path

import pytest

from mlops_lab.exercise_registry import reference_solutions
from mlops_lab.progress import Progress
from mlops_lab.quiz import bank_path, load_bank

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MODE = "smoke"


def reference_solutions_for(notebook: str, *, seed: int, mode: str) -> dict:
    """The exercises' reference solutions for this seed and mode, as the ``solutions`` parameter takes them.

    The bank's value solutions hold for seed 42 in full mode only, so they are left out; its code exercises'
    reference source holds for any seed.
    """
    bank = load_bank(bank_path(notebook))
    code = {e.id: e.solution for e in bank.exercises if e.code}
    return {**code, **reference_solutions(notebook, seed=seed, mode=mode)}


def every_answer_key() -> dict:
    return {nb.stem: load_bank(bank_path(nb.stem)).answer_key() for nb in NOTEBOOKS}


def run_for_seed(notebook: Path, seed: int, tmp_path: Path) -> None:
    import papermill

    from mlops_lab.notebook_execution import register_engine

    bank = load_bank(bank_path(notebook.stem))
    solutions = reference_solutions_for(notebook.stem, seed=seed, mode=MODE)
    workspace = tmp_path / "ws"
    papermill.execute_notebook(
        str(notebook),
        str(tmp_path / "out.ipynb"),
        engine_name=register_engine(),  # as the batch runs a roster's notebooks
        parameters={
            "seed": seed,
            "mode": MODE,
            "workspace": str(workspace),
            "quiz_answers": every_answer_key(),
            "solutions": solutions,
        },
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    questions = Progress.in_workspace(workspace).answers(bank.notebook, "questions")
    # The key leaves out questions on the learner's own results (only the run knows those values).
    key = bank.answer_key()
    assert {q: questions.get(q, {}).get("correct") for q in key} == dict.fromkeys(key, True)
    assert set(questions) == set(key), "answers meant for other notebooks were recorded here"
    exercises = Progress.in_workspace(workspace).answers(bank.notebook, "exercises")
    assert {e: exercises.get(e, {}).get("passed") for e in solutions} == dict.fromkeys(solutions, True)


# One class per seed: pytest-xdist's --dist loadscope hands each class to a worker, so the seeds run in parallel.
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
class TestSeed1:
    def test_runs_and_key_scores_full_marks(self, notebook, tmp_path):
        run_for_seed(notebook, 1, tmp_path)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
class TestSeed2026:
    def test_runs_and_key_scores_full_marks(self, notebook, tmp_path):
        run_for_seed(notebook, 2026, tmp_path)
