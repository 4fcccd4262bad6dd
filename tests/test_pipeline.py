"""The lifecycle pipeline: each step, caching, the lineage record and its answers, the diagram."""

import json
import sqlite3

import pytest

from mlops_lab import data, exercise_checks, metadata, model_files, pipeline, pipeline_steps, training

SMALL = {"customers_per_month": 200, "seed": 7}


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """One workspace with four runs: a first run, an identical rerun, a new model parameter, a stricter gate."""
    workspace = tmp_path_factory.mktemp("lineage")
    runs = [
        pipeline.run_pipeline(workspace, **SMALL),
        pipeline.run_pipeline(workspace, **SMALL),
        pipeline.run_pipeline(workspace, **SMALL, model_params={"C": 0.05}),
        pipeline.run_pipeline(workspace, **SMALL, model_params={"C": 0.05}, min_roc_auc=0.99),
    ]
    return workspace, runs


# --- the steps, called as plain functions ---------------------------------------------------------


def test_extract_and_analyze_write_a_snapshot_and_its_statistics(tmp_path):
    snapshot = pipeline_steps.extract_data(tmp_path / "snapshot.csv", seed=3, n_months=4, customers_per_month=50)
    again = pipeline_steps.extract_data(tmp_path / "again.csv", seed=3, n_months=4, customers_per_month=50)
    other = pipeline_steps.extract_data(tmp_path / "other.csv", seed=4, n_months=4, customers_per_month=50)
    assert snapshot.type == "Dataset" and snapshot.content_hash == again.content_hash != other.content_hash
    assert snapshot.content_hash == pipeline_steps.content_hash(tmp_path / "snapshot.csv")

    stats = pipeline_steps.analyze_data(snapshot.path, tmp_path / "stats.json").read_json()
    frame = data.make_customers(seed=3, n_months=4, customers_per_month=50)
    assert stats["rows"] == 200 and stats["months"] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert stats["churn_rate"] == round(frame["churned"].mean(), 4)
    assert stats["numeric"]["tenure_months"]["max"] == frame["tenure_months"].max()
    assert stats["schema"]["categories"]["contract"] == list(data.CATEGORIES["contract"])


def test_analysis_counts_faults_and_preparation_drops_them_then_splits_by_time(tmp_path):
    clean = data.make_customers(seed=1, n_months=4, customers_per_month=100)
    faulty = data.inject_faults(clean, faults=["out_of_range", "unseen_category"], rate=0.05, seed=2)
    snapshot = pipeline_steps.extract_data(tmp_path / "snapshot.csv", source=faulty)
    stats = pipeline_steps.analyze_data(snapshot.path, tmp_path / "stats.json")
    assert stats.read_json()["numeric"]["tenure_months"]["out_of_range"] == 20
    assert stats.read_json()["categorical"]["contract"]["unseen"] == 20

    train, test = pipeline_steps.prepare_data(
        snapshot.path, stats.path, tmp_path / "train.csv", tmp_path / "test.csv", train_months=3
    )
    train_frame, test_frame = pipeline_steps.read_dataset(train.path), pipeline_steps.read_dataset(test.path)
    bad = (faulty["tenure_months"] < 0) | (faulty["contract"] == "three-year")
    assert len(train_frame) + len(test_frame) == int((~bad).sum()) < 400
    assert (train_frame["tenure_months"] >= 0).all() and "three-year" not in set(test_frame["contract"])
    assert train_frame["month"].max() < test_frame["month"].min()
    assert test_frame["month"].dt.strftime("%Y-%m").unique().tolist() == ["2025-04"]


def test_analysis_names_missing_columns(tmp_path):
    broken = data.inject_faults(data.make_customers(n_months=2, customers_per_month=20), faults=["renamed_column"])
    snapshot = pipeline_steps.extract_data(tmp_path / "snapshot.csv", source=broken)
    with pytest.raises(ValueError, match="support_calls"):
        pipeline_steps.analyze_data(snapshot.path, tmp_path / "stats.json")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    folder = tmp_path_factory.mktemp("steps")
    snapshot = pipeline_steps.extract_data(folder / "snapshot.csv", seed=5, n_months=6, customers_per_month=300)
    stats = pipeline_steps.analyze_data(snapshot.path, folder / "stats.json")
    train, test = pipeline_steps.prepare_data(
        snapshot.path, stats.path, folder / "train.csv", folder / "test.csv", train_months=4
    )
    return folder, train, test


def test_training_and_evaluation_match_the_training_module(prepared):
    folder, train, test = prepared
    model = pipeline_steps.train_model(train.path, folder / "model.skops", model_params={"C": 0.5}, seed=5)
    metrics = pipeline_steps.evaluate_model(model.path, test.path, folder / "metrics.json").read_json()
    direct = training.train_model(pipeline_steps.read_dataset(train.path), params={"C": 0.5}, seed=5)
    expected = training.evaluate_model(direct, pipeline_steps.read_dataset(test.path))
    assert {k: metrics["model"][k] for k in expected.as_dict()} == expected.as_dict()
    assert metrics["model"]["n_rows"] == 600 and 0.5 < metrics["baseline"]["roc_auc"] < metrics["model"]["roc_auc"]


def test_saved_models_are_byte_identical_and_load_back(prepared, tmp_path):
    _, train, test = prepared
    first = pipeline_steps.train_model(train.path, tmp_path / "a.skops", model_kind="random_forest", seed=1)
    second = pipeline_steps.train_model(train.path, tmp_path / "b.skops", model_kind="random_forest", seed=1)
    assert first.content_hash == second.content_hash
    frame = pipeline_steps.read_dataset(test.path)
    fitted = training.train_model(pipeline_steps.read_dataset(train.path), kind="random_forest", seed=1)
    loaded = model_files.load_model(first.path)
    features = list(data.FEATURES)
    assert (loaded.predict_proba(frame[features]) == fitted.predict_proba(frame[features])).all()


def test_validation_gates_deployment_and_monitoring(prepared):
    folder, train, test = prepared
    model = pipeline_steps.train_model(train.path, folder / "gate-model.skops")
    metrics = pipeline_steps.evaluate_model(model.path, test.path, folder / "gate-metrics.json")
    auc = metrics.read_json()["model"]["roc_auc"]

    passed = pipeline_steps.validate_model(metrics.path, folder / "pass.json", min_roc_auc=auc)
    failed = pipeline_steps.validate_model(metrics.path, folder / "fail.json", min_roc_auc=auc + 0.01)
    assert passed.read_json()["approved"] is True and failed.read_json()["approved"] is False
    assert [c["passed"] for c in failed.read_json()["checks"]] == [False, True]

    served = pipeline_steps.deploy_model(model.path, passed.path, test.path, folder / "served.json").read_json()
    refused = pipeline_steps.deploy_model(model.path, failed.path, test.path, folder / "refused.json").read_json()
    assert served["deployed"] and len(served["smoke_test"]) == 3 and served["model"] == model.fingerprint
    assert not refused["deployed"] and refused["reason"].startswith("validation failed: roc_auc")

    report = pipeline_steps.monitor_model(
        model.path, train.path, test.path, folder / "served.json", folder / "report.json"
    )
    assert report.read_json()["month"] == "2025-06" and set(report.read_json()["drift"]) == set(data.FEATURES)
    idle = pipeline_steps.monitor_model(
        model.path, train.path, test.path, folder / "refused.json", folder / "idle.json"
    )
    assert idle.read_json() == {"monitored": False, "reason": "no model was deployed"}


def test_monitoring_step_measures_drift_with_the_monitoring_module_missing_values_included(prepared):
    """One drift implementation: the pipeline's numbers are monitoring's, and a feature that starts
    arriving empty counts as drift (its missing values land in their own bucket)."""
    from mlops_lab import monitoring

    folder, train, test = prepared
    model = pipeline_steps.train_model(train.path, folder / "holes-model.skops")
    served = pipeline_steps.deploy_model(model.path, _approval(folder), test.path, folder / "holes-served.json")
    holes = data.inject_faults(pipeline_steps.read_dataset(test.path), faults=["missing_values"], rate=0.5, seed=3)
    holes.to_csv(folder / "holes.csv", index=False)
    report = pipeline_steps.monitor_model(
        model.path, train.path, folder / "holes.csv", served.path, folder / "holes.json"
    )
    reference, serving = pipeline_steps.read_dataset(train.path), pipeline_steps.read_dataset(folder / "holes.csv")
    serving = serving[serving["month"] == serving["month"].max()]  # the step monitors the latest month
    expected = monitoring.detect_skew(reference, serving, features=data.FEATURES, thresholds=0.3)
    assert report.read_json()["drift"] == {f.feature: round(f.distance, 4) for f in expected.features}
    assert report.read_json()["alerts"] == sorted(expected.alerts)
    assert serving["monthly_charges"].isna().any()
    assert expected.feature("monthly_charges").largest_change == monitoring.MISSING


def _approval(folder):
    path = folder / "holes-approval.json"
    path.write_text(json.dumps({"approved": True, "checks": []}), encoding="utf-8")
    return path


def test_monitoring_raises_an_alert_on_drifted_serving_data(tmp_path):
    frame = data.make_customers(
        seed=2, n_months=12, customers_per_month=300, covariate_drift=1.0, covariate_drift_start=6
    )
    run = pipeline.run_pipeline(tmp_path, data=frame, train_months=6)
    report = run.monitoring
    assert report["alerts"] and all(report["drift"][c] > 0.3 for c in report["alerts"])
    calm = pipeline.run_pipeline(tmp_path, data=data.make_customers(seed=2, customers_per_month=300), train_months=6)
    assert calm.monitoring["alerts"] == []


# --- the runner and its cache ---------------------------------------------------------------------


def test_first_run_executes_every_step_in_lifecycle_order(history):
    _, runs = history
    assert runs[0].name == "run-1" and runs[0].executed == list(pipeline_steps.STEP_NAMES) and runs[0].cached == []
    assert runs[0].deployed and 0.6 < runs[0].metrics["roc_auc"] < 1


def test_an_identical_second_run_executes_zero_steps(history):
    _, (first, second, *_) = history
    assert second.executed == [] and second.cached == list(pipeline_steps.STEP_NAMES)
    assert second.artifacts == first.artifacts and second.metrics == first.metrics


def test_changing_one_parameter_reruns_only_what_depends_on_it(history):
    _, (first, _, new_param, stricter) = history
    assert new_param.cached == ["extract_data", "analyze_data", "prepare_data"]
    assert new_param.executed == ["train_model", "evaluate_model", "validate_model", "deploy_model", "monitor_model"]
    assert new_param.artifacts["prepare_data.train"] == first.artifacts["prepare_data.train"]
    assert new_param.artifacts["train_model.model"].content_hash != first.artifacts["train_model.model"].content_hash
    # The gate fails, so deployment and monitoring change too; everything before the gate is reused.
    assert stricter.executed == ["validate_model", "deploy_model", "monitor_model"] and not stricter.deployed


def test_a_changed_gate_with_the_same_decision_leaves_monitoring_cached(tmp_path):
    pipeline.run_pipeline(tmp_path, **SMALL, min_roc_auc=0.6)
    rerun = pipeline.run_pipeline(tmp_path, **SMALL, min_roc_auc=0.61)
    assert rerun.executed == ["validate_model", "deploy_model"]


def test_a_tampered_output_is_recomputed_and_cache_false_runs_everything(tmp_path):
    first = pipeline.run_pipeline(tmp_path, **SMALL)
    first.artifacts["evaluate_model.metrics"].path.write_text("{}")
    repaired = pipeline.run_pipeline(tmp_path, **SMALL)
    assert repaired.executed == ["evaluate_model"] and repaired.metrics == first.metrics
    assert pipeline.run_pipeline(tmp_path, **SMALL, cache=False).executed == list(pipeline_steps.STEP_NAMES)


def test_new_data_reruns_from_extraction(tmp_path):
    frame = data.make_customers(customers_per_month=200, seed=1)
    pipeline.run_pipeline(tmp_path, data=frame)
    assert pipeline.run_pipeline(tmp_path, data=frame).executed == []
    assert pipeline.run_pipeline(tmp_path, data=frame.iloc[:-200]).executed[0] == "extract_data"


def test_a_failing_step_is_recorded_and_named(tmp_path):
    broken = data.inject_faults(data.make_customers(n_months=3, customers_per_month=50), faults=["missing_column"])
    with pytest.raises(pipeline.PipelineStepError, match="run-1: step analyze_data failed: ValueError.*data_usage_gb"):
        pipeline.run_pipeline(tmp_path, data=broken)
    store = metadata.MetadataStore(tmp_path)
    assert store.executions_table()[["step", "state"]].values.tolist() == [
        ["extract_data", "COMPLETE"],
        ["analyze_data", "FAILED"],
    ]


def test_unknown_parameters_are_refused(tmp_path):
    with pytest.raises(TypeError, match="model_parms"):
        pipeline.run_pipeline(tmp_path, model_parms={"C": 1.0})


# --- the metadata store and lineage ---------------------------------------------------------------


def test_the_store_follows_the_ml_metadata_model(history):
    workspace, runs = history
    db = sqlite3.connect(workspace / "pipeline" / "metadata.sqlite")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"artifacts", "executions", "events", "contexts", "associations", "attributions"} <= tables
    contexts = db.execute("SELECT type, name FROM contexts ORDER BY id").fetchall()
    assert contexts == [("Pipeline", "churn-lifecycle")] + [("PipelineRun", f"run-{n}") for n in range(1, 5)]
    assert db.execute("SELECT COUNT(*) FROM executions").fetchone()[0] == 4 * len(pipeline_steps.STEPS)
    # A cached step is an execution whose OUTPUT events point at the artifacts the original wrote.
    outputs = db.execute(
        "SELECT x.state, e.artifact_id FROM executions x JOIN events e ON e.execution_id = x.id "
        "WHERE x.step = 'train_model' AND e.type = 'OUTPUT' ORDER BY x.id"
    ).fetchall()
    assert [state for state, _ in outputs] == ["COMPLETE", "CACHED", "COMPLETE", "CACHED"]
    assert outputs[0][1] == outputs[1][1] != outputs[2][1] == outputs[3][1]
    uris = [r[0] for r in db.execute("SELECT uri FROM artifacts")]
    assert all(uri.startswith("pipeline/artifacts/") for uri in uris)


def test_the_store_commits_to_a_write_ahead_log_that_other_connections_read(tmp_path):
    store = metadata.MetadataStore(tmp_path)
    run_id, name = store.start_run({"seed": 1})
    # NORMAL (1): commits append to the log without waiting for the disk; the log is synced at checkpoints.
    assert store.query("PRAGMA synchronous")[0][0] == 1
    reader = sqlite3.connect(store.path)
    assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert reader.execute("SELECT name FROM contexts WHERE id = ?", (run_id,)).fetchall() == [(name,)]
    # The store keeps its connection open and a second store writes beside it: both see every run.
    other_id, other_name = metadata.MetadataStore(tmp_path).start_run({"seed": 2})
    assert store.runs() == [name, other_name] and other_id != run_id
    reader.close()


def test_lineage_of_the_deployed_model(history):
    workspace, runs = history
    lineage = metadata.model_lineage(workspace)["answer"]
    model = runs[2].artifacts["train_model.model"]
    # run-4's stricter gate refused its model, so run-3's deployment is still the one serving.
    assert lineage["model"] == f"model.skops fingerprint {model.fingerprint}"
    assert lineage["deployed now"] == "yes"
    assert lineage["produced by run"] == "run-3" and lineage["reused (cached) by runs"] == "run-4"
    assert lineage["data snapshot"].endswith(runs[0].artifacts["extract_data.snapshot"].content_hash)
    assert 'model_params={"C":0.05}' in lineage["parameters"] and "seed=7" in lineage["parameters"]
    assert f"train_model {pipeline_steps.step('train_model').code_version}" in lineage["code version"]
    assert float(lineage["evaluation: roc_auc"]) == runs[2].metrics["roc_auc"]


def test_lineage_of_an_older_model_by_hash(history):
    workspace, runs = history
    model_fingerprint = runs[0].artifacts["train_model.model"].fingerprint
    lineage = metadata.model_lineage(workspace, model=model_fingerprint[:6])["answer"]
    assert lineage["produced by run"] == "run-1" and lineage["reused (cached) by runs"] == "run-2"
    assert lineage["deployed now"] == "no" and "model_params={}" in lineage["parameters"]


def test_models_fed_by_a_snapshot(history, tmp_path):
    workspace, runs = history
    snapshot = runs[0].artifacts["extract_data.snapshot"].content_hash
    table = metadata.models_from_snapshot(workspace, snapshot=snapshot)
    assert table["model (fingerprint)"].tolist() == [
        runs[0].artifacts["train_model.model"].fingerprint,
        runs[2].artifacts["train_model.model"].fingerprint,
    ]
    assert table["run"].tolist() == ["run-1", "run-3"] and table["deployed now"].tolist() == ["no", "yes"]
    assert table["model_params"].tolist() == ["{}", '{"C":0.05}']
    with pytest.raises(KeyError, match="no Dataset with fingerprint or content hash 'ffffff'"):
        metadata.models_from_snapshot(workspace, snapshot="ffffff")


def test_lineage_without_a_deployment_says_so(tmp_path):
    pipeline.run_pipeline(tmp_path, **SMALL, min_roc_auc=0.99)
    with pytest.raises(LookupError, match="no model has been deployed"):
        metadata.model_lineage(tmp_path)


def test_run_table_and_text_name_every_step(history):
    _, runs = history
    table = runs[2].table()
    assert table["step"].tolist() == list(pipeline_steps.STEP_NAMES)
    assert table["state"].tolist() == ["cached"] * 3 + ["executed"] * 5
    assert repr(runs[1]).startswith("PipelineRun run-2: 0 executed, 8 cached")
    assert json.loads(runs[0].artifacts["validate_model.validation"].path.read_text())["approved"] is True


def test_the_diagram_is_drawn_from_the_definition(history):
    import matplotlib

    matplotlib.use("Agg")
    _, runs = history
    ax = pipeline.draw_pipeline(runs[2])
    texts = {t.get_text() for t in ax.texts}
    assert set(pipeline_steps.STEP_NAMES) <= texts and {s.stage for s in pipeline_steps.STEPS} <= texts
    edges = sum(len(s.upstream) for s in pipeline_steps.STEPS)
    assert len([p for p in ax.patches if p.__class__.__name__ == "FancyBboxPatch"]) == len(pipeline_steps.STEPS)
    assert len(ax.texts) == 2 * len(pipeline_steps.STEPS) + edges
    assert "5 executed, 3 cached" in ax.get_title()


# --- the same pipeline on Kubeflow Pipelines ------------------------------------------------------


@pytest.fixture(scope="module")
def kfp_outcome(tmp_path_factory):
    """A KFP local run in the background and the in-process run with the same parameters."""
    from mlops_lab import kfp_pipeline

    workspace = tmp_path_factory.mktemp("kfp")
    job = kfp_pipeline.submit_local_run(workspace, **SMALL, model_params={"C": 0.3})
    in_process = pipeline.run_pipeline(workspace, **SMALL, model_params={"C": 0.3})
    return workspace, job.wait(), in_process


def test_kfp_local_run_matches_the_in_process_run(kfp_outcome):
    from mlops_lab.kfp_pipeline import task_name

    _, run, in_process = kfp_outcome
    assert run.status == "SUCCESS" and run.tasks == tuple(task_name(s) for s in pipeline_steps.STEP_NAMES)
    assert run.metrics == in_process.metrics
    assert run.artifacts == {key: artifact.content_hash for key, artifact in in_process.artifacts.items()}
    assert run.fingerprints == {key: artifact.fingerprint for key, artifact in in_process.artifacts.items()}
    # The runner's chatter went to the log file, not to the caller.
    log = run.log_file.read_text()
    assert run.log_lines == len(log.splitlines()) > 100 and "Executing task" in log
    assert "KFP local run: SUCCESS, 8 tasks" in repr(run) and "/tmp" not in repr(run)


def test_the_training_task_records_the_model_fingerprint_with_its_artifact(kfp_outcome):
    import json

    workspace, run, in_process = kfp_outcome
    (task_dir,) = (workspace / "kfp" / "runs").glob("*/train-model")
    output = json.loads((task_dir / "executor_output.json").read_text())
    recorded = output["artifacts"]["model"]["artifacts"][0]["metadata"]
    assert recorded == {"fingerprint": in_process.artifacts["train_model.model"].fingerprint}
    assert run.fingerprints["train_model.model"] == recorded["fingerprint"]
    assert f"metadata={{'fingerprint': '{recorded['fingerprint']}'}}" in run.log_file.read_text()


def test_compiled_yaml_parses_and_names_every_step(kfp_outcome):
    import yaml

    from mlops_lab.kfp_pipeline import PIPELINE_FILE, describe_pipeline_spec, task_name

    workspace, _, _ = kfp_outcome
    path = workspace / "kfp" / PIPELINE_FILE
    spec = describe_pipeline_spec(path)
    assert spec.schema_version == "2.1.0" and spec.name == "churn-lifecycle" and spec.sdk_version.startswith("kfp-")
    assert [t["task"] for t in spec.tasks] == [task_name(s) for s in pipeline_steps.STEP_NAMES]
    assert set(spec.parameters) == set(pipeline_steps.PipelineParameters.__dataclass_fields__)
    for step, task in zip(pipeline_steps.STEPS, spec.tasks, strict=True):
        assert task["runs after"] == (", ".join(sorted(task_name(u) for u in step.upstream)) or "-")
        assert task["writes"] == ", ".join(sorted(step.outputs))
    raw = yaml.safe_load(path.read_text())
    commands = " ".join(" ".join(e["container"]["command"]) for e in raw["deploymentSpec"]["executors"].values())
    assert "pip install" not in commands and spec.images == ("mlops-lab/python:3.11",)


def test_a_failing_kfp_run_raises_with_its_log_and_prints_nothing(tmp_path, capfd):
    from mlops_lab.kfp_pipeline import run_local

    with pytest.raises(RuntimeError, match="status FAILURE; full log: .*local_run.log"):
        run_local(tmp_path, n_months=3, customers_per_month=20, train_months=5)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert "train_months must be between 1 and 2" in (tmp_path / "kfp" / "local_run.log").read_text()


def test_a_pipeline_ended_early_has_the_first_steps_and_the_comparison_says_what_did_not_run(tmp_path):
    from kfp import compiler

    from mlops_lab.kfp_pipeline import KfpRun, build_pipeline, compare_runs, describe_pipeline_spec, task_name

    path = tmp_path / "early.yaml"
    compiler.Compiler().compile(build_pipeline(last_step="validate_model"), package_path=str(path))
    names = [task_name(s) for s in pipeline_steps.STEP_NAMES]
    assert [t["task"] for t in describe_pipeline_spec(path).tasks] == names[:6]
    with pytest.raises(ValueError, match="last_step must be one of .*'evaluate_model'.*not 'train_model'"):
        build_pipeline(last_step="train_model")

    in_process = pipeline.run_pipeline(tmp_path, **SMALL)
    hashes = {key: a.content_hash for key, a in in_process.artifacts.items()}
    early = {key: h for key, h in hashes.items() if not key.startswith(("deploy_model", "monitor_model"))}
    early["train_model.model"] = "000000000000"
    fingerprints = {key: a.fingerprint for key, a in in_process.artifacts.items() if key in early}
    run = KfpRun("SUCCESS", tuple(names[:6]), early, fingerprints, in_process.metrics, tmp_path / "log", 0, 0.0)
    table = compare_runs(in_process, run)
    assert table["in-process"].to_dict() == {key: a.fingerprint for key, a in in_process.artifacts.items()}
    assert table["identical bytes"].to_dict() == {
        **{key: "yes" for key in early},
        "train_model.model": "NO",
        "deploy_model.deployment": "not run",
        "monitor_model.report": "not run",
    }
    assert table.loc["monitor_model.report", "kubeflow (local)"] == "-"


def test_importing_the_kfp_module_does_not_import_kfp():
    import subprocess
    import sys

    code = "import sys, mlops_lab.kfp_pipeline, mlops_lab.pipeline, mlops_lab.metadata; print(sorted({'kfp', 'pandas', 'sklearn'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- the notebook's helpers and exercise checks ---------------------------------------------------


def test_steps_affected_by_a_parameter_follow_the_graph():
    assert pipeline_steps.steps_affected_by("train_months") == list(pipeline_steps.STEP_NAMES[2:])
    assert pipeline_steps.steps_affected_by("min_roc_auc") == ["validate_model", "deploy_model", "monitor_model"]
    assert pipeline_steps.steps_affected_by("drift_threshold") == ["monitor_model"]
    assert pipeline_steps.steps_affected_by("seed") == list(pipeline_steps.STEP_NAMES)
    with pytest.raises(KeyError, match="no pipeline parameter 'C'"):
        pipeline_steps.steps_affected_by("C")


def test_the_rerun_prediction_check_agrees_with_a_real_run(tmp_path):
    pipeline.run_pipeline(tmp_path, **SMALL)
    rerun = pipeline.run_pipeline(tmp_path, **SMALL, train_months=8)
    assert exercise_checks.check_rerun_prediction(rerun.executed, parameter="train_months").passed
    too_few = exercise_checks.check_rerun_prediction(["train_model"], parameter="train_months")
    assert not too_few.passed and "missing" in too_few.message
    too_many = exercise_checks.check_rerun_prediction(list(pipeline_steps.STEP_NAMES), parameter="train_months")
    assert not too_many.passed and "['analyze_data', 'extract_data'] do not depend on train_months" in too_many.message
    typo = exercise_checks.check_rerun_prediction(["training"], parameter="train_months")
    assert not typo.passed and "['training'] are not step names" in typo.message


def test_the_lifecycle_order_check():
    stages = [s.stage for s in pipeline_steps.STEPS]
    assert exercise_checks.check_lifecycle_order(stages).passed
    assert exercise_checks.check_lifecycle_order([s.upper() for s in stages]).passed
    swapped = stages[:4] + [stages[5], stages[4]] + stages[6:]
    feedback = exercise_checks.check_lifecycle_order(swapped)
    assert (
        not feedback.passed
        and feedback.message == "the order is right up to step 4, but step 5 is not 'model validation'."
    )
    missing = exercise_checks.check_lifecycle_order(stages[:-1] + ["model deployment"])
    assert not missing.passed and "unknown: ['model deployment'], missing: ['model monitoring']" in missing.message


def test_store_summary_and_statistics_table(history, tmp_path):
    workspace, _ = history
    summary = metadata.MetadataStore(workspace).summary()
    assert (
        summary.loc["executions", "count"] == 32 and summary.loc["contexts", "breakdown"] == "Pipeline 1, PipelineRun 4"
    )
    assert summary.loc["executions", "breakdown"] == "CACHED 16, COMPLETE 16"
    snapshot = pipeline_steps.extract_data(tmp_path / "s.csv", n_months=2, customers_per_month=30)
    table = pipeline_steps.describe_statistics(pipeline_steps.analyze_data(snapshot.path, tmp_path / "stats.json"))
    assert table.index.tolist() == list(data.NUMERIC_FEATURES) and table.columns.tolist()[-2:] == [
        "missing",
        "out_of_range",
    ]


def test_a_model_is_named_by_its_fingerprint_and_its_file_by_the_bytes_hash(history):
    workspace, (first, *_) = history
    model = first.artifacts["train_model.model"]
    assert model.fingerprint == model_files.file_fingerprint(model.path) != model.content_hash
    assert repr(model) == f"Artifact(Model 'model', fingerprint {model.fingerprint}, file sha256 {model.content_hash})"
    snapshot = first.artifacts["extract_data.snapshot"]
    assert snapshot.fingerprint == snapshot.content_hash and "fingerprint" not in repr(snapshot)
    # The deployment names the model by its fingerprint, so the record is the same on every processor.
    assert first.artifacts["deploy_model.deployment"].read_json()["model"] == model.fingerprint
    store = metadata.MetadataStore(workspace)
    assert store.artifact(store.artifact_by_hash(model.fingerprint, type="Model")).fingerprint == model.fingerprint


def test_a_store_written_before_fingerprints_is_upgraded(tmp_path):
    home = tmp_path / metadata.PIPELINE_DIR
    home.mkdir()
    with sqlite3.connect(home / metadata.METADATA_FILE) as db:
        db.execute(
            "CREATE TABLE artifacts (id INTEGER PRIMARY KEY, type TEXT NOT NULL, uri TEXT NOT NULL, "
            "content_hash TEXT NOT NULL, UNIQUE (type, uri, content_hash))"
        )
        db.execute("INSERT INTO artifacts (type, uri, content_hash) VALUES ('Dataset', 'old.csv', 'abc123abc123')")
    store = metadata.MetadataStore(tmp_path)
    assert (
        store.artifact(1).fingerprint == "abc123abc123" == store.artifact(store.artifact_by_hash("abc1")).content_hash
    )


# --- the Spanish edition: the same numbers, other words ----------------------------------------------


def test_spanish_lineage_summary_and_statistics_carry_the_same_numbers(history, tmp_path):
    workspace, runs = history
    english, spanish = metadata.model_lineage(workspace), metadata.model_lineage(workspace, language="es")
    assert spanish.index.name == "pregunta" and spanish.columns.tolist() == ["respuesta"]
    assert spanish.index.tolist()[:3] == ["modelo", "desplegado ahora", "producido por la ejecución"]
    assert spanish.index.tolist()[-1] == "evaluación: roc_auc de la regla de referencia"
    assert spanish.loc["modelo", "respuesta"] == english.loc["model", "answer"].replace("fingerprint", "huella")
    assert spanish.loc["desplegado ahora", "respuesta"] == "sí"
    # Every other answer (runs, hashes, code versions, parameters, metrics) is the same text in both editions.
    assert spanish["respuesta"].tolist()[2:] == english["answer"].tolist()[2:]

    snapshot = runs[0].artifacts["extract_data.snapshot"].content_hash
    models = metadata.models_from_snapshot(workspace, snapshot=snapshot, language="es")
    assert models.columns.tolist() == [
        "modelo (huella)",
        "ejecución",
        "model_kind",
        "model_params",
        "roc_auc",
        "desplegado ahora",
    ]
    assert models["desplegado ahora"].tolist() == ["no", "sí"]
    assert models.iloc[:, :5].to_numpy().tolist() == (
        metadata.models_from_snapshot(workspace, snapshot=snapshot).iloc[:, :5].to_numpy().tolist()
    )

    summary = metadata.MetadataStore(workspace).summary(language="es")
    assert summary.loc["ejecuciones", "cantidad"] == 32 and summary.loc["ejecuciones", "desglose"] == (
        "CACHED 16, COMPLETE 16"
    )

    snapshot_file = pipeline_steps.extract_data(tmp_path / "s.csv", n_months=2, customers_per_month=30)
    statistics = pipeline_steps.analyze_data(snapshot_file.path, tmp_path / "stats.json")
    english_stats = pipeline_steps.describe_statistics(statistics)
    spanish_stats = pipeline_steps.describe_statistics(statistics, language="es")
    assert spanish_stats.index.name == "característica" and "faltantes" in spanish_stats.columns
    assert spanish_stats.to_numpy().tolist() == english_stats.to_numpy().tolist()


def test_spanish_steps_table_translates_words_and_keeps_identifiers():
    english, spanish = pipeline_steps.steps_table(), pipeline_steps.steps_table(language="es")
    assert spanish.columns.tolist()[:2] == ["paso del ciclo de vida", "función"]
    assert spanish["paso del ciclo de vida"].tolist()[0] == "extracción de datos"
    for english_column, spanish_column in (("function", "función"), ("reads", "lee"), ("writes", "escribe")):
        assert spanish[spanish_column].tolist() == english[english_column].tolist()
    services = spanish["a escala en Google Cloud"].tolist()
    assert services[0] == "BigQuery / Cloud Storage" and services[6] == "Vertex AI Endpoints, predicción por lotes"


def test_spanish_run_table_summary_and_diagram(history, tmp_path):
    import dataclasses

    import matplotlib

    matplotlib.use("Agg")
    _, runs = history
    spanish = dataclasses.replace(runs[2], language="es")
    assert spanish == runs[2]  # the language changes the words, never what the run is
    table = spanish.table()
    assert table.columns.tolist() == ["paso", "estado", "salidas (huella)"]
    assert table["estado"].tolist() == ["en caché"] * 3 + ["ejecutado"] * 5
    assert table["salidas (huella)"].tolist() == runs[2].table()["outputs (fingerprint)"].tolist()
    assert repr(spanish).splitlines()[0] == "PipelineRun run-3: 5 ejecutados, 3 en caché"
    assert repr(spanish).splitlines()[1:] == repr(runs[2]).splitlines()[1:]
    assert pipeline.run_pipeline(tmp_path, **SMALL, language="es").language == "es"

    ax = pipeline.draw_pipeline(spanish, language="es")
    texts = {t.get_text() for t in ax.texts}
    assert "entrenamiento del modelo" in texts and "model training" not in texts
    assert set(pipeline_steps.STEP_NAMES) <= texts and len(ax.texts) == len(pipeline.draw_pipeline(runs[2]).texts)
    assert ax.get_title() == "churn-lifecycle, run-3: 5 ejecutados, 3 en caché"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ejecutado", "en caché"]


def test_spanish_kubeflow_summaries_carry_the_same_numbers(history, tmp_path):
    import yaml

    from mlops_lab.kfp_pipeline import KfpJob, KfpRun, PipelineSpecSummary, compare_runs, compile_pipeline

    _, runs = history
    hashes = {key: a.content_hash for key, a in runs[0].artifacts.items() if not key.startswith("monitor_model")}
    fingerprints = {key: a.fingerprint for key, a in runs[0].artifacts.items() if key in hashes}
    tasks = tuple(step.replace("_", "-") for step in pipeline_steps.STEP_NAMES[:7])
    run = KfpRun("SUCCESS", tasks, hashes, fingerprints, runs[0].metrics, tmp_path / "log", 0, 0.0, language="es")
    assert repr(run).startswith("Ejecución local de KFP: SUCCESS, 7 tareas en procesos separados (extract-data, ")
    table = compare_runs(runs[0], run, language="es")
    assert table.columns.tolist() == ["en el proceso", "kubeflow (local)", "bytes idénticos"]
    assert table["bytes idénticos"].tolist() == ["sí"] * 8 + ["no ejecutado"]
    english = compare_runs(runs[0], run)
    assert table.iloc[:, :2].to_numpy().tolist() == english.iloc[:, :2].to_numpy().tolist()

    job = KfpJob(process=None, workspace=tmp_path, result_file=tmp_path / "r.json", language="es")
    assert repr(job).startswith("KfpJob: canalización 'churn-lifecycle' enviada")
    spec = PipelineSpecSummary(
        "churn-lifecycle",
        "2.1.0",
        "kfp-2.16.1",
        {"seed": "NUMBER_INTEGER"},
        ({"task": "extract-data", "component": "comp-extract-data", "runs after": "-", "reads": "-", "writes": "x"},),
        ("mlops-lab/python:3.11",),
        language="es",
    )
    assert repr(spec) == (
        "canalización 'churn-lifecycle': schemaVersion 2.1.0, kfp-2.16.1, 1 tareas, 1 parámetros, "
        "imagen mlops-lab/python:3.11"
    )
    assert spec.table().loc["extract-data"].tolist() == ["comp-extract-data", "-", "-", "x"]
    assert spec.table().index.name == "tarea"

    compiled = yaml.safe_load(compile_pipeline(tmp_path, language="es").read_text())
    assert compiled["pipelineInfo"]["description"].startswith("Los ocho pasos del ciclo de vida del ML")


def test_spanish_artifact_lines_name_the_same_hashes(history):
    _, (first, *_) = history
    model, snapshot = first.artifacts["train_model.model"], first.artifacts["extract_data.snapshot"]
    assert pipeline_steps.describe_artifacts(snapshot, model) == f"{snapshot!r}\n{model!r}"
    spanish = pipeline_steps.describe_artifacts(snapshot, model, language="es").splitlines()
    assert spanish[0] == repr(snapshot)  # a data file has one hash, and no word to translate
    assert spanish[1] == (
        f"Artifact(Model 'model', huella {model.fingerprint}, sha256 del archivo {model.content_hash})"
    )


def test_validation_lines_give_each_verdict_with_the_same_numbers(history):
    _, runs = history
    refused = runs[3].artifacts["validate_model.validation"]  # min_roc_auc=0.99: the first check fails
    checks = refused.read_json()["checks"]
    english = pipeline_steps.validation_lines(refused).splitlines()
    assert english == [f"  {'PASS' if c['passed'] else 'FAIL'}  {c['check']}" for c in checks]
    spanish = pipeline_steps.validation_lines(refused, language="es").splitlines()
    assert spanish[0] == f"  FALLIDA  {checks[0]['check']}" and spanish[0].endswith(">= 0.9900")
    assert spanish[1].startswith("  SUPERADA  roc_auc ") and " > referencia " in spanish[1]
    assert spanish[1].split()[-1] == english[1].split()[-1]  # the baseline's ROC AUC
