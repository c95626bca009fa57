import matplotlib.pyplot as plt
import pytest
import torch

from course_utils.plotting import (
    plot_latent_2d,
    plot_losses,
    show_images,
    show_reconstructions,
    show_rows,
)
from course_utils.training import History


def test_show_images_draws_one_grid():
    assert show_images(torch.rand(12, 1, 28, 28), nrow=6, title="grid") is None
    ax = plt.gca()
    (image,) = ax.get_images()
    # make_grid: 2 rows and 6 columns of 28-pixel images with 2-pixel padding around each
    assert image.get_array().shape[:2] == (2 * 30 + 2, 6 * 30 + 2)
    plt.close("all")


def test_show_rows_labels_each_row():
    # nothing returned: a returned figure would be drawn twice at the end of a notebook cell
    assert (
        show_rows(
            {"noisy": torch.rand(5, 1, 28, 28), "clean": torch.rand(5, 1, 28, 28)}, n=5
        )
        is None
    )
    assert [ax.get_ylabel() for ax in plt.gcf().axes] == ["noisy", "clean"]
    show_reconstructions(torch.rand(3, 1, 8, 8), torch.rand(3, 1, 8, 8))
    assert [ax.get_ylabel() for ax in plt.gcf().axes] == ["original", "reconstruction"]
    plt.close("all")


def test_plot_losses_draws_train_and_test():
    plot_losses({"a": History([3, 2, 1], [4, 3, 2]), "b": History([2, 1], [])})
    ax = plt.gca()
    assert len(ax.get_lines()) == 3
    plt.close("all")


def test_plot_latent_2d_one_colour_per_class():
    plot_latent_2d(torch.randn(30, 2), torch.arange(30) % 3)
    ax = plt.gca()
    assert len(ax.collections) == 3
    plt.close("all")


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="codes"):
        plot_latent_2d(torch.randn(30, 3), torch.zeros(30))
    with pytest.raises(ValueError, match="images"):
        show_images(torch.rand(28, 28))


def test_plot_losses_marks_a_single_epoch():
    plot_losses(History([0.3], [0.4]), title="one epoch")
    assert [line.get_marker() for line in plt.gca().get_lines()] == ["o", "o"]
    plot_losses(History([0.3, 0.2], [0.4, 0.3]), title="two epochs")
    assert {line.get_marker() for line in plt.gca().get_lines()} == {"None"}
    plt.close("all")
