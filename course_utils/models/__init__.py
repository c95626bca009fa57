"""Reusable autoencoder models; each module holds one family."""

import importlib

__all__ = ["conv", "linear", "upsampling"]


def __getattr__(name: str):
    """Import a model module on first use (``cu.models.conv``)."""
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
