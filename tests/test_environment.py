import os

from mlops_lab.environment import OFFLINE_SETTINGS, check_environment, configure_offline, locked_versions


def test_check_environment_names_missing_and_different_versions(tmp_path):
    from importlib import metadata

    lock = tmp_path / "requirements.lock"
    lock.write_text(f"numpy=={metadata.version('numpy')}\n    # via pandas\npandas==0.0.1\n")
    report = check_environment(lock)
    status = {p.name: p for p in report.packages}
    assert status["numpy"].ok and not status["pandas"].ok
    text = repr(report)
    assert "DIFFERENT VERSION" in text and "make install" in text
    assert not report.ok
    # The Spanish report lists the same packages and versions, in the same columns.
    spanish = repr(check_environment(lock, language="es"))
    assert spanish != text and "OTRA VERSIÓN" in spanish and "make install" in spanish
    assert "DIFFERENT" not in spanish and "pinned" not in spanish
    english_rows, spanish_rows = text.splitlines()[2:-1], spanish.splitlines()[2:-1]
    assert [row[:39] for row in spanish_rows] == [row[:39].replace("missing", "ninguna") for row in english_rows]


def test_the_shipped_environment_matches_the_lock():
    assert locked_versions()["scikit-learn"]
    report = check_environment()
    assert report.ok, repr(report)
    assert repr(report).endswith("Everything is in place.")
    assert repr(check_environment(language="es")).endswith("Todo está listo.")


def test_configure_offline_keeps_values_already_set(monkeypatch):
    for key in OFFLINE_SETTINGS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    configure_offline()
    assert os.environ["DO_NOT_TRACK"] == "1"
    assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == "true"


def test_the_learner_lock_is_the_contributor_lock_without_the_contributor_tools():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    learner = locked_versions(root / "requirements.lock")
    contributor = locked_versions(root / "requirements-dev.lock")
    # Same version of every library in both environments: a test run checks what learners run.
    assert {name: contributor.get(name) for name in learner} == learner
    tools = {"pytest", "pytest-xdist", "nbval", "ruff", "playwright"}
    assert tools <= set(contributor) and not tools & set(learner)
    # JupyterLab, jupytext (notebook/script pairing on save) and the MLflow UI are what a learner uses.
    assert {"jupyterlab", "jupytext", "mlflow"} <= set(learner)


def _run_python(code, tmp_path):
    import subprocess
    import sys

    script = tmp_path / "process.py"
    script.write_text(code)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True)


def test_a_configured_kernel_collects_less_often_exits_without_a_final_collection_and_leaves_no_log(tmp_path):
    # Registered before configure_kernel, this runs after its exit hook: it sees what the hook did.
    code = f"""
import atexit, gc, sqlite3
atexit.register(lambda: print("frozen objects at exit:", gc.get_freeze_count() > 0))
from mlops_lab.environment import configure_kernel
from mlops_lab.metadata import MetadataStore
configure_kernel()
configure_kernel()
print("young generation collected every", gc.get_threshold()[0], "allocations")
store = MetadataStore({str(tmp_path)!r})
store.query("CREATE TABLE notes (text TEXT)")
store.query("INSERT INTO notes VALUES ('kept')")
cycle = [store]
cycle.append(cycle)  # only a garbage collection would free the store, and with it its connection
del store
reader = sqlite3.connect({str(tmp_path)!r} + "/pipeline/metadata.sqlite")
print("journal:", reader.execute("PRAGMA journal_mode").fetchone()[0])
reader.close()
"""
    result = _run_python(code, tmp_path)
    assert "journal: wal" in result.stdout
    assert "young generation collected every 10000 allocations" in result.stdout
    assert "frozen objects at exit: True" in result.stdout
    assert result.stdout.count("frozen objects") == 1 and result.stderr == ""
    database = tmp_path / "pipeline" / "metadata.sqlite"
    assert not database.with_name("metadata.sqlite-wal").exists()
    import sqlite3

    assert sqlite3.connect(database).execute("SELECT text FROM notes").fetchall() == [("kept",)]


def test_without_the_exit_hook_a_process_collects_its_garbage_at_exit(tmp_path):
    code = """
import atexit, gc
atexit.register(lambda: print("frozen objects at exit:", gc.get_freeze_count() > 0))
from mlops_lab.environment import configure_offline
configure_offline()
"""
    assert "frozen objects at exit: False" in _run_python(code, tmp_path).stdout


def test_a_configured_kernel_waits_half_a_second_at_most_for_its_output_thread(tmp_path):
    import json

    import nbformat
    import papermill

    from mlops_lab.notebook_execution import register_engine

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    code = (
        "import sys\nfrom mlops_lab.environment import configure_kernel\nbefore = sys.stdout.flush_timeout\n"
        "configure_kernel()\nprint(before, sys.stdout.flush_timeout, sys.stderr.flush_timeout)"
    )
    notebook.cells.append(nbformat.v4.new_code_cell(code))
    nbformat.write(notebook, tmp_path / "in.ipynb")
    papermill.execute_notebook(
        tmp_path / "in.ipynb", tmp_path / "out.ipynb", engine_name=register_engine(), kernel_name="python3"
    )
    output = json.loads((tmp_path / "out.ipynb").read_text())["cells"][0]["outputs"][0]["text"]
    assert "".join(output).split() == ["10", "0.5", "0.5"]
