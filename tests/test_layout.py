"""The package's layout, read from its own docstring: one module per course concept, arrows one way.

The docstring of ``mlops_lab`` maps every concept of the course to the module that implements it.
These tests read that map and check that each named module exists and that every module is on it,
that no module reaches into a third-party library's private names, and that the concept modules
import neither the learner-side code (exercise checks, quizzes, progress) nor the instructor tools.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

import mlops_lab

PACKAGE = Path(mlops_lab.__file__).resolve().parent
LEARNER_SIDE = {
    "exercises",
    "exercise_checks",
    "exercise_registry",
    "code_exercises",
    "hidden_tests",
    "quiz",
    "quiz_widgets",
    "quiz_stats",
    "quiz_answers",
    "progress",
}
INSTRUCTOR = {
    "roster",
    "batch",
    "notebook_execution",
    "submissions",
    "grading",
    "code_grading",
    "code_rerun",
    "report",
    "item_analysis",
    "cli",
}
# A module has one job; past about 800 lines it has several. Temporary exceptions, each with its reason:
MAX_MODULE_LINES = 800
OVERSIZED: dict[str, str] = {}
# Underscored names that their library documents as public.
DOCUMENTED_PUBLIC = {"os._exit"}
_MAP_LINE = re.compile(r"^    (?P<concept>\S.*?)\s{2,}(?P<module>[a-z][a-z0-9_]*)$")


def concept_map() -> list[tuple[str, str]]:
    """(concept, module) pairs, from the indented two-column lines of the package docstring's map."""
    text = mlops_lab.__doc__ or ""
    section = text[text.index("Where each concept lives") :]
    return [(m["concept"], m["module"]) for line in section.splitlines() if (m := _MAP_LINE.match(line))]


def modules() -> list[str]:
    return sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def _imports(module: str) -> list[ast.AST]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]


def _first_party(node: ast.AST) -> set[str]:
    """The mlops_lab modules an import statement names."""
    if isinstance(node, ast.ImportFrom) and node.module == "mlops_lab":
        return {alias.name for alias in node.names}
    names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    return {name.split(".")[1] for name in names if name.startswith("mlops_lab.")}


def test_the_map_names_a_real_module_for_every_concept_and_every_module_has_a_concept():
    found = dict(concept_map())
    assert len(found) >= 20, found
    missing = sorted({m for m in found.values() if importlib.util.find_spec(f"mlops_lab.{m}") is None})
    assert missing == [], f"the package docstring names modules that do not exist: {missing}"
    unmapped = sorted(set(modules()) - set(found.values()))
    assert unmapped == [], f"modules the package docstring does not place: {unmapped}"


def test_the_map_gives_each_concept_one_home():
    concepts = [concept.lower() for concept, _ in concept_map()]
    assert len(concepts) == len(set(concepts))


def private_names(source: str) -> list[str]:
    """Private names of other packages that ``source`` imports or reaches: ``from x._y import``,
    ``from x import _y``, ``import x._y``, or an attribute ``x.y._z`` of an imported module."""
    tree = ast.parse(source)
    found, imported = [], set()

    def private(dotted: str) -> bool:
        return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and not (node.module or "").startswith("mlops_lab"):
            found += [node.module] if private(node.module or "") else []
            found += [f"{node.module}.{a.name}" for a in node.names if private(a.name)]
            imported.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            outside = [a for a in node.names if not a.name.startswith("mlops_lab")]
            found += [a.name for a in outside if private(a.name)]
            imported.update(a.asname or a.name.split(".")[0] for a in outside)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in imported and ast.unparse(node) not in DOCUMENTED_PUBLIC:
                found.append(ast.unparse(node))
    return found


def test_the_private_name_check_finds_them():
    source = """
from mlflow.tracking.fluent import _get_experiment_id
import mlflow
from sklearn import _config
mlflow.utils._private.thing
from mlflow import MlflowClient
"""
    assert private_names(source) == [
        "mlflow.tracking.fluent._get_experiment_id",
        "sklearn._config",
        "mlflow.utils._private",
    ]


@pytest.mark.parametrize("module", modules())
def test_no_private_third_party_names_are_imported(module):
    assert private_names((PACKAGE / f"{module}.py").read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("module", sorted(set(modules()) - LEARNER_SIDE - INSTRUCTOR))
def test_concept_modules_do_not_import_instructor_tools(module):
    imported = set().union(*(_first_party(node) for node in _imports(module)))
    assert sorted(imported & INSTRUCTOR) == []


def test_concept_modules_do_not_import_learner_side_code():
    offenders = {
        module: sorted(set().union(*(_first_party(node) for node in _imports(module))) & LEARNER_SIDE)
        for module in sorted(set(modules()) - LEARNER_SIDE - INSTRUCTOR)
    }
    assert {module: names for module, names in offenders.items() if names} == {}


def test_every_exception_is_defined_in_errors_and_is_the_same_class_where_it_is_raised():
    import inspect

    from mlops_lab import errors

    defined = {name: cls for name, cls in vars(errors).items() if inspect.isclass(cls) and issubclass(cls, Exception)}
    assert len(defined) >= 7
    for module in modules():
        if module == "errors":
            continue
        tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
        classes = [n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
        assert not [c for c in classes if c.endswith("Error")], f"{module} defines its own exception"
    raised_in = {"UntrustedModelError": "model_files", "PipelineStepError": "pipeline", "QuizBankError": "quiz"}
    for name, module in raised_in.items():
        assert getattr(importlib.import_module(f"mlops_lab.{module}"), name) is defined[name]


@pytest.mark.parametrize("module", modules())
def test_no_module_passes_about_800_lines(module):
    lines = len((PACKAGE / f"{module}.py").read_text(encoding="utf-8").splitlines())
    if module in OVERSIZED:
        assert lines > MAX_MODULE_LINES, f"{module} is {lines} lines now: remove it from OVERSIZED"
    else:
        assert lines <= MAX_MODULE_LINES, f"{module} is {lines} lines: split it along its jobs"
