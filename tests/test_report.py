"""The class report is one self-contained HTML page with the numbers an instructor acts on."""

import base64
import json
import re
from pathlib import Path

from mlops_lab.batch import RunResult, run_batch
from mlops_lab.cli import main
from mlops_lab.grading import Gradebook, GradeRow, grade_submissions
from mlops_lab.quiz import bank_path, load_bank
from mlops_lab.report import build_report
from mlops_lab.roster import BatchRow

ROOT = Path(__file__).resolve().parent.parent


def write_run(batch: Path, row: str, notebook: str, status: str, duration: float, error=None, **parameters) -> None:
    result = RunResult(
        row=row,
        notebook=notebook,
        status=status,
        duration_s=duration,
        output_path="",
        parameters=parameters,
        error=error,
    )
    (batch / row).mkdir(parents=True, exist_ok=True)
    (batch / row / f"{notebook}.run.json").write_text(json.dumps(result.__dict__))


def question(learner, item, score, answer="a", flag="", issue=""):
    status = "correct" if score == 1 else ("partial" if score else "wrong")
    return GradeRow(
        learner, "00_start_here", "question", item, status, score, 1.0, answer=answer, flag=flag, issue=issue
    )


def images(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_the_report_is_self_contained_and_shows_failures_scores_and_most_missed(tmp_path):
    batch = tmp_path / "batch"
    write_run(batch, "alice", "00_start_here", "succeeded", 4.0, seed=1)
    write_run(batch, "bob", "00_start_here", "succeeded", 6.0, seed=2)
    error = {
        "cell": 7,
        "execution_count": 6,
        "source": "model.fit(X)",
        "ename": "ValueError",
        "evalue": "Input contains NaN",
    }
    write_run(batch, "<img src=x onerror=alert(1)>", "00_start_here", "failed", 2.5, error=error, seed=3)
    gradebook = Gradebook(
        [
            question("alice", "time-split", 1.0, "b"),
            question("alice", "pain-points", 1.0),
            question("bob", "time-split", 0.0, "a"),
            question("bob", "pain-points", 0.5),
            question("<img src=x onerror=alert(1)>", "time-split", 0.0, "c", flag="tampered", issue="claims score 1.0"),
            question("<img src=x onerror=alert(1)>", "pain-points", 1.0),
        ]
    )
    path = tmp_path / "gradebook.csv"
    gradebook.write_csv(path)

    assert main(["report", "--batch", str(batch), "--gradebook", str(path), "--output", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()

    # Self-contained: nothing to fetch, no scripts; every plot is an inline PNG.
    assert not re.search(r"(src|href)=\"(?!data:)", page) and "<script" not in page and "<link" not in page
    assert len(images(page)) == 3 and all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in images(page))
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
    # Completion and the failure with its cell and error.
    assert "<td>00_start_here</td><td class=num>2/3</td>" in page
    assert "cell 7 (In [6], `model.fit(X)`): ValueError: Input contains NaN" in page
    # The question missed most comes first, with the wrong answers the class gave.
    missed = page.split("gets wrong most")[1]
    assert missed.index("time-split") < missed.index("pain-points")
    assert "67%" in missed and "a (1), c (1)" in missed
    assert "claims score 1.0" in page and "tampered" in page
    # Durations: three runs, median 4.0 s, longest 6.0 s, 12.5 s in all.
    assert (
        "<td>00_start_here</td><td class=num>3</td><td class=num>4.0</td><td class=num>6.0</td><td class=num>12.5</td>"
        in page
    )


def test_each_learners_mlflow_runs_are_counted_from_their_own_store(tmp_path):
    import mlflow

    batch = tmp_path / "batch"
    for learner, n_runs in (("alice", 2), ("bob", 0)):
        write_run(batch, learner, "01_pain_points", "succeeded", 1.0)
        if n_runs:
            client = mlflow.MlflowClient(f"sqlite:///{batch / learner / 'workspace' / 'mlflow.db'}")
            experiment = client.create_experiment("lab")
            for _ in range(n_runs):
                client.set_terminated(client.create_run(experiment).info.run_id)
    report = build_report(batch_dir=batch)
    assert report.metrics == {"alice": {"mlflow runs": 2.0}}
    (batch / "bob" / "workspace").mkdir(parents=True)
    (batch / "bob" / "workspace" / "mlflow.db").write_text("not a database")
    assert build_report(batch_dir=batch).metrics == {"alice": {"mlflow runs": 2.0}}
    assert "<th>mlflow runs</th>" in report.html()


def test_counting_mlflow_runs_reads_through_mlflow_and_never_writes_the_learners_file(tmp_path):
    import sqlite3

    from mlops_lab import tracking
    from mlops_lab.report import count_mlflow_runs

    store = tracking.open_store(tmp_path / "ws", experiment="lab")
    for name in ("a", "b", "c"):
        tracking.log_light_run(name=name, params={}, metrics={}, tags={}, store=store)
    database = tmp_path / "ws" / "mlflow.db"
    before = database.read_bytes()
    assert count_mlflow_runs(database) == 3 and database.read_bytes() == before
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    untouched = foreign.read_bytes()
    assert count_mlflow_runs(foreign) in (None, 0) and foreign.read_bytes() == untouched


def test_the_report_refuses_missing_inputs(tmp_path, capsys):
    assert main(["report", "--output", str(tmp_path / "r.html")]) == 2
    assert "give a batch folder, a gradebook, or both" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["report", "--batch", str(tmp_path / "empty"), "--output", str(tmp_path / "r.html")]) == 2
    assert "no run records" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_a_real_batch_of_00_start_here_is_graded_and_reported(tmp_path):
    """The realistic path: batch (key for alice, wrong answers for bob) -> grade -> report."""
    bank = load_bank(bank_path("00_start_here"))
    wrong = {q.id: next(o.key for o in q.options if not o.correct) for q in bank.questions if q.type == "single"}
    rows = [
        BatchRow(
            "alice",
            {"mode": "full", "quiz_answers": bank.answer_key(facts={"n_rows": 12000}), "solutions": bank.solutions()},
        ),
        BatchRow("bob", {"mode": "smoke", "quiz_answers": wrong}),
    ]
    output = tmp_path / "batch"
    summary = run_batch([ROOT / "notebooks" / "00_start_here.ipynb"], rows, output, workers=2, progress_bar=False)
    assert summary.count("succeeded") == 2, summary

    gradebook = grade_submissions([output])
    totals = {t["learner"]: (t["quiz"], t["passed"]) for t in gradebook.totals()}
    assert totals == {"alice": (float(len(bank.questions)), 2), "bob": (0.0, 0)}
    assert not gradebook.flagged

    page = build_report(batch_dir=output, gradebook=gradebook).html()
    # Each learner's own lab result (the row count of their run) is a key metric; bob never answered that question.
    metrics = page.split("Key lab metrics per learner")[1]
    assert (
        "<th>00_start_here.n_rows</th>" in metrics
        and "<td>alice</td><td>&quot;full&quot;</td><td class=num>12000</td>" in metrics
    )
    assert "No run failed." in page and "100%" in page
