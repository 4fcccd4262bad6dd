"""Code exercises: every reference solution passes its hidden tests, the common wrong answers fail with feedback
that names what went wrong, and the learner's source is saved with the kernel's result."""

import json
import textwrap

import pytest

from mlops_lab import i18n
from mlops_lab.code_exercises import function_source, load_function, run_hidden_tests, solution_code_problem
from mlops_lab.exercises import ExerciseBook
from mlops_lab.hidden_tests import CODE_EXERCISES, problem
from mlops_lab.progress import Progress
from mlops_lab.quiz import QuizBankError, bank_path, load_bank


def reference(exercise_id: str) -> str:
    spec = CODE_EXERCISES[exercise_id]
    return load_bank(bank_path(spec.notebook)).solutions()[exercise_id]


# Plausible wrong answers, each with a piece of the feedback it must get. The first one of each exercise is the
# default the notebook starts from.
WRONG = {
    "pick-run": [
        ("def pick_run(runs, *, metric, min_recall):\n    return runs[metric].idxmax()", "below the recall floor"),
        (
            "def pick_run(runs, *, metric, min_recall):\n"
            "    ok = runs[runs['recall'] > min_recall]\n"
            "    return None if ok.empty else ok[metric].idxmax()",
            "exactly at the recall floor was left out",
        ),
        (
            "def pick_run(runs, *, metric, min_recall):\n"
            "    return runs[runs['recall'] >= min_recall][metric].idxmax()",
            "a recall floor no run reaches: your function raised ValueError",
        ),
        (
            "def pick_run(runs, *, metric, min_recall):\n"
            "    ok = runs[runs['recall'] >= min_recall]\n"
            "    return None if ok.empty else ok['roc_auc'].idxmax()",
            "asked for the best precision",
        ),
        (
            "def pick_run(runs, *, metric, min_recall):\n"
            "    ok = runs[runs['recall'] >= min_recall]\n"
            "    return None if ok.empty else int(ok[metric].argmax())",
            "should return a run's name",
        ),
        (
            "def pick_run(runs, *, metric, min_recall):\n"
            "    best, best_value = None, None\n"
            "    for name, row in runs.iterrows():\n"
            "        if row['recall'] >= min_recall and (best is None or row[metric] > best_value):\n"
            "            best, best_value = name, row[metric]\n"
            "    return best",
            "without a recorded metric was picked",
        ),
        (
            "def pick_run(runs, *, metric, min_recall):\n"
            "    runs.sort_values(metric, ascending=False, inplace=True)\n"
            "    ok = runs[runs['recall'] >= min_recall]\n"
            "    return None if ok.empty else ok.index[0]",
            "changed the runs table",
        ),
    ],
    "validate-batch": [
        (
            "from mlops_lab import data\n"
            "def validate_batch(batch):\n"
            "    problems = []\n"
            "    for column, (low, high) in data.VALID_RANGES.items():\n"
            "        if ((batch[column] < low) | (batch[column] > high)).any():\n"
            "            problems.append(column)\n"
            "    return problems",
            "a missing column: your function raised KeyError",
        ),
        (
            "from mlops_lab import data\n"
            "def validate_batch(batch):\n"
            "    problems = [c for c in data.FEATURES if c not in batch.columns]\n"
            "    for column, (low, high) in data.VALID_RANGES.items():\n"
            "        if column in batch and ((batch[column] < low) | (batch[column] > high)).any():\n"
            "            problems.append(column)\n"
            "    for column, allowed in data.CATEGORIES.items():\n"
            "        if column in batch and (~batch[column].isin(allowed)).any():\n"
            "            problems.append(column)\n"
            "    return problems",
            "a batch with a missing number was accepted",
        ),
        (
            "from mlops_lab import data\n"
            "def validate_batch(batch):\n"
            "    problems = [c for c in data.FEATURES if c not in batch.columns]\n"
            "    problems += ['empty'] if batch.empty else []\n"
            "    for column, (low, high) in data.VALID_RANGES.items():\n"
            "        if column in batch and not batch[column].between(low, high, inclusive='neither').all():\n"
            "            problems.append(column)\n"
            "    for column, allowed in data.CATEGORIES.items():\n"
            "        if column in batch and not batch[column].isin(allowed).all():\n"
            "            problems.append(column)\n"
            "    return problems",
            "values on the edge of their range was rejected",
        ),
        (
            "from mlops_lab import data\n"
            "def validate_batch(batch):\n"
            "    problems = [c for c in batch.columns if c not in data.FEATURES]\n"
            "    problems += [c for c in data.FEATURES if c not in batch.columns]\n"
            "    return problems + (['nulls'] if batch.isna().any().any() else [])",
            "a batch with an extra column was rejected",
        ),
        (
            "from mlops_lab import data\n"
            "def validate_batch(batch):\n"
            "    problems = [c for c in data.FEATURES if c not in batch.columns]\n"
            "    for column, (low, high) in data.VALID_RANGES.items():\n"
            "        if column in batch and not batch[column].between(low, high).all():\n"
            "            problems.append(column)\n"
            "    for column, allowed in data.CATEGORIES.items():\n"
            "        if column in batch and not batch[column].isin(allowed).all():\n"
            "            problems.append(column)\n"
            "    return problems",
            "an empty batch was accepted",
        ),
        (
            "from mlops_lab import data\n"
            "def validate_batch(batch):\n"
            "    return len(batch) > 0 and all(c in batch.columns for c in data.FEATURES)",
            "should return a list of problems",
        ),
    ],
    "cache-key": [
        (
            "def cache_key(step, params, inputs):\n    return step + str(sorted(params.items()))",
            "changed input artifact",
        ),
        (
            "def cache_key(step, params, inputs):\n    return f'{step}-{params}-{inputs}'",
            "in another order gave another key",
        ),
        (
            "def cache_key(step, params, inputs):\n    return str(hash((step, str(sorted(params.items())), str(sorted(inputs.items())))))",
            "uses Python's hash()",
        ),
        (
            "import json\ndef cache_key(step, params, inputs):\n    return json.dumps({**params, **inputs}, sort_keys=True)",
            "another step with the same parameters and inputs gave the same key",
        ),
        (
            "import json\ndef cache_key(step, params, inputs):\n"
            "    return step + json.dumps({**params, **inputs}, sort_keys=True)",
            "as a parameter or as an input gave the same key",
        ),
        (
            "import json\ndef cache_key(step, params, inputs):\n"
            "    flat = {k: str(v) for k, v in params.items()}\n"
            "    return json.dumps([step, flat, inputs], sort_keys=True)",
            "from the number 9 to the text '9'",
        ),
        (
            "import uuid\ndef cache_key(step, params, inputs):\n    return f'{step}-{uuid.uuid4()}'",
            "gave two different keys",
        ),
    ],
    "retrain-trigger": [
        (
            "def should_retrain(report, *, drift_threshold=0.3, max_recall_drop=0.05):\n"
            "    return any(score >= drift_threshold for score in report['drift'].values())",
            "a recall drop larger than allowed did not trigger",
        ),
        (
            "import statistics\n"
            "def should_retrain(report, *, drift_threshold=0.3, max_recall_drop=0.05):\n"
            "    scores = [s for s in report['drift'].values() if s is not None and s == s]\n"
            "    if not report['data_valid']:\n"
            "        return False\n"
            "    drop = report['recall'] is not None and report['baseline_recall'] - report['recall'] > max_recall_drop\n"
            "    return statistics.mean(scores) >= drift_threshold or drop",
            "one drifted feature did not trigger",
        ),
        (
            "def should_retrain(report, *, drift_threshold=0.3, max_recall_drop=0.05):\n"
            "    scores = [s for s in report['drift'].values() if s is not None and s == s]\n"
            "    drop = report['recall'] is not None and report['baseline_recall'] - report['recall'] > max_recall_drop\n"
            "    return any(s >= drift_threshold for s in scores) or drop",
            "failed validation triggered a retrain",
        ),
        (
            "def should_retrain(report, *, drift_threshold=0.3, max_recall_drop=0.05):\n"
            "    if not report['data_valid']:\n"
            "        return False\n"
            "    scores = [s for s in report['drift'].values() if s is not None and s == s]\n"
            "    drop = report['recall'] is not None and abs(report['baseline_recall'] - report['recall']) > max_recall_drop\n"
            "    return any(s >= drift_threshold for s in scores) or drop",
            "a better recall triggered a retrain",
        ),
        (
            "def should_retrain(report, *, drift_threshold=0.3, max_recall_drop=0.05):\n"
            "    if not report['data_valid']:\n"
            "        return False\n"
            "    scores = [s for s in report['drift'].values() if s is not None and s == s]\n"
            "    drop = report['recall'] is not None and report['baseline_recall'] - report['recall'] > max_recall_drop\n"
            "    return any(s > drift_threshold for s in scores) or drop",
            "exactly at the threshold did not trigger",
        ),
        (
            "def should_retrain(report, *, drift_threshold=0.3, max_recall_drop=0.05):\n"
            "    if not report['data_valid']:\n"
            "        return False\n"
            "    if any(s >= drift_threshold for s in report['drift'].values()):\n"
            "        return True\n"
            "    return report['baseline_recall'] - report['recall'] > max_recall_drop",
            "your function raised TypeError",
        ),
        (
            "def should_retrain(report, *, drift_threshold=0.3, max_recall_drop=0.05):\n"
            "    if not report['data_valid']:\n"
            "        return False\n"
            "    scores = [s for s in report['drift'].values() if s is not None and s == s]\n"
            "    drop = report['recall'] is not None and report['baseline_recall'] - report['recall'] > 0.05\n"
            "    return any(s >= 0.3 for s in scores) or drop",
            "the drift_threshold argument was ignored",
        ),
    ],
    "canary-route": [
        (
            "import hashlib\n"
            "def route_request(request, canary_percent):\n"
            "    bucket = int(hashlib.sha256(request['request_id'].encode()).hexdigest(), 16) % 100\n"
            "    return 'challenger' if bucket < canary_percent else 'champion'",
            "the same customer reached both models",
        ),
        (
            "import random\n"
            "def route_request(request, canary_percent):\n"
            "    if not request.get('customer_id'):\n"
            "        return 'champion'\n"
            "    return 'challenger' if random.random() * 100 < canary_percent else 'champion'",
            "the same customer reached both models",
        ),
        (
            "def route_request(request, canary_percent):\n"
            "    if not request.get('customer_id'):\n"
            "        return 'champion'\n"
            "    return 'challenger' if hash(request['customer_id']) % 100 < canary_percent else 'champion'",
            "uses Python's hash()",
        ),
        (
            "import hashlib\n"
            "def route_request(request, canary_percent):\n"
            "    bucket = int(hashlib.sha256(str(request.get('customer_id')).encode()).hexdigest(), 16) % 100\n"
            "    return 'challenger' if bucket < canary_percent else 'champion'",
            "without a customer id reached the challenger",
        ),
        (
            "import hashlib\n"
            "def route_request(request, canary_percent):\n"
            "    if not request.get('customer_id'):\n"
            "        return 'champion'\n"
            "    bucket = hashlib.sha256(request['customer_id'].encode()).digest()[0] % 100\n"
            "    return 'challenger' if bucket < canary_percent else 'champion'",
            "canary should send about",
        ),
        (
            "import hashlib\n"
            "def route_request(request, canary_percent):\n"
            "    if not request.get('customer_id'):\n"
            "        return 'champion'\n"
            "    if canary_percent == 0:\n"
            "        return 'champion'\n"
            "    every = round(100 / canary_percent)\n"
            "    number = int(hashlib.sha256(request['customer_id'].encode()).hexdigest(), 16)\n"
            "    return 'challenger' if number % every == 0 else 'champion'",
            "moved customers back to the champion",
        ),
        (
            "import hashlib\n"
            "def route_request(request, canary_percent):\n"
            "    if not request.get('customer_id'):\n"
            "        return 'champion'\n"
            "    bucket = int(hashlib.sha256(request['customer_id'].encode()).hexdigest(), 16) % 100\n"
            "    return 'challenger' if bucket <= canary_percent else 'champion'",
            "with a 0% canary some customers reached the challenger",
        ),
    ],
}


def test_every_code_exercise_has_wrong_answers_to_reject():
    assert set(WRONG) == set(CODE_EXERCISES)
    assert {spec.notebook for spec in CODE_EXERCISES.values()} >= {
        "01_pain_points",
        "02_devops_vs_mlops",
        "03_ml_lifecycle",
        "04_maturity_levels",
        "05_vertex_ai",
    }


@pytest.mark.parametrize("exercise_id", sorted(CODE_EXERCISES))
def test_the_reference_solution_passes_every_hidden_test(exercise_id):
    spec = CODE_EXERCISES[exercise_id]
    result = run_hidden_tests(exercise_id, load_function(reference(exercise_id), spec.function))
    assert result.passed and result.n_passed == result.n_cases >= 7, result.failures


@pytest.mark.parametrize(
    ("exercise_id", "code", "named"),
    [(e, code, named) for e, wrong in WRONG.items() for code, named in wrong],
    ids=[f"{e}-{n}" for e, wrong in WRONG.items() for n in range(len(wrong))],
)
def test_a_plausible_wrong_answer_is_rejected_with_feedback_that_names_it(exercise_id, code, named):
    spec = CODE_EXERCISES[exercise_id]
    result = run_hidden_tests(exercise_id, load_function(code, spec.function))
    assert not result.passed and result.n_passed < result.n_cases
    feedback = result.feedback
    assert not feedback.passed and named in feedback.message, feedback.message
    # The feedback names what went wrong, never the reference code.
    assert reference(exercise_id).splitlines()[-1].strip() not in feedback.message


def test_an_endless_loop_is_stopped_and_reported():
    looping = load_function("def cache_key(step, params, inputs):\n    while True:\n        pass", "cache_key")
    result = run_hidden_tests("cache-key", looping, time_limit_s=0.5)
    assert result.timed_out and not result.passed and "stopped after 0.5 s" in result.feedback.message


def test_the_source_of_a_function_is_saved_with_the_modules_and_constants_it_uses(tmp_path):
    module = tmp_path / "learner_cell.py"
    module.write_text(
        textwrap.dedent(
            """
            import hashlib as hl
            from mlops_lab import data

            LIMIT = 100
            helper = object()


            def route_request(request, canary_percent):
                customer = request.get("customer_id")
                if not customer or data.TARGET == "nope":
                    return "champion"
                bucket = int(hl.sha256(customer.encode()).hexdigest(), 16) % LIMIT
                return "challenger" if bucket < canary_percent else "champion"
            """
        )
    )
    namespace: dict = {"__name__": "learner_cell"}
    exec(compile(module.read_text(), str(module), "exec"), namespace)
    snippet = function_source(namespace["route_request"])
    assert snippet.startswith("LIMIT = 100\nimport mlops_lab.data as data\nimport hashlib as hl\n")
    assert "helper" not in snippet and "def route_request(request, canary_percent):" in snippet
    rebuilt = load_function(snippet, "route_request")
    assert run_hidden_tests("canary-route", rebuilt).passed
    assert function_source(load_function("def f(x):\n    return x", "f")) == ""  # no file to read it from


def test_submit_code_stores_the_source_and_the_kernel_result(tmp_path, capsys):
    module = tmp_path / "cell.py"
    module.write_text(WRONG["cache-key"][0][0] + "\n")
    namespace: dict = {"__name__": "cell"}
    exec(compile(module.read_text(), str(module), "exec"), namespace)
    book = ExerciseBook("03_ml_lifecycle", workspace=tmp_path / "ws")

    returned = book.submit_code("cache-key", namespace["cache_key"])

    assert returned is namespace["cache_key"]
    printed = capsys.readouterr().out
    assert (
        printed.startswith("[cache-key] TRY AGAIN: ")
        and "a changed input artifact (new data) gave the same key" in printed
    )
    record = Progress.in_workspace(tmp_path / "ws").answers("03_ml_lifecycle", "exercises")["cache-key"]
    assert record["kind"] == "code" and record["source"] == "learner" and record["passed"] is False
    assert record["code"] == WRONG["cache-key"][0][0] + "\n" and record["function"] == "cache_key"
    assert record["tests"].endswith("/11") and "changed input artifact" in record["message"]
    json.dumps(record)  # plain data only


def test_the_injected_reference_replaces_the_learners_function(tmp_path, capsys):
    solution = reference("pick-run")
    book = ExerciseBook("01_pain_points", solutions={"pick-run": solution}, workspace=tmp_path)

    function = book.submit_code("pick-run", lambda runs, **kwargs: None)

    assert function.__name__ == "pick_run"
    assert "[pick-run] (reference solution) PASS: all 7 hidden tests passed." in capsys.readouterr().out
    record = Progress.in_workspace(tmp_path).answers("01_pain_points", "exercises")["pick-run"]
    assert (record["source"], record["code"], record["passed"]) == ("solution", solution, True)


def test_something_that_is_not_a_function_gets_feedback(tmp_path, capsys):
    book = ExerciseBook("04_maturity_levels", workspace=tmp_path)
    book.submit_code("retrain-trigger", 0.3)
    assert "expected a function, got float" in capsys.readouterr().out
    assert book.results["retrain-trigger"].passed is False


@pytest.mark.parametrize(
    ("exercise_id", "code", "notebook", "problem"),
    [
        ("nope", "def f(): pass", "01_pain_points", "no hidden tests are registered for 'nope'"),
        ("pick-run", "def pick_run(:", "01_pain_points", "not valid Python"),
        ("pick-run", "def other(runs): pass", "01_pain_points", "defines no function 'pick_run'"),
        ("pick-run", "import os\nos.system('x')\ndef pick_run(r): pass", "01_pain_points", "line 2: only imports"),
        ("pick-run", "def pick_run(r): pass", "02_devops_vs_mlops", "belongs to notebook 01_pain_points"),
    ],
)
def test_a_broken_reference_is_refused_without_running_it(exercise_id, code, notebook, problem):
    assert problem in solution_code_problem(exercise_id, code, notebook=notebook)


def test_the_bank_loader_validates_solution_code(tmp_path):
    bank = tmp_path / "01_pain_points.yaml"
    header = "notebook: 01_pain_points\nquestions:\n  - {id: q, type: numeric, objective: o, text: t, answer: 1, explanation: e}\n"
    bank.write_text(
        header + "exercises:\n  - {id: pick-run, objective: o, prompt: p, solution_code: 'def nope(): pass'}\n"
    )
    with pytest.raises(QuizBankError, match=r"exercise 'pick-run': 'solution_code': defines no function 'pick_run'"):
        load_bank(bank)
    bank.write_text(header + "exercises:\n  - {id: pick-run, objective: o, prompt: p, solution: 1, solution_code: x}\n")
    with pytest.raises(QuizBankError, match="exactly one of 'solution'"):
        load_bank(bank)
    bank.write_text(
        header
        + "exercises:\n  - id: pick-run\n    objective: o\n    prompt: p\n    solution_code: |\n"
        + textwrap.indent(reference("pick-run"), "      ")
    )
    loaded = load_bank(bank)
    assert loaded.exercises[0].code and loaded.solutions() == {"pick-run": reference("pick-run")}


@pytest.mark.parametrize("exercise_id", sorted(CODE_EXERCISES))
def test_the_notebooks_starting_point_runs_but_does_not_pass(exercise_id):
    from pathlib import Path

    from mlops_lab import data

    spec = CODE_EXERCISES[exercise_id]
    script = Path(__file__).resolve().parent.parent / "notebooks" / "scripts" / f"{spec.notebook}.py"
    cells = script.read_text().split("# %%")
    (cell,) = [c for c in cells if f"def {spec.function}(" in c]
    namespace = {"data": data}
    exec(compile(cell, str(script), "exec"), namespace)
    assert any(f'your_turn.submit_code("{exercise_id}", {spec.function})' in c for c in cells)
    result = run_hidden_tests(exercise_id, namespace[spec.function])
    assert 0 < result.n_passed < result.n_cases  # a working start that the learner has to improve


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_the_hidden_tests_feedback_reads_in_spanish_with_the_same_verdict(exercise_id):
    spec = CODE_EXERCISES[exercise_id]
    catalogue = i18n.translations("es")
    for code, _ in WRONG[exercise_id]:
        result = run_hidden_tests(exercise_id, load_function(code, spec.function))
        english, spanish = result.feedback_in("en"), result.feedback_in("es")
        assert spanish.passed == english.passed is False
        assert spanish.message.startswith(f"{result.n_passed} de {result.n_cases} pruebas ocultas superadas.")
        assert len(spanish.message.splitlines()) == len(english.message.splitlines())
        for failure in result.failures:
            assert failure.template in catalogue, failure.template
            assert failure.render(language="es") in spanish.message
            assert failure.render(language="es") != failure.render(language="en")


def test_a_failure_keeps_its_values_and_names_the_situation_in_spanish():
    starting_point = WRONG["validate-batch"][0][0]
    result = run_hidden_tests("validate-batch", load_function(starting_point, "validate_batch"))
    assert "  - una columna que falta: tu función lanzó KeyError: 'data_usage_gb'" in result.feedback_in("es").message
    rendered = problem(
        "a {percent}% canary should send about {percent}% of customers to the challenger; yours sent {got:.0%}",
        percent=20,
        got=0.5,
    ).render(language="es")
    assert (
        rendered == "un canario del 20% debería enviar al aspirante cerca del 20% de los clientes; el tuyo envió el 50%"
    )
