"""The batch's papermill engine: fewer writes of the output notebook, the same notebook, and the same partial one."""

import json

import nbformat
import papermill
import pytest

from mlops_lab.notebook_execution import register_engine


def _notebook(path, sources):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for source in sources:
        if source.startswith("#"):
            notebook.cells.append(nbformat.v4.new_markdown_cell(source))
        else:
            notebook.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(notebook, path)
    return path


def _counting_writes(monkeypatch):
    """Every write of a notebook file, whichever serialiser made the text."""
    from papermill.iorw import papermill_io

    written = []

    def write(text, path, *args, **kwargs):
        written.append(path)
        return original(text, path, *args, **kwargs)

    original = papermill_io.write
    monkeypatch.setattr(papermill_io, "write", write)
    return written


def _outputs(path):
    return [(c["cell_type"], c["source"], c.get("outputs")) for c in json.loads(path.read_text())["cells"]]


def test_the_engine_writes_once_per_code_cell_and_gives_the_same_notebook(tmp_path, monkeypatch):
    source = _notebook(
        tmp_path / "in.ipynb", ["# Title", "x = 6 * 7\nprint(x)", "## Next", "# More text", "x + 1", "print('end')"]
    )
    written = _counting_writes(monkeypatch)
    papermill.execute_notebook(source, tmp_path / "default.ipynb", kernel_name="python3", progress_bar=False)
    default_writes = len(written)
    written.clear()
    papermill.execute_notebook(
        source, tmp_path / "engine.ipynb", engine_name=register_engine(), kernel_name="python3", progress_bar=False
    )
    # Papermill's own engine: the start, before and after each of the 6 cells, the end. This one: the start, each of
    # the 3 code cells as it starts, the end. Then papermill writes the result once more, after either engine.
    assert (default_writes, len(written)) == (15, 6)
    assert _outputs(tmp_path / "engine.ipynb") == _outputs(tmp_path / "default.ipynb")
    assert "42" in json.dumps(_outputs(tmp_path / "engine.ipynb"))


def test_a_run_stopped_in_a_cell_leaves_a_partial_notebook_that_names_that_cell(tmp_path):
    from mlops_lab.batch import _failed_cell

    source = _notebook(
        tmp_path / "in.ipynb", ["# Title", "print('first')", "# The slow part", "import time\ntime.sleep(60)", "1"]
    )
    partial = tmp_path / "partial.ipynb"
    with pytest.raises(Exception, match="[Tt]imeout|timed out"):
        papermill.execute_notebook(
            source,
            partial,
            engine_name=register_engine(),
            kernel_name="python3",
            progress_bar=False,
            execution_timeout=3,
        )
    cell, text = _failed_cell(partial)
    assert (cell, text) == (3, "import time\ntime.sleep(60)")
    assert "first" in json.dumps(json.loads(partial.read_text())["cells"][1]["outputs"])


def test_a_progress_write_is_a_valid_notebook_and_the_last_write_is_nbformats_own(tmp_path):
    output = tmp_path / "out.ipynb"
    # The second code cell reads the file as it was written when that cell started.
    check = (
        "import json, nbformat\n"
        f"progress = nbformat.read({str(output)!r}, as_version=4)\n"
        "nbformat.validate(progress)\n"
        "print([c.metadata.papermill.status for c in progress.cells])"
    )
    source = _notebook(tmp_path / "in.ipynb", ["print('first')", "# Text", check])
    papermill.execute_notebook(source, output, engine_name=register_engine(), kernel_name="python3", progress_bar=False)
    final = output.read_text(encoding="utf-8")
    assert nbformat.reads(final, as_version=4).cells[2].outputs[0].text == "['completed', 'completed', 'running']\n"
    assert final == nbformat.writes(nbformat.reads(final, as_version=4))


def test_the_kernel_is_stopped_only_after_it_has_finished_answering(tmp_path):
    # The kernel's handler for papermill's last request (kernel_info) is made to take 1 s after it has answered:
    # stopping the kernel on the answer alone would interrupt it there (jupyter_client's stop begins with SIGINT),
    # and the kernel would log "KeyboardInterrupt caught in kernel." on the batch's terminal.
    marker = tmp_path / "interrupted.txt"
    slow_handler = (
        "import inspect, pathlib, time\n"
        "kernel = get_ipython().kernel\n"
        "answer = kernel.shell_handlers['kernel_info_request']\n"
        "async def answer_then_linger(*args):\n"
        "    result = answer(*args)\n"
        "    if inspect.isawaitable(result):\n"
        "        await result\n"
        "    try:\n"
        "        time.sleep(1.0)\n"
        "    except KeyboardInterrupt:\n"
        f"        pathlib.Path({str(marker)!r}).write_text('interrupted while answering')\n"
        "kernel.shell_handlers['kernel_info_request'] = answer_then_linger"
    )
    source = _notebook(tmp_path / "in.ipynb", [slow_handler, "print('done')"])
    output = tmp_path / "out.ipynb"
    papermill.execute_notebook(source, output, engine_name=register_engine(), kernel_name="python3", progress_bar=False)
    assert not marker.exists()
    assert nbformat.read(output, as_version=4).metadata.language_info.name == "python"
