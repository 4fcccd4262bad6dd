"""The model registry, on the tracking store: a run's model becomes a named version, and aliases move.

Serving code asks for ``name@alias`` (``champion``, ``challenger``), never for a file: promoting a
model is moving an alias, and rolling back is moving it back. Vertex AI Model Registry works the
same way (versions and aliases; the first version gets the alias ``default``).

:func:`register_model` registers a run's model as a new version (optionally with an alias),
:func:`set_alias` moves an alias to a version, :func:`model_version` and :func:`registry_table`
show versions, their runs and aliases, and :func:`load_model` loads ``name@alias`` through
:func:`mlops_lab.model_files.load_model`, which refuses any type outside the workbook's own
allow-list. Every function acts on the store given as ``store=`` or, left out, the one
:func:`mlops_lab.tracking.open_store` opened last; what a learner reads is in ``language``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_lab import model_files
from mlops_lab.i18n import translate
from mlops_lab.tracking import TrackingStore, current_store, find_run

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ModelVersion:
    """A registered model version."""

    name: str
    version: int
    run: str
    aliases: tuple[str, ...] = field(default=())
    language: str = field(default="en", repr=False, compare=False)

    def __repr__(self) -> str:
        alias = f" @{', @'.join(self.aliases)}" if self.aliases else ""
        origin = translate("from run {run!r}", language=self.language, run=self.run)
        return f"ModelVersion({self.name} v{self.version} {origin}{alias})"


def _model_uri_of(run: Any) -> str:
    outputs = getattr(run, "outputs", None)
    model_outputs = getattr(outputs, "model_outputs", None) or []
    if not model_outputs:
        raise ValueError(
            f"run {run.info.run_name!r} logged no model; log it with log_run(model=...) or train_and_log(log_model=True)"
        )
    return f"models:/{model_outputs[-1].model_id}"


def register_model(
    run_name: str, *, name: str, alias: str | None = None, store: TrackingStore | None = None, language: str = "en"
) -> ModelVersion:
    """Register the model of run ``run_name`` as a new version of ``name``; optionally point ``alias`` at it."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode

    store = current_store(store)
    model_id = _model_uri_of(find_run(run_name, store=store)).removeprefix("models:/")
    # The logged model's own location, not its models:/ URI: MLflow's SQL registry resolves such a
    # URI through the process-wide tracking URI, which may be another store.
    logged = store.client.get_logged_model(model_id)
    try:
        store.client.create_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
    version = store.client.create_model_version(
        name, logged.artifact_location, run_id=logged.source_run_id, model_id=model_id
    )
    if alias:
        set_alias(name, alias=alias, version=int(version.version), store=store)
    return model_version(name, version=int(version.version), store=store, language=language)


def set_alias(
    name: str, *, alias: str, version: int, store: TrackingStore | None = None, language: str = "en"
) -> ModelVersion:
    """Point ``alias`` (``champion``, ``challenger``...) at ``version``; it moves off any other version."""
    store = current_store(store)
    store.client.set_registered_model_alias(name, alias, str(version))
    return model_version(name, version=version, store=store, language=language)


def model_version(
    name: str,
    *,
    version: int | None = None,
    alias: str | None = None,
    store: TrackingStore | None = None,
    language: str = "en",
) -> ModelVersion:
    """A registered version, by number or by alias."""
    if (version is None) == (alias is None):
        raise ValueError("give exactly one of version or alias")
    client = current_store(store).client
    found = (
        client.get_model_version(name, str(version))
        if alias is None
        else client.get_model_version_by_alias(name, alias)
    )
    run_name = client.get_run(found.run_id).info.run_name if found.run_id else ""
    return ModelVersion(
        name=name, version=int(found.version), run=run_name, aliases=tuple(sorted(found.aliases)), language=language
    )


def registry_table(name: str, *, store: TrackingStore | None = None, language: str = "en") -> pd.DataFrame:
    """Every version of registered model ``name``: its run and its aliases, labelled in ``language``."""
    import pandas as pd

    store = current_store(store)
    versions = sorted(store.client.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version))
    rows = [model_version(name, version=int(v.version), store=store) for v in versions]
    version = translate("version", language=language)
    return pd.DataFrame(
        {
            version: [r.version for r in rows],
            translate("run", language=language): [r.run for r in rows],
            translate("aliases", language=language): [", ".join(r.aliases) for r in rows],
        }
    ).set_index(version)


def load_model(name: str, *, alias: str = "champion", store: TrackingStore | None = None) -> Any:
    """Load the model version that ``name@alias`` points to, through :func:`mlops_lab.model_files.load_model`."""
    from mlflow.artifacts import download_artifacts

    store = current_store(store)
    version = store.client.get_model_version_by_alias(name, alias)
    location = store.client.get_model_version_download_uri(name, version.version)
    folder = Path(download_artifacts(artifact_uri=location, tracking_uri=store.uri))
    files = sorted(folder.rglob("*.skops"))
    if not files:
        raise model_files.UntrustedModelError(
            f"models:/{name}@{alias} holds no .skops file; only skops model files are loaded"
        )
    return model_files.load_model(files[0])
