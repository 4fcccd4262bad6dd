"""The ``mlops-lab`` command: quiz bank validation and learner progress (instructor verbs join here)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _quiz_validate(args: argparse.Namespace) -> int:
    from mlops_lab.quiz import quizzes_dir, validate_banks

    paths = args.paths or [quizzes_dir()]
    errors = validate_banks(paths)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if not errors:
        print(f"All quiz banks in {', '.join(map(str, paths))} are valid.")
    return 1 if errors else 0


def _progress(args: argparse.Namespace) -> int:
    from mlops_lab.progress import PROGRESS_FILE, ProgressFileError, open_workspace, read_progress, summarize

    path = open_workspace(args.workspace) / PROGRESS_FILE
    try:
        scores = summarize(read_progress(path))
    except ProgressFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not scores:
        print(f"No answers recorded yet in {path}.")
        return 0
    print(f"{'notebook':<24}{'quiz':>12}{'exercises':>12}")
    for s in scores:
        print(
            f"{s.notebook:<24}{f'{s.questions_correct:g}/{s.questions_answered}':>12}{f'{s.exercises_passed}/{s.exercises_attempted}':>12}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlops-lab", description="MLOps Lab: tools for learners and instructors.")
    verbs = parser.add_subparsers(dest="verb", required=True)

    quiz = verbs.add_parser("quiz", help="work with quiz banks")
    quiz_verbs = quiz.add_subparsers(dest="quiz_verb", required=True)
    validate = quiz_verbs.add_parser("validate", help="check quiz banks; exit 0 only if every bank is valid")
    validate.add_argument("paths", nargs="*", help="bank files or folders (default: the workbook's quizzes/)")
    validate.set_defaults(func=_quiz_validate)

    progress = verbs.add_parser("progress", help="print the learner's score per notebook")
    progress.add_argument("--workspace", help="workspace folder (default: $MLOPS_LAB_WORKSPACE or ./workspace)")
    progress.set_defaults(func=_progress)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
