"""The benchmark's report: quality rows next to their baselines, sections kept across runs."""

import importlib.util

import pytest
from helpers import ROOT

_spec = importlib.util.spec_from_file_location(
    "course_bench", ROOT / "bench" / "run.py"
)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def _row(measure, model, baseline, higher_is_better, within=None):
    return {
        "measure": measure,
        "model": "AE",
        "model_value": model,
        "baseline": "base",
        "baseline_value": baseline,
        "higher_is_better": higher_is_better,
        "within": within,
    }


def test_quality_table_says_which_model_beats_its_baseline():
    rows = [
        (
            "04_denoising",
            12.0,
            [
                _row("s&p 0.1, PSNR (dB)", 22.0, 20.5, True),
                _row("clean test MSE", 0.006, 0.005, False),
                _row("linear AE MSE", 0.0101, 0.01, False, within=0.05),
            ],
            "",
            10.0,
        ),
        ("02_conv_arithmetic", 3.0, [], "", 2.0),
    ]
    lines = bench.quality_table(rows)
    assert (
        "| 04_denoising | s&p 0.1, PSNR (dB) | AE | 22 | base | 20.5 | +1.50 dB | better "
        "| yes |" in lines
    )
    assert (
        "| 04_denoising | clean test MSE | AE | 0.006 | base | 0.005 | +20.0% | better "
        "| **no** |" in lines
    )
    assert (
        "| 04_denoising | linear AE MSE | AE | 0.0101 | base | 0.01 | +1.0% | within 5% "
        "| yes |" in lines
    )
    assert lines[-1] == "No quality rows recorded by: 02_conv_arithmetic."


def test_timing_table_adds_wall_and_cpu_time():
    rows = [("01_a", 100.0, [], "", 150.0), ("02_b", 20.0, [], "", 30.0)]
    lines = bench.timing_table(rows, 60, "the target")
    assert "| **all chapters** | **120.0** | **180.0** |" in lines
    assert lines[-1].startswith("over the target")


def test_a_part_rewrites_only_its_own_section(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "RESULTS", tmp_path / "results.md")
    bench.write({bench.TITLES["data"]: "speed 1", bench.TITLES["tiny"]: "tiny 1"})
    sections = bench.read_sections()
    sections[bench.TITLES["tiny"]] = "tiny 2"
    bench.write(sections)
    again = bench.read_sections()
    assert again[bench.TITLES["data"]] == "speed 1"
    assert again[bench.TITLES["tiny"]] == "tiny 2"
    assert again[bench.TITLES["build"]] == "*Not run yet.*"


def test_the_speed_up_bound_is_the_loader_epoch_over_the_bare_training_step():
    best = {
        ("conv", "memory"): 0.55,
        ("conv", "loader"): 0.65,
        ("none", "memory"): 0.05,
        ("none", "loader"): 0.15,
    }
    line = bench._amdahl_bound(best, "conv", "none", "memory", "loader")
    # step = 0.55 - 0.05 = 0.5 s; 0.65 / 0.5 = 1.3
    assert "takes 0.500 s of the `DataLoader` epoch's 0.650 s" in line
    assert "at most 1.3× faster" in line


def _full_scale_module():
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    import full_scale

    return full_scale


def test_the_full_scale_projection_scales_each_sampled_epoch_to_its_batches():
    full_scale = _full_scale_module()
    rows = [  # two epochs of one loop, one of another, one IWAE timed on 200 of 1,000
        {"caller": "fit", "images": 6400, "batch_size": 64, "batches": 100,
         "timed": 20, "seconds": 2.0, "cpu": 1.0},
        {"caller": "fit", "images": 6400, "batch_size": 64, "batches": 100,
         "timed": 20, "seconds": 4.0, "cpu": 1.0},
        {"caller": "train_aae", "images": 1000, "batch_size": 100, "batches": 10,
         "timed": 9, "seconds": 0.9, "cpu": 0.45},
        {"evaluation": "IWAE k=1000", "images": 1000, "timed_images": 200,
         "seconds": 3.0, "cpu": 2.0},
    ]  # fmt: skip
    estimate = full_scale.projection(rows, wall_s=100.0, cpu_s=50.0)
    # wall per epoch: 2/20*100 = 10 s, 4/20*100 = 20 s, 0.9/9*10 = 1 s; IWAE 3 * 5 = 15 s
    assert estimate["wall_epoch_s"] == (1.0, 10.0, 20.0)
    assert estimate["cpu_epoch_s"] == (0.5, 5.0, 5.0)
    assert estimate["epochs"] == 3 and estimate["steps"] == 210
    assert estimate["wall_rest_s"] == pytest.approx(100.0 - 9.9)
    assert estimate["wall_total_s"] == pytest.approx(100.0 - 9.9 + 31.0 + 15.0)
    assert estimate["cpu_total_s"] == pytest.approx(50.0 - 4.45 + 10.5 + 10.0)
    assert estimate["iwae_cpu_s"] == [10.0]
    assert full_scale.gpu_estimate_s(estimate, step_s=1e-3) == pytest.approx(0.21)


def test_the_sampler_cell_is_valid_python():
    full_scale = _full_scale_module()
    compile(full_scale.SAMPLER_CELL, "sampler", "exec")
