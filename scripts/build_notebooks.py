"""Rebuild notebooks from their paired scripts and execute them, so the stored outputs are what nbval checks.

Usage: python scripts/build_notebooks.py [NAME ...]   (default: every notebooks/scripts/*.py)

Each notebook runs in a fresh temporary workspace with the same environment as the tests
(PYTHONHASHSEED=0, telemetry off), from the notebooks/ folder, with the python3 kernel.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

TEST_ENVIRONMENT = {
    "PYTHONHASHSEED": "0",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


def build(name: str) -> float:
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    script = NOTEBOOKS / "scripts" / f"{name}.py"
    target = NOTEBOOKS / f"{name}.ipynb"
    notebook = jupytext.read(script)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    notebook.metadata.setdefault("language_info", {"name": "python"})
    with tempfile.TemporaryDirectory(prefix=f"mlops-lab-{name}-") as workspace:
        os.environ["MLOPS_LAB_WORKSPACE"] = workspace
        started = time.perf_counter()
        NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
        elapsed = time.perf_counter() - started
    nbformat.validate(notebook)
    nbformat.write(notebook, target)
    jupytext.write(notebook, script, fmt="py:percent")
    return elapsed


def main(names: list[str]) -> int:
    os.environ.update(TEST_ENVIRONMENT)
    names = names or sorted(p.stem for p in (NOTEBOOKS / "scripts").glob("*.py"))
    for name in names:
        print(f"{name}: executed in {build(name):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
