"""Instructor batches: failures are recorded and the batch goes on, reruns resume, inputs stay untouched,
and the same batch runs on a real Dask cluster with a real MLflow tracking server."""

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops_lab.batch import BatchInputError, BatchRow, read_batch, read_roster, read_sweep, run_batch
from mlops_lab.cli import main

SMALL_NOTEBOOK_CELLS = [
    ("seed = 1\nworkspace = None\nfail = False\nnap = 0\ncrash = False", ["parameters"]),
    # Each execution leaves a line in the row's own workspace, so the tests can count runs.
    (
        "import os, pathlib, time\n"
        "log = pathlib.Path(workspace) / 'executions.txt'\n"
        "log.write_text(log.read_text() + 'x' if log.exists() else 'x')\n"
        "print(f'seed {seed}, workspace from env: {os.environ[\"MLOPS_LAB_WORKSPACE\"] == workspace}')",
        [],
    ),
    ("time.sleep(nap)", []),
    ("if fail:\n    raise RuntimeError(f'deliberate failure for seed {seed}')", []),
    ("if crash:\n    os._exit(1)  # the kernel dies", []),
    ("print('done')", []),
]


def write_notebook(path: Path, cells=SMALL_NOTEBOOK_CELLS) -> Path:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        notebook.cells.append(cell)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def executions(output: Path, row: str) -> int:
    log = output / row / "workspace" / "executions.txt"
    return len(log.read_text()) if log.exists() else 0


@pytest.fixture
def small_notebook(tmp_path):
    (tmp_path / "inputs").mkdir()
    return write_notebook(tmp_path / "inputs" / "small.ipynb")


def test_a_failing_row_is_recorded_and_the_others_complete(small_notebook, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("learner,seed,fail,crash\nalice,1,,\nbob,2,True,\ncarol,3,False,\ndave,4,,True\n")
    before = sha256(small_notebook)
    output = tmp_path / "out"

    status = main(
        [
            "batch",
            str(small_notebook),
            "--roster",
            str(roster),
            "--output",
            str(output),
            "--workers",
            "2",
            "--no-progress",
        ]
    )

    assert status == 1  # some run failed, so scripts and `make batch` notice
    printed = capsys.readouterr().out
    assert "2 succeeded" in printed and "2 failed" in printed
    assert "FAILED bob/small: cell 4 (In [5], `if fail:`): RuntimeError: deliberate failure for seed 2" in printed
    records = {r.row: r for r in read_batch(output)}
    statuses = {row: r.status for row, r in records.items()}
    assert statuses == {"alice": "succeeded", "bob": "failed", "carol": "succeeded", "dave": "failed"}
    assert records["dave"].error["ename"] == "DeadKernelError" and records["dave"].error["cell"] == 5
    assert records["bob"].error["cell"] == 4 and records["bob"].error["source"] == "if fail:"
    assert records["carol"].parameters == {
        "seed": 3,
        "fail": False,
        "workspace": str(output.resolve() / "carol" / "workspace"),
    }
    # Each row ran in its own workspace, with the notebook's outputs saved next to it.
    for row, seed in (("alice", 1), ("carol", 3)):
        executed = json.loads((output / row / "small.ipynb").read_text())
        text = "".join("".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", []))
        assert f"seed {seed}, workspace from env: True" in text and "done" in text
        assert executions(output, row) == 1
    assert sha256(small_notebook) == before
    assert sorted(p.name for p in small_notebook.parent.iterdir()) == ["small.ipynb"]


def test_a_rerun_skips_what_succeeded_and_force_reruns(small_notebook, tmp_path):
    rows = [BatchRow("alice", {"seed": 1}), BatchRow("bob", {"seed": 2, "fail": True})]
    output = tmp_path / "out"
    first = run_batch([small_notebook], rows, output, workers=1, progress_bar=False)
    assert (first.count("succeeded"), first.count("failed")) == (1, 1)

    second = run_batch([small_notebook], rows, output, workers=1, progress_bar=False)
    assert {r.row: r.status for r in second.results} == {"alice": "skipped", "bob": "failed"}
    assert (executions(output, "alice"), executions(output, "bob")) == (1, 2)

    # A changed parameter is a different run: it is executed again.
    changed = [BatchRow("alice", {"seed": 5}), BatchRow("bob", {"seed": 2})]
    third = run_batch([small_notebook], changed, output, workers=1, progress_bar=False)
    assert {r.row: r.status for r in third.results} == {"alice": "succeeded", "bob": "succeeded"}

    forced = run_batch([small_notebook], changed, output, workers=1, force=True, progress_bar=False)
    assert forced.count("succeeded") == 2 and executions(output, "alice") == 3


def test_a_notebook_over_its_time_limit_is_stopped_and_recorded(small_notebook, tmp_path):
    started = time.perf_counter()
    summary = run_batch(
        [small_notebook], [BatchRow("slow", {"nap": 120})], tmp_path / "out", timeout_s=4, progress_bar=False
    )
    assert time.perf_counter() - started < 100
    (result,) = summary.results
    assert result.status == "failed" and result.error["ename"] == "Timeout" and result.error["cell"] == 3
    assert "longer than 4 s" in result.error["evalue"]


def test_bad_rosters_and_sweeps_are_refused_with_the_reason(small_notebook, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,seed\nalice,1\n")
    assert main(["batch", str(small_notebook), "--roster", str(roster), "--output", str(tmp_path / "o")]) == 2
    assert "needs a 'learner' column" in capsys.readouterr().err

    roster.write_text("learner,sede\nalice,1\n")
    with pytest.raises(BatchInputError, match=r"\['sede'\] is not a parameter of any notebook"):
        run_batch([small_notebook], read_roster(roster), tmp_path / "o", progress_bar=False)
    roster.write_text("learner,seed\nalice,1\nalice,2\n")
    with pytest.raises(BatchInputError, match="'alice' appears twice"):
        read_roster(roster)
    roster.write_text("learner,seed\n../etc,1\n")
    with pytest.raises(BatchInputError, match="line 2: learner: '../etc' cannot be a folder name"):
        read_roster(roster)
    roster.write_text("learner,workspace\nalice,/tmp/elsewhere\n")
    with pytest.raises(BatchInputError, match="set by the batch"):
        read_roster(roster)
    with pytest.raises(BatchInputError, match="contains the input notebooks"):
        run_batch([small_notebook], [BatchRow("a", {})], small_notebook.parent.parent, progress_bar=False)
    assert not (tmp_path / "o").exists()


def test_roster_cells_become_typed_parameters_and_sweeps_expand(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("learner,seed,quiz_answers,mode,fail\nalice,7,\"{'q1': 'b'}\",smoke,\nbob,,{},\"full\",true\n")
    assert read_roster(roster) == [
        BatchRow("alice", {"seed": 7, "quiz_answers": {"q1": "b"}, "mode": "smoke"}),
        BatchRow("bob", {"quiz_answers": {}, "mode": "full", "fail": True}),
    ]
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        "grid:\n  seed: [1, 2]\n  mode: [smoke, full]\nfixed:\n  quiz_answers: {}\nruns:\n  - {name: baseline, seed: 42}\n"
    )
    rows = read_sweep(sweep)
    assert [r.name for r in rows] == [
        "001_seed-1_mode-smoke",
        "002_seed-1_mode-full",
        "003_seed-2_mode-smoke",
        "004_seed-2_mode-full",
        "baseline",
    ]
    assert rows[3].parameters == {"quiz_answers": {}, "seed": 2, "mode": "full"}
    assert rows[4].parameters == {"quiz_answers": {}, "seed": 42}
    sweep.write_text("grid:\n  seed: 3\n")
    with pytest.raises(BatchInputError, match="non-empty list"):
        read_sweep(sweep)


# --- a class that outgrows one machine: a real Dask cluster and a real MLflow server -------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    """`mlflow server` on a free localhost port, as the README tells an instructor to start it."""
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    log = open(root / "server.log", "w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "mlflow"),
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the server forks workers: stop the whole group it leads
    )
    url = f"http://127.0.0.1:{port}"
    try:
        import urllib.request

        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"mlflow server did not start:\n{(root / 'server.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()


MLFLOW_NOTEBOOK_CELLS = [
    ("seed = 1\nworkspace = None", ["parameters"]),
    (
        "import os, mlflow\n"
        "mlflow.set_experiment('class-batch')\n"
        "with mlflow.start_run(run_name=os.environ['MLOPS_LAB_LEARNER']):\n"
        "    mlflow.log_metric('seed', seed)\n"
        "print(mlflow.get_tracking_uri().split(':')[0])",
        [],
    ),
]


def test_a_batch_on_a_dask_cluster_logs_to_a_shared_mlflow_server(tmp_path, mlflow_server):
    from distributed import LocalCluster
    from mlflow import MlflowClient

    notebook = write_notebook(tmp_path / "tracked.ipynb", MLFLOW_NOTEBOOK_CELLS)
    client = MlflowClient(tracking_uri=mlflow_server)
    # Created up front, as the README says: notebooks that all create a new experiment at the same moment race
    # inside MLflow, and the loser logs into the Default experiment.
    experiment_id = client.create_experiment("class-batch")
    rows = [BatchRow("alice", {"seed": 1}), BatchRow("bob", {"seed": 2}), BatchRow("carol", {"seed": 3})]
    output = tmp_path / "out"
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        summary = run_batch(
            [notebook],
            rows,
            output,
            dask_address=cluster.scheduler_address,
            tracking_uri=mlflow_server,
            progress_bar=False,
        )
        worker_pids = {str(pid) for pid in _worker_pids(cluster)}
    assert summary.count("succeeded") == 3, summary
    # The runs happened in the cluster's worker processes, not in this one.
    assert {r.worker.rsplit(":", 1)[1] for r in summary.results} <= worker_pids
    assert str(os.getpid()) not in worker_pids

    runs = client.search_runs([experiment_id])
    assert sorted((r.info.run_name, r.data.metrics["seed"]) for r in runs) == [
        ("alice", 1.0),
        ("bob", 2.0),
        ("carol", 3.0),
    ]
    # Nothing went to a local SQLite store in the learners' workspaces.
    assert not list(output.rglob("*.db"))


def _worker_pids(cluster) -> list[int]:
    from distributed import Client

    with Client(cluster) as client:
        return list(client.run(os.getpid).values())
