"""Chapter 5's answers as its tiny scale trains them, for the tests of its checks (in
tests/checks): a 4x model of digits, and a 2x colour model of smooth stand-in photos."""

from __future__ import annotations

import torch

from course_utils.config import seed_everything
from course_utils.corruption import RestorationLoss, downscale
from course_utils.models.conv import SuperResolution
from course_utils.training import fit


def train_4x(train, seed=0, schedule="onecycle", channels=8):
    """Trained as the chapter's tiny scale does: 400 digits, 20 epochs."""
    seed_everything(seed)
    model = SuperResolution(factor=4, channels=channels)
    fit(
        model,
        train.images[:400],
        epochs=20,
        lr=1e-2,
        batch_size=64,
        progress=False,
        schedule=schedule,
        loss_fn=RestorationLoss(lambda x, g: downscale(x, 4)),
    )
    return model


def smooth_photos(count, seed):
    """Stand-ins for CIFAR-10: smooth colour images (random 8 x 8 ones, upsampled)."""
    small = torch.rand(count, 3, 8, 8, generator=torch.Generator().manual_seed(seed))
    return torch.nn.functional.interpolate(small, size=32, mode="bilinear")


def train_colour_2x():
    """A 2x colour model trained on smooth photos: it beats nearest upsampling."""
    seed_everything(0)
    model = SuperResolution(factor=2, channels=4, image_channels=3)
    fit(
        model,
        smooth_photos(256, 1),
        epochs=20,
        lr=1e-2,
        batch_size=32,
        progress=False,
        schedule="onecycle",
        loss_fn=RestorationLoss(lambda x, g: downscale(x, 2)),
    )
    return model.eval()
