"""`make bench`'s grading benchmark still builds a class the grader grades exactly (it had rotted once, unnoticed)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_grading_benchmark_grades_its_honest_class_exactly_and_flags_every_hostile_learner():
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "grading.py")]
        + ["--learners", "24", "--hostile-each", "1", "--regrade-seeds", "1"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert (result["learners"], result["hostile"]) == (24, 10)
    assert (result["honest_not_exact"], result["hostile_unflagged"]) == (0, 0)
    assert result["gradebook_rows"] > 24 * 50
