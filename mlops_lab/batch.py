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
"""

from __future__ import annotations

import ast
import csv
import hashlib
import itertools
import json
import math
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlops_lab.errors import BatchInputError

RUN_SUFFIX = ".run.json"
WORKSPACE_DIR = "workspace"
DEFAULT_TIMEOUT_S = 600.0
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# The batch decides where each row's files go; a roster must not redirect them.
_RESERVED_PARAMETERS = {"workspace"}
# Environment settings every kernel of a batch gets (a learner's laptop sets them via configure_offline()).
_BATCH_ENVIRONMENT = {"PYTHONHASHSEED": "0", "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
# A worker changes os.environ for the kernel it starts; one run at a time per worker process.
_ENVIRONMENT_LOCK = threading.Lock()


@dataclass(frozen=True)
class BatchRow:
    """One learner (or sweep point): a folder name and the parameters its notebooks get."""

    name: str
    parameters: dict[str, Any]


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


@dataclass
class RunResult:
    """The outcome of one run, as stored in ``<notebook>.run.json``."""

    row: str
    notebook: str
    status: str  # "succeeded" | "failed" | "skipped"
    duration_s: float
    output_path: str
    parameters: dict[str, Any]
    notebook_sha256: str = ""
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

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failures(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "failed"]

    def __repr__(self) -> str:
        lines = [
            f"{len(self.results)} runs in {self.elapsed_s:.1f} s: {self.count('succeeded')} succeeded, "
            f"{self.count('skipped')} skipped (already done), {self.count('failed')} failed. Outputs in {self.output_dir}/"
        ]
        for r in self.failures:
            lines.append(f"  FAILED {r.row}/{r.notebook}: {describe_error(r.error)}")
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
# Rows: roster CSV or sweep YAML


def _check_row_name(name: str, where: str) -> str:
    if not _SAFE_NAME.match(name):
        raise BatchInputError(
            f"{where}: {name!r} cannot be a folder name; use letters, digits, '.', '_' or '-' (at most 100)"
        )
    return name


def parse_cell_value(text: str) -> Any:
    """A roster cell as a parameter: Python/JSON literals (``42``, ``0.5``, ``{'q1': 'b'}``, ``true``) or text."""
    text = text.strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_roster(path: str | os.PathLike[str]) -> list[BatchRow]:
    """One row per learner: a ``learner`` column, then one column per notebook parameter (empty: the default)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in (reader.fieldnames or [])]
            records = list(reader)
    except FileNotFoundError:
        raise BatchInputError(f"{path}: no such roster file") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BatchInputError(f"{path}: not a readable CSV file ({exc})") from None
    if "learner" not in columns:
        raise BatchInputError(f"{path}: the roster needs a 'learner' column (found: {', '.join(columns) or 'nothing'})")
    reserved = _RESERVED_PARAMETERS & set(columns)
    if reserved:
        raise BatchInputError(f"{path}: column(s) {sorted(reserved)} are set by the batch (one workspace per learner)")
    rows = []
    for number, record in enumerate(records, start=2):
        if None in record:
            raise BatchInputError(f"{path}: line {number}: more values than columns")
        if any(v is None for v in record.values()):
            raise BatchInputError(f"{path}: line {number}: fewer values than columns")
        record = {k.strip(): v for k, v in record.items()}
        name = _check_row_name((record.get("learner") or "").strip(), f"{path}: line {number}: learner")
        parameters = {k: parse_cell_value(v) for k, v in record.items() if k and k != "learner" and v and v.strip()}
        rows.append(BatchRow(name=name, parameters=parameters))
    if not rows:
        raise BatchInputError(f"{path}: the roster has no learners")
    _check_unique(rows, str(path))
    return rows


def _slug(parameters: dict[str, Any]) -> str:
    text = "_".join(f"{k}-{v}" for k, v in parameters.items())
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")[:60] or "run"


def read_sweep(path: str | os.PathLike[str]) -> list[BatchRow]:
    """Rows from a sweep file: every combination of the lists under ``grid``, plus explicit ``runs``.

    ::

        grid:            # 3 x 2 = 6 rows
          seed: [1, 2, 3]
          mode: [smoke, full]
        fixed:           # the same for every row
          quiz_answers: {}
        runs:            # extra rows, each named or numbered
          - {name: baseline, seed: 42}
    """
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BatchInputError(f"{path}: no such sweep file") from None
    except yaml.YAMLError as exc:
        raise BatchInputError(f"{path}: invalid YAML ({exc})") from None
    if (
        not isinstance(raw, dict)
        or not set(raw) <= {"grid", "fixed", "runs"}
        or not (raw.get("grid") or raw.get("runs"))
    ):
        raise BatchInputError(
            f"{path}: a sweep file is a mapping with 'grid' (name: [values]) and/or 'runs', plus 'fixed'"
        )
    grid, fixed, runs = raw.get("grid") or {}, raw.get("fixed") or {}, raw.get("runs") or []
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        raise BatchInputError(f"{path}: 'grid' maps each parameter to a non-empty list of values")
    if not isinstance(fixed, dict) or not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        raise BatchInputError(f"{path}: 'fixed' is a mapping and 'runs' a list of mappings")
    reserved = _RESERVED_PARAMETERS & (set(grid) | set(fixed) | {k for r in runs for k in r})
    if reserved:
        raise BatchInputError(f"{path}: parameter(s) {sorted(reserved)} are set by the batch (one workspace per row)")
    rows = []
    names = list(grid)
    for number, values in enumerate(itertools.product(*grid.values()) if grid else [], start=1):
        swept = dict(zip(names, values, strict=True))
        rows.append(BatchRow(name=f"{number:03d}_{_slug(swept)}", parameters={**fixed, **swept}))
    for number, run in enumerate(runs, start=len(rows) + 1):
        run = dict(run)
        name = str(run.pop("name", f"{number:03d}_{_slug(run)}"))
        rows.append(BatchRow(name=_check_row_name(name, f"{path}: runs"), parameters={**fixed, **run}))
    _check_unique(rows, str(path))
    return rows


def _check_unique(rows: Sequence[BatchRow], where: str) -> None:
    seen: set[str] = set()
    for row in rows:
        if row.name in seen:
            raise BatchInputError(f"{where}: {row.name!r} appears twice; each row needs its own folder")
        seen.add(row.name)


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
        record is not None
        and record.status == "succeeded"
        and Path(job.output_path).is_file()
        and _normalised(record.parameters) == _normalised(job.parameters)
        and record.notebook_sha256 == _sha256(Path(job.input_path))
    ):
        return record
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


def _failed_cell(output_path: str) -> tuple[int | None, str]:
    """The cell papermill marked as running or failed when a run stopped without a cell error."""
    try:
        notebook = json.loads(Path(output_path).read_text(encoding="utf-8"))
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


def execute_run(job: RunJob) -> RunResult:
    """Execute one notebook with papermill (in the calling process) and describe the outcome.

    Each cell may use what is left of the run's time budget (``job.timeout_s``), so a notebook
    that hangs is stopped and recorded instead of blocking its worker.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    Path(job.workspace).mkdir(parents=True, exist_ok=True)
    started = time.time()
    deadline = time.monotonic() + job.timeout_s

    def time_left(cell: Any) -> int:
        return max(1, math.ceil(deadline - time.monotonic()))

    error = None
    with _ENVIRONMENT_LOCK:
        saved = dict(os.environ)
        os.environ.update({**_BATCH_ENVIRONMENT, "MLOPS_LAB_WORKSPACE": job.workspace, **job.environment})
        try:
            papermill.execute_notebook(
                job.input_path,
                job.output_path,
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
            cell, source = _failed_cell(job.output_path)
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
            os.environ.clear()
            os.environ.update(saved)
    return RunResult(
        row=job.row,
        notebook=job.notebook,
        status="failed" if error else "succeeded",
        duration_s=round(time.time() - started, 3),
        output_path=job.output_path,
        parameters=job.parameters,
        notebook_sha256=_sha256(Path(job.input_path)),
        error=error,
        started_at=round(started, 3),
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )


def _write_record(job: RunJob, result: RunResult) -> None:
    path = run_record_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(asdict(result), indent=1, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# Scheduling


def _local_results(jobs: Sequence[RunJob], workers: int) -> Iterable[tuple[RunJob, Callable[[], RunResult]]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn: a clean worker that imports papermill once, with no state copied from the caller.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(execute_run, job): job for job in jobs}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _dask_results(jobs: Sequence[RunJob], address: str) -> Iterable[tuple[RunJob, Callable[[], RunResult]]]:
    from distributed import Client, as_completed

    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise BatchInputError(
            f"cannot reach the Dask scheduler at {address} ({exc}); is `dask scheduler` running?"
        ) from None
    with client:
        futures = {
            client.submit(execute_run, job, pure=False, key=f"mlops-lab-{job.row}-{job.notebook}-{time.time_ns()}"): job
            for job in jobs
        }
        try:
            for future in as_completed(futures):
                yield futures[future], future.result
        except BaseException:
            client.cancel(list(futures))
            raise


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
    jobs = plan_runs(notebooks, rows, output_dir, timeout_s=timeout_s, tracking_uri=tracking_uri)
    results: list[RunResult] = []
    pending = []
    for job in jobs:
        done = None if force else previous_success(job)
        if done is not None:
            results.append(RunResult(**{**asdict(done), "status": "skipped"}))
        else:
            pending.append(job)
    for job in pending:
        Path(job.workspace).mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(jobs), initial=len(results), unit="run", desc="batch", disable=not progress_bar)
    if pending:
        stream = (
            _dask_results(pending, dask_address)
            if dask_address
            else _local_results(pending, max(1, min(workers, len(pending))))
        )
        for job, outcome in stream:
            try:
                result = outcome()
            except Exception as exc:  # the worker itself died (out of memory, killed): record it, go on
                result = RunResult(
                    row=job.row,
                    notebook=job.notebook,
                    status="failed",
                    duration_s=0.0,
                    output_path=job.output_path,
                    parameters=job.parameters,
                    error={
                        "cell": None,
                        "execution_count": None,
                        "source": "",
                        "ename": type(exc).__name__,
                        "evalue": str(exc)[:500],
                    },
                )
            _write_record(job, result)
            results.append(result)
            bar.update(1)
            bar.set_postfix(failed=sum(1 for r in results if r.status == "failed"), refresh=False)
    bar.close()
    results.sort(key=lambda r: (r.row, r.notebook))
    return BatchSummary(output_dir=output_dir, results=results, elapsed_s=time.perf_counter() - started)
