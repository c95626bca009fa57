"""The course's one way of checking arguments: rules, declared with :func:`validated`.

A *rule* is a function ``rule(name, value)`` that raises ``ValueError`` naming the
argument, what was expected and what came: ``lr must be a positive number, got 0``.
:func:`validated` applies rules to a function's arguments before it runs, so that the
function a chapter prints holds the lesson and at most one decorator line:

    @validated(epochs=positive_int, lr=positive_number)
    def fit(model, images, *, epochs, lr=1e-3): ...

A *relation* checks several arguments together (:func:`same_shape`, :func:`requires`)
and is passed to :func:`validated` by position. Where a value comes from outside any
call (an environment variable, a file, what a model returned), the code that reads it
applies a rule to it directly, ``one_of(*SCALES)("COURSE_SCALE", value)``, or
:func:`reject`. No other module raises ``ValueError`` for bad input (a test holds the
package to it).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Mapping

import torch

Rule = Callable[[str, object], None]
Relation = Callable[[Mapping[str, object]], None]


def describe(value) -> str:
    """How a message shows the value it got: a tensor by its shape, others by repr."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def reject(name: str, expected: str, value) -> None:
    """Raise the course's ``ValueError``: ``{name} must be {expected}, got {value}``."""
    raise ValueError(f"{name} must be {expected}, got {describe(value)}")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def integer(minimum: int = 1, *, maximum: float = math.inf, even: bool = False) -> Rule:
    """A rule: an integer (no bool) from ``minimum`` to ``maximum``, even if asked."""
    kind = {1: "a positive integer", 0: "a non-negative integer"}.get(
        minimum, f"an integer >= {minimum}"
    )
    if maximum < math.inf:
        kind = f"an integer from {minimum} to {maximum}"
    if even:
        kind = f"an even {kind.split(' ', 1)[1]}"

    def rule(name: str, value) -> None:
        if (
            not _is_int(value)
            or not minimum <= value <= maximum
            or (even and value % 2)
        ):
            reject(name, kind, value)

    return rule


positive_int = integer(1)
non_negative_int = integer(0)


def power_of_two(name: str, value) -> None:
    """A rule: a positive integer power of 2 (1, 2, 4, ...)."""
    positive_int(name, value)
    if value & (value - 1):
        reject(name, "a power of 2", value)


def number(
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
    kind: str | None = None,
) -> Rule:
    """A rule: a real number (not a bool, not NaN) between ``low`` and ``high``."""
    if kind is None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        kind = f"a number in {left}{low:g}, {high:g}{right}"

    def rule(name: str, value) -> None:
        inside = _is_number(value) and (
            (low < value if low_open else low <= value)
            and (value < high if high_open else value <= high)
        )
        if not inside:
            reject(name, kind, value)

    return rule


positive_number = number(0, low_open=True, kind="a positive number")
non_negative_number = number(0, kind="a non-negative number")
fraction = number(0, 1, kind="a fraction in [0, 1]")
open_fraction = number(0, 1, low_open=True, high_open=True, kind="a fraction in (0, 1)")


def one_of(*choices) -> Rule:
    """A rule: one of ``choices``."""

    def rule(name: str, value) -> None:
        if value not in choices:
            reject(name, f"one of {list(choices)}", value)

    return rule


def optional(inner: Rule) -> Rule:
    """A rule: ``None``, or a value that passes ``inner``."""

    def rule(name: str, value) -> None:
        if value is not None:
            inner(name, value)

    return rule


def pair(inner: Rule, kind: str = "a pair of positive integers") -> Rule:
    """A rule: a tuple or list of two values, each passing ``inner``."""

    def rule(name: str, value) -> None:
        if not isinstance(value, tuple | list) or len(value) != 2:
            reject(name, kind, value)
        for item in value:
            inner(name, item)

    return rule


_sizes = pair(positive_int, "a positive integer or a pair (height, width) of them")


def size_or_pair(name: str, value) -> None:
    """A rule: a positive integer, or a pair (height, width) of them."""
    if _is_int(value):
        positive_int(name, value)
    else:
        _sizes(name, value)


def tensor(
    shape: str = "",
    *,
    ndim: int | None = None,
    min_ndim: int = 0,
    max_ndim: int = 99,
    min_length: int = 0,
    within: tuple[float, float] | None = None,
) -> Rule:
    """A rule: a tensor; ``shape`` says in words what the dimensions mean (``"N x d"``).

    ``ndim`` fixes the number of dimensions (else ``min_ndim`` to ``max_ndim``),
    ``min_length`` the least size of the first one; ``within=(0, 1)`` bounds the values.
    """
    kind = f"a tensor {shape}".rstrip()
    if min_length > 1:
        kind += f" with N >= {min_length}"
    elif min_length == 1:
        kind = f"a non-empty tensor {shape}".rstrip()
    if within is not None:
        kind += f" in [{within[0]:g}, {within[1]:g}]"
    low, high = (ndim, ndim) if ndim is not None else (min_ndim, max_ndim)

    def rule(name: str, value) -> None:
        fits = (
            isinstance(value, torch.Tensor)
            and low <= value.ndim <= high
            and (value.ndim == 0 or len(value) >= min_length)
            and (min_length == 0 or value.ndim > 0)
        )
        if fits and within is not None and value.numel():
            fits = within[0] <= value.min() and value.max() <= within[1]
        if not fits:
            reject(name, kind, value)

    return rule


image_batch = tensor("N x C x H x W (a batch of images)", ndim=4)
non_empty_batch = tensor("N x ... (one row per item)", min_ndim=2, min_length=1)
code_matrix = tensor("N x d (one code per row)", ndim=2)
# a sample of points to fit to or compare, at least two so that they have a spread
sample = tensor("N x d", ndim=2, min_length=2)
grey_levels = tensor("of grey levels", within=(0, 1))


def satisfies(predicate: Callable[[object], bool], kind: str) -> Rule:
    """A rule: ``predicate(value)`` is true; ``kind`` says in words what that means."""

    def rule(name: str, value) -> None:
        if not predicate(value):
            reject(name, kind, value)

    return rule


module = satisfies(
    lambda value: isinstance(value, torch.nn.Module), "a torch.nn.Module"
)
func = satisfies(callable, "a function")
non_empty = satisfies(
    lambda value: hasattr(value, "__len__") and len(value) > 0, "a non-empty sequence"
)
non_empty_text = satisfies(
    lambda value: isinstance(value, str) and bool(value.strip()), "a non-empty string"
)


def requires(condition: Callable[..., bool], message: str) -> Relation:
    """A relation: ``condition(**arguments)`` must hold; else ``ValueError(message)``,
    the message formatted with the arguments (``"flagged must be at most {total}"``)."""

    def relation(arguments: Mapping[str, object]) -> None:
        if not condition(**arguments):
            raise ValueError(message.format(**arguments))

    return relation


def same_shape(first: str, second: str) -> Relation:
    """A relation: arguments ``first`` and ``second`` are tensors of one shape."""

    def relation(arguments: Mapping[str, object]) -> None:
        a, b = (getattr(arguments[key], "shape", None) for key in (first, second))
        if a is None or a != b:
            raise ValueError(
                f"{first} and {second} must have the same shape, got "
                f"{describe(arguments[first])} and {describe(arguments[second])}"
            )

    return relation


def same_length(first: str, second: str) -> Relation:
    """A relation: ``second`` has one entry per entry of ``first``."""

    def relation(arguments: Mapping[str, object]) -> None:
        a, b = arguments[first], arguments[second]
        if len(a) != len(b):
            raise ValueError(
                f"{second} must have one entry per entry of {first} ({len(a)}), "
                f"got {len(b)}"
            )

    return relation


def validated(*relations: Relation, **rules: Rule):
    """Check a function's arguments before it runs: ``@validated(latent=positive_int)``.

    Each keyword names an argument and its rule; each positional relation sees all the
    arguments (by name, defaults filled in) once every rule has passed.
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
            values = arguments.arguments
            for name, rule in rules.items():
                rule(name, values[name])
            for relation in relations:
                relation(values)
            return function(*args, **kwargs)

        return checked

    return decorate
