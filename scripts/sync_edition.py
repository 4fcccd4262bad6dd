"""Copy the English notebooks' code cells into a translated edition's scripts, so a code change propagates.

Usage: python scripts/sync_edition.py [--language es] [NAME ...]   (default: every English notebook)

The English script (notebooks/scripts/NAME.py) is the source of every code cell; a translated script
(notebooks/es/scripts/NAME.py) holds the same cells with its Markdown translated. This copies each English
code cell over the translated one, cell by cell; the parameters cell keeps the edition's language
(``language = "es"``). A translated script whose cells no longer line up with the English ones (a cell added,
removed or moved, a tag changed) is refused with the first difference named: add or move the Markdown cell in
the translation by hand, then sync again. A missing translated script is created as a copy of the English one
(Markdown still in English), the starting point of a new translation. Rebuild afterwards:
``make notebooks NB=es/NAME``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LANGUAGE_LINE = re.compile(r'^language = "en"(?=  #|$)', re.MULTILINE)


class StructureError(ValueError):
    """The translated script's cells do not line up with the English script's."""


def _shape(cell) -> tuple[str, tuple[str, ...]]:
    return cell.cell_type, tuple(cell.metadata.get("tags", ()))


def edition_code(source: str, language: str) -> str:
    """An English code cell as the ``language`` edition holds it: only the parameters' language line differs."""
    return LANGUAGE_LINE.sub(f'language = "{language}"', source)


def structure_differences(english, translated) -> list[str]:
    """Where two notebooks' cells do not line up (type and tags, cell by cell), one line each."""
    problems = [
        f"cell {n}: English {a[0]} {list(a[1])}, translated {b[0]} {list(b[1])}"
        for n, (a, b) in enumerate(
            zip(map(_shape, english.cells), map(_shape, translated.cells), strict=False), start=1
        )
        if a != b
    ]
    if len(english.cells) != len(translated.cells):
        problems.append(f"English has {len(english.cells)} cells, the translation {len(translated.cells)}")
    return problems


def sync(name: str, *, language: str = "es") -> str:
    """Copy ``name``'s English code cells into its ``language`` script; return what was done."""
    import jupytext

    source = NOTEBOOKS / "scripts" / f"{name}.py"
    target = NOTEBOOKS / language / "scripts" / f"{name}.py"
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no English script named {name!r}")
    english = jupytext.read(source)
    if not target.exists():
        translated, action = english, "created (Markdown to translate)"
    else:
        translated, action = jupytext.read(target), "synced"
        problems = structure_differences(english, translated)
        if problems:
            raise StructureError(f"{target} does not line up with {source}:\n  " + "\n  ".join(problems))
    changed = 0
    for mine, theirs in zip(english.cells, translated.cells, strict=True):
        if mine.cell_type == "code":
            code = edition_code(mine.source, language)
            changed += code != theirs.source or translated is english
            theirs.source = code
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(translated, target, fmt="py:percent")
    return f"{target.relative_to(ROOT)}: {action}, {changed} code cell(s) updated"


def main(args: list[str]) -> int:
    language = "es"
    if "--language" in args:
        at = args.index("--language")
        language, args = args[at + 1], args[:at] + args[at + 2 :]
    names = args or sorted(p.stem for p in (NOTEBOOKS / "scripts").glob("*.py"))
    status = 0
    for name in names:
        try:
            print(sync(name, language=language))
        except (StructureError, FileNotFoundError) as exc:
            print(f"{name}: not synced: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
