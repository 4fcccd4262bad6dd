"""Code exercises: the learner writes a small function, hidden tests check it in the kernel.

A "Your turn" cell defines a function with a working but incomplete default body; the next
cell submits it::

    def validate_batch(batch):
        ...                                                   # your turn: improve the rule
    validate_batch = your_turn.submit_code("validate-batch", validate_batch)

The tests (:mod:`mlops_lab.hidden_tests`) run right here, in the learner's kernel, with a time
limit per exercise; the feedback names each situation that went wrong, not the fix. The
progress file keeps the function's source as a self-contained snippet (the modules and plain
constants it uses, then its ``def``) next to the kernel's result, so an instructor can read it
and ``mlops-lab grade --run-code`` can rerun it elsewhere. When the notebook's ``solutions``
parameter holds a reference snippet for the exercise (text, from the quiz bank's
``solution_code``), that snippet is used instead, so the answer-key run scores full marks.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import signal
import textwrap
import threading
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_lab.exercises import Feedback
from mlops_lab.hidden_tests import CODE_EXERCISES, CodeExercise, Problem, global_names, problem
from mlops_lab.i18n import message, translatable, translate
from mlops_lab.progress import Progress

if TYPE_CHECKING:
    from mlops_lab.exercises import ExerciseBook

TIME_LIMIT_S = 10.0
_PLAIN = (int, float, str, bool, type(None), tuple, list, dict)


class TimeUp(BaseException):
    """Raised inside a function that ran past its time limit (a BaseException, so ``except Exception`` cannot hide it)."""


@dataclass(frozen=True)
class CodeResult:
    """What the hidden tests said about one function (each failure renders in any language)."""

    exercise: str
    passed: bool
    n_passed: int
    n_cases: int
    failures: tuple[Problem, ...] = ()
    timed_out: bool = False

    @property
    def feedback(self) -> Feedback:
        return self.feedback_in("en")

    def feedback_in(self, language: str) -> Feedback:
        """The feedback in ``language``: its frame, then each hidden test's failure sentence."""
        if self.passed:
            return Feedback(True, message("code.all_passed", language=language, n=self.n_cases))
        lines = [message("code.some_passed", language=language, passed=self.n_passed, n=self.n_cases)]
        failures = dict.fromkeys(failure.render(language=language) for failure in self.failures)  # each once
        lines.extend(f"  - {failure}" for failure in failures)
        return Feedback(False, "\n".join(lines))

    def __repr__(self) -> str:
        return f"CodeResult({self.exercise}: {self.n_passed}/{self.n_cases} hidden tests passed)"


def code_exercise(exercise_id: str) -> CodeExercise:
    """The registered code exercise ``exercise_id`` (a ``KeyError`` names the known ones)."""
    try:
        return CODE_EXERCISES[exercise_id]
    except KeyError:
        raise KeyError(f"no code exercise {exercise_id!r}; known: {', '.join(sorted(CODE_EXERCISES))}") from None


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TimeUp` in the code inside after ``seconds`` of wall time (Unix, main thread only)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise TimeUp(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:80] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_hidden_tests(
    exercise_id: str, function: Callable[..., Any], *, time_limit_s: float = TIME_LIMIT_S
) -> CodeResult:
    """Run every hidden test of ``exercise_id`` on ``function``; a test that raises counts as failed."""
    cases = code_exercise(exercise_id).cases()
    if not callable(function):
        failure = problem(translatable("expected a function, got {type}"), type=type(function).__name__)
        return CodeResult(exercise_id, False, 0, len(cases), (failure,))
    failures: list[Problem] = []
    try:
        with time_limit(time_limit_s):
            for case in cases:
                try:
                    found = case.check(function)
                except Exception as exc:  # the learner's function raised: name the situation and the error
                    found = problem(
                        translatable("{situation}: your function raised {error}"),
                        situation=problem(case.situation),
                        error=_describe(exc),
                    )
                if found:
                    failures.append(found)
    except TimeUp:
        stopped = translatable("the tests were stopped after {seconds:g} s (an endless loop?)")
        failures.append(problem(stopped, seconds=time_limit_s))
        return CodeResult(exercise_id, False, 0, len(cases), tuple(failures), timed_out=True)
    return CodeResult(exercise_id, not failures, len(cases) - len(failures), len(cases), tuple(failures))


def _plain_literal(value: Any) -> bool:
    if not isinstance(value, _PLAIN):
        return False
    try:
        text = repr(value)
        return len(text) <= 10_000 and ast.literal_eval(text) == value
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return False


def function_source(function: Callable[..., Any]) -> str:
    """A self-contained snippet of ``function``: imports of the modules and plain constants it uses, then its def.

    Returns ``""`` when Python cannot find the source (a function made with ``exec`` or a lambda
    typed at a prompt). Helpers defined elsewhere in the notebook are not included: a rerun then
    reports the name as missing.
    """
    try:
        body = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return ""
    code = getattr(function, "__code__", None)
    namespace = getattr(function, "__globals__", {})
    header = []
    for name in sorted(global_names(code) if code else ()):
        if name not in namespace:
            continue
        value = namespace[name]
        if isinstance(value, types.ModuleType):
            module = value.__name__
            header.append(f"import {module}" if module == name else f"import {module} as {name}")
        elif _plain_literal(value):
            header.append(f"{name} = {value!r}")
    snippet = "\n".join(header) + ("\n\n\n" if header else "") + body
    try:
        compile(snippet, "<snippet>", "exec")
    except SyntaxError:
        return ""
    return snippet


def solution_code_problem(exercise_id: str, code: str, *, notebook: str) -> str:
    """What is wrong with a bank's reference snippet (``""`` if nothing); the snippet is parsed, never run.

    It must belong to a registered code exercise of ``notebook`` and hold only imports, plain
    constants and functions, one of them named as the exercise asks.
    """
    spec = CODE_EXERCISES.get(exercise_id)
    if spec is None:
        return f"no hidden tests are registered for {exercise_id!r} (known: {', '.join(sorted(CODE_EXERCISES))})"
    if spec.notebook != notebook:
        return f"{exercise_id!r} belongs to notebook {spec.notebook}"
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return f"not valid Python (line {exc.lineno}: {exc.msg})"
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.Assign)
    for node in tree.body:
        if not isinstance(node, allowed) or (isinstance(node, ast.Assign) and not _is_literal(node.value)):
            return f"line {node.lineno}: only imports, constants and functions belong in a reference solution"
    if not any(isinstance(n, ast.FunctionDef) and n.name == spec.function for n in tree.body):
        return f"defines no function {spec.function!r}"
    return ""


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def load_function(code: str, name: str) -> Callable[..., Any]:
    """Run ``code`` (a snippet from :func:`function_source` or a bank's ``solution_code``) and return ``name``."""
    namespace: dict[str, Any] = {"__name__": f"exercise_{name}"}
    exec(compile(code, f"<{name}>", "exec"), namespace)
    function = namespace.get(name)
    if not callable(function):
        raise ValueError(f"the code defines no function {name!r}")
    return function


def submit_code(book: ExerciseBook, exercise_id: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """Run the hidden tests on ``function`` (or the injected reference), print the feedback, store code and result."""
    spec = code_exercise(exercise_id)
    origin = "learner"
    if book.solutions and exercise_id in book.solutions:
        code, origin = str(book.solutions[exercise_id]), "solution"
        function, name = load_function(code, spec.function), spec.function
    else:
        code = function_source(function) if callable(function) else ""
        name = getattr(function, "__name__", "")
    result = run_hidden_tests(exercise_id, function)
    feedback = result.feedback_in(book.language)
    if origin == "learner" and callable(function) and not code:
        feedback = Feedback(
            feedback.passed, feedback.message + "\n" + message("code.not_saved", language=book.language)
        )
    book.results[exercise_id] = feedback
    Progress.in_workspace(book.workspace).record(
        book.notebook,
        "exercises",
        exercise_id,
        {
            "kind": "code",
            "code": code,
            "function": name if name.isidentifier() else "",
            "passed": result.passed,
            "tests": f"{result.n_passed}/{result.n_cases}",
            "message": feedback.message,
            "source": origin,
        },
    )
    print(book.feedback_line(exercise_id, feedback, reference=origin == "solution"))
    return function


def outcomes(function: Callable[..., Any], inputs: Mapping[str, Any], *, language: str = "en") -> dict[str, str]:
    """``function`` applied to each input, as text: its result, or the error it raised (for a lab's demo table)."""
    shown = {}
    for label, value in inputs.items():
        try:
            shown[label] = repr(function(value))
        except Exception as exc:  # a learner's rule may crash on a faulty batch: show it, keep the notebook going
            shown[label] = translate("raised {error}", language=language, error=_describe(exc))
    return shown
