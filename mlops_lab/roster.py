"""A batch's rows: who the notebooks run for, read strictly from a roster CSV or a sweep YAML.

A roster has one row per learner: a ``learner`` column (the learner's folder, a safe file name)
and one column per notebook parameter, each cell parsed as a Python or JSON literal where it is
one (``42``, ``0.5``, ``{'q1': 'b'}``) and kept as text otherwise. A sweep is a YAML grid of
parameter values, one row per point, plus named runs. Either file is refused as a whole, with
its line where there is one, when it is malformed (an open quote, a ragged row, a repeated
column or row name, a parameter the batch sets itself), so a typo never runs a class with the
wrong settings. :mod:`mlops_lab.batch` runs the rows.
"""

from __future__ import annotations

import ast
import csv
import itertools
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_lab.errors import BatchInputError

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# The batch decides where each row's files go; a roster must not redirect them.
_RESERVED_PARAMETERS = {"workspace"}


@dataclass(frozen=True)
class BatchRow:
    """One learner (or sweep point): a folder name and the parameters its notebooks get."""

    name: str
    parameters: dict[str, Any]


def _check_row_name(name: str, where: str) -> str:
    if not _SAFE_NAME.match(name):
        raise BatchInputError(
            f"{where}: {name!r} cannot be a folder name; use letters, digits, '.', '_' or '-' (at most 100)"
        )
    return name


def parse_cell_value(text: str) -> Any:
    """A roster cell as a parameter: Python/JSON literals (``42``, ``0.5``, ``{'q1': 'b'}``, ``true``) or text."""
    text = text.strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    try:
        return json.loads(text)
    except ValueError:
        return text


def _read_csv_strictly(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (line number, values) of every non-blank row; malformed CSV is refused with its line.

    Python's csv module is lenient: an unterminated quote swallows every later line into one
    value, and ragged rows or repeated column names pass silently. A roster is small and
    hand-edited, so each of these is an error here, reported before anything runs.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BatchInputError(f"{path}: no such roster file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchInputError(f"{path}: not a readable UTF-8 text file ({exc})") from None
    rows = _csv_rows(path, text)
    if not rows:
        raise BatchInputError(f"{path}: the roster is empty; it needs a header line with a 'learner' column")
    header_line, header = rows[0]
    columns = _checked_columns(path, header_line, header)
    for number, values in rows[1:]:
        if len(values) != len(columns):
            fewer_or_more = "more" if len(values) > len(columns) else "fewer"
            raise BatchInputError(
                f"{path}: line {number}: {len(values)} values for {len(columns)} columns ({fewer_or_more} values than columns)"
            )
    return columns, rows[1:]


def _csv_rows(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """(line number, values) of every non-blank CSV row; an open quote or a value over several lines is refused."""
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    rows: list[tuple[int, list[str]]] = []
    line = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise BatchInputError(
                f"{path}: line {line}: malformed CSV ({exc}); is a quote left open or doubled wrongly?"
            ) from None
        if any("\n" in v or "\r" in v for v in values):
            raise BatchInputError(
                f"{path}: line {line}: a quoted value runs over several lines (lines {line}-{reader.line_num}); "
                "is a closing quote missing?"
            )
        if values:
            rows.append((line, values))
        line = reader.line_num + 1


def _checked_columns(path: Path, header_line: int, header: list[str]) -> list[str]:
    """The header's column names, each present and used once."""
    columns = [c.strip() for c in header]
    for position, column in enumerate(columns, start=1):
        if not column:
            raise BatchInputError(f"{path}: line {header_line}: column {position} has no name")
        if columns.index(column) != position - 1:
            raise BatchInputError(f"{path}: line {header_line}: column {column!r} appears twice")
    return columns


def read_roster(path: str | os.PathLike[str]) -> list[BatchRow]:
    """One row per learner: a ``learner`` column, then one column per notebook parameter (empty: the default)."""
    path = Path(path)
    columns, records = _read_csv_strictly(path)
    if "learner" not in columns:
        raise BatchInputError(f"{path}: the roster needs a 'learner' column (found: {', '.join(columns)})")
    reserved = _RESERVED_PARAMETERS & set(columns)
    if reserved:
        raise BatchInputError(f"{path}: column(s) {sorted(reserved)} are set by the batch (one workspace per learner)")
    rows = []
    for number, values in records:
        record = dict(zip(columns, values, strict=True))
        name = _check_row_name(record["learner"].strip(), f"{path}: line {number}: learner")
        parameters = {k: parse_cell_value(v) for k, v in record.items() if k != "learner" and v.strip()}
        rows.append(BatchRow(name=name, parameters=parameters))
    if not rows:
        raise BatchInputError(f"{path}: the roster has no learners")
    _check_unique(rows, str(path))
    return rows


def _slug(parameters: dict[str, Any]) -> str:
    text = "_".join(f"{k}-{v}" for k, v in parameters.items())
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")[:60] or "run"


def read_sweep(path: str | os.PathLike[str]) -> list[BatchRow]:
    """Rows from a sweep file: every combination of the lists under ``grid``, plus explicit ``runs``.

    ::

        grid:            # 3 x 2 = 6 rows
          seed: [1, 2, 3]
          mode: [smoke, full]
        fixed:           # the same for every row
          quiz_answers: {}
        runs:            # extra rows, each named or numbered
          - {name: baseline, seed: 42}
    """
    import yaml

    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_strict_yaml_loader())  # noqa: S506 (a SafeLoader)
    except FileNotFoundError:
        raise BatchInputError(f"{path}: no such sweep file") from None
    except yaml.MarkedYAMLError as exc:
        line = f"line {exc.problem_mark.line + 1}: " if exc.problem_mark else ""
        raise BatchInputError(f"{path}: {line}invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise BatchInputError(f"{path}: invalid YAML ({exc})") from None
    if (
        not isinstance(raw, dict)
        or not set(raw) <= {"grid", "fixed", "runs"}
        or not (raw.get("grid") or raw.get("runs"))
    ):
        raise BatchInputError(
            f"{path}: a sweep file is a mapping with 'grid' (name: [values]) and/or 'runs', plus 'fixed'"
        )
    grid, fixed, runs = raw.get("grid") or {}, raw.get("fixed") or {}, raw.get("runs") or []
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        raise BatchInputError(f"{path}: 'grid' maps each parameter to a non-empty list of values")
    if not isinstance(fixed, dict) or not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        raise BatchInputError(f"{path}: 'fixed' is a mapping and 'runs' a list of mappings")
    reserved = _RESERVED_PARAMETERS & (set(grid) | set(fixed) | {k for r in runs for k in r})
    if reserved:
        raise BatchInputError(f"{path}: parameter(s) {sorted(reserved)} are set by the batch (one workspace per row)")
    rows = []
    names = list(grid)
    for number, values in enumerate(itertools.product(*grid.values()) if grid else [], start=1):
        swept = dict(zip(names, values, strict=True))
        rows.append(BatchRow(name=f"{number:03d}_{_slug(swept)}", parameters={**fixed, **swept}))
    for number, run in enumerate(runs, start=len(rows) + 1):
        run = dict(run)
        name = str(run.pop("name", f"{number:03d}_{_slug(run)}"))
        rows.append(BatchRow(name=_check_row_name(name, f"{path}: runs"), parameters={**fixed, **run}))
    _check_unique(rows, str(path))
    return rows


def _strict_yaml_loader() -> type:
    """PyYAML's SafeLoader, except that a key repeated in one mapping is an error (PyYAML keeps the last one)."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"{key!r} appears twice in one mapping", key_node.start_mark
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


def _check_unique(rows: Sequence[BatchRow], where: str) -> None:
    seen: set[str] = set()
    for row in rows:
        if row.name in seen:
            raise BatchInputError(f"{where}: {row.name!r} appears twice; each row needs its own folder")
        seen.add(row.name)
