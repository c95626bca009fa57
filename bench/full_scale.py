"""Time the full scale on a CPU without training for hours: sampled epochs, projected totals.

At ``COURSE_SCALE=full`` a chapter trains on all 60,000 digits for its full epoch counts:
hours on a 2-core CPU. ``make bench PARTS=full`` therefore executes each chapter at the full
scale (MNIST from the 60,000-digit stand-in) with one cell put in front of it that changes
a single thing: every *training* epoch (a shuffled pass of ``course_utils.data.batches``,
which all the course's training loops use) visits only its first ``1 + SAMPLE_BATCHES``
batches. The first is a warm-up whose floating-point operations are counted once per loop
(``torch.utils.flop_counter``); the others are timed, training step included. Everything else
runs as it is, on all the data: the evaluations after every epoch, the IWAE estimate (each
call timed on its own), baselines, figures. So

    projected chapter time = measured wall time - sampled epochs + epochs x (time per batch
                             x batches per epoch)

The models are trained far less than at the real full scale, so what the chapter prints is
not its full-scale quality (that needs the real MNIST and the whole run), and a chapter
that asserts a quality claim may stop early: its row says so.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

SAMPLE_BATCHES = 20  # timed batches per training epoch

SAMPLER_CELL = r"""# added by bench/full_scale.py: each training epoch visits its first batches only
import json as _json
import os as _os
import sys as _sys
import time as _time

import course_utils.data as _bench_data
from torch.utils.flop_counter import FlopCounterMode as _FlopCounter

_bench_batches = _bench_data.batches
_bench_counted = set()
_BENCH_LOG = _os.environ["COURSE_BENCH_EPOCH_LOG"]
_BENCH_SAMPLE = int(_os.environ["COURSE_BENCH_SAMPLE_BATCHES"])


def _bench_sampled(inner, caller, images, batch_size):
    key, flops, timed, start = (caller, images, batch_size), None, 0, None
    for index, batch in enumerate(inner):
        if index == 0:  # warm-up, untimed; its step's operations counted once per loop
            counter = None
            if key not in _bench_counted:
                _bench_counted.add(key)
                counter = _FlopCounter(display=False)
                counter.__enter__()
            try:
                yield batch
            finally:
                if counter is not None:
                    counter.__exit__(None, None, None)
                    flops = counter.get_total_flops()
            start = _time.perf_counter()
            continue
        if timed == _BENCH_SAMPLE:
            break
        yield batch
        timed += 1
    row = {"caller": caller, "images": images, "batch_size": batch_size,
           "batches": -(-images // batch_size), "timed": timed,
           "seconds": _time.perf_counter() - start if start else 0.0, "flops": flops}
    with open(_BENCH_LOG, "a") as log:
        log.write(_json.dumps(row) + "\n")


def _bench_wrapper(*tensors, batch_size, shuffle=False, generator=None):
    inner = _bench_batches(*tensors, batch_size=batch_size, shuffle=shuffle,
                           generator=generator)
    if not shuffle:  # evaluation: all of it
        return inner
    caller = _sys._getframe(1).f_code.co_name
    return _bench_sampled(inner, caller, len(tensors[0]), batch_size)


_bench_data.batches = _bench_wrapper

import course_utils.losses as _bench_losses  # noqa: E402

_bench_iwae = _bench_losses.importance_weighted_nll


def _bench_timed_iwae(model, images, k, **options):  # an evaluation: timed, all of it
    start = _time.perf_counter()
    estimate = _bench_iwae(model, images, k, **options)
    row = {"evaluation": f"IWAE k={k}", "images": len(images),
           "seconds": _time.perf_counter() - start}
    with open(_BENCH_LOG, "a") as log:
        log.write(_json.dumps(row) + "\n")
    return estimate


_bench_losses.importance_weighted_nll = _bench_timed_iwae
"""


def run_sampled(notebook: Path, log: Path) -> tuple[float, str]:
    """Execute ``notebook`` with the sampler cell in front; (wall seconds, error or "")."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(SAMPLER_CELL))
    os.environ["COURSE_BENCH_EPOCH_LOG"] = str(log)
    os.environ["COURSE_BENCH_SAMPLE_BATCHES"] = str(SAMPLE_BATCHES)
    client = NotebookClient(
        nb,
        timeout=None,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    start = time.perf_counter()
    error = ""
    try:
        client.execute()
    except Exception as exc:  # the epochs timed before it stopped still count
        last = [line for line in str(exc).splitlines() if line.strip()]
        error = f"{type(exc).__name__}: {last[-1][:120] if last else ''}"
    return time.perf_counter() - start, error


def read_log(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line]


def projection(rows: list[dict], wall_s: float) -> dict:
    """Per-epoch times and the projected chapter time from the sampled epochs' log."""
    evaluations = [row for row in rows if "evaluation" in row]
    rows = [row for row in rows if "evaluation" not in row]
    timed = [row for row in rows if row["timed"]]
    per_epoch = [row["seconds"] / row["timed"] * row["batches"] for row in timed]
    sampled_s = sum(row["seconds"] for row in timed)
    training_s = sum(per_epoch)
    flops = {}  # per batch, by loop
    for row in rows:
        if row["flops"]:
            flops[row["caller"], row["images"], row["batch_size"]] = row["flops"]
    training_flops = sum(
        flops.get((row["caller"], row["images"], row["batch_size"]), 0) * row["batches"]
        for row in rows
    )
    return {
        "epochs": len(rows),
        "steps": sum(row["batches"] for row in rows),
        "epoch_s": (min(per_epoch), statistics.median(per_epoch), max(per_epoch))
        if per_epoch
        else None,
        "rest_s": wall_s - sampled_s,
        "training_s": training_s,
        "total_s": wall_s - sampled_s + training_s,
        "training_flops": training_flops,
        "evaluations": evaluations,
    }


def gpu_estimate_s(estimate: dict, flops_per_s: float, step_s: float) -> float:
    """Training time on a GPU: each step costs its operations at ``flops_per_s`` but at
    least ``step_s`` (kernel launches and Python, which small models cannot hide)."""
    if not estimate["steps"]:
        return 0.0
    flops_per_step = estimate["training_flops"] / estimate["steps"]
    return estimate["steps"] * max(flops_per_step / flops_per_s, step_s)
