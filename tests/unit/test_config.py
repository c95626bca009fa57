import pytest
import torch

from course_utils.config import (
    by_scale,
    data_dir,
    get_device,
    is_offline,
    is_tiny,
    scale,
    seed_everything,
)


@pytest.fixture
def no_scale_env(monkeypatch):
    for name in ("COURSE_SCALE", "COURSE_TINY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_book_is_the_default_scale(no_scale_env):
    assert scale() == "book" and not is_tiny()
    assert by_scale(tiny=1, book=20, full=50) == 20


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"COURSE_SCALE": "tiny"}, 1),
        ({"COURSE_TINY": "1"}, 1),
        ({"COURSE_TINY": "yes", "COURSE_SCALE": "tiny"}, 1),
        ({"COURSE_TINY": "0"}, 20),
        ({"COURSE_SCALE": "book"}, 20),
        ({"COURSE_SCALE": "FULL"}, 50),
    ],
)
def test_by_scale_follows_the_environment(no_scale_env, env, expected):
    for name, value in env.items():
        no_scale_env.setenv(name, value)
    assert by_scale(tiny=1, book=20, full=50) == expected


def test_full_defaults_to_book_and_none_means_all(no_scale_env):
    no_scale_env.setenv("COURSE_SCALE", "full")
    assert by_scale(tiny=1, book=20) == 20
    assert by_scale(tiny=100, book=4_000, full=None) is None


@pytest.mark.parametrize(
    "env",
    [{"COURSE_SCALE": "huge"}, {"COURSE_TINY": "1", "COURSE_SCALE": "full"}],
)
def test_bad_scales_are_refused(no_scale_env, env):
    for name, value in env.items():
        no_scale_env.setenv(name, value)
    with pytest.raises(ValueError, match="COURSE_"):
        scale()


def test_offline_and_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert is_offline() and data_dir() == tmp_path
    monkeypatch.setenv("COURSE_OFFLINE", "0")
    monkeypatch.delenv("COURSE_DATA_DIR")
    assert not is_offline() and data_dir().name == "autoencoders-course"


def test_seed_everything_repeats_random_numbers():
    assert seed_everything(7) is None  # a notebook cell ending with it prints nothing
    first = torch.randn(5), torch.nn.Linear(3, 2).weight.detach().clone()
    seed_everything(7)
    second = torch.randn(5), torch.nn.Linear(3, 2).weight.detach().clone()
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])


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
