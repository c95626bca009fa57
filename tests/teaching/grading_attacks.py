"""Cheating attempts against the grader, one per attack class, as notebook code.

Each snippet is code a student could put in their notebook (most on top of a wrong answer); the
grading tests hand them in and expect no pass. ``{paths}`` in a snippet is replaced by the list
of files outside the sandbox that the attack tries to read or change (the teacher notebooks, a
neighbour's submission, the CSV, the package's source and bytecode, the data cache).
"""

from __future__ import annotations

import functools
import os
import shutil

import pytest

MIME = "application/vnd.course-grader+json"  # the old design's verdict channel

# A display hook that rewrites every output into a pass, registered when the cell runs...
DISPLAY_HOOK = """\
def rewrite(msg):
    msg["content"]["data"] = {"text/plain": "✔ ex-1.1 passed: hooked"}
    return msg

get_ipython().display_pub.register_hook(rewrite)
"""

# ...and one registered by code the check itself calls (the model's encode).
HOOK_DURING_CHECK = """\
plain_encode = model_2d.encode

def encode(images):
    get_ipython().display_pub.register_hook(lambda msg: None)
    print("✔ ex-1.1 passed: from inside the check")
    return plain_encode(images)

model_2d.encode = encode
"""

# What the old design's secret travelled in, the grader's command line and environment.
SECRET_READ = """\
import os

found = [str(get_ipython().kernel.get_parent().get("content", {}).get("code", ""))[:200]]
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for part in ("cmdline", "environ"):
            try:
                found.append(open(f"/proc/{pid}/{part}", "rb").read()[:300])
            except OSError as error:
                found.append(repr(error))
raise RuntimeError(f"{found}")
"""

FORGED = f"""\
from IPython.display import publish_display_data

report = {{"exercise": "ex-1.1", "status": "pass", "message": "forged", "problems": []}}
for secret in ["0" * 32, ""]:
    publish_display_data({{"{MIME}": {{**report, "secret": secret}}}})
print("✔ ex-1.1 passed: codes of shape (300, 2)")
"""

DIR_FD_WRITE = """\
import os

for path in {paths}:
    folder, name = os.path.split(path)
    for attempt in (
        lambda: os.open(name, os.O_WRONLY | os.O_CREAT, dir_fd=os.open(folder, os.O_RDONLY)),
        lambda: os.rename(path, path + ".moved", src_dir_fd=None),
        lambda: os.mkdir(name + ".d", dir_fd=os.open(folder, os.O_RDONLY)),
        lambda: os.symlink("/etc/passwd", name + ".l", dir_fd=os.open(folder, os.O_RDONLY)),
    ):
        try:
            attempt()
            print("changed", path)
        except OSError as error:
            print(error)
"""

FORK_EXEC = """\
import _posixsubprocess
import os

for path in {paths}:
    script = f"echo hacked > '{{path}}'; kill -9 -1"
    read, write = os.pipe()
    try:
        pid = _posixsubprocess.fork_exec(
            [b"/bin/sh", b"-c", script.encode()], [b"/bin/sh"], True, (), None, None,
            -1, -1, -1, -1, -1, -1, read, write, True, False, -1, None, None, None, -1,
            None, False,
        )
        os.waitpid(pid, 0)
    except Exception as error:  # another Python's signature
        print(error)
        os.system(script)
"""

PIDFD_SIGNAL = """\
import os
import signal

for pid in range(1, 2000):
    if pid != os.getpid():
        try:
            signal.pidfd_send_signal(os.pidfd_open(pid), signal.SIGKILL)
        except OSError:
            pass
"""

# A .pyc with the real source's header that would make the check pass anything, written where
# the trusted side would read it, and the package's source itself.
BYTECODE = """\
import importlib.util
import os
import pathlib

import course_utils.checks.linear_autoencoder as module

source = pathlib.Path(module.__file__)
pyc = pathlib.Path(importlib.util.cache_from_source(str(source)))
fake = "def judge_latent_2d(answer, inputs):\\n    return 'poisoned'\\n"
data = importlib.util.MAGIC_NUMBER + b"\\0" * 4
stat = source.stat()
data += int(stat.st_mtime).to_bytes(4, "little") + (stat.st_size & 0xFFFFFFFF).to_bytes(4, "little")
import marshal
data += marshal.dumps(compile(fake, str(source), "exec"))
for target in [pyc, *[pathlib.Path(p) for p in {paths}]]:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print("wrote", target)
    except OSError as error:
        print(error)
"""

# Copy the teacher's or a neighbour's solution, if either can be read.
READ_OTHERS = """\
import json

for path in {paths}:
    try:
        cells = json.load(open(path))["cells"]
    except (OSError, ValueError, KeyError):
        continue
    for cell in cells:
        source = "".join(cell["source"])
        if "BEGIN SOLUTION" in source:
            exec(source, globals())
"""

DATA_POISON = """\
import os
import torch

folder = os.environ.get("COURSE_DATA_DIR", "/data")
for target in [folder, *{paths}]:
    try:
        os.makedirs(os.path.join(target, "MNIST", "raw"), exist_ok=True)
        with open(os.path.join(target, "MNIST", "raw", "t10k-labels-idx1-ubyte"), "wb") as f:
            f.write(b"\\0" * 10**6)
        with open(os.path.join(target, "big"), "wb") as f:
            f.write(b"\\0" * 10**9)
        print("poisoned", target)
    except OSError as error:
        print(error)
"""

FORK_MEMORY = """\
import os
import time

for _ in range(4):
    if os.fork() == 0:
        block = bytearray(1500 * 2**20)
        for at in range(0, len(block), 4096):
            block[at] = 1
        time.sleep(60)
        os._exit(0)
time.sleep(8)
"""

PROCESS_COUNT = """\
import subprocess

started = []
try:
    for _ in range(300):
        started.append(subprocess.Popen(["sleep", "120"]))
except OSError as error:
    print(f"stopped at {len(started)}: {error}")
"""

# Patches that fooled the in-kernel scanner: they now only change the sandbox's copy of Python.
PATCH_PARTIAL = """\
import builtins
import functools
import torch

torch.allclose = functools.partial(lambda *args, **kwargs: True)
builtins.zip = functools.partial(zip)
exec("def anything(*args, **kwargs):\\n    return True", torch.__dict__)
torch.equal = functools.lru_cache(lambda *args: True)
"""

PATCH_DEEP = """\
import sys
import types

import torch
from torch.overrides import TorchFunctionMode


class Agree(TorchFunctionMode):
    def __torch_function__(self, func, types_, args=(), kwargs=None):
        if func is torch.allclose:
            return True
        return func(*args, **(kwargs or {}))


Agree().__enter__()


class Yes(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types_, args=(), kwargs=None):
        return True if func is torch.allclose else super().__torch_function__(
            func, types_, args, kwargs
        )


codes_2d = codes_2d.as_subclass(Yes)


class Shadow(types.ModuleType):
    @property
    def allclose(self):
        return lambda *args, **kwargs: True


torch.__class__ = Shadow
sys.modules["types"] = types.SimpleNamespace(**vars(types))


class FakeSklearn:
    def find_spec(self, name, path=None, target=None):
        return None


sys.meta_path.insert(0, FakeSklearn())
"""

# Crafted answer files, written over the check's own answer after it ran (the notebook
# controls every byte of the answers folder).
ANSWER_FILE = """\
import os
import pathlib

answer = pathlib.Path(os.environ["COURSE_HANDOVER_DIR"]) / "answers" / "ex-1.1"
answer.mkdir(parents=True, exist_ok=True)
target = answer / "check_latent_2d.safetensors"
target.unlink(missing_ok=True)
{craft}
"""

CRAFTED = {
    "answer_wrong_types": "from safetensors.torch import save_file\n"
    "save_file({'codes': torch.zeros(3, dtype=torch.int8), 'reconstructions': "
    "torch.ones(2, 2, dtype=torch.bool)}, target)",
    "answer_huge": "target.write_bytes(b'\\0' * (100 * 2**20))",
    "answer_pickle": "import pickle\n"
    "target.write_bytes(pickle.dumps({'codes': __import__('os').system}))",
    "answer_zip": "torch.save({'codes': torch.zeros(500, 2)}, target)",
    "answer_huge_header": "import json, struct\n"
    "header = json.dumps({'codes': {'dtype': 'F32', 'shape': [10**9, 10**9], "
    "'data_offsets': [0, 4 * 10**18]}}).encode()\n"
    "target.write_bytes(struct.pack('<Q', len(header)) + header)",
    "answer_header_length": "target.write_bytes((2**62).to_bytes(8, 'little') + b'{}')",
    "answer_symlink": "target.symlink_to('/etc/passwd')",
}


@functools.cache
def sandbox_problem() -> str | None:
    """Why bubblewrap cannot sandbox notebooks here, or None."""
    from course_utils.teaching.sandbox import Sandbox, private_root

    folder = private_root()
    try:
        return Sandbox("bwrap").probe(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def require_sandbox() -> None:
    """Skip (fail under CI=true) when the sandbox does not hold on this machine."""
    problem = sandbox_problem()
    if problem:
        message = f"needs bubblewrap's sandbox: {problem}"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
