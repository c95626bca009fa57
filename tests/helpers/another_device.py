"""A device-agnostic stand-in for a GPU without float64 (Apple's MPS), for tests on a CPU.

``OnAnotherDevice(layer)`` behaves like ``layer`` but "lives on another device": its outputs
(``ReportsAnotherDevice`` tensors) refuse to become float64 until moved to the CPU, and so does
the module itself (``.double()`` or ``.to(torch.float64)`` before ``.cpu()`` raises). Code that
converts to float64 first and moves to the CPU second, which crashes on MPS, fails here too.
"""

from __future__ import annotations

import torch
from torch import nn

NO_FLOAT64 = "this device does not support float64 (as on MPS)"


class ReportsAnotherDevice(torch.Tensor):
    """A CPU tensor that acts as if it lived on a device without float64."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.Tensor.cpu:
            return args[0].as_subclass(torch.Tensor).clone()
        wants_double = func is torch.Tensor.double or (
            func is torch.Tensor.to
            and torch.float64 in (*args[1:], kwargs.get("dtype"))
        )
        if wants_double:
            raise TypeError(NO_FLOAT64)
        return super().__torch_function__(func, types, args, kwargs)


class OnAnotherDevice(nn.Module):
    """Wraps a layer or model so that it and its outputs act as if on another device."""

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.layer = layer
        self.on_cpu = False

    def cpu(self):
        self.on_cpu = True
        return super().cpu()

    def double(self):
        if not self.on_cpu:
            raise TypeError(NO_FLOAT64)
        return super().double()

    def to(self, *args, **kwargs):
        if torch.float64 in (*args, kwargs.get("dtype")) and not self.on_cpu:
            raise TypeError(NO_FLOAT64)
        return super().to(*args, **kwargs)

    def _mark(self, output):
        if isinstance(output, torch.Tensor) and not self.on_cpu:
            return output.as_subclass(ReportsAnotherDevice)
        return output

    def forward(self, x):
        return self._mark(self.layer(x))

    def encode(self, x):
        return self._mark(self.layer.encode(x))

    def decode(self, z):
        return self._mark(self.layer.decode(z))
