"""Quality numbers a chapter hands to the benchmark (``make bench``), with baselines.

A chapter calls :func:`record` once per claim it makes about quality, with the numbers
it has just printed::

    cu.results.record("2× super-resolution, PSNR (dB)", model=("network", 24.1),
                      baseline=("bicubic", 21.3), higher_is_better=True)

Outside the benchmark this does nothing. ``bench/run.py`` executes each chapter with
``COURSE_RESULTS_FILE`` set to a JSON file, where the rows are collected, and builds the
quality table of ``bench/results.md`` from them: a new chapter adds its rows just by
calling ``record``.

:func:`finding` is the page's side of the same claims: it prints whether a finding
holds in this run, and asserts it only at the scale and on the data where it was
checked (the offline MNIST sample, as in CI), so a reader's run at another scale or on
other data (the real MNIST, downloaded) reports a claim that no longer holds instead of
stopping.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from .validation import (
    non_empty_text,
    optional,
    positive_number,
    satisfies,
    validated,
)

ENVIRONMENT_VARIABLE = "COURSE_RESULTS_FILE"


def _is_named_number(pair) -> bool:
    if not isinstance(pair, tuple | list) or len(pair) != 2:
        return False
    try:
        return isinstance(pair[0], str) and not math.isnan(float(pair[1]))
    except (TypeError, ValueError):
        return False


named_number = satisfies(_is_named_number, "a pair (name, number), the number not NaN")


def _names_scales(validated_at) -> bool:
    from .config import SCALES

    scales = (validated_at,) if isinstance(validated_at, str) else tuple(validated_at)
    return bool(scales) and all(name in SCALES for name in scales)


scale_names = satisfies(_names_scales, "a scale (tiny, book, full) or a tuple of them")


@validated(
    measure=non_empty_text,
    model=named_number,
    baseline=named_number,
    within=optional(positive_number),
)
def record(
    measure: str,
    *,
    model: tuple[str, float],
    baseline: tuple[str, float],
    higher_is_better: bool,
    within: float | None = None,
) -> None:
    """Note that ``model`` (name, number) scored against ``baseline`` on ``measure``.

    The chapter's claim is that the model is better than the baseline; with ``within``
    (a fraction, e.g. 0.05), that it comes within that share of it, for a baseline that
    is the optimum (PCA for a linear autoencoder). Appends one row to the file named by
    ``COURSE_RESULTS_FILE``; without it, does nothing. Returns nothing, so a cell ending
    with it prints nothing.
    """
    (model_name, model_value), (baseline_name, baseline_value) = model, baseline
    path = os.environ.get(ENVIRONMENT_VARIABLE)
    if not path:
        return
    rows = read(path)
    rows.append(
        {
            "measure": measure,
            "model": model_name,
            "model_value": float(model_value),
            "baseline": baseline_name,
            "baseline_value": float(baseline_value),
            "higher_is_better": bool(higher_is_better),
            "within": None if within is None else float(within),
        }
    )
    Path(path).write_text(json.dumps(rows, indent=1))


def read(path: str | Path) -> list[dict]:
    """The rows recorded in ``path`` (an empty list when there is no such file)."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else []


def beats(row: dict) -> bool:
    """True when the row's model is better than its baseline."""
    if row["higher_is_better"]:
        return row["model_value"] > row["baseline_value"]
    return row["model_value"] < row["baseline_value"]


def claim(row: dict) -> str:
    """What the row claims: ``better``, or ``within 5%`` of a baseline, the optimum."""
    within = row.get("within")
    return "better" if within is None else f"within {within:.0%}"


def holds(row: dict) -> bool:
    """True when the row's claim holds: the model beats the baseline, or comes within
    ``within`` (relative to the baseline) of it."""
    within = row.get("within")
    if within is None or beats(row):
        return beats(row)
    shortfall = abs(row["model_value"] - row["baseline_value"])
    return shortfall <= within * abs(row["baseline_value"])


@validated(claim=non_empty_text, validated_at=scale_names)
def finding(claim: str, holds: bool, *, validated_at: str | tuple = "book") -> bool:
    """Say whether a finding of the page holds in this run; assert it where validated.

    A finding such as "the autoencoder beats PCA" was checked at one scale
    (``validated_at``, the book's by default) on the offline MNIST sample. There it is
    asserted, so a change that breaks it stops the build (CI is offline). At the other
    scales (a tiny test run, or all of MNIST at the full scale), or on MNIST downloaded
    through torchvision (a reader online, Colab), it may honestly come out otherwise:
    there the page prints whether it held, with the numbers the ``claim`` text carries,
    and goes on instead of stopping a reader's run. Prints one line; returns ``holds``.
    """
    from .config import scale
    from .data import MNIST_SOURCES, OFFLINE_SAMPLE

    scales = (validated_at,) if isinstance(validated_at, str) else tuple(validated_at)
    holds, current = bool(holds), scale()
    checked_data = MNIST_SOURCES <= {OFFLINE_SAMPLE}  # pages without MNIST count too
    asserted = current in scales and checked_data
    verdict = "✔ holds" if holds else "✘ does not hold"
    if asserted:
        where = f"asserted at the {current} scale"
    elif current in scales:
        where = (
            f"at the {current} scale on MNIST from torchvision; asserted only on "
            f"{OFFLINE_SAMPLE}, where it was checked"
        )
    else:
        where = (
            f"at the {current} scale; asserted only at the {' and '.join(scales)} "
            "scale, where it was checked"
        )
    print(f"{verdict}: {claim} ({where})")
    if asserted and not holds:
        raise AssertionError(
            f"{claim}: the page asserts this at the {current} scale, and it does not "
            "hold"
        )
    return holds
