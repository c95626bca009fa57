"""Quality numbers a chapter hands to the benchmark (``make bench``), next to their baselines.

A chapter calls :func:`record` once per claim it makes about quality, with the numbers it has
just printed::

    cu.results.record("2× super-resolution, PSNR (dB)", model=("network", 24.1),
                      baseline=("bicubic", 21.3), higher_is_better=True)

Outside the benchmark this does nothing. ``bench/run.py`` executes each chapter with
``COURSE_RESULTS_FILE`` set to a JSON file, where the rows are collected, and builds the quality
table of ``bench/results.md`` from them: a new chapter adds its rows just by calling ``record``.
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
