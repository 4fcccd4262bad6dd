"""The ML lifecycle's eight steps, each a plain function, and the pipeline definition that wires them.

Each step reads its input files, writes its output files and returns :class:`Artifact` records
(type, path, content hash, fingerprint):


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

:data:`STEPS` declares them in order as :class:`Step` records (which function, which upstream
outputs and parameters it takes, what it writes); :class:`PipelineParameters` holds the
parameters of a run. A step's :attr:`Step.code_version` is the hash of its function's source,
part of its cache key, so editing a step reruns it. The runner is :mod:`mlops_lab.pipeline`,
the record of what ran :mod:`mlops_lab.metadata`, and the same steps as Kubeflow Pipelines
components :mod:`mlops_lab.kfp_pipeline`.

The validation step compares with fixed numbers (``min_roc_auc``) and the no-ML baseline,
never with hidden state, so a step's output depends only on its inputs and caching stays
correct; to gate against the deployed model, pass its ROC AUC as ``min_roc_auc``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
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
from mlops_lab.i18n import translatable, translate

if TYPE_CHECKING:
    import pandas as pd


PIPELINE_NAME = "churn-lifecycle"
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

    def describe(self, *, language: str = "en") -> str:
        """What :func:`repr` shows, in ``language``: type, name, and the hash (or fingerprint and file hash)."""
        if self.fingerprint == self.content_hash:
            return f"Artifact({self.type} {self.name!r}, sha256 {self.content_hash})"
        return translate(
            "Artifact({type} {name!r}, fingerprint {fingerprint}, file sha256 {content_hash})",
            language=language,
            type=self.type,
            name=self.name,
            fingerprint=self.fingerprint,
            content_hash=self.content_hash,
        )

    def __repr__(self) -> str:
        return self.describe()


def describe_artifacts(*artifacts: Artifact, language: str = "en") -> str:
    """One line per artifact, as :meth:`Artifact.describe` shows it in ``language``."""
    return "\n".join(artifact.describe(language=language) for artifact in artifacts)


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


def describe_statistics(statistics: Artifact, *, language: str = "en") -> pd.DataFrame:
    """The numeric columns' statistics from :func:`analyze_data`, one row per feature, labelled in ``language``."""
    import pandas as pd

    numeric = statistics.read_json()["numeric"]
    columns = {
        "min": translate("min", language=language),
        "mean": translate("mean", language=language),
        "max": translate("max", language=language),
        "missing": translate("missing", language=language),
        "out_of_range": translate("out_of_range", language=language),
    }
    feature = translate("feature", language=language)
    return pd.DataFrame(
        [
            {feature: name, **{label: numeric[name][key] for key, label in columns.items()}}
            for name in NUMERIC_FEATURES
            if name in numeric
        ]
    ).set_index(feature)


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


def validation_lines(validation: Artifact, *, language: str = "en") -> str:
    """The validation step's checks, one line each: PASS or FAIL, then what was compared, in ``language``."""
    lines = []
    for check in validation.read_json()["checks"]:
        verdict = translate("PASS", language=language) if check["passed"] else translate("FAIL", language=language)
        # The record names the no-ML rule in English, as validate_model wrote it; the line names it in language.
        compared = re.sub(r"\bbaseline\b", translate("baseline", language=language), check["check"])
        lines.append(f"  {verdict}  {compared}")
    return "\n".join(lines)


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
        translatable("data extraction"),
        extract_data,
        {},
        {"snapshot": ("Dataset", "snapshot.csv")},
        PIPELINE_DATA_KNOBS,
        "BigQuery / Cloud Storage",
    ),
    Step(
        "analyze_data",
        translatable("data analysis"),
        analyze_data,
        {"snapshot": "extract_data.snapshot"},
        {"statistics": ("Statistics", "statistics.json")},
        (),
        "Vertex AI Workbench, BigQuery",
    ),
    Step(
        "prepare_data",
        translatable("data preparation"),
        prepare_data,
        {"snapshot": "extract_data.snapshot", "statistics": "analyze_data.statistics"},
        {"train": ("Dataset", "train.csv"), "test": ("Dataset", "test.csv")},
        ("train_months",),
        "Dataflow / BigQuery, Vertex AI Feature Store",
    ),
    Step(
        "train_model",
        translatable("model training"),
        train_model,
        {"train": "prepare_data.train"},
        {"model": ("Model", "model.skops")},
        ("model_kind", "model_params", "seed"),
        "Vertex AI Training, Vizier",
    ),
    Step(
        "evaluate_model",
        translatable("model evaluation"),
        evaluate_model,
        {"model": "train_model.model", "test": "prepare_data.test"},
        {"metrics": ("Metrics", "metrics.json")},
        ("threshold",),
        "Vertex AI Model Evaluation, Experiments",
    ),
    Step(
        "validate_model",
        translatable("model validation"),
        validate_model,
        {"metrics": "evaluate_model.metrics"},
        {"validation": ("ValidationResult", "validation.json")},
        ("min_roc_auc",),
        translatable("a gate in Vertex AI Pipelines, Model Registry"),
    ),
    Step(
        "deploy_model",
        translatable("model serving"),
        deploy_model,
        {"model": "train_model.model", "validation": "validate_model.validation", "test": "prepare_data.test"},
        {"deployment": ("Deployment", "deployment.json")},
        (),
        translatable("Vertex AI Endpoints, batch prediction"),
    ),
    Step(
        "monitor_model",
        translatable("model monitoring"),
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


def steps_table(*, language: str = "en") -> pd.DataFrame:
    """The pipeline definition as a table: stage, step, inputs, outputs, parameters, Vertex AI service.

    Headers, stages and services are in ``language``; step, artifact and parameter names are identifiers.
    """
    import pandas as pd

    return pd.DataFrame(
        [
            {
                translate("lifecycle step", language=language): translate(s.stage, language=language),
                translate("function", language=language): s.name,
                translate("reads", language=language): ", ".join(s.inputs.values()) or "-",
                translate("writes", language=language): ", ".join(
                    f"{arg} ({kind})" for arg, (kind, _) in s.outputs.items()
                ),
                translate("parameters", language=language): ", ".join(s.parameters) or "-",
                translate("at scale on Google Cloud", language=language): translate(
                    s.vertex_service, language=language
                ),
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
