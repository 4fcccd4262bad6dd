"""The exercise-check registry: every bank exercise has an entry, reference solutions pass for the seed they were
computed for, wrong values fail, and the parameters are checked."""

import pytest

from mlops_lab.exercise_checks import REGISTRY, RegradeUnavailable, check_exercise, get_check, reference_solution
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
