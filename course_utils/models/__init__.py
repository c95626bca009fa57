"""Reusable autoencoder models; each module holds one family."""

import importlib
import pkgutil

__all__ = sorted(module.name for module in pkgutil.iter_modules(__path__))


def __getattr__(name: str):
    """Import a model module on first use (``cu.models.conv``)."""
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
