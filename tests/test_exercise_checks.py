"""The exercise-check registry: every bank exercise has an entry, reference solutions pass for the seed they were
computed for, wrong values fail, and the parameters are checked."""

import re

import pytest

from mlops_lab.exercise_registry import REGISTRY, RegradeUnavailable, check_exercise, get_check, reference_solution
from mlops_lab.quiz import load_bank, quizzes_dir

BANKS = [load_bank(path) for path in sorted(quizzes_dir().glob("*.yaml"))]
# Fast to rebuild (under a second a parameter set): the grader reruns these for every learner.
CHEAP = [key for key, entry in REGISTRY.items() if entry.can_regrade and entry.grader_reruns]


def test_every_bank_exercise_has_a_registry_entry_and_nothing_else_does():
    # Code exercises are checked by hidden tests (mlops_lab.hidden_tests), not by a registry check.
    assert set(REGISTRY) == {(bank.notebook, e.id) for bank in BANKS for e in bank.exercises if not e.code}


@pytest.mark.parametrize(("seed", "mode"), [(42, "full"), (3, "smoke"), (2024, "full")])
@pytest.mark.parametrize("key", CHEAP, ids="/".join)
def test_the_reference_solution_passes_for_its_own_parameters(key, seed, mode):
    solution = reference_solution(*key, seed=seed, mode=mode)
    assert check_exercise(*key, solution, seed=seed, mode=mode).passed


@pytest.mark.parametrize("key", CHEAP, ids="/".join)
def test_a_wrong_or_odd_value_fails_with_feedback(key):
    for value in (None, -1, "nonsense", [["deep"]], {"x": float("nan")}, 10**400):
        feedback = check_exercise(*key, value, seed=42, mode="full")
        assert not feedback.passed and feedback.message, (key, value)


def test_the_seed_changes_the_answer_where_the_data_does():
    at_42, at_3 = (reference_solution("00_start_here", "m2m-churn-rate", seed=s) for s in (42, 3))
    assert at_42 != at_3
    assert not check_exercise("00_start_here", "m2m-churn-rate", at_42, seed=3).passed
    assert reference_solution("00_start_here", "train-months", mode="smoke") == 3


def test_bank_solutions_match_the_registry_for_seed_42():
    for bank in BANKS:
        for exercise in (e for e in bank.exercises if not e.code):
            entry = get_check(bank.notebook, exercise.id)
            if entry.can_regrade and entry.grader_reruns:
                assert check_exercise(bank.notebook, exercise.id, exercise.solution).passed, exercise.id


def test_parameters_are_checked_and_unavailable_checks_say_so():
    with pytest.raises(ValueError, match="seed must be"):
        check_exercise("00_start_here", "train-months", 9, seed=True)
    with pytest.raises(ValueError, match="mode must be"):
        reference_solution("00_start_here", "train-months", mode="fast")
    with pytest.raises(RegradeUnavailable):
        check_exercise("05_vertex_ai", "top-feature", "contract")
    with pytest.raises(KeyError):
        get_check("../00_start_here", "train-months")
    solution = reference_solution("05_vertex_ai", "canary-split")
    solution["challenger"] = 99  # a caller's change does not leak into the next learner's comparison
    assert reference_solution("05_vertex_ai", "canary-split")["challenger"] == 20


# A wrong answer for each check the grader reruns: the Spanish feedback must reach the same verdict.
WRONG = {
    "train-months": 6,
    "m2m-churn-rate": 0.5,
    "trial-threshold": 0.5,
    "data-check": {"column": "tenure_months", "min": 1, "max": 60},
    "lifecycle-order": ["model training", "data extraction"],
    "rerun-prediction": ["train_model"],
    "drift-threshold": 0.9,
    "point-in-time-value": -1,
    "canary-split": {"champion": 90, "challenger": 10},
}
NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.mark.parametrize("key", CHEAP, ids="/".join)
def test_a_spanish_check_gives_the_same_verdict_with_a_spanish_message(key):
    assert {exercise for _, exercise in CHEAP} == set(WRONG)
    for value in (reference_solution(*key, seed=7, mode="smoke"), WRONG[key[1]], None):
        english = check_exercise(*key, value, seed=7, mode="smoke")
        spanish = check_exercise(*key, value, seed=7, mode="smoke", language="es")
        assert spanish.passed == english.passed, (key, value)
        if value is None:  # refused by the package's input validation, whose errors may stay English
            continue
        assert spanish.message != english.message, (key, value)
        # The same figures, in the order Spanish puts them.
        assert sorted(NUMBER.findall(spanish.message)) == sorted(NUMBER.findall(english.message)), spanish.message
    assert check_exercise(*key, WRONG[key[1]], seed=7, mode="smoke", language="en") == check_exercise(
        *key, WRONG[key[1]], seed=7, mode="smoke"
    )
    with pytest.raises(ValueError, match="language must be one of"):
        check_exercise(*key, None, language="fr")


def test_a_spanish_message_reads_as_the_catalogue_says():
    feedback = check_exercise("00_start_here", "train-months", 6, seed=42, mode="full", language="es")
    assert feedback.message == (
        "con train_months=6, el conjunto de prueba abarca 6 meses (de 2025-07 a 2025-12); "
        "debería abarcar los últimos 3."
    )


def test_a_spanish_learners_record_keeps_what_they_read_and_is_graded_alike(tmp_path, capsys):
    from mlops_lab import data
    from mlops_lab.exercise_checks import check_time_split
    from mlops_lab.exercises import ExerciseBook
    from mlops_lab.grading import grade_submissions
    from mlops_lab.progress import Progress

    customers = data.make_customers(n_months=12, seed=42)
    for language in ("en", "es"):
        book = ExerciseBook(
            "00_start_here", workspace=tmp_path / "class" / language, seed=42, mode="full", language=language
        )
        book.submit(
            "train-months", 6, check=lambda v, lang=language: check_time_split(v, frame=customers, language=lang)
        )
    printed = capsys.readouterr().out.splitlines()
    assert (
        printed[1]
        == f"[train-months] INTÉNTALO DE NUEVO: {check_exercise('00_start_here', 'train-months', 6, language='es').message}"
    )
    records = {
        language: Progress.in_workspace(tmp_path / "class" / language).answers("00_start_here", "exercises")[
            "train-months"
        ]
        for language in ("en", "es")
    }
    assert records["es"]["message"].startswith("con train_months=6") and records["en"]["message"].startswith("with")
    rows = {r.learner: r for r in grade_submissions([tmp_path / "class"]).rows if r.item == "train-months"}
    assert {learner: (r.status, r.flag) for learner, r in rows.items()} == {"en": ("failed", ""), "es": ("failed", "")}


def test_a_value_the_lab_cannot_use_is_explained_in_the_learners_language(tmp_path, capsys):
    """A learner's malformed data rule, slice or traffic split: the same error, said in Spanish in the Spanish edition."""
    from mlops_lab import data_validation, model_validation, serving
    from mlops_lab.errors import LearnerInputError, in_language
    from mlops_lab.exercise_checks import check_canary_split
    from mlops_lab.exercises import ExerciseBook

    with pytest.raises(LearnerInputError) as raised:
        data_validation.parse_rule({"column": "tenure", "min": 0})
    english = str(raised.value)
    assert english.startswith("'column' must be one of") and "'tenure'" in english
    spanish = in_language(raised.value, language="es")
    assert spanish.startswith("'column' debe ser una de") and "'tenure'" in spanish
    assert in_language(ValueError("plain"), language="es") == "plain"  # other errors speak as raised

    with pytest.raises(LearnerInputError) as raised:
        model_validation.parse_slices([{"column": "tenure_months"}], data_validation_frame())
    assert "categórica" in in_language(raised.value, language="es")
    with pytest.raises(LearnerInputError) as raised:
        serving.check_traffic_split({"a": 70, "b": 20}, ["a", "b"])
    assert str(raised.value) == "traffic split {'a': 70, 'b': 20} adds up to 90, not 100"
    assert in_language(raised.value, language="es") == "la división del tráfico {'a': 70, 'b': 20} suma 90, no 100"

    refused = check_canary_split({"champion": 70, "challenger": 20}, language="es")
    assert not refused.passed and "suma 90, no 100" in refused.message and "adds up" not in refused.message

    book = ExerciseBook("02_devops_vs_mlops", workspace=tmp_path, language="es")
    book.submit("data-check", {"column": "tenure"}, check=data_validation.parse_rule)
    said = capsys.readouterr().out
    assert "INTÉNTALO DE NUEVO" in said and "'column' debe ser una de" in said and "must be" not in said


def data_validation_frame():
    from mlops_lab import data

    return data.make_customers(n_months=1, customers_per_month=50, seed=0)
