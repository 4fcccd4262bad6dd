"""Rebuild notebooks from their paired scripts and execute them, so the stored outputs are what nbval checks.

Usage: python scripts/build_notebooks.py [--force] [NAME ...]
NAME is a notebook of the English edition (``00_start_here``) or of a translated one (``es/00_start_here``, from
notebooks/es/scripts/); ``es`` alone builds the whole Spanish edition. Default: every notebook of every edition.

Each notebook runs in a fresh temporary workspace with the same environment as the tests
(PYTHONHASHSEED=0, telemetry off), from its own folder (notebooks/ or notebooks/es/), with the python3 kernel.
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
# The translated editions: notebooks/<language>/ with its own scripts/ folder, the same notebook names.
EDITIONS = ("es",)

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


def _folder(name: str) -> tuple[Path, str]:
    """The folder of notebook ``name`` (``NN_name`` or ``<edition>/NN_name``) and its bare name."""
    edition, _, stem = name.rpartition("/")
    if edition and edition not in EDITIONS:
        raise ValueError(f"{name}: no edition {edition!r}; editions: English (no prefix), {', '.join(EDITIONS)}")
    return (NOTEBOOKS / edition if edition else NOTEBOOKS), stem


def all_names(editions: tuple[str, ...] = ("", *EDITIONS)) -> list[str]:
    """Every notebook with a script, English first (``NN_name``), then each edition's (``es/NN_name``)."""
    names = []
    for edition in editions:
        folder = NOTEBOOKS / edition if edition else NOTEBOOKS
        names += [f"{edition}/{p.stem}" if edition else p.stem for p in sorted((folder / "scripts").glob("*.py"))]
    return names


def build(name: str, *, force: bool = False) -> float:
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    folder, name = _folder(name)
    script = folder / "scripts" / f"{name}.py"
    target = folder / f"{name}.ipynb"
    if not script.is_file():
        raise ValueError(f"{script}: no such script")
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
            resources={"metadata": {"path": str(folder)}},
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
    asked = [a for a in args if a != "--force"]
    names = [n for a in asked for n in (all_names((a,)) if a in EDITIONS else [a])] if asked else all_names()
    for name in names:
        try:
            print(f"{name}: executed in {build(name, force=force):.1f} s")
        except (EditedNotebookError, ValueError) as exc:
            print(f"{name}: not rebuilt: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
