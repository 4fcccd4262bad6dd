"""Benchmarks for issue 10: the whole workbook headless against its floor, the slowest cell, the import time.

Usage: python benchmarks/workbook.py [--repeat N] [--output benchmarks/results.json]

* workbook: every notebook executed once with papermill's Python API in one process, as a batch does.
* floor: the same number of notebooks, each of which only starts a kernel and imports every module that its real
  notebook's cells imported (read off the kernel after a real run), run the same way in the same process.
* slowest cell: the longest cell in any notebook (papermill records each cell's duration).
* import: `import mlops_lab` in a fresh interpreter.

Each figure is the median of --repeat runs, with min and max. Results go to a JSON file and a printed table.
"""

from __future__ import annotations

import argparse
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


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def _execute(notebook: Path, output: Path, workspace: Path) -> dict:
    import papermill

    started = time.perf_counter()
    executed = papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters={"workspace": str(workspace)},
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
    )
    elapsed = time.perf_counter() - started
    cells = [(c.metadata.get("papermill", {}).get("duration") or 0.0, i) for i, c in enumerate(executed.cells)]
    return {"seconds": elapsed, "slowest_cell": max(cells)}


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


def _floor_notebook(libraries: list[str], path: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("workspace = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import importlib\n"
            f"for name in {libraries!r}:\n"
            "    try:\n"
            "        importlib.import_module(name)\n"
            "    except Exception:  # a few entries only exist as attributes set by their parent package\n"
            "        pass\n"
        ),
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

    with tempfile.TemporaryDirectory(prefix="mlops-lab-bench-") as tmp:
        tmp = Path(tmp)
        floors = [_floor_notebook(_used_libraries(nb, tmp), tmp / f"floor-{nb.name}") for nb in NOTEBOOKS]
        workbook, floor, slowest = [], [], []
        per_notebook: dict[str, list[float]] = {nb.stem: [] for nb in NOTEBOOKS}
        for run in range(args.repeat):
            total, worst = 0.0, (0.0, "")
            for nb in NOTEBOOKS:
                result = _execute(nb, tmp / f"out-{run}-{nb.name}", tmp / f"ws-{run}")
                total += result["seconds"]
                per_notebook[nb.stem].append(result["seconds"])
                duration, index = result["slowest_cell"]
                worst = max(worst, (duration, f"{nb.stem} cell {index}"))
            workbook.append(total)
            slowest.append(worst)
            floor.append(sum(_execute(f, tmp / f"fout-{run}-{f.name}", tmp / f"fws-{run}")["seconds"] for f in floors))
    imports = [_import_seconds() for _ in range(max(5, args.repeat))]

    results = {
        "notebooks": len(NOTEBOOKS),
        "repeat": args.repeat,
        "workbook_seconds": _summary(workbook)["median"],
        "floor_seconds": _summary(floor)["median"],
        "workbook_to_floor_ratio": round(statistics.median(workbook) / statistics.median(floor), 2),
        "slowest_cell_seconds": round(max(s[0] for s in slowest), 3),
        "slowest_cell": max(slowest)[1],
        "import_seconds": _summary(imports)["median"],
        "details": {
            "workbook": _summary(workbook),
            "floor": _summary(floor),
            "import": _summary(imports),
            "per_notebook": {k: _summary(v) for k, v in per_notebook.items()},
        },
    }
    previous = json.loads(Path(args.output).read_text()) if Path(args.output).exists() else {}
    # Other benchmarks (batch scaling, test-suite timings) write their own keys into the same file.
    previous.update(results)
    Path(args.output).write_text(json.dumps(previous, indent=2, sort_keys=True) + "\n")
    print(f"{'measure':<28}{'median':>10}{'min':>10}{'max':>10}")
    for name, key in (("workbook (s)", "workbook"), ("floor (s)", "floor"), ("import mlops_lab (s)", "import")):
        s = results["details"][key]
        print(f"{name:<28}{s['median']:>10.3f}{s['min']:>10.3f}{s['max']:>10.3f}")
    print(f"{'workbook / floor':<28}{results['workbook_to_floor_ratio']:>10.2f}")
    print(f"{'slowest cell (s)':<28}{results['slowest_cell_seconds']:>10.2f}   ({results['slowest_cell']})")
    for name, s in results["details"]["per_notebook"].items():
        print(f"  {name:<26}{s['median']:>10.2f}{s['min']:>10.2f}{s['max']:>10.2f}")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
