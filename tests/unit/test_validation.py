import pytest

from course_utils.validation import check_int


@pytest.mark.parametrize("value, minimum", [(1, 1), (0, 0), (7, 3)])
def test_accepts_integers_at_or_above_the_minimum(value, minimum):
    check_int("x", value, minimum)


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
        check_int("x", value, minimum)
    assert str(info.value) == message
