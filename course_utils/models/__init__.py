"""Reusable autoencoder models; each module holds one family."""

from . import conv, linear, more_autoencoders, upsampling

__all__ = ["conv", "linear", "more_autoencoders", "upsampling"]
