"""Benchmark for issue 14: `mlops-lab grade` on a class of 1,000 learners with a few dozen hostile submissions.

Usage: python benchmarks/grading.py [--learners 1000] [--regrade-seeds 8] [--output FILE.json] [--keep DIR]

* Every learner hands in what a batch leaves: the six executed workbook notebooks (the shipped ones, about 1.3 MB
  together, each with its own injected-parameters cell: seed, mode and quiz answers) and workspace/progress.json
  (quiz records and exercise records as the notebooks write them).
* Honest learners run with one of 4 seeds x 2 modes (8 parameter sets, the default --regrade-seeds) and answer
  everything right for their own parameters (exercise values from `exercise_registry.reference_solution`).
* About 40 hostile learners (the classes of tests/test_hostile_submissions.py, several of each) sit among them.
* Timed: the `mlops-lab grade` command, end to end in a fresh interpreter (start, reading ~1.2 GB of notebooks,
  rebuilding each parameter set's exercise data, writing the gradebook): wall seconds, and the CPU seconds it used
  (what it costs however loaded the shared machine is; the load average is printed with them). Checked: every honest learner scores full
  marks with no flag, every hostile learner has a flagged row, and the command ends with exit status 0.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (42, 7, 11, 2024)
MODES = ("full", "smoke")
# Exercises whose value the benchmark cannot compute without running the notebook (the grader does not rerun them).
BANK_CONSTANT = {"cost-choice", "top-feature", "best-trigger", "bo-filter", "slice-check"}


def _notebook_with_parameters(shipped: dict, parameters: dict) -> dict:
    notebook = copy.copy(shipped)
    cells = list(shipped["cells"])
    at = next(i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])) + 1
    source = "".join(f"{name} = {value!r}\n" for name, value in parameters.items())
    cells.insert(at, {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": source})
    notebook["cells"] = cells
    return notebook


def _honest_records(banks: dict, seed: int, mode: str) -> tuple[dict, dict]:
    """(progress data, quiz answers per notebook) of a learner who got everything right for (seed, mode)."""
    from mlops_lab.exercise_registry import reference_solution
    from mlops_lab.quiz import grade_answer

    progress: dict = {"format": 1, "notebooks": {}}
    answers: dict = {}
    for name, bank in banks.items():
        facts = {q.answer_fact: 100.0 + seed for q in bank.questions if q.answer_fact}
        key = bank.answer_key(facts=facts)
        questions = {q.id: grade_answer(q, key[q.id], facts=facts).as_record() for q in bank.questions}
        exercises = {}
        for exercise in bank.exercises:
            if exercise.code:
                exercises[exercise.id] = _honest_code_record(exercise)
                continue
            value = (
                exercise.solution
                if exercise.id in BANK_CONSTANT
                else reference_solution(name, exercise.id, seed=seed, mode=mode)
            )
            exercises[exercise.id] = {
                "value": value,
                "passed": True,
                "message": "",
                "source": "learner",
                "seed": seed,
                "mode": mode,
            }
        progress["notebooks"][name] = {"questions": questions, "exercises": exercises}
        answers[name] = {q.id: key[q.id] for q in bank.questions if not q.answer_fact}
    return progress, answers


def _honest_code_record(exercise) -> dict:
    """A code exercise as the notebook records the bank's reference function passing its hidden tests."""
    from mlops_lab.code_exercises import code_exercise, load_function, run_hidden_tests

    spec = code_exercise(exercise.id)
    result = run_hidden_tests(exercise.id, load_function(exercise.solution, spec.function))
    assert result.passed, f"the reference solution of {exercise.id} fails its hidden tests"
    return {
        "kind": "code",
        "code": exercise.solution,
        "function": spec.function,
        "passed": True,
        "tests": f"{result.n_passed}/{result.n_cases}",
        "message": "",
        "source": "learner",
    }


def _hostile(kind: str, folder: Path, honest_progress: dict, shipped: dict) -> None:
    """One hostile learner of ``kind`` in ``folder`` (see tests/test_hostile_submissions.py)."""
    workspace = folder / "workspace"
    workspace.mkdir(parents=True)
    progress = workspace / "progress.json"
    data = copy.deepcopy(honest_progress)
    start = data["notebooks"]["00_start_here"]
    if kind == "deep":
        progress.write_text('{"notebooks": ' + "[" * 100_000 + "]" * 100_000 + "}")
    elif kind == "digits":
        progress.write_text(
            '{"notebooks": {"00_start_here": {"questions": {"test-rows": {"answer": 1' + "0" * 5000 + "}}}}}"
        )
    elif kind == "giant":
        with progress.open("wb") as handle:
            handle.truncate(25_000_000)
    elif kind == "not-utf8":
        progress.write_bytes(b"\xff\xfe" + json.dumps(data).encode())
    elif kind == "claimed-pass":
        start["exercises"]["train-months"]["value"] = 6
        progress.write_text(json.dumps(data))
    elif kind == "claimed-score":
        start["questions"]["time-split"].update(answer="a", score=1.0, correct=True)
        progress.write_text(json.dumps(data))
    elif kind == "marker":
        start["questions"]["test-rows"]["answer"] = {"from_results": "test_rows"}
        progress.write_text(json.dumps(data))
    elif kind == "odd-types":
        start["questions"]["time-split"] = ["b"]
        start["exercises"]["m2m-churn-rate"] = {"value": 0.5, "passed": "yes"}
        progress.write_text(json.dumps(data))
    elif kind == "code-cell":
        progress.write_text(json.dumps({"format": 1, "notebooks": {}}))
        notebook = _notebook_with_parameters(shipped, {})
        notebook["cells"][2]["source"] = "quiz_answers = __import__('os').system('touch /tmp/pwned') or {}"
        (folder / "00_start_here.ipynb").write_text(json.dumps(notebook))
    elif kind == "traversal":
        data["notebooks"]["../../etc/passwd"] = start
        start["questions"]["time-split"].update(answer="a", score=1.0, correct=True)
        progress.write_text(json.dumps(data))


HOSTILE_KINDS = (
    "deep",
    "digits",
    "giant",
    "not-utf8",
    "claimed-pass",
    "claimed-score",
    "marker",
    "odd-types",
    "code-cell",
    "traversal",
)


def build_class(root: Path, learners: int, hostile_each: int) -> tuple[list[str], list[str]]:
    from mlops_lab.grading import load_banks
    from mlops_lab.quiz import quizzes_dir

    banks = load_banks(quizzes_dir())
    shipped = {name: json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text()) for name in banks}
    pairs = [(seed, mode) for seed in SEEDS for mode in MODES]
    templates = {pair: _honest_records(banks, *pair) for pair in pairs}
    honest, hostile = [], []
    n_hostile = hostile_each * len(HOSTILE_KINDS)
    for i in range(learners - n_hostile):
        name = f"learner{i:04d}"
        seed, mode = pairs[i % len(pairs)]
        progress, answers = templates[(seed, mode)]
        folder = root / name
        (folder / "workspace").mkdir(parents=True)
        (folder / "workspace" / "progress.json").write_text(json.dumps(progress))
        for notebook, content in shipped.items():
            parameters = {"seed": seed, "mode": mode, "quiz_answers": answers[notebook]}
            (folder / f"{notebook}.ipynb").write_text(json.dumps(_notebook_with_parameters(content, parameters)))
        honest.append(name)
    for j, kind in enumerate(k for k in HOSTILE_KINDS for _ in range(hostile_each)):
        name = f"hostile-{kind}-{j:02d}"
        _hostile(kind, root / name, templates[pairs[0]][0], shipped["00_start_here"])
        hostile.append(name)
    return honest, hostile


def _code_not_rerun(row: dict) -> bool:
    from mlops_lab.grading import CODE_EXPECTED

    return row["flag"] == "unverified" and row["expected"] == CODE_EXPECTED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--hostile-each", type=int, default=4, help="hostile learners of each kind (10 kinds)")
    parser.add_argument("--regrade-seeds", type=int, default=8)
    parser.add_argument("--output", help="merge the result into this JSON file")
    parser.add_argument("--keep", help="build the class in this folder and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp) / "class"
        started = time.perf_counter()
        honest, hostile = build_class(root, args.learners, args.hostile_each)
        built = time.perf_counter() - started
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and "giant" not in str(p))
        gradebook = Path(tmp) / "gradebook.csv"
        load_before = os.getloadavg()[0]
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "mlops_lab.cli", "grade", str(root), "--output", str(gradebook)]
            + ["--regrade-seeds", str(args.regrade_seeds)],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (children.ru_utime - children_before.ru_utime) + (children.ru_stime - children_before.ru_stime)
        if run.returncode != 0:
            sys.exit(f"grade failed ({run.returncode}): {run.stderr[-2000:]}")
        rows = list(csv.DictReader(gradebook.open(encoding="utf-8")))

    per_learner: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        per_learner[row["learner"]].append(row)
    # Without --run-code a code exercise keeps the learner's kernel verdict, flagged "unverified" by design.
    wrong_honest = [
        name
        for name in honest
        if any(r["flag"] and not _code_not_rerun(r) for r in per_learner[name])
        or any(r["kind"] in ("question", "exercise") and float(r["score"]) != 1.0 for r in per_learner[name])
    ]
    unflagged_hostile = [name for name in hostile if not any(r["flag"] for r in per_learner[name])]
    result = {
        "learners": args.learners,
        "hostile": len(hostile),
        "submission_bytes": size,
        "grade_seconds": round(seconds, 1),
        "grade_cpu_seconds": round(cpu, 1),
        "build_seconds": round(built, 1),
        "gradebook_rows": len(rows),
        "honest_not_exact": len(wrong_honest),
        "hostile_unflagged": len(unflagged_hostile),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=1))
    if wrong_honest or unflagged_hostile:
        sys.exit(
            f"honest learners not exact: {wrong_honest[:5]}; hostile learners not flagged: {unflagged_hostile[:5]}"
        )
    if args.output:
        path = Path(args.output)
        merged = json.loads(path.read_text()) if path.exists() else {}
        merged.setdefault("details", {})["grading"] = result
        merged["grading_1000_learners_seconds"] = result["grade_seconds"]
        merged["grading_1000_learners_cpu_seconds"] = result["grade_cpu_seconds"]
        path.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
