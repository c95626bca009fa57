"""The ex-7.1 check passes adversarial autoencoders matched to the uniform square, however
the sampler is written, and fails wrong priors, wrong codes and wrong models with a hint."""

import pytest
import torch

from course_utils.checks import CheckFailed
from course_utils.checks.adversarial_autoencoder import check_square_prior
from course_utils.config import seed_everything
from course_utils.data import load_mnist
from course_utils.models.aae import AdversarialAutoencoder, train_aae
from course_utils.training import apply_in_batches, fit

EPOCHS = 8  # the chapter's tiny scale


def solution_sampler(n):
    return 4 * torch.rand(n, 2) - 2


def uniform_distribution_sampler(n):  # a correct answer written differently
    return torch.distributions.Uniform(-2.0, 2.0).sample((n, 2))


def in_place_sampler(n):  # another one
    return torch.empty(n, 2).uniform_(-2, 2)


@pytest.fixture(scope="module")
def data():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_OFFLINE", "1")  # the bundled sample: no download attempt
        return load_mnist("train", limit=1000), load_mnist("test", limit=300)


def codes_of(model, images):
    return apply_in_batches(model.encode, images, module=model)


@pytest.fixture(scope="module")
def plain(data):
    train, _ = data
    seed_everything(0)
    model = AdversarialAutoencoder()
    fit(model, train.images, epochs=EPOCHS, batch_size=100, progress=False)
    return model


@pytest.fixture(scope="module")
def square(data):
    train, test = data
    seed_everything(0)
    model = AdversarialAutoencoder()
    train_aae(model, train.images, solution_sampler, epochs=EPOCHS, progress=False)
    return model, codes_of(model, test.images)


def _fails(match, *args):
    with pytest.raises(CheckFailed, match=match) as info:
        check_square_prior(*args)
    assert "Hint:" in str(info.value)


def test_the_solution_passes(data, plain, square, capsys):
    _, test = data
    check_square_prior(solution_sampler, *square, test.images, plain)
    assert "ex-7.1 passed" in capsys.readouterr().out


@pytest.mark.parametrize("sampler", [uniform_distribution_sampler, in_place_sampler])
def test_samplers_written_differently_pass(sampler, data, plain, square, capsys):
    _, test = data
    check_square_prior(sampler, *square, test.images, plain)
    assert "ex-7.1 passed" in capsys.readouterr().out


def test_a_model_trained_differently_passes(data, plain, capsys):
    train, test = data
    seed_everything(3)
    model = AdversarialAutoencoder(hidden=128).to(torch.device("cpu"))
    train_aae(
        model,
        train.images,
        uniform_distribution_sampler,
        epochs=10,
        batch_size=64,
        seed=3,
        progress=False,
    )
    codes = codes_of(model, test.images)
    check_square_prior(uniform_distribution_sampler, model, codes, test.images, plain)
    assert "ex-7.1 passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "sampler, match",
    [
        (lambda n: torch.randn(n, 2), "outside the square"),  # a Gaussian
        (lambda n: (torch.randn(n, 2) * 1.15).clamp(-2, 2), "not uniform"),
        (lambda n: torch.rand(n, 2) * 2 - 1, "not uniform"),  # the unit square
        (lambda n: torch.rand(n, 2) * 3.6 - 1.8, "not uniform"),  # 10 % too small
        (lambda n: torch.rand(n, 2) * 4, "outside the square"),  # [0, 4]²
        (lambda n: (4 * torch.rand(n, 1) - 2).repeat(1, 2), "do not fill"),
        (lambda n: 4 * torch.rand(n) - 2, "shape"),
        (lambda n: (4 * torch.rand(n, 2) - 2).tolist(), "torch.Tensor"),
        (torch.zeros(10, 2), "function"),
    ],
)
def test_wrong_priors_fail(sampler, match, data, plain, square):
    _, test = data
    _fails(match, sampler, *square, test.images, plain)


def test_codes_not_from_the_model_fail(data, plain, square):
    _, test = data
    model, codes = square
    torch.manual_seed(0)
    prior_samples = solution_sampler(len(test.images))
    _fails("not the codes", solution_sampler, model, prior_samples, test.images, plain)
    shuffled = codes[torch.randperm(len(codes))]
    _fails("not the codes", solution_sampler, model, shuffled, test.images, plain)
    _fails("shape", solution_sampler, model, codes[:10], test.images, plain)


def test_a_plain_autoencoder_passed_off_as_the_aae_fails(data, plain):
    _, test = data
    codes = codes_of(plain, test.images)
    _fails("not much closer", solution_sampler, plain, codes, test.images, plain)


def test_an_untrained_model_fails(data, plain):
    _, test = data
    seed_everything(1)
    model = AdversarialAutoencoder()
    codes = codes_of(model, test.images)
    _fails("no autoencoder yet", solution_sampler, model, codes, test.images, plain)


def test_a_model_without_encode_fails(data, plain, square):
    _, test = data
    identity = torch.nn.Identity()
    _fails("encode", solution_sampler, identity, square[1], test.images, plain)


def test_the_check_leaves_the_random_state_alone(data, plain, square):
    _, test = data
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    check_square_prior(solution_sampler, *square, test.images, plain)
    assert torch.equal(torch.rand(3), expected)
