"""The translated editions hold the English notebooks' code, cell by cell, so the editions cannot drift apart.

notebooks/es/scripts/NN_name.py is the Spanish notebook's source: the same cells as notebooks/scripts/NN_name.py
(same order, types and tags), the same code character for character except the parameters cell's language line,
and translated Markdown. scripts/sync_edition.py copies English code cells over; these tests prove it was run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.test_notebook_pairing import pairing_differences

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EDITIONS = ("es",)


def _load_sync():
    spec = importlib.util.spec_from_file_location("sync_edition", ROOT / "scripts" / "sync_edition.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sync_edition = _load_sync()


def _scripts(edition: str) -> list[str]:
    return sorted(p.stem for p in (NOTEBOOKS / edition / "scripts").glob("*.py"))


TRANSLATED = [(edition, name) for edition in EDITIONS for name in _scripts(edition)]


def code_differences(english_path: Path, translated_path: Path, language: str) -> list[str]:
    """Where a translated script's cells differ from the English script's beyond Markdown text (empty when equal)."""
    import jupytext

    english, translated = jupytext.read(english_path), jupytext.read(translated_path)
    problems = sync_edition.structure_differences(english, translated)
    for number, (mine, theirs) in enumerate(zip(english.cells, translated.cells, strict=False), start=1):
        if mine.cell_type == theirs.cell_type == "code":
            if sync_edition.edition_code(mine.source, language) != theirs.source:
                problems.append(f"cell {number}: code differs from the English cell")
            if "parameters" in mine.metadata.get("tags", ()) and f'language = "{language}"' not in theirs.source:
                problems.append(f'cell {number}: the parameters cell must set language = "{language}"')
    return problems


def test_every_edition_has_every_notebook_and_bank_and_nothing_else() -> None:
    english = set(_scripts(""))
    english_banks = {p.stem for p in (ROOT / "quizzes").glob("*.yaml")}
    for edition in EDITIONS:
        scripts = set(_scripts(edition))
        assert scripts == english, f"notebooks/{edition}/scripts must translate every English notebook, and only those"
        banks = {p.stem for p in (ROOT / "quizzes" / edition).glob("*.yaml")}
        assert banks == english_banks, f"quizzes/{edition} must translate every English bank, and only those"
        notebooks = {p.stem for p in (NOTEBOOKS / edition).glob("*.ipynb")}
        assert notebooks == scripts, f"notebooks/{edition}: build each script (`make notebooks NB={edition}/NAME`)"


@pytest.mark.parametrize("edition,name", TRANSLATED, ids=lambda v: v)
def test_translated_code_cells_equal_the_english_ones(edition: str, name: str) -> None:
    problems = code_differences(
        NOTEBOOKS / "scripts" / f"{name}.py", NOTEBOOKS / edition / "scripts" / f"{name}.py", edition
    )
    assert not problems, (
        f"notebooks/{edition}/scripts/{name}.py has drifted from the English notebook; run "
        f"`python scripts/sync_edition.py --language {edition} {name}` then `make notebooks NB={edition}/{name}`:\n"
        + "\n".join(problems)
    )


@pytest.mark.parametrize("edition,name", TRANSLATED, ids=lambda v: v)
def test_translated_notebook_and_script_hold_the_same_cells(edition: str, name: str) -> None:
    folder = NOTEBOOKS / edition
    problems = pairing_differences(folder / f"{name}.ipynb", folder / "scripts" / f"{name}.py")
    assert not problems, (
        f"rebuild notebooks/{edition}/{name}.ipynb (`make notebooks NB={edition}/{name}`):\n" + "\n".join(problems)
    )


def test_a_changed_code_cell_and_a_missing_cell_are_both_reported(tmp_path: Path) -> None:
    edition, name = TRANSLATED[0]
    english = NOTEBOOKS / "scripts" / f"{name}.py"
    translated = (NOTEBOOKS / edition / "scripts" / f"{name}.py").read_text(encoding="utf-8")
    edited = tmp_path / "edited.py"
    edited.write_text(translated.replace("seed = 42", "seed = 7", 1), encoding="utf-8")
    assert code_differences(english, edited, edition) == ["cell 2: code differs from the English cell"]
    import jupytext

    notebook = jupytext.read(NOTEBOOKS / edition / "scripts" / f"{name}.py")
    del notebook.cells[0]  # a Markdown cell left out of the translation: every later cell is off by one
    dropped = tmp_path / "dropped.py"
    jupytext.write(notebook, dropped, fmt="py:percent")
    problems = code_differences(english, dropped, edition)
    assert any("cells, the translation" in p for p in problems), problems


def test_the_language_line_is_the_only_allowed_difference() -> None:
    source = 'seed = 42\nlanguage = "en"  # "en" or "es"\nmode = "full"'
    assert sync_edition.edition_code(source, "es") == 'seed = 42\nlanguage = "es"  # "en" or "es"\nmode = "full"'
    assert sync_edition.edition_code("print('language = \"en\"')", "es") == "print('language = \"en\"')"


def test_sync_copies_english_code_keeps_the_translation_and_refuses_misaligned_cells(
    tmp_path: Path, monkeypatch
) -> None:
    import jupytext

    edition, name = TRANSLATED[0]
    (tmp_path / "notebooks" / "scripts").mkdir(parents=True)
    (tmp_path / "notebooks" / edition / "scripts").mkdir(parents=True)
    english = tmp_path / "notebooks" / "scripts" / f"{name}.py"
    english.write_text((NOTEBOOKS / "scripts" / f"{name}.py").read_text(encoding="utf-8"), encoding="utf-8")
    translated = tmp_path / "notebooks" / edition / "scripts" / f"{name}.py"
    original = (NOTEBOOKS / edition / "scripts" / f"{name}.py").read_text(encoding="utf-8")
    translated.write_text(original.replace("seed = 42", "seed = 7", 1), encoding="utf-8")
    monkeypatch.setattr(sync_edition, "ROOT", tmp_path)
    monkeypatch.setattr(sync_edition, "NOTEBOOKS", tmp_path / "notebooks")

    assert "1 code cell(s) updated" in sync_edition.sync(name, language=edition)
    assert code_differences(english, translated, edition) == []
    markdown = [c.source for c in jupytext.read(translated).cells if c.cell_type == "markdown"]
    assert markdown == [
        c.source
        for c in jupytext.read(NOTEBOOKS / edition / "scripts" / f"{name}.py").cells
        if c.cell_type == "markdown"
    ]

    notebook = jupytext.read(translated)
    del notebook.cells[0]
    jupytext.write(notebook, translated, fmt="py:percent")
    before = translated.read_text(encoding="utf-8")
    with pytest.raises(sync_edition.StructureError, match="does not line up"):
        sync_edition.sync(name, language=edition)
    assert translated.read_text(encoding="utf-8") == before, "a refused sync writes nothing"

    translated.unlink()
    assert "created" in sync_edition.sync(name, language=edition)
    assert code_differences(english, translated, edition) == []


@pytest.mark.parametrize("name", _scripts(""))
def test_every_english_notebook_has_a_language_parameter_it_passes_on(name: str) -> None:
    """The language line the translations change, and the calls that use it (quiz, exercises, scorecard).

    Other calls (the concept modules' tables and sentences) pass it too; these three must.
    """
    import ast

    import jupytext

    cells = jupytext.read(NOTEBOOKS / "scripts" / f"{name}.py").cells
    parameters = [c.source for c in cells if "parameters" in c.metadata.get("tags", ())]
    assert len(parameters) == 1 and sync_edition.LANGUAGE_LINE.search(parameters[0]), parameters
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    calls = [
        node
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in {"ExerciseBook", "show_quiz", "scorecard"}
    ]
    without = [
        ast.unparse(c)[:80]
        for c in calls
        if not any(k.arg == "language" and getattr(k.value, "id", "") == "language" for k in c.keywords)
    ]
    assert len(calls) >= 3 and without == []
