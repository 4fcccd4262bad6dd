"""Benchmarks for issue 10: the whole workbook headless against its floor, the slowest cell, the import time.

Usage: python benchmarks/workbook.py [--repeat N] [--output benchmarks/results.json]

* workbook: every notebook executed once with papermill's Python API in one process, as a batch does (with the
  batch's engine, mlops_lab.notebook_execution, which writes the output notebook when a code cell starts).
* floor: the same number of notebooks, each of which only starts a kernel and imports every module that its real
  notebook's cells imported (read off the kernel after a real run), run the same way in the same process; its
  kernels are set up as the notebooks' are (environment.configure_kernel: garbage collection, prompt exit).
* slowest cell: the longest cell in any notebook (papermill records each cell's duration).
* import: `import mlops_lab` in a fresh interpreter.
* cells: once more, every notebook with its floor's imports done in a first cell, so each later cell's duration is
  that cell's own work; the kernel's CPU time per cell is recorded too (work done in child processes, such as a
  served endpoint or a pipeline step, shows in the wall time only).

Each figure is the median of --repeat runs, with min and max. Results go to a JSON file and a printed table.

Keys written (seconds unless named otherwise):
  workbook_seconds, floor_seconds, workbook_to_floor_ratio   medians of the whole workbook and of its floor
  floor_default_kernel_seconds,                               the floor in kernels without the workbook's kernel
    workbook_to_default_kernel_floor_ratio                    settings (Python's default garbage collection): the
                                                              floor as it was defined before those settings existed
  slowest_cell_seconds, slowest_cell                          longest cell of any notebook, imports included
  slowest_own_cell_seconds, slowest_own_cell                  longest own time (below) of any cell
  import_seconds                                              `import mlops_lab`
  per_notebook.<name>.workbook_seconds / floor_seconds        medians for that notebook and its own floor
  per_notebook.<name>.above_floor_seconds                     workbook_seconds - floor_seconds
  per_notebook.<name>.cells_seconds / cells_cpu_seconds       the cells pass: sum of non-import cell durations
                                                              (papermill) and of the kernel's CPU time in them
  per_notebook.<name>.slowest_cells                           the five cells with the longest own time, each
      {cell (index in the .ipynb), seconds (cells pass), cpu_seconds (cells pass), run_seconds (median in the
      workbook runs), own_seconds (the lesser of seconds and run_seconds), first_line, calls (mlops_lab functions)}
  details.workbook / floor / import / per_notebook            median, min and max of each series
  details.workbook_load_average                               the 1-minute load average before and after the runs
                                                              (other work on the machine inflates wall times)
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# The probe lists every module the notebook's kernel loaded beyond a fresh kernel's own, except the workbook's
# package and the notebook itself: the floor notebook imports exactly those, so "floor" is kernel start-up plus the
# very same imports, and workbook minus floor is the notebooks' own work.
PROBE = """
import json, sys
ours = ("mlops_lab", "__main__", "__mp_main__")
print(json.dumps(sorted(m for m in sys.modules if m not in BASELINE and not m.startswith(ours))))
"""
BASELINE = "import sys\nBASELINE = set(sys.modules)"


# The cells pass: the floor's imports first, then a timer on every later cell (IPython's pre/post_run_cell events),
# read back by a last cell. Papermill gives each cell's wall time; this adds the kernel's CPU time.
CELL_TIMER = """
import time as _bench_time
from IPython import get_ipython as _bench_ipython
_bench_cpu = []
def _bench_pre(*_):
    _bench_cpu.append([_bench_time.process_time(), None])
def _bench_post(*_):
    if _bench_cpu and _bench_cpu[-1][1] is None:
        _bench_cpu[-1][1] = _bench_time.process_time() - _bench_cpu[-1][0]
_bench_ipython().events.register("pre_run_cell", _bench_pre)
_bench_ipython().events.register("post_run_cell", _bench_post)
"""
CELL_TIMES = "import json\nprint(json.dumps([c[1] for c in _bench_cpu if c[1] is not None]))"
SLOWEST_CELLS = 5


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def _execute(notebook: Path, output: Path, workspace: Path) -> dict:
    import papermill

    from mlops_lab.notebook_execution import register_engine

    started = time.perf_counter()
    executed = papermill.execute_notebook(
        str(notebook),
        str(output),
        engine_name=register_engine(),
        parameters={"workspace": str(workspace)},
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
    )
    elapsed = time.perf_counter() - started
    # Numbered as in the notebook file: papermill's injected-parameters cell is not one of its cells.
    durations = [
        c.metadata.get("papermill", {}).get("duration") or 0.0
        for c in executed.cells
        if "injected-parameters" not in c.metadata.get("tags", [])
    ]
    return {"seconds": elapsed, "durations": durations, "slowest_cell": max((d, i) for i, d in enumerate(durations))}


def _used_libraries(notebook: Path, workdir: Path) -> list[str]:
    """Run the notebook between two probe cells and list the modules its cells imported."""
    import nbformat
    import papermill

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(BASELINE))
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    probe_in = workdir / f"probe-{notebook.name}"
    nbformat.write(nb, probe_in)
    out = papermill.execute_notebook(
        str(probe_in),
        str(workdir / f"probe-out-{notebook.name}"),
        parameters={"workspace": str(workdir / "probe-ws")},
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    return json.loads(out.cells[-1].outputs[0]["text"])


def _import_cell(libraries: list[str]) -> str:
    return (
        "import importlib\n"
        f"for name in {libraries!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:  # a few entries only exist as attributes set by their parent package\n"
        "        pass\n"
    )


def _mlops_lab_names(notebook) -> dict[str, str]:
    """Names the notebook binds to mlops_lab modules or functions, e.g. {"tuning": "tuning", "show_quiz": "quiz.show_quiz"}."""
    names: dict[str, str] = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics: such a cell calls nothing of ours
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mlops_lab"):
                prefix = node.module.removeprefix("mlops_lab").lstrip(".")
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{prefix}.{alias.name}" if prefix else alias.name
    return names


def _calls(source: str, names: dict[str, str]) -> list[str]:
    """The mlops_lab functions a cell calls, in order of first appearance."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, name = node.func, None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in names:
            name = f"{names[func.value.id]}.{func.attr}"
        elif isinstance(func, ast.Name) and func.id in names:
            name = names[func.id]
        if name and name not in found:
            found.append(name)
    return found


def _first_line(source: str) -> str:
    return next((line.strip() for line in source.splitlines() if line.strip() and not line.startswith("#")), "")


def _cells_pass(notebook: Path, libraries: list[str], workdir: Path) -> list[dict]:
    """Run the notebook after its floor's imports and a cell timer; every code cell's wall and kernel CPU time."""
    import nbformat
    import papermill

    from mlops_lab.notebook_execution import register_engine

    nb = nbformat.read(notebook, as_version=4)
    names = _mlops_lab_names(nb)
    nb.cells.insert(0, nbformat.v4.new_code_cell(_import_cell(libraries) + CELL_TIMER))
    nb.cells.append(nbformat.v4.new_code_cell(CELL_TIMES))
    cells_in = workdir / f"cells-{notebook.name}"
    nbformat.write(nb, cells_in)
    out = papermill.execute_notebook(
        str(cells_in),
        str(workdir / f"cells-out-{notebook.name}"),
        engine_name=register_engine(),
        parameters={"workspace": str(workdir / f"cells-ws-{notebook.stem}")},
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    cpu = json.loads(out.cells[-1].outputs[0]["text"])
    # Papermill adds an "injected-parameters" cell; the timer saw every non-empty code cell after its own.
    executed = [c for c in out.cells[1:-1] if c.cell_type == "code" and c.source.strip()]
    original = iter(range(len(nb.cells) - 2))
    rows = []
    for cell, cpu_seconds in zip(executed, cpu, strict=False):
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags or "parameters" in tags:
            continue
        index = next(i for i in original if nb.cells[i + 1].source == cell.source)
        rows.append(
            {
                "cell": index,
                "seconds": round(cell.metadata.get("papermill", {}).get("duration") or 0.0, 3),
                "cpu_seconds": round(cpu_seconds, 3),
                "first_line": _first_line(cell.source)[:100],
                "calls": _calls(cell.source, names),
            }
        )
    return rows


# Every notebook first sets its kernel up (environment.configure_kernel: garbage collection's pace, and an exit
# without a final collection); the floor's kernels get the same settings, so the difference stays the notebooks'
# own work.
KERNEL_SETTINGS = "from mlops_lab.environment import configure_kernel\nconfigure_kernel()\n"


def _add_own_time(row: dict, run_seconds: list[float]) -> None:
    """A cell's own time: the lesser of its time after the imports (cells pass) and in the workbook runs.

    The workbook's figure includes the imports a cell triggers. The cells pass's figure is too long for a cell that
    waits for a job submitted in the background (03's Kubeflow run): with every import done before the job starts,
    nothing the notebook does overlaps the job any more. Each is an upper bound of the cell's own work.
    """
    row["run_seconds"] = round(statistics.median(run_seconds), 3)
    row["own_seconds"] = min(row["seconds"], row["run_seconds"])


def _floor_notebook(libraries: list[str], path: Path, *, settings: str = KERNEL_SETTINGS) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("workspace = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(settings + _import_cell(libraries)),
    ]
    nbformat.write(nb, path)
    return path


def _import_seconds() -> float:
    code = "import time; t = time.perf_counter(); import mlops_lab; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results.json"))
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")

    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="mlops-lab-bench-") as tmp:
        tmp = Path(tmp)
        libraries = {nb.stem: _used_libraries(nb, tmp) for nb in NOTEBOOKS}
        floors = [_floor_notebook(libraries[nb.stem], tmp / f"floor-{nb.name}") for nb in NOTEBOOKS]
        plain = [_floor_notebook(libraries[nb.stem], tmp / f"plain-{nb.name}", settings="") for nb in NOTEBOOKS]
        plain_floor: list[float] = []
        workbook, floor, slowest = [], [], []
        per_notebook: dict[str, list[float]] = {nb.stem: [] for nb in NOTEBOOKS}
        per_floor: dict[str, list[float]] = {nb.stem: [] for nb in NOTEBOOKS}
        run_durations: dict[str, list[list[float]]] = {nb.stem: [] for nb in NOTEBOOKS}
        for run in range(args.repeat):
            total, worst = 0.0, (0.0, "")
            for nb in NOTEBOOKS:
                result = _execute(nb, tmp / f"out-{run}-{nb.name}", tmp / f"ws-{run}")
                total += result["seconds"]
                per_notebook[nb.stem].append(result["seconds"])
                run_durations[nb.stem].append(result["durations"])
                duration, index = result["slowest_cell"]
                worst = max(worst, (duration, f"{nb.stem} cell {index}"))
            workbook.append(total)
            slowest.append(worst)
            total = 0.0
            for nb, f in zip(NOTEBOOKS, floors, strict=True):
                seconds = _execute(f, tmp / f"fout-{run}-{f.name}", tmp / f"fws-{run}")["seconds"]
                per_floor[nb.stem].append(seconds)
                total += seconds
            floor.append(total)
            plain_floor.append(sum(_execute(f, tmp / f"pout-{run}-{f.name}", tmp / "pws")["seconds"] for f in plain))
        cells = {nb.stem: _cells_pass(nb, libraries[nb.stem], tmp) for nb in NOTEBOOKS}
    for name, rows in cells.items():
        for row in rows:
            _add_own_time(row, [durations[row["cell"]] for durations in run_durations[name]])
    own = max((row["own_seconds"], f"{name} cell {row['cell']}") for name, rows in cells.items() for row in rows)
    imports = [_import_seconds() for _ in range(max(5, args.repeat))]
    load_after = round(os.getloadavg()[0], 2)

    results = {
        "notebooks": len(NOTEBOOKS),
        "repeat": args.repeat,
        "workbook_seconds": _summary(workbook)["median"],
        "floor_seconds": _summary(floor)["median"],
        "workbook_to_floor_ratio": round(statistics.median(workbook) / statistics.median(floor), 2),
        "floor_default_kernel_seconds": _summary(plain_floor)["median"],
        "workbook_to_default_kernel_floor_ratio": round(
            statistics.median(workbook) / statistics.median(plain_floor), 2
        ),
        "slowest_cell_seconds": round(max(s[0] for s in slowest), 3),
        "slowest_cell": max(slowest)[1],
        "slowest_own_cell_seconds": own[0],
        "slowest_own_cell": own[1],
        "import_seconds": _summary(imports)["median"],
        "per_notebook": {
            name: {
                "workbook_seconds": statistics.median(per_notebook[name]),
                "floor_seconds": statistics.median(per_floor[name]),
                "above_floor_seconds": round(
                    statistics.median(per_notebook[name]) - statistics.median(per_floor[name]), 3
                ),
                "cells_seconds": round(sum(c["seconds"] for c in cells[name]), 3),
                "cells_cpu_seconds": round(sum(c["cpu_seconds"] for c in cells[name]), 3),
                "slowest_cells": sorted(cells[name], key=lambda c: c["own_seconds"], reverse=True)[:SLOWEST_CELLS],
            }
            for name in per_notebook
        },
        "details": {
            "workbook": _summary(workbook),
            "floor": _summary(floor),
            "floor_default_kernel": _summary(plain_floor),
            "import": _summary(imports),
            "per_notebook": {k: _summary(v) for k, v in per_notebook.items()},
            "per_notebook_floor": {k: _summary(v) for k, v in per_floor.items()},
            "workbook_load_average": {"before": load_before, "after": load_after},
        },
    }
    previous = json.loads(Path(args.output).read_text()) if Path(args.output).exists() else {}
    # Other benchmarks (batch scaling, test-suite timings) write their own keys into the same file, some under details.
    previous.update({**results, "details": {**previous.get("details", {}), **results["details"]}})
    Path(args.output).write_text(json.dumps(previous, indent=2, sort_keys=True) + "\n")
    print(f"{'measure':<28}{'median':>10}{'min':>10}{'max':>10}")
    for name, key in (("workbook (s)", "workbook"), ("floor (s)", "floor"), ("import mlops_lab (s)", "import")):
        s = results["details"][key]
        print(f"{name:<28}{s['median']:>10.3f}{s['min']:>10.3f}{s['max']:>10.3f}")
    print(f"{'workbook / floor':<28}{results['workbook_to_floor_ratio']:>10.2f}")
    s = results["details"]["floor_default_kernel"]
    print(f"{'floor, default kernel (s)':<28}{s['median']:>10.3f}{s['min']:>10.3f}{s['max']:>10.3f}")
    print(f"{'workbook / that floor':<28}{results['workbook_to_default_kernel_floor_ratio']:>10.2f}")
    print(f"{'load average':<28}{load_before:>10.2f} before, {load_after:.2f} after")
    print(f"{'slowest cell (s)':<28}{results['slowest_cell_seconds']:>10.2f}   ({results['slowest_cell']})")
    print(f"{'slowest own work (s)':<28}{results['slowest_own_cell_seconds']:>10.2f}   ({results['slowest_own_cell']})")
    print(f"\n{'notebook':<24}{'workbook':>10}{'floor':>10}{'above':>10}{'cells':>10}{'cells CPU':>11}")
    for name, n in results["per_notebook"].items():
        print(
            f"{name:<24}{n['workbook_seconds']:>10.2f}{n['floor_seconds']:>10.2f}{n['above_floor_seconds']:>10.2f}"
            f"{n['cells_seconds']:>10.2f}{n['cells_cpu_seconds']:>11.2f}"
        )
        for c in n["slowest_cells"]:
            called = ", ".join(c["calls"]) or c["first_line"]
            print(
                f"    cell {c['cell']:>3}{c['own_seconds']:>7.2f} s own ({c['seconds']:.2f} s after imports, "
                f"{c['cpu_seconds']:.2f} s CPU; {c['run_seconds']:.2f} s in the workbook)  {called[:60]}"
            )
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
