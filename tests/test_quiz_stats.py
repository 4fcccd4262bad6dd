"""Guessability figures: the shipped banks stay within the quiz guide's limits, and the figures catch a bank that
can be passed by test-taking tricks (always the same position, always the longest option, one silly distractor)."""

import textwrap
from pathlib import Path

from mlops_lab import quiz
from mlops_lab.cli import main
from mlops_lab.quiz import load_bank
from mlops_lab.quiz_stats import bank_stats, stats_report

LAB_NOTEBOOKS = ("01_pain_points", "02_devops_vs_mlops", "03_ml_lifecycle", "04_maturity_levels", "05_vertex_ai")


def shipped_banks():
    return [load_bank(path) for path in sorted(quiz.quizzes_dir().glob("*.yaml"))]


def test_shipped_banks_are_within_the_guides_limits():
    _, problems = stats_report(shipped_banks())
    assert problems == []


def test_translated_banks_are_within_the_limits_and_use_their_own_prompt():
    """A translation can make the key the longest option; and a Spanish question says "elige todas..."."""
    spanish = [load_bank(path) for path in sorted((quiz.quizzes_dir() / "es").glob("*.yaml"))]
    assert len(spanish) == len(shipped_banks())
    _, problems = stats_report(spanish)
    assert problems == []
    assert sum(len(bank_stats(bank).multi_distractors) for bank in spanish) >= 5


def test_a_spanish_multiple_select_without_the_spanish_prompt_is_reported(tmp_path):
    english = next(b for b in shipped_banks() if any(q.type == "multiple" for q in b.questions))
    (tmp_path / "es").mkdir()
    (tmp_path / english.path.name).write_text(english.path.read_text(encoding="utf-8"), encoding="utf-8")
    source = (quiz.quizzes_dir() / "es" / english.path.name).read_text(encoding="utf-8")
    path = tmp_path / "es" / english.path.name
    path.write_text(source.replace("(elige todas las que correspondan)", ""), encoding="utf-8")
    _, problems = stats_report([load_bank(path)])
    assert problems and all("elige todas las que correspondan" in p for p in problems)


def test_shipped_banks_are_big_enough():
    banks = {bank.notebook: bank for bank in shipped_banks()}
    assert sum(len(bank.questions) for bank in banks.values()) >= 80
    assert {name: len(banks[name].questions) >= 12 for name in LAB_NOTEBOOKS} == dict.fromkeys(LAB_NOTEBOOKS, True)


def test_every_position_is_the_key_somewhere_in_the_shipped_banks():
    stats = [bank_stats(bank) for bank in shipped_banks()]
    assert all(sum(s.key_positions[p] for s in stats) > 0 for p in "abcd")


GUESSABLE = """\
notebook: easy
questions:
{singles}
  - id: multi
    type: multiple
    objective: o
    text: Which are right?
    options:
      - {{key: a, text: A real point, correct: true, explanation: it is}}
      - {{key: b, text: Another real point, correct: true, explanation: it is}}
      - {{key: c, text: The colour scheme, explanation: silly}}
  - id: num
    type: numeric
    objective: o
    text: How many?
    answer: 3
    explanation: three
"""

SINGLE = """\
  - id: s{n}
    type: single
    objective: o
    text: Question {n}?
    options:
      - {{key: a, text: The long and carefully qualified right answer, correct: true, explanation: right}}
      - {{key: b, text: Short wrong, explanation: wrong}}
      - {{key: c, text: Also wrong, explanation: wrong}}
      - {{key: d, text: Wrong too, explanation: wrong}}
"""


def test_a_guessable_bank_is_reported(tmp_path):
    path = tmp_path / "easy.yaml"
    path.write_text(GUESSABLE.format(singles="".join(SINGLE.format(n=n) for n in range(5))))
    stats = bank_stats(load_bank(path))
    assert stats.key_positions == {"a": 5, "b": 0, "c": 0, "d": 0}
    assert (stats.key_longest, stats.key_shortest, stats.n_single, stats.n_numeric) == (5, 0, 5, 1)
    assert stats.multi_distractors == {"multi": 1}
    problems = "\n".join(stats.problems())
    assert "longest option in 5 of 5" in problems
    assert "option a is the key in 5 of 5" in problems
    assert "never the key" in problems
    assert "'multi' has 1 wrong option" in problems
    assert "'multi' does not say 'choose all that apply'" in problems


def test_a_balanced_bank_passes(tmp_path):
    singles = []
    for n, key in enumerate("abcd"):
        # The key is of middle length: neither the longest nor the shortest option.
        wrong_texts = iter(["Short", "A much longer wrong option", "Middle length"])
        options = "".join(
            f"      - {{key: {k}, text: {'Middle option' if k == key else next(wrong_texts)}, "
            f"{'correct: true, ' if k == key else ''}explanation: because}}\n"
            for k in "abcd"
        )
        singles.append(f"  - id: s{n}\n    type: single\n    objective: o\n    text: Q{n}?\n    options:\n{options}")
    text = GUESSABLE.format(singles="".join(singles))
    text = text.replace("Which are right?", "Which are right? (choose all that apply)")
    text = text.replace("      - {key: c, text: The colour scheme, explanation: silly}\n", "")
    text = text.replace(
        "      - {key: b, text: Another real point, correct: true, explanation: it is}\n",
        "      - {key: b, text: Another real point, correct: true, explanation: it is}\n"
        "      - {key: c, text: A plausible slip, explanation: why not}\n"
        "      - {key: d, text: Another plausible slip, explanation: why not}\n",
    )
    path = tmp_path / "easy.yaml"
    path.write_text(textwrap.dedent(text))
    stats = bank_stats(load_bank(path))
    assert stats.key_positions == dict.fromkeys("abcd", 1)
    assert (stats.key_longest, stats.key_shortest) == (0, 0) and stats.multi_distractors == {"multi": 2}
    assert stats.problems() == []


def test_cli_prints_the_figures_and_fails_on_a_guessable_bank(tmp_path, capsys):
    assert main(["quiz", "stats"]) == 0
    out = capsys.readouterr().out
    assert "key positions" in out and "05_vertex_ai" in out and "all banks" in out
    path: Path = tmp_path / "easy.yaml"
    path.write_text(GUESSABLE.format(singles=SINGLE.format(n=1)))
    assert main(["quiz", "stats", str(path)]) == 1
    assert "limit: easy:" in capsys.readouterr().err
    assert main(["quiz", "stats", str(tmp_path / "none")]) == 1
