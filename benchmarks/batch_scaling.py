"""Benchmark for issue 8: how a batch scales with workers, and what each notebook costs on top of its own compute.

Usage: python benchmarks/batch_scaling.py [--runs 20] [--work-seconds 0.5] [--cli-runs 5] [--output FILE.json]

* A small notebook (a parameters cell, then a CPU-bound loop of --work-seconds, timed inside the kernel) is run
  --runs times by `mlops_lab.batch.run_batch` with 1 worker, then with 2 workers (fresh output folders, so nothing
  is skipped). Wall time includes starting the worker processes.
* Overhead per notebook = (batch wall time x workers - compute measured inside the kernels) / runs: kernel start,
  papermill's reading, parameterising and writing of the notebook, and the pool.
* CPU overhead per notebook = (CPU seconds of every process the batch started, kernels included, minus the
  compute) / runs: what each notebook costs in CPU however loaded the machine is (wall times are not).
* For comparison, --cli-runs runs of the same notebook through the papermill command line, one interpreter each
  (what the old `make batch` did).

The machine is shared, so numbers are noisy: the load average before and after is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CELLS = [
    ("seed = 0\nworkspace = None\nwork_seconds = 0.5", ["parameters"]),
    (
        "import pathlib, time\n"
        "started = time.perf_counter()\n"
        "total = 0\n"
        "while time.perf_counter() - started < work_seconds:\n"
        "    total += sum(i * i for i in range(10_000))\n"
        "compute = time.perf_counter() - started\n"
        "pathlib.Path(workspace, 'compute.txt').write_text(f'{compute:.6f}')\n"
        "print(f'seed {seed}: {compute:.2f} s of compute')",
        [],
    ),
]


def write_notebook(path: Path) -> Path:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    for source, tags in CELLS:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = tags
        notebook.cells.append(cell)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


def compute_seconds(folder: Path) -> float:
    return sum(float(p.read_text()) for p in folder.rglob("compute.txt"))


def children_cpu_seconds() -> float:
    """CPU time of all finished child processes (and theirs: kernels count once their worker has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_batch_once(notebook: Path, output: Path, runs: int, workers: int, work: float) -> dict:
    from mlops_lab.batch import run_batch
    from mlops_lab.roster import BatchRow

    rows = [BatchRow(f"run{i:02d}", {"seed": i, "work_seconds": work}) for i in range(runs)]
    cpu_before, started = children_cpu_seconds(), time.perf_counter()
    summary = run_batch([notebook], rows, output, workers=workers, progress_bar=False)
    wall, cpu = time.perf_counter() - started, children_cpu_seconds() - cpu_before
    if summary.failures:
        raise SystemExit(f"benchmark runs failed: {summary}")
    compute = compute_seconds(output)
    return {
        "workers": workers,
        "runs": runs,
        "wall_s": round(wall, 2),
        "compute_s": round(compute, 2),
        "overhead_per_notebook_s": round((wall * workers - compute) / runs, 3),
        "cpu_overhead_per_notebook_s": round((cpu - compute) / runs, 3),
        "median_run_s": round(statistics.median(r.duration_s for r in summary.results), 3),
    }


def run_cli(notebook: Path, root: Path, runs: int, work: float) -> dict:
    papermill = Path(sys.executable).parent / "papermill"
    walls = []
    cpu_before = children_cpu_seconds()
    for i in range(runs):
        workspace = root / f"cli{i}"
        workspace.mkdir()
        started = time.perf_counter()
        subprocess.run(
            [
                str(papermill),
                str(notebook),
                str(workspace / "out.ipynb"),
                "-p",
                "workspace",
                str(workspace),
                "-p",
                "work_seconds",
                str(work),
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
        )
        walls.append(time.perf_counter() - started)
    compute, cpu = compute_seconds(root), children_cpu_seconds() - cpu_before
    return {
        "runs": runs,
        "cpu_overhead_per_notebook_s": round((cpu - compute) / runs, 3),
        "wall_s": round(sum(walls), 2),
        "compute_s": round(compute, 2),
        "overhead_per_notebook_s": round((sum(walls) - compute) / runs, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="notebook runs per batch (default 20)")
    parser.add_argument("--work-seconds", type=float, default=0.5, help="CPU time each notebook spends computing")
    parser.add_argument(
        "--cli-runs", type=int, default=5, help="runs through the papermill CLI for comparison (0: skip)"
    )
    parser.add_argument("--output", help="also merge the results into this JSON file (e.g. benchmarks/results.json)")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

    results: dict = {"cores": os.cpu_count(), "load_before": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="mlops-lab-bench-") as tmp:
        root = Path(tmp)
        notebook = write_notebook(root / "small.ipynb")
        results["one_worker"] = run_batch_once(notebook, root / "w1", args.runs, 1, args.work_seconds)
        results["two_workers"] = run_batch_once(notebook, root / "w2", args.runs, 2, args.work_seconds)
        if args.cli_runs:
            (root / "cli").mkdir()
            results["papermill_cli"] = run_cli(notebook, root / "cli", args.cli_runs, args.work_seconds)
    results["speedup_2_vs_1"] = round(results["one_worker"]["wall_s"] / results["two_workers"]["wall_s"], 2)
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]

    print(f"{args.runs} runs of a notebook computing {args.work_seconds:g} s each, {results['cores']} cores")
    print(f"{'':<16}{'wall s':>9}{'compute s':>11}{'overhead/notebook s':>21}{'CPU overhead/notebook s':>25}")
    for name in ("one_worker", "two_workers", "papermill_cli"):
        if name in results:
            r = results[name]
            print(
                f"{name:<16}{r['wall_s']:>9.1f}{r['compute_s']:>11.1f}{r['overhead_per_notebook_s']:>21.2f}"
                f"{r['cpu_overhead_per_notebook_s']:>25.2f}"
            )
    print(f"speed-up with 2 workers: {results['speedup_2_vs_1']:.2f}x")
    print(f"load average before {results['load_before']}, after {results['load_after']}")
    if args.output:
        # Merge into the file (benchmarks/results.json holds every benchmark's keys), under a stable top-level key.
        path = Path(args.output)
        merged = json.loads(path.read_text()) if path.exists() else {}
        merged["batch_speedup_2_workers"] = results["speedup_2_vs_1"]
        merged.setdefault("details", {})["batch_scaling"] = results
        path.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
