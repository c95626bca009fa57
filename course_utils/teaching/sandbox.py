"""Where a submission runs: a kernel with an address-space limit and a cap on its output, in a
temporary folder, whose child processes die with it; and a guard that notices files it changed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .harness import MIME

LAUNCH = (Path(__file__).parent / "kernel_launch.py").read_text(encoding="utf-8")


class LimitedKernelManager(AsyncKernelManager):
    """A python3 kernel started by this interpreter through :mod:`.kernel_launch`, which reads its
    limits from the environment variable ``COURSE_GRADER_SANDBOX``."""

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, "-c", LAUNCH, *cmd[cmd.index("-f") :]]


def writable_folders(workdir: Path) -> list[str]:
    """Where a kernel may write: its own folder, the course's data cache, matplotlib's cache."""
    import matplotlib

    from ..config import data_dir

    folders = [workdir, data_dir(), Path(matplotlib.get_cachedir())]
    return [os.path.realpath(folder) + os.sep for folder in folders] + ["/dev/null"]


def output_size(msg) -> int:
    content = msg["content"]
    if "text" in content:
        return len(content["text"])
    return len(json.dumps(content.get("data", content), default=str))


def is_report(output, secret: str) -> bool:
    data = output.get("data", {}) if isinstance(output, dict) else {}
    report = data.get(MIME)
    return isinstance(report, dict) and report.get("secret") == secret


class CappedClient(NotebookClient):
    """A notebook client that keeps at most ``max_output`` characters of output in all.

    Past the cap, outputs are dropped and the cell is interrupted (as is any later cell that prints
    as much again); should a cell still print ten seconds after its interrupt, the kernel is
    killed. A grader's report is never dropped, and errors are kept, shortened, for the notes.
    """

    def __init__(self, nb, max_output: int, secrets: dict[int, str], **kw):
        super().__init__(nb, **kw)
        self.max_output, self.secrets = max_output, secrets
        self.output_chars, self.cut_in, self.killed = 0, None, False
        self.dropped, self.interrupted = {}, {}

    def output(self, outs, msg, display_id, cell_index):
        secret = self.secrets.get(cell_index)
        if secret and is_report(msg.get("content", {}), secret):
            return super().output(outs, msg, display_id, cell_index)
        if msg["msg_type"] == "error":
            content = msg["content"]
            content["evalue"] = str(content.get("evalue", ""))[:2000]
            content["traceback"] = [
                str(line)[:2000] for line in content.get("traceback", [])[-20:]
            ]
            return super().output(outs, msg, display_id, cell_index)
        size = output_size(msg)
        self.output_chars += size
        if self.cut_in is None and self.output_chars <= self.max_output:
            return super().output(outs, msg, display_id, cell_index)
        # past the cap: dropped; a cell that goes on printing is interrupted, then killed
        self.cut_in = cell_index if self.cut_in is None else self.cut_in
        self.dropped[cell_index] = self.dropped.get(cell_index, 0) + size
        now = time.monotonic()
        if cell_index not in self.interrupted:
            if cell_index == self.cut_in or self.dropped[cell_index] > self.max_output:
                self.interrupted[cell_index] = now
                asyncio.ensure_future(self.km.interrupt_kernel())
        elif now - self.interrupted[cell_index] > 10 and not self.killed:
            self.killed = True  # it ignores interrupts
            asyncio.ensure_future(self.km.shutdown_kernel(now=True))
        return None


def kill_tree(processes) -> None:
    """Kill the given processes (those still alive) and wait a moment for them to go."""
    alive = []
    for process in processes:
        try:
            process.kill()
            alive.append(process)
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=3)


def become_subreaper(on: bool = True) -> None:
    """Orphaned grandchildren (a kernel's daemons) become this process's children, to be killed."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None).prctl(36, int(on), 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            pass


def descendants() -> list:
    return psutil.Process().children(recursive=True)


def kill_children() -> None:
    """Kill every process below this one: what is left of the kernels this process started."""
    kill_tree(descendants())


def kernel_env(workdir: Path, memory: int = 0) -> dict[str, str]:
    """The kernel's environment: the tiny scale, no plot windows, one CPU thread unless set
    otherwise (tiny models gain nothing from more, and on a busy machine threads that wait for
    each other make a notebook several times slower), IPython's settings and temporary files in the
    submission's own folder, no user site-packages, and the sandbox's settings."""
    sandbox = {
        "memory": memory,
        "writable": writable_folders(workdir),
    }
    return {
        "OMP_NUM_THREADS": "1",
        **os.environ,
        "COURSE_TINY": "1",
        "COURSE_SCALE": "tiny",
        "MPLBACKEND": "Agg",
        "IPYTHONDIR": str(workdir / ".ipython"),
        "TMPDIR": str(workdir),
        "PYTHONNOUSERSITE": "1",
        "COURSE_GRADER_SANDBOX": json.dumps(sandbox),
    }


def run_cells(
    notebook,
    timeout: float,
    cwd: Path,
    *,
    memory: int = 0,
    max_output: int = 10**7,
    before_cell=None,
) -> tuple[int, str | None, int | None]:
    """Run the notebook's cells in place in a fresh kernel, ``timeout`` seconds for all of them.

    ``before_cell(index, cell)`` may change a cell just before it runs and return a secret whose
    report is never cut. Returns the index of the first cell that did not finish (the number of
    cells when all did), why (None, ``"timeout"`` or ``"the kernel died"``), and the cell where the
    output was cut (None when it was not). Errors in cells are kept as their outputs, and the next
    cell runs. The kernel and every process it started are killed when the notebook is done.
    """
    secrets: dict[int, str] = {}
    client = CappedClient(
        notebook,
        max_output,
        secrets,
        km=LimitedKernelManager(kernel_name="python3"),
        allow_errors=True,
        shutdown_kernel="immediate",
    )
    deadline = time.monotonic() + timeout
    stopped_at, reason, family = len(notebook.cells), None, []
    # the kernel's own start-up chatter on stderr would only clutter the grader's report
    with client.setup_kernel(
        env=kernel_env(cwd, memory), cwd=str(cwd), stderr=subprocess.DEVNULL
    ):
        kernel = psutil.Process(client.km.provisioner.process.pid)
        try:
            for index, cell in enumerate(notebook.cells):
                client.timeout = math.ceil(deadline - time.monotonic())
                if client.timeout <= 0:
                    stopped_at, reason = index, "timeout"
                    break
                if before_cell is not None:
                    secret = before_cell(index, cell)
                    if secret:
                        secrets[index] = secret
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    stopped_at, reason = index, "timeout"
                    break
                except DeadKernelError:
                    stopped_at, reason = index, "the kernel died"
                    break
        finally:
            try:
                family = [kernel, *kernel.children(recursive=True)]
            except psutil.Error:
                family = []
    kill_tree(family)
    return stopped_at, reason, client.cut_in


def fingerprint(path: Path) -> str | None:
    """The file's SHA-256, or None when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


class Guard:
    """The files a submission must not change, with their contents when grading began.

    ``changed()`` names those whose contents differ now, and new files in the watched folders;
    ``restore()`` puts them back as they were.
    """

    def __init__(self, files: list[Path], folders: list[Path]):
        self.contents = {}
        for path in files:
            try:
                self.contents[Path(path)] = Path(path).read_bytes()
            except (FileNotFoundError, IsADirectoryError):
                self.contents[Path(path)] = None
        self.hashes = {
            path: None if data is None else hashlib.sha256(data).hexdigest()
            for path, data in self.contents.items()
        }
        self.folders = {Path(folder): set(os.listdir(folder)) for folder in folders}

    def changed(self) -> list[Path]:
        found = [
            path for path, digest in self.hashes.items() if fingerprint(path) != digest
        ]
        for folder, names in self.folders.items():
            found += [folder / name for name in sorted(set(os.listdir(folder)) - names)]
        return found

    def restore(self, paths: list[Path]) -> None:
        for path in paths:
            data = self.contents.get(path)
            if data is not None:
                path.write_bytes(data)
            elif path.is_dir() and not path.is_symlink():
                import shutil

                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
