"""The pipeline's metadata store: the lineage of every run, in ML Metadata's data model.

Every run of :func:`mlops_lab.pipeline.run_pipeline` is recorded in a metadata store that follows
the ML Metadata (MLMD) data model of TFX, Kubeflow and Vertex AI ML Metadata: *artifacts* (files
with a type, a URI and a content hash), *executions* (one per step per run, with state,
parameters and code version), *events* (which execution read or wrote which artifact) and
*contexts* (the pipeline and each of its runs, linked to executions by associations and to
artifacts by attributions). The store is a SQLite file, ``<workspace>/pipeline/metadata.sqlite``
(commits not yet checkpointed live in ``metadata.sqlite-wal`` beside it: copy both):
MLMD's own local back end is SQLite too; it comes with Python; a run is recorded in
transactions, so a crash never leaves half an event graph; and lineage questions are plain
SQL joins. :class:`MetadataStore` answers them: :meth:`MetadataStore.deployed_model`,
:func:`model_lineage` ("what produced the deployed model?") and
:func:`models_from_snapshot` ("which models did this data snapshot feed?")::

    store = MetadataStore(home)
    store.runs()                  # ["run-1", "run-2", ...]
    store.executions_table()      # run, step, state, code_version, cache_key
    store.summary()               # record counts per MLMD kind
    model_lineage(home)           # question -> answer table for the deployed model
"""

from __future__ import annotations

import json
import os
import sqlite3
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_lab.environment import open_workspace
from mlops_lab.i18n import translatable, translate
from mlops_lab.pipeline_steps import PIPELINE_NAME, STEP_NAMES, Artifact, Step, content_hash

if TYPE_CHECKING:
    import pandas as pd


PIPELINE_DIR = "pipeline"
METADATA_FILE = "metadata.sqlite"


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


def canonical_json(value: Any) -> str:
    """``value`` as one JSON text, keys sorted: the form parameters are stored, compared and hashed in."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class MetadataStore:
    """Artifacts, executions, events and contexts of every pipeline run in one workspace (ML Metadata's model)."""

    def __init__(self, workspace: str | os.PathLike[str] | None = None) -> None:
        self.workspace = open_workspace(workspace).resolve()
        self.home = self.workspace / PIPELINE_DIR
        self.home.mkdir(parents=True, exist_ok=True)
        self.path = self.home / METADATA_FILE
        self._db: sqlite3.Connection | None = None
        with self._connect() as db:
            db.executescript(_SCHEMA)
            # A store written before artifacts had fingerprints: its files are named by their bytes' hash.
            if "fingerprint" not in {row["name"] for row in db.execute("PRAGMA table_info(artifacts)")}:
                db.execute("ALTER TABLE artifacts ADD COLUMN fingerprint TEXT")
            db.execute("UPDATE artifacts SET fingerprint = content_hash WHERE fingerprint IS NULL")

    def _connect(self) -> sqlite3.Connection:
        """The store's one connection, opened on first use: each ``with`` block on it is one transaction.

        In SQLite's default mode every commit waits for the disk twice or more (``fsync``), about 40 waits per
        pipeline run. In write-ahead-log mode with ``synchronous=NORMAL`` a commit only appends to the log,
        which is synced into the file at checkpoints: when the log grows large or the last connection closes,
        hence one connection per store instead of one per query. A transaction is still all or nothing, even
        after a power cut (which can lose the last commits, never corrupt the file).
        """
        if self._db is None:
            db = sqlite3.connect(self.path, timeout=30)
            db.row_factory = sqlite3.Row
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.OperationalError:  # another process holds the store: keep the default mode
                pass
            self._db = db
            # Closed when the store is dropped, or at exit: the last connection to close folds the log into the file.
            weakref.finalize(self, db.close)
        return self._db

    def query(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        """Run a read-only SQL query against the store (the tables are named after MLMD's)."""
        with self._connect() as db:
            return db.execute(sql, args).fetchall()

    def summary(self, *, language: str = "en") -> pd.DataFrame:
        """How many records of each ML Metadata kind the store holds, broken down by type or state.

        The labels are in ``language``; the types and states are ML Metadata's identifiers.
        """
        import pandas as pd

        record = translate("record", language=language)
        count = translate("count", language=language)
        breakdown = translate("breakdown", language=language)
        rows = []
        for kind, table, column in (
            (translatable("artifacts"), "artifacts", "type"),
            (translatable("executions"), "executions", "state"),
            (translatable("events"), "events", "type"),
            (translatable("contexts"), "contexts", "type"),
        ):
            counts = self.query(f"SELECT {column} AS k, COUNT(*) AS n FROM {table} GROUP BY {column} ORDER BY {column}")
            total = sum(r["n"] for r in counts)
            rows.append(
                {
                    record: translate(kind, language=language),
                    count: total,
                    breakdown: ", ".join(f"{r['k']} {r['n']}" for r in counts),
                }
            )
        return pd.DataFrame(rows).set_index(record)

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

    def start_run(self, parameters: dict[str, Any]) -> tuple[int, str]:
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO contexts (type, name, properties) VALUES ('Pipeline', ?, '{}')", (PIPELINE_NAME,)
            )
            number = db.execute("SELECT COUNT(*) FROM contexts WHERE type = 'PipelineRun'").fetchone()[0] + 1
            name = f"run-{number}"
            cursor = db.execute(
                "INSERT INTO contexts (type, name, properties) VALUES ('PipelineRun', ?, ?)",
                (name, canonical_json({"pipeline": PIPELINE_NAME, "parameters": parameters})),
            )
            return int(cursor.lastrowid), name

    def record_execution(
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
                (step.name, state, cache_key, step.code_version, canonical_json(parameters), seconds, error),
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

    def cached_outputs(self, step: Step, cache_key: str) -> dict[str, Artifact] | None:
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


# --- lineage questions --------------------------------------------------------------------------


def model_lineage(
    workspace: str | os.PathLike[str] | None = None, *, model: str | None = None, language: str = "en"
) -> pd.DataFrame:
    """What produced a model (default: the deployed one): run, data snapshot, code, parameters, evaluation.

    ``model`` is a model's fingerprint (or a prefix). The answer is a two-column table, its questions
    in ``language``.
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
    deployed = store.deployed_model() == model_id
    rows = [
        (
            translate("model", language=language),
            translate(
                "{file} fingerprint {fingerprint}",
                language=language,
                file=model_artifact.path.name,
                fingerprint=model_artifact.fingerprint,
            ),
        ),
        (translate("deployed now", language=language), _yes_no(deployed, language=language)),
        (translate("produced by run", language=language), training_run["run"]),
        (translate("reused (cached) by runs", language=language), ", ".join(r["name"] for r in reused_by) or "-"),
        (translate("data snapshot", language=language), f"{snapshot.path.name} sha256 {snapshot.content_hash}"),
        (translate("training split", language=language), f"{train_split.path.name} sha256 {train_split.content_hash}"),
        (
            translate("code version", language=language),
            ", ".join(f"{name} {chain[name]['code_version']}" for name in STEP_NAMES if name in chain),
        ),
        (
            translate("parameters", language=language),
            ", ".join(f"{k}={canonical_json(v)}" for k, v in sorted(parameters.items())),
        ),
    ]
    if metrics:
        rows += [
            (translate("evaluation: {metric}", language=language, metric=k), f"{v:.4f}")
            for k, v in metrics["model"].items()
            if k != "n_rows"
        ]
        rows.append(
            (translate("evaluation: baseline roc_auc", language=language), f"{metrics['baseline']['roc_auc']:.4f}")
        )
    columns = [translate("question", language=language), translate("answer", language=language)]
    return pd.DataFrame(rows, columns=columns).set_index(columns[0])


def _yes_no(value: bool, *, language: str) -> str:
    return translate("yes", language=language) if value else translate("no", language=language)


def models_from_snapshot(
    workspace: str | os.PathLike[str] | None = None, *, snapshot: str, language: str = "en"
) -> pd.DataFrame:
    """Every model a data snapshot (given by its fingerprint, its content hash, or a prefix) fed, with how each was trained.

    The human headers and the yes/no answers are in ``language``; the parameter and metric columns keep their names.
    """
    import pandas as pd

    model_column = translate("model (fingerprint)", language=language)
    run_column = translate("run", language=language)
    deployed_column = translate("deployed now", language=language)

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
                model_column: model.fingerprint,
                run_column: producer["run"],
                "model_kind": params["model_kind"],
                "model_params": canonical_json(params["model_params"]),
                "roc_auc": f"{auc:.4f}" if auc is not None else "-",
                deployed_column: _yes_no(model_id == deployed, language=language),
            }
        )
    columns = [model_column, run_column, "model_kind", "model_params", "roc_auc", deployed_column]
    frame = pd.DataFrame(rows, columns=columns).drop_duplicates(model_column)
    return frame.reset_index(drop=True)
