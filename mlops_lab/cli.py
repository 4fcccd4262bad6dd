"""The ``mlops-lab`` command: quiz bank validation and learner progress (instructor verbs join here)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops_lab.roster import BatchRow


def _quiz_validate(args: argparse.Namespace) -> int:
    from mlops_lab.quiz import quizzes_dir, validate_banks

    paths = args.paths or [quizzes_dir()]
    errors = validate_banks(paths)
    for error in errors:
        _say(f"error: {_one_line(ValueError(error))}", error=True)
    if not errors:
        print(f"All quiz banks in {', '.join(map(str, paths))} are valid.")
    return 1 if errors else 0


def _quiz_stats(args: argparse.Namespace) -> int:
    from mlops_lab.quiz import quizzes_dir
    from mlops_lab.quiz_stats import print_stats

    return print_stats(args.paths or [quizzes_dir()])


def _progress(args: argparse.Namespace) -> int:
    from mlops_lab.environment import open_workspace
    from mlops_lab.progress import PROGRESS_FILE, ProgressFileError, read_progress, summarize

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


def _note_unknown_answers(rows: Sequence[BatchRow]) -> None:
    """Name, once per row, quiz answers for questions no quiz has: they are ignored, and the runs go on."""
    from mlops_lab.quiz_answers import unknown_answer_ids

    for row in rows:
        unknown = unknown_answer_ids(row.parameters.get("quiz_answers"))
        if unknown:
            names = ", ".join(repr(qid) for qid in unknown)
            print(
                f"note: row {row.name!r}: no quiz has the question(s) {names}; those answers are ignored",
                file=sys.stderr,
            )


def _batch(args: argparse.Namespace) -> int:
    import os

    from mlops_lab.batch import run_batch
    from mlops_lab.errors import BatchInputError
    from mlops_lab.roster import BatchRow, read_roster, read_sweep

    try:
        if args.roster:
            rows = read_roster(args.roster)
        elif args.params:
            rows = read_sweep(args.params)
        else:
            rows = [BatchRow(name="default", parameters={})]
        _note_unknown_answers(rows)
        summary = run_batch(
            args.notebooks,
            rows,
            args.output,
            workers=args.workers or os.cpu_count() or 1,
            timeout_s=args.timeout,
            force=args.force,
            dask_address=args.dask,
            tracking_uri=args.tracking_uri,
            progress_bar=not args.no_progress,
        )
    except BatchInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before the batch set up its own handling: nothing had started
        print("Stopped before any notebook ran: run the same command again.", file=sys.stderr)
        return 130
    print(repr(summary))
    return summary.exit_status


def _say(text: str, *, error: bool = False) -> None:
    """Print learner-derived text on any terminal: characters the terminal's encoding lacks are escaped."""
    stream = sys.stderr if error else sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    print(text.encode(encoding, "backslashreplace").decode(encoding), file=stream)


def _one_line(exc: BaseException) -> str:
    from mlops_lab.submissions import printable

    return printable(" ".join(str(exc).split()))


def _grade(args: argparse.Namespace) -> int:
    from mlops_lab.grading import grade_submissions, load_reference_facts

    try:
        facts = load_reference_facts(args.facts) if args.facts else None
        limits = None
        if args.run_code:
            from mlops_lab.code_rerun import RerunLimits

            limits = RerunLimits(seconds_per_exercise=args.code_timeout, memory_mb=args.code_memory)
        gradebook = grade_submissions(
            args.submissions,
            facts=facts,
            banks_dir=args.quizzes,
            run_code=args.run_code,
            rerun_limits=limits,
            regrade_seeds=args.regrade_seeds,
        )
    except (OSError, ValueError) as exc:
        _say(f"error: {_one_line(exc)}", error=True)
        return 2
    if not gradebook.rows:
        _say(f"error: no progress.json or .ipynb files found in {', '.join(args.submissions)}", error=True)
        return 2
    try:
        path = gradebook.write_csv(args.output)
    except OSError as exc:
        _say(f"error: cannot write {args.output}: {_one_line(exc)}", error=True)
        return 2
    _say(repr(gradebook))
    not_rerun = len(gradebook.code_not_rerun)
    flagged = len(gradebook.flagged) - not_rerun
    _say(
        f"Gradebook for {len(gradebook.learners)} learner(s) written to {path}"
        + (f"; {flagged} item(s) flagged" if flagged else "")
        + (f"; {not_rerun} code exercise(s) not rerun (add --run-code to rerun them)" if not_rerun else "")
        + "."
    )
    return 0


def _report(args: argparse.Namespace) -> int:
    from mlops_lab.report import build_report

    try:
        report = build_report(batch_dir=args.batch, gradebook=args.gradebook, title=args.title)
        written = report.write(args.output)
    except (OSError, ValueError) as exc:
        _say(f"error: {_one_line(exc)}", error=True)
        return 2
    _say(f"Class report written to {written}")
    return 0


def _add_instructor_verbs(verbs: Any) -> None:  # argparse's subparsers action: its class is private
    import os

    from mlops_lab.grading import DEFAULT_REGRADE_SEEDS

    batch = verbs.add_parser(
        "batch",
        help="run notebooks headless for every learner or sweep point (papermill)",
        description=(
            "Execute NOTEBOOKs once per roster row (or sweep point) in long-lived workers. Each row gets "
            "OUTPUT/<row>/ with the executed notebooks, a <notebook>.run.json record and its own workspace/ "
            "(progress.json, MLflow store). Inputs are never modified. A failing notebook is recorded with its "
            "cell and error and the batch goes on; running the same command again skips the runs that already "
            "succeeded. A first Ctrl-C or SIGTERM stops the batch in order: nothing new starts, running notebooks are "
            "stopped within seconds and recorded as interrupted (with the cell they reached), and no process is left; "
            "the same command then runs exactly the missing runs. Exit status: 0 all succeeded, 1 some failed, "
            "2 bad input, 130 stopped by Ctrl-C, 143 stopped by SIGTERM."
        ),
    )
    batch.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="notebooks (.ipynb) to execute")
    rows = batch.add_mutually_exclusive_group()
    rows.add_argument(
        "--roster",
        metavar="CSV",
        help="one row per learner: a 'learner' column (its folder name) and one column per notebook parameter; "
        "cells are read as Python/JSON literals (42, 0.5, \"{'q1': 'b'}\") or else as text; empty cells keep the default",
    )
    rows.add_argument(
        "--params",
        metavar="YAML",
        help="a sweep instead of a roster: 'grid' (parameter: [values], every combination), "
        "'fixed' (parameter: value) and/or 'runs' (a list of parameter mappings, optional 'name')",
    )
    batch.add_argument("--output", required=True, metavar="DIR", help="folder for the outputs (created if needed)")
    batch.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help=f"local worker processes (default: the number of cores, {os.cpu_count()})",
    )
    batch.add_argument(
        "--timeout", type=float, default=600.0, metavar="SECONDS", help="time limit per notebook run (default: 600)"
    )
    batch.add_argument("--force", action="store_true", help="rerun everything, including runs that already succeeded")
    batch.add_argument(
        "--dask",
        metavar="SCHEDULER_ADDRESS",
        help="run on a Dask distributed cluster (e.g. tcp://10.0.0.5:8786) instead of local processes; the notebooks "
        "and OUTPUT must be at the same path on every worker (a shared file system)",
    )
    batch.add_argument(
        "--tracking-uri",
        default=os.environ.get("MLFLOW_TRACKING_URI"),
        metavar="URI",
        help="MLflow tracking server every notebook logs to, e.g. http://127.0.0.1:5000 "
        "(default: $MLFLOW_TRACKING_URI if set, else each row's own SQLite store in its workspace)",
    )
    batch.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    batch.set_defaults(func=_batch)

    grade = verbs.add_parser(
        "grade",
        help="write a gradebook from learners' progress files and executed notebooks (never runs them)",
        description=(
            "Grade SUBMISSIONS against the quiz banks without executing anything: quiz answers come from progress.json "
            "records and from the quiz_answers value of each notebook's parameters / injected-parameters cell (read "
            "as a literal, never run); every answer is graded again, and a stored score that disagrees is flagged as "
            "tampered. Exercise checks are rerun on the stored values for each learner's seed and mode; a claimed pass "
            "the check rejects is flagged as tampered. A SUBMISSION is a file, a learner's folder, or a folder with one "
            "sub-folder per learner (such as a batch output folder). A file over 20 MB, or one that cannot be read, is "
            "reported for that learner only; the others are graded. A quiz bank that does not validate, or a facts "
            "value that is not a number, stops grading with exit status 2."
        ),
    )
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="progress.json / .ipynb files or folders")
    grade.add_argument(
        "--output", default="gradebook.csv", metavar="CSV", help="gradebook to write (default: gradebook.csv)"
    )
    grade.add_argument(
        "--facts",
        metavar="YAML",
        help="reference values for questions about a learner's own results ('00_start_here: {test_rows: 3000}'); "
        "without it, the 'expected' value stored with each answer is used",
    )
    grade.add_argument("--quizzes", metavar="DIR", help="folder of quiz banks (default: the workbook's quizzes/)")
    grade.add_argument(
        "--run-code",
        action="store_true",
        help="rerun each learner's code exercises against the hidden tests, in a separate limited Python process per "
        "learner (empty temporary folder, clean environment, time, memory, CPU and file-size limits; not a security "
        "sandbox, see the README); without it code exercises report the learner's own result, flagged unverified",
    )
    grade.add_argument(
        "--code-timeout", type=float, default=10.0, metavar="SECONDS", help="time limit per code exercise (default: 10)"
    )
    grade.add_argument(
        "--code-memory",
        type=int,
        default=1024,
        metavar="MB",
        help="address-space limit of a rerun process (default: 1024)",
    )
    grade.add_argument(
        "--regrade-seeds",
        type=int,
        default=DEFAULT_REGRADE_SEEDS,
        metavar="N",
        help="rerun the exercise checks whose data depends on the seed for the N (seed, mode) pairs most learners "
        f"share (default: {DEFAULT_REGRADE_SEEDS}; about a second each); other learners keep their notebook's verdict "
        "on those exercises, with a note",
    )
    grade.set_defaults(func=_grade)

    report = verbs.add_parser(
        "report",
        help="one self-contained HTML class report from a batch folder and/or a gradebook",
        description=(
            "Write one HTML page (inline CSS and PNG plots, nothing fetched) with completion, scores, the questions "
            "the class gets wrong most, run durations, failures with their error, flagged submissions and each "
            "learner's key lab metrics. Give --batch, --gradebook or both."
        ),
    )
    report.add_argument("--batch", metavar="DIR", help="a batch output folder (from mlops-lab batch)")
    report.add_argument("--gradebook", metavar="CSV", help="a gradebook (from mlops-lab grade)")
    report.add_argument("--output", default="report.html", metavar="HTML", help="page to write (default: report.html)")
    report.add_argument("--title", default="MLOps Lab: class report", help="the page title")
    report.set_defaults(func=_report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlops-lab", description="MLOps Lab: tools for learners and instructors.")
    verbs = parser.add_subparsers(dest="verb", required=True)

    quiz = verbs.add_parser("quiz", help="work with quiz banks")
    quiz_verbs = quiz.add_subparsers(dest="quiz_verb", required=True)
    validate = quiz_verbs.add_parser("validate", help="check quiz banks; exit 0 only if every bank is valid")
    validate.add_argument("paths", nargs="*", help="bank files or folders (default: the workbook's quizzes/)")
    validate.set_defaults(func=_quiz_validate)
    stats = quiz_verbs.add_parser(
        "stats", help="print guessability figures per bank; exit 1 if a bank breaks the quiz guide's limits"
    )
    stats.add_argument("paths", nargs="*", help="bank files or folders (default: the workbook's quizzes/)")
    stats.set_defaults(func=_quiz_stats)

    progress = verbs.add_parser("progress", help="print the learner's score per notebook")
    progress.add_argument("--workspace", help="workspace folder (default: $MLOPS_LAB_WORKSPACE or ./workspace)")
    progress.set_defaults(func=_progress)

    _add_instructor_verbs(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
