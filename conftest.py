"""Test-wide setup: every pytest process, and every notebook nbval runs, gets its own workspace."""

import os
import tempfile
from pathlib import Path

import pytest

os.environ["MLOPS_LAB_WORKSPACE"] = tempfile.mkdtemp(prefix="mlops-lab-test-")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

_notebook_in_progress: Path | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A fresh workspace before nbval starts each notebook's kernel (the kernel inherits this process's environment).

    Both editions of a notebook write the same folders (runs, pipeline metadata); sharing one workspace in a pytest
    worker, the second would find the first's runs and print other numbers than a learner who runs it alone.
    """
    global _notebook_in_progress
    path = Path(str(getattr(item, "path", "")))
    if path.suffix == ".ipynb" and path != _notebook_in_progress:
        _notebook_in_progress = path
        os.environ["MLOPS_LAB_WORKSPACE"] = tempfile.mkdtemp(prefix=f"mlops-lab-nbval-{path.stem}-")
