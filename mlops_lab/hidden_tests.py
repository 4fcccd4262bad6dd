"""The hidden tests of the code exercises: small, fixed inputs with edge cases, and what failing them means.

A code exercise asks the learner for a function (a run-selection rule, a data-validation rule, a
cache key, a retrain trigger, a canary routing rule). Its tests live here, not in the notebook, so
the learner writes the function from the prompt. Every :class:`Case` calls the function on one
situation and returns ``None`` when it behaves as the prompt asks, or a :class:`Problem`: a sentence
that says what went wrong ("a batch with a missing column was accepted"), never how to fix it. The
sentence is kept in English with the values it names, and rendered in the learner's language when
shown (:mod:`mlops_lab.i18n`), so the same result reads in either edition.

Cases are built on demand, inside functions, so importing this module loads no heavy library.
"""

from __future__ import annotations

import copy
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlops_lab.i18n import Phrase, translatable

# What a hidden test found wrong: an English sentence and the values it names, said in the learner's language.
Problem = Phrase


def problem(text: str, /, **values: Any) -> Problem:
    """A :class:`Problem` of ``text`` (written inside ``translatable(...)``) with its placeholders' ``values``."""
    return Phrase(text, **values)


Check = Callable[[Callable[..., Any]], "Problem | None"]


@dataclass(frozen=True)
class Case:
    """One hidden test: the situation it tries (named when the function raises) and its check.

    ``situation`` is English, marked with ``translatable(...)`` where the case is written.
    """

    situation: str
    check: Check


@dataclass(frozen=True)
class CodeExercise:
    """A code exercise: its id, the notebook it belongs to, the function name the prompt asks for, its cases."""

    id: str
    notebook: str
    function: str
    build_cases: Callable[[], tuple[Case, ...]]

    def cases(self) -> tuple[Case, ...]:
        return self.build_cases()


def global_names(code: types.CodeType) -> set[str]:
    """Every global name a function's code (nested functions included) refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= global_names(const)
    return names


def _uses_builtin_hash(function: Callable[..., Any]) -> Problem | None:
    code = getattr(function, "__code__", None)
    if code is not None and "hash" in global_names(code):
        return problem(
            translatable("your function uses Python's hash(), which gives other numbers every time Python starts")
        )
    return None


# ---------------------------------------------------------------------------------------------
# 01_pain_points: pick the best run above a recall floor


def _runs_table(rows: list[tuple[str, float, float, float]]) -> Any:
    import pandas as pd

    return pd.DataFrame(rows, columns=["run", "roc_auc", "recall", "precision"]).set_index("run")


def _verdict(picked: Any, *, want: str, otherwise: str, known_wrong: dict[str, str] | None = None) -> Problem | None:
    """None when ``picked`` is ``want``; else the problem of a known wrong pick, or ``otherwise``."""
    if picked == want:
        return None
    return problem((known_wrong or {}).get(picked, otherwise) if isinstance(picked, str) else otherwise)


def _pick_run_cases() -> tuple[Case, ...]:
    nan = float("nan")
    table = _runs_table(
        [
            ("trial-3", 0.76, 0.70, 0.55),
            ("trial-1", 0.80, 0.60, 0.50),
            ("trial-4", 0.74, 0.85, 0.30),
            ("trial-2", 0.78, 0.72, 0.40),
        ]
    )
    at_floor = _runs_table(
        [("trial-1", 0.80, 0.60, 0.50), ("trial-2", 0.78, 0.75, 0.40), ("trial-3", 0.79, 0.70, 0.45)]
    )
    unscored = _runs_table([("trial-5", nan, 0.90, nan), ("trial-1", 0.80, 0.60, 0.50), ("trial-2", 0.78, 0.72, 0.40)])

    def everyone_clears(f: Callable[..., Any]) -> Problem | None:
        picked = f(table.copy(), metric="roc_auc", min_recall=0.5)
        if not isinstance(picked, str):
            return problem(
                translatable("the function should return a run's name (the table's index), got {type}"),
                type=type(picked).__name__,
            )
        return _verdict(picked, want="trial-1", otherwise=translatable("the run with the best metric was not picked"))

    below_floor = translatable("a run below the recall floor was picked")

    def floor_excludes_best(f: Callable[..., Any]) -> Problem | None:
        return _verdict(
            f(table.copy(), metric="roc_auc", min_recall=0.7),
            want="trial-2",
            otherwise=translatable("the best run that clears the recall floor was not picked"),
            known_wrong={"trial-1": below_floor},
        )

    def floor_inclusive(f: Callable[..., Any]) -> Problem | None:
        return _verdict(
            f(at_floor.copy(), metric="roc_auc", min_recall=0.7),
            want="trial-3",
            otherwise=translatable("a run exactly at the recall floor was left out"),
            known_wrong={"trial-1": below_floor},
        )

    def nobody_qualifies(f: Callable[..., Any]) -> Problem | None:
        picked = f(table.copy(), metric="roc_auc", min_recall=0.95)
        wrong = translatable("a run was picked although no run reaches the recall floor")
        return None if picked is None else problem(wrong)

    def other_metric(f: Callable[..., Any]) -> Problem | None:
        picked = f(table.copy(), metric="precision", min_recall=0.65)
        wrong = translatable("asked for the best precision, another run was picked")
        return None if picked == "trial-3" else problem(wrong)

    def missing_metric(f: Callable[..., Any]) -> Problem | None:
        return _verdict(
            f(unscored.copy(), metric="roc_auc", min_recall=0.7),
            want="trial-2",
            otherwise=translatable("with one run missing its metric, the wrong run was picked"),
            known_wrong={"trial-5": translatable("a run without a recorded metric was picked"), "trial-1": below_floor},
        )

    def table_untouched(f: Callable[..., Any]) -> Problem | None:
        given = table.copy()
        f(given, metric="roc_auc", min_recall=0.7)
        wrong = translatable("the function changed the runs table it was given")
        return None if given.equals(table) else problem(wrong)

    return (
        Case(translatable("a table where every run clears the recall floor"), everyone_clears),
        Case(translatable("a recall floor the best run misses"), floor_excludes_best),
        Case(translatable("a run exactly at the recall floor"), floor_inclusive),
        Case(translatable("a recall floor no run reaches"), nobody_qualifies),
        Case(translatable("another metric"), other_metric),
        Case(translatable("a run without a recorded metric"), missing_metric),
        Case(translatable("the runs table after the call"), table_untouched),
    )


# ---------------------------------------------------------------------------------------------
# 02_devops_vs_mlops: a data-validation rule for one monthly batch


def _clean_batch() -> Any:
    import pandas as pd

    return pd.DataFrame(
        {
            "customer_id": ["C0001", "C0002", "C0003", "C0004"],
            "month": ["2025-05-01"] * 4,
            "tenure_months": [3, 18, 40, 66],
            "monthly_charges": [29.5, 64.0, 99.9, 120.0],
            "support_calls": [0, 2, 5, 1],
            "data_usage_gb": [1.5, 20.0, 75.0, 310.0],
            "contract": ["month-to-month", "one-year", "two-year", "month-to-month"],
            "payment_method": ["card", "e-check", "bank-transfer", "mailed-check"],
            "region": ["north", "south", "east", "west"],
            "churned": [1, 0, 0, 1],
        }
    )


def _validate_batch_cases() -> tuple[Case, ...]:
    def verdict(f: Callable[..., Any], batch: Any) -> tuple[bool, Problem | None]:
        given = batch.copy()
        problems = f(given)
        if not isinstance(problems, list):
            wrong = translatable("the function should return a list of problems, got {type}")
            return False, problem(wrong, type=type(problems).__name__)
        if not given.equals(batch):
            return False, problem(translatable("the function changed the batch it was given"))
        return (not problems), None

    def accepts(batch_of: Callable[[], Any], wrong: str) -> Check:
        """The batch is good: ``wrong`` (``"... was rejected"``) when the function finds a problem."""

        def check(f: Callable[..., Any]) -> Problem | None:
            accepted, broken = verdict(f, batch_of())
            return broken or (None if accepted else problem(wrong))

        return check

    def rejects(batch_of: Callable[[], Any], wrong: str) -> Check:
        """The batch is faulty: ``wrong`` (``"... was accepted"``) when the function finds no problem."""

        def check(f: Callable[..., Any]) -> Problem | None:
            accepted, broken = verdict(f, batch_of())
            return broken or (problem(wrong) if accepted else None)

        return check

    def edges() -> Any:
        batch = _clean_batch()
        batch["tenure_months"] = [0, 72, 10, 11]
        batch["monthly_charges"] = [10.0, 200.0, 50.0, 60.0]
        return batch

    def changed(**columns: Any) -> Callable[[], Any]:
        def make() -> Any:
            batch = _clean_batch()
            for name, values in columns.items():
                batch[name] = values
            return batch

        return make

    return (
        Case(translatable("a clean batch"), accepts(_clean_batch, translatable("a clean batch was rejected"))),
        Case(
            translatable("values on the edge of their valid range"),
            accepts(edges, translatable("a batch with values on the edge of their range was rejected")),
        ),
        Case(
            translatable("an extra column"),
            accepts(
                changed(coupon_code=["A", "B", "C", "D"]), translatable("a batch with an extra column was rejected")
            ),
        ),
        Case(
            translatable("a missing column"),
            rejects(
                lambda: _clean_batch().drop(columns=["data_usage_gb"]),
                translatable("a batch with a missing column was accepted"),
            ),
        ),
        Case(
            translatable("a renamed column"),
            rejects(
                lambda: _clean_batch().rename(columns={"support_calls": "support_tickets"}),
                translatable("a batch with a renamed column was accepted"),
            ),
        ),
        Case(
            translatable("a missing number"),
            rejects(
                changed(monthly_charges=[29.5, float("nan"), 99.9, 120.0]),
                translatable("a batch with a missing number was accepted"),
            ),
        ),
        Case(
            translatable("a missing category"),
            rejects(
                changed(region=["north", None, "east", "west"]),
                translatable("a batch with a missing category was accepted"),
            ),
        ),
        Case(
            translatable("a value below its range"),
            rejects(
                changed(tenure_months=[3, -1, 40, 66]),
                translatable("a batch with a value below its valid range was accepted"),
            ),
        ),
        Case(
            translatable("a value above its range"),
            rejects(
                changed(support_calls=[0, 2, 31, 1]),
                translatable("a batch with a value above its valid range was accepted"),
            ),
        ),
        Case(
            translatable("an unknown category"),
            rejects(
                changed(contract=["month-to-month", "three-year", "two-year", "one-year"]),
                translatable("a batch with an unknown category was accepted"),
            ),
        ),
        Case(
            translatable("an empty batch"),
            rejects(lambda: _clean_batch().iloc[0:0], translatable("an empty batch was accepted")),
        ),
    )


# ---------------------------------------------------------------------------------------------
# 03_ml_lifecycle: the cache key of a pipeline step


def _cache_key_cases() -> tuple[Case, ...]:
    step = "train_model"
    params = {"train_months": 9, "model_params": {"C": 0.05, "max_iter": 200}}
    inputs = {"train": "3f2a9c1b", "statistics": "77ab01ee"}

    def key(f: Callable[..., Any], s: str, p: dict, i: dict) -> Any:
        return f(s, copy.deepcopy(p), copy.deepcopy(i))

    def is_text(f: Callable[..., Any]) -> Problem | None:
        value = key(f, step, params, inputs)
        wrong = translatable("the key should be text (a str), got {type}")
        return None if isinstance(value, str) else problem(wrong, type=type(value).__name__)

    def stable(f: Callable[..., Any]) -> Problem | None:
        same = key(f, step, params, inputs) == key(f, step, params, inputs)
        return None if same else problem(translatable("the same step, parameters and inputs gave two different keys"))

    def order_free(f: Callable[..., Any]) -> Problem | None:
        reordered = {"model_params": {"max_iter": 200, "C": 0.05}, "train_months": 9}
        if key(f, step, reordered, inputs) != key(f, step, params, inputs):
            return problem(translatable("the same parameters written in another order gave another key"))
        if key(f, step, params, dict(reversed(list(inputs.items())))) != key(f, step, params, inputs):
            return problem(translatable("the same inputs listed in another order gave another key"))
        return None

    def differs(wrong: str, s: str, p: dict, i: dict) -> Check:
        """Another key is expected: ``wrong`` (``"... gave the same key"``) when the key stays the same."""

        def check(f: Callable[..., Any]) -> Problem | None:
            return None if key(f, s, p, i) != key(f, step, params, inputs) else problem(wrong)

        return check

    def moved(f: Callable[..., Any]) -> Problem | None:
        as_param, as_input = f("train", {"x": "1"}, {}), f("train", {}, {"x": "1"})
        wrong = translatable("the same value as a parameter or as an input gave the same key")
        return None if as_param != as_input else problem(wrong)

    def untouched(f: Callable[..., Any]) -> Problem | None:
        p, i = copy.deepcopy(params), copy.deepcopy(inputs)
        f(step, p, i)
        wrong = translatable("the function changed the parameters or inputs it was given")
        return None if (p, i) == (params, inputs) else problem(wrong)

    return (
        Case(translatable("the type of the key"), is_text),
        Case(translatable("the same call twice"), stable),
        Case(translatable("the same values in another order"), order_free),
        Case(
            translatable("a changed parameter"),
            differs(translatable("a changed parameter gave the same key"), step, {**params, "train_months": 8}, inputs),
        ),
        Case(
            translatable("a changed nested parameter"),
            differs(
                translatable("a changed parameter inside model_params gave the same key"),
                step,
                {**params, "model_params": {"C": 0.1, "max_iter": 200}},
                inputs,
            ),
        ),
        Case(
            translatable("a changed input artifact"),
            differs(
                translatable("a changed input artifact (new data) gave the same key"),
                step,
                params,
                {**inputs, "train": "90c4d2e7"},
            ),
        ),
        Case(
            translatable("another step"),
            differs(
                translatable("another step with the same parameters and inputs gave the same key"),
                "evaluate_model",
                params,
                inputs,
            ),
        ),
        Case(
            translatable("a number written as text"),
            differs(
                translatable("a parameter changed from the number 9 to the text '9' gave the same key"),
                step,
                {**params, "train_months": "9"},
                inputs,
            ),
        ),
        Case(translatable("a value moved between parameters and inputs"), moved),
        Case(translatable("the arguments after the call"), untouched),
        Case(translatable("how the key is computed"), _uses_builtin_hash),
    )


# ---------------------------------------------------------------------------------------------
# 04_maturity_levels: a retrain trigger from one month's monitoring report


def _report(
    drift: dict[str, float | None] | None = None,
    *,
    recall: float | None = 0.71,
    baseline_recall: float = 0.72,
    data_valid: bool = True,
) -> dict[str, Any]:
    scores = {"tenure_months": 0.05, "monthly_charges": 0.08, "contract": 0.04, "region": 0.02}
    return {
        "data_valid": data_valid,
        "drift": {**scores, **(drift or {})},
        "recall": recall,
        "baseline_recall": baseline_recall,
    }


def _retrain_cases() -> tuple[Case, ...]:
    import numpy as np

    def expect(report: dict[str, Any], wanted: bool, wrong: str, **kwargs: Any) -> Check:
        def check(f: Callable[..., Any]) -> Problem | None:
            given = copy.deepcopy(report)
            decision = f(given, **kwargs)
            if not isinstance(decision, (bool, np.bool_)):
                wrong_type = translatable("the function should return True or False, got {type}")
                return problem(wrong_type, type=type(decision).__name__)
            if given != report:
                return problem(translatable("the function changed the report it was given"))
            return None if bool(decision) is wanted else problem(wrong)

        return check

    def both(*checks: Check) -> Check:
        def check(f: Callable[..., Any]) -> Problem | None:
            return next((m for m in (c(f) for c in checks) if m), None)

        return check

    return (
        Case(translatable("a calm month"), expect(_report(), False, translatable("a calm month triggered a retrain"))),
        Case(
            translatable("one drifted feature"),
            expect(
                _report({"monthly_charges": 0.45}), True, translatable("one drifted feature did not trigger a retrain")
            ),
        ),
        Case(
            translatable("a drift score exactly at the threshold"),
            expect(
                _report({"contract": 0.3}),
                True,
                translatable("a drift score exactly at the threshold did not trigger a retrain"),
            ),
        ),
        Case(
            translatable("another drift threshold"),
            both(
                expect(
                    _report({"region": 0.25}),
                    True,
                    translatable("the drift_threshold argument was ignored"),
                    drift_threshold=0.2,
                ),
                expect(
                    _report({"region": 0.45}),
                    False,
                    translatable("the drift_threshold argument was ignored"),
                    drift_threshold=0.5,
                ),
            ),
        ),
        Case(
            translatable("a large recall drop"),
            expect(
                _report(recall=0.64), True, translatable("a recall drop larger than allowed did not trigger a retrain")
            ),
        ),
        Case(
            translatable("a small recall drop"),
            expect(
                _report(recall=0.68), False, translatable("a recall drop within the allowed margin triggered a retrain")
            ),
        ),
        Case(
            translatable("a better recall"),
            expect(_report(recall=0.82), False, translatable("a better recall triggered a retrain")),
        ),
        Case(
            translatable("another allowed recall drop"),
            expect(
                _report(recall=0.64),
                False,
                translatable("the max_recall_drop argument was ignored"),
                max_recall_drop=0.1,
            ),
        ),
        Case(
            translatable("a month whose labels have not arrived (recall None)"),
            both(
                expect(_report(recall=None), False, translatable("a month without labels triggered a retrain")),
                expect(
                    _report({"region": 0.5}, recall=None),
                    True,
                    translatable("a drifted month without labels did not trigger a retrain"),
                ),
            ),
        ),
        Case(
            translatable("a feature without a drift score (None or NaN)"),
            both(
                expect(
                    _report({"tenure_months": None, "region": float("nan")}),
                    False,
                    translatable("a feature without a drift score triggered a retrain"),
                ),
                expect(
                    _report({"tenure_months": None, "contract": 0.4}),
                    True,
                    translatable("with one feature unscored, a drifted feature did not trigger a retrain"),
                ),
            ),
        ),
        Case(
            translatable("a month whose data failed validation"),
            both(
                expect(
                    _report({"monthly_charges": 0.9}, data_valid=False),
                    False,
                    translatable("a month whose data failed validation triggered a retrain"),
                ),
                expect(
                    _report(recall=0.5, data_valid=False),
                    False,
                    translatable("a month whose data failed validation triggered a retrain"),
                ),
            ),
        ),
    )


# ---------------------------------------------------------------------------------------------
# 05_vertex_ai: a canary routing rule


def _route_cases() -> tuple[Case, ...]:
    customers = [f"C{n:05d}" for n in range(2000)]

    def request(customer: str | None, n: int = 0, *, with_key: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"request_id": f"r-{n:06d}"}
        if with_key:
            body["customer_id"] = customer
        return body

    def routes(f: Callable[..., Any], percent: int, offset: int = 0) -> list[Any]:
        return [f(request(c, n + offset), percent) for n, c in enumerate(customers)]

    def names(f: Callable[..., Any]) -> Problem | None:
        odd = sorted(map(repr, set(routes(f, 30)) - {"champion", "challenger"}))
        wrong = translatable("the function should return 'champion' or 'challenger', got {value}")
        return problem(wrong, value=odd[0]) if odd else None

    def sticky(f: Callable[..., Any]) -> Problem | None:
        first, second = routes(f, 30), routes(f, 30, offset=5000)
        wrong = translatable("the same customer reached both models in two requests")
        return None if first == second else problem(wrong)

    def share(percent: int, low: float, high: float) -> Check:
        def check(f: Callable[..., Any]) -> Problem | None:
            got = routes(f, percent).count("challenger") / len(customers)
            wrong = translatable(
                "a {percent}% canary should send about {percent}% of customers to the challenger; yours sent {got:.0%}"
            )
            return None if low <= got <= high else problem(wrong, percent=percent, got=got)

        return check

    def extremes(f: Callable[..., Any]) -> Problem | None:
        problems = [
            translatable("with a 0% canary some customers reached the challenger")
            if "challenger" in routes(f, 0)
            else "",
            translatable("with a 100% canary some customers stayed on the champion")
            if "champion" in routes(f, 100)
            else "",
        ]
        return next((problem(p) for p in problems if p), None)

    def growing(f: Callable[..., Any]) -> Problem | None:
        small, large = routes(f, 10), routes(f, 25)
        moved_back = any(a == "challenger" and b == "champion" for a, b in zip(small, large, strict=True))
        wrong = translatable("growing the canary from 10% to 25% moved customers back to the champion")
        return problem(wrong) if moved_back else None

    def anonymous(f: Callable[..., Any]) -> Problem | None:
        bodies = (request(None, 1), request("", 2), request(None, 3, with_key=False))
        leaked = any(f(body, percent) != "champion" for percent in (50, 100) for body in bodies)
        return problem(translatable("a request without a customer id reached the challenger")) if leaked else None

    return (
        Case(translatable("the answer's form"), names),
        Case(translatable("the same customer twice"), sticky),
        Case(translatable("a 5% canary"), share(5, 0.03, 0.07)),
        Case(translatable("a 20% canary"), share(20, 0.17, 0.23)),
        Case(translatable("a 50% canary"), share(50, 0.46, 0.54)),
        Case(translatable("a 0% and a 100% canary"), extremes),
        Case(translatable("a growing canary"), growing),
        Case(translatable("a request without a customer id"), anonymous),
        Case(translatable("how the bucket is computed"), _uses_builtin_hash),
    )


CODE_EXERCISES: dict[str, CodeExercise] = {
    e.id: e
    for e in (
        CodeExercise("pick-run", "01_pain_points", "pick_run", _pick_run_cases),
        CodeExercise("validate-batch", "02_devops_vs_mlops", "validate_batch", _validate_batch_cases),
        CodeExercise("cache-key", "03_ml_lifecycle", "cache_key", _cache_key_cases),
        CodeExercise("retrain-trigger", "04_maturity_levels", "should_retrain", _retrain_cases),
        CodeExercise("canary-route", "05_vertex_ai", "route_request", _route_cases),
    )
}
