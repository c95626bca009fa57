"""Reusable autoencoder models; each module holds one family."""

from . import conv, linear, upsampling, vae

__all__ = ["conv", "linear", "upsampling", "vae"]
