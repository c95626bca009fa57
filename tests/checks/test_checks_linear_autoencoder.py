"""The ex-1.1 check passes a real answer and fails wrong ones with a message that teaches."""

import pytest
import torch

from course_utils.checks import CheckFailed
from course_utils.checks.linear_autoencoder import check_latent_2d
from course_utils.config import seed_everything
from course_utils.data import load_mnist
from course_utils.models.linear import LinearAutoencoder
from course_utils.training import apply_in_batches, fit

pytestmark = pytest.mark.usefixtures("offline")  # the judge loads test digits too


@pytest.fixture(scope="module")
def data(offline):
    return load_mnist("train", limit=1000), load_mnist("test", limit=300)


@pytest.fixture(scope="module")
def trained(data):
    train, test = data
    seed_everything(0)
    model = LinearAutoencoder(bottleneck=2)
    fit(model, train.images, epochs=40, batch_size=64, lr=1e-2, progress=False)
    return model, apply_in_batches(model.encode, test.images, module=model)


def test_a_trained_model_passes(data, trained, capsys):
    _, test = data
    check_latent_2d(*trained, test.images, test.labels)
    assert "ex-1.1 passed" in capsys.readouterr().out


def _fails(match, *args):
    with pytest.raises(CheckFailed, match=match) as info:
        check_latent_2d(*args)
    assert "Hint:" in str(info.value)


def test_wrong_answers_fail_with_a_hint(data, trained):
    _, test = data
    model, codes = trained
    _fails("shape", model, codes[:10], test.images, test.labels)
    _fails("torch.Tensor", model, codes.tolist(), test.images, test.labels)
    _fails("NaN", model, codes * float("nan"), test.images, test.labels)
    _fails("not the codes", model, torch.zeros_like(codes), test.images, test.labels)
    _fails(
        "not the codes",
        model,
        codes[torch.randperm(len(codes))],
        test.images,
        test.labels,
    )


def test_an_untrained_model_fails(data):
    _, test = data
    seed_everything(1)
    untrained = LinearAutoencoder(bottleneck=2)
    codes = apply_in_batches(untrained.encode, test.images, module=untrained)
    _fails("covers", untrained, codes, test.images, test.labels)


def test_a_model_trained_too_briefly_or_without_lr_fails(data):
    train, test = data
    for epochs, lr in ((5, 1e-2), (40, 1e-4)):  # a few epochs; a tiny learning rate
        seed_everything(0)
        model = LinearAutoencoder(bottleneck=2)
        fit(model, train.images, epochs=epochs, batch_size=64, lr=lr, progress=False)
        codes = apply_in_batches(model.encode, test.images, module=model)
        _fails("lr=LR", model, codes, test.images, test.labels)


def test_a_forward_that_returns_its_input_fails(data, trained):
    _, test = data
    model, codes = trained

    class Shortcut(LinearAutoencoder):
        def forward(self, x):
            return x

    shortcut = Shortcut(bottleneck=2)
    shortcut.load_state_dict(model.state_dict())
    _fails("forward pass", shortcut, codes, test.images, test.labels)


def test_a_model_without_encode_fails(data, trained):
    _, test = data
    _fails("encode", torch.nn.Identity(), trained[1], test.images, test.labels)


def test_the_judge_alone_fails_codes_that_do_not_separate_digits(data, trained):
    # the judge sees tensors only: codes with no information about the digit fail
    model, _ = trained
    inputs = check_latent_2d.inputs(torch.Generator().manual_seed(3))
    answer = check_latent_2d.hand_over(
        model, trained[1], data[1].images, data[1].labels, inputs=inputs
    )
    check_latent_2d.judge(answer, inputs)  # the real answer passes
    noise = torch.randn(
        answer["codes"].shape, generator=torch.Generator().manual_seed(0)
    )
    with pytest.raises(CheckFailed, match="guessing"):
        check_latent_2d.judge({**answer, "codes": noise}, inputs)


def test_more_wrong_answers_fail_with_a_hint(data, trained):
    from sklearn.decomposition import PCA

    train, test = data
    model, codes = trained
    # PCA's projection handed in as the model's codes
    pca = PCA(n_components=2).fit(train.images.flatten(1).numpy())
    pca_codes = torch.from_numpy(pca.transform(test.images.flatten(1).numpy())).float()
    _fails("not the codes", model, pca_codes, test.images, test.labels)
    # the codes of the training images instead of the test images
    train_codes = apply_in_batches(model.encode, train.images, module=model)
    _fails("shape", model, train_codes, test.images, test.labels)
    # the codes of another model (trained from another seed)
    seed_everything(1)
    other = LinearAutoencoder(bottleneck=2)
    fit(other, train.images, epochs=5, batch_size=64, lr=1e-2, progress=False)
    other_codes = apply_in_batches(other.encode, test.images, module=other)
    _fails("not the codes", model, other_codes, test.images, test.labels)
    # a 3-D code
    seed_everything(0)
    three = LinearAutoencoder(bottleneck=3)
    _fails(
        "shape",
        three,
        apply_in_batches(three.encode, test.images, module=three),
        test.images,
        test.labels,
    )


def test_right_answers_written_differently_pass(data, trained, capsys):
    _, test = data
    model, _ = trained
    with torch.no_grad():
        direct = model.encode(test.images)  # no apply_in_batches
    check_latent_2d(model, direct.double(), test.images, test.labels)
    flat = model.encoder(test.images.flatten(start_dim=1)).detach()
    check_latent_2d(model, flat, test.images, test.labels)
    assert capsys.readouterr().out.count("ex-1.1 passed") == 2


def test_a_hand_written_model_and_loop_pass(data, capsys):
    """Another right answer: the student's own module and training loop (Adam in a plain
    loop, batches of 50), not the course's class and fit."""
    train, test = data

    class Mine(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = torch.nn.Linear(784, 2)
            self.dec = torch.nn.Linear(2, 784)

        def encode(self, x):
            return self.enc(x.flatten(1))

        def decode(self, z):
            return torch.sigmoid(self.dec(z)).view(-1, 1, 28, 28)

        def forward(self, x):
            return self.decode(self.encode(x))

    torch.manual_seed(0)
    mine = Mine()
    optimiser = torch.optim.Adam(mine.parameters(), lr=1e-2)
    for _ in range(40):
        for batch in train.images.split(50):
            optimiser.zero_grad()
            ((mine(batch) - batch) ** 2).mean().backward()
            optimiser.step()
    with torch.no_grad():
        codes = mine.encode(test.images)
    check_latent_2d(mine, codes, test.images, test.labels)
    assert "ex-1.1 passed" in capsys.readouterr().out


def test_the_labels_stay_with_the_judge(data, trained):
    model, codes = trained
    seen = {}

    def spy(*args, inputs):
        seen.update(inputs)
        return check_latent_2d.hand_over(*args, inputs=inputs)

    spying = type(check_latent_2d)(**{**vars(check_latent_2d), "hand_over": spy})
    spying(model, codes, data[1].images, data[1].labels)
    assert "images" in seen and "labels" not in seen


def test_an_answer_computed_without_a_model_fails(trained):
    # codes set by label (the judge's labels, as a forger who had them would) and
    # "reconstructions" that are the digits scaled: the digits are separated and
    # rebuilt perfectly, yet nothing was decoded from the 2-D codes
    model, _ = trained
    inputs = check_latent_2d.inputs(torch.Generator().manual_seed(3))
    angle = inputs["labels"].float() * 0.6
    codes = torch.stack([angle.cos(), angle.sin()], dim=1)
    codes += 0.01 * torch.randn(codes.shape, generator=torch.Generator().manual_seed(0))
    forged = {"codes": codes, "reconstructions": 0.98 * inputs["images"]}
    forged["outputs"] = forged["reconstructions"]
    with pytest.raises(CheckFailed, match="not decoded from the codes"):
        check_latent_2d.judge(forged, inputs)
    # the trained model's own answer passes the same judge
    answer = check_latent_2d.hand_over(
        model,
        _codes_of(model, inputs["images"]),
        inputs["images"],
        None,
        inputs={"images": inputs["images"]},
    )
    check_latent_2d.judge(answer, inputs)


def _codes_of(model, images):
    return apply_in_batches(model.encode, images, module=model)
