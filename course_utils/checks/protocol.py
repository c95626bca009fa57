"""How a check is split so that a grade is decided where no submission code ever ran.

A check has three parts:

- ``draw_inputs(generator)``: the inputs the check will look at (images, codes,
  noise...), drawn by whoever judges: the grader draws them at grading time with a seed
  the notebook cannot know, and hands them into the sandbox as data;
- ``hand_over(*notebook_arguments, inputs=...)``: runs where the answer lives (the
  student's notebook) and turns the answer into tensors only, the outputs of the
  student's model or function on ``inputs`` (and gradients where the check needs them).
  It may raise :class:`~course_utils.checks.CheckFailed` for an answer of the wrong
  kind;
- ``judge(answer, inputs)``: runs in a trusted process, on tensors alone; it recomputes
  what it measures, raises :class:`~course_utils.checks.CheckFailed` or returns the pass
  summary.

In a student's notebook (Colab, a laptop) calling the check runs all three in one
process and prints the verdict. When the grader runs the notebook it sets
``COURSE_HANDOVER_DIR``: calling a check then reads its inputs from
``<dir>/inputs/<exercise>/<check>.safetensors`` and writes the answer to
``<dir>/answers/<exercise>/<check>.safetensors``; the grader's trusted process judges
it. Nothing the notebook prints or displays is read as a verdict. Only tensors cross
(safetensors holds data, never code), so the trusted side needs no unpickling.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

Tensors = dict[str, torch.Tensor]
HANDOVER_DIR = "COURSE_HANDOVER_DIR"  # set by the grader inside the sandbox only
SELF_CHECK_SEED = 0  # inputs of a student's self-check; the grader draws its own


@dataclass(frozen=True)
class Check:
    """One check of an exercise. Calling it with the notebook's objects checks them."""

    exercise: str
    name: str
    hand_over: Callable[..., Tensors]
    judge: Callable[[Tensors, Tensors], str]
    draw_inputs: Callable[[torch.Generator], Tensors] | None = None
    # Why the check cannot judge here, given the scale the notebook ran at (e.g. its
    # data set cannot be downloaded, or its bars were not measured at that scale), or
    # None.
    # Decided by the judging side: a notebook cannot declare itself skipped.
    unavailable: Callable[[str], str | None] | None = None
    # Drawn inputs only the judge sees (e.g. the labels of the drawn digits): never
    # handed to ``hand_over``, in the grader's sandbox or in a self-check.
    private: tuple[str, ...] = ()

    def inputs(self, generator: torch.Generator) -> Tensors:
        return {} if self.draw_inputs is None else self.draw_inputs(generator)

    def handed_in(self, inputs: Tensors) -> Tensors:
        """The inputs ``hand_over`` may see: all but the private ones."""
        return {k: v for k, v in inputs.items() if k not in self.private}

    def __call__(self, *args, **kwargs) -> None:
        from ..config import scale
        from . import passed, skipped

        folder = os.environ.get(HANDOVER_DIR)
        if folder:
            inputs = load_tensors(self.path(folder, "inputs"))
        else:
            reason = self.unavailable(scale()) if self.unavailable else None
            if reason:
                skipped(self.exercise, reason)
                return
            inputs = self.inputs(torch.Generator().manual_seed(SELF_CHECK_SEED))
        answer = self.hand_over(*args, inputs=self.handed_in(inputs), **kwargs)
        if folder:
            save_tensors(answer, self.path(folder, "answers"))
            print(f"{self.exercise}: answer handed over to the grader")
        else:
            passed(self.exercise, self.judge(answer, inputs))

    def path(self, folder: str | Path, kind: str) -> Path:
        return Path(folder) / kind / self.exercise / f"{self.name}.safetensors"


def check(
    exercise: str,
    *,
    judge: Callable[[Tensors, Tensors], str],
    draw_inputs: Callable[[torch.Generator], Tensors] | None = None,
    unavailable: Callable[[str], str | None] | None = None,
    private: tuple[str, ...] = (),
) -> Callable[[Callable[..., Tensors]], Check]:
    """Decorator: the decorated function is the check's ``hand_over``; its name, the
    check's."""

    def make(hand_over: Callable[..., Tensors]) -> Check:
        return Check(
            exercise,
            hand_over.__name__,
            hand_over,
            judge,
            draw_inputs,
            unavailable,
            tuple(private),
        )

    return make


def save_tensors(tensors: Tensors, path: Path) -> None:
    from safetensors.torch import save_file

    if not isinstance(tensors, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items()
    ):
        raise TypeError("a check hands over a dict of str -> torch.Tensor only")
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, path)


def load_tensors(path: Path) -> Tensors:
    from safetensors.torch import load_file

    return load_file(path)


# What the trusted side accepts from a file the notebook wrote (it controls every byte).
MAX_ANSWER_BYTES = 64 * 2**20
MAX_HEADER_BYTES = 2**20
MAX_TENSORS = 64
# safetensors' names -> bytes per element; nothing else is read
DTYPES = {
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
    "U8": 1, "BOOL": 1,
}  # fmt: skip


def open_inside(folder: Path, relative: Path) -> int:
    """A file descriptor of ``folder/relative``, refusing symbolic links at every step
    (the sandbox made these folders) and anything but a regular file."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in relative.parts[:-1]:
            inner = os.open(
                part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd
            )
            os.close(fd)
            fd = inner
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
        file = os.open(relative.parts[-1], flags, dir_fd=fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(os.fstat(file).st_mode):
        os.close(file)
        raise ValueError("it is not a regular file")
    return file


def load_answer(
    folder: Path, relative: Path, max_bytes: int = MAX_ANSWER_BYTES
) -> Tensors:
    """The tensors of an answer file the notebook wrote, read without trusting it: at
    most ``max_bytes``, a safetensors header checked (its length before it is parsed,
    then every tensor's dtype, shape and extent) before any tensor is built. Raises
    ValueError saying why."""
    import json

    from safetensors.torch import load

    try:
        fd = open_inside(Path(folder), Path(relative))
    except OSError as error:
        raise FileNotFoundError(f"no answer file ({error.strerror})") from None
    with os.fdopen(fd, "rb") as file:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"the answer file is larger than {max_bytes // 2**20} MB")
    length = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    if not 2 <= length <= min(MAX_HEADER_BYTES, len(data) - 8):
        raise ValueError(
            "the answer file is not a safetensors file (bad header length)"
        )
    try:
        header = json.loads(data[8 : 8 + length])
    except ValueError:
        raise ValueError(
            "the answer file is not a safetensors file (bad header)"
        ) from None
    body = len(data) - 8 - length
    entries = {k: v for k, v in header.items()} if isinstance(header, dict) else None
    if entries is None or len(entries) > MAX_TENSORS + 1:
        raise ValueError("the answer file's header is not a small table of tensors")
    entries.pop("__metadata__", None)
    for name, entry in entries.items():
        shape = entry.get("shape") if isinstance(entry, dict) else None
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        valid = (
            (
                entry.get("dtype") in DTYPES
                and isinstance(shape, list)
                and all(type(n) is int and 0 <= n <= max_bytes for n in shape)
                and isinstance(offsets, list)
                and len(offsets) == 2
                and all(type(n) is int for n in offsets)
                and 0 <= offsets[0] <= offsets[1] <= body
                and offsets[1] - offsets[0] == math.prod(shape) * DTYPES[entry["dtype"]]
            )
            if isinstance(entry, dict)
            else False
        )
        if not valid:
            raise ValueError(f"the answer file's entry {name[:40]!r} is not a tensor")
    try:
        return load(data)
    except Exception as error:  # safetensors' own checks (overlaps, ...)
        raise ValueError(f"the answer file is not readable: {error}") from None
