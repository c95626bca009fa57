"""Checks for chapter 9, more autoencoders: ex-9.1, the contractive penalty in closed form."""

from __future__ import annotations

import torch

from ..models.more_autoencoders import OneLayerAutoencoder
from . import expect, passed

# mistakes a student is likely to make, each with the hint that fixes it
_MISTAKES = {
    "the slope h(1 - h) is not squared": lambda h, w, z: (
        (h * (1 - h)) * w.pow(2).sum(1)
    ).sum(1),
    "the weights' squares are missing": lambda h, w, z: (h * (1 - h)).pow(2).sum(1),
    "the slope is taken at the pre-activation z, not at the code h = sigmoid(z)": (
        lambda h, w, z: ((z * (1 - z)).pow(2) * w.pow(2).sum(1)).sum(1)
    ),
    "the code units are averaged instead of summed": lambda h, w, z: (
        (h * (1 - h)).pow(2) * w.pow(2).sum(1)
    ).mean(1),
}


def _true_penalty(model, images) -> torch.Tensor:
    """‖J‖²_F per image from the full Jacobian (torch.autograd.functional.jacobian)."""
    return torch.stack(
        [
            torch.autograd.functional.jacobian(model.encode, image[None]).pow(2).sum()
            for image in images
        ]
    ).detach()


def check_contractive_penalty(my_contractive_penalty) -> None:
    """ex-9.1: ``my_contractive_penalty(model, images)`` is ‖∂h/∂x‖²_F for each image, for a
    ``OneLayerAutoencoder(hidden, "sigmoid")``, computed in closed form and differentiable."""
    ex = "ex-9.1"
    expect(
        callable(my_contractive_penalty),
        ex,
        "`my_contractive_penalty` should be a function of (model, images), but it is "
        f"{type(my_contractive_penalty).__name__}.",
        "define it with `def my_contractive_penalty(model, images):`.",
    )
    generator = torch.Generator().manual_seed(0)
    for hidden, count in ((5, 3), (12, 4)):
        torch.manual_seed(hidden)
        model = OneLayerAutoencoder(hidden, "sigmoid")
        images = torch.rand(count, 1, 28, 28, generator=generator)
        try:
            got = my_contractive_penalty(model, images)
        except Exception as error:  # the student's error becomes a lesson
            expect(
                False,
                ex,
                f"`my_contractive_penalty` fails: {type(error).__name__}: {error}",
                "the code is `model.encode(images)` (N x hidden), the weight "
                "`model.encoder[1].weight` (hidden x 784).",
            )
        expect(
            isinstance(got, torch.Tensor) and got.shape == (count,),
            ex,
            f"for {count} images it should return one value per image (a tensor of "
            f"shape ({count},)), but it returns "
            f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}.",
            "sum over the code units, not over the images; do not average the batch.",
        )
        expected = _true_penalty(model, images)
        if not torch.allclose(got.detach().float(), expected, rtol=1e-3, atol=1e-7):
            with torch.no_grad():
                z = model.encoder[1](images.flatten(1))
                h, w = torch.sigmoid(z), model.encoder[1].weight
                diagnosis = next(
                    (
                        mistake
                        for mistake, wrong in _MISTAKES.items()
                        if torch.allclose(
                            got.detach().float(), wrong(h, w, z), rtol=1e-3
                        )
                    ),
                    None,
                )
            expect(
                False,
                ex,
                f"for the first image it gives {float(got.detach()[0]):.6g}, but the squared norm "
                f"of the encoder's Jacobian is {float(expected[0]):.6g}"
                + (f": {diagnosis}." if diagnosis else "."),
                "∂h_j/∂x_i = h_j (1 - h_j) W_ji, so ‖J‖²_F = Σ_j (h_j (1 - h_j))² Σ_i W_ji²"
                " (rows of W are code units).",
            )
        expect(
            got.requires_grad,
            ex,
            "the penalty is right but not differentiable: training could not minimise it.",
            "compute it with torch operations on `model.encode(images)` and the weight, "
            "without `.detach()`, `.item()`, NumPy or `torch.no_grad()`.",
        )
    passed(
        ex,
        "your closed form equals the squared Frobenius norm of the encoder's Jacobian "
        "(torch.autograd.functional.jacobian) for two models, one value per image, and "
        "can be minimised.",
    )
