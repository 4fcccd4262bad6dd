"""Rerunning learners' code exercises for ``mlops-lab grade --run-code``: one limited Python process per learner.

The grader never runs learner code unless asked. With ``--run-code``, each learner's saved
functions run against the hidden tests in a child process that gets:

* an empty temporary folder as its working directory (deleted afterwards) and a clean
  environment (``python -I -B``: no ``PYTHON*`` variables, no user site-packages, no current
  folder on the import path; ``HOME`` and ``TMPDIR`` point into the temporary folder);
* a wall-time limit (the process group is killed), and a per-exercise time limit inside it;
* resource limits: address space (``RLIMIT_AS``), CPU seconds (``RLIMIT_CPU``), file size
  (``RLIMIT_FSIZE``), open files, no core dumps, and ``RLIMIT_NPROC`` (not enforced for root);
* a Python audit hook, installed before the learner's code runs, that refuses to write, delete
  or rename files outside the temporary folder, to read files outside the Python installation
  and the workbook's package, to start processes, send signals, open network sockets, load
  native code through ``ctypes`` or change directory.

What this protects against: mistakes (endless loops, huge allocations, stray writes, a crash)
and casual misbehaviour; one learner's code cannot stop the grading of the others. What it does
NOT protect against: it is not a security sandbox. The child runs as the same user with the same
file permissions; an audit hook is a Python-level check that a determined attacker can get
around (for example through a C extension already loaded, or by rewriting the interpreter's
memory), the network is not cut off at the operating-system level, and a learner who attacks
the runner can forge their own result. Read flagged code before trusting a surprising grade, and
run untrusted code in a container or virtual machine without network access.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_RESULT_PREFIX = "MLOPS-LAB-RESULT"


@dataclass(frozen=True)
class RerunLimits:
    """The limits of one learner's rerun process."""

    seconds_per_exercise: float = 10.0
    startup_seconds: float = 30.0  # importing pandas and the package, before the first exercise
    memory_mb: int = 1024
    file_mb: int = 1
    open_files: int = 256

    def wall_seconds(self, n_exercises: int) -> float:
        return self.startup_seconds + self.seconds_per_exercise * max(1, n_exercises)


@dataclass(frozen=True)
class CodeSubmission:
    """One saved function: which exercise, the snippet, and the name of the function it defines."""

    key: str  # "<notebook>/<exercise id>"
    exercise: str
    code: str
    function: str


@dataclass(frozen=True)
class RerunResult:
    """What the rerun said: ``status`` is passed, failed, timeout or error; ``message`` says why."""

    key: str
    status: str
    message: str
    tests: str = ""


def _user_tasks() -> int:
    """How many processes and threads this user runs now (RLIMIT_NPROC counts them all)."""
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)]:
            count += int(fields.get("Threads", "1").strip() or 1)
    return count


def _limit_child(limits: RerunLimits, cpu_seconds: int, max_tasks: int | None) -> None:
    """Runs in the child between fork and exec: set its resource limits."""
    import resource

    def cap(kind: int, value: int) -> None:
        soft, hard = resource.getrlimit(kind)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            resource.setrlimit(kind, (min(value, soft) if soft != resource.RLIM_INFINITY else value, hard))

    cap(resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024)
    cap(resource.RLIMIT_CPU, cpu_seconds)
    cap(resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024)
    cap(resource.RLIMIT_NOFILE, limits.open_files)
    cap(resource.RLIMIT_CORE, 0)
    if max_tasks is not None and hasattr(resource, "RLIMIT_NPROC"):
        cap(resource.RLIMIT_NPROC, max_tasks)


def _clean_environment(folder: Path) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "TMPDIR": str(folder),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        # One thread per math library: fewer tasks against RLIMIT_NPROC, and no thread pools to starve.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    return env


def rerun_learner(submissions: list[CodeSubmission], *, limits: RerunLimits | None = None) -> dict[str, RerunResult]:
    """Run one learner's saved functions against the hidden tests in one limited child process."""
    limits = limits or RerunLimits()
    if not submissions:
        return {}
    nonce = secrets.token_hex(16)
    package_parent = str(Path(__file__).resolve().parent.parent)
    job = {
        "nonce": nonce,
        "package_parent": package_parent,
        "seconds_per_exercise": limits.seconds_per_exercise,
        "exercises": [s.__dict__ for s in submissions],
    }
    wall = limits.wall_seconds(len(submissions))
    cpu = int(wall) + 1
    max_tasks = None if os.getuid() == 0 else _user_tasks() + 16
    with tempfile.TemporaryDirectory(prefix="mlops-lab-rerun-") as tmp:
        folder = Path(tmp).resolve()
        bootstrap = f"import sys; sys.path.insert(0, {package_parent!r}); from mlops_lab.code_rerun import child_main; child_main()"
        process = subprocess.Popen(
            [sys.executable, "-I", "-B", "-c", bootstrap],
            cwd=folder,
            env=_clean_environment(folder),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so a timeout kills everything it started
            preexec_fn=lambda: _limit_child(limits, cpu, max_tasks),
        )
        timed_out = False
        try:
            out, err = process.communicate(json.dumps(job).encode("utf-8"), timeout=wall)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = process.communicate()
    results = _read_results(out, nonce)
    for s in submissions:
        if s.key in results:
            continue
        if timed_out:
            results[s.key] = RerunResult(s.key, "timeout", f"stopped after {wall:g} s of wall time")
        else:
            results[s.key] = RerunResult(s.key, "error", _why_it_died(process.returncode, err))
    return results


def _read_results(out: bytes, nonce: str) -> dict[str, RerunResult]:
    results = {}
    for line in out.decode("utf-8", "replace").splitlines():
        head, _, body = line.partition(" ")
        if head != f"{_RESULT_PREFIX}-{nonce}":
            continue
        try:
            item = json.loads(body)
            result = RerunResult(
                str(item["key"]), str(item["status"]), str(item["message"]), str(item.get("tests", ""))
            )
        except (ValueError, KeyError, TypeError):
            continue
        results.setdefault(result.key, result)
    return results


def _why_it_died(returncode: int | None, err: bytes) -> str:
    if returncode is not None and returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else str(-returncode)
        hint = {"SIGXCPU": " (CPU time limit)", "SIGXFSZ": " (file size limit)", "SIGKILL": " (killed)"}.get(name, "")
        return f"the rerun process was stopped by {name}{hint}"
    last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    return f"the rerun process ended without a result (exit status {returncode}) {last[0][:120]}".strip()


# ---------------------------------------------------------------------------------------------
# The child process


_FORBIDDEN_PREFIXES = ("subprocess.", "os.exec", "os.spawn", "os.posix_spawn", "ctypes.", "socket.", "pty.")
_FORBIDDEN = {"os.system", "os.fork", "os.forkpty", "os.kill", "os.killpg", "signal.pthread_kill", "os.chdir"}
_CHANGES = {
    "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.symlink", "os.link", "os.truncate", "os.chmod",
    "os.chown", "os.utime", "os.chflags", "os.lchflags", "os.setxattr", "os.removexattr", "shutil.rmtree",
    "shutil.copyfile", "shutil.copymode", "shutil.copystat", "shutil.move", "shutil.chown", "os.mkfifo", "os.mknod",
    "sqlite3.connect", "dbm.open",
}  # fmt: skip
_LISTINGS = {"os.listdir", "os.scandir", "glob.glob", "os.fwalk"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class _Guard:
    """An audit hook that keeps the learner's code to its folder (a Python-level check, see the module docstring)."""

    def __init__(self, root: Path, readable: tuple[str, ...]) -> None:
        self.root = root
        self.readable = readable
        self.inside = str(root) + os.sep
        # The checks themselves call os functions that raise audit events: those must not be checked again.
        self.busy = False

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if self.busy:
            return
        if event in _FORBIDDEN or event.startswith(_FORBIDDEN_PREFIXES):
            raise PermissionError(f"{event} is not allowed while grading code exercises")
        self.busy = True
        try:
            if event == "open":
                self._on_open(args)
            elif event in _LISTINGS:
                self._check_read(args[0] if args and args[0] is not None else ".")
            elif event in _CHANGES:
                for arg in args:
                    if isinstance(arg, (str, bytes, os.PathLike)):
                        self._check_write(arg)
        finally:
            self.busy = False

    def _on_open(self, args: tuple[Any, ...]) -> None:
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
        )
        (self._check_write if writes else self._check_read)(path)

    def _resolve(self, path: Any) -> str | None:
        if isinstance(path, int):
            return None
        try:
            return os.path.realpath(os.path.join(self.root, os.fsdecode(path)))
        except (TypeError, ValueError):
            return ""

    def _check_read(self, path: Any) -> None:
        where = self._resolve(path)
        if where is not None and not (where + os.sep).startswith(self.readable):
            raise PermissionError(f"reading outside the Python installation is not allowed: {os.fsdecode(path)}")

    def _check_write(self, path: Any) -> None:
        where = self._resolve(path)
        if where is not None and not (where + os.sep).startswith(self.inside):
            raise PermissionError(f"writing outside the exercise folder is not allowed: {os.fsdecode(path)}")


def _readable_roots(root: Path, package_parent: str) -> tuple[str, ...]:
    import sysconfig

    # The workbook's folder is left out (it may hold other learners' submissions and the quiz banks' references);
    # only its package is readable.
    workbook = os.path.realpath(package_parent)
    places = {str(root), sys.prefix, sys.base_prefix, sys.exec_prefix, "/dev/null", "/dev/urandom"}
    places |= set(sysconfig.get_paths().values())
    places |= {p for p in sys.path if p and os.path.realpath(p) != workbook}
    places.add(os.path.join(workbook, "mlops_lab"))
    return tuple(os.path.realpath(p).rstrip(os.sep) + os.sep for p in places if p)


def child_main() -> None:
    """The child's entry point: read the job from stdin, run each exercise, write one result line each."""
    job = json.loads(sys.stdin.read())
    sys.stdin.close()
    # Import everything the tests need before the guard goes up, so only the learner's own imports are checked.
    import pandas  # noqa: F401

    from mlops_lab.code_exercises import TimeUp, load_function, run_hidden_tests, time_limit
    from mlops_lab.hidden_tests import CODE_EXERCISES

    for spec in CODE_EXERCISES.values():
        spec.cases()
    root = Path.cwd().resolve()
    # Results go to a private copy of stdout; the learner's prints go nowhere.
    results = os.dup(1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    prefix = f"{_RESULT_PREFIX}-{job.pop('nonce')}"
    sys.addaudithook(_Guard(root, _readable_roots(root, job["package_parent"])))
    seconds = float(job["seconds_per_exercise"])

    def report(key: str, status: str, message: str, tests: str = "") -> None:
        line = json.dumps({"key": key, "status": status, "message": message, "tests": tests})
        os.write(results, f"{prefix} {line}\n".encode())

    for item in job["exercises"]:
        key, exercise = item["key"], item["exercise"]
        try:
            with time_limit(seconds):
                function = load_function(item["code"], item["function"])
        except TimeUp:
            report(key, "timeout", f"defining the function took more than {seconds:g} s")
            continue
        except BaseException as exc:  # the learner's module code failed: that is their result, not a crash
            report(key, "failed", f"the saved code did not run: {type(exc).__name__}: {str(exc)[:120]}")
            continue
        try:
            result = run_hidden_tests(exercise, function, time_limit_s=seconds)
        except BaseException as exc:  # noqa: BLE001 (an escape from the tests is still one exercise's result)
            report(key, "failed", f"the tests could not finish: {type(exc).__name__}")
            continue
        status = "timeout" if result.timed_out else ("passed" if result.passed else "failed")
        report(key, status, result.feedback.message, f"{result.n_passed}/{result.n_cases}")
    os._exit(0)  # skip interpreter shutdown: learner objects' finalizers do not run after the results


def submissions_from_progress(
    sections: Mapping[str, Mapping[str, Any]], code_exercises: dict[str, set[str]]
) -> list[CodeSubmission]:
    """The saved functions in a learner's progress sections, for the code exercises of each notebook's bank."""
    found = []
    for notebook, section in sorted(sections.items()):
        records = section.get("exercises", {}) if isinstance(section, Mapping) else {}
        for exercise in sorted(code_exercises.get(notebook, set())):
            record = records.get(exercise) if isinstance(records, Mapping) else None
            if not isinstance(record, Mapping):
                continue
            code, function = record.get("code"), record.get("function")
            if isinstance(code, str) and code.strip() and isinstance(function, str) and function.isidentifier():
                found.append(CodeSubmission(f"{notebook}/{exercise}", exercise, code, function))
    return found
