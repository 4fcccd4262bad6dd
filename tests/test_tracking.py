"""Experiment tracking and the model registry, each test on its own temporary SQLite store."""

import os
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from mlops_lab import exercise_checks, registry, tracking

ROOT = Path(__file__).resolve().parent.parent
# Small and fast: 4 months x 200 customers.
SMALL = {"n_months": 4, "customers_per_month": 200, "train_months": 3}


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tracking.open_store(tmp_path / "ws", experiment="tests")


def test_the_store_says_what_it_is_in_both_languages(store):
    assert store.summary() == "experiment 'tests' in a local SQLite store"
    assert store.summary(language="es") == "experimento 'tests' en un almacén SQLite local"
    shared = tracking.TrackingStore(
        uri="http://mlflow:5000", experiment="class", experiment_id="1", artifact_location=""
    )
    assert shared.summary(language="es") == "experimento 'class' en un almacén compartido"


def test_store_is_a_sqlite_file_in_the_workspace_created_on_first_use(store, tmp_path):
    workspace = (tmp_path / "ws").resolve()
    assert store.uri == f"sqlite:///{workspace / 'mlflow.db'}"
    assert (workspace / "mlflow.db").is_file()
    assert store.artifact_location.startswith((workspace / "mlartifacts").as_uri())
    again = tracking.open_store(tmp_path / "ws", experiment="tests")
    assert again.experiment_id == store.experiment_id


def test_a_workspace_store_commits_to_a_write_ahead_log_without_waiting_for_the_disk(store, tmp_path):
    import sqlite3

    from sqlalchemy import create_engine, text

    tracking.log_light_run(name="r", params={}, metrics={"m": 1.0}, tags={}, store=store)
    with sqlite3.connect(tmp_path / "ws" / "mlflow.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with create_engine(store.uri).connect() as connection:  # any SQLAlchemy connection to the store: NORMAL (1)
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1
    other = create_engine(f"sqlite:///{tmp_path / 'other.db'}")  # other SQLite files keep SQLite's defaults
    with other.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "delete"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2
    assert tracking.compare_runs(store=store).index.tolist() == ["r"]


def test_a_workspace_store_is_not_handed_down_to_subprocesses(store, tmp_path):
    assert "MLFLOW_TRACKING_URI" not in os.environ
    code = "from mlops_lab import tracking; print(tracking.open_store(__import__('sys').argv[1]).uri)"
    child = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "child")], capture_output=True, text=True, check=True
    )
    assert child.stdout.strip() == f"sqlite:///{(tmp_path / 'child').resolve() / 'mlflow.db'}"


def test_each_workspace_has_its_own_store(store, tmp_path):
    tracking.log_run(name="in-first", params={}, metrics={"m": 1.0}, data=pd.DataFrame({"a": [1]}), store=store)
    other = tracking.open_store(tmp_path / "other", experiment="tests")
    assert other.uri != store.uri
    assert tracking.compare_runs(store=other).empty
    assert list(tracking.compare_runs(store=tracking.open_store(tmp_path / "ws", experiment="tests")).index) == [
        "in-first"
    ]


def test_a_shared_tracking_uri_wins_over_the_workspace(tmp_path, monkeypatch):
    shared = f"sqlite:///{tmp_path / 'server' / 'shared.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", shared)
    store = tracking.open_store(tmp_path / "ws", experiment="class")
    tracking.log_run(name="student-1", params={}, metrics={"m": 1.0}, data=pd.DataFrame({"a": [1]}), store=store)
    assert store.uri == shared
    assert (tmp_path / "server" / "shared.db").is_file()
    assert not (tmp_path / "ws" / "mlflow.db").exists()


def test_a_run_records_params_metrics_user_data_fingerprint_and_code_version(store):
    from mlops_lab.data import fingerprint

    train = pd.DataFrame({"x": [1, 2, 3]})
    logged = tracking.log_run(
        name="first", params={"C": 0.5, "kind": "lr"}, metrics={"roc_auc": 0.8}, data=train, user="ana", store=store
    )
    table = tracking.compare_runs(store=store)
    row = table.loc["first"]
    assert (row["user"], row["C"], row["kind"], row["roc_auc"]) == ("ana", 0.5, "lr", 0.8)
    assert row["data_fingerprint"] == fingerprint(train) == logged.data_fingerprint
    assert row["code_version"] == tracking.code_version() == logged.code_version
    assert "run_id" not in table.columns


def test_different_data_gives_a_different_fingerprint(store):
    a = tracking.train_and_log({**SMALL, "train_months": 2}, name="two-months", store=store)
    b = tracking.train_and_log({**SMALL, "train_months": 3}, name="three-months", store=store)
    c = tracking.train_and_log({**SMALL, "train_months": 3, "kind": "random_forest"}, name="same-data", store=store)
    assert a.data_fingerprint != b.data_fingerprint
    assert b.data_fingerprint == c.data_fingerprint


def test_code_version_changes_exactly_when_the_code_changes(tmp_path, monkeypatch):
    module = tmp_path / "recipe_code.py"
    module.write_text("def f():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    first = tracking.code_version(("recipe_code",))
    assert tracking.code_version(("recipe_code",)) == first
    module.write_text("def f():\n    return 2\n")
    assert tracking.code_version(("recipe_code",)) != first
    with pytest.raises(ValueError, match="no_such_module"):
        tracking.code_version(("no_such_module",))


def test_compare_runs_lists_every_trial_in_order_with_who_ran_it(store):
    for i in range(3):
        tracking.log_run(
            name=f"trial-{i}", params={"i": i}, metrics={"m": i / 10}, data=pd.DataFrame({"a": [i]}), store=store
        )
    tracking.log_run(
        name="bo-1", params={"i": 9}, metrics={"m": 0.9}, data=pd.DataFrame({"a": [9]}), user="bo", store=store
    )
    table = tracking.compare_runs(store=store, metrics=["m"], params=["i"])
    assert list(table.index) == ["trial-0", "trial-1", "trial-2", "bo-1"]
    assert list(table.columns) == ["user", "i", "m", "data_fingerprint", "code_version"]
    assert table.loc["bo-1", "user"] == "bo"
    assert list(tracking.compare_runs(store=store, filter_string="tags.`mlflow.user` = 'bo'").index) == ["bo-1"]
    # In Spanish only the index's label changes: the columns are the logged names code looks values up by.
    spanish = tracking.compare_runs(store=store, metrics=["m"], params=["i"], language="es")
    assert (table.index.name, spanish.index.name) == ("run", "ejecución")
    pd.testing.assert_frame_equal(spanish.rename_axis("run"), table)


COUNTS = pd.DataFrame(
    {
        "roc_auc": [0.80, 0.79, 0.78],
        "missed_churners": [100, 200, 300],
        "false_alarms": [300, 120, 10],
        "test_rows": [1000, 1000, 1000],
    },
    index=pd.Index(["eager", "balanced", "cautious"], name="run"),
)


def test_the_best_model_depends_on_the_business_cost():
    assert tracking.best_run(COUNTS, metric="roc_auc").run == "eager"
    expensive_misses = tracking.best_by_cost(COUNTS, missed_churner_cost=100, false_alarm_cost=10)
    assert (expensive_misses.run, expensive_misses.value) == ("eager", 13.0)
    expensive_alarms = tracking.best_by_cost(COUNTS, missed_churner_cost=10, false_alarm_cost=10)
    assert (expensive_alarms.run, expensive_alarms.value) == ("cautious", 3.1)
    assert tracking.best_run(COUNTS, metric="missed_churners", higher_is_better=False).run == "eager"


def test_a_choice_reads_in_spanish_with_the_same_run_and_numbers():
    english = tracking.best_by_cost(COUNTS, missed_churner_cost=100, false_alarm_cost=10)
    spanish = tracking.best_by_cost(COUNTS, missed_churner_cost=100, false_alarm_cost=10, language="es")
    assert spanish == english  # the language changes the words only
    assert repr(english) == "Best by cost (missed churner 100, false alarm 10): eager (13.0000)"
    assert repr(spanish) == "Mejor por costo (abandono no detectado 100, falsa alarma 10): eager (13.0000)"
    assert repr(tracking.best_run(COUNTS, metric="roc_auc", language="es")) == "Mejor por roc_auc: eager (0.8000)"


def test_the_runs_summary_and_the_runs_by_user_carry_the_same_numbers_in_both_languages():
    table = COUNTS.assign(user=["ana", "bo", "ana"], kind="lr", data_fingerprint=["d1", "d2", "d1"], code_version="c1")
    assert tracking.runs_summary(table) == "3 runs, 2 data versions, 1 code version"
    assert tracking.runs_summary(table, language="es") == "3 ejecuciones, 2 versiones de datos, 1 versión de código"
    assert (
        tracking.runs_summary(table.iloc[:1], language="es") == "1 ejecución, 1 versión de datos, 1 versión de código"
    )
    english = tracking.runs_by_user(table)
    spanish = tracking.runs_by_user(table, language="es")
    assert english.to_dict("index") == {"ana": {"runs": 2, "best_auc": 0.80}, "bo": {"runs": 1, "best_auc": 0.79}}
    assert (spanish.index.name, list(spanish.columns)) == ("usuario", ["ejecuciones", "mejor_auc"])
    assert spanish.to_numpy().tolist() == english.to_numpy().tolist()


def test_a_reproduction_reads_in_spanish_with_the_same_numbers():
    result = tracking.Reproduction(
        run="forest",
        missing=("seed",),
        data_matches=True,
        recorded={"roc_auc": 0.81234, "recall": 0.5},
        rebuilt={"roc_auc": 0.8, "recall": 0.5},
    )
    english = repr(result)
    spanish = repr(replace(result, language="es"))
    assert english.splitlines() == [
        "Rebuilding run 'forest' from its recorded params",
        "  not recorded, defaults used: seed",
        "  data fingerprint matches: yes",
        "  roc_auc    recorded 0.8123  rebuilt 0.8000  DIFFERENT",
        "  recall     recorded 0.5000  rebuilt 0.5000  same",
        "  NOT REPRODUCED",
    ]
    assert spanish.splitlines() == [
        "Se reconstruye la ejecución 'forest' a partir de sus parámetros registrados",
        "  sin registrar, se usaron los valores predeterminados: seed",
        "  la huella de los datos coincide: sí",
        "  roc_auc    registrado 0.8123  reconstruido 0.8000  DISTINTO",
        "  recall     registrado 0.5000  reconstruido 0.5000  igual",
        "  NO REPRODUCIDA",
    ]


def test_choosing_by_something_that_was_not_logged_is_a_clear_error():
    with pytest.raises(ValueError, match="no metric 'f1'"):
        tracking.best_run(COUNTS, metric="f1")
    with pytest.raises(ValueError, match="outcome_metrics"):
        tracking.best_by_cost(COUNTS[["roc_auc"]], missed_churner_cost=1, false_alarm_cost=1)


def test_outcome_counts_agree_with_the_business_cost_of_the_training_module():
    from mlops_lab.training import business_cost

    model, metrics, _, test = tracking.train_from_recipe({**SMALL, "threshold": 0.3})
    table = pd.DataFrame([metrics], index=pd.Index(["r"], name="run"))
    expected = business_cost(model, test, missed_churner_cost=70, false_alarm_cost=15, threshold=0.3)
    assert tracking.business_costs(table, missed_churner_cost=70, false_alarm_cost=15)["r"] == pytest.approx(expected)


def test_a_run_rebuilt_from_its_record_gives_the_same_metrics(store):
    tracking.train_and_log({**SMALL, "kind": "random_forest", "seed": 7, "max_depth": 4}, name="forest", store=store)
    result = tracking.reproduce_run("forest", store=store)
    assert result.reproduced and result.data_matches and result.missing == ()
    assert "REPRODUCED" in repr(result)


def test_a_run_missing_its_seed_cannot_be_rebuilt(store):
    tracking.train_and_log(
        {**SMALL, "kind": "random_forest", "seed": 7, "max_depth": 4}, name="forest", omit=("seed",), store=store
    )
    result = tracking.reproduce_run("forest", store=store)
    assert result.missing == ("seed",)
    assert result.data_matches and not result.reproduced
    assert "NOT REPRODUCED" in repr(result) and "seed" in repr(result)
    with pytest.raises(ValueError, match="cannot omit"):
        tracking.train_and_log(SMALL, name="x", omit=("colour",), store=store)


def test_a_run_missing_its_data_subset_trains_on_other_data(store):
    recipe = {"n_months": 12, "customers_per_month": 100, "train_months": 6}
    tracking.train_and_log(recipe, name="subset", omit=("train_months",), store=store)
    result = tracking.reproduce_run("subset", store=store)
    assert result.missing == ("train_months",) and not result.data_matches and not result.reproduced


def test_models_are_stored_as_skops_never_pickle(store, tmp_path):
    tracking.train_and_log({**SMALL, "kind": "random_forest"}, name="forest", log_model=True, store=store)
    files = [p.name for p in (tmp_path / "ws" / "mlartifacts").rglob("*") if p.is_file()]
    assert "model.skops" in files
    assert not [f for f in files if f.endswith((".pkl", ".pickle"))]


def test_register_move_aliases_and_load_by_alias(store):
    first = tracking.train_and_log({**SMALL, "kind": "logistic_regression"}, name="lr", log_model=True, store=store)
    second = tracking.train_and_log({**SMALL, "kind": "random_forest"}, name="rf", log_model=True, store=store)
    v1 = registry.register_model("lr", name="churn", alias="champion", store=store)
    v2 = registry.register_model("rf", name="churn", alias="challenger", store=store)
    assert (v1.version, v1.run, v1.aliases) == (1, "lr", ("champion",))
    assert (v2.version, v2.run, v2.aliases) == (2, "rf", ("challenger",))
    _, _, _, test = tracking.train_from_recipe(SMALL)
    champion = registry.load_model("churn", alias="champion")
    assert tracking.outcome_metrics(champion, test) == first.metrics
    promoted = registry.set_alias("churn", alias="champion", version=2)
    assert promoted.aliases == ("challenger", "champion")
    assert tracking.outcome_metrics(registry.load_model("churn", alias="champion"), test) == second.metrics
    table = registry.registry_table("churn")
    assert table.to_dict("index") == {
        1: {"run": "lr", "aliases": ""},
        2: {"run": "rf", "aliases": "challenger, champion"},
    }
    assert registry.model_version("churn", alias="champion").version == 2
    spanish = registry.registry_table("churn", language="es")
    assert (spanish.index.name, list(spanish.columns)) == ("versión", ["ejecución", "alias"])
    assert spanish.to_numpy().tolist() == table.to_numpy().tolist()
    assert (
        repr(registry.model_version("churn", version=2))
        == "ModelVersion(churn v2 from run 'rf' @challenger, @champion)"
    )
    assert repr(registry.set_alias("churn", alias="champion", version=2, language="es")) == (
        "ModelVersion(churn v2 de la ejecución 'rf' @challenger, @champion)"
    )


def test_registering_prints_nothing(store, capfd):
    tracking.train_and_log(SMALL, name="lr", log_model=True, store=store)
    capfd.readouterr()
    registry.register_model("lr", name="quiet", alias="champion", store=store)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_registering_a_run_without_a_model_says_so(store):
    tracking.train_and_log(SMALL, name="no-model", store=store)
    with pytest.raises(ValueError, match="logged no model"):
        registry.register_model("no-model", name="churn", store=store)
    with pytest.raises(KeyError, match="no run named 'ghost'"):
        registry.register_model("ghost", name="churn", store=store)


def test_plot_runs_draws_one_point_per_run_and_group():
    import matplotlib

    matplotlib.use("Agg")
    table = COUNTS.assign(kind=["a", "b", "b"])
    fig = tracking.plot_runs(table, x="false_alarms", y="roc_auc", group="kind")
    ax = fig.axes[0]
    assert [len(c.get_offsets()) for c in ax.collections] == [1, 2]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("false_alarms", "roc_auc")


WRITER = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path

    import pandas as pd
    from mlops_lab import tracking

    workspace, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = tracking.open_store(workspace, experiment="shared")
    # Start writing only when both writers are ready, so their runs really interleave.
    (Path(workspace) / f"ready-{who}").touch()
    while not (Path(workspace) / "go").exists():
        time.sleep(0.01)
    for i in range(n):
        tracking.log_run(name=f"{who}-{i}", params={"i": i}, metrics={"m": i}, data=pd.DataFrame({"a": [i]}), user=who, store=store)
    """
)


def test_two_processes_logging_to_one_fresh_store_at_once_lose_no_run(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    workspace = tmp_path / "ws"
    n = 40
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(workspace), who, str(n)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("ana", "bo")
    ]
    deadline = time.monotonic() + 120
    while not all((workspace / f"ready-{who}").exists() for who in ("ana", "bo")):
        assert time.monotonic() < deadline and all(w.poll() is None for w in writers), "a writer did not start"
        time.sleep(0.05)
    (workspace / "go").touch()
    errors = [w.communicate(timeout=300)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    table = tracking.compare_runs(store=tracking.open_store(workspace, experiment="shared"))
    assert sorted(table.index) == sorted(f"{who}-{i}" for who in ("ana", "bo") for i in range(n))
    assert table["user"].value_counts().to_dict() == {"ana": n, "bo": n}


def test_importing_tracking_loads_no_heavy_library():
    code = "import sys, mlops_lab.tracking; print(sorted({'mlflow', 'pandas', 'sklearn', 'skops'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_recent_months_only_changes_the_training_data_not_the_test_months():
    full_train, full_test = tracking.recipe_data({"n_months": 12, "customers_per_month": 50})
    recent_train, recent_test = tracking.recipe_data({"n_months": 12, "customers_per_month": 50, "train_from_month": 3})
    assert recent_test.equals(full_test)
    assert recent_train["month"].nunique() == 6 and recent_train["month"].min() == full_train["month"].unique()[3]
    with pytest.raises(ValueError, match="train_from_month must be between 0 and 8"):
        tracking.recipe_data({"train_from_month": 9})


def test_check_recorded_value_names_the_runs_that_used_a_wrong_value():
    table = COUNTS.assign(threshold=[0.3, 0.5, 0.5])
    assert exercise_checks.check_recorded_value(0.3, table=table, run="eager", column="threshold").passed
    wrong = exercise_checks.check_recorded_value(0.5, table=table, run="eager", column="threshold")
    assert not wrong.passed and "balanced, cautious used that value" in wrong.message
    with pytest.raises(ValueError, match="no run 'ghost'"):
        exercise_checks.check_recorded_value(0.3, table=table, run="ghost", column="threshold")


def test_check_cost_choice_accepts_only_the_cheapest_run():
    right = exercise_checks.check_cost_choice("cautious", table=COUNTS, missed_churner_cost=10, false_alarm_cost=10)
    assert right.passed and "3.1000" in right.message
    wrong = exercise_checks.check_cost_choice("eager", table=COUNTS, missed_churner_cost=10, false_alarm_cost=10)
    assert not wrong.passed and "4.0000" in wrong.message
    assert (
        "no run named 'nope'"
        in exercise_checks.check_cost_choice("nope", table=COUNTS, missed_churner_cost=1, false_alarm_cost=1).message
    )


def test_check_filter_runs_mlflow_search_and_reports_what_it_found(store):
    for name, user in [("a-1", "ana"), ("b-1", "bo"), ("b-2", "bo")]:
        tracking.log_run(
            name=name, params={}, metrics={"m": 1.0}, data=pd.DataFrame({"a": [1]}), user=user, store=store
        )
    assert exercise_checks.check_filter("tags.`mlflow.user` = 'bo'", expected=["b-1", "b-2"], store=store).passed
    assert exercise_checks.check_filter("attributes.run_name LIKE 'b-%'", expected=["b-1", "b-2"], store=store).passed
    too_many = exercise_checks.check_filter("metrics.m = 1", expected=["b-1", "b-2"], store=store)
    assert not too_many.passed and "finds 3 run(s)" in too_many.message
    broken = exercise_checks.check_filter("user is bo", expected=["b-1", "b-2"], store=store)
    assert not broken.passed and "cannot parse" in broken.message


def test_a_notebook_run_twice_shows_the_latest_run_of_each_name_and_keeps_them_all(store):
    for auc in (0.7, 0.8):
        tracking.log_run(
            name="trial-1", params={}, metrics={"roc_auc": auc}, data=pd.DataFrame({"a": [1]}), store=store
        )
    tracking.log_run(name="trial-2", params={}, metrics={"roc_auc": 0.75}, data=pd.DataFrame({"a": [1]}), store=store)
    latest = tracking.compare_runs(store=store)
    assert latest["roc_auc"].to_dict() == {"trial-1": 0.8, "trial-2": 0.75}
    assert list(tracking.compare_runs(store=store, latest_only=False)["roc_auc"]) == [0.7, 0.8, 0.75]
    assert tracking.find_run("trial-1", store=store).data.metrics["roc_auc"] == 0.8


def test_new_stores_are_copies_of_one_cached_empty_database(tmp_path, monkeypatch):
    import mlflow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = tracking.open_store(tmp_path / "one", experiment="a")
    template = tmp_path / "cache" / "mlops-lab" / f"mlflow-{mlflow.__version__}-empty.db"
    assert template.is_file()
    built = template.stat().st_mtime_ns
    second = tracking.open_store(tmp_path / "two", experiment="b")
    assert template.stat().st_mtime_ns == built
    tracking.log_run(name="in-two", params={}, metrics={"m": 1.0}, data=pd.DataFrame({"a": [1]}), store=second)
    assert list(tracking.compare_runs(store=second).index) == ["in-two"]
    assert tracking.compare_runs(store=tracking.open_store(tmp_path / "one", experiment="a")).empty
    assert first.uri != second.uri


def test_a_store_is_still_created_when_the_cache_cannot_be_written(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    store = tracking.open_store(tmp_path / "ws", experiment="a")
    tracking.log_run(name="r", params={}, metrics={"m": 1.0}, data=pd.DataFrame({"a": [1]}), store=store)
    assert list(tracking.compare_runs(store=store).index) == ["r"]


def test_a_sweep_trains_each_distinct_model_once_and_records_every_trial(store):
    trials = [
        {"kind": "random_forest", "max_depth": 3, "threshold": 0.5},
        {"kind": "random_forest", "max_depth": 3, "threshold": 0.3},
        {"kind": "random_forest", "max_depth": 4, "threshold": 0.5},
    ]
    runs = tracking.log_sweep(SMALL, trials, prefix="t", user="ana", store=store)
    assert list(runs) == ["t-1", "t-2", "t-3"]
    assert runs["t-1"].model is runs["t-2"].model and runs["t-3"].model is not runs["t-1"].model
    assert all(run.model_uri is None for run in runs.values())
    table = tracking.compare_runs(store=store)
    assert list(table.index) == ["t-1", "t-2", "t-3"] and set(table["user"]) == {"ana"}
    assert list(table["threshold"]) == [0.5, 0.3, 0.5]
    assert table.loc["t-2", "false_alarms"] > table.loc["t-1", "false_alarms"]
    # sharing the model changes nothing: each trial still rebuilds from its own recorded recipe
    assert tracking.reproduce_run("t-2", store=store).reproduced


def test_recipe_data_hands_out_copies_of_the_cached_customers():
    train, _ = tracking.recipe_data(SMALL)
    train["tenure_months"] = -1
    again, _ = tracking.recipe_data(SMALL)
    assert (again["tenure_months"] >= 0).all()


def test_registry_functions_act_on_the_store_they_are_given_not_the_last_one_opened(store, tmp_path):
    tracking.train_and_log(SMALL, name="lr", log_model=True, store=store)
    other = tracking.open_store(tmp_path / "other", experiment="tests")  # opened last: the default from now on
    assert tracking.current_store() is other
    registry.register_model("lr", name="churn", alias="champion", store=store)
    assert registry.registry_table("churn", store=store).to_dict("index") == {1: {"run": "lr", "aliases": "champion"}}
    assert registry.model_version("churn", alias="champion", store=store).run == "lr"
    assert registry.load_model("churn", alias="champion", store=store) is not None
    assert registry.registry_table("churn", store=other).empty
    with pytest.raises(KeyError, match="no run named 'lr'"):
        tracking.find_run("lr", store=other)


def test_without_an_open_store_the_default_store_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(tracking, "_opened", None)
    with pytest.raises(RuntimeError, match=r"call tracking.open_store\(workspace\) first"):
        registry.registry_table("churn")


def test_compare_runs_keeps_mlflows_gaps_and_light_runs_go_to_their_store(store):
    tracking.log_light_run(name="a", params={"x": 1}, metrics={"m": 0.5}, tags={"t": "1"}, store=store)
    tracking.log_light_run(name="b", params={"y": "two"}, metrics={}, tags={}, store=store)
    import mlflow

    ours = tracking._runs_frame(store, filter_string="")
    theirs = mlflow.search_runs(experiment_ids=[store.experiment_id], order_by=["attributes.start_time ASC"])
    pd.testing.assert_frame_equal(ours, theirs[list(ours.columns)])
    table = tracking.compare_runs(store=store)
    assert list(table.index) == ["a", "b"] and table.loc["a", "m"] == 0.5 and pd.isna(table.loc["b", "m"])
    assert tracking.finished_run_count(store.uri) == 2


def test_no_private_mlflow_names_and_no_per_call_output_toggles():
    source = (ROOT / "mlops_lab" / "tracking.py").read_text(encoding="utf-8")
    for forbidden in ("_get_experiment_id", "MLFLOW_LOGGING_STREAM", "catch_warnings", "mlflow.register_model("):
        assert forbidden not in source, forbidden


def test_a_kernel_that_skips_its_final_collection_still_folds_the_tracking_log_into_the_store(tmp_path):
    import subprocess
    import sys

    code = f"""
from mlops_lab import tracking
from mlops_lab.environment import configure_kernel
configure_kernel()
store = tracking.open_store({str(tmp_path)!r})
tracking.log_light_run(name="kept", params={{}}, metrics={{"m": 1.0}}, tags={{}}, store=store)
"""
    local = {key: value for key, value in os.environ.items() if key != "MLFLOW_TRACKING_URI"}
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300, env=local)
    database = tmp_path / tracking.STORE_FILE
    assert database.exists() and not database.with_name(f"{tracking.STORE_FILE}-wal").exists()
    assert tracking.finished_run_count(tracking.tracking_uri(tmp_path)) == 1


def test_the_workspace_connection_hook_leaves_a_file_that_is_no_database_to_sqlites_own_error(tmp_path):
    """An error raised in the hook would make MLflow retry creating its engine for 100 s instead of failing."""
    import sqlite3

    path = tmp_path / tracking.STORE_FILE
    path.write_text("not a database")
    connection = sqlite3.connect(path)
    try:
        tracking._fast_commits(connection, object())
        with pytest.raises(sqlite3.DatabaseError, match="not a database"):
            connection.execute("SELECT name FROM sqlite_master")
    finally:
        connection.close()
