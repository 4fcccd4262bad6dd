"""Rebuild notebooks from their paired scripts and execute them, so the stored outputs are what nbval checks.

Usage: python scripts/build_notebooks.py [--force] [NAME ...]   (default: every notebooks/scripts/*.py)

Each notebook runs in a fresh temporary workspace with the same environment as the tests
(PYTHONHASHSEED=0, telemetry off), from the notebooks/ folder, with the python3 kernel.
The build is one way: the script is the source and the notebook (cells and outputs) is written
from it. A notebook whose cells were edited after its script (in JupyterLab without its jupytext
extension, say) is not overwritten without --force: move the edit into the script first.
The script is formatted with `ruff format` first, so the notebook's code cells and the script that
`make lint` checks are both formatted.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
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


class EditedNotebookError(RuntimeError):
    pass


def _sources(notebook) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def _stable_cell_ids(notebook) -> None:
    """Cell ids from the cell's content, so rebuilding an unchanged notebook changes no id."""
    seen: set[str] = set()
    for cell in notebook.cells:
        base = hashlib.sha1(f"{cell.cell_type}:{cell.source}".encode()).hexdigest()[:8]
        cell_id, n = base, 1
        while cell_id in seen:
            cell_id, n = f"{base}-{n}", n + 1
        seen.add(cell_id)
        cell.id = cell_id


def _stable_outputs(notebook) -> None:
    """Outputs that do not depend on timing: one stream output per name and no random widget model ids.

    A saved notebook carries no widget state, so the model id it names is never found anyway; the widget's
    text/plain fallback is what a reader (and nbval) sees.
    """
    for cell in notebook.cells:
        merged = []
        for output in cell.get("outputs", []):
            if (
                output.output_type == "stream"
                and merged
                and merged[-1].output_type == "stream"
                and merged[-1].name == output.name
            ):
                merged[-1].text += output.text
                continue
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                view["model_id"] = f"{cell.id}-widget"
            merged.append(output)
        if "outputs" in cell:
            cell.outputs = merged


def _format(script: Path) -> None:
    subprocess.run([sys.executable, "-m", "ruff", "format", "--quiet", str(script)], check=True)


def build(name: str, *, force: bool = False) -> float:
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    script = NOTEBOOKS / "scripts" / f"{name}.py"
    target = NOTEBOOKS / f"{name}.ipynb"
    notebook = jupytext.read(script)
    if not force and target.exists() and target.stat().st_mtime > script.stat().st_mtime:
        if _sources(nbformat.read(target, as_version=4)) != _sources(notebook):
            raise EditedNotebookError(
                f"{target} was edited after {script}: the script is the source, so move the edit into it, "
                "then rebuild (or pass --force to discard the notebook's edit)"
            )
    _format(script)
    notebook = jupytext.read(script)
    _stable_cell_ids(notebook)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    notebook.metadata.setdefault("language_info", {"name": "python"})
    with tempfile.TemporaryDirectory(prefix=f"mlops-lab-{name}-") as workspace:
        os.environ["MLOPS_LAB_WORKSPACE"] = workspace
        started = time.perf_counter()
        NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS)}},
            # Widget state and cell timings change on every run: leaving them out keeps diffs reviewable.
            store_widget_state=False,
            record_timing=False,
        ).execute()
        elapsed = time.perf_counter() - started
    _stable_outputs(notebook)
    nbformat.validate(notebook)
    nbformat.write(notebook, target)
    jupytext.write(notebook, script, fmt="py:percent")
    _format(script)  # jupytext's own blank lines between cells, made to agree with the formatter
    return elapsed


def main(args: list[str]) -> int:
    os.environ.update(TEST_ENVIRONMENT)
    force = "--force" in args
    names = [a for a in args if a != "--force"] or sorted(p.stem for p in (NOTEBOOKS / "scripts").glob("*.py"))
    for name in names:
        try:
            print(f"{name}: executed in {build(name, force=force):.1f} s")
        except EditedNotebookError as exc:
            print(f"{name}: not rebuilt: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
