"""Plumbing and reusable models for the course *Autoencoders in PyTorch*.

Notebooks import the package once and reach everything through it, so a reader always
sees where a name comes from::

    import course_utils as cu
    train = cu.data.load_mnist("train")
    history = cu.training.fit(model, train.images, epochs=5)

Each module holds one concept. The instructors' tools (student copies, the grader) live in
:mod:`course_utils.teaching` and are not imported here.
"""

from . import (
    arithmetic,
    artifacts,
    baselines,
    config,
    corruption,
    data,
    metrics,
    models,
    notebook,
    plotting,
    results,
    tables,
    training,
)

__all__ = [
    "arithmetic",
    "artifacts",
    "baselines",
    "config",
    "corruption",
    "data",
    "metrics",
    "models",
    "notebook",
    "plotting",
    "results",
    "tables",
    "training",
]
__version__ = "0.1.0"
