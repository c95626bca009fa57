"""Chapters' quality rows reach the benchmark's JSON file, and only when it asks for them."""

import json

import pytest

from course_utils import data, results


def test_record_does_nothing_outside_the_benchmark(monkeypatch, tmp_path):
    monkeypatch.delenv(results.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    results.record("x", model=("a", 1.0), baseline=("b", 2.0), higher_is_better=True)
    assert list(tmp_path.iterdir()) == []


def test_record_appends_rows_to_the_file(monkeypatch, tmp_path):
    path = tmp_path / "04.json"
    monkeypatch.setenv(results.ENVIRONMENT_VARIABLE, str(path))
    results.record(
        "PSNR", model=("AE", 22.5), baseline=("median", 20.0), higher_is_better=True
    )
    results.record(
        "MSE", model=["AE", 0.01], baseline=("PCA", 0.009), higher_is_better=False
    )
    rows = json.loads(path.read_text())
    assert [row["measure"] for row in rows] == ["PSNR", "MSE"]
    assert rows[0] == {
        "measure": "PSNR",
        "model": "AE",
        "model_value": 22.5,
        "baseline": "median",
        "baseline_value": 20.0,
        "higher_is_better": True,
        "within": None,
    }
    assert results.read(path) == rows
    assert [results.beats(row) for row in rows] == [True, False]


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"measure": ""}, "measure"),
        ({"model": 3.0}, "model"),
        ({"model": ("AE",)}, "model"),
        ({"baseline": ("median", float("nan"))}, "baseline"),
        ({"within": 0}, "within"),
        ({"within": -0.05}, "within"),
        ({"within": "5%"}, "within"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, argument):
    arguments = {
        "measure": "PSNR",
        "model": ("AE", 1.0),
        "baseline": ("b", 0.5),
        "higher_is_better": True,
    }
    arguments.update(kwargs)
    measure = arguments.pop("measure")
    with pytest.raises(ValueError, match=argument):
        results.record(measure, **arguments)


@pytest.mark.parametrize(
    ("model", "baseline", "higher_is_better", "holds"),
    [
        (0.02755, 0.02729, False, True),  # 0.95 % worse than the optimum: within 5 %
        (0.02900, 0.02729, False, False),  # 6.3 % worse
        (0.02500, 0.02729, False, True),  # better than the baseline
        (20.0, 21.0, True, True),  # PSNR 4.8 % below
        (19.9, 21.0, True, False),  # 5.2 % below
    ],
)
def test_a_within_claim_holds_up_to_its_share_of_the_baseline(
    model, baseline, higher_is_better, holds
):
    row = {
        "model_value": model,
        "baseline_value": baseline,
        "higher_is_better": higher_is_better,
        "within": 0.05,
    }
    assert results.holds(row) is holds
    assert results.claim(row) == "within 5%"
    better_only = dict(row, within=None)
    assert results.holds(better_only) is results.beats(better_only)
    assert results.claim(better_only) == "better"


@pytest.mark.parametrize("scale", ["tiny", "full"])
def test_a_finding_is_printed_not_asserted_where_it_was_not_validated(
    monkeypatch, capsys, scale
):
    monkeypatch.delenv("COURSE_TINY", raising=False)
    monkeypatch.setenv("COURSE_SCALE", scale)
    assert results.finding("AE 0.5 < PCA 0.4", 0.5 < 0.4) is False
    line = capsys.readouterr().out
    assert line.startswith("✘ does not hold: AE 0.5 < PCA 0.4")
    assert f"at the {scale} scale; asserted only at the book scale" in line
    assert results.finding("AE 0.3 < PCA 0.4", 0.3 < 0.4) is True
    assert capsys.readouterr().out.startswith("✔ holds: AE 0.3 < PCA 0.4")


def test_a_finding_is_asserted_where_it_was_validated(monkeypatch, capsys):
    monkeypatch.setattr(data, "MNIST_SOURCES", {data.OFFLINE_SAMPLE})
    monkeypatch.delenv("COURSE_TINY", raising=False)
    monkeypatch.setenv("COURSE_SCALE", "book")
    assert results.finding("AE 0.3 < PCA 0.4", True) is True
    assert "(asserted at the book scale)" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="AE 0.5 < PCA 0.4: the page asserts"):
        results.finding("AE 0.5 < PCA 0.4", False)
    monkeypatch.setenv("COURSE_SCALE", "full")
    with pytest.raises(AssertionError, match="at the full scale"):
        results.finding("x", False, validated_at=("book", "full"))


def test_a_finding_is_printed_not_asserted_on_downloaded_mnist(monkeypatch, capsys):
    # a reader online (Colab) gets the real MNIST at the book scale: a finding checked on
    # the offline sample may not hold there, and must not stop the page
    monkeypatch.setattr(data, "MNIST_SOURCES", set())
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(
        data,
        "_torchvision_arrays",
        lambda name, split: data.offline_mnist_arrays(split),
    )
    data.load_mnist("test", limit=10)
    assert data.MNIST_SOURCES == {"torchvision"}
    monkeypatch.delenv("COURSE_TINY", raising=False)
    monkeypatch.setenv("COURSE_SCALE", "book")
    capsys.readouterr()
    assert results.finding("AE 0.5 < PCA 0.4", False) is False
    line = capsys.readouterr().out
    assert line.startswith(
        "✘ does not hold: AE 0.5 < PCA 0.4 (at the book scale on MNIST"
    )
    assert "asserted only on the offline sample" in line
    # and the offline sample, loaded as CI loads it, is asserted again
    monkeypatch.setattr(data, "MNIST_SOURCES", set())
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    data.load_mnist("test", limit=10)
    with pytest.raises(AssertionError, match="the page asserts"):
        results.finding("AE 0.5 < PCA 0.4", False)


@pytest.mark.parametrize(
    ("claim", "validated_at", "argument"),
    [("", "book", "claim"), ("x", "huge", "validated_at"), ("x", (), "validated_at")],
)
def test_a_finding_refuses_bad_arguments(claim, validated_at, argument):
    with pytest.raises(ValueError, match=argument):
        results.finding(claim, True, validated_at=validated_at)
