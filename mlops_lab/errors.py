"""The package's exceptions, in one place: what can go wrong, named by what was wrong with the input.

Each is also importable from the module that raises it (``model_files.UntrustedModelError``,
``serving.PredictionRequestError``...), which is where notebooks and tests meet it.
Every message names the file, row, step or request it is about, so one bad input is
reported on its own.
"""

from __future__ import annotations

from typing import Any

from mlops_lab.i18n import Phrase


class LearnerInputError(ValueError):
    """A value a learner wrote that the lab cannot use (a data rule, a slice, a traffic split), said so it can be fixed.

    ``template`` is the package's English sentence, marked for translation where it is raised, and
    ``values`` fill it in; they are kept as a :class:`~mlops_lab.i18n.Phrase`, whose English is the
    message and which :func:`in_language` says in the learner's language.
    """

    def __init__(self, template: str, /, **values: Any) -> None:
        self.phrase = Phrase(template, **values)
        super().__init__(str(self.phrase))


def in_language(error: BaseException, *, language: str) -> str:
    """What ``error`` says, in ``language`` when it is a :class:`LearnerInputError`; other errors speak as raised."""
    return error.phrase.render(language) if isinstance(error, LearnerInputError) else str(error)


class UntrustedModelError(ValueError):
    """A model file that is unreadable or holds types outside the allow-list; nothing in it was executed.

    ``path`` and ``untrusted`` (the types refused, empty for an unreadable file) let
    :func:`mlops_lab.model_files.refusal_message` say the same in the learner's language.
    """

    def __init__(self, message: str, *, path: str = "", untrusted: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.path = path
        self.untrusted = untrusted


class PipelineStepError(RuntimeError):
    """A pipeline step failed; the message names the step and the run, which is recorded as FAILED."""


class PredictionRequestError(Exception):
    """The endpoint refused a request (4xx) or could not answer it (5xx); ``problems`` lists what was wrong."""

    def __init__(self, status_code: int, error: str, problems: list[str]) -> None:
        super().__init__(f"HTTP {status_code}: {error}")
        self.status_code = status_code
        self.error = error
        self.problems = problems


class ProgressFileError(ValueError):
    """A progress file that cannot be read as progress (corrupted, truncated or foreign)."""


class QuizBankError(ValueError):
    """A question bank that cannot be used; the message names the file and the question."""


class SubmissionError(ValueError):
    """A file that cannot be read as a submission (its message says why)."""


class BatchInputError(ValueError):
    """A roster, sweep file or notebook list that cannot be run; the message names the file and the row."""


class RequestLogError(OSError):
    """The endpoint could not write a request's log entry, so it did not serve the request."""
