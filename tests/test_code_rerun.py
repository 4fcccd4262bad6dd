"""Grading code exercises: by default the learner's code is never run (the kernel's result is reported as
unverified); with --run-code each learner's code reruns in its own limited process, so an endless loop, a write
outside its folder or a memory hog harms nobody else, and honest learners are scored exactly."""

import csv

import pytest

from mlops_lab.cli import main
from mlops_lab.code_rerun import CodeSubmission, RerunLimits, _user_tasks, rerun_learner
from mlops_lab.grading import grade_submissions
from mlops_lab.progress import Progress
from mlops_lab.quiz import bank_path, load_bank

NOTEBOOK = "03_ml_lifecycle"
REFERENCE = load_bank(bank_path(NOTEBOOK)).solutions()["cache-key"]
ANOTHER_RIGHT_ANSWER = (
    "import hashlib\nimport json\n\n\ndef cache_key(step, params, inputs):\n"
    "    text = json.dumps([step, params, inputs], sort_keys=True)\n"
    "    return hashlib.md5(text.encode()).hexdigest()\n"
)
WRONG = "def cache_key(step, params, inputs):\n    return step + str(sorted(params.items()))\n"
LOOPS_FOREVER = (
    "def cache_key(step, params, inputs):\n"
    "    while True:\n"
    "        try:\n"
    "            while True:\n"
    "                pass\n"
    "        except BaseException:\n"  # swallows the per-exercise time limit: only the process's wall limit stops it
    "            pass\n"
)
MEMORY_HOG = "def cache_key(step, params, inputs):\n    return str(len(bytearray(4 * 1024**3)))\n"


def writes_outside(target) -> str:
    return (
        f"{REFERENCE}\n\n_reference = cache_key\n\n\ndef cache_key(step, params, inputs):\n"
        f"    open({str(target)!r}, 'w').write('escaped')\n"
        "    return _reference(step, params, inputs)\n"
    )


def hand_in(folder, code: str, *, passed: bool, function: str = "cache_key"):
    """A learner's progress file as the notebook writes it after submit_code."""
    Progress.in_workspace(folder).record(
        NOTEBOOK,
        "exercises",
        "cache-key",
        {
            "kind": "code",
            "code": code,
            "function": function,
            "passed": passed,
            "tests": "11/11" if passed else "3/11",
            "message": "",
            "source": "learner",
        },
    )


def code_rows(gradebook):
    return {r.learner: r for r in gradebook.rows if r.kind == "exercise" and r.item == "cache-key"}


@pytest.fixture
def roster(tmp_path):
    target = tmp_path / "outside" / "escaped.txt"
    target.parent.mkdir()
    learners = tmp_path / "class"
    hand_in(learners / "alice", REFERENCE, passed=True)
    hand_in(learners / "bob", WRONG, passed=False)
    hand_in(learners / "carol", ANOTHER_RIGHT_ANSWER, passed=True)
    hand_in(learners / "looper", LOOPS_FOREVER, passed=True)
    hand_in(learners / "writer", writes_outside(target), passed=True)
    hand_in(learners / "hog", MEMORY_HOG, passed=True)
    hand_in(learners / "mallory", WRONG, passed=True)  # an edited progress file
    return learners, target


def test_by_default_the_code_is_not_run_and_the_kernel_result_is_unverified(roster):
    learners, target = roster
    rows = code_rows(grade_submissions([learners]))
    assert not target.exists()
    assert {name: (r.status, r.flag) for name, r in rows.items()} == {
        "alice": ("passed", "unverified"),
        "bob": ("failed", "unverified"),
        "carol": ("passed", "unverified"),
        "looper": ("passed", "unverified"),
        "writer": ("passed", "unverified"),
        "hog": ("passed", "unverified"),
        "mallory": ("passed", "unverified"),
    }
    assert "the code was not rerun (--run-code)" in rows["bob"].issue and rows["bob"].answer == WRONG


def test_run_code_grades_every_learner_in_their_own_limited_process(roster):
    learners, target = roster
    limits = RerunLimits(seconds_per_exercise=2.0, startup_seconds=10.0, memory_mb=1024)

    gradebook = grade_submissions([learners], run_code=True, rerun_limits=limits)

    rows = code_rows(gradebook)
    assert not target.exists()
    assert (rows["alice"].status, rows["alice"].score, rows["alice"].flag) == ("passed", 1.0, "")
    assert (rows["carol"].status, rows["carol"].score, rows["carol"].flag) == ("passed", 1.0, "")
    assert (rows["bob"].status, rows["bob"].score, rows["bob"].flag) == ("failed", 0.0, "")
    assert "a changed input artifact (new data) gave the same key" in rows["bob"].issue
    assert (rows["looper"].status, rows["looper"].score, rows["looper"].flag) == ("timeout", 0.0, "conflict")
    assert "stopped after 12 s of wall time" in rows["looper"].issue
    assert (rows["writer"].status, rows["writer"].score, rows["writer"].flag) == ("failed", 0.0, "conflict")
    assert "writing outside the exercise folder is not allowed" in rows["writer"].issue
    assert (rows["hog"].status, rows["hog"].score) == ("failed", 0.0) and "MemoryError" in rows["hog"].issue
    assert (rows["mallory"].status, rows["mallory"].flag) == ("failed", "conflict")
    assert "kernel recorded passed, the rerun failed" in rows["mallory"].issue
    totals = {t["learner"]: t["passed"] for t in gradebook.totals()}
    assert totals == {"alice": 1, "bob": 0, "carol": 1, "hog": 0, "looper": 0, "mallory": 0, "writer": 0}


def test_the_rerun_starts_in_an_empty_folder_with_a_clean_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "planted"))
    monkeypatch.setenv("SECRET_TOKEN", "do-not-leak")
    probe = (
        "import hashlib\nimport json\nimport os\nimport sys\n\n\ndef cache_key(step, params, inputs):\n"
        "    assert os.listdir('.') == [], os.listdir('.')\n"
        "    assert 'SECRET_TOKEN' not in os.environ and 'PYTHONPATH' not in os.environ\n"
        "    assert sys.flags.isolated and not sys.flags.no_site\n"
        "    with open('scratch.txt', 'w') as handle:\n"
        "        handle.write('inside is fine')\n"
        "    os.remove('scratch.txt')\n"
        "    text = json.dumps({'step': step, 'params': params, 'inputs': inputs}, sort_keys=True)\n"
        "    return hashlib.sha256(text.encode()).hexdigest()\n"
    )
    hand_in(tmp_path / "class" / "probe", probe, passed=True)
    row = code_rows(grade_submissions([tmp_path / "class"], run_code=True))["probe"]
    assert (row.status, row.flag) == ("passed", ""), row.issue


def test_the_cli_reruns_code_only_when_asked(tmp_path, capsys):
    target = tmp_path / "escaped.txt"
    hand_in(tmp_path / "class" / "alice", REFERENCE, passed=True)
    hand_in(tmp_path / "class" / "writer", writes_outside(target), passed=True)
    output = tmp_path / "gradebook.csv"

    assert main(["grade", str(tmp_path / "class"), "--output", str(output)]) == 0
    flags = {r["learner"]: r["flag"] for r in csv.DictReader(output.open()) if r["item"] == "cache-key"}
    assert flags == {"alice": "unverified", "writer": "unverified"}
    summary = capsys.readouterr().out.splitlines()[-1]
    assert "2 code exercise(s) not rerun (add --run-code to rerun them)." in summary
    assert "flagged" not in summary  # expected without --run-code: not counted as problems

    assert main(["grade", str(tmp_path / "class"), "--run-code", "--code-timeout", "5", "--output", str(output)]) == 0
    rows = {r["learner"]: r for r in csv.DictReader(output.open()) if r["item"] == "cache-key"}
    assert (rows["alice"]["status"], rows["alice"]["flag"]) == ("passed", "")
    assert (rows["writer"]["status"], rows["writer"]["flag"]) == ("failed", "conflict")
    assert not target.exists()
    assert "CONFLICT writer 03_ml_lifecycle/cache-key" in capsys.readouterr().out


def test_escape_attempts_are_refused_inside_the_rerun(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    attempts = {
        "sqlite": f"__import__('sqlite3').connect({str(outside / 'x.db')!r}).execute('create table t(x)')",
        "makedirs": f"__import__('os').makedirs({str(outside / 'd')!r})",
        "rename": f"__import__('os').rename('.', {str(outside / 'moved')!r})",
        "listing": f"__import__('os').listdir({str(tmp_path)!r})",
        "process": "__import__('subprocess').run(['true'])",
        "signal": "__import__('os').kill(__import__('os').getppid(), 15)",
        "network": "__import__('socket').create_connection(('127.0.0.1', 9))",
        "chdir": "__import__('os').chdir('/')",
    }
    submissions = [
        CodeSubmission(
            name,
            "cache-key",
            f"import hashlib\nimport json\n\n\ndef cache_key(step, params, inputs):\n    {attempt}\n"
            "    text = json.dumps({'step': step, 'params': params, 'inputs': inputs}, sort_keys=True)\n"
            "    return hashlib.sha256(text.encode()).hexdigest()\n",
            "cache_key",
        )
        for name, attempt in attempts.items()
    ]
    results = rerun_learner(submissions, limits=RerunLimits(seconds_per_exercise=5.0))
    assert {name: r.status for name, r in results.items()} == dict.fromkeys(attempts, "failed")
    assert all("PermissionError" in r.message for r in results.values()), results
    assert list(outside.iterdir()) == []
    assert _user_tasks() >= 1  # what RLIMIT_NPROC is set from, for a user other than root
