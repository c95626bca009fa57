"""The chapter-1 model, and the fact the chapter rests on: a linear autoencoder recovers PCA."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from course_utils.config import seed_everything
from course_utils.data import load_mnist
from course_utils.models.linear import LinearAutoencoder
from course_utils.training import evaluate, fit


def test_shapes_and_output_range():
    model = LinearAutoencoder(bottleneck=5)
    images = torch.rand(4, 1, 28, 28)
    assert model.encode(images).shape == (4, 5)
    assert model.encode(images.flatten(start_dim=1)).shape == (4, 5)
    output = model(images).detach()
    assert (
        output.shape == (4, 1, 28, 28)
        and 0 <= float(output.min())
        and float(output.max()) <= 1
    )


def test_linear_output_is_affine():
    model = LinearAutoencoder(bottleneck=3, output="linear")
    a, b = torch.rand(2, 1, 28, 28), torch.rand(2, 1, 28, 28)
    zero = model(torch.zeros(2, 1, 28, 28))
    assert torch.allclose(
        model(a + b) - zero, (model(a) - zero) + (model(b) - zero), atol=1e-5
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"bottleneck": 0}, {"bottleneck": 2.0}, {"bottleneck": 2, "output": "tanh"}],
)
def test_bad_arguments(kwargs):
    with pytest.raises(
        ValueError,
        match=next(iter(k for k in kwargs if k != "bottleneck"), "bottleneck"),
    ):
        LinearAutoencoder(**kwargs)


def test_trained_linear_autoencoder_reaches_pca_error(monkeypatch):
    """Baldi & Hornik (1989): the optimum is PCA's subspace. Checked against scikit-learn's PCA."""
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    train = load_mnist("train", limit=1000).images
    k = 8
    flat = train.flatten(start_dim=1).numpy()
    pca = PCA(n_components=k).fit(flat)
    pca_mse = float(((pca.inverse_transform(pca.transform(flat)) - flat) ** 2).mean())
    seed_everything(0)
    model = LinearAutoencoder(bottleneck=k, output="linear")
    fit(model, train, epochs=60, batch_size=100, lr=1e-2, progress=False)
    ae_mse = evaluate(model, train)
    # on the training set PCA is optimal, so the autoencoder can only come close from above
    assert pca_mse * 0.999 <= ae_mse < pca_mse * 1.03
    decoder_basis, _ = np.linalg.qr(model.decoder.weight.detach().double().numpy())
    cosines = np.linalg.svd(decoder_basis.T @ pca.components_.T, compute_uv=False)
    # the same subspace: the squared cosines of the principal angles average close to 1
    assert (cosines**2).mean() > 0.95
