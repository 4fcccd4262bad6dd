"""Every text the package shows a learner is translated, and the Spanish notebooks show no English sentence.

The package (and, rarely, a notebook's code cell) writes its texts in English inside
``translate("...")`` (or marks them with ``translatable("...")``); ``mlops_lab/locale/es/*.json``
maps each to Spanish. These tests find
every such text in the source and check its translation exists with the same placeholders, that no
catalogue holds a stale or conflicting entry, and, as the proof a Spanish-speaking learner needs,
that the stored outputs of ``notebooks/es/`` contain no English sentence.
"""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest

from mlops_lab import i18n

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mlops_lab"
MARKERS = {"translate", "translatable"}


def marked_texts(source: str) -> list[tuple[str, int]]:
    """(English text, line) of every marker call in ``source`` whose first argument is a string literal."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        first = node.args[0]
        if name in MARKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            context = next((k.value.value for k in node.keywords if k.arg == "context"), "")
            found.append((f"{context}|{first.value}" if context else first.value, node.lineno))
    return found


def source_texts() -> dict[str, list[str]]:
    """English text -> where the package or an English notebook's code writes it (``file:line``)."""
    found: dict[str, list[str]] = {}
    for path in sorted([*PACKAGE.glob("*.py"), *(ROOT / "notebooks" / "scripts").glob("*.py")]):
        for text, line in marked_texts(path.read_text(encoding="utf-8")):
            found.setdefault(text, []).append(f"{path.stem}:{line}")
    return found


def fields(text: str) -> list[str]:
    return sorted(f"{name}:{spec}" for _, name, spec, _ in string.Formatter().parse(text) if name is not None)


def test_the_markers_are_found_and_translation_falls_back_to_english() -> None:
    source = 'x = translate("{n} runs", language=language, n=3)\nLABELS = (i18n.translatable("stage"), label)\n'
    assert marked_texts(source) == [("{n} runs", 1), ("stage", 2)]
    assert i18n.translate("{n} of {m}", language="en", n=1, m=2) == "1 of 2"
    assert i18n.translate("a text nobody translated", language="es") == "a text nobody translated"
    assert marked_texts('translate("none", language=language, context="alerts")') == [("alerts|none", 1)]
    assert i18n.translate("none", language="es", context="alerts") != i18n.translate("none", language="es")
    with pytest.raises(ValueError, match="language must be one of"):
        i18n.translate("x", language="fr")


@pytest.mark.parametrize("language", i18n.LANGUAGES[1:])
def test_every_text_is_translated_with_the_same_placeholders(language: str) -> None:
    catalogue = i18n.translations(language)
    missing = {text: where for text, where in source_texts().items() if text not in catalogue}
    assert missing == {}, f"texts without a {language} translation (add them to mlops_lab/locale/{language}/)"
    wrong = {text: catalogue[text] for text in source_texts() if fields(catalogue[text]) != fields(text)}
    assert wrong == {}, "translations whose placeholders differ from the English text"


@pytest.mark.parametrize("language", i18n.LANGUAGES[1:])
def test_no_catalogue_holds_a_stale_or_conflicting_entry(language: str) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for path in sorted((PACKAGE / "locale" / language).glob("*.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(entries, dict) and all(isinstance(v, str) for v in entries.values()), path.name
        for text, translation in entries.items():
            if text in seen and seen[text][1] != translation:
                pytest.fail(f"{text!r} is translated differently in {seen[text][0]} and {path.name}")
            seen[text] = (path.name, translation)
    stale = sorted(set(seen) - set(source_texts()))
    assert stale == [], "catalogue entries the package no longer shows (remove them)"


# Words that mark a line as English: common in every English sentence, never Spanish words.
ENGLISH_WORDS = re.compile(
    r"\b(the|and|of|with|is|are|was|were|from|this|that|which|than|when|after|before|should|could|would|"
    r"have|been|every|each|not|only|but|its|their|your|you|rows|runs|run|month|months|missing|"
    r"passed|failed|found|checks?|model|models|to|by|for|on|in|at|missed|yes)\b",
    re.IGNORECASE,
)
# Text the learner sees that is not the package's to translate: library messages, identifiers, data values.
NOT_OURS = [
    re.compile(p)
    for p in (
        r"^(Successfully registered model|Created version) '",  # MLflow's own log lines
        r"Input X contains infinity or a value too large",  # scikit-learn's error, shown as the failure it is
        r"^\s*[\w.\[\]]+: (Input should be|Field required|Extra inputs are not permitted)",  # pydantic's 422 details
        r"^<Figure size \d+x\d+ with \d+ Axes>$",  # matplotlib's text stand-in for a figure; the learner sees the image
        r"^\s*column\s+check\s+failure_case$",  # the column names of pandera's failure_cases table, printed as is
        # The customer table's header: its column names are the dataset's identifiers code uses (customers["month"]).
        r"^\s*customer_id\s+month\s+tenure_months\b",
        r"lanzó \w+: ",  # Python's own error message, after a code exercise's "your function raised" in Spanish
    )
]


# Hyphenated or underscored tokens are identifiers and data values (month-to-month, trial-7, train_months).
IDENTIFIER = re.compile(r"\w+(?:[-_.]\w+)+")
# Names that stay English in Spanish text: Google Cloud products (as Google's Spanish documentation writes them)
# and the titles of the papers the workbook cites.
PROPER_NAMES = re.compile(
    r"\b(Model (Registry|Monitoring|Evaluation)|Explainable AI|Hidden Technical Debt in Machine Learning Systems)\b"
)
# "model" is also a name: the pipeline's artifact (quoted, before its fingerprint or type, in a list of artifact names,
# or alone in a table cell at the line's end), ML Metadata's artifact type Model, and a word of Google Cloud product
# names, which stay English (Vertex AI Model Monitoring, Model Registry).
MODEL_NAME = re.compile(
    r"\bModel\b(?= [A-Z][a-z]| \d|\)| ')|'model'|\bmodel(?= [0-9a-f]{12}\b| \(Model\)|,|\s*$)|(?<=, )model\b"
)


def english_lines(notebook: Path) -> list[str]:
    """Lines of a notebook's stored outputs that read as English (``cell N: line``)."""
    found = []
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for number, cell in enumerate(cells, start=1):
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            for line in "".join(text).splitlines():
                if english_lines_of(line):
                    found.append(f"cell {number}: {line.strip()[:160]}")
    return found


def test_the_english_detector_finds_english_and_passes_spanish() -> None:
    assert english_lines_of("3/3 checks passed: PROMOTE the candidate")
    assert english_lines_of("Best by cost (missed churner 100, false alarm 10): trial-7")
    assert not english_lines_of("3/3 comprobaciones superadas: se PROMUEVE el candidato")
    assert not english_lines_of("Successfully registered model 'churn-model'.")
    assert not english_lines_of("contract = month-to-month   1853  0.852  APROBADO")
    assert not english_lines_of("P8. ¿Qué alias le da Vertex AI Model Registry a la primera versión de un modelo?")
    assert english_lines_of("Model Registry keeps every version of the model")
    assert not english_lines_of("   a) Vertex AI Model Registry") and english_lines_of("the model registry")
    assert not english_lines_of("<Figure size 700x300 with 1 Axes>")
    assert not english_lines_of("4  entrenamiento del modelo  train_model  model (Model)  Vertex AI Model Monitoring")
    assert not english_lines_of("Artifact(Model 'model', huella 23fb9624f007)  train-model  model, test  model")
    assert english_lines_of("model ROC AUC 0.7917, baseline rule ROC AUC 0.7015")
    assert english_lines_of("Model ROC AUC 0.7917")


def english_lines_of(text: str) -> bool:
    """Whether ``text`` reads as English once identifiers, data values and other libraries' messages are set aside."""
    words = MODEL_NAME.sub(" ", PROPER_NAMES.sub(" ", IDENTIFIER.sub(" ", text)))
    return bool(ENGLISH_WORDS.search(words)) and not any(p.search(text) for p in NOT_OURS)


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks" / "es").glob("*.ipynb")), ids=lambda p: p.stem)
def test_the_spanish_notebooks_show_no_english_sentence(notebook: Path) -> None:
    assert english_lines(notebook) == []
