"""Public checks for the exercises: each check either prints why it passed or fails with
a lesson.

Convention (see README, "Exercises and grading"):
- the solution cell is tagged ``solution`` and the exercise id (e.g. ``ex-1.1``) and
  keeps its answer between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
- the check cell is tagged ``check`` and the same id, and calls a check function from
  ``course_utils.checks.<chapter>``.
A failing check raises :class:`CheckFailed`, whose message says what was expected and
gives a hint; a passing one prints ``✔ <id> passed: ...``; one that cannot run here
prints ``⚠ <id> skipped: ...``.
"""

from __future__ import annotations

import math

import torch


class CheckFailed(AssertionError):
    """An exercise check found a problem. The message says what was expected, and a
    hint."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of the traceback: the student reads the lesson, not
        # the check's code (``%tb`` or ``COURSE_TRACEBACK=1`` shows the full traceback).
        import os
        import traceback

        if os.environ.get("COURSE_TRACEBACK"):
            return traceback.format_exception(self)
        return [f"CheckFailed: {self}"]


def expect(condition: bool, exercise: str, problem: str, hint: str) -> None:
    """Fail ``exercise`` with a teaching message unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(f"{exercise} not passed yet: {problem}\nHint: {hint}")


def passed(exercise: str, summary: str) -> None:
    """Say that ``exercise`` passed, and what was checked."""
    print(f"✔ {exercise} passed: {summary}")


def skipped(exercise: str, reason: str) -> None:
    """Say that ``exercise`` could not be checked here (e.g. its data set cannot be
    downloaded), and why.

    A skipped check neither passes nor fails; the grader reports it as ``skipped``.
    """
    print(f"⚠ {exercise} skipped: {reason}")


def expect_tensor(
    value, exercise: str, name: str, shape: tuple | None = None
) -> torch.Tensor:
    """``value`` as a finite float tensor of the given shape (``None`` in ``shape``
    matches any size)."""
    expect(
        isinstance(value, torch.Tensor),
        exercise,
        f"`{name}` should be a torch.Tensor, but it is {type(value).__name__}.",
        "keep the result of the model as a tensor; call `.detach()` rather than "
        "converting it to a list.",
    )
    if shape is not None:
        fits = value.ndim == len(shape) and all(
            want is None or want == got for want, got in zip(shape, value.shape)
        )
        wanted = " x ".join("N" if want is None else str(want) for want in shape)
        expect(
            fits,
            exercise,
            f"`{name}` should have shape {wanted}, but it has shape "
            f"{tuple(value.shape)}.",
            "check which images you passed in and the size of the layer that produced "
            "it.",
        )
    value = value.detach().float().cpu()
    expect(
        bool(torch.isfinite(value).all()),
        exercise,
        f"`{name}` contains NaN or infinite values.",
        "a learning rate that is too large can make training diverge; try a smaller "
        "one.",
    )
    return value


def close(a: float, b: float, rel: float) -> bool:
    """``a`` within a relative tolerance ``rel`` of ``b``."""
    return math.isclose(a, b, rel_tol=rel)


def reconstruction_and_average_digit(
    model, images: torch.Tensor
) -> tuple[float, float]:
    """The model's reconstruction MSE on ``images``, and the MSE of drawing their
    average image for every one of them: a model that has learnt anything beats the
    second number."""
    from ..metrics import mse
    from ..training import apply_in_batches

    reconstruction = mse(apply_in_batches(model, images), images.cpu())
    return reconstruction, float(images.var(dim=0, unbiased=False).mean())


def untrained_copy(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """A copy of ``model`` with every layer's parameters drawn afresh
    (``reset_parameters``): the same architecture untrained, the baseline a trained
    model must beat."""
    import copy

    fresh = copy.deepcopy(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in fresh.modules():
            reset = getattr(module, "reset_parameters", None)
            if callable(reset):
                reset()
    return fresh


from .protocol import Check, check  # noqa: E402  (the protocol uses the helpers above)

__all__ = [
    "Check",
    "CheckFailed",
    "check",
    "expect",
    "expect_tensor",
    "passed",
    "skipped",
    "untrained_copy",
]
