"""The class report is one self-contained HTML page with the numbers an instructor acts on."""

import base64
import json
import re
from pathlib import Path

from mlops_lab.batch import RunResult, run_batch
from mlops_lab.cli import main
from mlops_lab.grading import Gradebook, GradeRow, grade_submissions
from mlops_lab.quiz import bank_path, load_bank
from mlops_lab.report import ClassReport, build_report
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


def test_a_file_that_is_not_an_mlflow_store_is_never_handed_to_mlflow(tmp_path, monkeypatch):
    """MLflow retries opening a database it cannot read for 100 s: a broken learner file must not stall the report."""
    from mlops_lab import tracking
    from mlops_lab.report import count_mlflow_runs

    # As in the instructor's process after a store was opened: SQLAlchemy's connection hook for workspace stores is on.
    store = tracking.open_store(tmp_path / "ws", experiment="lab")
    tracking.log_light_run(name="a", params={}, metrics={}, tags={}, store=store)
    real = (tmp_path / "ws" / "mlflow.db").read_bytes()
    asked = []
    counted = tracking.finished_run_count
    monkeypatch.setattr(tracking, "finished_run_count", lambda uri: asked.append(uri) or counted(uri))
    files = {"garbage": b"not a database", "truncated": real[:100], "empty": b""}
    for name, content in files.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "mlflow.db").write_bytes(content)
    counts = {name: count_mlflow_runs(tmp_path / name / "mlflow.db") for name in files}
    assert counts == {"garbage": None, "truncated": None, "empty": None} and asked == []
    assert count_mlflow_runs(tmp_path / "ws" / "mlflow.db") == 1 and len(asked) == 1


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
            {"mode": "full", "quiz_answers": bank.answer_key(facts={"test_rows": 3000}), "solutions": bank.solutions()},
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
        "<th>00_start_here.test_rows</th>" in metrics
        and "<td>alice</td><td>&quot;full&quot;</td><td class=num>3000</td>" in metrics
    )
    assert "No run failed." in page and "100%" in page


def planted_class(n_learners: int = 20) -> list[GradeRow]:
    """A class whose learner i knows the material better the higher i is; two questions are planted:
    ``good`` only the stronger half gets right, ``bad`` (a miskeyed one) the strongest learners all miss."""
    rows = []
    for i in range(n_learners):
        learner = f"learner-{i:02d}"
        for j in range(10):
            # Ordinary questions: the harder the question (higher j), the stronger a learner must be.
            rows.append(question(learner, f"q{j}", 1.0 if i >= 2 * j else 0.0))
        rows.append(question(learner, "good", 1.0 if i >= n_learners // 2 else 0.0))
        rows.append(question(learner, "bad", 0.0 if i >= n_learners - 8 else 1.0))
    return rows


def test_item_analysis_flags_the_question_strong_learners_miss_and_not_a_good_one():
    from mlops_lab.item_analysis import STRONG_MISS, item_analysis

    stats = {s.question: s for s in item_analysis(planted_class())}
    bad, good = stats["bad"], stats["good"]
    assert bad.flag == STRONG_MISS and bad.discrimination < 0 and bad.upper == 0.0
    assert bad.share_correct == 0.6  # most of the class gets it "right": the share alone would not show it
    assert good.flag == "" and good.discrimination == 1.0 and good.share_correct == 0.5
    assert all(stats[f"q{j}"].flag == "" and stats[f"q{j}"].discrimination >= 0 for j in range(10))
    # A hard question only the strongest get (q9: 10% of the class) is not mistaken for a bad one.
    assert stats["q9"].upper < 0.5 and stats["q9"].discrimination > 0.2
    # Flagged questions come first.
    assert item_analysis(planted_class())[0].question == "bad"


def test_item_analysis_needs_enough_learners_to_judge():
    from mlops_lab.item_analysis import MIN_LEARNERS, item_analysis

    few = [r for r in planted_class() if int(r.learner.split("-")[1]) >= 20 - (MIN_LEARNERS - 1)]
    stats = {s.question: s for s in item_analysis(few)}
    assert stats["bad"].share_correct == 0.0 and stats["bad"].discrimination is None and not stats["bad"].flag


def test_the_report_shows_item_analysis_with_its_definition():
    page = ClassReport(gradebook=Gradebook(planted_class()), code_exercises=frozenset()).html()
    items = page.split("<h2>Item analysis</h2>")[1].split("<h2>")[0]
    assert "upper-lower index" in items and "top 27%" in items
    assert "<td>bad</td><td class=num>20</td><td class=num>60%</td>" in items
    assert "most strong learners miss it" in items.split("<td>bad</td>")[1].split("</tr>")[0]
    assert "<td>good</td><td class=num>20</td><td class=num>50%</td><td class=num>1.00</td>" in items
    assert '<b class="bad">1</b>questions to review' in page


def test_interrupted_runs_are_not_completed_and_unverified_code_is_not_a_problem(tmp_path):
    batch = tmp_path / "batch"
    write_run(batch, "alice", "02_devops_vs_mlops", "succeeded", 3.0)
    error = {"cell": 12, "execution_count": None, "source": "ci.run()", "ename": "Interrupted", "evalue": "stopped"}
    write_run(batch, "bob", "02_devops_vs_mlops", "interrupted", 1.0, error=error)

    def exercise(learner, item, flag, issue):
        return GradeRow(learner, "02_devops_vs_mlops", "exercise", item, "passed", 1.0, 1.0, flag=flag, issue=issue)

    gradebook = Gradebook(
        [
            exercise("alice", "validate-batch", "unverified", "the code was not rerun (--run-code)"),
            exercise("bob", "validate-batch", "unverified", "the code was not rerun (--run-code)"),
            exercise("bob", "threshold", "tampered", "marked passed, but the check rejects it"),
        ]
    )
    report = build_report(batch_dir=batch, gradebook=gradebook)
    assert ("02_devops_vs_mlops", "validate-batch") in report.code_exercises
    page = report.html()
    assert "<td>02_devops_vs_mlops</td><td class=num>1/2</td><td class=num>50%</td>" in page
    assert '<b class="">1/2</b>runs completed' in page and '<b class="bad">1</b>runs interrupted' in page
    assert "<td>bob</td><td>02_devops_vs_mlops</td><td>interrupted</td><td>12</td>" in page
    # One problem (the tampered exercise); the two code exercises not rerun are listed apart.
    assert '<b class="bad">1</b>flagged items' in page and '<b class="muted">2</b>code exercises not rerun' in page
    flagged = page.split("<h2>Flagged submissions</h2>")[1].split("<h2>")[0]
    assert "tampered" in flagged and "validate-batch" not in flagged
    not_rerun = page.split("<h2>Code exercises not rerun</h2>")[1]
    assert not_rerun.count("<td>validate-batch</td>") == 2


def test_a_class_mixing_the_english_and_spanish_editions_is_batched_graded_and_reported_alike(tmp_path):
    """alice runs the English notebook, bruno the Spanish one (same answers): one batch folder, one gradebook."""
    bank = load_bank(bank_path("00_start_here"))
    parameters = {"mode": "smoke", "quiz_answers": bank.answer_key(facts={"test_rows": 3000}), "solutions": {}}
    output = tmp_path / "batch"
    for row, notebook in (("alice", "00_start_here.ipynb"), ("bruno", "es/00_start_here.ipynb")):
        summary = run_batch([ROOT / "notebooks" / notebook], [BatchRow(row, parameters)], output, progress_bar=False)
        assert summary.count("succeeded") == 1, summary
    spanish = (output / "bruno" / "00_start_here.ipynb").read_text(encoding="utf-8")
    assert "Puntuación: " in spanish and "Cuestionario 00_start_here" in spanish

    gradebook = grade_submissions([output])
    statuses = {
        learner: {r.item: r.status for r in gradebook.rows if r.learner == learner and r.kind != "file"}
        for learner in ("alice", "bruno")
    }
    assert statuses["alice"] == statuses["bruno"] and statuses["alice"]["test-rows"] == "correct"
    totals = {t["learner"]: t["quiz"] for t in gradebook.totals()}
    assert totals == {"alice": float(len(bank.questions)), "bruno": float(len(bank.questions))}
    page = build_report(batch_dir=output, gradebook=gradebook).html()
    assert "<td>alice</td>" in page and "<td>bruno</td>" in page and "No run failed." in page
