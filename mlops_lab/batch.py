"""Instructor batches: run notebooks headless for every learner (or every sweep point) with papermill.

A batch has *rows* (one per learner from a roster CSV, or one per point of a parameter sweep)
and *notebooks*; every (row, notebook) pair is one run. Outputs go to ``DIR``::

    DIR/<row>/<notebook>.ipynb        the executed notebook (the input is never touched)
    DIR/<row>/<notebook>.run.json     status, duration, parameters and, for a failure, the cell and error
    DIR/<row>/workspace/              that row's own progress.json, MLflow store and models

Runs go to long-lived workers (a local process pool, or a Dask distributed cluster), each of
which calls papermill's Python API for one run after another, so the interpreter start-up and
imports are paid once per worker, not once per notebook. A failing run is recorded and the
batch goes on; running the same batch again skips the runs that already succeeded with the
same parameters and the same input notebook (``force=True`` reruns them).

Results are atomic: papermill writes into a hidden ``.<notebook>.partial-*`` file that replaces
the notebook only once the run has ended, and the record is written last and names the
notebook's SHA-256, which the skip check verifies. A crash at any instant therefore leaves the
previous complete result or none, never a half-written notebook taken as done.

A first Ctrl-C or SIGTERM stops the batch: nothing new starts, running kernels are killed,
each stopped run is recorded as ``interrupted`` with the cell it reached (its partial notebook
is removed), no worker or kernel process is left, and running the same command again runs
exactly the missing runs.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import math
import os
import signal
import socket
import threading
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlops_lab.errors import BatchInputError
from mlops_lab.roster import BatchRow

RUN_SUFFIX = ".run.json"
WORKSPACE_DIR = "workspace"
DEFAULT_TIMEOUT_S = 600.0
# Environment settings every kernel of a batch gets (a learner's laptop sets them via configure_offline()).
_BATCH_ENVIRONMENT = {"PYTHONHASHSEED": "0", "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
# A worker changes os.environ for the kernel it starts; one run at a time per worker process.
_ENVIRONMENT_LOCK = threading.Lock()
# How often a worker looks for the batch's stop file, and how long the batch waits for stopped runs to report.
_STOP_POLL_S = 0.2
_STOP_GRACE_S = 10.0
# Set in a local pool worker when it receives SIGTERM itself (e.g. `kill` of the whole process group).
_WORKER_STOP = threading.Event()
_PARTIAL_MARK = ".partial-"
# Exit statuses of a stopped batch, as a shell reports a command killed by the signal.
_SIGNAL_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


@dataclass(frozen=True)
class RunJob:
    """Everything a worker needs to execute one notebook for one row (plain data, so it pickles)."""

    row: str
    notebook: str
    input_path: str
    output_path: str
    workspace: str
    parameters: dict[str, Any]
    timeout_s: float
    environment: dict[str, str] = field(default_factory=dict)
    # A file whose existence tells every worker to stop (on the shared file system, so Dask workers see it too).
    stop_path: str = ""


@dataclass
class RunResult:
    """The outcome of one run, as stored in ``<notebook>.run.json``."""

    row: str
    notebook: str
    status: str  # "succeeded" | "failed" | "interrupted" | "skipped" ("not-started" is never stored)
    duration_s: float
    output_path: str
    parameters: dict[str, Any]
    notebook_sha256: str = ""  # of the input notebook
    output_sha256: str = ""  # of the executed notebook this record describes ("" when there is none)
    error: dict[str, Any] | None = None
    started_at: float = 0.0
    worker: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status in ("succeeded", "skipped")


@dataclass
class BatchSummary:
    """What a batch did: one result per run, and where everything is."""

    output_dir: Path
    results: list[RunResult]
    elapsed_s: float
    stopped_by: str = ""  # "SIGINT" or "SIGTERM" when the batch was interrupted
    not_started: int = 0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failures(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def exit_status(self) -> int:
        """0 all done, 1 some run failed, 128 + the signal number when the batch was stopped."""
        if self.stopped_by:
            return 128 + int(getattr(signal, self.stopped_by))
        return 1 if self.failures or self.not_started else 0

    def __repr__(self) -> str:
        interrupted = self.count("interrupted")
        lines = [
            f"{len(self.results)} runs in {self.elapsed_s:.1f} s: {self.count('succeeded')} succeeded, "
            f"{self.count('skipped')} skipped (already done), {self.count('failed')} failed"
            + (f", {interrupted} interrupted, {self.not_started} not started" if self.stopped_by else "")
            + f". Outputs in {self.output_dir}/"
        ]
        for r in self.failures:
            lines.append(f"  FAILED {r.row}/{r.notebook}: {describe_error(r.error)}")
        if self.stopped_by or self.not_started:
            lines.append(
                f"Stopped by {self.stopped_by or 'a worker'}: run the same command again to run the "
                f"{interrupted + self.not_started} missing run(s); finished runs are skipped."
            )
        return "\n".join(lines)


def describe_error(error: dict[str, Any] | None) -> str:
    """One line for a run's error: which cell, which exception."""
    if not error:
        return ""
    if error.get("cell") is None:
        where = "outside any cell"
    else:
        # The index counts the executed notebook's cells (papermill's injected cell included), as the output shows them.
        details = [
            f"In [{error['execution_count']}]" if error.get("execution_count") else "",
            f"`{error['source']}`" if error.get("source") else "",
        ]
        where = f"cell {error['cell']}" + (f" ({', '.join(d for d in details if d)})" if any(details) else "")
    return f"{where}: {error.get('ename', 'Error')}: {error.get('evalue', '')}".strip()


# ---------------------------------------------------------------------------------------------
# Planning


def notebook_parameters(path: str | os.PathLike[str]) -> set[str] | None:
    """Names assigned in the notebook's ``parameters`` cell (None if it has none), read without running it."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell.get("source", []))
            names: set[str] = set()
            for node in ast.parse(source).body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
            return names
    return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _normalised(parameters: dict[str, Any]) -> Any:
    return json.loads(json.dumps(parameters, sort_keys=True, default=str))


def plan_runs(
    notebooks: Sequence[str | os.PathLike[str]],
    rows: Sequence[BatchRow],
    output_dir: str | os.PathLike[str],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    tracking_uri: str | None = None,
) -> list[RunJob]:
    """One job per (row, notebook); checks every notebook exists and every parameter belongs to one."""
    output_dir = Path(output_dir).resolve()
    paths = [Path(n).resolve() for n in notebooks]
    if not paths:
        raise BatchInputError("no notebooks given")
    declared: dict[Path, set[str] | None] = {}
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            raise BatchInputError(f"{path}: not a notebook file (.ipynb)")
        try:
            declared[path] = notebook_parameters(path)
        except (ValueError, SyntaxError) as exc:
            raise BatchInputError(f"{path}: cannot read the notebook or its parameters cell ({exc})") from None
        if output_dir == path.parent or output_dir in path.parents:
            raise BatchInputError(
                f"{path}: the output folder {output_dir} contains the input notebooks; choose another"
            )
    if len({p.stem for p in paths}) != len(paths):
        raise BatchInputError("two notebooks have the same name; their outputs would collide")
    known: set[str] = set().union(*(d for d in declared.values() if d))
    if all(d is not None for d in declared.values()):
        for row in rows:
            unknown = sorted(set(row.parameters) - known)
            if unknown:
                raise BatchInputError(
                    f"row {row.name!r}: {unknown} is not a parameter of any notebook (parameters: {', '.join(sorted(known))})"
                )
    environment = {"MLFLOW_TRACKING_URI": tracking_uri} if tracking_uri else {}
    jobs = []
    for row in rows:
        workspace = output_dir / row.name / WORKSPACE_DIR
        for path in paths:
            names = declared[path]
            parameters = {k: v for k, v in row.parameters.items() if names is None or k in names}
            parameters["workspace"] = str(workspace)
            jobs.append(
                RunJob(
                    row=row.name,
                    notebook=path.stem,
                    input_path=str(path),
                    output_path=str(output_dir / row.name / path.name),
                    workspace=str(workspace),
                    parameters=parameters,
                    timeout_s=float(timeout_s),
                    environment={**environment, "MLOPS_LAB_LEARNER": row.name},
                )
            )
    return jobs


def run_record_path(job: RunJob) -> Path:
    return Path(job.output_path).with_suffix(RUN_SUFFIX)


def previous_success(job: RunJob) -> RunResult | None:
    """The stored result of ``job`` if it already succeeded with the same parameters and input notebook."""
    record = read_run_record(run_record_path(job))
    if (
        record is None
        or record.status != "succeeded"
        or not record.output_sha256
        or _normalised(record.parameters) != _normalised(job.parameters)
        or record.notebook_sha256 != _sha256(Path(job.input_path))
    ):
        return None
    # The record must describe the notebook that is there: a notebook rewritten after its record (a crash between
    # the two writes, a copy from elsewhere) is not taken as done, whatever its cells claim.
    try:
        return record if _sha256(Path(job.output_path)) == record.output_sha256 else None
    except OSError:
        return None


def read_run_record(path: Path) -> RunResult | None:
    """A stored run result, or None if there is none or it cannot be read (then the run is done again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RunResult(**data)
    except (OSError, ValueError, TypeError):
        return None


def read_batch(output_dir: str | os.PathLike[str]) -> list[RunResult]:
    """Every run result stored in a batch folder, sorted by row and notebook."""
    records = (read_run_record(p) for p in sorted(Path(output_dir).glob(f"*/*{RUN_SUFFIX}")))
    return [r for r in records if r is not None]


# ---------------------------------------------------------------------------------------------
# Execution (inside a worker)


def _failed_cell(notebook_path: Path) -> tuple[int | None, str]:
    """The cell papermill marked as failed, or else the last one it started, in a (partial) executed notebook.

    The last *started* cell, not the last "completed" one: papermill marks every cell it never
    reached as completed when a run ends early, but only the cells it started have a start time.
    """
    try:
        notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, ""
    cells = notebook.get("cells", [])
    for index, cell in enumerate(cells):
        meta = cell.get("metadata", {}).get("papermill", {})
        if meta.get("exception") or any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return index, "".join(cell.get("source", []))
    started = [i for i, c in enumerate(cells) if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    return (started[-1], "".join(cells[started[-1]].get("source", []))) if started else (None, "")


def _first_line(source: str) -> str:
    lines = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return lines[0][:120] if lines else ""


def _partial_path(job: RunJob) -> Path:
    """Where papermill writes while a run is going on: hidden and not ``.ipynb``, so no grader takes it for a result."""
    output = Path(job.output_path)
    return output.with_name(f".{output.stem}{_PARTIAL_MARK}{os.getpid()}-{threading.get_ident()}")


def _partials(job: RunJob) -> list[Path]:
    output = Path(job.output_path)
    return sorted(output.parent.glob(f".{output.stem}{_PARTIAL_MARK}*"))


def _stop_requested(job: RunJob) -> bool:
    return _WORKER_STOP.is_set() or bool(job.stop_path and os.path.exists(job.stop_path))


def _stop_process_tree(processes: Iterable[Any], *, grace_s: float = 1.0) -> None:
    """Terminate processes and everything they started; kill what has not exited after ``grace_s``."""
    import psutil

    victims = []
    for process in processes:
        try:
            victims.extend([*process.children(recursive=True), process])
        except psutil.Error:
            continue
    for process in victims if grace_s else []:
        try:
            process.terminate()
        except psutil.Error:
            continue
    _, alive = psutil.wait_procs(victims, timeout=grace_s) if grace_s else ([], victims)
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(alive, timeout=2.0)


def _kernels_of(job: RunJob) -> list[Any]:
    """This worker's kernel processes for ``job``'s row (a kernel's environment names its workspace)."""
    import psutil

    kernels = []
    for child in psutil.Process().children():
        try:
            if child.environ().get("MLOPS_LAB_WORKSPACE") == job.workspace:
                kernels.append(child)
        except psutil.Error:
            continue
    return kernels


def _stop_kernels_when_asked(job: RunJob, finished: threading.Event, stopped: threading.Event) -> None:
    """Watcher thread of one run: once the batch asks to stop, kill the run's kernel (again, until the run ends).

    A dead kernel makes papermill return within about a second, so the run ends wherever it was.
    """
    while not finished.wait(_STOP_POLL_S):
        if _stop_requested(job):
            if not stopped.is_set():
                # The kernel's death is the stop asked for, not news: keep papermill's "Kernel died" off the terminal.
                logging.getLogger("papermill").disabled = True
                stopped.set()
            _stop_process_tree(_kernels_of(job))


def _worker_initializer() -> None:
    """A local pool worker leaves Ctrl-C to the batch (which stops it in order) and treats SIGTERM as a stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: _WORKER_STOP.set())


def _commit_output(partial: Path, job: RunJob) -> str:
    """Move a finished run's notebook into place atomically; returns its SHA-256."""
    notebook = json.loads(partial.read_text(encoding="utf-8"))
    # papermill recorded the temporary name; the notebook is read under its final one.
    notebook.get("metadata", {}).get("papermill", {})["output_path"] = job.output_path
    text = json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, job.output_path)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _result(job: RunJob, status: str, started: float, **details: Any) -> RunResult:
    return RunResult(
        row=job.row,
        notebook=job.notebook,
        status=status,
        duration_s=round(time.time() - started, 3) if started else 0.0,
        output_path=job.output_path,
        parameters=job.parameters,
        notebook_sha256=_sha256(Path(job.input_path)),
        started_at=round(started, 3),
        worker=f"{socket.gethostname()}:{os.getpid()}",
        **details,
    )


def interrupted_result(job: RunJob, started: float, reason: str) -> RunResult:
    """The record of a run stopped part-way: the cell it reached; its partial notebook is removed."""
    cell, source = None, ""
    for partial in _partials(job):
        cell, source = _failed_cell(partial)
        partial.unlink(missing_ok=True)
    error = {
        "cell": cell,
        "execution_count": None,
        "source": _first_line(source),
        "ename": "Interrupted",
        "evalue": reason,
    }
    return _result(job, "interrupted", started, error=error)


def execute_run(job: RunJob) -> RunResult:
    """Execute one notebook with papermill (in the calling process) and describe the outcome.

    Each cell may use what is left of the run's time budget (``job.timeout_s``), so a notebook
    that hangs is stopped and recorded instead of blocking its worker. A run the batch stops
    while it executes ends ``interrupted``; a run picked up after the stop does not start.
    """
    if _stop_requested(job):
        return _result(job, "not-started", 0.0)
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from mlops_lab.notebook_execution import register_engine

    Path(job.workspace).mkdir(parents=True, exist_ok=True)
    partial = _partial_path(job)
    started = time.time()
    deadline = time.monotonic() + job.timeout_s

    def time_left(cell: Any) -> int:
        return max(1, math.ceil(deadline - time.monotonic()))

    error = None
    finished, stopped = threading.Event(), threading.Event()
    watcher = threading.Thread(target=_stop_kernels_when_asked, args=(job, finished, stopped), daemon=True)
    with _ENVIRONMENT_LOCK:
        saved, papermill_log_disabled = dict(os.environ), logging.getLogger("papermill").disabled
        os.environ.update({**_BATCH_ENVIRONMENT, "MLOPS_LAB_WORKSPACE": job.workspace, **job.environment})
        watcher.start()
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=r"The specified file .* does not end in")
                papermill.execute_notebook(
                    job.input_path,
                    str(partial),
                    engine_name=register_engine(),
                    parameters=job.parameters,
                    cwd=str(Path(job.input_path).parent),
                    kernel_name="python3",
                    progress_bar=False,
                    log_output=False,
                    timeout_func=time_left,
                    # Quiet kernels; history in memory, so parallel kernels never wait on one shared history.sqlite.
                    extra_arguments=["--IPKernelApp.log_level=ERROR", "--HistoryManager.hist_file=:memory:"],
                )
        except PapermillExecutionError as exc:
            error = {
                "cell": exc.cell_index,
                "execution_count": exc.exec_count,
                "source": _first_line(exc.source),
                "ename": exc.ename,
                "evalue": str(exc.evalue)[:500],
            }
        except Exception as exc:  # a dead kernel, a timeout or a broken input must not stop the batch
            cell, source = _failed_cell(partial)
            ename = "Timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
            evalue = f"the notebook took longer than {job.timeout_s:g} s" if ename == "Timeout" else str(exc)[:500]
            error = {
                "cell": cell,
                "execution_count": None,
                "source": _first_line(source),
                "ename": ename,
                "evalue": evalue,
            }
        finally:
            finished.set()
            watcher.join()
            logging.getLogger("papermill").disabled = papermill_log_disabled
            os.environ.clear()
            os.environ.update(saved)
    if error is not None and stopped.is_set():
        return interrupted_result(job, started, "the batch was stopped while this cell ran")
    output_sha256 = _commit_output(partial, job) if partial.is_file() else ""
    return _result(job, "failed" if error else "succeeded", started, error=error, output_sha256=output_sha256)


def _write_record(job: RunJob, result: RunResult) -> None:
    """Write the record last, atomically, so it only ever describes a notebook that is completely there."""
    path = run_record_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(result), indent=1, sort_keys=True, default=str))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# Scheduling


class _StopRequest:
    """The batch's own SIGINT/SIGTERM handlers: the first signal asks for an orderly stop, a second for a hard one."""

    def __init__(self) -> None:
        self.signals: list[int] = []
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return bool(self.signals)

    @property
    def name(self) -> str:
        return _SIGNAL_NAMES.get(self.signals[0], "a signal") if self.signals else ""

    def _handle(self, signum: int, frame: Any) -> None:
        self.signals.append(signum)

    def __enter__(self) -> _StopRequest:
        # Signal handlers can only be set from the main thread; elsewhere (a notebook's thread) the caller's apply.
        if threading.current_thread() is threading.main_thread():
            for signum in _SIGNAL_NAMES:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


class _LocalBackend:
    """A pool of spawned worker processes on this machine."""

    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: a clean worker that imports papermill once, with no state copied from the caller.
        self.pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_initializer
        )

    def submit(self, job: RunJob) -> Any:
        return self.pool.submit(execute_run, job)

    def cancel_waiting(self, futures: Iterable[Any]) -> None:
        for future in futures:
            future.cancel()  # refused for a run already handed to a worker, which stops it itself

    def _processes(self) -> list[Any]:
        import psutil

        processes = []
        for pid in list(getattr(self.pool, "_processes", None) or {}):
            try:
                processes.append(psutil.Process(pid))
            except psutil.Error:
                continue
        return processes

    def kill(self) -> None:
        """The hard stop: every worker and everything it started (its kernels are in their own sessions).

        At once, with SIGKILL: a worker given time to stop would tidy its run away before it could report it.
        """
        _stop_process_tree(self._processes(), grace_s=0)

    def close(self) -> None:
        survivors = [child for worker in self._processes() for child in _safe_children(worker)]
        self.pool.shutdown(wait=True, cancel_futures=True)
        # A kernel outlives a worker that exited under it; nothing the batch started may stay behind.
        _stop_process_tree(survivors)


def _safe_children(process: Any) -> list[Any]:
    import psutil

    try:
        return process.children(recursive=True)
    except psutil.Error:
        return []


class _DaskBackend:
    """A Dask distributed cluster; workers see the batch's stop file on the shared file system."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        try:
            self.client = Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise BatchInputError(
                f"cannot reach the Dask scheduler at {address} ({exc}); is `dask scheduler` running?"
            ) from None
        self.futures: list[Any] = []

    def submit(self, job: RunJob) -> Any:
        future = self.client.submit(
            execute_run, job, pure=False, key=f"mlops-lab-{job.row}-{job.notebook}-{time.time_ns()}"
        )
        self.futures.append(future)
        return future

    def cancel_waiting(self, futures: Iterable[Any]) -> None:
        processing = {key for keys in self.client.processing().values() for key in keys}
        waiting = [f for f in futures if f.key not in processing]
        if waiting:
            self.client.cancel(waiting)

    def kill(self) -> None:
        # Dask cannot kill a running task; its run's watcher kills the kernel when it sees the stop file, so the
        # file stays long enough for every watcher to look.
        self.client.cancel(self.futures)
        time.sleep(5 * _STOP_POLL_S)

    def close(self) -> None:
        self.client.cancel(self.futures)
        self.client.close()


def _worker_died(job: RunJob, exc: BaseException) -> RunResult:
    """The result of a run whose worker itself died (out of memory, killed)."""
    return _result(
        job,
        "failed",
        0.0,
        error={
            "cell": None,
            "execution_count": None,
            "source": "",
            "ename": type(exc).__name__,
            "evalue": str(exc)[:500],
        },
    )


def _stopped(job: RunJob, reason: str) -> RunResult:
    """A run whose worker did not report after a stop: interrupted if it had begun its notebook, else not started."""
    return interrupted_result(job, 0.0, reason) if _partials(job) else _result(job, "not-started", 0.0)


def _run_jobs(backend: Any, jobs: Sequence[RunJob], stop: _StopRequest, stop_path: Path) -> Iterator[RunResult]:
    """Submit every job and yield results as they arrive; on a stop request, stop in order and yield what ended.

    Polling (rather than blocking on the futures) keeps the main thread free to notice a signal at once.
    """
    futures = {backend.submit(job): job for job in jobs}
    stopping_since: float | None = None
    while futures:
        if stop.requested and stopping_since is None:
            stopping_since = time.monotonic()
            stop_path.touch()
            backend.cancel_waiting(list(futures))
        if stopping_since is not None and (len(stop.signals) > 1 or time.monotonic() - stopping_since > _STOP_GRACE_S):
            backend.kill()
            for future, job in futures.items():
                if not future.cancelled():
                    yield _stopped(job, "the batch was stopped and its worker killed while this cell ran")
            return
        done = [f for f in futures if f.done()]
        for future in done:
            job = futures.pop(future)
            if future.cancelled():
                continue
            try:
                yield future.result()
            except Exception as exc:
                yield (
                    _stopped(job, "the batch was stopped while this cell ran")
                    if stop.requested
                    else _worker_died(job, exc)
                )
        if not done:
            time.sleep(0.05)


def run_batch(
    notebooks: Sequence[str | os.PathLike[str]],
    rows: Sequence[BatchRow],
    output_dir: str | os.PathLike[str],
    *,
    workers: int = 2,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    force: bool = False,
    dask_address: str | None = None,
    tracking_uri: str | None = None,
    progress_bar: bool = True,
) -> BatchSummary:
    """Run every notebook for every row; record each outcome; skip what already succeeded unless ``force``.

    ``dask_address`` sends the runs to a Dask scheduler (``tcp://host:8786``) instead of a local
    process pool; the notebooks and ``output_dir`` must then be at the same path on every worker
    (a shared file system). ``tracking_uri`` makes every notebook log to that MLflow server.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    output_dir = Path(output_dir).resolve()
    stop_path = output_dir / f".stop-{os.getpid()}-{time.time_ns()}"
    jobs = [
        RunJob(**{**asdict(job), "stop_path": str(stop_path)})
        for job in plan_runs(notebooks, rows, output_dir, timeout_s=timeout_s, tracking_uri=tracking_uri)
    ]
    results: list[RunResult] = []
    pending = []
    for job in jobs:
        for stale in _partials(job):  # left by a batch that was killed outright
            stale.unlink(missing_ok=True)
        done = None if force else previous_success(job)
        if done is not None:
            results.append(RunResult(**{**asdict(done), "status": "skipped"}))
        else:
            pending.append(job)
    for job in pending:
        Path(job.workspace).mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(jobs), initial=len(results), unit="run", desc="batch", disable=not progress_bar)
    not_started = 0
    with _StopRequest() as stop:
        if pending:
            backend = _DaskBackend(dask_address) if dask_address else _LocalBackend(max(1, min(workers, len(pending))))
            try:
                by_key = {(j.row, j.notebook): j for j in pending}
                finished = 0
                for result in _run_jobs(backend, pending, stop, stop_path):
                    if result.status == "not-started":
                        continue
                    _write_record(by_key[result.row, result.notebook], result)
                    finished += 1
                    results.append(result)
                    bar.update(1)
                    bar.set_postfix(failed=sum(1 for r in results if r.status == "failed"), refresh=False)
                not_started = len(pending) - finished
            finally:
                backend.close()
                stop_path.unlink(missing_ok=True)
    bar.close()
    results.sort(key=lambda r: (r.row, r.notebook))
    return BatchSummary(
        output_dir=output_dir,
        results=results,
        elapsed_s=time.perf_counter() - started,
        stopped_by=stop.name,
        not_started=not_started,
    )
