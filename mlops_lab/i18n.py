"""The words the package shows a learner, in each edition's language.

Every notebook has a ``language`` parameter ("en" or "es", the notebook's edition by default) that it
passes to the functions whose results a learner reads: the quiz, the exercise feedback, the scorecard,
and the tables, sentences and figure labels of the concept modules. Only words change with the
language: numbers, grades, stored answers and the progress file are the same in every edition.

Two ways to look words up:

* :func:`translate`, as gettext does it: the package's source writes the English text, which is its
  own key, and ``mlops_lab/locale/<language>/*.json`` maps it to its translation
  (``translate("{n} runs", language="es", n=3)`` -> ``"3 ejecuciones"``). Call it with the English
  text written out, so ``tests/test_translations.py`` can find every text and check it is translated
  with the same placeholders; a text kept in a table of values is marked with :func:`translatable`.
* :func:`message`, the named messages of the quiz widget and the feedback frame below.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "es")  # English first: the source edition, which every translation must match

_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "quiz.header.one": "Quiz {notebook}: {n} question",
        "quiz.header.many": "Quiz {notebook}: {n} questions",
        "quiz.question": "Q{n}.",
        "quiz.not_answered": "-> not answered yet",
        "quiz.your_answer": "-> your answer: {answer}",
        "quiz.score": "Score: {score}/{total}",
        "quiz.check": "Check",
        "quiz.answer": "Answer:",
        "quiz.correct": "Correct.",
        "quiz.partly_right": "Partly right.",
        "quiz.not_quite": "Not quite.",
        "quiz.expected": "Not quite: the expected value is {expected} (within ±{tolerance}).",
        "quiz.option": "{key}) {who}, {mark}: {explanation}",
        "quiz.you_chose": "you chose",
        "quiz.you_missed": "you missed",
        "quiz.right": "right",
        "quiz.wrong": "wrong",
        "quiz.pick": "Pick an answer first, then press Check.",
        "quiz.multi_prompt": "choose all that apply",
        "quiz.number_hint": "a number",
        "quiz.not_a_number": "Write a number (for example 12 or 0.35), then press Check.",
        "quiz.ignored": (
            "Ignored answers for {names}: this quiz has no question with that id (answers to other notebooks' "
            "questions are skipped without a note). Give answers by question id, or per notebook: {example}."
        ),
        "scorecard": "{notebook}: quiz {score}/{total} correct, exercises {passed}/{exercises} passed",
        "exercise.pass": "PASS",
        "exercise.try_again": "TRY AGAIN",
        "exercise.reference": " (reference solution)",
        "exercise.check_failed": "the check could not use {value}: {error}",
        "code.all_passed": "all {n} hidden tests passed.",
        "code.some_passed": "{passed} of {n} hidden tests passed. What went wrong:",
        "code.not_saved": "(Your code could not be saved: write it as a `def` in a cell.)",
    },
    "es": {
        "quiz.header.one": "Cuestionario {notebook}: {n} pregunta",
        "quiz.header.many": "Cuestionario {notebook}: {n} preguntas",
        "quiz.question": "P{n}.",
        "quiz.not_answered": "-> sin responder todavía",
        "quiz.your_answer": "-> tu respuesta: {answer}",
        "quiz.score": "Puntuación: {score}/{total}",
        "quiz.check": "Comprobar",
        "quiz.answer": "Respuesta:",
        "quiz.correct": "Correcto.",
        "quiz.partly_right": "Parcialmente correcto.",
        "quiz.not_quite": "No del todo.",
        "quiz.expected": "No del todo: el valor esperado es {expected} (con un margen de ±{tolerance}).",
        "quiz.option": "{key}) {who}, {mark}: {explanation}",
        "quiz.you_chose": "la elegiste",
        "quiz.you_missed": "no la elegiste",
        "quiz.right": "es correcta",
        "quiz.wrong": "es incorrecta",
        "quiz.pick": "Elige primero una respuesta y después pulsa Comprobar.",
        "quiz.multi_prompt": "elige todas las que correspondan",
        "quiz.number_hint": "un número",
        "quiz.not_a_number": "Escribe un número (por ejemplo 12 o 0.35) y después pulsa Comprobar.",
        "quiz.ignored": (
            "Se ignoraron las respuestas a {names}: este cuestionario no tiene ninguna pregunta con ese id (las "
            "respuestas a preguntas de otros cuadernos se omiten sin aviso). Da las respuestas por id de pregunta o "
            "por cuaderno: {example}."
        ),
        "scorecard": "{notebook}: {score}/{total} preguntas correctas, {passed}/{exercises} ejercicios superados",
        "exercise.pass": "CORRECTO",
        "exercise.try_again": "INTÉNTALO DE NUEVO",
        "exercise.reference": " (solución de referencia)",
        "exercise.check_failed": "la comprobación no pudo usar {value}: {error}",
        "code.all_passed": "se superaron las {n} pruebas ocultas.",
        "code.some_passed": "{passed} de {n} pruebas ocultas superadas. Qué falló:",
        "code.not_saved": "(No se pudo guardar tu código: escríbelo como una función `def` en una celda).",
    },
}


def check_language(language: Any) -> str:
    """``language`` if the workbook speaks it; otherwise a :class:`ValueError` that lists the languages."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(map(repr, LANGUAGES))}, got {language!r:.40}")
    return language


def message(name: str, /, *, language: str = "en", **values: Any) -> str:
    """The text of ``name`` in ``language``, with ``values`` filled in."""
    return _MESSAGES[check_language(language)][name].format(**values)


def catalogue(language: str) -> dict[str, str]:
    """Every message of ``language`` by name (a copy), for tests and translators to compare the catalogues."""
    return dict(_MESSAGES[check_language(language)])


LOCALE = Path(__file__).resolve().parent / "locale"


@functools.cache
def _translations(language: str) -> dict[str, str]:
    """Every translation of ``language``: the union of its catalogue files, English text -> translated text."""
    found: dict[str, str] = {}
    for path in sorted((LOCALE / language).glob("*.json")):
        found.update(json.loads(path.read_text(encoding="utf-8")))
    return found


def translate(text: str, /, *, language: str = "en", context: str = "", **values: Any) -> str:
    """``text`` (the package's English) in ``language``, with ``values`` filled in as ``str.format`` does.

    ``context`` tells apart one English text that other languages say in several ways (gettext's
    ``pgettext``): ``translate("none", context="alerts")`` is looked up as ``"alerts|none"``.
    A text the catalogue lacks stays English rather than failing a learner's cell; the tests make sure
    no text the package shows is missing.
    """
    if check_language(language) != "en":
        key = f"{context}|{text}" if context else text
        text = _translations(language).get(key, text)
    return text.format(**values) if values else text


class Phrase(str):
    """English text made from a template and values, that can be said in another language with :meth:`render`.

    It is the English text (a ``str``), so comparing and searching it works as on any string;
    ``Phrase(translatable("{n} rows"), n=3) == "3 rows"``. Mark the template with :func:`translatable`
    where it is written, so the tests find it. A value that is itself a phrase is rendered in the same
    language; other values are filled in as they are.
    """

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, /, **values: Any) -> Phrase:
        phrase = super().__new__(cls, template.format(**values) if values else template)
        phrase.template, phrase.values = template, values
        return phrase

    def render(self, language: str = "en") -> str:
        """The phrase in ``language``: its template translated, its values filled in."""
        if language == "en":
            return str(self)
        return translate(
            self.template, language=language, **{k: self.value_in(v, language) for k, v in self.values.items()}
        )

    @staticmethod
    def value_in(value: Any, language: str) -> Any:
        """One of a phrase's values, as it is filled in for ``language``."""
        return value.render(language) if isinstance(value, Phrase) else value


def translatable(text: str, /) -> str:
    """Mark ``text`` for translation where it is written (a table of values), to be translated where it is shown."""
    return text


def translations(language: str) -> dict[str, str]:
    """The catalogue of ``language`` (a copy): English text -> translation, for tests and translators."""
    return dict(_translations(check_language(language)))
