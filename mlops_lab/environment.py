"""The learner's environment: offline settings, the workspace folder, and a check that names anything missing.

Every notebook starts with :func:`configure_kernel`, so no tool phones home and the kernel ends
without delay, and :func:`open_workspace`, the folder its runs, models and progress go to; the
start-here notebook shows :func:`check_environment`, which compares what is installed
with the pinned versions in ``requirements.lock``.
"""

from __future__ import annotations

import atexit
import functools
import gc
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mlops_lab.i18n import translate

OFFLINE_SETTINGS: dict[str, str] = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    # A shared MLflow server's "View run at <url>" lines: noise in a notebook, links nobody needs offline.
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
    "OPTUNA_DISABLE_TELEMETRY": "true",
}

# Distribution name -> import name, for the libraries the labs use.
LAB_PACKAGES: dict[str, str] = {
    "numpy": "numpy",
    "pandas": "pandas",
    "scikit-learn": "sklearn",
    "matplotlib": "matplotlib",
    "ipywidgets": "ipywidgets",
    "papermill": "papermill",
    "mlflow-skinny": "mlflow",
    "skops": "skops",
    "kfp": "kfp",
    "optuna": "optuna",
    "pandera": "pandera",
    "fastapi": "fastapi",
}


def default_workspace() -> Path:
    """The workspace folder: ``$MLOPS_LAB_WORKSPACE`` if set, else ``workspace/`` in the current folder."""
    return Path(os.environ.get("MLOPS_LAB_WORKSPACE", "workspace"))


def open_workspace(workspace: str | os.PathLike[str] | None = None) -> Path:
    """Create (if needed) and return the workspace folder a notebook writes into."""
    path = Path(workspace) if workspace else default_workspace()
    path.mkdir(parents=True, exist_ok=True)
    return path


def configure_offline() -> None:
    """Turn telemetry and progress bars off for this process (values already set are kept)."""
    for key, value in OFFLINE_SETTINGS.items():
        os.environ.setdefault(key, value)


def skip_final_collection() -> None:
    """Called by a process that ends next (a kernel, a pipeline task): exit without the final garbage collection.

    A kernel that ran a notebook holds about half a million objects (pandas, scikit-learn, MLflow);
    collecting them one last time at exit takes 0.5-2.5 s (0.05-0.4 s for a pipeline task) and
    frees nothing the operating system would not reclaim anyway. Freezing them (``gc.freeze``)
    skips that work.

    The one thing that collection did for the lab was to close SQLite connections caught in a
    reference cycle; the last connection to close folds the store's write-ahead log
    (``mlflow.db-wal``) back into the database file. The lab's stores close their connections
    with ``weakref.finalize`` instead, which also runs at exit.
    """
    gc.freeze()


# Allocations between two collections of the youngest generation (Python's default is 700); see configure_kernel.
YOUNG_COLLECTION_THRESHOLD = 10_000
# Seconds a kernel's output stream waits for its output thread to send what it holds (ipykernel's default is 10).
OUTPUT_FLUSH_WAIT = 0.5


def configure_kernel() -> None:
    """Set this notebook's kernel up for the lab: offline settings, fewer garbage collections, and a prompt stop.

    * :func:`configure_offline`.
    * The youngest generation is collected every 10,000 allocations instead of 700. A kernel that
      imported pandas, scikit-learn and MLflow holds about half a million objects, and Python's
      default pace ends in six or seven full collections of all of them per notebook: about 1 s
      of a 10 s notebook, 0.2-0.4 s at the new pace, with the same peak memory (measured on 04
      and 05). Garbage is still collected, only in larger batches.
    * :func:`skip_final_collection` registered to run at exit (once per process, however often a
      notebook's first cell runs), so that restarting or closing a kernel takes a fraction of a
      second. A notebook calls this before it uses MLflow or the pipeline's stores, so their own
      exit work (MLflow ending an active run) runs before it.
    * A kernel's output streams wait at most 0.5 s for their output thread (ipykernel waits 10 s).
      After answering a request to shut down, ipykernel 7's control thread flushes ``sys.stdout``;
      when the output thread has just been stopped (a race: 2 stops in 10 of a short notebook here),
      that wait never ends early, and after 2.5 s the kernel manager sends SIGTERM, which also
      skips the kernel's exit work. With the shorter wait such a stop takes 1 s instead of 3.5 s
      and ends normally. Output keeps its order: the wait only decides when ``flush`` returns.
    """
    configure_offline()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, oldest)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "flush_timeout"):  # a kernel's output stream (ipykernel's OutStream)
            stream.flush_timeout = OUTPUT_FLUSH_WAIT
    _register_prompt_exit()


@functools.cache
def _register_prompt_exit() -> None:
    atexit.register(skip_final_collection)


def locked_versions(lock_file: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Exact versions pinned in ``requirements.lock`` (``name==version`` lines)."""
    path = Path(lock_file) if lock_file else Path(__file__).resolve().parent.parent / "requirements.lock"
    pins = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "==" in line and not line.lstrip().startswith("#"):
                name, version = line.split("==", 1)
                pins[name.strip().lower()] = version.split(";")[0].strip()
    return pins


@dataclass(frozen=True)
class PackageStatus:
    name: str
    pinned: str
    installed: str

    @property
    def ok(self) -> bool:
        return self.installed != "missing" and (not self.pinned or self.installed == self.pinned)


@dataclass(frozen=True)
class EnvironmentReport:
    python: str
    packages: tuple[PackageStatus, ...]
    language: str = field(default="en", repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return sys.version_info >= (3, 10) and all(p.ok for p in self.packages)

    def __repr__(self) -> str:
        language = self.language
        python = (
            "OK"
            if sys.version_info >= (3, 10)
            else translate("too old, install Python 3.10 or newer", language=language)
        )
        lines = [f"Python {self.python}: {python}"]
        # Every header fits its column in both languages: the widths stay those of the English table.
        header = (
            translate("package", language=language),
            translate("pinned", language=language),
            translate("installed", language=language),
            translate("status", language=language),
        )
        lines.append(f"{header[0]:<15}{header[1]:<12}{header[2]:<12}{header[3]}")
        for p in self.packages:
            if p.ok:
                status = "OK"
            elif p.installed == "missing":
                status = translate("MISSING", language=language)
            else:
                status = translate("DIFFERENT VERSION", language=language)
            installed = (
                translate("missing", language=language, context="installed version")
                if p.installed == "missing"
                else p.installed
            )
            lines.append(f"{p.name:<15}{p.pinned or '-':<12}{installed:<12}{status}")
        if self.ok:
            lines.append(translate("Everything is in place.", language=language))
        else:
            lines.append(
                translate("Fix: run `make install` in the workbook folder, then restart the kernel.", language=language)
            )
        return "\n".join(lines)


def check_environment(lock_file: str | os.PathLike[str] | None = None, *, language: str = "en") -> EnvironmentReport:
    """Compare the installed lab libraries with the pinned versions, without importing them.

    ``language`` is the language the report is shown in ("en" or "es").
    """
    from importlib import metadata

    pins = locked_versions(lock_file)
    statuses = []
    for name in LAB_PACKAGES:
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        statuses.append(PackageStatus(name=name, pinned=pins.get(name, ""), installed=installed))
    python = ".".join(map(str, sys.version_info[:2]))
    return EnvironmentReport(python=python, packages=tuple(statuses), language=language)
