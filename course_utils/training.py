"""A small fit loop for autoencoders, and helpers to evaluate and apply models by batch.

A *batch loss* is a function ``loss_fn(model, batch) -> scalar tensor``. The plain
autoencoder uses :func:`reconstruction_loss`; a denoiser corrupts the batch inside its
loss, a VAE returns its negative ELBO. The loop itself never changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .config import progress_bars
from .data import batches
from .validation import (
    func,
    non_empty_batch,
    one_of,
    positive_int,
    positive_number,
    tensor,
    validated,
)

BatchLoss = Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]


def reconstruction_loss(model: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
    """Mean squared error between the batch and the model's reconstruction of it."""
    return F.mse_loss(model(batch), batch)


@dataclass
class History:
    """Per-epoch mean losses recorded by :func:`fit`."""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)


def _model_device(model: torch.nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


@contextmanager
def eval_mode(model: torch.nn.Module | None) -> Iterator[None]:
    """Put ``model`` in evaluation mode for a ``with`` block, then restore its mode.

    Batch norm then uses its running statistics and dropout is off; ``None`` does
    nothing.
    """
    was_training = model.training if model is not None else False
    if model is not None:
        model.eval()
    try:
        yield
    finally:
        if model is not None:
            model.train(was_training)


@torch.no_grad()
@validated(batch_size=positive_int)
def evaluate(
    model: torch.nn.Module,
    images: torch.Tensor,
    loss_fn: BatchLoss = reconstruction_loss,
    batch_size: int = 512,
) -> float:
    """Mean of ``loss_fn`` over all images (batches weighted by size), in eval mode.

    A loss with an ``evaluation()`` method (such as
    :class:`course_utils.corruption.RestorationLoss`) is evaluated through it, so that
    random corruption of the test images is fixed and drawn from its own generator,
    never from the training stream.
    """
    if callable(getattr(loss_fn, "evaluation", None)):
        loss_fn = loss_fn.evaluation()
    images = images.to(_model_device(model))
    total = 0.0
    with eval_mode(model):
        for batch in batches(images, batch_size=batch_size):
            total += loss_fn(model, batch).item() * len(batch)
    return total / len(images)


def _module_of(function: Callable) -> torch.nn.Module | None:
    """The module behind ``function``: itself, or the owner of a bound method such as
    ``model.encode``; None for anything else."""
    owner = getattr(function, "__self__", function)
    return owner if isinstance(owner, torch.nn.Module) else None


@torch.no_grad()
@validated(function=func, images=non_empty_batch, batch_size=positive_int)
def apply_in_batches(
    function: Callable, images: torch.Tensor, batch_size: int = 512, module=None
) -> torch.Tensor | tuple[torch.Tensor, ...]:
    """``function`` applied to ``images`` batch by batch, without gradients,
    concatenated on the CPU; a function that returns a tuple (``vae.encode`` gives ``mu,
    logvar``) gives a tuple of concatenated tensors.

    The module behind ``function`` (the model itself, or the model of a method such as
    ``model.encode``) is put in eval mode meanwhile and tells which device the images go
    to; ``module`` names it for any other function.
    """
    module = module if module is not None else _module_of(function)
    device = _model_device(module) if module is not None else images.device
    outputs = []
    with eval_mode(module):
        for batch in batches(images, batch_size=batch_size):
            output = function(batch.to(device))
            outputs.append(
                tuple(part.cpu() for part in output)
                if isinstance(output, tuple)
                else output.cpu()
            )
    if isinstance(outputs[0], tuple):
        return tuple(torch.cat(parts) for parts in zip(*outputs, strict=True))
    return torch.cat(outputs)


SCHEDULES = (None, "onecycle", "cosine")


def _scheduler(optimizer: torch.optim.Optimizer, schedule: str | None, steps: int):
    """The learning-rate scheduler of ``schedule``, stepped once per batch, or None."""
    if schedule == "onecycle":
        max_lr = [group["lr"] for group in optimizer.param_groups]
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=max_lr, total_steps=steps
        )
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    return None


# fit's arguments, checked before it runs (the chapter prints fit without them)
FIT_RULES = dict(
    train_images=tensor("N x ... (the training images)", min_length=1),
    epochs=positive_int,
    batch_size=positive_int,
    lr=positive_number,
    schedule=one_of(*SCHEDULES),
)


@validated(**FIT_RULES)
def fit(
    model: torch.nn.Module,
    train_images: torch.Tensor,
    test_images: torch.Tensor | None = None,
    *,
    epochs: int,
    loss_fn: BatchLoss = reconstruction_loss,
    batch_size: int = 128,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    seed: int = 0,
    progress: bool = True,
    schedule: str | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_images``; return the history.

    The images are moved once to the model's device; each epoch visits them in a fresh
    order drawn from a generator seeded with ``seed``. The progress bar shows the last
    epoch's train and test loss; ``progress=False`` or the environment variable
    ``TQDM_DISABLE=1`` hides it. ``optimizer`` defaults to Adam with learning rate
    ``lr``.

    ``schedule`` changes the learning rate after every batch: ``"onecycle"`` warms up to
    ``lr`` and anneals to almost zero (Smith & Topin's one-cycle policy,
    ``torch.optim.lr_scheduler.OneCycleLR``), ``"cosine"`` decays from ``lr`` to zero
    along a half cosine; ``None`` keeps it constant.
    """
    device = _model_device(model)
    train_images = train_images.to(device)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    steps = epochs * -(-len(train_images) // batch_size)
    scheduler = _scheduler(optimizer, schedule, steps)
    history = History()
    bar = tqdm(range(epochs), desc="epochs", disable=not (progress and progress_bars()))
    for _ in bar:
        model.train()
        total = 0.0
        for batch in batches(
            train_images, batch_size=batch_size, shuffle=True, generator=generator
        ):
            loss = loss_fn(model, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.item() * len(batch)
        history.train_loss.append(total / len(train_images))
        postfix = {"train loss": f"{history.train_loss[-1]:.4g}"}
        if test_images is not None:
            history.test_loss.append(
                evaluate(model, test_images, loss_fn, batch_size=max(batch_size, 512))
            )
            postfix["test loss"] = f"{history.test_loss[-1]:.4g}"
        bar.set_postfix(postfix)
    model.eval()
    return history
