"""The ex-3.1 check passes a measured upsampler and fails wrong answers with a message that teaches."""

import pytest
import torch
from torch import nn

from course_utils.artifacts import artifact_strength
from course_utils.checks import CheckFailed
from course_utils.checks.checkerboard_artifacts import check_artifact_strength


def _bilinear():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(8, 8, 3, padding=1)
    )


@pytest.mark.parametrize(
    "build",
    [
        _bilinear,
        lambda: nn.ConvTranspose2d(8, 4, 2, stride=2),
        lambda: nn.Sequential(nn.Conv2d(8, 32, 3, padding=1), nn.PixelShuffle(2)),
        lambda: nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1),
    ],
)
def test_measured_upsamplers_pass(build, capsys):
    upsampler = build()
    check_artifact_strength(
        upsampler,
        artifact_strength(upsampler, in_channels=8, size=7),
        in_channels=8,
        size=7,
    )
    assert "ex-3.1 passed" in capsys.readouterr().out


def _fails(match, *args):
    with pytest.raises(CheckFailed, match=match) as info:
        check_artifact_strength(*args, in_channels=8, size=7)
    assert "Hint:" in str(info.value)


def test_wrong_answers_fail_with_a_hint():
    upsampler = _bilinear()
    right = artifact_strength(upsampler, in_channels=8, size=7)
    _fails("is 0.5", upsampler, 0.5)  # a made-up number
    _fails("is 0,", upsampler, 0.0)  # "no artifact" without measuring
    _fails("a number", upsampler, "0.01")
    _fails("a number", upsampler, float("nan"))
    _fails("torch.nn.Module", "bilinear", right)
    _fails("double the size", nn.Conv2d(8, 8, 3, padding=1), right)  # does not upsample
    _fails(
        "double the size", nn.ConvTranspose2d(8, 8, 3, stride=2), right
    )  # 15 x 15: off by one
    _fails(
        "fails on an input", nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1), right
    )  # wrong channels
    _fails(
        "not linear",
        nn.Sequential(nn.ConvTranspose2d(8, 8, 4, stride=2, padding=1), nn.ReLU()),
        right,
    )
    other = nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1)
    _fails(
        "artifact strength of `my_upsampler`", other, right
    )  # measured a different module
