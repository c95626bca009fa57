"""Plumbing and reusable models for the course *Autoencoders in PyTorch*.

Notebooks import the package once and reach everything through it, so a reader always
sees where a name comes from::

    import course_utils as cu
    train = cu.data.load_mnist("train")
    history = cu.training.fit(model, train.images, epochs=5)

Each module holds one concept. The instructors' tools (student copies, the grader) live in
:mod:`course_utils.teaching` and are not imported here.
"""

import importlib
import pkgutil

# Every module of the package is reachable as ``cu.<module>``, except the exercise checks
# (imported by name in their check cells) and the instructors' tools.
_NOT_IN_NAMESPACE = {"checks", "grade", "teaching", "validation"}
__all__ = sorted(
    module.name
    for module in pkgutil.iter_modules(__path__)
    if module.name not in _NOT_IN_NAMESPACE
)


def __getattr__(name: str):
    """Import a submodule on first use (``cu.data``), so ``import course_utils`` stays quick."""
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


__version__ = "0.1.0"
