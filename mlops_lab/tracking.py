"""Experiment tracking with MLflow, on a local SQLite store by default.

Every run records what a team needs a month later: parameters, metrics, who ran it, the
fingerprint of the data it trained on and the version of the code. The model registry, which
names a run's model and moves aliases, is :mod:`mlops_lab.registry`, on the same store.

The store
    :func:`open_store` points MLflow at ``sqlite:///<workspace>/mlflow.db`` (one store per
    workspace folder, created on first use, artifacts in ``<workspace>/mlartifacts``), or
    at ``$MLFLOW_TRACKING_URI`` when it is set, so a class can share one MLflow server.
    A new store is a copy of an empty database cached per MLflow version (building the
    schema from scratch takes over a second). Commits go to a write-ahead log without waiting
    for the disk at each one (see :func:`_register_fast_commits`).
    Telemetry is off and MLflow's info lines are quieted (set once per process). It returns a
    :class:`TrackingStore`, whose ``client`` (an ``MlflowClient`` on that store) every function
    here reads and writes through; it also makes the experiment the active one, so plain
    ``mlflow.*`` calls log into it too. Functions take ``store=``; left out, it is the store
    :func:`open_store` opened last (:func:`current_store`).

Logging runs
    :func:`log_run` logs one run: params, metrics, the data fingerprint(s), the code
    version, the user, tags and (optionally) the model in skops format.
    :func:`outcome_metrics` computes what a churn run records (holdout metrics plus the
    counts of missed churners and false alarms, from which any business cost follows).
    :func:`train_and_log` trains from a *recipe* (a dict of plain values: data seed, months,
    model kind, hyperparameters, threshold) and logs the recipe as the run's params;
    :func:`log_sweep` logs a list of trials, training each distinct model once;
    :func:`reproduce_run` rebuilds a model from a run's recorded recipe and compares.

Comparing and choosing
    :func:`compare_runs` returns the runs as a table (one row per run name, the latest if a
    name was logged twice; no run ids) and :func:`runs_summary` counts its runs and versions;
    :func:`find_run` fetches one MLflow run by name. Choosing among them is
    :mod:`mlops_lab.run_comparison`, whose functions are here under the same names:
    :func:`plot_runs` draws a parameter or metric against another; :func:`best_run` picks by
    a metric, :func:`best_by_cost` by a business cost computed from the logged counts
    (:func:`business_costs` gives every run's cost); :func:`runs_by_user` says who ran what.
    What a learner reads takes a ``language`` ("en" or "es").

Example::

    store = open_store(workspace, experiment="churn")
    run = train_and_log({"kind": "random_forest", "max_depth": 6}, name="rf-1", user="ana", log_model=True)
    table = compare_runs(store=store)
    best = best_by_cost(table, missed_churner_cost=100, false_alarm_cost=10).run
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import threading
import warnings
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_lab import model_files
from mlops_lab.data import DataSettings
from mlops_lab.environment import configure_offline, open_workspace
from mlops_lab.i18n import translate

# Choosing among runs lives in run_comparison; notebooks call it here, next to the runs it compares.
from mlops_lab.run_comparison import Choice as Choice
from mlops_lab.run_comparison import best_by_cost as best_by_cost
from mlops_lab.run_comparison import best_run as best_run
from mlops_lab.run_comparison import business_costs as business_costs
from mlops_lab.run_comparison import plot_runs as plot_runs
from mlops_lab.run_comparison import runs_by_user as runs_by_user

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient
    from sklearn.pipeline import Pipeline


STORE_FILE = "mlflow.db"
ARTIFACTS_FOLDER = "mlartifacts"
DEFAULT_EXPERIMENT = "mlops-lab"
MODEL_ARTIFACT = "model"
# The modules whose source is "the code" of a churn run (see code_version).
CODE_MODULES: tuple[str, ...] = ("mlops_lab.data", "mlops_lab.training")
# Tags every run of log_run carries.
FINGERPRINT_TAG = "data_fingerprint"
CODE_VERSION_TAG = "code_version"
USER_TAG = "mlflow.user"
# The recipe keys that describe the data, and the DataSettings knob each one sets.
RECIPE_DATA_KNOBS: dict[str, str] = {
    "data_seed": "seed",
    "n_months": "n_months",
    "customers_per_month": "customers_per_month",
}
_DATA = DataSettings()
# Recipe keys train_and_log understands; anything else is a model hyperparameter. A recipe's
# world is smaller than the generator's default (500 customers a month) so that a sweep trains quickly.
RECIPE_DEFAULTS: dict[str, Any] = {
    "data_seed": _DATA.seed,
    "n_months": _DATA.n_months,
    "customers_per_month": 500,
    "train_months": 9,
    "train_from_month": 0,
    "kind": "logistic_regression",
    "seed": 0,
    "threshold": 0.5,
}


_OUTPUT_SETTINGS_LOCK = threading.Lock()
_output_configured = False


def _configure_output() -> None:
    """Quiet MLflow and its database libraries, once per process (thread-safe).

    Their loggers report errors only and MLflow's warnings are filtered; run links to a
    server's UI are off (``MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT``, one of the settings of
    :func:`mlops_lab.environment.configure_offline`). MLflow's event prints ("Successfully
    registered model ...") never happen: the registry is driven through an ``MlflowClient``,
    which does not print them.
    """
    global _output_configured
    with _OUTPUT_SETTINGS_LOCK:
        if _output_configured:
            return
        for name in ("mlflow", "alembic", "sqlalchemy"):
            logging.getLogger(name).setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", module=r"mlflow(\.|$)")
        _output_configured = True


_FAST_COMMITS_LOCK = threading.Lock()
_fast_commits_registered = False


def _register_fast_commits() -> None:
    """Make every SQLite connection SQLAlchemy opens to a workspace store (a file named
    ``mlflow.db``) use write-ahead logging with ``synchronous=NORMAL``; once per process.

    By default SQLite waits for ``fsync`` at every commit, and MLflow commits once per call:
    about 0.1 s of disk wait per logged run. In WAL mode with ``synchronous=NORMAL`` a commit
    is a write to the ``mlflow.db-wal`` file next to the store and disks are synced at
    checkpoints only. A power cut can lose the last runs but never corrupts the store, and
    readers (the MLflow UI) no longer block the notebook that writes. A new store, copied from
    the empty template, is switched to WAL by its first connection (the mode is kept in the file).
    """
    global _fast_commits_registered
    with _FAST_COMMITS_LOCK:
        if _fast_commits_registered:
            return
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "connect", _fast_commits)
        _fast_commits_registered = True


def _fast_commits(dbapi_connection: Any, connection_record: Any) -> None:
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        files = [row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main"]
        if files and Path(files[0]).name == STORE_FILE:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Closed when the pool drops its entry, or at exit: the last connection to close folds the log into
            # mlflow.db, also in a kernel that skips its final garbage collection.
            weakref.finalize(connection_record, dbapi_connection.close)
    except sqlite3.DatabaseError:  # a store another process holds, or no database (its error comes at the first
        pass  # query; raised in this hook, it would make MLflow retry creating its engine for 100 s)
    finally:
        cursor.close()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def tracking_uri(workspace: str | os.PathLike[str] | None = None) -> str:
    """``$MLFLOW_TRACKING_URI`` if set (a shared server), else the SQLite store of ``workspace``."""
    shared = os.environ.get("MLFLOW_TRACKING_URI")
    if shared:
        return shared
    return f"sqlite:///{(open_workspace(workspace) / STORE_FILE).resolve()}"


@dataclass(frozen=True)
class TrackingStore:
    """Where runs go: a tracking URI and the experiment runs are grouped under."""

    uri: str
    experiment: str
    experiment_id: str
    artifact_location: str

    @property
    def is_local(self) -> bool:
        return self.uri.startswith("sqlite:")

    @functools.cached_property
    def client(self) -> MlflowClient:
        """An ``MlflowClient`` on this store's tracking and registry URI: every call through it acts
        on this store, whatever MLflow's process-wide settings say."""
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def __repr__(self) -> str:
        return f"TrackingStore(experiment={self.experiment!r}, uri={self.uri!r})"

    def summary(self, *, language: str = "en") -> str:
        """Which experiment runs go to, and whether the store is this workspace's file or a shared server."""
        if self.is_local:
            return translate("experiment {name!r} in a local SQLite store", language=language, name=self.experiment)
        return translate("experiment {name!r} in a shared store", language=language, name=self.experiment)


def _empty_store_template() -> Path | None:
    """An empty MLflow database at the installed MLflow's schema, built once per MLflow version.

    Building the schema runs every MLflow migration (over a second); a new workspace copies
    this file instead (milliseconds). It lives in the user's cache folder
    (``$XDG_CACHE_HOME/mlops-lab``, else ``~/.cache/mlops-lab``); deleting it is harmless.
    None when that folder cannot be written: MLflow then builds the store itself.
    """
    import mlflow
    from mlflow import MlflowClient

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlops-lab"
    template = cache / f"mlflow-{mlflow.__version__}-empty.db"
    if not template.exists():
        building = cache / f".{template.name}.{os.getpid()}.tmp"
        try:
            cache.mkdir(parents=True, exist_ok=True)
            MlflowClient(tracking_uri=f"sqlite:///{building}").search_experiments(max_results=1)
            os.replace(building, template)
        except OSError:
            return None
    return template


def open_store(
    workspace: str | os.PathLike[str] | None = None, *, experiment: str = DEFAULT_EXPERIMENT
) -> TrackingStore:
    """Point MLflow at the workspace's store (created on first use) and activate ``experiment``.

    With ``$MLFLOW_TRACKING_URI`` set (a shared server), runs go there and artifacts to
    wherever that server keeps them. Safe to call from several processes at once.
    """
    configure_offline()
    import mlflow

    _configure_output()
    shared = os.environ.get("MLFLOW_TRACKING_URI")
    uri = tracking_uri(workspace)
    local = uri.startswith("sqlite:///")
    if local:
        _register_fast_commits()
    folder = open_workspace(workspace).resolve()
    mlflow.set_tracking_uri(uri)
    if not shared:
        # set_tracking_uri also exports the URI to subprocesses, but a workspace store belongs
        # to this process: a child (a notebook kernel, a pipeline step) opens its own workspace.
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    database = Path(uri.removeprefix("sqlite:///"))
    lock = _file_lock(database.with_name(f".{database.name}.lock")) if local else contextlib.nullcontext()
    # Creating the tables and the experiment is not atomic in MLflow: serialise it so two
    # processes opening a fresh store at once do not both try.
    with lock:
        template = _empty_store_template() if local and not database.exists() else None
        if template:
            shutil.copyfile(template, database)
        found = mlflow.get_experiment_by_name(experiment)
        if found is None:
            location = (folder / ARTIFACTS_FOLDER / experiment).as_uri() if local else None
            experiment_id = mlflow.create_experiment(experiment, artifact_location=location)
            found = mlflow.get_experiment(experiment_id)
        mlflow.set_experiment(experiment_id=found.experiment_id)
    store = TrackingStore(
        uri=uri, experiment=experiment, experiment_id=found.experiment_id, artifact_location=found.artifact_location
    )
    global _opened
    _opened = store
    return store


# The store open_store opened last in this process: what ``store=None`` means (see current_store).
_opened: TrackingStore | None = None


def current_store(store: TrackingStore | None = None) -> TrackingStore:
    """``store`` itself, or else the one :func:`open_store` opened last in this process.

    Every function of this module that reads or writes runs or the registry takes ``store=``
    and acts through its :attr:`TrackingStore.client`; leaving it out means this store.
    """
    if store is not None:
        return store
    if _opened is None:
        raise RuntimeError("no tracking store is open: call tracking.open_store(workspace) first")
    return _opened


def code_version(modules: tuple[str, ...] = CODE_MODULES) -> str:
    """A short hash of the source of ``modules``: it changes exactly when that code changes.

    Unlike a git commit it also covers uncommitted edits, which is what a notebook session
    usually runs.
    """
    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ValueError(f"cannot find the source of module {name!r}")
        digest.update(name.encode())
        digest.update(Path(spec.origin).read_bytes())
    return digest.hexdigest()[:12]


def pip_requirements() -> list[str]:
    """Pinned requirements of a churn model; given to log_model so MLflow need not infer them."""
    from importlib import metadata

    return [f"{name}=={metadata.version(name)}" for name in ("scikit-learn", "skops", "numpy", "pandas")]


def outcome_metrics(model: Pipeline, test: pd.DataFrame, *, threshold: float = 0.5) -> dict[str, float]:
    """What a churn run records: holdout metrics plus missed churners, false alarms and test rows.

    The counts let any business cost be computed later from the store alone, whatever the
    prices (see :func:`best_by_cost`).
    """
    from mlops_lab.data import FEATURES, TARGET
    from mlops_lab.row_scoring import predict_proba
    from mlops_lab.training import count_outcomes, evaluate_probabilities

    # One prediction of the test rows serves both the metrics and the counts.
    truth, proba = test[TARGET].to_numpy(), predict_proba(model, test[list(FEATURES)])[:, 1]
    metrics: dict[str, float] = dict(evaluate_probabilities(truth, proba, threshold=threshold).as_dict())
    counted = count_outcomes(truth, proba >= threshold)
    metrics["missed_churners"] = counted.missed_churners
    metrics["false_alarms"] = counted.false_alarms
    metrics["test_rows"] = len(test)
    return metrics


@dataclass(frozen=True)
class LoggedRun:
    """A run as :func:`log_run` left it: its name, metrics, and where its model went."""

    name: str
    run_id: str
    metrics: dict[str, float]
    data_fingerprint: str
    code_version: str
    model_uri: str | None = None
    # The trained model, in memory: a run logged without its model can still have it logged later.
    model: Pipeline | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.metrics.items())
        model = ", model logged" if self.model_uri else ""
        return f"LoggedRun({self.name!r}: {shown}; data {self.data_fingerprint}{model})"


def log_run(
    *,
    name: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    data: pd.DataFrame | Mapping[str, pd.DataFrame],
    model: Pipeline | None = None,
    user: str | None = None,
    tags: Mapping[str, str] | None = None,
    store: TrackingStore | None = None,
) -> LoggedRun:
    """Log one run with everything needed to answer questions about it later.

    ``data`` is the training frame (or ``{"train": ..., "test": ...}``); its fingerprint
    becomes the ``data_fingerprint`` tag (``data_fingerprint_<key>`` for each extra frame).
    ``user`` sets ``mlflow.user`` (MLflow otherwise records the login name). ``model`` is
    logged in skops format with pinned requirements. ``store`` defaults to the active one.
    """
    import mlflow

    from mlops_lab.data import fingerprint

    frames = {"train": data} if not isinstance(data, Mapping) else dict(data)
    if "train" not in frames:
        raise ValueError("data must be the training frame or a mapping with a 'train' frame")
    prints = {key: fingerprint(frame) for key, frame in frames.items()}
    version = code_version()
    run_tags = {FINGERPRINT_TAG: prints["train"], CODE_VERSION_TAG: version}
    run_tags.update({f"{FINGERPRINT_TAG}_{key}": value for key, value in prints.items() if key != "train"})
    if user:
        run_tags[USER_TAG] = user
    run_tags.update(tags or {})
    experiment_id = store.experiment_id if store else None
    model_uri = None
    # The tags go in with the run and params and metrics in one batch: three writes to the store, not five.
    with mlflow.start_run(run_name=name, experiment_id=experiment_id, tags=run_tags) as run:
        _log_values(run.info.run_id, params=params, metrics=metrics)
        if model is not None:
            info = mlflow.sklearn.log_model(
                model,
                name=MODEL_ARTIFACT,
                serialization_format="skops",
                skops_trusted_types=list(model_files.TRUSTED_TYPES),
                pip_requirements=pip_requirements(),
            )
            model_uri = info.model_uri
    return LoggedRun(
        name=name,
        run_id=run.info.run_id,
        metrics={k: float(v) for k, v in metrics.items()},
        data_fingerprint=prints["train"],
        code_version=version,
        model_uri=model_uri,
        model=model,
    )


def _log_values(run_id: str, *, params: Mapping[str, Any], metrics: Mapping[str, float]) -> None:
    """What ``mlflow.log_params`` and ``mlflow.log_metrics`` log (values as strings, metrics at step 0 with
    the current time), in one write, through the client of MLflow's current tracking URI as they do."""
    import time

    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    now = int(time.time() * 1000)
    MlflowClient().log_batch(
        run_id,
        metrics=[Metric(key, float(value), now, 0) for key, value in metrics.items()],
        params=[Param(key, str(value)) for key, value in params.items()],
    )


def log_light_run(
    *,
    name: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    tags: Mapping[str, str],
    store: TrackingStore | None = None,
) -> str:
    """Log one run without a model file in a single batched write; returns its run id.

    For code that logs many runs whose tags (data fingerprints, code version) it already knows:
    a study's trials, a simulation's retrains. Written through the store's client only.
    """
    import time

    from mlflow.entities import Metric, Param

    store = current_store(store)
    now = int(time.time() * 1000)
    run = store.client.create_run(store.experiment_id, start_time=now, tags=dict(tags), run_name=name)
    store.client.log_batch(
        run.info.run_id,
        metrics=[Metric(key, float(value), now, 0) for key, value in metrics.items()],
        params=[Param(key, str(value)) for key, value in params.items()],
    )
    store.client.set_terminated(run.info.run_id)
    return run.info.run_id


def _recipe(recipe: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    full = {**RECIPE_DEFAULTS, **recipe}
    hyper = {k: v for k, v in full.items() if k not in RECIPE_DEFAULTS}
    return full, hyper


@functools.lru_cache(maxsize=4)
def _customers(settings: DataSettings) -> pd.DataFrame:
    """``make_customers`` is a pure function of its settings: a sweep regenerates the same frame
    for every trial, so keep the last few (callers get a copy)."""
    from mlops_lab.data import make_customers

    return make_customers(settings)


def recipe_data(recipe: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The train and test frames a recipe describes (regenerated from its seed: same recipe, same data).

    The first ``train_months`` months train and the rest test; ``train_from_month`` drops
    the oldest training months (a "recent data only" subset) and leaves the test set alone.
    """
    from mlops_lab.data import TIME_COLUMN, split_by_month

    full, _ = _recipe(recipe)
    settings = DataSettings(**{knob: int(full[key]) for key, knob in RECIPE_DATA_KNOBS.items()})
    customers = _customers(settings).copy()
    train, test = split_by_month(customers, train_months=int(full["train_months"]))
    start = int(full["train_from_month"])
    if not 0 <= start < int(full["train_months"]):
        raise ValueError(f"train_from_month must be between 0 and {int(full['train_months']) - 1}, got {start}")
    if start:
        first = sorted(train[TIME_COLUMN].unique())[start]
        train = train[train[TIME_COLUMN] >= first].reset_index(drop=True)
    return train, test


def train_from_recipe(recipe: Mapping[str, Any]) -> tuple[Pipeline, dict[str, float], pd.DataFrame, pd.DataFrame]:
    """Train and evaluate the model a recipe describes; returns (model, metrics, train, test)."""
    from mlops_lab.training import train_model

    full, hyper = _recipe(recipe)
    train, test = recipe_data(full)
    model = train_model(train, kind=full["kind"], params=hyper, seed=int(full["seed"]))
    return model, outcome_metrics(model, test, threshold=float(full["threshold"])), train, test


def train_and_log(
    recipe: Mapping[str, Any],
    *,
    name: str,
    user: str | None = None,
    log_model: bool = False,
    omit: tuple[str, ...] = (),
    store: TrackingStore | None = None,
    trained: Pipeline | None = None,
) -> LoggedRun:
    """Train from ``recipe`` and log a run whose params are the full recipe.

    Recipe keys: those of :data:`RECIPE_DEFAULTS` (missing ones take the defaults) plus
    any model hyperparameters (``C``, ``max_depth``, ...). ``omit`` leaves recipe keys out
    of the logged params, to show what a rebuild misses when something was not recorded.
    ``trained``: a model already fitted on this recipe's data and hyperparameters (only the
    threshold may differ), evaluated and logged instead of training again.
    """
    unknown = sorted(set(omit) - set({**RECIPE_DEFAULTS, **recipe}))
    if unknown:
        raise ValueError(f"cannot omit {unknown}: not in the recipe")
    full, _ = _recipe(recipe)
    if trained is None:
        model, metrics, train, test = train_from_recipe(full)
    else:
        model = trained
        train, test = recipe_data(full)
        metrics = outcome_metrics(model, test, threshold=float(full["threshold"]))
    params = {k: v for k, v in full.items() if k not in omit}
    logged = log_run(
        name=name,
        params=params,
        metrics=metrics,
        data={"train": train, "test": test},
        model=model if log_model else None,
        user=user,
        store=store,
    )
    return replace(logged, model=model)


def log_sweep(
    base: Mapping[str, Any],
    trials: list[Mapping[str, Any]],
    *,
    prefix: str = "trial",
    user: str | None = None,
    store: TrackingStore | None = None,
) -> dict[str, LoggedRun]:
    """Log one run per trial (``{**base, **trial}``), named ``<prefix>-1``, ``<prefix>-2``...

    Trials that differ only in their threshold share one trained model: the threshold turns
    probabilities into decisions after training, so it changes the metrics, not the model.
    No model files are logged; each :class:`LoggedRun` keeps its model in memory, so the
    runs worth keeping can get theirs logged afterwards.
    """
    trained: dict[str, Pipeline] = {}
    runs: dict[str, LoggedRun] = {}
    for number, trial in enumerate(trials, start=1):
        full, _ = _recipe({**base, **trial})
        key = json.dumps({k: v for k, v in full.items() if k != "threshold"}, sort_keys=True, default=str)
        name = f"{prefix}-{number}"
        runs[name] = train_and_log(full, name=name, user=user, store=store, trained=trained.get(key))
        trained.setdefault(key, runs[name].model)
    return runs


def find_run(name: str, *, store: TrackingStore | None = None) -> Any:
    """The MLflow run called ``name`` in the store's experiment; the latest if several."""
    store = current_store(store)
    escaped = name.replace("'", "\\'")
    runs = store.client.search_runs(
        [store.experiment_id],
        filter_string=f"attributes.run_name = '{escaped}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if not runs:
        raise KeyError(f"no run named {name!r} in this experiment")
    return runs[0]


def finished_run_count(uri: str) -> int:
    """How many finished runs (deleted ones included) a tracking store holds, in all its experiments."""
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    _configure_output()
    client = MlflowClient(tracking_uri=uri)
    experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    count, token = 0, None
    while experiments:
        page = client.search_runs(
            experiments, filter_string="attributes.status = 'FINISHED'", run_view_type=ViewType.ALL, page_token=token
        )
        count += len(page)
        token = page.token
        if not token:
            break
    return count


def _parse_param(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def recorded_recipe(run_name: str, *, store: TrackingStore | None = None) -> dict[str, Any]:
    """The params a run recorded, with numbers turned back into numbers."""
    return {k: _parse_param(v) for k, v in find_run(run_name, store=store).data.params.items()}


@dataclass(frozen=True)
class Reproduction:
    """The outcome of rebuilding a run's model from what the run recorded."""

    run: str
    missing: tuple[str, ...]
    data_matches: bool
    recorded: dict[str, float]
    rebuilt: dict[str, float]
    language: str = field(default="en", repr=False, compare=False)

    @property
    def reproduced(self) -> bool:
        return self.data_matches and all(abs(self.rebuilt[k] - v) < 1e-9 for k, v in self.recorded.items())

    def __repr__(self) -> str:
        language = self.language
        lines = [translate("Rebuilding run {run!r} from its recorded params", language=language, run=self.run)]
        if self.missing:
            lines.append(
                "  " + translate("not recorded, defaults used: {keys}", language=language, keys=", ".join(self.missing))
            )
        matches = translate("yes", language=language) if self.data_matches else translate("NO", language=language)
        lines.append("  " + translate("data fingerprint matches: {answer}", language=language, answer=matches))
        for key, value in self.recorded.items():
            same = abs(self.rebuilt[key] - value) < 1e-9
            mark = translate("same", language=language) if same else translate("DIFFERENT", language=language)
            lines.append(
                f"  {key:<10} "
                + translate(
                    "recorded {recorded:.4f}  rebuilt {rebuilt:.4f}",
                    language=language,
                    recorded=value,
                    rebuilt=self.rebuilt[key],
                )
                + f"  {mark}"
            )
        verdict = (
            translate("REPRODUCED", language=language)
            if self.reproduced
            else translate("NOT REPRODUCED", language=language)
        )
        lines.append(f"  {verdict}")
        return "\n".join(lines)


def reproduce_run(
    run_name: str,
    *,
    store: TrackingStore | None = None,
    metrics: tuple[str, ...] = ("roc_auc", "recall"),
    language: str = "en",
) -> Reproduction:
    """Rebuild a :func:`train_and_log` run from its recorded params and compare data and metrics.

    Recipe keys the run did not record fall back to :data:`RECIPE_DEFAULTS` and are
    listed in ``missing``: that is where a rebuild silently goes wrong. The result reads in ``language``.
    """
    from mlops_lab.data import fingerprint

    run = find_run(run_name, store=store)
    recipe = {k: _parse_param(v) for k, v in run.data.params.items()}
    missing = tuple(k for k in RECIPE_DEFAULTS if k not in recipe)
    _, rebuilt, train, _ = train_from_recipe(recipe)
    return Reproduction(
        run=run_name,
        missing=missing,
        data_matches=fingerprint(train) == run.data.tags.get(FINGERPRINT_TAG),
        recorded={k: float(run.data.metrics[k]) for k in metrics},
        rebuilt={k: float(rebuilt[k]) for k in metrics},
        language=language,
    )


def compare_runs(
    *,
    store: TrackingStore | None = None,
    metrics: list[str] | None = None,
    params: list[str] | None = None,
    filter_string: str = "",
    latest_only: bool = True,
    language: str = "en",
) -> pd.DataFrame:
    """The experiment's runs as a table: one row per run (indexed by run name, oldest first).

    Columns: ``user``, the chosen ``params`` and ``metrics`` (all of them by default), the
    data fingerprint and the code version. Run ids and timestamps are left out, so the
    table prints the same every time. A notebook run twice logs every run name twice:
    ``latest_only`` keeps the latest run of each name (the store keeps them all).
    The columns are the names the runs logged, which code looks values up by, in every
    language; only the index's label ("run") is in ``language``.
    """
    import pandas as pd

    raw = _runs_frame(current_store(store), filter_string=filter_string)
    if raw.empty:
        return pd.DataFrame()
    columns: dict[str, pd.Series] = {"user": raw.get(f"tags.{USER_TAG}")}
    param_names = params if params is not None else sorted(c[7:] for c in raw.columns if c.startswith("params."))
    metric_names = metrics if metrics is not None else sorted(c[8:] for c in raw.columns if c.startswith("metrics."))
    for p in param_names:
        values = raw.get(f"params.{p}")
        columns[p] = values.map(lambda v: _parse_param(v) if isinstance(v, str) else v) if values is not None else None
    for m in metric_names:
        columns[m] = raw.get(f"metrics.{m}")
    columns[FINGERPRINT_TAG] = raw.get(f"tags.{FINGERPRINT_TAG}")
    columns[CODE_VERSION_TAG] = raw.get(f"tags.{CODE_VERSION_TAG}")
    table = pd.DataFrame({k: v for k, v in columns.items() if v is not None})
    table.index = pd.Index(raw["tags.mlflow.runName"], name=translate("run", language=language))
    if latest_only:
        table = table[~table.index.duplicated(keep="last")]
    return table


def _runs_frame(store: TrackingStore, *, filter_string: str) -> pd.DataFrame:
    """The experiment's runs, oldest first, read through the store's client, in the columns and with
    the gaps of ``mlflow.search_runs``: ``params.x`` and ``tags.z`` (None where a run has none) and
    ``metrics.y`` (NaN)."""
    import pandas as pd

    runs, token = [], None
    while True:
        page = store.client.search_runs(
            [store.experiment_id], filter_string=filter_string, order_by=["attributes.start_time ASC"], page_token=token
        )
        runs.extend(page)
        token = page.token
        if not token:
            break
    columns: dict[str, list[Any]] = {}
    for kind, gap in (("metrics", float("nan")), ("params", None), ("tags", None)):
        keys = sorted({key for run in runs for key in getattr(run.data, kind)})
        for key in keys:
            columns[f"{kind}.{key}"] = [getattr(run.data, kind).get(key, gap) for run in runs]
    return pd.DataFrame(columns)


def runs_summary(table: pd.DataFrame, *, language: str = "en") -> str:
    """How many runs a :func:`compare_runs` table holds, and how many data and code versions they used."""
    runs = len(table)
    data_versions = table[FINGERPRINT_TAG].nunique()
    code_versions = table[CODE_VERSION_TAG].nunique()
    parts = (
        translate("{n} run", language=language, n=runs)
        if runs == 1
        else translate("{n} runs", language=language, n=runs),
        translate("{n} data version", language=language, n=data_versions)
        if data_versions == 1
        else translate("{n} data versions", language=language, n=data_versions),
        translate("{n} code version", language=language, n=code_versions)
        if code_versions == 1
        else translate("{n} code versions", language=language, n=code_versions),
    )
    return ", ".join(parts)
