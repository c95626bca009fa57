"""Argument checks shared by the modules: bad input raises ValueError naming the argument."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable


def check_int(name: str, value, minimum: int = 1) -> None:
    """Raise ``ValueError`` unless ``value`` is an integer (not a bool) of at least ``minimum``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        kind = {1: "a positive integer", 0: "a non-negative integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
        raise ValueError(f"{name} must be {kind}, got {value!r}")


def positive_int(name: str, value) -> None:
    """A rule for :func:`validated`: a positive integer."""
    check_int(name, value)


def one_of(*choices):
    """A rule for :func:`validated`: one of ``choices``."""

    def rule(name: str, value) -> None:
        if value not in choices:
            raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")

    return rule


def power_of_two(name: str, value) -> None:
    """A rule for :func:`validated`: a positive integer power of 2 (1, 2, 4, ...)."""
    check_int(name, value)
    if value & (value - 1):
        raise ValueError(f"{name} must be a power of 2, got {value}")


def validated(**rules: Callable[[str, object], None]):
    """Check a function's named arguments before it runs: ``@validated(bottleneck=positive_int)``.

    Used on model constructors, so that the class a chapter prints reads like the lesson while
    bad arguments still raise ``ValueError`` naming the argument.
    """

    def decorate(function):
        signature = inspect.signature(function)
        unknown = set(rules) - set(signature.parameters)
        if unknown:
            raise TypeError(
                f"{function.__qualname__} has no argument {sorted(unknown)}"
            )

        @functools.wraps(function)
        def checked(*args, **kwargs):
            arguments = signature.bind(*args, **kwargs)
            arguments.apply_defaults()
            for name, rule in rules.items():
                rule(name, arguments.arguments[name])
            return function(*args, **kwargs)

        return checked

    return decorate
