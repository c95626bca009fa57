"""How a check is split so that a grade is decided where no submission code ever ran.

A check has three parts:

- ``draw_inputs(generator)``: the inputs the check will look at (images, codes, noise...),
  drawn by whoever judges: the grader draws them at grading time with a seed the notebook
  cannot know, and hands them into the sandbox as data;
- ``hand_over(*notebook_arguments, inputs=...)``: runs where the answer lives (the student's
  notebook) and turns the answer into tensors only, the outputs of the student's model or
  function on ``inputs`` (and gradients where the check needs them). It may raise
  :class:`~course_utils.checks.CheckFailed` for an answer of the wrong kind;
- ``judge(answer, inputs)``: runs in a trusted process, on tensors alone; it recomputes what it
  measures, raises :class:`~course_utils.checks.CheckFailed` or returns the pass summary.

In a student's notebook (Colab, a laptop) calling the check runs all three in one process and
prints the verdict. When the grader runs the notebook it sets ``COURSE_HANDOVER_DIR``: calling a
check then reads its inputs from ``<dir>/inputs/<exercise>/<check>.safetensors`` and writes the
answer to ``<dir>/answers/<exercise>/<check>.safetensors``; the grader's trusted process judges
it. Nothing the notebook prints or displays is read as a verdict. Only tensors cross (safetensors
holds data, never code), so the trusted side needs no unpickling.
"""

from __future__ import annotations

import os
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
    # Why the check cannot run here (e.g. its data set cannot be downloaded), or None.
    # Decided by the judging side: a notebook cannot declare itself skipped.
    unavailable: Callable[[], str | None] | None = None

    def inputs(self, generator: torch.Generator) -> Tensors:
        return {} if self.draw_inputs is None else self.draw_inputs(generator)

    def __call__(self, *args, **kwargs) -> None:
        from . import passed, skipped

        folder = os.environ.get(HANDOVER_DIR)
        if folder:
            inputs = load_tensors(self.path(folder, "inputs"))
        else:
            reason = self.unavailable() if self.unavailable else None
            if reason:
                skipped(self.exercise, reason)
                return
            inputs = self.inputs(torch.Generator().manual_seed(SELF_CHECK_SEED))
        answer = self.hand_over(*args, inputs=inputs, **kwargs)
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
    unavailable: Callable[[], str | None] | None = None,
) -> Callable[[Callable[..., Tensors]], Check]:
    """Decorator: the decorated function is the check's ``hand_over``; its name, the check's."""

    def make(hand_over: Callable[..., Tensors]) -> Check:
        return Check(
            exercise,
            hand_over.__name__,
            hand_over,
            judge,
            draw_inputs,
            unavailable,
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
