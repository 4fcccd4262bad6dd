"""Model serving: a local prediction endpoint, the laptop counterpart of a Vertex AI Endpoint.

:class:`Endpoint` is a real HTTP server (FastAPI on uvicorn) bound to 127.0.0.1 on a
free port chosen by the operating system. Like a Vertex AI Endpoint it can host several
deployed models and splits traffic between them by percentage; the split is
deterministic per request id (a hash of the id picks a bucket from 0 to 99), so the same
request always reaches the same model, which is what a canary release needs to be
debuggable. Every request is validated against the model's input schema (a bad payload
gets a 422 answer that names each problem) and every answered instance is logged, which
is what model monitoring reads later.

    with Endpoint([DeployedModel("champion", model, version="1")]) as endpoint:
        endpoint.predict([{"tenure_months": 3, ...}], request_id="r-1")

The server runs in a background thread of the current process: starting takes a few
milliseconds, nothing is left behind after :meth:`Endpoint.stop` (or the ``with`` block),
and stopping twice is harmless. :func:`batch_predict` is the offline counterpart of a
Vertex AI batch prediction job.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_lab.data import CATEGORICAL_FEATURES, CATEGORIES, NUMERIC_FEATURES, VALID_RANGES

if TYPE_CHECKING:
    import pandas as pd


MAX_INSTANCES_PER_REQUEST = 10_000
_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 10.0
# Endpoints currently serving in this process, so a re-run notebook cell can stop the one it started before.
_running: set[Endpoint] = set()
_running_lock = threading.Lock()


@dataclass(frozen=True)
class InputSchema:
    """What a valid instance looks like: numeric columns with their valid ranges, categorical columns with their values."""

    numeric: Mapping[str, tuple[float, float] | None]
    categorical: Mapping[str, tuple[str, ...]]

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]


def churn_schema() -> InputSchema:
    """The input schema of the workbook's churn models, taken from the data contract in :mod:`mlops_lab.data`."""
    return InputSchema(
        numeric={name: VALID_RANGES.get(name) for name in NUMERIC_FEATURES},
        categorical={name: CATEGORIES[name] for name in CATEGORICAL_FEATURES},
    )


@dataclass(frozen=True)
class DeployedModel:
    """A model deployed to an endpoint: ``model_id`` names it in the traffic split and in the request log.

    ``model`` is anything with ``predict_proba`` (a scikit-learn pipeline); ``version`` and
    ``source`` record where it came from, e.g. version ``"2"`` loaded from ``models:/churn@challenger``.
    """

    model_id: str
    model: Any = field(repr=False)
    version: str = ""
    source: str = ""


def route(request_id: str, traffic_split: Mapping[str, int]) -> str:
    """The deployed model that serves ``request_id``: the same id always goes to the same model.

    The id is hashed into a bucket from 0 to 99; models own consecutive buckets in
    the order of their ids, as many as their percentage.
    """
    bucket = int.from_bytes(hashlib.sha256(request_id.encode("utf-8")).digest()[:8], "big") % 100
    upper = 0
    for model_id in sorted(traffic_split):
        upper += traffic_split[model_id]
        if bucket < upper:
            return model_id
    raise ValueError(f"traffic split {dict(traffic_split)} does not add up to 100")


def check_traffic_split(traffic_split: Mapping[str, int], deployed: Iterable[str]) -> dict[str, int]:
    """Validate a split the way Vertex AI does: whole percentages for deployed models, adding up to 100."""
    deployed = list(deployed)
    unknown = sorted(set(traffic_split) - set(deployed))
    if unknown:
        raise ValueError(f"traffic split names model(s) {unknown} that are not deployed; deployed: {deployed}")
    for model_id, share in traffic_split.items():
        if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
            raise ValueError(f"traffic for {model_id!r} must be a whole percentage from 0 to 100, got {share!r}")
    if sum(traffic_split.values()) != 100:
        raise ValueError(f"traffic split {dict(traffic_split)} adds up to {sum(traffic_split.values())}, not 100")
    return {model_id: int(traffic_split.get(model_id, 0)) for model_id in deployed}


def _instance_model(schema: InputSchema) -> Any:
    """A pydantic model for one instance: strict numbers within range, known categories, no extra fields."""
    from typing import Annotated, Literal

    from pydantic import ConfigDict, Field, create_model

    fields: dict[str, Any] = {}
    for name, bounds in schema.numeric.items():
        low, high = bounds if bounds else (None, None)
        fields[name] = (Annotated[float, Field(strict=True, ge=low, le=high, allow_inf_nan=False)], ...)
    for name, values in schema.categorical.items():
        fields[name] = (Literal[tuple(values)], ...)
    return create_model("Instance", __config__=ConfigDict(extra="forbid"), **fields)


def _describe_errors(errors: list[dict[str, Any]]) -> list[str]:
    """Pydantic's error list as short sentences: ``instances[0].tenure_months: Input should be ...``."""
    problems = []
    for error in errors:
        location = [part for part in error.get("loc", ()) if part != "body"]
        where = ""
        for part in location:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        problems.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
    return problems


class Endpoint:
    """A local online-prediction endpoint hosting one or more deployed models with a traffic split.

    ``traffic_split`` maps model ids to whole percentages that add up to 100 (default:
    everything to the first model). ``log_path``, if given, receives one JSON line per
    answered instance, so the request log outlives the process.
    """

    def __init__(
        self,
        models: DeployedModel | Iterable[DeployedModel],
        *,
        traffic_split: Mapping[str, int] | None = None,
        schema: InputSchema | None = None,
        name: str = "churn-endpoint",
        threshold: float = 0.5,
        log_path: str | os.PathLike[str] | None = None,
    ) -> None:
        deployed = [models] if isinstance(models, DeployedModel) else list(models)
        if not deployed:
            raise ValueError("an endpoint needs at least one deployed model")
        ids = [m.model_id for m in deployed]
        if len(set(ids)) != len(ids):
            raise ValueError(f"deployed model ids must be unique, got {ids}")
        self.name = name
        self.schema = schema or churn_schema()
        self.threshold = threshold
        self.log_path = Path(log_path) if log_path else None
        self._models = {m.model_id: m for m in deployed}
        self._split = check_traffic_split(traffic_split or {ids[0]: 100}, ids)
        self._lock = threading.Lock()
        self._log: list[dict[str, Any]] = []
        self._rejected: list[dict[str, Any]] = []
        self._sequence = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: Any = None
        self._client: Any = None

    # -- configuration -------------------------------------------------------------------
    @property
    def deployed_models(self) -> dict[str, DeployedModel]:
        return dict(self._models)

    @property
    def traffic_split(self) -> dict[str, int]:
        return dict(self._split)

    def set_traffic_split(self, traffic_split: Mapping[str, int]) -> None:
        """Change the split while serving (a canary's next step, or a rollback)."""
        split = check_traffic_split(traffic_split, self._models)
        with self._lock:
            self._split = split

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        """The base URL (``http://127.0.0.1:<port>``); the port changes on every start."""
        if self._socket is None:
            raise RuntimeError(f"endpoint {self.name!r} is not running; call start() first")
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        """The port the endpoint listens on (changes on every start; keep it out of printed output)."""
        return int(self.url.rsplit(":", 1)[1])

    def start(self) -> Endpoint:
        """Start serving on a free port of 127.0.0.1; starting a running endpoint does nothing."""
        if self.is_running:
            return self
        import socket

        import httpx
        import uvicorn

        # An explicit IPPROTO_TCP makes asyncio set TCP_NODELAY on accepted connections; without it,
        # Nagle's algorithm and delayed ACKs add ~40 ms to every small request.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Port 0 lets the operating system pick a free port: no clash with anything else running.
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            self._build_app(),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"endpoint-{self.name}", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"endpoint {self.name!r} did not start")
            time.sleep(0.005)
        self._client = httpx.Client(base_url=self.url, timeout=30.0)
        with _running_lock:
            _running.add(self)
        return self

    def stop(self) -> None:
        """Stop serving and free the port; stopping a stopped endpoint does nothing."""
        client, server, thread, sock = self._client, self._server, self._thread, self._socket
        self._client = self._server = self._thread = self._socket = None
        with _running_lock:
            _running.discard(self)
        if client is not None:
            # Closing the client first makes it, not the server, hold the closed connections' TIME_WAIT state.
            client.close()
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(_STOP_TIMEOUT_S)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(_STOP_TIMEOUT_S)
        if sock is not None:
            sock.close()

    def __enter__(self) -> Endpoint:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_running else "stopped"
        models = ", ".join(
            f"{m.model_id} (version {m.version}) {self._split[m.model_id]}%"
            if m.version
            else f"{m.model_id} {self._split[m.model_id]}%"
            for m in self._models.values()
        )
        return f"Endpoint({self.name!r}, {state}, traffic: {models})"

    # -- client side ---------------------------------------------------------------------
    def predict(self, instances: list[Mapping[str, Any]], *, request_id: str | None = None) -> dict[str, Any]:
        """Send one prediction request over HTTP and return the JSON answer.

        A rejected payload raises :class:`PredictionRequestError` carrying the status code and the problems.
        """
        if self._client is None:
            raise RuntimeError(f"endpoint {self.name!r} is not running; call start() first")
        body: dict[str, Any] = {"instances": list(instances)}
        if request_id is not None:
            body["request_id"] = request_id
        response = self._client.post(
            "/predict", content=json.dumps(body, default=_json_default), headers={"content-type": "application/json"}
        )
        answer = response.json()
        if response.status_code != 200:
            raise PredictionRequestError(response.status_code, answer.get("error", ""), answer.get("problems", []))
        return answer

    # -- request log ---------------------------------------------------------------------
    def request_log(self) -> pd.DataFrame:
        """Every answered instance in arrival order: request id, deployed model, features and prediction."""
        import pandas as pd

        with self._lock:
            records = list(self._log)
        columns = [
            "sequence",
            "request_id",
            "model_id",
            "model_version",
            *self.schema.columns,
            "probability",
            "prediction",
        ]
        return pd.DataFrame.from_records(records, columns=columns)

    def rejected_requests(self) -> list[dict[str, Any]]:
        """The requests answered with a 4xx status, with the problems they were told about."""
        with self._lock:
            return list(self._rejected)

    # -- server side ---------------------------------------------------------------------
    def _build_app(self) -> Any:
        from fastapi import FastAPI, Request
        from fastapi.exceptions import RequestValidationError
        from fastapi.responses import JSONResponse
        from pydantic import BaseModel, ConfigDict, Field

        instance_model = _instance_model(self.schema)

        class PredictRequest(BaseModel):
            model_config = ConfigDict(extra="forbid")
            instances: list[instance_model] = Field(min_length=1, max_length=MAX_INSTANCES_PER_REQUEST)  # type: ignore[valid-type]
            request_id: str | None = Field(default=None, min_length=1, max_length=200)

        app = FastAPI(title=f"{self.name} (MLOps Lab local endpoint)", docs_url=None, redoc_url=None, openapi_url=None)

        @app.exception_handler(RequestValidationError)
        def reject(request: Request, exc: RequestValidationError) -> JSONResponse:
            problems = _describe_errors(list(exc.errors()))
            with self._lock:
                self._rejected.append({"status": 422, "problems": problems})
            error = f"invalid prediction request: {len(problems)} problem(s); first: {problems[0]}"
            return JSONResponse(status_code=422, content={"error": error, "problems": problems})

        @app.get("/health")
        def health() -> dict[str, Any]:
            return {"status": "ok", "endpoint": self.name, "traffic_split": self.traffic_split}

        # A plain `def` runs in FastAPI's thread pool, so slow predictions never block the event loop.
        def predict(body: PredictRequest) -> dict[str, Any]:
            return self._answer(body.instances, body.request_id)

        # FastAPI reads the body type from the annotation, which postponed evaluation leaves as a string.
        predict.__annotations__["body"] = PredictRequest
        app.post("/predict")(predict)
        return app

    def _answer(self, instances: list[Any], request_id: str | None) -> dict[str, Any]:
        import pandas as pd

        rows = [instance.model_dump() for instance in instances]
        with self._lock:
            if request_id is None:
                request_id = f"auto-{self._sequence:08d}"
            split = self._split
            self._sequence += 1
        deployed = self._models[route(request_id, split)]
        frame = pd.DataFrame.from_records(rows, columns=self.schema.columns)
        probabilities = deployed.model.predict_proba(frame)[:, 1]
        predictions = [
            {"probability": round(float(p), 6), "prediction": int(p >= self.threshold)} for p in probabilities
        ]
        records = [
            {
                "request_id": request_id,
                "model_id": deployed.model_id,
                "model_version": deployed.version,
                **row,
                **answer,
            }
            for row, answer in zip(rows, predictions, strict=True)
        ]
        with self._lock:
            for record in records:
                record["sequence"] = len(self._log)
                self._log.append(record)
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as log_file:
                    log_file.writelines(json.dumps(record) + "\n" for record in records)
        return {
            "predictions": predictions,
            "request_id": request_id,
            "deployed_model_id": deployed.model_id,
            "model_version": deployed.version,
        }


def running_endpoints() -> list[Endpoint]:
    """The endpoints serving in this process right now."""
    with _running_lock:
        return list(_running)


@atexit.register
def stop_all() -> int:
    """Stop every endpoint still serving in this process (also run when Python exits); returns how many."""
    endpoints = running_endpoints()
    for endpoint in endpoints:
        endpoint.stop()
    return len(endpoints)


def is_listening(port: int, *, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on ``host:port`` (after :meth:`Endpoint.stop` nothing should)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex((host, port)) == 0


class PredictionRequestError(Exception):
    """The endpoint refused a request (status 4xx); ``problems`` lists what was wrong with it."""

    def __init__(self, status_code: int, error: str, problems: list[str]) -> None:
        super().__init__(f"HTTP {status_code}: {error}")
        self.status_code = status_code
        self.error = error
        self.problems = problems


def _json_default(value: Any) -> Any:
    """numpy scalars (from a pandas row) as plain JSON numbers."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def instances_from_frame(frame: pd.DataFrame, *, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Rows of ``frame`` as JSON-ready instances (only the model's feature columns, NaN as null)."""
    import numpy as np

    picked = frame[list(columns) if columns is not None else churn_schema().columns]
    cleaned = picked.astype(object).where(picked.notna(), None)
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in cleaned.to_dict(orient="records")
    ]


@dataclass(frozen=True)
class BatchPrediction:
    """The result of a batch prediction job: one row per input row, plus how it went."""

    predictions: pd.DataFrame
    model_id: str
    n_rows: int
    positive_rate: float

    def __repr__(self) -> str:
        return f"BatchPrediction(model={self.model_id!r}, rows={self.n_rows}, predicted churn rate={self.positive_rate:.3f})"


def batch_predict(
    deployed: DeployedModel,
    frame: pd.DataFrame,
    *,
    id_column: str = "customer_id",
    threshold: float = 0.5,
    output_path: str | os.PathLike[str] | None = None,
) -> BatchPrediction:
    """Score a whole table offline, without an endpoint: the counterpart of a Vertex AI batch prediction job.

    Returns the ids with a probability and a decision per row; ``output_path`` (CSV)
    keeps the result, as a batch job writes to Cloud Storage or BigQuery.
    """
    import pandas as pd

    columns = churn_schema().columns
    missing = [c for c in [id_column, *columns] if c not in frame.columns]
    if missing:
        raise ValueError(f"batch input lacks column(s) {missing}")
    probabilities = deployed.model.predict_proba(frame[columns])[:, 1]
    result = pd.DataFrame(
        {
            id_column: frame[id_column].to_numpy(),
            "probability": probabilities.round(6),
            "prediction": (probabilities >= threshold).astype(int),
        }
    )
    if output_path is not None:
        result.to_csv(output_path, index=False)
    return BatchPrediction(
        predictions=result,
        model_id=deployed.model_id,
        n_rows=len(result),
        positive_rate=round(float(result["prediction"].mean()), 4),
    )
