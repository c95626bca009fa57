"""The ex-2.1 check passes the right paddings and fails wrong ones with a message that teaches."""

import numpy as np
import pytest
import torch

from course_utils.checks import CheckFailed
from course_utils.checks.conv_arithmetic import (
    check_mirror_decoder,
    exercise_decoder,
    exercise_encoder,
)

RIGHT = ([1, 2, 2], [0, 1, 1])


def test_the_right_paddings_pass(capsys):
    check_mirror_decoder(*RIGHT)
    assert "ex-2.1 passed" in capsys.readouterr().out
    assert exercise_encoder()(torch.zeros(1, 1, 28, 28)).shape == (1, 32, 4, 4)
    assert exercise_decoder(*RIGHT)(torch.zeros(1, 32, 4, 4)).shape == (1, 1, 28, 28)


@pytest.mark.parametrize(
    "padding, output_padding, match",
    [
        ([0, 0, 0], [0, 0, 0], "layer 1"),  # a constant answer
        ([1, 2, 2], [0, 0, 0], "layer 2"),  # forgets output_padding
        ([1, 2, 2], [1, 1, 1], "layer 1"),  # output_padding everywhere
        ([1, 1, 1], [0, 1, 1], "layer 2"),  # the padding of the 3 x 3 layers everywhere
        ([1, 2, 2], [0, 1, 2], "refused"),  # output_padding not smaller than the stride
        ([1, 2], [0, 1], "list of 3"),
        ([1, 2, 2.0], [0, 1, 1], "list of 3"),
        ("1, 2, 2", [0, 1, 1], "list of 3"),
        ([1, -2, 2], [0, 1, 1], "negative"),
    ],
)
def test_wrong_paddings_fail_with_a_hint(padding, output_padding, match):
    with pytest.raises(CheckFailed, match=match) as info:
        check_mirror_decoder(padding, output_padding)
    assert "Hint:" in str(info.value)


@pytest.mark.parametrize(
    "padding, output_padding",
    [
        ([np.int64(1), np.int64(2), np.int64(2)], [np.int32(0), np.int32(1), 1]),
        (np.array([1, 2, 2]), np.array([0, 1, 1])),
        (torch.tensor([1, 2, 2]), torch.tensor([0, 1, 1])),
        ((1, 2, 2), (0, 1, 1)),
        ([torch.tensor(1), 2, 2], [0, 1, 1]),
    ],
    ids=["numpy scalars", "numpy arrays", "tensors", "tuples", "0-d tensor"],
)
def test_right_paddings_written_differently_pass(padding, output_padding, capsys):
    check_mirror_decoder(padding, output_padding)
    assert "ex-2.1 passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "padding, output_padding, match",
    [
        ([2, 2, 1], [1, 1, 0], "layer 1"),  # the encoder's order, not reversed
        ([0, 1, 1], [1, 2, 2], "refused"),  # the two lists swapped
        # output_padding forgotten in layer 2: the padding is right, output_padding is not
        (
            [1, 2, 2],
            [0, 0, 1],
            r"padding \(2\) is right here; the output_padding \(0\)",
        ),
        # the encoder's paddings, right output paddings: the padding is to blame
        ([2, 2, 1], [0, 1, 1], "change the padding"),
        (np.array([1.0, 2.0, 2.0]), [0, 1, 1], "list of 3"),  # floats, even whole ones
        ([True, 2, 2], [0, 1, 1], "list of 3"),  # a bool is no padding
        (np.array([[1, 2, 2]]), [0, 1, 1], "list of 3"),  # a 2-D array
        ([1, 2, 2], [0, 1, 1, 0], "list of 3"),
    ],
)
def test_more_wrong_paddings_fail_with_a_hint(padding, output_padding, match):
    with pytest.raises(CheckFailed, match=match) as info:
        check_mirror_decoder(padding, output_padding)
    assert "Hint:" in str(info.value)


def test_the_judge_alone_reads_tensors_only():
    answer = check_mirror_decoder.hand_over(*RIGHT, inputs={})
    assert set(answer) == {"decoder_padding", "decoder_output_padding"}
    assert all(v.dtype == torch.int64 for v in answer.values())
    assert "backwards" in check_mirror_decoder.judge(answer, {})
    floats = {k: v.float() for k, v in answer.items()}
    with pytest.raises(CheckFailed, match="list of 3"):
        check_mirror_decoder.judge(floats, {})
