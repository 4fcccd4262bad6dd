"""Item analysis of a class's quiz answers: how many learners get each question right, and whether the
stronger learners do better on it than the weaker ones (its discrimination index).

A question that most strong learners miss is usually badly worded or wrongly keyed: the class
report flags it for the instructor to reread.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_lab.grading import GradeRow

GROUP_SHARE = 0.27
"""The share of learners in the upper and the lower group (Kelley's 27%)."""
MIN_LEARNERS = 8
"""Fewer answers than this give groups of one learner: no discrimination index, no flag."""
STRONG_MISS_BELOW = 0.5
"""A question whose upper group averages less than this is one "most strong learners miss"."""
POOR_DISCRIMINATION = 0.2
"""Below this index a question separates too little to tell strong from weak (Ebel's rule of thumb)."""
DEFINITION = (
    "Discrimination is the upper-lower index: the mean score on the question of the top 27% of learners minus "
    "that of the bottom 27%, learners ranked by their quiz points on all other questions (from -1 to 1; "
    f"below {POOR_DISCRIMINATION} separates poorly; shown from {MIN_LEARNERS} learners on)."
)
STRONG_MISS = "most strong learners miss it: reread its wording and key"
REVERSED = "weaker learners do better than stronger ones"


@dataclass(frozen=True)
class ItemStat:
    """One question's figures; ``discrimination``, ``upper`` and ``lower`` are None for too few learners."""

    notebook: str
    question: str
    learners: int
    share_correct: float
    discrimination: float | None = None
    upper: float | None = None  # mean score of the upper group
    lower: float | None = None  # mean score of the lower group
    flag: str = ""


def _scores_by_question(rows: Iterable[GradeRow]) -> dict[tuple[str, str], dict[str, float]]:
    """Question -> learner -> score (a learner graded twice for one question keeps the higher score)."""
    scores: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for row in rows:
        if row.kind == "question":
            mine = scores[(row.notebook, row.item)]
            mine[row.learner] = max(row.score, mine.get(row.learner, 0.0))
    return scores


def _group_mean(ranked: list[tuple[float, float]], size: int) -> float:
    """The mean score of the first ``size`` of ``ranked`` (rest score, score) pairs, best rest score first.

    Learners tied on their rest score at the group's edge share its last places equally (their
    mean score fills them), so no name or file order decides who counts as strong.
    """
    total, taken, i = 0.0, 0, 0
    while taken < size:
        tied = [score for rest, score in ranked[i:] if rest == ranked[i][0]]
        places = min(len(tied), size - taken)
        total += places * sum(tied) / len(tied)
        taken += places
        i += len(tied)
    return total / size


def _stat(notebook: str, question: str, scores: dict[str, float], totals: dict[str, float]) -> ItemStat:
    n = len(scores)
    share = sum(1 for s in scores.values() if s >= 1) / n
    if n < MIN_LEARNERS:
        return ItemStat(notebook, question, n, share)
    # Ranked by the rest score, so the question does not count towards the ranking it is judged by.
    pairs = [(totals[learner] - score, score) for learner, score in scores.items()]
    size = max(2, round(GROUP_SHARE * n))
    upper = _group_mean(sorted(pairs, key=lambda p: -p[0]), size)
    lower = _group_mean(sorted(pairs, key=lambda p: p[0]), size)
    discrimination = upper - lower
    # A hard question that the strong still get more often than the weak is fine; one they miss as often, or
    # more often, is what a misleading wording or a wrong key looks like.
    flag = ""
    if upper < STRONG_MISS_BELOW and discrimination < POOR_DISCRIMINATION:
        flag = STRONG_MISS
    elif discrimination < 0:
        flag = REVERSED
    return ItemStat(notebook, question, n, share, discrimination, upper, lower, flag)


def item_analysis(rows: Iterable[GradeRow]) -> list[ItemStat]:
    """Every question's figures: flagged ones first, then the least discriminating, then by name."""
    scores = _scores_by_question(rows)
    totals: dict[str, float] = defaultdict(float)
    for by_learner in scores.values():
        for learner, score in by_learner.items():
            totals[learner] += score
    stats = [_stat(notebook, question, s, totals) for (notebook, question), s in scores.items()]
    return sorted(
        stats,
        key=lambda s: (not s.flag, s.discrimination is None, s.discrimination or 0.0, s.notebook, s.question),
    )
