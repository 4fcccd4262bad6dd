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

import psutil
import pytest

from mlops_lab.batch import read_batch, run_batch
from mlops_lab.cli import main
from mlops_lab.errors import BatchInputError
from mlops_lab.roster import BatchRow, read_roster, read_sweep

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


# --- stopping a batch: Ctrl-C or SIGTERM, locally and on Dask -------------------------------------------------


# Cell 3 sleeps for as many seconds as OUTPUT/nap.txt says when `slow`: the same parameters take long in the
# interrupted batch and no time in the rerun, whatever process the kernel descends from (a Dask worker too).
SLEEPY_NOTEBOOK_CELLS = [
    ("seed = 1\nworkspace = None\nslow = True", ["parameters"]),
    (
        "import os, pathlib, time\n"
        "log = pathlib.Path(workspace) / 'executions.txt'\n"
        "log.write_text(log.read_text() + 'x' if log.exists() else 'x')",
        [],
    ),
    ("time.sleep(float((pathlib.Path(workspace).parents[1] / 'nap.txt').read_text()) if slow else 0)", []),
    ("print('done')", []),
]


def start_batch(arguments: list[str], output: Path, nap: float) -> subprocess.Popen:
    """`mlops-lab batch` in its own process group, as a terminal runs it."""
    set_nap(output, nap)
    return subprocess.Popen(
        [sys.executable, "-m", "mlops_lab.cli", "batch", *arguments, "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def set_nap(output: Path, seconds: float) -> None:
    output.mkdir(exist_ok=True)
    (output / "nap.txt").write_text(str(seconds))


def wait_until(condition, process: subprocess.Popen, what: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the batch ended before {what}: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"timed out waiting until {what}")
        time.sleep(0.2)


def kernels_among(processes) -> list:
    found = []
    for process in processes:
        try:
            if "ipykernel" in " ".join(process.cmdline()):
                found.append(process)
        except psutil.Error:
            continue
    return found


def still_alive(processes) -> list[str]:
    """The command lines of the processes still running (a second's grace for those exiting on their own)."""
    deadline = time.monotonic() + 1.0
    while True:
        alive = []
        for process in processes:
            try:
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(" ".join(process.cmdline()))
            except psutil.Error:
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def stop_and_collect(process: subprocess.Popen, signum: int, *, group: bool) -> tuple[str, str, float]:
    sent = time.monotonic()
    if group:
        os.killpg(process.pid, signum)  # what Ctrl-C in a terminal does: the whole foreground process group
    else:
        process.send_signal(signum)  # what `kill PID` does
    out, err = process.communicate(timeout=120)
    return out, err, time.monotonic() - sent


@pytest.fixture
def sleepy_notebook(tmp_path):
    (tmp_path / "inputs").mkdir()
    return write_notebook(tmp_path / "inputs" / "sleepy.ipynb", SLEEPY_NOTEBOOK_CELLS)


def assert_interrupted_at_the_sleep(record) -> None:
    assert record.status == "interrupted" and record.output_sha256 == ""
    assert record.error["ename"] == "Interrupted" and record.error["cell"] == 3
    assert record.error["source"].startswith("time.sleep(")


def test_ctrl_c_stops_the_batch_in_order_and_a_rerun_runs_exactly_the_missing_runs(sleepy_notebook, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("learner,slow\nalice,False\nbob,True\ncarol,True\ndave,True\nerin,True\n")
    output = tmp_path / "out"
    arguments = [str(sleepy_notebook), "--roster", str(roster), "--output", str(output), "--workers", "2"]
    batch = start_batch(arguments, output, nap=600)
    wait_until(
        lambda: (
            (output / "alice" / "sleepy.run.json").exists()
            and executions(output, "bob") == 1
            and executions(output, "carol") == 1
            and len(kernels_among(psutil.Process(batch.pid).children(recursive=True))) == 2
        ),
        batch,
        "alice is done and bob and carol sleep",
    )
    started = psutil.Process(batch.pid).children(recursive=True)

    out, err, took = stop_and_collect(batch, signal.SIGINT, group=True)

    assert batch.returncode == 130 and took < 60
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "Stopped by SIGINT: run the same command again to run the 4 missing run(s)" in out
    assert still_alive(started) == [], "worker or kernel processes were left running"
    records = {r.row: r for r in read_batch(output)}
    assert {row: r.status for row, r in records.items()} == {
        "alice": "succeeded",
        "bob": "interrupted",
        "carol": "interrupted",
    }
    assert_interrupted_at_the_sleep(records["bob"])
    # The partial notebooks are gone: nothing half-written can be graded or taken as done.
    assert not (output / "bob" / "sleepy.ipynb").exists() and not list(output.rglob(".*partial*"))
    assert not list(output.glob(".stop-*"))
    assert (executions(output, "dave"), executions(output, "erin")) == (0, 0)  # queued runs never started

    set_nap(output, 0)
    rerun = run_batch([sleepy_notebook], read_roster(roster), output, workers=2, progress_bar=False)
    assert {r.row: r.status for r in rerun.results} == {
        "alice": "skipped",
        "bob": "succeeded",
        "carol": "succeeded",
        "dave": "succeeded",
        "erin": "succeeded",
    }
    assert [executions(output, row) for row in ("alice", "bob", "carol", "dave", "erin")] == [1, 2, 2, 1, 1]
    assert rerun.exit_status == 0


def test_sigterm_during_a_forced_rerun_keeps_the_previous_notebook_and_is_not_taken_as_done(sleepy_notebook, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("learner\nbob\ncarol\n")
    output = tmp_path / "out"
    set_nap(output, 0)
    first = run_batch([sleepy_notebook], read_roster(roster), output, workers=2, progress_bar=False)
    assert first.count("succeeded") == 2
    previous = sha256(output / "bob" / "sleepy.ipynb")
    arguments = [str(sleepy_notebook), "--roster", str(roster), "--output", str(output), "--workers", "2", "--force"]
    batch = start_batch(arguments, output, nap=600)
    wait_until(
        lambda: (
            executions(output, "bob") == 2
            and executions(output, "carol") == 2
            and len(kernels_among(psutil.Process(batch.pid).children(recursive=True))) == 2
        ),
        batch,
        "both forced runs sleep",
    )
    started = psutil.Process(batch.pid).children(recursive=True)

    out, err, took = stop_and_collect(batch, signal.SIGTERM, group=False)

    assert batch.returncode == 143 and took < 60 and "Traceback" not in err
    assert "Stopped by SIGTERM" in out
    assert still_alive(started) == []
    records = {r.row: r for r in read_batch(output)}
    assert_interrupted_at_the_sleep(records["bob"])
    assert records["carol"].status == "interrupted"
    # The notebook of the earlier complete run is untouched, and no longer counts as done.
    assert sha256(output / "bob" / "sleepy.ipynb") == previous and not list(output.rglob(".*partial*"))
    set_nap(output, 0)
    rerun = run_batch([sleepy_notebook], read_roster(roster), output, workers=2, progress_bar=False)
    assert {r.row: r.status for r in rerun.results} == {"bob": "succeeded", "carol": "succeeded"}


def test_a_second_ctrl_c_kills_the_workers_at_once_and_still_records_the_runs(sleepy_notebook, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("learner\nbob\ncarol\ndave\n")
    output = tmp_path / "out"
    arguments = [str(sleepy_notebook), "--roster", str(roster), "--output", str(output), "--workers", "2"]
    batch = start_batch(arguments, output, nap=600)
    wait_until(
        lambda: (
            executions(output, "bob") == 1
            and executions(output, "carol") == 1
            and len(kernels_among(psutil.Process(batch.pid).children(recursive=True))) == 2
        ),
        batch,
        "bob and carol sleep",
    )
    started = psutil.Process(batch.pid).children(recursive=True)
    os.killpg(batch.pid, signal.SIGINT)

    out, err, took = stop_and_collect(batch, signal.SIGINT, group=True)

    assert batch.returncode == 130 and took < 60 and "Traceback" not in err
    assert still_alive(started) == []
    records = {r.row: r for r in read_batch(output)}
    assert sorted(records) == ["bob", "carol"]
    assert_interrupted_at_the_sleep(records["bob"])
    # Normally "... and its worker killed ..."; on a very busy machine the orderly stop may finish first.
    assert records["bob"].error["evalue"].startswith("the batch was stopped")
    assert not list(output.rglob(".*partial*")) and not list(output.glob(".stop-*"))


def test_ctrl_c_stops_a_batch_on_dask_and_its_kernels_on_the_workers(sleepy_notebook, tmp_path):
    from distributed import LocalCluster

    roster = tmp_path / "roster.csv"
    roster.write_text("learner\nbob\ncarol\ndave\n")
    output = tmp_path / "out"
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        workers = [psutil.Process(pid) for pid in _worker_pids(cluster)]

        def worker_kernels():
            return kernels_among(child for w in workers for child in w.children(recursive=True))

        arguments = [str(sleepy_notebook), "--roster", str(roster), "--output", str(output)]
        batch = start_batch([*arguments, "--dask", cluster.scheduler_address], output, nap=600)
        wait_until(
            lambda: (
                executions(output, "bob") + executions(output, "carol") + executions(output, "dave") == 2
                and len(worker_kernels()) == 2
            ),
            batch,
            "two runs sleep on the cluster",
        )
        kernels = worker_kernels()

        out, err, took = stop_and_collect(batch, signal.SIGINT, group=True)

        assert batch.returncode == 130 and took < 60 and "Traceback" not in err
        assert still_alive(kernels) == [] and all(w.is_running() for w in workers)
        records = read_batch(output)
        assert len(records) == 2 and all(r.status == "interrupted" and r.error["cell"] == 3 for r in records)
        assert not list(output.rglob(".*partial*"))

        set_nap(output, 0)
        rerun = run_batch(
            [sleepy_notebook], read_roster(roster), output, dask_address=cluster.scheduler_address, progress_bar=False
        )
    assert [r.status for r in rerun.results] == ["succeeded"] * 3
    assert sum(executions(output, row) for row in ("bob", "carol", "dave")) == 5


# --- atomic results ---------------------------------------------------------------------------------------------


def test_a_notebook_that_does_not_match_its_record_is_run_again(small_notebook, tmp_path):
    rows = [BatchRow("alice", {}), BatchRow("bob", {}), BatchRow("carol", {})]
    output = tmp_path / "out"
    first = run_batch([small_notebook], rows, output, workers=2, progress_bar=False)
    assert first.count("succeeded") == 3
    record = json.loads((output / "alice" / "small.run.json").read_text())
    assert record["output_sha256"] == sha256(output / "alice" / "small.ipynb")
    # alice: the notebook was rewritten after its record (a crash between the two writes, a half-written file that
    # papermill's metadata calls complete). bob: a record from before records named their notebook's hash.
    with open(output / "alice" / "small.ipynb", "a") as notebook:
        notebook.write(" ")
    del record["output_sha256"]
    (output / "bob" / "small.run.json").write_text(json.dumps({**record, "row": "bob"}))
    # A partial notebook left by a batch that was killed outright is removed, never graded.
    (output / "carol" / ".small.partial-1-2").write_text("{")

    again = run_batch([small_notebook], rows, output, workers=2, progress_bar=False)

    assert {r.row: r.status for r in again.results} == {"alice": "succeeded", "bob": "succeeded", "carol": "skipped"}
    assert [executions(output, row) for row in ("alice", "bob", "carol")] == [2, 2, 1]
    assert not list(output.rglob(".*partial*"))
    executed = json.loads((output / "alice" / "small.ipynb").read_text())
    assert executed["metadata"]["papermill"]["output_path"] == str(output.resolve() / "alice" / "small.ipynb")


# --- strict rosters and sweeps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "learner,seed,quiz_answers\nalice,1,\"{'q1': 'b'}\nbob,2,\ncarol,3,\ndave,4,\n",
            r"line 2: malformed CSV \(unexpected end of data\)",
        ),
        ('learner,seed\nalice,"1\nbob,2\ncarol,"3\n', r"line 2: malformed CSV"),
        ('learner,seed\nalice,"1\nbob,2"\ncarol,3\n', r"line 2: a quoted value runs over several lines \(lines 2-3\)"),
        ("learner,seed\nalice,1\nbob,2,3\n", r"line 3: 3 values for 2 columns \(more values than columns\)"),
        ("learner,seed,mode\nalice,1,smoke\nbob,2\n", r"line 3: 2 values for 3 columns \(fewer values than columns\)"),
        ("learner,seed, seed\nalice,1,2\n", r"line 1: column 'seed' appears twice"),
        ("learner,,seed\nalice,1,2\n", r"line 1: column 2 has no name"),
        ("", r"the roster is empty"),
    ],
)
def test_malformed_roster_csv_is_refused_with_the_line_before_anything_runs(small_notebook, tmp_path, text, message):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    with pytest.raises(BatchInputError, match=message):
        read_roster(roster)
    assert main(["batch", str(small_notebook), "--roster", str(roster), "--output", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()


def test_a_sweep_with_a_repeated_key_is_refused_with_its_line(tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("grid:\n  seed: [1, 2]\n  mode: [smoke]\n  seed: [3]\n")
    with pytest.raises(BatchInputError, match=r"sweep.yaml: line 4: invalid YAML: 'seed' appears twice in one mapping"):
        read_sweep(sweep)
