"""What runs inside the sandbox: the prepared notebook, executed top to bottom, and a
small report.

    python -P course_utils/teaching/harness.py NOTEBOOK REPORT TIMEOUT LIMITS

It is run by its path and imports only the standard library and the notebook client,
never the course (whose package would import torch).

It sets the resource limits ``LIMITS`` (JSON, ``{"RLIMIT_CPU": seconds, ...}``) on
itself (so on the kernel and everything the notebook starts), starts a kernel with this
interpreter and runs every cell, within ``TIMEOUT`` seconds in all, keeping no output
but each cell's first error. After each cell it rewrites ``REPORT`` (JSON): ``{"ran":
cells finished, "stopped": null, "timeout" or "the kernel died", "errors": {cell index:
[error type, message]}, "done": bool}``.

This process shares the sandbox with the submission's code, which may rewrite the report
or kill it: the grader takes from the report only how far the run got and, per cell, an
error's type and one capped line, and decides every grade from the answers its own
process judges.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import time

from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

LINE = 300  # characters kept of an error message


class KernelManager(AsyncKernelManager):
    """A python3 kernel on this interpreter, whatever kernel the notebook names."""

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, "-m", "ipykernel_launcher", *cmd[cmd.index("-f") :]]


class ErrorsOnly(NotebookClient):
    """Keeps no output (so nothing a notebook prints fills memory), only each cell's
    first error."""

    def __init__(self, nb, **kw):
        super().__init__(nb, **kw)
        self.errors = {}

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "error" and cell_index not in self.errors:
            content = msg["content"]
            message = " ".join(str(content.get("evalue", "")).split())[:LINE]
            self.errors[cell_index] = [str(content.get("ename", "Error"))[:80], message]
        return None


def write(report: dict, path: str) -> None:
    with open(path + ".part", "w", encoding="utf-8") as file:
        json.dump(report, file)
    os.replace(path + ".part", path)


def main(notebook_path: str, report_path: str, timeout: str, limits: str) -> None:
    for name, value in json.loads(limits).items():
        resource.setrlimit(getattr(resource, name), (value, value))
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    client = ErrorsOnly(
        notebook,
        km=KernelManager(kernel_name="python3"),
        allow_errors=True,
        shutdown_kernel="immediate",
    )
    report = {"ran": 0, "stopped": None, "errors": client.errors, "done": False}
    write(report, report_path)
    deadline = time.monotonic() + float(timeout)
    with client.setup_kernel(cwd=os.getcwd(), stderr=subprocess.DEVNULL):
        for index, cell in enumerate(notebook.cells):
            client.timeout = math.ceil(deadline - time.monotonic())
            try:
                if client.timeout <= 0:
                    raise CellTimeoutError("")
                client.execute_cell(cell, index)
            except CellTimeoutError:
                report["stopped"] = "timeout"
            except DeadKernelError:
                report["stopped"] = "the kernel died"
            if report["stopped"]:
                break
            report["ran"] = index + 1
            write(report, report_path)
    report["done"] = True
    write(report, report_path)


if __name__ == "__main__":
    main(*sys.argv[1:])
