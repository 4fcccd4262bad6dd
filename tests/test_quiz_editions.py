"""The Spanish banks match the English ones in everything but words, a bank that does not is refused naming the
file and the question, and grading treats learners of both editions alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_lab.errors import QuizBankError
from mlops_lab.exercises import ExerciseBook, Feedback
from mlops_lab.grading import grade_submissions
from mlops_lab.i18n import LANGUAGES, catalogue, message
from mlops_lab.quiz import bank_path, load_bank, scorecard, show_quiz, validate_banks

ROOT = Path(__file__).resolve().parent.parent
SPANISH = sorted((ROOT / "quizzes" / "es").glob("*.yaml"))
NOTEBOOK = "00_start_here"


@pytest.mark.parametrize("path", SPANISH, ids=lambda p: p.stem)
def test_every_spanish_bank_matches_its_english_twin(path: Path) -> None:
    spanish, english = load_bank(path), load_bank(ROOT / "quizzes" / path.name)
    assert [q.id for q in spanish.questions] == [q.id for q in english.questions]
    assert spanish.answer_key({"test_rows": 1}) == english.answer_key({"test_rows": 1})
    assert spanish.solutions() == english.solutions()
    translated = [q for q, e in zip(spanish.questions, english.questions, strict=True) if q.text != e.text]
    assert len(translated) == len(english.questions), "every question's text is translated"


def _spanish_copy(tmp_path: Path, edit) -> Path:
    """The Spanish bank of 00 with one edit, laid out as quizzes/ and quizzes/es/ so the twin is found."""
    (tmp_path / "es").mkdir(exist_ok=True)
    english = (ROOT / "quizzes" / f"{NOTEBOOK}.yaml").read_text(encoding="utf-8")
    (tmp_path / f"{NOTEBOOK}.yaml").write_text(english, encoding="utf-8")
    spanish = (ROOT / "quizzes" / "es" / f"{NOTEBOOK}.yaml").read_text(encoding="utf-8")
    edited = edit(spanish)
    assert edited != spanish, "the edit must change the bank"
    path = tmp_path / "es" / f"{NOTEBOOK}.yaml"
    path.write_text(edited, encoding="utf-8")
    return path


CHANGES = {
    "a question left out": (
        lambda s: s.replace("  - id: test-rows\n", "  - id: test-rows-renamed\n"),
        "question 'test-rows'",
        "missing",
    ),
    "a correct flag added": (
        lambda s: s.replace("text: Escribir consultas SQL\n", "text: Escribir consultas SQL\n        correct: true\n"),
        "question 'pain-points'",
        "correct options",
    ),
    "an option key renamed": (
        lambda s: s.replace("      - key: e\n", "      - key: f\n"),
        "question 'pain-points'",
        "option keys",
    ),
    "a tolerance changed": (
        lambda s: s.replace("tolerance: 0\n", "tolerance: 5\n"),
        "question 'test-rows'",
        "tolerance",
    ),
    "a solution changed": (
        lambda s: s.replace("solution: 9\n", "solution: 8\n"),
        "exercise 'train-months'",
        "solution",
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_spanish_bank_that_differs_beyond_its_words_is_refused(tmp_path: Path, change: str) -> None:
    edit, where, what = CHANGES[change]
    path = _spanish_copy(tmp_path, edit)
    with pytest.raises(QuizBankError) as raised:
        load_bank(path)
    assert str(path) in str(raised.value) and where in str(raised.value) and what in str(raised.value)
    # `mlops-lab quiz validate quizzes/` validates the translations along with the English banks.
    errors = validate_banks([tmp_path])
    assert len(errors) == 1 and where in errors[0]


def test_a_spanish_bank_without_an_english_twin_is_refused(tmp_path: Path) -> None:
    path = _spanish_copy(tmp_path, lambda s: s.replace("title: Cómo", "title: Sobre cómo"))
    (tmp_path / f"{NOTEBOOK}.yaml").unlink()
    with pytest.raises(QuizBankError, match="English bank"):
        load_bank(path)


def test_bank_path_knows_the_editions_and_refuses_other_languages() -> None:
    assert bank_path(NOTEBOOK, language="es").parent.name == "es"
    assert bank_path(NOTEBOOK) == bank_path(NOTEBOOK, language="en")
    with pytest.raises(ValueError, match="'en', 'es'"):
        bank_path(NOTEBOOK, language="fr")


def test_the_catalogues_have_the_same_messages_and_placeholders() -> None:
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    english = catalogue("en")
    for language in LANGUAGES[1:]:
        assert set(catalogue(language)) == set(english)
        assert {k: fields(v) for k, v in catalogue(language).items()} == {k: fields(v) for k, v in english.items()}
        assert all(catalogue(language)[k] != english[k] for k in english if k != "quiz.option"), "untranslated"


def _learner(workspace: Path, language: str, answers: dict, train_months: int) -> None:
    show_quiz(NOTEBOOK, answers=answers, facts={"test_rows": 3000}, workspace=workspace, language=language)
    book = ExerciseBook(NOTEBOOK, workspace=workspace, seed=42, mode="full", language=language)
    book.submit("train-months", train_months, check=lambda v: Feedback(v == 9, "checked"))


def test_a_class_mixing_english_and_spanish_learners_is_graded_alike(tmp_path: Path, capsys) -> None:
    answers = {**load_bank(bank_path(NOTEBOOK)).answer_key({"test_rows": 3000}), "time-split": "a"}
    _learner(tmp_path / "class" / "alice", "en", answers, 9)
    _learner(tmp_path / "class" / "bruno", "es", answers, 6)
    printed = capsys.readouterr().out
    assert "[train-months] PASS: checked" in printed and "[train-months] INTÉNTALO DE NUEVO: checked" in printed

    gradebook = grade_submissions([tmp_path / "class"])
    rows = {(r.learner, r.kind, r.item): r.status for r in gradebook.rows if r.kind == "question"}
    alice = {item: status for (who, _, item), status in rows.items() if who == "alice"}
    bruno = {item: status for (who, _, item), status in rows.items() if who == "bruno"}
    assert alice == bruno and alice["time-split"] == "wrong" and alice["test-rows"] == "correct"
    totals = {t["learner"]: t["quiz"] for t in gradebook.totals()}
    assert totals["alice"] == totals["bruno"] == len(answers) - 1
    assert scorecard(NOTEBOOK, workspace=tmp_path / "class" / "bruno", language="es") == (
        f"{NOTEBOOK}: {len(answers) - 1:g}/{len(answers)} preguntas correctas, 0/2 ejercicios superados"
    )


def test_the_spanish_quiz_speaks_spanish_and_grades_like_the_english_one(tmp_path: Path) -> None:
    answers = {"time-split": "a", "pain-points": ["a", "c"]}
    english = show_quiz(NOTEBOOK, answers=answers, workspace=tmp_path / "en", facts={"test_rows": 1})
    spanish = show_quiz(NOTEBOOK, answers=answers, workspace=tmp_path / "es", facts={"test_rows": 1}, language="es")
    assert {q: g.score for q, g in spanish.grades.items()} == {q: g.score for q, g in english.grades.items()}
    text = spanish.text()
    assert text.startswith(f"Cuestionario {NOTEBOOK}: 11 preguntas") and "Puntuación: 0/11" in text
    assert "a) la elegiste, es incorrecta" in text and "Score" not in text
    widget = spanish.widget()
    assert widget.children[0].children[2].description == message("quiz.check", language="es") == "Comprobar"
