"""Model serving: a local prediction endpoint, the laptop counterpart of a Vertex AI Endpoint.

:class:`Endpoint` is a real HTTP server (FastAPI on uvicorn) bound to 127.0.0.1 on a
free port chosen by the operating system. Like a Vertex AI Endpoint it can host several
deployed models and splits traffic between them by percentage; the split is
deterministic per request id (a hash of the id picks a bucket from 0 to 99), so the same
request always reaches the same model, which is what a canary release needs to be
debuggable. Every request is validated against the model's input schema (a bad payload
gets a 422 answer that names each problem) and every answered instance is logged, which
is what model monitoring reads later.

Every refusal has the same shape, ``{"error": "...", "problems": ["..."]}``, and is kept in
:meth:`Endpoint.rejected_requests`: 422 for a body that is not valid JSON or does not match
the schema, 415 for a body not sent as ``Content-Type: application/json``, 413 for a body over
``max_request_bytes`` (default :data:`MAX_REQUEST_BYTES`, 8 MiB, room for the largest request
of :data:`MAX_INSTANCES_PER_REQUEST` instances). An instance is logged only once it has been
written to ``log_path`` (when given), so the in-memory log and the file always agree with the
answers; a request whose log entry cannot be written gets a 500 and no prediction.

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
from mlops_lab.errors import LearnerInputError, PredictionRequestError, RequestLogError
from mlops_lab.i18n import check_language, translatable, translate
from mlops_lab.row_scoring import RowScorer, predict_proba, row_scorer

if TYPE_CHECKING:
    import pandas as pd


MAX_INSTANCES_PER_REQUEST = 10_000
MAX_REQUEST_BYTES = 8 * 1024 * 1024
DEFAULT_KEEP_ALIVE_S = 5.0
# A JSON integer longer than this is refused while parsing (no feature needs one; Python's own limit is 4,300 digits).
_MAX_INTEGER_DIGITS = 100
# An oversized body is read (and dropped) up to this many times the limit, so the client sees the 413 answer
# instead of a connection reset while it is still sending; beyond that the connection is simply closed.
_DRAIN_FACTOR = 4
_START_TIMEOUT_S = 10.0
# Sends of a prediction whose connection closed before any answer, before the last try that may raise.
_RESENDS = 3
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
        raise LearnerInputError(
            translatable("traffic split names model(s) {unknown} that are not deployed; deployed: {deployed}"),
            unknown=unknown,
            deployed=deployed,
        )
    for model_id, share in traffic_split.items():
        if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
            raise LearnerInputError(
                translatable("traffic for {model!r} must be a whole percentage from 0 to 100, got {got!r}"),
                model=model_id,
                got=share,
            )
    if sum(traffic_split.values()) != 100:
        raise LearnerInputError(
            translatable("traffic split {split} adds up to {total}, not 100"),
            split=dict(traffic_split),
            total=sum(traffic_split.values()),
        )
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
    answered instance, so the request log outlives the process; its folder is created and the
    file checked when the endpoint starts. ``max_request_bytes`` caps a request body (413 above
    it). ``keep_alive_s`` is how long the server keeps an idle connection open; the endpoint's
    own client gives up idle connections after half that time, so it never sends a request on
    a connection the server is closing. ``language``: the language the endpoint describes itself in.
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
        max_request_bytes: int = MAX_REQUEST_BYTES,
        keep_alive_s: float = DEFAULT_KEEP_ALIVE_S,
        language: str = "en",
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
        if max_request_bytes < 1 or keep_alive_s <= 0:
            raise ValueError("max_request_bytes and keep_alive_s must be positive")
        self.max_request_bytes = int(max_request_bytes)
        self.keep_alive_s = float(keep_alive_s)
        self.language = check_language(language)
        self._models = {m.model_id: m for m in deployed}
        # Built once per deployed model: a request's rows are scored without scikit-learn's per-call overhead
        # (same probabilities; see mlops_lab.row_scoring). None (another model, or a schema whose columns are not
        # the ones the model was fitted on, in that order): the model's own predict_proba on a DataFrame.
        self._scorers = {m.model_id: self._row_scorer(m.model) for m in deployed}
        self._split = check_traffic_split(traffic_split or {ids[0]: 100}, ids)
        self._lock = threading.Lock()
        self._log: list[dict[str, Any]] = []
        self._rejected: list[dict[str, Any]] = []
        self._sequence = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: Any = None
        self._client: Any = None

    def _row_scorer(self, model: Any) -> RowScorer | None:
        scorer = row_scorer(model)
        return scorer if scorer is not None and scorer.columns == tuple(self.schema.columns) else None

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
        self._check_log_path()
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
            timeout_keep_alive=self.keep_alive_s,  # type: ignore[arg-type]  # uvicorn takes any number of seconds
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
        # Idle connections expire on the client well before the server closes them, so a request is never sent
        # on a connection the server is just closing (that race loses the request).
        limits = httpx.Limits(keepalive_expiry=self.keep_alive_s / 2)
        self._client = httpx.Client(base_url=self.url, timeout=30.0, limits=limits)
        with _running_lock:
            _running.add(self)
        return self

    def _check_log_path(self) -> None:
        """Create the log's folder and make sure the file can be appended to, before any request is answered."""
        if self.log_path is None:
            return
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise ValueError(f"endpoint {self.name!r} cannot write its request log {self.log_path}: {exc}") from None

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
        language = self.language
        state = translate("running", language=language) if self.is_running else translate("stopped", language=language)
        models = ", ".join(
            translate(
                "{model_id} (version {version}) {share}%",
                language=language,
                model_id=m.model_id,
                version=m.version,
                share=self._split[m.model_id],
            )
            if m.version
            else f"{m.model_id} {self._split[m.model_id]}%"
            for m in self._models.values()
        )
        return translate(
            "Endpoint({name!r}, {state}, traffic: {models})",
            language=language,
            name=self.name,
            state=state,
            models=models,
        )

    # -- client side ---------------------------------------------------------------------
    def predict(self, instances: list[Mapping[str, Any]], *, request_id: str | None = None) -> dict[str, Any]:
        """Send one prediction request over HTTP and return the JSON answer.

        A refused request raises :class:`PredictionRequestError` carrying the status code and the problems.
        """
        if self._client is None:
            raise RuntimeError(f"endpoint {self.name!r} is not running; call start() first")
        body: dict[str, Any] = {"instances": list(instances)}
        if request_id is not None:
            body["request_id"] = request_id
        response = post_json(self._client, "/predict", json.dumps(body, default=_json_default).encode("utf-8"))
        try:
            answer = response.json()
        except ValueError:
            raise PredictionRequestError(response.status_code, response.text[:200], []) from None
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
        from fastapi.responses import JSONResponse
        from pydantic import BaseModel, ConfigDict, Field
        from starlette.concurrency import run_in_threadpool
        from starlette.exceptions import HTTPException

        instance_model = _instance_model(self.schema)

        class PredictRequest(BaseModel):
            model_config = ConfigDict(extra="forbid")
            instances: list[instance_model] = Field(min_length=1, max_length=MAX_INSTANCES_PER_REQUEST)  # type: ignore[valid-type]
            request_id: str | None = Field(default=None, min_length=1, max_length=200)

        app = FastAPI(title=f"{self.name} (MLOps Lab local endpoint)", docs_url=None, redoc_url=None, openapi_url=None)

        @app.exception_handler(HTTPException)
        def refuse(request: Request, exc: HTTPException) -> JSONResponse:
            # Unknown paths and methods answer in the endpoint's format too.
            where = f"{request.method} {request.url.path}"
            return self._refusal(exc.status_code, f"{where}: {exc.detail}", [f"request: {exc.detail}"])

        @app.exception_handler(Exception)
        def fail(request: Request, exc: Exception) -> JSONResponse:
            return self._refusal(500, f"the endpoint failed: {type(exc).__name__}: {exc}", [])

        @app.get("/health")
        def health() -> dict[str, Any]:
            return {"status": "ok", "endpoint": self.name, "traffic_split": self.traffic_split}

        async def predict(request: Request) -> JSONResponse:
            content_type = request.headers.get("content-type", "")
            if content_type.split(";")[0].strip().lower() != "application/json":
                got = repr(content_type) if content_type else "no Content-Type"
                return self._refusal(
                    415,
                    f"unsupported media type: send the JSON body with the header 'Content-Type: application/json' "
                    f"(got {got})",
                    [f"headers.content-type: expected application/json, got {got}"],
                )
            body = await self._read_body(request)
            if body is None:
                limit = self.max_request_bytes
                return self._refusal(
                    413,
                    f"request body too large: at most {limit} bytes; send fewer instances per request",
                    [f"body: larger than {limit} bytes"],
                )
            # Parsing, validation and the model run in FastAPI's thread pool, so they never block the event loop.
            status, answer = await run_in_threadpool(self._handle, body, PredictRequest)
            if status != 200:
                return self._refusal(status, answer["error"], answer["problems"])
            return JSONResponse(answer)

        # FastAPI reads the parameter type from the annotation, which postponed evaluation leaves as a string.
        predict.__annotations__["request"] = Request
        app.post("/predict")(predict)
        return app

    async def _read_body(self, request: Any) -> bytes | None:
        """The request body, or None when it is over the limit (read on a little, so the client hears the 413)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_request_bytes * _DRAIN_FACTOR:
            return None
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_request_bytes * _DRAIN_FACTOR:
                return None
        return None if len(body) > self.max_request_bytes else bytes(body)

    def _refusal(self, status: int, error: str, problems: list[str]) -> Any:
        from fastapi.responses import JSONResponse

        if 400 <= status < 500:
            with self._lock:
                self._rejected.append({"status": status, "problems": problems})
        return JSONResponse(status_code=status, content={"error": error, "problems": problems})

    def _handle(self, body: bytes, request_model: Any) -> tuple[int, dict[str, Any]]:
        """Parse, validate and answer one request body: (status, answer or error)."""
        from pydantic import ValidationError

        try:
            payload = json.loads(body, parse_int=_parse_int)
        except RecursionError:
            problems = ["body: JSON nested too deeply to parse"]
        except ValueError as exc:  # JSONDecodeError, a number too long, bytes that are not UTF-8 text
            problems = [f"body: not valid JSON: {exc}"[:300]]
        else:
            try:
                request = request_model.model_validate(payload)
            except ValidationError as exc:
                problems = _describe_errors(list(exc.errors()))
            except RecursionError:
                problems = ["body: nested too deeply to validate"]
            else:
                try:
                    return 200, self._answer(request.instances, request.request_id)
                except RequestLogError as exc:
                    return 500, {"error": str(exc), "problems": []}
        error = f"invalid prediction request: {len(problems)} problem(s); first: {problems[0]}"
        return 422, {"error": error, "problems": problems}

    def _answer(self, instances: list[Any], request_id: str | None) -> dict[str, Any]:
        rows = [instance.model_dump() for instance in instances]
        with self._lock:
            if request_id is None:
                request_id = f"auto-{self._sequence:08d}"
            split = self._split
            self._sequence += 1
        deployed = self._models[route(request_id, split)]
        scorer = self._scorers[deployed.model_id]
        if scorer is not None:
            probabilities = scorer.predict_proba(rows)[:, 1]
        else:
            import pandas as pd

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
            for number, record in enumerate(records, start=len(self._log)):
                record["sequence"] = number
            if self.log_path is not None:
                _append_whole_lines(self.log_path, [json.dumps(record) + "\n" for record in records])
            # Only once the file has them: the in-memory log never holds a request that was not answered.
            self._log.extend(records)
        return {
            "predictions": predictions,
            "request_id": request_id,
            "deployed_model_id": deployed.model_id,
            "model_version": deployed.version,
        }


def _append_whole_lines(path: Path, lines: list[str]) -> None:
    """Append whole lines or nothing: a failed write is cut back, so the file never holds a partial request."""
    data = "".join(lines).encode("utf-8")
    try:
        # Unbuffered, so a failed write is not retried by a flush on close after the file was cut back.
        with path.open("ab", buffering=0) as log_file:
            size = log_file.seek(0, os.SEEK_END)
            try:
                written = 0
                while written < len(data):
                    written += log_file.write(data[written:]) or 0
            except OSError:
                log_file.truncate(size)
                raise
    except OSError as exc:
        raise RequestLogError(
            f"the request was not served: its log entry could not be written to {path} ({exc})"
        ) from None


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INTEGER_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-'))} digits (at most {_MAX_INTEGER_DIGITS})")
    return int(text)


def post_json(client: Any, path: str, content: bytes) -> Any:
    """POST a JSON body and read the answer; sent again (at most 3 more times) if the connection closed before any answer.

    A keep-alive connection can be closed by the server at the moment a request goes out on it;
    the server then never read the request, so sending it again on a fresh connection is safe for a
    prediction (the same request id reaches the same model). An error after the answer began is raised.
    """
    import httpx

    request = client.build_request("POST", path, content=content, headers={"content-type": "application/json"})
    # Each failed send drops its dead connection from the pool, but the next pooled one may have died the same way
    # (the server closes every idle connection at once): a few more sends, not one.
    for _ in range(_RESENDS):
        try:
            response = client.send(request, stream=True)
            break
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            continue
    else:
        response = client.send(request, stream=True)
    try:
        response.read()
    finally:
        response.close()
    return response


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
    language: str = field(default="en", repr=False, compare=False)

    def __repr__(self) -> str:
        return translate(
            "BatchPrediction(model={model!r}, rows={rows}, predicted churn rate={rate:.3f})",
            language=self.language,
            model=self.model_id,
            rows=self.n_rows,
            rate=self.positive_rate,
        )


def batch_predict(
    deployed: DeployedModel,
    frame: pd.DataFrame,
    *,
    id_column: str = "customer_id",
    threshold: float = 0.5,
    output_path: str | os.PathLike[str] | None = None,
    language: str = "en",
) -> BatchPrediction:
    """Score a whole table offline, without an endpoint: the counterpart of a Vertex AI batch prediction job.

    Returns the ids with a probability and a decision per row; ``output_path`` (CSV)
    keeps the result, as a batch job writes to Cloud Storage or BigQuery. ``language``: the language the result
    is shown in.
    """
    import pandas as pd

    columns = churn_schema().columns
    missing = [c for c in [id_column, *columns] if c not in frame.columns]
    if missing:
        raise ValueError(f"batch input lacks column(s) {missing}")
    probabilities = predict_proba(deployed.model, frame[columns])[:, 1]
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
        language=language,
    )
