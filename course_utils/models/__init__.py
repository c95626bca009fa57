"""Reusable autoencoder models; each module holds one family."""

from . import aae, conv, linear, upsampling

__all__ = ["aae", "conv", "linear", "upsampling"]
