"""Quality numbers a chapter hands to the benchmark (``make bench``), next to their baselines.

A chapter calls :func:`record` once per claim it makes about quality, with the numbers it has
just printed::

    cu.results.record("2× super-resolution, PSNR (dB)", model=("network", 24.1),
                      baseline=("bicubic", 21.3), higher_is_better=True)

Outside the benchmark this does nothing. ``bench/run.py`` executes each chapter with
``COURSE_RESULTS_FILE`` set to a JSON file, where the rows are collected, and builds the quality
table of ``bench/results.md`` from them: a new chapter adds its rows just by calling ``record``.

:func:`finding` is the page's side of the same claims: it prints whether a finding holds in this
run, and asserts it only at the scale where it was checked, so a reader's run at another scale
(or on other data) reports a claim that no longer holds instead of stopping.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

ENVIRONMENT_VARIABLE = "COURSE_RESULTS_FILE"


def _named_number(argument: str, pair) -> tuple[str, float]:
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not isinstance(pair[0], str)
    ):
        raise ValueError(f"{argument} must be a pair (name, number), got {pair!r}")
    value = float(pair[1])
    if math.isnan(value):
        raise ValueError(f"{argument}'s number must not be NaN, got {pair!r}")
    return pair[0], value


def record(
    measure: str,
    *,
    model: tuple[str, float],
    baseline: tuple[str, float],
    higher_is_better: bool,
    within: float | None = None,
) -> None:
    """Note that ``model`` (name, number) scored against ``baseline`` (name, number) on ``measure``.

    The chapter's claim is that the model is better than the baseline; with ``within`` (a
    fraction, e.g. 0.05), that it comes within that share of it, for a baseline that is the
    optimum (PCA for a linear autoencoder). Appends one row to the file named by
    ``COURSE_RESULTS_FILE``; without it, does nothing. Returns nothing, so a cell ending with it
    prints nothing.
    """
    if not isinstance(measure, str) or not measure:
        raise ValueError(f"measure must be a non-empty string, got {measure!r}")
    model_name, model_value = _named_number("model", model)
    baseline_name, baseline_value = _named_number("baseline", baseline)
    if within is not None and not (
        isinstance(within, (int, float)) and not isinstance(within, bool) and within > 0
    ):
        raise ValueError(
            f"within must be a positive fraction such as 0.05, got {within!r}"
        )
    path = os.environ.get(ENVIRONMENT_VARIABLE)
    if not path:
        return
    rows = read(path)
    rows.append(
        {
            "measure": measure,
            "model": model_name,
            "model_value": model_value,
            "baseline": baseline_name,
            "baseline_value": baseline_value,
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
    """What the row claims: ``better``, or ``within 5%`` of a baseline that is the optimum."""
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


def finding(claim: str, holds: bool, *, validated_at: str | tuple = "book") -> bool:
    """Say whether one of the page's findings holds in this run; assert it where validated.

    A finding such as "the autoencoder beats PCA" was checked at one scale (``validated_at``,
    the book's by default, on the offline sample). At that scale it is asserted, so a change
    that breaks it stops the build. At the other scales (a tiny test run, or all of MNIST at
    the full scale) it may honestly come out otherwise; there the page prints whether it held,
    with the numbers the ``claim`` text carries, and goes on instead of stopping a reader's
    run. Prints one line; returns ``holds``.
    """
    from .config import SCALES, scale

    if not isinstance(claim, str) or not claim.strip():
        raise ValueError(f"claim must be a non-empty sentence, got {claim!r}")
    scales = (validated_at,) if isinstance(validated_at, str) else tuple(validated_at)
    if not scales or any(name not in SCALES for name in scales):
        raise ValueError(
            f"validated_at must name scales of {SCALES}, got {validated_at!r}"
        )
    holds, current = bool(holds), scale()
    verdict = "✔ holds" if holds else "✘ does not hold"
    if current in scales:
        where = f"asserted at the {current} scale"
    else:
        where = (
            f"at the {current} scale; asserted only at the {' and '.join(scales)} "
            "scale, where it was checked"
        )
    print(f"{verdict}: {claim} ({where})")
    if current in scales and not holds:
        raise AssertionError(
            f"{claim}: the page asserts this at the {current} scale, and it does not hold"
        )
    return holds
