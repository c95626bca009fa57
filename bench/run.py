"""The course's benchmark: speed, timings and quality in one table, written to bench/results.md.

    make bench                                  # every part (long: an hour on a 2-core CPU)
    make bench PARTS=data,quality               # some parts
    .venv/bin/python bench/run.py --parts data  # the same without make

Parts (each rewrites its own section of results.md and leaves the others as they were, so the
file says, per section, when and where it was measured):

- ``data``: one epoch of chapter 4's autoencoder through the course's in-memory batching
  (``course_utils.data.batches``) against the usual ``torchvision`` Dataset +
  ``DataLoader(ToTensor())``, same model, batch size and threads;
- ``tiny``: every chapter's wall time at the tiny scale (CI and the grader);
- ``quality``: every chapter's wall time at the book scale, as an online user runs it (MNIST read
  by torchvision from the full-size stand-in of ``bench/mnist_standin.py``), and the quality
  rows the chapters record with ``course_utils.results.record``, each next to its baseline;
- ``full``: every chapter at the full scale (meant for a GPU) on the 60,000-digit stand-in,
  with sampled training epochs (``bench/full_scale.py``): time per epoch, the projected
  chapter time beside it, an estimate for a GPU, and the whole chapter run where its
  projection fits in ``--whole-under`` minutes;
- ``build``: the whole ``make book`` (book scale, empty cache) offline and with the stand-in,
  and ``make test``;
- ``grading``: the output of ``bench/grading_speed.py``, when that file exists.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results.md"
PARTS = ("data", "tiny", "quality", "full", "build", "grading")
TITLES = {
    "data": "Data path",
    "tiny": "Chapters at the tiny scale",
    "quality": "Chapters at the book scale: time and quality",
    "full": "Chapters at the full scale",
    "build": "Whole book and whole test suite",
    "grading": "Grading speed",
}
TINY_BUDGET_S = 4 * 60  # all chapters together, 2-core CPU
BOOK_BUDGET_S = 20 * 60  # the whole book

sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))


def machine() -> str:
    """One line: date, cores, torch version, device."""
    import torch

    import course_utils as cu

    device = cu.config.get_device()
    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor()
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPU cores (load average {load:.1f} at the start), "
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
        f"device {device}{f' ({name})' if name else ''}"
    )


CHAPTERS: list[Path] = []  # --chapters: these instead of the book's


def notebooks() -> list[Path]:
    return CHAPTERS or sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


# ---------------------------------------------------------------- data path


def _epoch_seconds(step, batches) -> float:
    start = time.perf_counter()
    for batch in batches:
        step(batch)
    return time.perf_counter() - start


def data_path(standin: Path, images: int = 4_000, batch_size: int = 64) -> list[str]:
    """One epoch of a chapter's autoencoder fed two ways, runs interleaved, the best of three."""
    import torch
    import torchvision
    from torch.utils.data import DataLoader, Subset
    from torchvision.transforms import ToTensor

    import course_utils as cu

    os.environ["COURSE_DATA_DIR"] = str(standin)
    os.environ.pop("COURSE_OFFLINE", None)
    train = cu.data.load_mnist("train", limit=images).images
    dataset = Subset(
        torchvision.datasets.MNIST(str(standin), train=True, transform=ToTensor()),
        range(images),
    )

    def in_memory():
        generator = torch.Generator().manual_seed(0)
        return cu.data.batches(
            train, batch_size=batch_size, shuffle=True, generator=generator
        )

    def loader():
        torch.manual_seed(0)
        return (x for x, _ in DataLoader(dataset, batch_size=batch_size, shuffle=True))

    def trainer(model):
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step(batch):
            loss = cu.training.reconstruction_loss(model, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        return step

    torch.manual_seed(0)
    models = {
        "chapter 4's `ConvAutoencoder(latent=64, channels=(16, 32))`": trainer(
            cu.models.conv.ConvAutoencoder(latent=64, channels=(16, 32))
        ),
        "chapter 1's `LinearAutoencoder(bottleneck=64)`": trainer(
            cu.models.linear.LinearAutoencoder(bottleneck=64)
        ),
        "no model (the data alone)": lambda batch: None,
    }
    paths = {
        "in-memory `cu.data.batches`": in_memory,
        "`torchvision` MNIST + `DataLoader(ToTensor())`": loader,
    }
    best = {}
    for _ in range(3):  # interleaved, so a burst of load from elsewhere hits both paths
        for model_name, step in models.items():
            for path_name, make in paths.items():
                seconds = _epoch_seconds(step, make())
                key = (model_name, path_name)
                best[key] = min(best.get(key, float("inf")), seconds)
    lines = [
        f"One epoch over {images:,} training digits, batch size {batch_size}, Adam, "
        f"{torch.get_num_threads()} threads; the two data paths interleaved, the best of "
        "three runs each.",
        "",
        "| model | data path | epoch (s) | images/s | speed-up |",
        "|---|---|---:|---:|---:|",
    ]
    speed_ups = {}
    for model_name in models:
        fast, slow = (best[model_name, path] for path in paths)
        speed_ups[model_name] = slow / fast
        for path_name in paths:
            seconds = best[model_name, path_name]
            cell = f"{slow / fast:.1f}×" if seconds == fast else ""
            lines.append(
                f"| {model_name} | {path_name} | {seconds:.3f} | "
                f"{images / seconds:,.0f} | {cell} |"
            )
    first, *_, no_model = models
    lines += [
        "",
        f"data-path speed-up: {speed_ups[first]:.1f}× (chapter 4's autoencoder, one "
        "training epoch)",
        "",
        _amdahl_bound(best, first, no_model, *paths),
        "",
        _step_profile(trainer, train, batch_size),
    ]
    return lines


def _step_profile(trainer, train, batch_size: int, steps: int = 20) -> str:
    """Where chapter 4's training step spends its CPU time, by ``torch.profiler``."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    import course_utils as cu

    torch.manual_seed(0)
    step = trainer(cu.models.conv.ConvAutoencoder(latent=64, channels=(16, 32)))
    step(train[:batch_size])  # warm-up, outside the profile
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for index in range(steps):
            step(train[index * batch_size : (index + 1) * batch_size])
    events = profiler.key_averages()
    total = sum(event.self_cpu_time_total for event in events)
    convolutions = sum(
        event.self_cpu_time_total for event in events if "convolution" in event.key
    )
    adam = sum(
        event.cpu_time_total
        for event in events
        if event.key.startswith("Optimizer.step")
    )
    return (
        f"Profile of chapter 4's step (`torch.profiler`, {steps} batches of {batch_size}): "
        f"the convolutions, forward and backward, take {convolutions / total:.0%} of its "
        f"CPU time and Adam's update {adam / total:.0%}; the step is bound by arithmetic, "
        "not by feeding it."
    )


def _amdahl_bound(best, model, no_model, fast_path, slow_path) -> str:
    """What limits the speed-up: the model's own step, which no data path can shorten."""
    slow_epoch = best[model, slow_path]
    step = best[model, fast_path] - best[no_model, fast_path]
    return (
        f"Where the time goes: the training step itself (forward, backward, Adam) takes "
        f"{step:.3f} s of the `DataLoader` epoch's {slow_epoch:.3f} s, and the data "
        f"{best[no_model, slow_path]:.3f} s through `DataLoader` against "
        f"{best[no_model, fast_path]:.3f} s in memory; with data that cost nothing the "
        f"epoch could be at most {slow_epoch / step:.1f}× faster."
    )


# ---------------------------------------------------------------- chapters


def time_chapters(
    scale: str, env: dict[str, str], results_dir: Path | None, save: Path | None = None
):
    """Execute every chapter in a fresh kernel at ``scale``; (name, seconds, rows) each."""
    from time_chapters import run

    saved = dict(os.environ)
    rows = []
    try:
        for notebook in notebooks():
            os.environ.clear()
            os.environ.update(saved)
            # the kernel draws its figures inline, as in the book (no Agg backend)
            for key in (
                "COURSE_TINY",
                "COURSE_OFFLINE",
                "COURSE_DATA_DIR",
                "MPLBACKEND",
            ):
                os.environ.pop(key, None)
            os.environ.update(env, COURSE_SCALE=scale)
            results_file = None
            if results_dir is not None:
                results_file = results_dir / f"{notebook.stem}.json"
                os.environ["COURSE_RESULTS_FILE"] = str(results_file)
            before = _children_cpu_seconds()
            try:
                seconds = run(notebook, save / scale if save else None)
                error = ""
            except Exception as exc:  # a failing chapter still gets its row
                last = [line for line in str(exc).splitlines() if line.strip()]
                last = re.sub(r"\x1b\[[0-9;]*m", "", last[-1] if last else "")[:120]
                seconds, error = float("nan"), f"{type(exc).__name__}: {last}"
            cpu = _children_cpu_seconds() - before
            import course_utils.results as results

            recorded = results.read(results_file) if results_file else []
            rows.append((notebook.stem, seconds, recorded, error, cpu))
            print(
                f"  {scale:5s} {notebook.stem:32s} {seconds:7.1f} s, CPU {cpu:7.1f} s "
                f"{error}",
                flush=True,
            )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return rows


def _children_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by finished child processes (the kernels)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timing_table(rows, budget_s: float, budget_text: str) -> list[str]:
    total = sum(row[1] for row in rows)
    total_cpu = sum(row[4] for row in rows)
    lines = [
        "| chapter | wall time (s) | kernel CPU time (s) |",
        "|---|---:|---:|",
    ]
    for name, seconds, _, error, cpu in rows:
        failed = f" (failed: {error})" if error else ""
        lines.append(f"| {name} | {seconds:.1f}{failed} | {cpu:.1f} |")
    verdict = "within" if total <= budget_s else "over"
    lines += [
        f"| **all chapters** | **{total:.1f}** | **{total_cpu:.1f}** |",
        "",
        f"{verdict} {budget_text} (wall time). On a shared machine the wall time grows "
        "with the load; the kernels' CPU time much less so.",
    ]
    return lines


def _difference(row: dict) -> str:
    """Model minus baseline: in the measure's unit for dB, relative otherwise."""
    gap = row["model_value"] - row["baseline_value"]
    if "dB" in row["measure"]:
        return f"{gap:+.2f} dB"
    return f"{gap / abs(row['baseline_value']):+.1%}" if row["baseline_value"] else "–"


def quality_table(rows) -> list[str]:
    import course_utils.results as results

    lines = [
        "| chapter | measure | model | value | baseline | value | difference | claim | holds |",
        "|---|---|---|---:|---|---:|---:|---|:---:|",
    ]
    for name, _, recorded, *_ in rows:
        for row in recorded:
            lines.append(
                f"| {name} | {row['measure']} | {row['model']} | {row['model_value']:.4g} | "
                f"{row['baseline']} | {row['baseline_value']:.4g} | "
                f"{_difference(row)} | {results.claim(row)} | "
                f"{'yes' if results.holds(row) else '**no**'} |"
            )
    without = [name for name, _, recorded, *_ in rows if not recorded]
    if without:
        lines += ["", f"No quality rows recorded by: {', '.join(without)}."]
    return lines


# ---------------------------------------------------------------- full scale

# What the GPU column assumes (see bench/results.md): these models are so small that a GPU
# spends a training step mostly on launching kernels, the optimiser and reading the loss
# back (about 1.5 ms for PyTorch's eager mode), not on arithmetic.
GPU_STEP_S = 1.5e-3


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None or seconds != seconds else f"{seconds / 60:.1f}"


def _chapter_environment(env: dict[str, str], saved: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(saved)
    for key in ("COURSE_TINY", "COURSE_OFFLINE", "COURSE_DATA_DIR", "MPLBACKEND"):
        os.environ.pop(key, None)
    os.environ.update(env, COURSE_SCALE="full", MPLBACKEND="Agg", TQDM_DISABLE="1")


def full_scale(env: dict[str, str], whole_under_s: float, save: Path | None):
    """Each chapter at the full scale with sampled epochs; whole where that fits."""
    from full_scale import (
        IWAE_IMAGES,
        SAMPLE_BATCHES,
        gpu_estimate_s,
        projection,
        read_log,
        run_sampled,
    )
    from time_chapters import run

    saved = dict(os.environ)
    lines = [
        "Each chapter executed at the full scale (`COURSE_SCALE=full`) on the 60,000 + "
        "10,000-digit stand-in, every training epoch cut to a warm-up and "
        f"{SAMPLE_BATCHES} timed batches, the IWAE timed on {IWAE_IMAGES} test images "
        "(`bench/full_scale.py`); everything else (evaluations, baselines, figures) runs "
        "in full. Projected = measured − sampled parts + every epoch at its timed rate. "
        "**CPU times**, one thread: the kernel's CPU seconds, which are the wall time on "
        "an idle core; the wall time on this shared machine is given beside them with "
        "its load. The models are undertrained here: quality at the full scale needs the "
        "whole run on the real MNIST (below).",
        "",
        "| chapter | training epochs | steps | CPU per epoch (s), min / median / max "
        "| IWAE, CPU per evaluation (s) | rest, CPU (min) | **projected, CPU (min)** "
        "| projected, wall (min) | load average (start → end) | whole chapter, wall "
        "(min) | GPU estimate, training (min) |",
        "|---|---:|---:|---|---|---:|---:|---:|---|---:|---:|",
    ]
    totals = {"cpu": 0.0, "wall": 0.0, "gpu": 0.0}
    try:
        for notebook in notebooks():
            _chapter_environment(env, saved)
            with tempfile.TemporaryDirectory() as folder:
                log = Path(folder) / "epochs.jsonl"
                load = [os.getloadavg()[0]]
                before = _children_cpu_seconds()
                wall, error = run_sampled(notebook, log)
                cpu = _children_cpu_seconds() - before
                estimate = projection(read_log(log), wall, cpu)
            whole = None
            if not error and estimate["cpu_total_s"] <= whole_under_s:
                try:
                    whole = run(notebook, save / "full" if save else None)
                except Exception as exc:
                    error = f"whole run: {type(exc).__name__}"
            load.append(os.getloadavg()[0])
            gpu = gpu_estimate_s(estimate, GPU_STEP_S)
            totals["cpu"] += estimate["cpu_total_s"]
            totals["wall"] += estimate["wall_total_s"]
            totals["gpu"] += gpu
            epoch = estimate["cpu_epoch_s"]
            per_epoch = " / ".join(f"{value:.1f}" for value in epoch) if epoch else "–"
            iwae = ", ".join(f"{value:.0f}" for value in estimate["iwae_cpu_s"])
            failed = f" ({error})" if error else ""
            lines.append(
                f"| {notebook.stem}{failed} | {estimate['epochs']} | "
                f"{estimate['steps']:,} | {per_epoch} | {iwae or '–'} | "
                f"{_minutes(estimate['cpu_rest_s'])} | "
                f"**{_minutes(estimate['cpu_total_s'])}** | "
                f"{_minutes(estimate['wall_total_s'])} | "
                f"{load[0]:.1f} → {load[1]:.1f} | {_minutes(whole)} | {_minutes(gpu)} |"
            )
            print(
                f"  full  {notebook.stem:32s} projected {estimate['cpu_total_s'] / 60:6.1f}"
                f" min CPU, {estimate['wall_total_s'] / 60:6.1f} min wall; sampled run "
                f"{wall:6.1f} s; whole {_minutes(whole)} min {error}",
                flush=True,
            )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    lines += [
        f"| **all chapters** | | | | | | **{_minutes(totals['cpu'])}** | "
        f"{_minutes(totals['wall'])} | | | {_minutes(totals['gpu'])} |",
        "",
        f"GPU estimate: every training step at {GPU_STEP_S * 1e3:.1f} ms, the pace of "
        "PyTorch's eager mode for models this small (launches, Adam, the loss read back "
        "every batch), whatever their arithmetic; evaluations (the IWAE: about 10¹³ "
        "operations for 10,000 digits at k = 1,000, seconds on a GPU) come on top. An "
        "estimate, not a measurement: no GPU was lent to this run.",
    ]
    return lines


# ---------------------------------------------------------------- whole runs


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, result.returncode


def _book_build(python: Path, env: dict[str, str]) -> tuple[float, int]:
    """`make book`'s build into a fresh folder, so no chapter comes from the cache."""
    with tempfile.TemporaryDirectory() as output:
        command = [str(python.parent / "jupyter-book"), "build", ".", "--all"]
        command += ["--warningiserror", "--keep-going", "--path-output", output]
        return timed(command, env)


def whole_runs(standin: Path) -> list[str]:
    python = Path(sys.executable)
    book = {key: value for key, value in os.environ.items() if key != "COURSE_DATA_DIR"}
    book.update(COURSE_SCALE="book")
    online = dict(book, COURSE_DATA_DIR=str(standin))
    online.pop("COURSE_OFFLINE", None)
    offline = dict(book, COURSE_OFFLINE="1")
    lines = ["| command | wall time (min) | exit status |", "|---|---:|---:|"]
    times = {}
    for label, run in [
        (
            "`make book` (book scale, offline sample, empty cache)",
            lambda: _book_build(python, offline),
        ),
        (
            "`make book` (book scale, full-size stand-in, empty cache)",
            lambda: _book_build(python, online),
        ),
        (
            "`make test`",
            lambda: timed(
                [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                dict(os.environ),
            ),
        ),
    ]:
        seconds, status = run()
        times[label] = seconds
        lines.append(f"| {label} | {seconds / 60:.1f} | {status} |")
        print(f"  {label}: {seconds / 60:.1f} min, exit {status}", flush=True)
    offline_s, online_s, _ = times.values()
    change = online_s / offline_s - 1
    lines += [
        "",
        f"online (stand-in) against offline: {change:+.0%} "
        f"({'within' if abs(change) <= 0.2 else 'outside'} the target of 20%); "
        f"the whole book {'within' if max(offline_s, online_s) <= BOOK_BUDGET_S else 'over'} "
        f"the target of {BOOK_BUDGET_S // 60} minutes.",
    ]
    return lines


def grading() -> list[str] | None:
    script = BENCH / "grading_speed.py"
    if not script.exists():
        return None
    result = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True
    )
    text = result.stdout.strip()
    text = re.sub(r"^## Grading speed\s*\n", "", text)  # the section heading is ours
    if result.returncode:
        text += f"\n\n(bench/grading_speed.py exited with {result.returncode})"
    return text.splitlines()


# ---------------------------------------------------------------- results.md


def read_sections() -> dict[str, str]:
    """The sections of the current results.md, by title (empty when there is none)."""
    if not RESULTS.exists():
        return {}
    sections, title = {}, None
    for line in RESULTS.read_text().splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            sections[title] = []
        elif title is not None:
            sections[title].append(line)
    return {title: "\n".join(lines).strip() for title, lines in sections.items()}


def write(sections: dict[str, str]) -> None:
    order = [TITLES[part] for part in PARTS]
    titles = order + [title for title in sections if title not in order]
    text = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`bench/run.py`); each section was measured on its own, at the",
        "date and on the machine it names. A section that says *not run* was skipped for time;",
        "`make bench PARTS=...` runs it.",
    ]
    for title in titles:
        text += ["", f"## {title}", "", sections.get(title, "*Not run yet.*")]
    RESULTS.write_text("\n".join(text).rstrip() + "\n")


def main() -> int:
    global RESULTS  # --out
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"comma-separated, of {', '.join(PARTS)}",
    )
    parser.add_argument(
        "--standin",
        type=Path,
        default=Path(tempfile.gettempdir()) / "course-mnist-standin",
        help="folder of the full-size MNIST stand-in (written when missing)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="CPU threads for PyTorch here and in the chapters' kernels (OMP_NUM_THREADS); "
        "1 gives steadier timings on a machine shared with other jobs",
    )
    parser.add_argument(
        "--save", type=Path, help="folder to keep the executed notebooks in (per scale)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS,
        help="the results file to update (default bench/results.md)",
    )
    parser.add_argument(
        "--chapters",
        type=Path,
        nargs="+",
        help="notebooks to run instead of book/NN_*.ipynb (e.g. a patched copy)",
    )
    parser.add_argument(
        "--whole-under",
        type=float,
        default=20,
        help="full part: also run whole those chapters whose projected time is under "
        "this many minutes (default 20; 0: none)",
    )
    args = parser.parse_args()
    if args.threads:
        import torch

        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # inherited by the kernels
        torch.set_num_threads(args.threads)
    CHAPTERS[:] = [path.resolve() for path in args.chapters or []]
    RESULTS = args.out.resolve()
    parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"--parts: unknown {unknown}; choose from {', '.join(PARTS)}")

    from mnist_standin import write_standin

    if not (args.standin / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").exists():
        os.environ["COURSE_OFFLINE"] = "1"
        write_standin(args.standin)
        os.environ.pop("COURSE_OFFLINE")
    online = {"COURSE_DATA_DIR": str(args.standin)}

    sections = read_sections()
    for part in parts:
        print(f"bench: {part}", flush=True)
        header = f"Measured {machine()}."
        if part == "data":
            body = data_path(args.standin)
        elif part == "tiny":
            rows = time_chapters("tiny", {"COURSE_OFFLINE": "1"}, None, args.save)
            body = timing_table(
                rows, TINY_BUDGET_S, "the target of 4 minutes for all chapters at tiny"
            )
        elif part == "quality":
            with tempfile.TemporaryDirectory() as folder:
                rows = time_chapters("book", online, Path(folder), args.save)
            body = [
                "Each chapter executed in a fresh kernel at the book scale, MNIST read by "
                "torchvision from the 60,000-digit stand-in (an online user's path).",
                "",
                *timing_table(
                    rows,
                    BOOK_BUDGET_S,
                    "the target of 20 minutes for the whole book (2-core CPU; the build adds "
                    "about a minute)",
                ),
                "",
                "### Quality at the book scale",
                "",
                *quality_table(rows),
            ]
        elif part == "full":
            body = full_scale(online, args.whole_under * 60, args.save)
        elif part == "build":
            body = whole_runs(args.standin)
        else:
            body = grading()
            if body is None:
                print("  bench/grading_speed.py does not exist: skipped")
                continue
        sections[TITLES[part]] = "\n".join([header, "", *body])
        write(
            sections
        )  # after every part: a long run that is stopped keeps what it measured
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
