"""Every notebook has its paired jupytext script (notebooks/scripts/NAME.py) and both hold the same cells.

The script is what a reviewer reads as a diff and what an author edits; the .ipynb adds the executed outputs.
If the two drift apart, a review no longer shows what the learner runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SCRIPTS = NOTEBOOKS / "scripts"


def _names(folder: Path, pattern: str) -> list[str]:
    return sorted(path.stem for path in folder.glob(pattern))


def _cells(notebook) -> list[tuple[str, tuple[str, ...], str]]:
    # Tags matter: papermill finds the parameters cell by its tag, nbval reads its own tags.
    return [(cell.cell_type, tuple(cell.metadata.get("tags", ())), cell.source) for cell in notebook.cells]


def pairing_differences(notebook_path: Path, script_path: Path) -> list[str]:
    """Where the notebook and its script disagree, one readable line per difference (empty when in sync)."""
    import jupytext

    in_notebook, in_script = _cells(jupytext.read(notebook_path)), _cells(jupytext.read(script_path))
    problems = []
    for number, (left, right) in enumerate(zip(in_notebook, in_script, strict=False), start=1):
        for field, a, b in zip(("type", "tags", "source"), left, right, strict=True):
            if a != b:
                problems.append(f"cell {number}: {field} differs:\n  notebook: {a!r}\n  script:   {b!r}")
    if len(in_notebook) != len(in_script):
        problems.append(f"the notebook has {len(in_notebook)} cells, the script {len(in_script)}")
    return problems


def test_every_notebook_has_a_script_and_every_script_a_notebook() -> None:
    notebooks, scripts = set(_names(NOTEBOOKS, "*.ipynb")), set(_names(SCRIPTS, "*.py"))
    assert notebooks, f"no notebooks in {NOTEBOOKS}"
    assert sorted(notebooks - scripts) == [], "notebooks without a script: write notebooks/scripts/NAME.py, the source"
    assert sorted(scripts - notebooks) == [], "scripts without a notebook: run `make notebooks NB=NAME`"


@pytest.mark.parametrize("name", _names(NOTEBOOKS, "*.ipynb"))
def test_notebook_and_script_hold_the_same_cells(name: str) -> None:
    script = SCRIPTS / f"{name}.py"
    if not script.exists():
        pytest.skip(f"{script} is missing (reported by the pairing test above)")
    problems = pairing_differences(NOTEBOOKS / f"{name}.ipynb", script)
    assert not problems, (
        f"notebooks/{name}.ipynb and its script differ; the script is the source: rebuild the notebook from it "
        f"(`make notebooks NB={name}`):\n" + "\n".join(problems)
    )


def test_a_cell_changed_on_one_side_only_is_reported(tmp_path: Path) -> None:
    name = _names(NOTEBOOKS, "*.ipynb")[0]
    script = (SCRIPTS / f"{name}.py").read_text(encoding="utf-8")
    edited = script.replace("# %%\n", "# %%\nprint('edited in the script only')\n", 1)
    assert edited != script
    (tmp_path / f"{name}.py").write_text(edited, encoding="utf-8")
    problems = pairing_differences(NOTEBOOKS / f"{name}.ipynb", tmp_path / f"{name}.py")
    assert len(problems) == 1 and "source differs" in problems[0] and "edited in the script only" in problems[0]


def test_the_build_is_one_way_and_nothing_suggests_a_sync():
    """The script is the source and `make notebooks` builds the notebook; `jupytext --sync` would copy cells into a
    notebook without running them (stale outputs), so no tool, test or guide other than the warning suggests it."""
    root = Path(__file__).resolve().parent.parent
    suggesting = [
        str(path.relative_to(root))
        for path in [*root.glob("scripts/*.py"), *root.glob("mlops_lab/*.py"), root / "Makefile", root / "README.md"]
        if "jupytext --sync" in path.read_text(encoding="utf-8")
    ]
    assert suggesting == []
    guide = (root / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "Do not use\n  `jupytext --sync`" in guide and "make notebooks NB=NN_name" in guide
