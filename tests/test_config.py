import pytest
import torch

from course_utils.config import by_scale, get_device, is_tiny, seed_everything


def test_by_scale_follows_course_tiny(monkeypatch):
    monkeypatch.setenv("COURSE_TINY", "1")
    assert is_tiny() and by_scale(default=30, tiny=2) == 2
    monkeypatch.setenv("COURSE_TINY", "0")
    assert not is_tiny() and by_scale(default=30, tiny=2) == 30
    monkeypatch.delenv("COURSE_TINY")
    assert by_scale(default="big", tiny="small") == "big"


def test_seed_everything_repeats_random_numbers():
    seed_everything(7)
    first = torch.randn(5), torch.nn.Linear(3, 2).weight.detach().clone()
    seed_everything(7)
    second = torch.randn(5), torch.nn.Linear(3, 2).weight.detach().clone()
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    assert torch.equal(seed_everything(3).initial_seed() * torch.ones(1), 3 * torch.ones(1))


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(seed)


def test_get_device(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert get_device().type in {"cpu", "cuda", "mps"}
    assert get_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    with pytest.raises(ValueError, match="prefer"):
        get_device("tpu")
