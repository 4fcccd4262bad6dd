"""Executing a notebook headless with papermill, the way the batch runs every learner's notebook.

papermill writes the whole output notebook before and after every cell, markdown cells
included, so that a run stopped part-way leaves a partial notebook: the batch reads from it
the cell a stopped run had reached. Serialising a notebook with its outputs takes up to 17 ms
(nbformat's JSON writer, indented): 92-116 writes and 0.4-0.6 s per notebook of the workbook,
2.6 s for all six. The engine registered here writes when the run starts, when a code cell
starts (the cell a stopped run reached is the last one written as started), during a long
cell (papermill's autosave, every 30 s) and when the run ends, whatever ended it: 13-34 writes
per notebook. Only the last write is nbformat's indented, validated file; the ones before it
record progress, so they are compact JSON from the standard library's C encoder (a valid
notebook all the same, which nbformat reads). Serialising the six executed notebooks once per
code cell (163 writes) takes 0.09 s that way against 0.47 s with nbformat's writer.

The engine also lets the kernel finish before stopping it. papermill asks the kernel for its
info after the last cell and stops it as soon as the answer arrives; jupyter_client's stop
begins with SIGINT, and a kernel still inside the handler that answered (where SIGINT is not
ignored yet) logs "KeyboardInterrupt caught in kernel." on the batch's terminal: 2 runs in 40
of a four-cell notebook here. A kernel ignores SIGINT again before it reports itself idle, so
the engine waits for that report.

    papermill.execute_notebook(source, output, engine_name=register_engine(), ...)
"""

from __future__ import annotations

import contextlib
import functools
import json
import queue
import time
from collections.abc import Iterator
from typing import Any

ENGINE_NAME = "mlops-lab"


@functools.cache
def register_engine() -> str:
    """Register the engine with papermill (once per process) and return the name to pass as ``engine_name``."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class CodeCellSaves(NotebookExecutionManager):
        """papermill's execution manager, writing the notebook when a code cell starts (progress) and at the end."""

        saving = True
        finished = False

        @contextlib.contextmanager
        def _saves(self, enabled: bool) -> Iterator[None]:
            self.saving = enabled
            try:
                yield
            finally:
                self.saving = True

        def save(self, **kwargs: Any) -> None:
            if not self.saving:
                return
            if self.finished or not self.output_path:
                super().save(**kwargs)
                return
            from papermill.iorw import papermill_io

            papermill_io.write(json.dumps(self.nb, ensure_ascii=False), self.output_path)
            self.last_save_time = self.now()

        def notebook_complete(self, **kwargs: Any) -> None:
            self.finished = True
            super().notebook_complete(**kwargs)

        def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
            with self._saves(cell.get("cell_type") == "code"):
                super().cell_start(cell, cell_index, **kwargs)

        def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
            with self._saves(False):
                super().cell_complete(cell, cell_index, **kwargs)

    class CodeCellSavesEngine(NBClientEngine):
        """papermill's nbclient engine with :class:`CodeCellSaves`, and a client that lets the kernel finish."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            **kwargs: Any,
        ) -> Any:
            # papermill's NBClientEngine.execute_managed_notebook, with the client of _idle_before_stop_client.
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs,
                timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            return _idle_before_stop_client()(nb_man, **final_kwargs).execute()

        @classmethod
        def execute_notebook(
            cls,
            nb: Any,
            kernel_name: str,
            output_path: str | None = None,
            progress_bar: bool = True,
            log_output: bool = False,
            autosave_cell_every: int = 30,
            **kwargs: Any,
        ) -> Any:
            nb_man = CodeCellSaves(
                nb,
                output_path=output_path,
                progress_bar=progress_bar,
                log_output=log_output,
                autosave_cell_every=autosave_cell_every,
            )
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(ENGINE_NAME, CodeCellSavesEngine)
    return ENGINE_NAME


@functools.cache
def _idle_before_stop_client() -> type:
    """papermill's client, waiting after each answered request until the kernel reports itself idle."""
    from nbclient.util import run_sync
    from papermill.clientwrap import PapermillNotebookClient

    class IdleBeforeStopClient(PapermillNotebookClient):
        async def async_wait_for_reply(self, msg_id: str, cell: Any = None) -> dict[str, Any] | None:
            reply = await super().async_wait_for_reply(msg_id, cell)
            if reply is not None:
                await _until_idle(self.kc, msg_id, timeout_s=self.iopub_timeout)
            return reply

        wait_for_reply = run_sync(async_wait_for_reply)

    return IdleBeforeStopClient


async def _until_idle(kernel_client: Any, msg_id: str, *, timeout_s: float) -> None:
    """Read the kernel's broadcasts until it reports itself idle after the request ``msg_id`` (or ``timeout_s``)."""
    from nbclient.util import ensure_async

    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = await ensure_async(kernel_client.iopub_channel.get_msg(timeout=left))
        except queue.Empty:
            return
        if (
            message["parent_header"].get("msg_id") == msg_id
            and message["msg_type"] == "status"
            and message["content"].get("execution_state") == "idle"
        ):
            return
