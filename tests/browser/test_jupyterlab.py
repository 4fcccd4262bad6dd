"""End to end: the workbook as a learner sees it, in JupyterLab, in a real headless Chromium.

JupyterLab starts on 127.0.0.1 with a token and a free port, in a temporary folder holding a copy of
``00_start_here.ipynb`` and of its Spanish twin ``es/00_start_here.ipynb``, outputs cleared (so everything on
screen comes from this run), and a temporary workspace (``MLOPS_LAB_WORKSPACE``). The test runs all cells from the Run menu, answers quiz questions by
clicking, and checks the feedback, the learner's progress file and the lab's plot. Screenshots are saved in
``build/screenshots/`` (``$MLOPS_LAB_SCREENSHOTS`` to change it).

It needs Debian's ``chromium`` (on PATH, or ``$MLOPS_LAB_CHROMIUM``) and Python Playwright, and is
skipped without them, unless ``MLOPS_LAB_REQUIRE_BROWSER=1`` (set by ``make test-browser``) turns the skip into a
failure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "00_start_here"
CHROMIUM = Path(os.environ.get("MLOPS_LAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium")
# Headless without a GPU, sandbox (CI runs as root) or anything that phones home.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANNOUNCEMENTS_PLUGIN = "@jupyterlab/apputils-extension:announcements"
SCREENSHOTS = Path(os.environ.get("MLOPS_LAB_SCREENSHOTS", ROOT / "build" / "screenshots"))
# Generous limits for a busy 2-core CI machine; on an idle one the whole test takes about 15 s.
STARTUP_TIMEOUT_S = 120
KERNEL_TIMEOUT_MS = 120_000
RUN_ALL_TIMEOUT_MS = 180_000
UI_TIMEOUT_MS = 30_000


def _missing_requirement() -> str | None:
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium, or set MLOPS_LAB_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python Playwright is not installed (make install)"
    return None


_missing = _missing_requirement()
if _missing and os.environ.get("MLOPS_LAB_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"the browser test cannot run: {_missing}")
pytestmark = pytest.mark.skipif(_missing is not None, reason=_missing or "")


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    folder: Path
    workspace: Path
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copy_without_outputs(source: Path, target: Path) -> None:
    """The learner's view of a fresh notebook: no outputs, no execution counts."""
    notebook = json.loads(source.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    target.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def _wait_until_serving(lab: Lab, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {process.returncode}:\n{lab.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{lab.url}/api/status?token={lab.token}", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)  # polling a server that is starting: there is no event to wait on
    raise RuntimeError(f"JupyterLab did not answer within {timeout_s} s:\n{lab.log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("jupyterlab")
    folder, workspace, jupyter_home = base / "notebooks", base / "workspace", base / "jupyter"
    folder.mkdir()
    (folder / "es").mkdir()
    for edition in ("", "es"):
        _copy_without_outputs(
            ROOT / "notebooks" / edition / f"{NOTEBOOK}.ipynb", folder / edition / f"{NOTEBOOK}.ipynb"
        )
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        MLOPS_LAB_WORKSPACE=str(workspace),
        # The user's own Jupyter config and data stay out of the test; the project's config in the
        # environment (sys.prefix/etc/jupyter, installed by `make install`) still applies.
        JUPYTER_CONFIG_DIR=str(jupyter_home / "config"),
        JUPYTER_DATA_DIR=str(jupyter_home / "data"),
        JUPYTER_RUNTIME_DIR=str(jupyter_home / "runtime"),
        PYTHONHASHSEED="0",
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
    )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={folder}",
        f"--LabApp.user_settings_dir={jupyter_home / 'settings'}",
        f"--LabApp.workspaces_dir={jupyter_home / 'workspaces'}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses root otherwise; CI containers run as root
    log = base / "jupyterlab.log"
    lab = Lab(url=f"http://127.0.0.1:{port}", token=token, folder=folder, workspace=workspace, log=log)
    with open(log, "w") as log_file:
        process = subprocess.Popen(command, env=env, cwd=folder, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            _wait_until_serving(lab, process, STARTUP_TIMEOUT_S)
            yield lab
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context per test: what one test left open cannot catch the next test's clicks."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def _open_notebook(page, lab: Lab, path: str = f"{NOTEBOOK}.ipynb", workspace: str = "english") -> None:
    """Open ``path`` alone in its own JupyterLab workspace (a workspace restores the tabs it last had open)."""
    from playwright.sync_api import expect

    page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{path}?reset&token={lab.token}")
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    assert ANNOUNCEMENTS_PLUGIN in config.get("disabledExtensions", []), (
        "JupyterLab's news pop-up is on (it goes online and covers widgets): run `make install`, which installs "
        "etc/jupyter/labconfig/page_config.json into the environment"
    )
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-Cell")
    expect(page.locator(".jp-NotebookPanel")).to_have_count(1)
    # The toolbar's execution indicator says idle before any kernel exists; the status bar names the kernel.
    kernel_idle = page.get_by_role("contentinfo").get_by_text("Python 3 (ipykernel) | Idle")
    expect(kernel_idle).to_be_visible(timeout=KERNEL_TIMEOUT_MS)


def _run_all_cells(page, scorecard_text: str = f"{NOTEBOOK}: quiz") -> None:
    from playwright.sync_api import expect

    page.locator(".lm-MenuBar-item", has_text="Run").click()
    page.locator(".lm-Menu-item:has(.lm-Menu-itemLabel:text-is('Run All Cells'))").click()
    # The last cell prints the scorecard; a failing cell stops the run with a traceback instead.
    scorecard = page.locator(".jp-OutputArea-output", has_text=scorecard_text)
    traceback = page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']", has_text="Traceback"
    )
    expect(scorecard.or_(traceback).first).to_be_visible(timeout=RUN_ALL_TIMEOUT_MS)
    if traceback.first.is_visible():
        pytest.fail(f"a cell raised:\n{traceback.first.inner_text()}")


def _answer(page, number: int, *options: str, role: str = "radio", label: str = "Q", check: str = "Check"):
    """Pick ``options`` in quiz question ``number`` and press its Check button; return the feedback locator."""
    question = page.locator(".widget-vbox", has=page.locator(".widget-html", has_text=f"{label}{number}.")).last
    question.scroll_into_view_if_needed()
    for option in options:
        question.get_by_role(role, name=option).check()
    question.get_by_role("button", name=check).click()
    return question.locator(".widget-html").last


def test_learner_runs_start_here_and_answers_quiz(lab: Lab, page) -> None:
    from playwright.sync_api import expect

    from mlops_lab.progress import Progress

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        _open_notebook(page, lab)
        _run_all_cells(page)
        expect(page.locator(".jp-OutputArea-output", has_text=f"{NOTEBOOK}: quiz 0/")).to_be_visible()

        wrong = _answer(page, 1, "b) A library that trains models faster on GPUs")
        expect(wrong).to_contain_text("Not quite.")
        expect(wrong).to_contain_text("b) you chose, wrong:")
        expect(wrong).to_contain_text("a) you missed, right:")
        right = _answer(page, 2, "b) In production a model always predicts a future")
        expect(right).to_contain_text("Correct.")
        expect(right).to_contain_text("b) you chose, right: A time split measures what production will feel")
        several = _answer(
            page, 3, "a) Keeping track", "b) Controlling the experiment space", "d) Reproducing", role="checkbox"
        )
        expect(several).to_contain_text("Correct.")
        expect(several).to_contain_text("d) you chose, right:")
        page.locator(".widget-html", has_text="Q1.").evaluate("element => element.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(SCREENSHOTS / f"{NOTEBOOK}_quiz_answered.png"))

        # The Check button went through the kernel: the answers are in the learner's progress file.
        answers = Progress.in_workspace(lab.workspace).answers(NOTEBOOK, "questions")
        assert {qid: (record["answer"], record["score"]) for qid, record in answers.items()} == {
            "what-is-mlops": ("b", 0.0),
            "time-split": ("b", 1.0),
            "pain-points": (["a", "b", "d"], 1.0),
        }

        # The lab's plot ("Monthly churn rate"), drawn by this run's kernel (the copy had no outputs), is a decoded
        # PNG on the page.
        plot_cell = page.locator(".jp-CodeCell", has_text="Monthly churn rate")
        image = plot_cell.locator(".jp-OutputArea-output img")
        image.scroll_into_view_if_needed()
        expect(image).to_be_visible()
        assert image.get_attribute("src").startswith("data:image/png;base64,")
        width, height = image.evaluate("img => [img.complete ? img.naturalWidth : 0, img.naturalHeight]")
        assert width > 300 and height > 150, f"the plot did not render as an image ({width}x{height} px)"
        plot_cell.screenshot(path=str(SCREENSHOTS / f"{NOTEBOOK}_plot.png"))
    except BaseException:  # pytest.fail and timeouts included: keep what the learner would have seen
        page.screenshot(path=str(SCREENSHOTS / f"{NOTEBOOK}_failure.png"))
        print(f"JupyterLab log (end):\n{lab.log.read_text()[-3000:]}")
        raise


def test_learner_runs_the_spanish_edition_and_reads_spanish_feedback(lab: Lab, page) -> None:
    """The Spanish twin: its widgets, feedback, exercise checks and scorecard speak Spanish."""
    from playwright.sync_api import expect

    from mlops_lab.progress import Progress

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        _open_notebook(page, lab, f"es/{NOTEBOOK}.ipynb", workspace="spanish")
        # The workspace folder is shared with the English test, so the score may not start at 0 here.
        _run_all_cells(page, scorecard_text="preguntas correctas")
        expect(page.locator(".jp-OutputArea-output", has_text="INTÉNTALO DE NUEVO").first).to_be_visible()
        wrong = _answer(
            page, 1, "b) Una biblioteca que entrena modelos más rápido en GPU", label="P", check="Comprobar"
        )
        expect(wrong).to_contain_text("No del todo.")
        expect(wrong).to_contain_text("b) la elegiste, es incorrecta:")
        expect(wrong).to_contain_text("a) no la elegiste, es correcta:")
        page.screenshot(path=str(SCREENSHOTS / f"es_{NOTEBOOK}_quiz_answered.png"))
        # Same question ids and keys as the English edition: the progress file cannot tell them apart.
        answers = Progress.in_workspace(lab.workspace).answers(NOTEBOOK, "questions")
        assert (answers["what-is-mlops"]["answer"], answers["what-is-mlops"]["score"]) == ("b", 0.0)
    except BaseException:
        page.screenshot(path=str(SCREENSHOTS / f"es_{NOTEBOOK}_failure.png"))
        print(f"JupyterLab log (end):\n{lab.log.read_text()[-3000:]}")
        raise
