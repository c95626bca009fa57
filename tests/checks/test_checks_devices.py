"""Every check, and the artifact code, on a model that lives on "another device" (see
another_device.py): a correct answer must still pass, so no check converts to float64 before
moving to the CPU (which crashes on Apple's MPS)."""

from __future__ import annotations

import pytest
import torch
from helpers.another_device import NO_FLOAT64, OnAnotherDevice
from helpers.super_resolution import smooth_photos, train_4x, train_colour_2x
from torch import nn

from course_utils.artifacts import artifact_strength
from course_utils.baselines import median_filter, upsample
from course_utils.checks.checkerboard_artifacts import check_artifact_strength
from course_utils.checks.linear_autoencoder import check_latent_2d
from course_utils.checks.super_resolution import (
    check_cifar_super_resolution,
    check_super_resolution_4x,
)
from course_utils.corruption import RestorationLoss, downscale, salt_and_pepper
from course_utils.data import load_mnist
from course_utils.metrics import psnr
from course_utils.models.conv import ConvAutoencoder
from course_utils.models.linear import LinearAutoencoder
from course_utils.training import apply_in_batches, fit

pytestmark = pytest.mark.usefixtures("offline")  # the judges draw test digits too


@pytest.fixture(scope="module")
def data(offline):
    return load_mnist("train", limit=600), load_mnist("test", limit=200)


def test_the_stand_in_catches_float64_before_the_cpu():
    wrapped = OnAnotherDevice(nn.Conv2d(1, 1, 3))
    with pytest.raises(TypeError, match="float64"):
        wrapped(torch.ones(1, 1, 4, 4)).double()
    with pytest.raises(TypeError, match="float64"):
        wrapped.double()
    assert wrapped(torch.ones(1, 1, 4, 4)).cpu().double().dtype == torch.float64
    assert NO_FLOAT64


def test_ex_3_1_on_another_device(capsys):
    torch.manual_seed(0)
    layer = OnAnotherDevice(nn.ConvTranspose2d(8, 8, 2, stride=2))
    check_artifact_strength(
        layer, artifact_strength(layer, 8, 7), in_channels=8, size=7
    )
    assert "ex-3.1 passed" in capsys.readouterr().out


def test_ex_1_1_on_another_device(data, capsys):
    train, test = data
    torch.manual_seed(0)
    model = LinearAutoencoder(bottleneck=2)
    fit(model, train.images, epochs=60, batch_size=64, lr=1e-2, progress=False)
    wrapped = OnAnotherDevice(model)
    codes = apply_in_batches(wrapped.encode, test.images, module=wrapped)
    check_latent_2d(wrapped, codes, test.images, test.labels)
    assert "ex-1.1 passed" in capsys.readouterr().out


def test_ex_4_1_on_another_device(monkeypatch, capsys):
    import course_utils.checks.denoising as denoising
    from course_utils.data import ImageSet

    clothes = torch.zeros(20, 1, 28, 28)
    clothes[:, :, 6:22, 8:20] = torch.rand(
        20, 1, 16, 12, generator=torch.Generator().manual_seed(0)
    )
    clothes = (clothes * 255).round() / 255
    monkeypatch.setattr(
        denoising, "load_fashion_mnist", lambda *a, **k: ImageSet(clothes, None)
    )
    monkeypatch.setattr(
        denoising,
        "load_mnist",
        lambda *a, **k: ImageSet(torch.ones(1, 1, 28, 28), None),
    )
    torch.manual_seed(0)
    model = ConvAutoencoder(latent=4, channels=(4, 8))
    fit(  # a denoiser of the (stand-in) digits: it beats its untrained copy
        model,
        torch.ones(8, 1, 28, 28),
        epochs=30,
        batch_size=8,
        lr=1e-2,
        loss_fn=RestorationLoss(lambda x, g: salt_and_pepper(x, 0.2, generator=g)),
        progress=False,
    )
    denoiser = OnAnotherDevice(model.eval())
    noisy = salt_and_pepper(clothes, 0.2, generator=torch.Generator().manual_seed(0))
    denoised = apply_in_batches(denoiser, noisy)
    results = {
        "clean": clothes,
        "noisy": noisy,
        "denoised": denoised,
        "psnr_noisy": psnr(noisy, clothes),
        "psnr_median": psnr(median_filter(noisy), clothes),
        "psnr_denoised": psnr(denoised, clothes),
    }
    denoising.check_fashion_denoising(denoiser, results)
    assert "ex-4.1 passed" in capsys.readouterr().out


def test_ex_5_on_another_device(data, monkeypatch, capsys):
    import course_utils.checks.super_resolution as super_resolution
    from course_utils.data import ImageSet

    train, test = data
    wrapped = OnAnotherDevice(train_4x(train))
    noise_in = torch.rand(4, 1, 7, 7, generator=torch.Generator().manual_seed(0))
    check_super_resolution_4x(
        wrapped,
        apply_in_batches(wrapped, downscale(test.images, 4)),
        noise_in,
        apply_in_batches(wrapped, noise_in),
        test.images,
    )

    photos = smooth_photos(4, 0)
    monkeypatch.setattr(
        super_resolution, "load_cifar10", lambda *a, **k: ImageSet(photos, None)
    )
    colour = OnAnotherDevice(train_colour_2x())
    sr = apply_in_batches(colour, downscale(photos, 2))
    check_cifar_super_resolution(
        colour,
        {
            "clean": photos,
            "sr": sr,
            "psnr_sr": psnr(sr, photos),
            "psnr_bicubic": psnr(upsample(downscale(photos, 2), 2), photos),
        },
    )
    out = capsys.readouterr().out
    assert "ex-5.1 passed" in out and "ex-5.2 passed" in out
