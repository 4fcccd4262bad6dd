"""Guessability figures for quiz authors: can a bank be passed by test-taking tricks instead of the lab?

Per bank it counts where the key sits among single-choice options, how often the key is the longest option and how
often the shortest (by characters: a bank that avoids one cue must not create the other), how many wrong options
each multiple-select question has, and how many numeric questions there are.
``mlops-lab quiz stats`` prints these figures; ``tests/test_quiz_stats.py`` keeps the shipped banks within the limits
below, so a bank that drifts back to "always b, always the longest" fails CI.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from mlops_lab.i18n import LANGUAGES, message
from mlops_lab.quiz import QuizBank

# The limits of the quiz guide: the key is the longest option in at most 4 of 10 single-choice questions (and, by the
# same limit, the shortest in at most 4 of 10); no key position holds more than 4 in 10 keys, and where questions
# have a fourth option it is the key somewhere; a multiple-select question has at least two wrong options and says
# so in its text, in its bank's language (the quiz widget's prompt, ``quiz.multi_prompt``).
MAX_LONGEST_SHARE = 0.4
MAX_POSITION_SHARE = 0.4
MIN_MULTI_DISTRACTORS = 2


@dataclass(frozen=True)
class BankStats:
    """The guessability figures of one bank."""

    notebook: str
    n_questions: int
    n_single: int
    key_positions: dict[str, int]
    key_longest: int
    key_shortest: int
    multi_distractors: dict[str, int]
    n_numeric: int
    four_option_questions: int = 0
    multi_without_prompt: tuple[str, ...] = ()
    language: str = "en"

    @property
    def longest_share(self) -> float:
        return self.key_longest / self.n_single if self.n_single else 0.0

    def problems(self) -> list[str]:
        """What breaks the guide's limits, one sentence each; empty when the bank is within them."""
        found = []
        if self.n_single and self.longest_share > MAX_LONGEST_SHARE:
            found.append(
                f"{self.notebook}: the key is the longest option in {self.key_longest} of {self.n_single} "
                f"single-choice questions (at most {MAX_LONGEST_SHARE:.0%})"
            )
        if self.n_single and self.key_shortest / self.n_single > MAX_LONGEST_SHARE:
            found.append(
                f"{self.notebook}: the key is the shortest option in {self.key_shortest} of {self.n_single} "
                f"single-choice questions (at most {MAX_LONGEST_SHARE:.0%})"
            )
        for position, count in sorted(self.key_positions.items()):
            if self.n_single >= 4 and count > MAX_POSITION_SHARE * self.n_single:
                found.append(
                    f"{self.notebook}: option {position} is the key in {count} of {self.n_single} "
                    f"single-choice questions (at most {MAX_POSITION_SHARE:.0%})"
                )
        if self.four_option_questions and not self.key_positions.get("d"):
            found.append(
                f"{self.notebook}: {self.four_option_questions} single-choice questions have a fourth option, "
                "but it is never the key"
            )
        for qid in self.multi_without_prompt:
            prompt = message("quiz.multi_prompt", language=self.language)
            found.append(f"{self.notebook}: multiple-select {qid!r} does not say {prompt!r}")
        for qid, count in sorted(self.multi_distractors.items()):
            if count < MIN_MULTI_DISTRACTORS:
                found.append(
                    f"{self.notebook}: multiple-select {qid!r} has {count} wrong option(s) "
                    f"(at least {MIN_MULTI_DISTRACTORS})"
                )
        return found

    def line(self) -> str:
        positions = " ".join(f"{k}:{v}" for k, v in sorted(self.key_positions.items()))
        distractors = ",".join(str(v) for _, v in sorted(self.multi_distractors.items())) or "-"
        return (
            f"{self.notebook:<22}{self.n_questions:>4}{self.n_single:>7}  {positions:<16}"
            f"{f'{self.key_longest}/{self.n_single}':>8}{f'{self.key_shortest}/{self.n_single}':>9}  "
            f"{distractors:<12}{self.n_numeric:>4}"
        )


HEADER = (
    f"{'bank':<22}{'qs':>4}{'single':>7}  {'key positions':<16}{'longest':>8}{'shortest':>9}  "
    f"{'multi wrong':<12}{'num':>4}"
)


def bank_language(bank: QuizBank) -> str:
    """The language a bank is written in: a translated edition's banks sit in ``quizzes/<language>/``."""
    return bank.path.parent.name if bank.path.parent.name in LANGUAGES[1:] else LANGUAGES[0]


def bank_stats(bank: QuizBank) -> BankStats:
    """Count one bank's figures. Positions are counted by place in the list (a, b, c, d), not by the key's name."""
    language = bank_language(bank)
    prompt = message("quiz.multi_prompt", language=language)
    positions: Counter[str] = Counter()
    longest = shortest = 0
    single = 0
    four_options = 0
    distractors: dict[str, int] = {}
    unprompted: list[str] = []
    for q in bank.questions:
        if q.type == "single":
            single += 1
            four_options += len(q.options) >= 4
            index = next(i for i, o in enumerate(q.options) if o.correct)
            positions["abcdefgh"[index] if index < 8 else str(index + 1)] += 1
            key_length = len(q.options[index].text)
            # A tie counts as longest: a learner who picks the longest option would still hit the key.
            if all(key_length >= len(o.text) for o in q.options):
                longest += 1
            if all(key_length <= len(o.text) for o in q.options):
                shortest += 1
        elif q.type == "multiple":
            distractors[q.id] = sum(1 for o in q.options if not o.correct)
            if prompt not in q.text.lower():
                unprompted.append(q.id)
    for position in "abcd":
        positions.setdefault(position, 0)
    return BankStats(
        notebook=bank.notebook,
        n_questions=len(bank.questions),
        n_single=single,
        key_positions=dict(positions),
        key_longest=longest,
        key_shortest=shortest,
        multi_distractors=distractors,
        n_numeric=sum(1 for q in bank.questions if q.type == "numeric"),
        four_option_questions=four_options,
        multi_without_prompt=tuple(unprompted),
        language=language,
    )


def stats_report(banks: list[QuizBank]) -> tuple[str, list[str]]:
    """The table ``mlops-lab quiz stats`` prints, with a total row, and every bank's problems."""
    rows = [bank_stats(b) for b in banks]
    lines = [HEADER] + [r.line() for r in rows]
    total_single = sum(r.n_single for r in rows)
    total_longest = sum(r.key_longest for r in rows)
    total_shortest = sum(r.key_shortest for r in rows)
    positions: Counter[str] = Counter()
    for r in rows:
        positions.update(r.key_positions)
    lines.append(
        f"{'all banks':<22}{sum(r.n_questions for r in rows):>4}{total_single:>7}  "
        f"{' '.join(f'{k}:{v}' for k, v in sorted(positions.items())):<16}{f'{total_longest}/{total_single}':>8}"
        f"{f'{total_shortest}/{total_single}':>9}  {'':<12}{sum(r.n_numeric for r in rows):>4}"
    )
    problems = [p for r in rows for p in r.problems()]
    return "\n".join(lines), problems


def print_stats(paths: list[str]) -> int:
    """What ``mlops-lab quiz stats`` does: print the table and every problem; exit 1 if a bank breaks a limit."""
    import sys
    from pathlib import Path

    from mlops_lab.quiz import QuizBankError, load_bank

    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
    if not files:
        print(f"error: no quiz banks found in {', '.join(map(str, paths))}", file=sys.stderr)
        return 1
    try:
        banks = [load_bank(f) for f in files]
    except QuizBankError as exc:
        print(f"error: {exc} (run `mlops-lab quiz validate`)", file=sys.stderr)
        return 1
    table, problems = stats_report(banks)
    print(table)
    print(
        "key positions: how often the key is the 1st, 2nd... option of a single-choice question; longest, shortest: "
        "how often it is the longest, the shortest option; multi wrong: wrong options per multiple-select question; "
        "num: numeric questions."
    )
    for problem in problems:
        print(f"limit: {problem}", file=sys.stderr)
    return 1 if problems else 0
