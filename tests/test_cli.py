import subprocess
import sys

from mlops_lab.cli import main
from mlops_lab.progress import Progress


def test_quiz_validate_passes_on_shipped_banks(capsys):
    assert main(["quiz", "validate"]) == 0
    assert "are valid" in capsys.readouterr().out


def test_quiz_validate_refuses_a_broken_bank_without_traceback(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text(
        "notebook: broken\nquestions:\n  - id: q1\n    type: single\n    objective: o\n    text: t\n    options: []\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "mlops_lab.cli", "quiz", "validate", str(bad)], capture_output=True, text=True
    )
    assert run.returncode == 1
    assert f"{bad}: question 'q1': needs a list of 2 to 200 'options'" in run.stderr
    assert "Traceback" not in run.stderr


def test_progress_prints_scores_per_notebook(tmp_path, capsys):
    progress = Progress.in_workspace(tmp_path)
    progress.record("00_start_here", "questions", "a", {"answer": "a", "score": 1.0, "correct": True})
    progress.record("00_start_here", "exercises", "e", {"value": 1, "passed": False})
    assert main(["progress", "--workspace", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "00_start_here" in out and "1/1" in out and "0/1" in out


def test_progress_reports_a_corrupted_file(tmp_path, capsys):
    (tmp_path / "progress.json").write_text("{not json")
    assert main(["progress", "--workspace", str(tmp_path)]) == 1
    assert "progress.json" in capsys.readouterr().err
