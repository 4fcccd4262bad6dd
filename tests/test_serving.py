import json
import math
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from mlops_lab import data, training
from mlops_lab.exercise_checks import check_canary_split
from mlops_lab.serving import (
    DeployedModel,
    Endpoint,
    PredictionRequestError,
    batch_predict,
    check_traffic_split,
    instances_from_frame,
    is_listening,
    route,
    running_endpoints,
    stop_all,
)


class ConstantModel:
    """A model that always answers ``probability``: which model served a request shows in the answer."""

    def __init__(self, probability: float) -> None:
        self.probability = probability

    def predict_proba(self, frame):
        import numpy as np

        return np.tile([1 - self.probability, self.probability], (len(frame), 1))


@pytest.fixture(scope="module")
def customers():
    return data.make_customers(n_months=2, customers_per_month=200, seed=3)


@pytest.fixture(scope="module")
def instances(customers):
    return instances_from_frame(customers.head(5))


def endpoint_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("endpoint-")]


def port_is_closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def canary(split=None) -> Endpoint:
    return Endpoint(
        [
            DeployedModel("champion", ConstantModel(0.1), version="1"),
            DeployedModel("challenger", ConstantModel(0.9), version="2"),
        ],
        traffic_split=split or {"champion": 70, "challenger": 30},
    )


def test_concurrent_requests_are_all_answered_and_split_by_request_id(instances):
    split = {"champion": 70, "challenger": 30}
    n_requests = 400
    with canary(split) as endpoint:
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(
                pool.map(lambda i: endpoint.predict(instances[:2], request_id=f"req-{i}"), range(n_requests))
            )
        log = endpoint.request_log()
    assert len(answers) == n_requests
    for i, answer in enumerate(answers):
        assert answer["request_id"] == f"req-{i}"
        assert answer["deployed_model_id"] == route(f"req-{i}", split)
        expected = 0.1 if answer["deployed_model_id"] == "champion" else 0.9
        assert [p["probability"] for p in answer["predictions"]] == [expected, expected]
    # Every instance of every request is in the log, once, with the model that answered it.
    assert len(log) == 2 * n_requests
    assert sorted(log["sequence"]) == list(range(2 * n_requests))
    assert log.groupby("request_id").size().eq(2).all() and log["request_id"].nunique() == n_requests
    challenger_share = sum(a["deployed_model_id"] == "challenger" for a in answers) / n_requests
    assert abs(challenger_share - 0.30) < 0.07  # three standard deviations of a 30% binomial share over 400 requests


def test_the_same_request_id_always_reaches_the_same_model(instances):
    with canary({"champion": 50, "challenger": 50}) as endpoint:
        first = [endpoint.predict(instances[:1], request_id=f"id-{i}")["deployed_model_id"] for i in range(30)]
        again = [
            endpoint.predict(instances[:1], request_id=f"id-{i}")["deployed_model_id"] for i in reversed(range(30))
        ]
    assert first == again[::-1]
    assert set(first) == {"champion", "challenger"}


def test_route_spreads_ids_by_percentage_and_ignores_split_order():
    split = {"a": 10, "b": 60, "c": 30}
    routed = [route(f"user-{i}", split) for i in range(20_000)]
    for model_id, share in split.items():
        assert abs(routed.count(model_id) / len(routed) - share / 100) < 0.015
    assert routed[:500] == [route(f"user-{i}", {"c": 30, "a": 10, "b": 60}) for i in range(500)]
    assert {route(f"user-{i}", {"a": 0, "b": 100, "c": 0}) for i in range(200)} == {"b"}


def test_a_real_model_answers_the_same_as_offline_prediction(customers, instances, tmp_path):
    model = training.train_model(customers, seed=0)
    deployed = DeployedModel("champion", model, version="1", source="models:/churn@champion")
    offline = model.predict_proba(customers.head(5)[list(data.FEATURES)])[:, 1]
    with Endpoint(deployed, log_path=tmp_path / "requests.jsonl") as endpoint:
        answer = endpoint.predict(instances, request_id="r-1")
    assert [p["probability"] for p in answer["predictions"]] == pytest.approx(offline, abs=1e-6)
    assert [p["prediction"] for p in answer["predictions"]] == [int(p >= 0.5) for p in offline]
    logged = [json.loads(line) for line in (tmp_path / "requests.jsonl").read_text().splitlines()]
    assert [r["tenure_months"] for r in logged] == [i["tenure_months"] for i in instances]
    assert {r["model_version"] for r in logged} == {"1"}
    batch = batch_predict(deployed, customers.head(5), output_path=tmp_path / "batch.csv")
    assert batch.predictions["probability"].tolist() == pytest.approx(offline, abs=1e-6)
    assert (tmp_path / "batch.csv").read_text().splitlines()[0] == "customer_id,probability,prediction"


def post(endpoint, body):
    return endpoint._client.post("/predict", content=body, headers={"content-type": "application/json"})


def _bad(instances, **changes):
    instance = dict(instances[0])
    for key, value in changes.items():
        if value is KeyError:
            del instance[key]
        else:
            instance[key] = value
    return {"instances": [instance]}


@pytest.mark.parametrize(
    "make_body, expected",
    [
        (lambda i: _bad(i, tenure_months="twelve"), "instances[0].tenure_months: Input should be a valid number"),
        (lambda i: _bad(i, region=KeyError), "instances[0].region: Field required"),
        (lambda i: _bad(i, support_tickets=3), "instances[0].support_tickets: Extra inputs are not permitted"),
        (lambda i: _bad(i, contract="three-year"), "instances[0].contract: Input should be 'month-to-month'"),
        (lambda i: _bad(i, tenure_months=-1), "instances[0].tenure_months: Input should be greater than or equal to 0"),
        (
            lambda i: _bad(i, monthly_charges=float("nan")),
            "instances[0].monthly_charges: Input should be a finite number",
        ),
        (lambda i: _bad(i, support_calls=True), "instances[0].support_calls: Input should be a valid number"),
        (lambda i: {"instances": []}, "instances: List should have at least 1 item"),
        (lambda i: {"instances": i[0]}, "instances: Input should be a valid list"),
        (lambda i: {"rows": i}, "instances: Field required"),
    ],
)
def test_bad_payloads_get_a_422_naming_the_problem_and_are_not_served(instances, make_body, expected):
    with canary() as endpoint:
        response = post(endpoint, json.dumps(make_body(instances)))
        assert response.status_code == 422
        answer = response.json()
        assert any(problem.startswith(expected) for problem in answer["problems"]), answer["problems"]
        assert answer["error"].startswith(f"invalid prediction request: {len(answer['problems'])} problem(s); first: ")
        assert endpoint.request_log().empty
        assert endpoint.rejected_requests() == [{"status": 422, "problems": answer["problems"]}]
        # A bad request does not break the endpoint for the next one.
        assert endpoint.predict(instances[:1], request_id="fine")["predictions"]


def test_a_body_that_is_not_json_gets_a_422(instances):
    with canary() as endpoint:
        response = post(endpoint, b"{not json")
        assert response.status_code == 422
        assert "JSON" in response.json()["error"]


def test_the_client_raises_with_every_problem_listed(instances):
    bad = dict(instances[0], tenure_months="x", contract="three-year")
    with canary() as endpoint:
        with pytest.raises(PredictionRequestError, match="HTTP 422: invalid prediction request: 2 problem") as caught:
            endpoint.predict([instances[1], bad])
    assert [p.split(":")[0] for p in caught.value.problems] == ["instances[1].tenure_months", "instances[1].contract"]


def test_start_and_stop_twice_in_one_process_leaves_no_thread_or_port(instances):
    endpoint = canary()
    ports = []
    for _ in range(2):
        with endpoint:
            assert endpoint.is_running and endpoint.start() is endpoint  # starting again does nothing
            ports.append(int(endpoint.url.rsplit(":", 1)[1]))
            assert endpoint.predict(instances[:1])["predictions"]
            health = endpoint._client.get("/health").json()
            assert health == {
                "status": "ok",
                "endpoint": "churn-endpoint",
                "traffic_split": {"champion": 70, "challenger": 30},
            }
        assert not endpoint.is_running and endpoint_threads() == []
        assert port_is_closed(ports[-1])
        endpoint.stop()  # stopping again is harmless
    assert all(host_port > 0 for host_port in ports)
    # The log outlives restarts; requests without an id got sequential ones.
    assert endpoint.request_log()["request_id"].tolist() == ["auto-00000000", "auto-00000001"]
    with pytest.raises(RuntimeError, match="not running; call start"):
        endpoint.predict(instances[:1])
    # The freed port can be bound again by anyone.
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", ports[-1]))


def test_the_endpoint_stops_even_when_the_block_raises(instances):
    endpoint = canary()
    with pytest.raises(ZeroDivisionError), endpoint:
        port = int(endpoint.url.rsplit(":", 1)[1])
        _ = 1 / 0
    assert not endpoint.is_running and port_is_closed(port) and endpoint_threads() == []


def test_repr_never_shows_the_port():
    endpoint = canary()
    with endpoint:
        shown = repr(endpoint)
        port = endpoint.url.rsplit(":", 1)[1]
    assert shown == "Endpoint('churn-endpoint', running, traffic: champion (version 1) 70%, challenger (version 2) 30%)"
    assert port not in shown
    assert repr(endpoint).startswith("Endpoint('churn-endpoint', stopped")


def test_traffic_split_can_change_while_serving(instances):
    with canary() as endpoint:
        endpoint.set_traffic_split({"champion": 0, "challenger": 100})
        served = {endpoint.predict(instances[:1], request_id=f"x{i}")["deployed_model_id"] for i in range(20)}
    assert served == {"challenger"}


@pytest.mark.parametrize(
    "split, message",
    [
        ({"champion": 90, "challenger": 20}, "adds up to 110, not 100"),
        ({"champion": 90, "canary": 10}, "not deployed"),
        ({"champion": 90.0, "challenger": 10}, "whole percentage"),
        ({"champion": 101, "challenger": -1}, "whole percentage"),
    ],
)
def test_invalid_traffic_splits_are_refused(split, message):
    with pytest.raises(ValueError, match=message):
        check_traffic_split(split, ["champion", "challenger"])
    with pytest.raises(ValueError, match=message):
        canary(split)


def test_deployments_need_unique_models():
    with pytest.raises(ValueError, match="unique"):
        Endpoint([DeployedModel("a", ConstantModel(0.1)), DeployedModel("a", ConstantModel(0.2))])
    with pytest.raises(ValueError, match="at least one"):
        Endpoint([])


def test_instances_from_frame_gives_plain_json_values(customers):
    frame = customers.head(2).copy()
    frame["monthly_charges"] = frame["monthly_charges"].astype(float)
    frame.loc[frame.index[0], "monthly_charges"] = math.nan
    rows = instances_from_frame(frame)
    assert rows[0]["monthly_charges"] is None and type(rows[1]["tenure_months"]) is int
    assert list(rows[0]) == list(data.FEATURES)
    json.dumps(rows)


@pytest.mark.parametrize(
    "value, passed, message",
    [
        ({"champion": 80, "challenger": 20}, True, "champion keeps 80%"),
        ({"challenger": 20, "champion": 80}, True, "would reach the challenger"),
        ({"champion": 90, "challenger": 10}, False, "gets 10% of the traffic"),
        ({"champion": 80, "challenger": 30}, False, "adds up to 110"),
        ({"champion": 80, "canary": 20}, False, "not deployed"),
        ([80, 20], False, "a traffic split is a dict"),
    ],
)
def test_the_canary_exercise_check(value, passed, message):
    feedback = check_canary_split(value)
    assert feedback.passed is passed and message in feedback.message


def test_is_listening_sees_a_running_endpoint_and_not_a_stopped_one():
    endpoint = canary().start()
    port = endpoint.port
    assert is_listening(port)
    endpoint.stop()
    assert not is_listening(port)


def test_stop_all_stops_every_running_endpoint_once():
    first, second = canary().start(), canary().start()
    assert {id(e) for e in running_endpoints()} >= {id(first), id(second)}
    assert stop_all() == 2
    assert not first.is_running and not second.is_running and endpoint_threads() == []
    assert stop_all() == 0 and running_endpoints() == []
