"""Plumbing and reusable models for the course *Autoencoders in PyTorch*.

Notebooks import the package once and reach everything through it, so a reader always
sees where a name comes from::

    import course_utils as cu
    train = cu.data.load_mnist("train")
    history = cu.training.fit(model, train.images, epochs=5)

Each module holds one concept; this file lists them all. Three are left out on purpose:
the exercise checks (:mod:`course_utils.checks`, imported by name in their check cells),
the instructors' tools (:mod:`course_utils.teaching`, which need the ``instructor``
extra) and the argument checks that the modules use (:mod:`course_utils.validation`).

Importing the package imports every module, and with them torch, torchvision,
matplotlib, scipy and scikit-learn, once per kernel: the first three are what a
chapter's first cells import anyway; scipy and scikit-learn (for :mod:`anomaly` and
:mod:`baselines`) add about a second. tests/unit/test_package.py keeps the
instructors' tools out of it.
"""

from importlib.metadata import PackageNotFoundError, version

from . import (
    anomaly,
    arithmetic,
    artifacts,
    baselines,
    config,
    corruption,
    data,
    distances,
    losses,
    metrics,
    models,
    notebook,
    plotting,
    priors,
    regularisers,
    results,
    tables,
    training,
)

__all__ = [
    "anomaly",
    "arithmetic",
    "artifacts",
    "baselines",
    "config",
    "corruption",
    "data",
    "distances",
    "losses",
    "metrics",
    "models",
    "notebook",
    "plotting",
    "priors",
    "regularisers",
    "results",
    "tables",
    "training",
]

try:
    # the one version number is pyproject.toml's, as pip installed it
    __version__ = version("course_utils")
except PackageNotFoundError:  # a source folder on sys.path that pip never installed
    __version__ = "unknown"
