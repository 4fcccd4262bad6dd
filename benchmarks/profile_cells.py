"""Profile a notebook's cells beyond their imports, in one process, with CPU time and cProfile.

Usage: python benchmarks/profile_cells.py NN_name [--top 5] [--functions 12] [--sort cumulative]

The notebook's code cells run one after the other in an in-process IPython shell, with the notebook's own
parameters and a fresh temporary workspace. Before the first cell, every library the notebook imports is imported
(the list is read off a real run in a subprocess), so each cell's CPU time is the notebook's own work. For the
slowest cells the cProfile functions with the most cumulative time are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

IMPORTS_PROBE = """
import json, sys, runpy
before = set(sys.modules)
import nbformat
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
base = set(sys.modules)
nb = nbformat.read(sys.argv[1], as_version=4)
for cell in nb.cells:
    if cell.cell_type == "code":
        shell.run_cell(cell.source)
        if "parameters" in cell.metadata.get("tags", []):
            shell.run_cell(f"workspace = {sys.argv[2]!r}")
ours = ("mlops_lab", "__main__", "__mp_main__")
print("MODULES" + json.dumps(sorted(m for m in sys.modules if m not in base and not m.startswith(ours))))
"""


def _libraries(notebook: Path, workspace: Path) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", IMPORTS_PROBE, str(notebook), str(workspace)],
        capture_output=True,
        text=True,
        check=True,
        cwd=NOTEBOOKS,
    ).stdout
    return json.loads(out[out.rindex("MODULES") + len("MODULES") :].splitlines()[0])


def main() -> int:
    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--functions", type=int, default=12)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MPLBACKEND", "Agg")
    path = NOTEBOOKS / f"{args.notebook}.ipynb"
    with tempfile.TemporaryDirectory(prefix="mlops-lab-prof-") as tmp:
        libraries = _libraries(path, Path(tmp) / "probe")
        os.chdir(NOTEBOOKS)
        # Private top-level modules are left to the packages that load them: `_asyncio` imported before `asyncio`
        # leaves asyncio's current_task() without the running task, and 05's endpoint answered every request 500.
        for name in (n for n in libraries if not n.startswith("_")):
            try:
                importlib.import_module(name)
            except Exception:  # a few entries only exist as attributes set by their parent package
                pass
        shell = InteractiveShell.instance()
        nb = nbformat.read(path, as_version=4)
        cells = []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if "parameters" in cell.metadata.get("tags", []):
                shell.run_cell(cell.source)
                shell.run_cell(f"workspace = {str(Path(tmp) / 'ws')!r}")
                continue
            profile = cProfile.Profile()
            cpu, wall = time.process_time(), time.perf_counter()
            profile.enable()
            result = shell.run_cell(cell.source)
            profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if not result.success:
                print(f"cell {index} failed: {result.error_in_exec or result.error_before_exec}")
            first = next((line for line in cell.source.splitlines() if line and not line.startswith("#")), "")
            cells.append((cpu, wall, index, first, profile))
        total = sum(c[0] for c in cells)
        print(f"{args.notebook}: {total:.2f} s CPU in {len(cells)} code cells (imports excluded)")
        for cpu, wall, index, first, _ in cells:
            print(f"  cell {index:>3} {cpu:6.2f} s CPU {wall:6.2f} s wall  {first[:80]}")
        for cpu, wall, index, first, profile in sorted(cells, key=lambda c: c[0], reverse=True)[: args.top]:
            print(f"\n=== cell {index}: {cpu:.2f} s CPU, {wall:.2f} s wall: {first[:100]}")
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.functions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
