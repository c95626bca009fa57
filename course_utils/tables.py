"""Plain-text tables: the one formatter for every table the course prints."""

from __future__ import annotations

from collections.abc import Mapping


def format_table(
    rows: Mapping[str, Mapping[str, object]], first_column: str = "", decimals: int = 2
) -> str:
    """An aligned text table: one line per row name, one column per inner key.

    Numbers are shown with ``decimals`` decimals, anything else as text, a missing cell
    as "–". A column name longer than 10 characters takes two header lines (cut at a
    space). ``format_table({"s&p 0.2": {"noisy": 10.2, "median": 18.3}}, "PSNR (dB)")``
    gives a header line and one line of numbers.
    """
    columns = list(dict.fromkeys(column for row in rows.values() for column in row))

    def is_number(value: object) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def cell(row: Mapping[str, object], column: str) -> str:
        if column not in row:
            return "–"
        value = row[column]
        return f"{value:.{decimals}f}" if is_number(value) else str(value)

    # numbers line up on the right, text on the left
    numeric = [
        all(is_number(row.get(column, 0.0)) for row in rows.values())
        for column in columns
    ]
    # a long column name takes two header lines, so that wide tables fit the book's page
    names = [_two_lines(column) for column in columns]
    header = [
        ["", *(top for top, _ in names)],
        [first_column, *(low for _, low in names)],
    ]
    if not any(top for top, _ in names):
        header = header[1:]
    body = [
        [name, *(cell(row, column) for column in columns)] for name, row in rows.items()
    ]
    lines = [*header, *body]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(
            [line[0].ljust(widths[0])]
            + [
                text.rjust(width) if right else text.ljust(width)
                for text, width, right in zip(line[1:], widths[1:], numeric)
            ]
        ).rstrip()
        for line in lines
    )


def _two_lines(column: str) -> tuple[str, str]:
    """A name longer than 10 characters cut at its most central space: (top, bottom)."""
    spaces = [i for i, char in enumerate(column) if char == " "]
    if len(column) <= 10 or not spaces:
        return "", column
    cut = min(spaces, key=lambda i: abs(2 * i - len(column)))
    return column[:cut], column[cut + 1 :]
