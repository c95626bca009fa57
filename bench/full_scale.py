"""Time the full scale on a CPU without training for hours: sampled epochs, projected totals.

At ``COURSE_SCALE=full`` a chapter trains on all 60,000 digits for its full epoch counts:
hours on a 2-core CPU. ``make bench PARTS=full`` therefore executes each chapter at the full
scale (MNIST from the 60,000-digit stand-in) with one cell put in front of it that changes
a single thing: every *training* epoch (a shuffled pass of ``course_utils.data.batches``,
which all the course's training loops use) visits only its first ``1 + SAMPLE_BATCHES``
batches: a warm-up, then ``SAMPLE_BATCHES`` timed ones, training step included. The IWAE
estimate (``course_utils.losses.importance_weighted_nll``, chapter 6's evaluation) is
computed and timed on the first ``IWAE_IMAGES`` test images, the others reusing their
estimates. Everything else runs as it is, on all the data: the evaluations after every
epoch, baselines, figures. So

    projected chapter time = measured time - sampled parts + epochs x (time per batch
                             x batches per epoch) + IWAE time per image x test images

in wall-clock seconds (which grow with the machine's load) and in the kernel's CPU seconds
(with one thread: the wall time on an idle core).

The models are trained far less than at the real full scale, so what the chapter prints is
not its full-scale quality (that needs the real MNIST and the whole run), and a check or
an assert that needs a trained model may raise: every cell still runs (its time counts),
and the row says how many cells raised and the first error.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from pathlib import Path

SAMPLE_BATCHES = 20  # timed batches per training epoch
IWAE_IMAGES = 200  # test images an IWAE evaluation is timed on

SAMPLER_CELL = r"""# added by bench/full_scale.py: each training epoch visits its first batches only
import json as _json
import os as _os
import sys as _sys
import time as _time

import course_utils.data as _bench_data
import course_utils.losses as _bench_losses

_BENCH_LOG = _os.environ["COURSE_BENCH_EPOCH_LOG"]
_BENCH_SAMPLE = int(_os.environ["COURSE_BENCH_SAMPLE_BATCHES"])
_BENCH_IWAE_IMAGES = int(_os.environ["COURSE_BENCH_IWAE_IMAGES"])
_bench_batches = _bench_data.batches
_bench_iwae = _bench_losses.importance_weighted_nll


def _bench_write(row):
    with open(_BENCH_LOG, "a") as log:
        log.write(_json.dumps(row) + "\n")


def _bench_sampled(inner, caller, images, batch_size):
    timed, wall, cpu = 0, None, None
    for index, batch in enumerate(inner):
        if index > _BENCH_SAMPLE:
            break
        yield batch
        if index == 0:  # the first batch is a warm-up, untimed
            wall, cpu = _time.perf_counter(), _time.process_time()
        else:
            timed += 1
    _bench_write({"caller": caller, "images": images, "batch_size": batch_size,
                  "batches": -(-images // batch_size), "timed": timed,
                  "seconds": _time.perf_counter() - wall if timed else 0.0,
                  "cpu": _time.process_time() - cpu if timed else 0.0})


def _bench_wrapper(*tensors, batch_size, shuffle=False, generator=None):
    inner = _bench_batches(*tensors, batch_size=batch_size, shuffle=shuffle,
                           generator=generator)
    if not shuffle:  # evaluation: all of it
        return inner
    caller = _sys._getframe(1).f_code.co_name
    return _bench_sampled(inner, caller, len(tensors[0]), batch_size)


def _bench_timed_iwae(model, images, k, **options):
    # timed on the first images only; their estimates stand in for the others
    part = images[:_BENCH_IWAE_IMAGES]
    wall, cpu = _time.perf_counter(), _time.process_time()
    estimate = _bench_iwae(model, part, k, **options)
    _bench_write({"evaluation": f"IWAE k={k}", "images": len(images),
                  "timed_images": len(part), "seconds": _time.perf_counter() - wall,
                  "cpu": _time.process_time() - cpu})
    return estimate.repeat(-(-len(images) // len(part)))[: len(images)]


# every module that imported batches by name (course_utils.training, through losses) too
for _module in list(_sys.modules.values()):
    if getattr(_module, "batches", None) is _bench_batches:
        _module.batches = _bench_wrapper
_bench_losses.importance_weighted_nll = _bench_timed_iwae
"""


def run_sampled(notebook: Path, log: Path) -> tuple[float, str]:
    """Execute ``notebook`` with the sampler cell in front; (wall seconds, errors or "").

    Every cell runs even after one raises (``allow_errors``): a check or a lesson's
    assert may fail on a model trained for a few batches an epoch, and the cells after
    it still have to be timed for the projection to cover the whole chapter.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(SAMPLER_CELL))
    os.environ["COURSE_BENCH_EPOCH_LOG"] = str(log)
    os.environ["COURSE_BENCH_SAMPLE_BATCHES"] = str(SAMPLE_BATCHES)
    os.environ["COURSE_BENCH_IWAE_IMAGES"] = str(IWAE_IMAGES)
    client = NotebookClient(
        nb,
        timeout=None,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except Exception as exc:  # the kernel died: the epochs timed before still count
        return time.perf_counter() - start, f"stopped: {type(exc).__name__}"
    wall = time.perf_counter() - start
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
    if not errors:
        return wall, ""
    # no terminal colours, one line
    first = re.sub(r"\x1b\[[0-9;]*m", "", f"{errors[0].ename}: {errors[0].evalue}")
    first = first.splitlines()[0][:100] if first.strip() else errors[0].ename
    return wall, f"{len(errors)} cell(s) raised, the first: {first}"


def read_log(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line]


def projection(rows: list[dict], wall_s: float, cpu_s: float) -> dict:
    """Per-epoch times and the projected chapter time, in wall-clock and in CPU seconds.

    ``wall_s`` and ``cpu_s``: the sampled run's wall time and its kernel's CPU time. With one
    thread, CPU seconds are what the wall time would be on an idle core.
    """
    evaluations = [row for row in rows if "evaluation" in row]
    epochs = [row for row in rows if "evaluation" not in row]
    timed = [row for row in epochs if row["timed"]]

    def scaled(row, key):  # a whole epoch's (or evaluation's) time from the timed part
        if "evaluation" in row:
            return row[key] / row["timed_images"] * row["images"]
        return row[key] / row["timed"] * row["batches"]

    estimate = {
        "epochs": len(epochs),
        "steps": sum(row["batches"] for row in epochs),
        "evaluations": evaluations,
    }
    for key, measured in [("seconds", wall_s), ("cpu", cpu_s)]:
        per_epoch = [scaled(row, key) for row in timed]
        sampled = sum(row[key] for row in timed + evaluations)
        projected = sum(per_epoch) + sum(scaled(row, key) for row in evaluations)
        name = "wall" if key == "seconds" else "cpu"
        estimate[f"{name}_epoch_s"] = (
            (min(per_epoch), statistics.median(per_epoch), max(per_epoch))
            if per_epoch
            else None
        )
        estimate[f"{name}_rest_s"] = measured - sampled
        estimate[f"{name}_total_s"] = measured - sampled + projected
    estimate["iwae_cpu_s"] = [scaled(row, "cpu") for row in evaluations]
    return estimate


def gpu_estimate_s(estimate: dict, step_s: float) -> float:
    """Training time on a GPU, if every step costs ``step_s``: the models are so small
    that kernel launches, the optimiser and reading the loss back set the pace."""
    return estimate["steps"] * step_s
