"""Checks for chapter 9, regularised autoencoders.

- ex-9.1: the contractive penalty of a sigmoid layer in closed form. The judge draws a
  layer (weights *and* biases) and images whose codes spread over all of (0, 1); the
  notebook hands over the student's penalty on them and its gradients with respect to
  the layer's weight and bias; the judge recomputes the penalty from the full Jacobian
  and the gradients from the closed form, so a right value with no gradient
  (``.detach()``) or a forgotten bias fails.
- ex-9.2: the KL sparsity penalty. The judge draws codes in (0, 1) whose units have
  average activations from almost 0 to almost 1, and a target; the notebook hands over
  the penalty and its gradient with respect to the codes; the judge recomputes both.
"""

from __future__ import annotations

import torch

from ..models.more_autoencoders import OneLayerAutoencoder
from . import expect, expect_tensor
from .protocol import check

PIXELS = 28 * 28
CP_EX, KL_EX = "ex-9.1", "ex-9.2"


# ---------------------------------------------------------------- ex-9.1: contractive
def draw_sigmoid_layer(generator: torch.Generator) -> dict[str, torch.Tensor]:
    """A sigmoid layer ``hidden x 784`` and images for which its codes cover (0, 1).

    Weights of a freshly initialised layer give codes between about 0.3 and 0.6, where
    leaving out the bias or the slope's square changes the value little; larger weights
    and biases from -4 to 4 put codes near 0, near 1 and in between.
    """
    hidden, count = 7, 6
    weight = torch.randn(hidden, PIXELS, generator=generator) * 0.12
    bias = torch.linspace(-4.0, 4.0, hidden)[
        torch.randperm(hidden, generator=generator)
    ]
    images = torch.rand(count, 1, 28, 28, generator=generator)
    return {"weight": weight, "bias": bias, "images": images}


def _codes(inputs) -> torch.Tensor:
    return torch.sigmoid(
        inputs["images"].flatten(1) @ inputs["weight"].T + inputs["bias"]
    )


def _penalty_from_jacobian(inputs) -> torch.Tensor:
    """‖∂h/∂x‖²_F per image from the full Jacobian (``torch.func.jacrev``): independent
    of the closed form."""
    weight, bias = inputs["weight"].double(), inputs["bias"].double()

    def code(pixels):
        return torch.sigmoid(weight @ pixels + bias)

    pixels = inputs["images"].flatten(1).double()
    jacobians = torch.func.vmap(torch.func.jacrev(code))(pixels)
    return jacobians.pow(2).sum(dim=(1, 2))


def _closed_form_gradients(inputs) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of the summed penalty with respect to the weight and the bias."""
    weight = inputs["weight"].double().requires_grad_()
    bias = inputs["bias"].double().requires_grad_()
    h = torch.sigmoid(inputs["images"].flatten(1).double() @ weight.T + bias)
    penalty = ((h * (1 - h)).pow(2) * weight.pow(2).sum(dim=1)).sum()
    return torch.autograd.grad(penalty, (weight, bias))


# mistakes a student is likely to make, each recomputed from the inputs: (name, value)
def _contractive_mistakes(inputs) -> dict[str, torch.Tensor]:
    w = inputs["weight"]
    z = inputs["images"].flatten(1) @ w.T + inputs["bias"]
    h, rows = torch.sigmoid(z), w.pow(2).sum(dim=1)
    h_no_bias = torch.sigmoid(z - inputs["bias"])
    return {
        "the slope h(1 - h) is not squared": (h * (1 - h) * rows).sum(1),
        "the weights' squares are missing": (h * (1 - h)).pow(2).sum(1),
        "the slope is taken at the pre-activation z, not at the code h = sigmoid(z)": (
            (z * (1 - z)).pow(2) * rows
        ).sum(1),
        "the code units are averaged instead of summed": (
            (h * (1 - h)).pow(2) * rows
        ).mean(1),
        "the codes leave out the layer's bias b": (
            (h_no_bias * (1 - h_no_bias)).pow(2) * rows
        ).sum(1),
    }


def judge_contractive_penalty(answer, inputs) -> str:
    count, hidden = len(inputs["images"]), len(inputs["weight"])
    got = expect_tensor(answer.get("penalty"), CP_EX, "the penalty", shape=(count,))
    expected = _penalty_from_jacobian(inputs).float()
    if not torch.allclose(got, expected, rtol=1e-3, atol=1e-7):
        diagnosis = next(
            (
                mistake
                for mistake, wrong in _contractive_mistakes(inputs).items()
                if torch.allclose(got, wrong, rtol=1e-3, atol=1e-7)
            ),
            None,
        )
        expect(
            False,
            CP_EX,
            f"for a layer with {hidden} units and codes spread over (0, 1), the first "
            f"image's penalty is {float(got[0]):.6g}, but the squared norm of the "
            f"encoder's Jacobian is {float(expected[0]):.6g}"
            + (f": {diagnosis}." if diagnosis else "."),
            "∂h_j/∂x_i = h_j (1 - h_j) W_ji with h = sigmoid(W x + b), so "
            "‖J‖²_F = Σ_j (h_j (1 - h_j))² Σ_i W_ji² (rows of W are code units).",
        )
    grad_weight = expect_tensor(
        answer.get("grad_weight"), CP_EX, "the gradient", shape=(hidden, PIXELS)
    )
    grad_bias = expect_tensor(answer.get("grad_bias"), CP_EX, "the gradient", (hidden,))
    want_weight, want_bias = (g.float() for g in _closed_form_gradients(inputs))
    expect(
        bool(answer.get("differentiable", False))
        and torch.allclose(grad_weight, want_weight, rtol=1e-3, atol=1e-6)
        and torch.allclose(grad_bias, want_bias, rtol=1e-3, atol=1e-6),
        CP_EX,
        "the penalty has the right values, but its gradient with respect to the "
        "layer's weight and bias is "
        + (
            "missing: training could not minimise it."
            if not bool(answer.get("differentiable", False))
            else "wrong (largest error "
            f"{float((grad_weight - want_weight).abs().max()):.3g})."
        ),
        "compute it with torch operations on `model.encode(images)` and "
        "`model.encoder[1].weight`, without `.detach()`, `.item()`, NumPy or "
        "`torch.no_grad()`.",
    )
    zero_gap = float(expected.abs().max())
    return (
        "your penalty equals the squared Frobenius norm of the encoder's Jacobian "
        f"(torch.func.jacrev) for {count} images through a layer of {hidden} units "
        f"with codes from {float(_codes(inputs).min()):.2f} to "
        f"{float(_codes(inputs).max()):.2f} (values up to {zero_gap:.3g}), one value "
        "per image, and its gradients with respect to the weight and bias are right: "
        "training can minimise it."
    )


@check(CP_EX, judge=judge_contractive_penalty, draw_inputs=draw_sigmoid_layer)
def check_contractive_penalty(my_contractive_penalty, *, inputs):
    """ex-9.1: ``my_contractive_penalty(model, images)`` is ‖∂h/∂x‖²_F for each image,
    for a ``OneLayerAutoencoder(hidden, "sigmoid")``. Hands over its values on the
    judge's layer and images, and its gradients with respect to the layer's weight and
    bias."""
    expect(
        callable(my_contractive_penalty),
        CP_EX,
        "`my_contractive_penalty` should be a function of (model, images), but it is "
        f"{type(my_contractive_penalty).__name__}.",
        "define it with `def my_contractive_penalty(model, images):`.",
    )
    hidden, count = inputs["weight"].shape[0], len(inputs["images"])
    model = OneLayerAutoencoder(hidden, "sigmoid")
    layer = model.encoder[1]
    with torch.no_grad():
        layer.weight.copy_(inputs["weight"])
        layer.bias.copy_(inputs["bias"])
    try:
        got = my_contractive_penalty(model, inputs["images"].clone())
    except Exception as error:  # the student's error becomes a lesson
        expect(
            False,
            CP_EX,
            f"`my_contractive_penalty` fails: {type(error).__name__}: {error}",
            "the code is `model.encode(images)` (N x hidden), the weight "
            "`model.encoder[1].weight` (hidden x 784).",
        )
    expect(
        isinstance(got, torch.Tensor) and got.shape == (count,),
        CP_EX,
        f"for {count} images it should return one value per image (a tensor of shape "
        f"({count},)), but it returns "
        f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}.",
        "sum over the code units, not over the images; do not average the batch.",
    )
    differentiable = got.requires_grad
    if differentiable:
        grads = torch.autograd.grad(
            got.sum(), (layer.weight, layer.bias), allow_unused=True
        )
        grads = [
            torch.zeros_like(p) if g is None else g
            for g, p in zip(grads, layer.parameters())
        ]
    else:
        grads = [torch.zeros_like(layer.weight), torch.zeros_like(layer.bias)]
    return {
        "penalty": got.detach().float(),
        "grad_weight": grads[0].detach(),
        "grad_bias": grads[1].detach(),
        "differentiable": torch.tensor(differentiable),
    }


# ---------------------------------------------------------------- ex-9.2: KL sparsity
def draw_codes(generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Sigmoid codes (N x d) whose units' average activations range from about 0.02 to
    0.9, and a target average activation."""
    count, hidden = 40, 9
    centres = torch.linspace(-4.0, 2.5, hidden)
    logits = centres + 1.5 * torch.randn(count, hidden, generator=generator)
    target = 0.02 + 0.1 * torch.rand((), generator=generator)
    return {"codes": torch.sigmoid(logits), "target": target}


def _kl(codes: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Σ_j KL(ρ ‖ ρ̂_j) for Bernoulli distributions, ρ̂_j the batch mean of unit j."""
    rho, rho_hat = target.double(), codes.double().mean(dim=0)
    return (
        rho * torch.log(rho / rho_hat)
        + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
    ).sum()


def _kl_gradient(codes: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """∂/∂h_nj of the penalty, in closed form: (1/N)((1 - ρ)/(1 - ρ̂_j) - ρ/ρ̂_j)."""
    rho, rho_hat = target.double(), codes.double().mean(dim=0)
    per_unit = (1 - rho) / (1 - rho_hat) - rho / rho_hat
    return (per_unit / len(codes)).expand(codes.shape)


def _kl_mistakes(codes, target) -> dict[str, torch.Tensor]:
    rho, rho_hat = target.double(), codes.double().mean(dim=0)
    h = codes.double()
    swapped = rho_hat * torch.log(rho_hat / rho) + (1 - rho_hat) * torch.log(
        (1 - rho_hat) / (1 - rho)
    )
    per_image = rho * torch.log(rho / h) + (1 - rho) * torch.log((1 - rho) / (1 - h))
    return {
        "the two distributions are swapped: KL(ρ̂ ‖ ρ) instead of KL(ρ ‖ ρ̂)": (
            swapped.sum()
        ),
        "the second term, for a unit being off, (1 - ρ) log((1 - ρ)/(1 - ρ̂)), is "
        "missing": (rho * torch.log(rho / rho_hat)).sum(),
        "the units are averaged instead of summed": (
            rho * torch.log(rho / rho_hat)
            + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
        ).mean(),
        (
            "the KL is taken per image and averaged, not on the batch's average "
            "activation"
        ): per_image.sum(dim=1).mean(),
    }


def judge_kl_sparsity(answer, inputs) -> str:
    codes, target = inputs["codes"], inputs["target"]
    got = expect_tensor(answer.get("penalty"), KL_EX, "the penalty", shape=())
    expected = _kl(codes, target)
    if not torch.isclose(got.double(), expected, rtol=1e-4, atol=1e-6):
        diagnosis = next(
            (
                mistake
                for mistake, wrong in _kl_mistakes(codes, target).items()
                if torch.isclose(got.double(), wrong, rtol=1e-4, atol=1e-6)
            ),
            None,
        )
        expect(
            False,
            KL_EX,
            f"for {len(codes)} codes of {codes.shape[1]} units and ρ = "
            f"{float(target):.3f} the penalty is {float(got):.6g}, but Σ_j KL(ρ ‖ "
            "ρ̂_j) is "
            f"{float(expected):.6g}" + (f": {diagnosis}." if diagnosis else "."),
            "ρ̂_j = codes[:, j].mean() over the batch; KL(ρ ‖ ρ̂) = ρ log(ρ/ρ̂) + "
            "(1 - ρ) log((1 - ρ)/(1 - ρ̂)); sum it over the units.",
        )
    gradient = expect_tensor(
        answer.get("grad_codes"), KL_EX, "the gradient", shape=tuple(codes.shape)
    )
    wanted = _kl_gradient(codes, target).float()
    expect(
        bool(answer.get("differentiable", False))
        and torch.allclose(gradient, wanted, rtol=1e-3, atol=1e-6),
        KL_EX,
        "the penalty has the right value, but its gradient with respect to the codes "
        "is "
        + (
            "missing: training could not minimise it."
            if not bool(answer.get("differentiable", False))
            else "wrong."
        ),
        "compute it with torch operations on `codes`, without `.detach()`, `.item()`, "
        "NumPy or `torch.no_grad()`.",
    )
    rho_hat = codes.mean(dim=0)
    return (
        f"Σ_j KL(ρ ‖ ρ̂_j) = {float(expected):.4f} for ρ = {float(target):.3f} and "
        f"average activations ρ̂ from {float(rho_hat.min()):.2f} to "
        f"{float(rho_hat.max()):.2f} (0 when every unit is on average at the target), "
        "and its gradient with respect to each code value is right."
    )


@check(KL_EX, judge=judge_kl_sparsity, draw_inputs=draw_codes)
def check_kl_sparsity(my_kl_sparsity, *, inputs):
    """ex-9.2: ``my_kl_sparsity(codes, target)`` is Σ_j KL(ρ ‖ ρ̂_j) for a batch of
    sigmoid codes. Hands over its value on the judge's codes and its gradient with
    respect to them."""
    expect(
        callable(my_kl_sparsity),
        KL_EX,
        "`my_kl_sparsity` should be a function of (codes, target), but it is "
        f"{type(my_kl_sparsity).__name__}.",
        "define it with `def my_kl_sparsity(codes, target):`.",
    )
    codes = inputs["codes"].clone().requires_grad_()
    try:
        got = my_kl_sparsity(codes, float(inputs["target"]))
    except Exception as error:  # the student's error becomes a lesson
        expect(
            False,
            KL_EX,
            f"`my_kl_sparsity` fails: {type(error).__name__}: {error}",
            "`codes` is a tensor N x units with values in (0, 1), `target` a number.",
        )
    expect(
        isinstance(got, torch.Tensor) and got.numel() == 1,
        KL_EX,
        "it should return one number for the batch (a tensor with one element), but it "
        "returns "
        f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}.",
        "average the codes over the batch first, then sum the KL over the units.",
    )
    got = got.reshape(())
    differentiable = got.requires_grad
    gradient = (
        torch.autograd.grad(got, codes, allow_unused=True)[0]
        if differentiable
        else None
    )
    return {
        "penalty": got.detach().float(),
        "grad_codes": torch.zeros_like(codes)
        if gradient is None
        else gradient.detach(),
        "differentiable": torch.tensor(differentiable),
    }
