"""The ex-3.1 check passes a measured upsampler, however it was measured correctly, and fails
wrong answers with a message that teaches."""

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.artifacts import artifact_strength, gain_map, nyquist_share
from course_utils.checks import CheckFailed
from course_utils.checks.checkerboard_artifacts import check_artifact_strength
from course_utils.models.upsampling import UPSAMPLERS, upsampler


def _bilinear(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(8, 8, 3, padding=1)
    )


def _with_batch_norm():
    torch.manual_seed(0)
    layer = nn.Sequential(
        nn.Upsample(scale_factor=2, mode="bilinear"),
        nn.Conv2d(8, 8, 3, padding=1),
        nn.BatchNorm2d(8),
    )
    layer.train()  # the student forgot eval(): the check must not call it non-linear
    return layer


@pytest.mark.parametrize(
    "build",
    [
        _bilinear,
        lambda: nn.ConvTranspose2d(8, 4, 2, stride=2),
        lambda: nn.Sequential(nn.Conv2d(8, 32, 3, padding=1), nn.PixelShuffle(2)),
        lambda: nn.Sequential(
            nn.Upsample(scale_factor=2, mode="bicubic"), nn.Conv2d(8, 8, 5, padding=2)
        ),
        _with_batch_norm,
        lambda: _bilinear().double(),  # another dtype
    ],
)
def test_measured_upsamplers_pass(build, capsys):
    upsampler_ = build()
    check_artifact_strength(
        upsampler_,
        artifact_strength(upsampler_, in_channels=8, size=7),
        in_channels=8,
        size=7,
    )
    assert "ex-3.1 passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "convert",
    [np.float32, np.float64, torch.tensor, lambda value: round(value, 8)],
)
def test_the_number_may_be_written_differently(convert, capsys):
    layer = _bilinear()
    check_artifact_strength(
        layer, convert(artifact_strength(layer, 8, 7)), in_channels=8, size=7
    )
    assert "ex-3.1 passed" in capsys.readouterr().out


def _fails(match, *args):
    with pytest.raises(CheckFailed, match=match) as info:
        check_artifact_strength(*args, in_channels=8, size=7)
    assert "Hint:" in str(info.value)


def test_wrong_answers_fail_with_a_hint():
    layer = _bilinear()
    right = artifact_strength(layer, in_channels=8, size=7)
    _fails("is 0.5", layer, 0.5)  # a made-up number
    _fails("is 0,", layer, 0.0)  # "no artifact" without measuring
    _fails("a number", layer, "0.01")
    _fails("a number", layer, float("nan"))
    _fails("a number", layer, True)
    _fails("a number", layer, [right])
    _fails("torch.nn.Module", "bilinear", right)
    _fails("double the size", nn.Conv2d(8, 8, 3, padding=1), right)  # no upsampling
    # 15 x 15: off by one
    _fails("double the size", nn.ConvTranspose2d(8, 8, 3, stride=2), right)
    # wrong number of channels
    _fails("fails on an input", nn.ConvTranspose2d(4, 4, 2, stride=2), right)
    _fails(
        "not linear",
        nn.Sequential(nn.ConvTranspose2d(8, 8, 2, stride=2), nn.ReLU()),
        right,
    )


def test_answers_for_another_layer_fail():
    layer = _bilinear()
    # the number of another module: the chapter's kernel-3 layer
    other = upsampler("ConvTranspose k3 s2", 8, 8)
    _fails("artifact strength of `my_upsampler`", layer, artifact_strength(other, 8, 7))
    # the same design built again, with other random weights
    twin = _bilinear(seed=1)
    _fails("this very module", layer, artifact_strength(twin, 8, 7))
    # measured at the wrong size
    _fails("at size 14", layer, artifact_strength(layer, 8, 14))
    # the chapter's old measure: the Nyquist share of the gain map
    old = nyquist_share(gain_map(layer, 8, 7)[2:-2, 2:-2])
    _fails("artifact strength of `my_upsampler`", layer, old)


@pytest.mark.parametrize("kind", list(UPSAMPLERS))
def test_the_chapters_own_upsamplers_are_not_an_answer(kind):
    layer = upsampler(kind, 8, 8)
    _fails("the chapter's own", layer, artifact_strength(layer, 8, 7))
