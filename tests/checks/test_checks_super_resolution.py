"""The ex-5.1 and ex-5.2 checks pass real answers, fail wrong ones with a hint, and ex-5.2 skips
only when CIFAR-10 really cannot be loaded."""

import pytest
import torch
from helpers.super_resolution import smooth_photos, train_4x, train_colour_2x

import course_utils.checks.super_resolution as super_resolution
from course_utils.baselines import upsample
from course_utils.checks import CheckFailed
from course_utils.checks.super_resolution import (
    check_cifar_super_resolution,
    check_super_resolution_4x,
)
from course_utils.config import seed_everything
from course_utils.corruption import downscale
from course_utils.data import DataUnavailable, ImageSet, load_mnist
from course_utils.metrics import psnr
from course_utils.models.conv import SuperResolution
from course_utils.training import apply_in_batches

pytestmark = pytest.mark.usefixtures("offline")  # the judge draws test digits too


@pytest.fixture(scope="module")
def data(offline):
    return load_mnist("train", limit=1000), load_mnist("test", limit=100)


@pytest.fixture(scope="module")
def answer_4x(data):
    train, test = data
    model = train_4x(train)
    noise_in = torch.rand(5, 1, 7, 7, generator=torch.Generator().manual_seed(0))
    return (
        model,
        apply_in_batches(model, downscale(test.images, 4)),
        noise_in,
        apply_in_batches(model, noise_in),
    )


def _fails(check, match, *args):
    with pytest.raises(CheckFailed, match=match) as info:
        check(*args)
    assert "Hint:" in str(info.value)


def test_a_trained_4x_model_passes(data, answer_4x, capsys):
    _, test = data
    check_super_resolution_4x(*answer_4x, test.images)
    assert "ex-5.1 passed" in capsys.readouterr().out


def test_wrong_4x_answers_fail_with_a_hint(data, answer_4x):
    _, test = data
    model, sr, noise_in, noise_out = answer_4x
    check = check_super_resolution_4x
    wrong = [  # what the check should say, and the wrong sr, noise_in and noise_out
        ("shape", downscale(test.images, 4), noise_in, noise_out),
        ("not what your model", torch.full_like(sr, 0.13), noise_in, noise_out),
        (
            "not what your model",
            upsample(downscale(test.images, 4), 4),
            noise_in,
            noise_out,
        ),
        # the right outputs in the wrong order
        ("not what your model", sr.flip(0), noise_in, noise_out),
        ("noise", sr, torch.full_like(noise_in, 0.5), noise_out),
        ("noise_out", sr, noise_in, torch.zeros_like(noise_out)),
    ]
    for match, outputs, noise, noise_outputs in wrong:
        _fails(check, match, model, outputs, noise, noise_outputs, test.images)


@pytest.mark.parametrize("scale", ["tiny", "book"])
def test_an_untrained_4x_model_fails_at_every_scale(data, monkeypatch, scale):
    _, test = data
    monkeypatch.setenv("COURSE_SCALE", scale)
    seed_everything(0)
    untrained = SuperResolution(factor=4, channels=8)
    noise_in = torch.rand(3, 1, 7, 7)
    sr = apply_in_batches(untrained, downscale(test.images, 4))
    _fails(
        check_super_resolution_4x,
        "bicubic",
        untrained,
        sr,
        noise_in,
        apply_in_batches(untrained, noise_in),
        test.images,
    )


@pytest.fixture
def photos(monkeypatch):
    """Six test photos; the check loads them as CIFAR-10's test set."""
    test = smooth_photos(6, 0)
    monkeypatch.setattr(
        super_resolution,
        "load_cifar10",
        lambda split, limit=None: ImageSet(
            test[:limit], torch.zeros(len(test[:limit]))
        ),
    )
    return test


@pytest.fixture(scope="module")
def cifar_model():
    """A 2x colour model trained on other smooth photos: it beats nearest upsampling."""
    return train_colour_2x()


def cifar_answer(model, clean):
    small = downscale(clean, 2)
    sr = apply_in_batches(model, small)
    return {
        "clean": clean,
        "sr": sr,
        "psnr_sr": psnr(sr, clean),
        "psnr_bicubic": psnr(upsample(small, 2), clean),
    }


def test_cifar_answers(photos, cifar_model, capsys):
    model = cifar_model
    right = cifar_answer(model, photos)
    check_cifar_super_resolution(model, right)
    assert "ex-5.2 passed" in capsys.readouterr().out
    bicubic = upsample(downscale(photos, 2), 2)
    _fails(
        check_cifar_super_resolution,
        "not what your model",
        model,
        {**right, "sr": bicubic},
    )
    _fails(
        check_cifar_super_resolution,
        "psnr_bicubic",
        model,
        {**right, "psnr_bicubic": right["psnr_sr"]},
    )
    _fails(check_cifar_super_resolution, "keys", model, {"clean": photos})


def test_an_untrained_cifar_model_fails(photos):
    seed_everything(3)
    fresh = SuperResolution(factor=2, channels=4, image_channels=3).eval()
    _fails(
        check_cifar_super_resolution, "untrained", fresh, cifar_answer(fresh, photos)
    )


def test_cifar_none_is_skipped_only_when_unavailable(photos, monkeypatch, capsys):
    def unavailable(*args, **kwargs):
        raise DataUnavailable(
            "CIFAR-10 could not be downloaded (no network) and has no offline copy"
        )

    _fails(check_cifar_super_resolution, "can be loaded", None, None)
    monkeypatch.setattr(super_resolution, "load_cifar10", unavailable)
    check_cifar_super_resolution(None, None)
    assert (
        "⚠ ex-5.2 skipped: CIFAR-10 could not be downloaded" in capsys.readouterr().out
    )


def test_an_interpolation_is_not_a_model(data, answer_4x):
    _, test = data
    _, _, noise_in, _ = answer_4x
    small = downscale(test.images, 4)
    for mode in ("bicubic", "bilinear", "nearest"):
        extra = {} if mode == "nearest" else {"align_corners": False}
        fixed = torch.nn.Upsample(scale_factor=4, mode=mode, **extra)
        _fails(
            check_super_resolution_4x,
            "nothing to train",
            fixed,
            apply_in_batches(fixed, small),
            noise_in,
            apply_in_batches(fixed, noise_in),
            test.images,
        )
    # a trainable model whose outputs were replaced by the bicubic baseline
    model, _, noise_in, noise_out = answer_4x
    _fails(
        check_super_resolution_4x,
        "not what your model|plain bicubic",
        model,
        upsample(small, 4),
        noise_in,
        noise_out,
        test.images,
    )


def test_digits_are_not_noise(data, answer_4x):
    train, test = data
    model, sr, _, _ = answer_4x
    for _kind, fake_noise in {
        "test digits": downscale(test.images[:10], 4),
        "train digits": downscale(train.images[:10], 4),
        "Gaussian noise": torch.randn(10, 1, 7, 7, generator=torch.Generator()),
        "smooth blobs": torch.nn.functional.interpolate(
            torch.rand(10, 1, 2, 2, generator=torch.Generator().manual_seed(0)),
            size=7,
            mode="bilinear",
        ),
    }.items():
        _fails(
            check_super_resolution_4x,
            "uniform noise",
            model,
            sr,
            fake_noise,
            apply_in_batches(model, fake_noise),
            test.images,
        )


def test_right_4x_answers_written_differently_pass(data, answer_4x, capsys):
    _, test = data
    model, sr, _, _ = answer_4x
    # noise from another seed and another count, outputs computed without apply_in_batches
    noise_in = torch.rand(3, 1, 7, 7, generator=torch.Generator().manual_seed(42))
    with torch.no_grad():
        noise_out = model.eval()(noise_in)
    check_super_resolution_4x(model, sr.double(), noise_in, noise_out, test.images)
    # another seed, a constant learning rate, more channels
    train, _ = data
    other = train_4x(train, seed=1, schedule=None, channels=12).eval()
    small = downscale(test.images, 4)
    check_super_resolution_4x(
        other, other(small).detach(), noise_in, other(noise_in).detach(), test.images
    )
    assert capsys.readouterr().out.count("ex-5.1 passed") == 2


def test_more_cifar_wrong_answers(photos, cifar_model):
    model = cifar_model
    right = cifar_answer(model, photos)
    # grey images instead of colour ones
    grey = photos.mean(dim=1, keepdim=True)
    _fails(check_cifar_super_resolution, "shape", model, {**right, "clean": grey})
    # the PSNR reported as a mean squared error
    mse = float(((right["sr"] - photos) ** 2).mean())
    _fails(check_cifar_super_resolution, "psnr_sr", model, {**right, "psnr_sr": mse})
    # the model applied to the full-size images
    _fails(
        check_cifar_super_resolution,
        "shape|not what your model",
        model,
        {**right, "sr": apply_in_batches(model, photos)},
    )
