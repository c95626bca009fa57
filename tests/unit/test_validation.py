import re

import pytest
import torch

from course_utils.validation import (
    integer,
    non_empty,
    number,
    one_of,
    optional,
    pair,
    power_of_two,
    reject,
    requires,
    same_length,
    same_shape,
    satisfies,
    size_or_pair,
    tensor,
    validated,
)


@pytest.mark.parametrize("value, minimum", [(1, 1), (0, 0), (7, 3)])
def test_accepts_integers_at_or_above_the_minimum(value, minimum):
    integer(minimum)("x", value)


@pytest.mark.parametrize(
    "value, minimum, message",
    [
        (0, 1, "x must be a positive integer, got 0"),
        (-1, 0, "x must be a non-negative integer, got -1"),
        (2, 3, "x must be an integer >= 3, got 2"),
        (True, 1, "x must be a positive integer, got True"),
        (2.0, 1, "x must be a positive integer, got 2.0"),
        ("3", 1, "x must be a positive integer, got '3'"),
    ],
)
def test_rejects_with_a_message_naming_the_argument(value, minimum, message):
    with pytest.raises(ValueError) as info:
        integer(minimum)("x", value)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "rule, good, bad, message",
    [
        (integer(0, even=True), 4, 3, "x must be an even non-negative integer, got 3"),
        (integer(0, maximum=9), 9, 10, "x must be an integer from 0 to 9, got 10"),
        (power_of_two, 8, 6, "x must be a power of 2, got 6"),
        (number(0, 1), 1.0, 1.5, "x must be a number in [0, 1], got 1.5"),
        (number(0, 1, high_open=True), 0.0, 1, "x must be a number in [0, 1), got 1"),
        (number(0, 1), 0.5, float("nan"), "x must be a number in [0, 1], got nan"),
        (number(0, 1), 0.5, True, "x must be a number in [0, 1], got True"),
        (one_of("a", "b"), "a", "c", "x must be one of ['a', 'b'], got 'c'"),
        (optional(integer(1)), None, 0, "x must be a positive integer, got 0"),
        (pair(integer(1)), (1, 2), (1,), "x must be a pair of positive integers"),
        (pair(integer(1)), [3, 4], (1, 0), "x must be a positive integer, got 0"),
        (size_or_pair, 5, (5, 5, 5), "x must be a positive integer or a pair"),
        (size_or_pair, (5, 6), 0, "x must be a positive integer, got 0"),
        (non_empty, [1], [], "x must be a non-empty sequence, got []"),
        (satisfies(callable, "a function"), len, 3, "x must be a function, got 3"),
    ],
)
def test_rules_accept_good_values_and_name_the_argument(rule, good, bad, message):
    rule("x", good)
    with pytest.raises(ValueError, match=re.escape(message)):
        rule("x", bad)


def test_a_tensor_rule_says_the_shape_it_wanted_and_the_one_it_got():
    rule = tensor("N x d", ndim=2, min_length=2)
    rule("codes", torch.zeros(2, 3))
    for bad in (torch.zeros(1, 3), torch.zeros(3), [[0.0, 1.0], [1.0, 0.0]]):
        with pytest.raises(
            ValueError, match="codes must be a tensor N x d with N >= 2"
        ):
            rule("codes", bad)
    with pytest.raises(ValueError, match=r"got a tensor of shape \(3,\)"):
        rule("codes", torch.zeros(3))
    grey = tensor("of grey levels", within=(0, 1))
    grey("images", torch.rand(4, 4))
    with pytest.raises(ValueError, match=r"images must be a tensor of grey levels"):
        grey("images", torch.full((2, 2), 2.0))


def test_validated_checks_named_arguments_and_defaults_before_the_call():
    calls = []

    @validated(n=integer(1), mode=one_of("a", "b"))
    def f(n, mode="c"):
        calls.append(n)

    with pytest.raises(ValueError, match="mode must be one of"):
        f(1)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        f(0, mode="a")
    f(2, mode="b")
    assert calls == [2]


def test_relations_see_all_arguments_once_the_rules_have_passed():
    @validated(
        same_shape("a", "b"),
        requires(lambda a, k, **_: len(a) >= k, "k must be at most len(a), got {k}"),
        k=integer(1),
    )
    def f(a, b, k=1):
        return k

    assert f(torch.zeros(2), torch.ones(2), k=2) == 2
    with pytest.raises(ValueError, match="a and b must have the same shape"):
        f(torch.zeros(2), torch.zeros(3))
    with pytest.raises(ValueError, match="k must be at most len"):
        f(torch.zeros(2), torch.zeros(2), k=3)
    # the rule on k runs first, so the relation never sees a bad k
    with pytest.raises(ValueError, match="k must be a positive integer"):
        f(torch.zeros(2), torch.zeros(2), k=0)


def test_same_length_names_the_second_argument():
    @validated(same_length("scores", "labels"))
    def f(scores, labels):
        return None

    with pytest.raises(ValueError, match=r"labels must have one entry per entry of"):
        f([1, 2], [1])


def test_validated_refuses_rules_for_arguments_the_function_lacks():
    with pytest.raises(TypeError, match="no argument"):

        @validated(missing=integer(1))
        def f(n):
            return n


def test_reject_is_the_message_for_values_read_outside_a_call():
    with pytest.raises(
        ValueError, match="COURSE_SCALE must be one of the scales, got 'x'"
    ):
        reject("COURSE_SCALE", "one of the scales", "x")


def test_the_decorated_function_keeps_its_name_signature_and_source():
    import inspect

    @validated(n=integer(1))
    def square(n: int) -> int:
        """n squared."""
        return n * n

    assert square.__name__ == "square" and square.__doc__ == "n squared."
    assert list(inspect.signature(square).parameters) == ["n"]
    assert "return n * n" in inspect.getsource(square)
