"""Chapter 5's claim: a model trained with the mean squared error predicts the conditional
mean of the target given the input, not the most likely target. Toy case with a known
answer: one input with two unequally likely targets; the fit lands on their mean,
which is neither of them."""

import torch

from course_utils.training import fit


def test_mse_training_predicts_the_conditional_mean():
    generator = torch.Generator().manual_seed(0)
    # 1x1 "images": input 0 maps to 1 with probability 0.7 and to 0.2 otherwise;
    # input 1 maps to 0.5 always
    n = 2000
    inputs = (torch.rand(n, generator=generator) < 0.5).float()
    coin = torch.rand(n, generator=generator) < 0.7
    targets = torch.where(
        inputs == 1, torch.full((n,), 0.5), torch.where(coin, 1.0, 0.2)
    )
    pairs = torch.stack([inputs, targets], dim=1)[:, :, None, None]  # N x 2 x 1 x 1

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.table = torch.nn.Parameter(
                torch.zeros(2)
            )  # one output per input value

        def forward(self, x):
            return self.table[x.long()]

    def loss(model, batch):
        return ((model(batch[:, 0, 0, 0]) - batch[:, 1, 0, 0]) ** 2).mean()

    model = Model()
    fit(model, pairs, epochs=30, loss_fn=loss, lr=0.05, progress=False)
    observed = [float(targets[inputs == value].mean()) for value in (0, 1)]
    predicted = model.table.detach().tolist()
    # the conditional means (about 0.76 and 0.5), not the most likely target (1.0)
    assert abs(predicted[0] - observed[0]) < 0.02 and abs(predicted[1] - 0.5) < 0.02
    assert abs(predicted[0] - 1.0) > 0.2
