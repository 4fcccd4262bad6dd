"""The ML lifecycle as a pipeline: eight plain steps, an in-process runner with caching, and lineage.

The eight steps of the ML lifecycle, each a plain function that reads its input files,
writes its output files and returns :class:`Artifact` records (type, path, content hash, fingerprint):

==================  =================  ==================================  ==============================
lifecycle step      function           inputs -> outputs                   parameters
==================  =================  ==================================  ==============================
data extraction     extract_data       -> snapshot (Dataset)               seed, n_months,
                                                                           customers_per_month,
                                                                           covariate_drift, concept_drift
data analysis       analyze_data       snapshot -> statistics (Statistics)
data preparation    prepare_data       snapshot, statistics -> train,      train_months
                                       test (Dataset)
model training      train_model        train -> model (Model)              model_kind, model_params, seed
model evaluation    evaluate_model     model, test -> metrics (Metrics)    threshold
model validation    validate_model     metrics -> validation               min_roc_auc
                                       (ValidationResult)
model serving       deploy_model       model, validation, test ->
                                       deployment (Deployment)
model monitoring    monitor_model      model, train, test, deployment ->   drift_threshold
                                       report (MonitoringReport)
==================  =================  ==================================  ==============================

:func:`run_pipeline` runs them in order inside the notebook's process::

    run = run_pipeline(workspace, seed=42)                          # PipelineRun
    run.executed, run.cached        # step names that ran / were reused from the cache
    run.metrics                     # {"accuracy": ..., "roc_auc": ..., ...} of the trained model
    run.deployed                    # did model validation approve the model?
    run.artifacts["train_model.model"].path

Pass ``data=frame`` to extract a given data frame (e.g. the months available so far)
instead of generating one; any other keyword is a :class:`PipelineParameters` field.

**Caching.** A step's cache key is the hash of its code version (the hash of the step
function's source), its parameters and the fingerprints of its inputs (a dataset's or
metrics file's content hash; a model's :func:`mlops_lab.model_files.fingerprint`, which is
the same on every processor while the model file's bytes are not). A step whose key
was already executed, with its output files intact, is not run again: the runner records a
``CACHED`` execution pointing at the earlier outputs, as Kubeflow Pipelines and Vertex AI
Pipelines do. So an identical second run executes nothing, and changing one parameter reruns
only the steps downstream of it whose inputs actually changed.

**Lineage.** Every run is recorded in a metadata store that follows the ML Metadata (MLMD)
data model of TFX, Kubeflow and Vertex AI ML Metadata: *artifacts* (files with a type, a
URI and a content hash), *executions* (one per step per run, with state, parameters and
code version), *events* (which execution read or wrote which artifact) and *contexts* (the
pipeline and each of its runs, linked to executions by associations and to artifacts by
attributions). The store is a SQLite file, ``<workspace>/pipeline/metadata.sqlite``:
MLMD's own local back end is SQLite too; it comes with Python; a run is recorded in
transactions, so a crash never leaves half an event graph; and lineage questions are plain
SQL joins. :class:`MetadataStore` answers them: :meth:`MetadataStore.deployed_model`,
:func:`model_lineage` ("what produced the deployed model?") and
:func:`models_from_snapshot` ("which models did this data snapshot feed?").

:func:`draw_pipeline` plots the step graph from :data:`STEPS`, coloured by what a run did.
The same steps as Kubeflow Pipelines components live in :mod:`mlops_lab.kfp_pipeline`.

**Reusing it** (for example at maturity level 1, where the training pipeline is what gets
deployed and reruns on new data)::

    home = workspace / "04_maturity_levels"   # one folder per notebook: run numbers and cache
                                              # hits then never depend on other notebooks
    run = run_pipeline(home, data=months_so_far, train_months=len_months - 1,
                       min_roc_auc=current_auc)   # gate against the model in production
    run.deployed, run.metrics["roc_auc"], run.monitoring["alerts"]
    store = MetadataStore(home)
    store.runs()                  # ["run-1", "run-2", ...]
    store.executions_table()      # run, step, state, code_version, cache_key
    store.summary()               # record counts per MLMD kind
    model_lineage(home)           # question -> answer table for the deployed model
    steps_affected_by("seed")     # the steps a parameter change can rerun

The validation gate compares with fixed numbers (``min_roc_auc``) and the no-ML baseline,
never with hidden state, so a step's output depends only on its inputs and caching stays
correct; to gate against the deployed model, pass its ROC AUC as ``min_roc_auc``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_lab import training
from mlops_lab.data import (
    CATEGORICAL_FEATURES,
    CATEGORIES,
    FEATURES,
    NUMERIC_FEATURES,
    TARGET,
    TIME_COLUMN,
    VALID_RANGES,
    DataSettings,
)
from mlops_lab.environment import open_workspace
from mlops_lab.errors import PipelineStepError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes


PIPELINE_NAME = "churn-lifecycle"
PIPELINE_DIR = "pipeline"
METADATA_FILE = "metadata.sqlite"
ENDPOINT = "local/churn-endpoint"


# The data knobs a pipeline run can change (declared in data.DataSettings; the others keep their defaults there).
# extract_data spells their defaults out: a step's source is its cache key (and notebook 03 shows its hash), so
# tests/test_pipeline.py checks that they agree with DataSettings instead.
PIPELINE_DATA_KNOBS: tuple[str, ...] = ("seed", "n_months", "customers_per_month", "covariate_drift", "concept_drift")
_DATA = DataSettings()


@dataclass(frozen=True)
class Artifact:
    """A file a step wrote: its ML Metadata type, where it is, a hash of its bytes and the fingerprint that names it.

    ``content_hash`` is the SHA-256 of the exact bytes: it detects a file edited since, on this
    machine. ``fingerprint`` names the content on any machine: for datasets, statistics and
    metrics (written with rounded numbers) it is the same hash; for a model it is
    :func:`mlops_lab.model_files.fingerprint`, because a model file's bytes hold floats whose
    last bits depend on the processor.
    """

    name: str
    type: str
    path: Path
    content_hash: str
    fingerprint: str

    def read_json(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))

    def __repr__(self) -> str:
        if self.fingerprint == self.content_hash:
            return f"Artifact({self.type} {self.name!r}, sha256 {self.content_hash})"
        return f"Artifact({self.type} {self.name!r}, fingerprint {self.fingerprint}, file sha256 {self.content_hash})"


def content_hash(path: str | os.PathLike[str]) -> str:
    """The first 12 hex digits of the SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def _artifact(name: str, type_: str, path: str | os.PathLike[str], *, fingerprint: str | None = None) -> Artifact:
    digest = content_hash(path)
    return Artifact(name=name, type=type_, path=Path(path), content_hash=digest, fingerprint=fingerprint or digest)


def artifact_fingerprint(path: str | os.PathLike[str], type_: str) -> str:
    """The fingerprint of an artifact file: a model's parameter fingerprint, else the hash of its bytes."""
    from mlops_lab.model_files import file_fingerprint

    return file_fingerprint(path) if type_ == "Model" else content_hash(path)


def _write_json(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _write_frame(path: str | os.PathLike[str], frame: pd.DataFrame) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")


def read_dataset(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a Dataset artifact written by :func:`extract_data` or :func:`prepare_data`."""
    import pandas as pd

    return pd.read_csv(path, parse_dates=[TIME_COLUMN])


# --- the eight lifecycle steps ------------------------------------------------------------------


def extract_data(
    snapshot: str | os.PathLike[str],
    *,
    seed: int = 0,
    n_months: int = 12,
    customers_per_month: int = 1000,
    covariate_drift: float = 0.0,
    concept_drift: float = 0.0,
    source: pd.DataFrame | None = None,
) -> Artifact:
    """Data extraction: write a snapshot of the customer data (generated from the seed, or ``source``)."""
    from mlops_lab.data import make_customers

    if source is None:
        source = make_customers(
            n_months=n_months,
            customers_per_month=customers_per_month,
            seed=seed,
            covariate_drift=covariate_drift,
            concept_drift=concept_drift,
        )
    _write_frame(snapshot, source)
    return _artifact("snapshot", "Dataset", snapshot)


def describe_statistics(statistics: Artifact) -> pd.DataFrame:
    """The numeric columns' statistics from :func:`analyze_data`, one row per feature."""
    import pandas as pd

    numeric = statistics.read_json()["numeric"]
    columns = ["min", "mean", "max", "missing", "out_of_range"]
    return pd.DataFrame(
        [{"feature": name, **{c: numeric[name][c] for c in columns}} for name in NUMERIC_FEATURES if name in numeric]
    ).set_index("feature")


def analyze_data(snapshot: str | os.PathLike[str], statistics: str | os.PathLike[str]) -> Artifact:
    """Data analysis: statistics of every column and the schema (ranges, categories) the data must keep."""
    frame = read_dataset(snapshot)
    missing_columns = sorted((set(FEATURES) | {TARGET}) - set(frame.columns))
    if missing_columns:
        raise ValueError(f"the snapshot lacks column(s) {missing_columns}")
    numeric = {
        column: {
            "min": round(float(frame[column].min()), 4),
            "max": round(float(frame[column].max()), 4),
            "mean": round(float(frame[column].mean()), 4),
            "missing": int(frame[column].isna().sum()),
            "out_of_range": int((~frame[column].between(*VALID_RANGES[column]) & frame[column].notna()).sum()),
        }
        for column in NUMERIC_FEATURES
    }
    categorical = {
        column: {
            "shares": {
                k: round(float(v), 4) for k, v in frame[column].value_counts(normalize=True).sort_index().items()
            },
            "missing": int(frame[column].isna().sum()),
            "unseen": int((~frame[column].isin(CATEGORIES[column]) & frame[column].notna()).sum()),
        }
        for column in CATEGORICAL_FEATURES
    }
    _write_json(
        statistics,
        {
            "rows": len(frame),
            "months": sorted(frame[TIME_COLUMN].dt.strftime("%Y-%m").unique().tolist()),
            "churn_rate": round(float(frame[TARGET].mean()), 4),
            "numeric": numeric,
            "categorical": categorical,
            "schema": {
                "ranges": {c: list(VALID_RANGES[c]) for c in NUMERIC_FEATURES},
                "categories": {c: list(CATEGORIES[c]) for c in CATEGORICAL_FEATURES},
            },
        },
    )
    return _artifact("statistics", "Statistics", statistics)


def prepare_data(
    snapshot: str | os.PathLike[str],
    statistics: str | os.PathLike[str],
    train: str | os.PathLike[str],
    test: str | os.PathLike[str],
    *,
    train_months: int = 9,
) -> tuple[Artifact, Artifact]:
    """Data preparation: drop rows that break the schema found in analysis, then split by time."""
    from mlops_lab.data import split_by_month

    frame = read_dataset(snapshot)
    schema = json.loads(Path(statistics).read_text(encoding="utf-8"))["schema"]
    keep = frame[TARGET].notna()
    for column, (low, high) in schema["ranges"].items():
        keep &= frame[column].isna() | frame[column].between(low, high)
    for column, allowed in schema["categories"].items():
        keep &= frame[column].isin(allowed)
    train_frame, test_frame = split_by_month(frame[keep].reset_index(drop=True), train_months=train_months)
    _write_frame(train, train_frame)
    _write_frame(test, test_frame)
    return _artifact("train", "Dataset", train), _artifact("test", "Dataset", test)


def train_model(
    train: str | os.PathLike[str],
    model: str | os.PathLike[str],
    *,
    model_kind: str = "logistic_regression",
    model_params: dict[str, Any] | None = None,
    seed: int = 0,
) -> Artifact:
    """Model training: fit the churn model on the training split and save it with skops."""
    from mlops_lab.model_files import fingerprint, save_model

    fitted = training.train_model(read_dataset(train), kind=model_kind, params=model_params, seed=seed)
    save_model(fitted, model)
    return _artifact("model", "Model", model, fingerprint=fingerprint(fitted))


def _baseline_scores(frame: pd.DataFrame) -> Any:
    # The rule a team would use without ML: every month-to-month customer is at risk.
    return (frame["contract"] == "month-to-month").astype(int).to_numpy()


def evaluate_model(
    model: str | os.PathLike[str],
    test: str | os.PathLike[str],
    metrics: str | os.PathLike[str],
    *,
    threshold: float = 0.5,
) -> Artifact:
    """Model evaluation: holdout metrics of the model and of a no-ML baseline rule on the test split."""
    from sklearn.metrics import accuracy_score, roc_auc_score

    from mlops_lab.model_files import load_model

    frame = read_dataset(test)
    evaluation = training.evaluate_model(load_model(model), frame, threshold=threshold)
    baseline = _baseline_scores(frame)
    _write_json(
        metrics,
        {
            "model": {**evaluation.as_dict(), "n_rows": evaluation.n_rows},
            "baseline": {
                "rule": "contract == month-to-month",
                "accuracy": round(float(accuracy_score(frame[TARGET], baseline)), 4),
                "roc_auc": round(float(roc_auc_score(frame[TARGET], baseline)), 4),
            },
            "threshold": threshold,
        },
    )
    return _artifact("metrics", "Metrics", metrics)


def validate_model(
    metrics: str | os.PathLike[str], validation: str | os.PathLike[str], *, min_roc_auc: float = 0.7
) -> Artifact:
    """Model validation: is the model good enough to deploy (a minimum ROC AUC, and better than the baseline)?"""
    scores = json.loads(Path(metrics).read_text(encoding="utf-8"))
    auc, baseline_auc = scores["model"]["roc_auc"], scores["baseline"]["roc_auc"]
    checks = [
        {"check": f"roc_auc {auc:.4f} >= {min_roc_auc:.4f}", "passed": auc >= min_roc_auc},
        {"check": f"roc_auc {auc:.4f} > baseline {baseline_auc:.4f}", "passed": auc > baseline_auc},
    ]
    _write_json(validation, {"approved": all(c["passed"] for c in checks), "checks": checks})
    return _artifact("validation", "ValidationResult", validation)


def deploy_model(
    model: str | os.PathLike[str],
    validation: str | os.PathLike[str],
    test: str | os.PathLike[str],
    deployment: str | os.PathLike[str],
) -> Artifact:
    """Model serving: deploy an approved model to the (local) endpoint and smoke-test a few requests.

    The deployment names the model by its fingerprint, not its file hash, so the record (and
    everything downstream of it) is the same on every processor.
    """
    from mlops_lab.model_files import fingerprint, load_model

    decision = json.loads(Path(validation).read_text(encoding="utf-8"))
    fitted = load_model(model)
    record: dict[str, Any] = {"deployed": decision["approved"], "endpoint": ENDPOINT, "model": fingerprint(fitted)}
    if decision["approved"]:
        requests = read_dataset(test).head(3)
        probabilities = fitted.predict_proba(requests[list(FEATURES)])[:, 1]
        record["smoke_test"] = [round(float(p), 4) for p in probabilities]
    else:
        failed = [c["check"] for c in decision["checks"] if not c["passed"]]
        record["reason"] = "validation failed: " + "; ".join(failed)
    _write_json(deployment, record)
    return _artifact("deployment", "Deployment", deployment)


def monitor_model(
    model: str | os.PathLike[str],
    train: str | os.PathLike[str],
    test: str | os.PathLike[str],
    deployment: str | os.PathLike[str],
    report: str | os.PathLike[str],
    *,
    drift_threshold: float = 0.3,
) -> Artifact:
    """Model monitoring: drift of the latest month's features from training, and how the model does on it."""
    from sklearn.metrics import roc_auc_score

    from mlops_lab.model_files import load_model
    from mlops_lab.monitoring import detect_skew

    record = json.loads(Path(deployment).read_text(encoding="utf-8"))
    if not record["deployed"]:
        _write_json(report, {"monitored": False, "reason": "no model was deployed"})
        return _artifact("report", "MonitoringReport", report)
    reference, serving = read_dataset(train), read_dataset(test)
    serving = serving[serving[TIME_COLUMN] == serving[TIME_COLUMN].max()]
    skew = detect_skew(reference, serving, features=FEATURES, thresholds=drift_threshold)
    drift = {feature.feature: round(feature.distance, 4) for feature in skew.features}
    probabilities = load_model(model).predict_proba(serving[list(FEATURES)])[:, 1]
    _write_json(
        report,
        {
            "monitored": True,
            "month": serving[TIME_COLUMN].max().strftime("%Y-%m"),
            "drift": drift,
            "drift_threshold": drift_threshold,
            "alerts": sorted(skew.alerts),
            "predicted_churn_rate": round(float(probabilities.mean()), 4),
            "actual_churn_rate": round(float(serving[TARGET].mean()), 4),
            "roc_auc": round(float(roc_auc_score(serving[TARGET], probabilities)), 4),
        },
    )
    return _artifact("report", "MonitoringReport", report)


# --- the pipeline definition ----------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineParameters:
    """Everything a run can change. Each step sees only the fields it names in :data:`STEPS`."""

    # The data knobs: their types and defaults are DataSettings' (a test checks they agree).
    seed: int = _DATA.seed
    n_months: int = _DATA.n_months
    customers_per_month: int = _DATA.customers_per_month
    covariate_drift: float = _DATA.covariate_drift
    concept_drift: float = _DATA.concept_drift
    train_months: int = 9
    model_kind: str = "logistic_regression"
    model_params: dict[str, Any] = field(default_factory=dict)
    threshold: float = 0.5
    min_roc_auc: float = 0.7
    drift_threshold: float = 0.3


@dataclass(frozen=True)
class Step:
    """One node of the pipeline: which function, which upstream outputs and parameters it takes, what it writes."""

    name: str
    stage: str
    function: Callable[..., Any]
    inputs: dict[str, str]  # argument -> "step.output" it reads
    outputs: dict[str, tuple[str, str]]  # argument -> (artifact type, file name)
    parameters: tuple[str, ...]
    vertex_service: str

    @property
    def code_version(self) -> str:
        """A hash of the step function's source: editing the step invalidates its cache."""
        return hashlib.sha256(inspect.getsource(self.function).encode()).hexdigest()[:8]

    @property
    def upstream(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ref.split(".")[0] for ref in self.inputs.values()))


STEPS: tuple[Step, ...] = (
    Step(
        "extract_data",
        "data extraction",
        extract_data,
        {},
        {"snapshot": ("Dataset", "snapshot.csv")},
        PIPELINE_DATA_KNOBS,
        "BigQuery / Cloud Storage",
    ),
    Step(
        "analyze_data",
        "data analysis",
        analyze_data,
        {"snapshot": "extract_data.snapshot"},
        {"statistics": ("Statistics", "statistics.json")},
        (),
        "Vertex AI Workbench, BigQuery",
    ),
    Step(
        "prepare_data",
        "data preparation",
        prepare_data,
        {"snapshot": "extract_data.snapshot", "statistics": "analyze_data.statistics"},
        {"train": ("Dataset", "train.csv"), "test": ("Dataset", "test.csv")},
        ("train_months",),
        "Dataflow / BigQuery, Vertex AI Feature Store",
    ),
    Step(
        "train_model",
        "model training",
        train_model,
        {"train": "prepare_data.train"},
        {"model": ("Model", "model.skops")},
        ("model_kind", "model_params", "seed"),
        "Vertex AI Training, Vizier",
    ),
    Step(
        "evaluate_model",
        "model evaluation",
        evaluate_model,
        {"model": "train_model.model", "test": "prepare_data.test"},
        {"metrics": ("Metrics", "metrics.json")},
        ("threshold",),
        "Vertex AI Model Evaluation, Experiments",
    ),
    Step(
        "validate_model",
        "model validation",
        validate_model,
        {"metrics": "evaluate_model.metrics"},
        {"validation": ("ValidationResult", "validation.json")},
        ("min_roc_auc",),
        "a gate in Vertex AI Pipelines, Model Registry",
    ),
    Step(
        "deploy_model",
        "model serving",
        deploy_model,
        {"model": "train_model.model", "validation": "validate_model.validation", "test": "prepare_data.test"},
        {"deployment": ("Deployment", "deployment.json")},
        (),
        "Vertex AI Endpoints, batch prediction",
    ),
    Step(
        "monitor_model",
        "model monitoring",
        monitor_model,
        {
            "model": "train_model.model",
            "train": "prepare_data.train",
            "test": "prepare_data.test",
            "deployment": "deploy_model.deployment",
        },
        {"report": ("MonitoringReport", "monitoring.json")},
        ("drift_threshold",),
        "Vertex AI Model Monitoring",
    ),
)
STEP_NAMES: tuple[str, ...] = tuple(step.name for step in STEPS)


def step(name: str) -> Step:
    """The :class:`Step` called ``name``."""
    for candidate in STEPS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no step {name!r}; the steps are {list(STEP_NAMES)}")


def steps_table() -> pd.DataFrame:
    """The pipeline definition as a table: stage, step, inputs, outputs, parameters, Vertex AI service."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "lifecycle step": s.stage,
                "function": s.name,
                "reads": ", ".join(s.inputs.values()) or "-",
                "writes": ", ".join(f"{arg} ({kind})" for arg, (kind, _) in s.outputs.items()),
                "parameters": ", ".join(s.parameters) or "-",
                "at scale on Google Cloud": s.vertex_service,
            }
            for s in STEPS
        ],
        index=pd.RangeIndex(1, len(STEPS) + 1),
    )


def steps_affected_by(parameter: str) -> list[str]:
    """The steps a change of ``parameter`` can rerun: those that take it, and everything downstream of them."""
    if parameter not in {f.name for f in fields(PipelineParameters)}:
        raise KeyError(f"no pipeline parameter {parameter!r}")
    affected: list[str] = []
    for current in STEPS:
        if parameter in current.parameters or any(name in affected for name in current.upstream):
            affected.append(current.name)
    return affected


# --- the metadata store -------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS artifacts (
    id INTEGER PRIMARY KEY, type TEXT NOT NULL, uri TEXT NOT NULL, content_hash TEXT NOT NULL, fingerprint TEXT,
    UNIQUE (type, uri, content_hash));
CREATE TABLE IF NOT EXISTS executions (
    id INTEGER PRIMARY KEY, step TEXT NOT NULL, state TEXT NOT NULL, cache_key TEXT NOT NULL,
    code_version TEXT NOT NULL, parameters TEXT NOT NULL, seconds REAL, error TEXT);
CREATE TABLE IF NOT EXISTS events (
    execution_id INTEGER NOT NULL REFERENCES executions(id), artifact_id INTEGER NOT NULL REFERENCES artifacts(id),
    type TEXT NOT NULL CHECK (type IN ('INPUT', 'OUTPUT')), name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contexts (
    id INTEGER PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL UNIQUE, properties TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS associations (
    context_id INTEGER NOT NULL REFERENCES contexts(id), execution_id INTEGER NOT NULL REFERENCES executions(id));
CREATE TABLE IF NOT EXISTS attributions (
    context_id INTEGER NOT NULL REFERENCES contexts(id), artifact_id INTEGER NOT NULL REFERENCES artifacts(id),
    UNIQUE (context_id, artifact_id));
"""


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class MetadataStore:
    """Artifacts, executions, events and contexts of every pipeline run in one workspace (ML Metadata's model)."""

    def __init__(self, workspace: str | os.PathLike[str] | None = None) -> None:
        self.workspace = open_workspace(workspace).resolve()
        self.home = self.workspace / PIPELINE_DIR
        self.home.mkdir(parents=True, exist_ok=True)
        self.path = self.home / METADATA_FILE
        with self._connect() as db:
            db.executescript(_SCHEMA)
            # A store written before artifacts had fingerprints: its files are named by their bytes' hash.
            if "fingerprint" not in {row["name"] for row in db.execute("PRAGMA table_info(artifacts)")}:
                db.execute("ALTER TABLE artifacts ADD COLUMN fingerprint TEXT")
            db.execute("UPDATE artifacts SET fingerprint = content_hash WHERE fingerprint IS NULL")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def query(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        """Run a read-only SQL query against the store (the tables are named after MLMD's)."""
        with self._connect() as db:
            return db.execute(sql, args).fetchall()

    def summary(self) -> pd.DataFrame:
        """How many records of each ML Metadata kind the store holds, broken down by type or state."""
        import pandas as pd

        rows = []
        for kind, table, column in (
            ("artifacts", "artifacts", "type"),
            ("executions", "executions", "state"),
            ("events", "events", "type"),
            ("contexts", "contexts", "type"),
        ):
            counts = self.query(f"SELECT {column} AS k, COUNT(*) AS n FROM {table} GROUP BY {column} ORDER BY {column}")
            total = sum(r["n"] for r in counts)
            rows.append({"record": kind, "count": total, "breakdown": ", ".join(f"{r['k']} {r['n']}" for r in counts)})
        return pd.DataFrame(rows).set_index("record")

    # writing (the runner's side)
    def _uri(self, path: Path) -> str:
        path = Path(path).resolve()
        return path.relative_to(self.workspace).as_posix() if path.is_relative_to(self.workspace) else str(path)

    def _put_artifact(self, db: sqlite3.Connection, artifact: Artifact) -> int:
        uri = self._uri(artifact.path)
        db.execute(
            "INSERT OR IGNORE INTO artifacts (type, uri, content_hash, fingerprint) VALUES (?, ?, ?, ?)",
            (artifact.type, uri, artifact.content_hash, artifact.fingerprint),
        )
        row = db.execute(
            "SELECT id FROM artifacts WHERE type = ? AND uri = ? AND content_hash = ?",
            (artifact.type, uri, artifact.content_hash),
        ).fetchone()
        return int(row["id"])

    def _start_run(self, parameters: dict[str, Any]) -> tuple[int, str]:
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO contexts (type, name, properties) VALUES ('Pipeline', ?, '{}')", (PIPELINE_NAME,)
            )
            number = db.execute("SELECT COUNT(*) FROM contexts WHERE type = 'PipelineRun'").fetchone()[0] + 1
            name = f"run-{number}"
            cursor = db.execute(
                "INSERT INTO contexts (type, name, properties) VALUES ('PipelineRun', ?, ?)",
                (name, _canonical({"pipeline": PIPELINE_NAME, "parameters": parameters})),
            )
            return int(cursor.lastrowid), name

    def _record_execution(
        self,
        *,
        run_id: int,
        step: Step,
        state: str,
        cache_key: str,
        parameters: dict[str, Any],
        inputs: dict[str, Artifact],
        outputs: dict[str, Artifact],
        seconds: float | None = None,
        error: str | None = None,
    ) -> None:
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO executions (step, state, cache_key, code_version, parameters, seconds, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (step.name, state, cache_key, step.code_version, _canonical(parameters), seconds, error),
            )
            execution_id = int(cursor.lastrowid)
            pipeline_id = db.execute(
                "SELECT id FROM contexts WHERE type = 'Pipeline' AND name = ?", (PIPELINE_NAME,)
            ).fetchone()[0]
            for context_id in (run_id, pipeline_id):
                db.execute("INSERT INTO associations VALUES (?, ?)", (context_id, execution_id))
            for kind, artifacts in (("INPUT", inputs), ("OUTPUT", outputs)):
                for name, artifact in artifacts.items():
                    artifact_id = self._put_artifact(db, artifact)
                    db.execute("INSERT INTO events VALUES (?, ?, ?, ?)", (execution_id, artifact_id, kind, name))
                    db.execute("INSERT OR IGNORE INTO attributions VALUES (?, ?)", (run_id, artifact_id))

    def _cached_outputs(self, step: Step, cache_key: str) -> dict[str, Artifact] | None:
        rows = self.query(
            "SELECT e.name, a.type, a.uri, a.content_hash, a.fingerprint FROM events e JOIN artifacts a ON a.id = e.artifact_id "
            "WHERE e.type = 'OUTPUT' AND e.execution_id = (SELECT MAX(id) FROM executions "
            "WHERE step = ? AND cache_key = ? AND state = 'COMPLETE')",
            step.name,
            cache_key,
        )
        outputs = {}
        for row in rows:
            path = self.workspace / row["uri"]
            # An output deleted or edited since must be produced again, not trusted.
            if not path.exists() or content_hash(path) != row["content_hash"]:
                return None
            outputs[row["name"]] = Artifact(row["name"], row["type"], path, row["content_hash"], row["fingerprint"])
        return outputs if set(outputs) == set(step.outputs) else None

    # reading (lineage)
    def runs(self) -> list[str]:
        """Names of the recorded pipeline runs, oldest first."""
        return [r["name"] for r in self.query("SELECT name FROM contexts WHERE type = 'PipelineRun' ORDER BY id")]

    def run_parameters(self, run: str) -> dict[str, Any]:
        rows = self.query("SELECT properties FROM contexts WHERE type = 'PipelineRun' AND name = ?", run)
        if not rows:
            raise KeyError(f"no pipeline run {run!r}; recorded runs: {self.runs()}")
        return json.loads(rows[0]["properties"])["parameters"]

    def artifact(self, artifact_id: int) -> Artifact:
        row = self.query("SELECT * FROM artifacts WHERE id = ?", artifact_id)[0]
        return Artifact(
            Path(row["uri"]).stem, row["type"], self.workspace / row["uri"], row["content_hash"], row["fingerprint"]
        )

    def executions_table(self, run: str | None = None) -> pd.DataFrame:
        """Executions (of one run, or all) with their state and code version."""
        import pandas as pd

        sql = (
            "SELECT c.name AS run, x.step, x.state, x.code_version, x.cache_key FROM executions x "
            "JOIN associations s ON s.execution_id = x.id JOIN contexts c ON c.id = s.context_id "
            "WHERE c.type = 'PipelineRun'" + (" AND c.name = ?" if run else "") + " ORDER BY x.id"
        )
        rows = self.query(sql, *([run] if run else []))
        return pd.DataFrame([dict(r) for r in rows], columns=["run", "step", "state", "code_version", "cache_key"])

    def _producer(self, artifact_id: int) -> sqlite3.Row:
        """The execution that really computed an artifact (the first COMPLETE one, not a cache hit)."""
        rows = self.query(
            "SELECT x.*, (SELECT c.name FROM associations s JOIN contexts c ON c.id = s.context_id "
            "WHERE s.execution_id = x.id AND c.type = 'PipelineRun') AS run "
            "FROM executions x JOIN events e ON e.execution_id = x.id "
            "WHERE e.artifact_id = ? AND e.type = 'OUTPUT' AND x.state = 'COMPLETE' ORDER BY x.id LIMIT 1",
            artifact_id,
        )
        if not rows:
            raise KeyError(f"artifact {artifact_id} has no producing execution")
        return rows[0]

    def _inputs_of(self, execution_id: int) -> dict[str, int]:
        rows = self.query(
            "SELECT name, artifact_id FROM events WHERE execution_id = ? AND type = 'INPUT'", execution_id
        )
        return {r["name"]: int(r["artifact_id"]) for r in rows}

    def upstream(self, artifact_id: int) -> list[sqlite3.Row]:
        """Every execution the artifact depends on, nearest first (a walk back along INPUT/OUTPUT events)."""
        seen, queue, chain = set(), [artifact_id], []
        while queue:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.add(current)
            producer = self._producer(current)
            if all(producer["id"] != x["id"] for x in chain):
                chain.append(producer)
            queue.extend(self._inputs_of(producer["id"]).values())
        return chain

    def downstream_executions(self, artifact_id: int, step: str) -> list[sqlite3.Row]:
        """Executions of ``step`` that (directly or not) consumed the artifact."""
        seen, queue, found = set(), [artifact_id], {}
        while queue:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.add(current)
            consumers = self.query(
                "SELECT x.* FROM executions x JOIN events e ON e.execution_id = x.id "
                "WHERE e.artifact_id = ? AND e.type = 'INPUT'",
                current,
            )
            for consumer in consumers:
                if consumer["step"] == step:
                    found[consumer["id"]] = consumer
                outputs = self.query(
                    "SELECT artifact_id FROM events WHERE execution_id = ? AND type = 'OUTPUT'", consumer["id"]
                )
                queue.extend(int(r["artifact_id"]) for r in outputs)
        return [found[k] for k in sorted(found)]

    def _output_of(self, execution_id: int, name: str) -> int:
        row = self.query(
            "SELECT artifact_id FROM events WHERE execution_id = ? AND type = 'OUTPUT' AND name = ?", execution_id, name
        )
        return int(row[0]["artifact_id"])

    def deployed_model(self) -> int | None:
        """The id of the model artifact now on the endpoint: the one the latest approving deployment served."""
        rows = self.query(
            "SELECT x.id FROM executions x WHERE x.step = 'deploy_model' AND x.state IN ('COMPLETE', 'CACHED') ORDER BY x.id DESC"
        )
        for row in rows:
            deployment = self.artifact(self._output_of(row["id"], "deployment"))
            if deployment.path.exists() and deployment.read_json()["deployed"]:
                return self._inputs_of(row["id"])["model"]
        return None

    def artifact_by_hash(self, content_hash: str, *, type: str | None = None) -> int:
        """The id of the artifact with this fingerprint or content hash (or a prefix of one)."""
        rows = self.query(
            "SELECT id FROM artifacts WHERE (fingerprint LIKE ? || '%' OR content_hash LIKE ? || '%')"
            + (" AND type = ?" if type else "")
            + " ORDER BY id",
            content_hash,
            content_hash,
            *([type] if type else []),
        )
        if not rows:
            raise KeyError(f"no {type or 'artifact'} with fingerprint or content hash {content_hash!r} in {self.path}")
        return int(rows[0]["id"])


# --- the in-process runner ----------------------------------------------------------------------


@dataclass(frozen=True)
class StepRun:
    """What happened to one step in one run."""

    step: str
    state: str  # COMPLETE (executed), CACHED (reused) or FAILED
    cache_key: str
    outputs: tuple[Artifact, ...]


@dataclass(frozen=True)
class PipelineRun:
    """The result of :func:`run_pipeline`: which steps ran, what they wrote, and the model's metrics."""

    name: str
    workspace: Path
    parameters: PipelineParameters
    steps: tuple[StepRun, ...]
    artifacts: dict[str, Artifact]  # "step.output" -> Artifact

    @property
    def executed(self) -> list[str]:
        return [s.step for s in self.steps if s.state == "COMPLETE"]

    @property
    def cached(self) -> list[str]:
        return [s.step for s in self.steps if s.state == "CACHED"]

    @property
    def metrics(self) -> dict[str, float]:
        return dict(self.artifacts["evaluate_model.metrics"].read_json()["model"])

    @property
    def deployed(self) -> bool:
        return bool(self.artifacts["deploy_model.deployment"].read_json()["deployed"])

    @property
    def monitoring(self) -> dict[str, Any]:
        return self.artifacts["monitor_model.report"].read_json()

    def table(self) -> pd.DataFrame:
        """One row per step: what the run did with it and the fingerprint of each output."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "step": s.step,
                    "state": "executed" if s.state == "COMPLETE" else s.state.lower(),
                    "outputs (fingerprint)": ", ".join(f"{a.name} {a.fingerprint}" for a in s.outputs),
                }
                for s in self.steps
            ],
            index=pd.RangeIndex(1, len(self.steps) + 1),
        )

    def __repr__(self) -> str:
        lines = [f"PipelineRun {self.name}: {len(self.executed)} executed, {len(self.cached)} cached"]
        lines += [
            f"  {s.step:<15} {s.state:<9} " + ", ".join(f"{a.name} {a.fingerprint}" for a in s.outputs)
            for s in self.steps
        ]
        return "\n".join(lines)


def _cache_key(step: Step, inputs: dict[str, Artifact], parameters: dict[str, Any]) -> str:
    payload = {
        "step": step.name,
        "code": step.code_version,
        # Fingerprints, not file hashes: a model is named the same way on every processor, so cache keys
        # (shown in the lineage tables) are too; on one machine, the same fingerprint means the same model.
        "inputs": {name: a.fingerprint for name, a in inputs.items()},
        "parameters": parameters,
    }
    return hashlib.sha256(_canonical(payload).encode()).hexdigest()[:16]


def run_pipeline(
    workspace: str | os.PathLike[str] | None = None,
    *,
    parameters: PipelineParameters | None = None,
    data: pd.DataFrame | None = None,
    cache: bool = True,
    **overrides: Any,
) -> PipelineRun:
    """Run the eight lifecycle steps in order, reusing cached steps, and record the run's lineage.

    ``parameters`` (default :class:`PipelineParameters`) can be adjusted with keyword
    ``overrides`` such as ``seed=42`` or ``model_params={"C": 0.1}``. ``data`` replaces the
    generated data in the extraction step (its fingerprint becomes a parameter, so new data
    reruns the pipeline). ``cache=False`` executes every step. A failing step is recorded
    as FAILED and raises :class:`PipelineStepError`; the steps before it stay cached.
    """
    from mlops_lab.data import fingerprint

    known = {f.name for f in fields(PipelineParameters)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown pipeline parameter(s) {unknown}; choose from {sorted(known)}")
    params = {**asdict(parameters or PipelineParameters()), **overrides}
    params["model_params"] = dict(params["model_params"] or {})
    store = MetadataStore(workspace)
    run_parameters = dict(params)
    if data is not None:
        run_parameters["source"] = fingerprint(data)
    run_id, run_name = store._start_run(run_parameters)

    produced: dict[str, Artifact] = {}
    records = []
    for current in STEPS:
        inputs = {arg: produced[ref] for arg, ref in current.inputs.items()}
        step_params = {name: params[name] for name in current.parameters}
        key_params = dict(step_params)
        if current.name == "extract_data" and data is not None:
            key_params = {"source": run_parameters["source"]}
        cache_key = _cache_key(current, inputs, key_params)
        outputs = store._cached_outputs(current, cache_key) if cache else None
        state = "CACHED"
        if outputs is None:
            state = "COMPLETE"
            folder = store.home / "artifacts" / current.name / cache_key
            paths = {arg: folder / filename for arg, (_, filename) in current.outputs.items()}
            extra = {"source": data} if current.name == "extract_data" and data is not None else {}
            started = time.perf_counter()
            try:
                result = current.function(**{a: x.path for a, x in inputs.items()}, **paths, **step_params, **extra)
            except Exception as exc:
                store._record_execution(
                    run_id=run_id,
                    step=current,
                    state="FAILED",
                    cache_key=cache_key,
                    parameters=key_params,
                    inputs=inputs,
                    outputs={},
                    error=f"{type(exc).__name__}: {exc}",
                )
                raise PipelineStepError(f"{run_name}: step {current.name} failed: {type(exc).__name__}: {exc}") from exc
            results = result if isinstance(result, tuple) else (result,)
            outputs = dict(zip(current.outputs, results, strict=True))
            seconds = round(time.perf_counter() - started, 3)
        else:
            seconds = None
        store._record_execution(
            run_id=run_id,
            step=current,
            state=state,
            cache_key=cache_key,
            parameters=key_params,
            inputs=inputs,
            outputs=outputs,
            seconds=seconds,
        )
        produced.update({f"{current.name}.{name}": artifact for name, artifact in outputs.items()})
        records.append(StepRun(current.name, state, cache_key, tuple(outputs.values())))
    return PipelineRun(
        name=run_name,
        workspace=store.workspace,
        parameters=PipelineParameters(**params),
        steps=tuple(records),
        artifacts=produced,
    )


# --- lineage questions --------------------------------------------------------------------------


def model_lineage(workspace: str | os.PathLike[str] | None = None, *, model: str | None = None) -> pd.DataFrame:
    """What produced a model (default: the deployed one): run, data snapshot, code, parameters, evaluation.

    ``model`` is a model's fingerprint (or a prefix). The answer is a two-column table.
    """
    import pandas as pd

    store = MetadataStore(workspace)
    model_id = store.artifact_by_hash(model, type="Model") if model else store.deployed_model()
    if model_id is None:
        raise LookupError(f"no model has been deployed in {store.workspace}; run the pipeline first")
    chain = {row["step"]: row for row in store.upstream(model_id)}
    training_run = chain["train_model"]
    snapshot = store.artifact(store._output_of(chain["extract_data"]["id"], "snapshot"))
    train_split = store.artifact(store._output_of(chain["prepare_data"]["id"], "train"))
    parameters = {}
    for name in ("extract_data", "prepare_data", "train_model"):
        parameters.update(json.loads(chain[name]["parameters"]))
    evaluations = store.downstream_executions(model_id, "evaluate_model")
    metrics = store.artifact(store._output_of(evaluations[0]["id"], "metrics")).read_json() if evaluations else {}
    model_artifact = store.artifact(model_id)
    reused_by = store.query(
        "SELECT DISTINCT c.name FROM executions x JOIN events e ON e.execution_id = x.id "
        "JOIN associations s ON s.execution_id = x.id JOIN contexts c ON c.id = s.context_id "
        "WHERE e.artifact_id = ? AND e.type = 'OUTPUT' AND x.state = 'CACHED' AND c.type = 'PipelineRun' ORDER BY c.id",
        model_id,
    )
    rows = [
        ("model", f"{model_artifact.path.name} fingerprint {model_artifact.fingerprint}"),
        ("deployed now", "yes" if store.deployed_model() == model_id else "no"),
        ("produced by run", training_run["run"]),
        ("reused (cached) by runs", ", ".join(r["name"] for r in reused_by) or "-"),
        ("data snapshot", f"{snapshot.path.name} sha256 {snapshot.content_hash}"),
        ("training split", f"{train_split.path.name} sha256 {train_split.content_hash}"),
        ("code version", ", ".join(f"{name} {chain[name]['code_version']}" for name in STEP_NAMES if name in chain)),
        ("parameters", ", ".join(f"{k}={_canonical(v)}" for k, v in sorted(parameters.items()))),
    ]
    if metrics:
        rows += [(f"evaluation: {k}", f"{v:.4f}") for k, v in metrics["model"].items() if k != "n_rows"]
        rows.append(("evaluation: baseline roc_auc", f"{metrics['baseline']['roc_auc']:.4f}"))
    return pd.DataFrame(rows, columns=["question", "answer"]).set_index("question")


def models_from_snapshot(workspace: str | os.PathLike[str] | None = None, *, snapshot: str) -> pd.DataFrame:
    """Every model a data snapshot (given by its fingerprint, its content hash, or a prefix) fed, with how each was trained."""
    import pandas as pd

    store = MetadataStore(workspace)
    snapshot_id = store.artifact_by_hash(snapshot, type="Dataset")
    deployed = store.deployed_model()
    rows = []
    for execution in store.downstream_executions(snapshot_id, "train_model"):
        if execution["state"] != "COMPLETE":
            continue
        model_id = store._output_of(execution["id"], "model")
        model = store.artifact(model_id)
        producer = store._producer(model_id)
        evaluations = store.downstream_executions(model_id, "evaluate_model")
        auc = (
            store.artifact(store._output_of(evaluations[0]["id"], "metrics")).read_json()["model"]["roc_auc"]
            if evaluations
            else None
        )
        params = json.loads(execution["parameters"])
        rows.append(
            {
                "model (fingerprint)": model.fingerprint,
                "run": producer["run"],
                "model_kind": params["model_kind"],
                "model_params": _canonical(params["model_params"]),
                "roc_auc": f"{auc:.4f}" if auc is not None else "-",
                "deployed now": "yes" if model_id == deployed else "no",
            }
        )
    columns = ["model (fingerprint)", "run", "model_kind", "model_params", "roc_auc", "deployed now"]
    frame = pd.DataFrame(rows, columns=columns).drop_duplicates("model (fingerprint)")
    return frame.reset_index(drop=True)


# --- the diagram --------------------------------------------------------------------------------


def draw_pipeline(run: PipelineRun | None = None, *, ax: Axes | None = None) -> Axes:
    """Draw the step graph from :data:`STEPS`; with ``run``, colour each step by executed or cached."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(13, 3.4))
    states = {s.step: s.state for s in run.steps} if run else {}
    colours = {"COMPLETE": "#f4b183", "CACHED": "#a9d18e", "FAILED": "#ff6b6b"}
    spacing, half_width, half_height = 1.8, 0.8, 0.35
    position = {s.name: i * spacing for i, s in enumerate(STEPS)}
    # Arcs that skip steps leave and enter a box at different points, so they stay apart.
    outgoing = {s.name: 0 for s in STEPS}
    incoming = {s.name: 0 for s in STEPS}
    for s in STEPS:
        x = position[s.name]
        ax.add_patch(
            FancyBboxPatch(
                (x - half_width, -half_height),
                2 * half_width,
                2 * half_height,
                boxstyle="round,pad=0.02",
                facecolor=colours.get(states.get(s.name), "#dde6f4"),
                edgecolor="#333333",
            )
        )
        ax.text(x, 0.1, s.name, ha="center", va="center", fontsize=8, fontweight="bold")
        ax.text(x, -0.15, s.stage, ha="center", va="center", fontsize=7.5, style="italic")
        for source in sorted(s.upstream, key=position.get, reverse=True):
            sx = position[source]
            hops = round((x - sx) / spacing)
            if hops == 1:
                start, end, rad = (sx + half_width, 0.0), (x - half_width, 0.0), 0.0
            else:
                start = (sx + 0.25 - 0.15 * outgoing[source], half_height)
                end = (x - 0.25 + 0.15 * incoming[s.name], half_height)
                outgoing[source] += 1
                incoming[s.name] += 1
                rad = -0.25 - 0.05 * hops
            ax.annotate(
                "",
                xy=end,
                xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": "#555555", "connectionstyle": f"arc3,rad={rad}"},
            )
    if run:
        handles = [plt.Rectangle((0, 0), 1, 1, facecolor=colours[k]) for k in ("COMPLETE", "CACHED")]
        ax.legend(handles, ["executed", "cached"], loc="lower right", fontsize=8, ncol=2, frameon=False)
        ax.set_title(
            f"{PIPELINE_NAME}, {run.name}: {len(run.executed)} executed, {len(run.cached)} cached", fontsize=10
        )
    else:
        ax.set_title(f"{PIPELINE_NAME}: {len(STEPS)} steps; each arrow passes an artifact downstream", fontsize=10)
    ax.set_xlim(-half_width - 0.2, position[STEPS[-1].name] + half_width + 0.2)
    ax.set_ylim(-0.8 if run else -0.5, 2.0)
    ax.axis("off")
    return ax
