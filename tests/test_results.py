"""Chapters' quality rows reach the benchmark's JSON file, and only when it asks for them."""

import json

import pytest

from course_utils import results


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
