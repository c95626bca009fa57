"""Feedback for students: one Markdown file per student, ready to send back.

Per exercise it gives the status, what the status means, and what the check said: the
teaching message of a check that failed (what was expected, and a hint), the summary of
one that passed, or why it could not run.
"""

from __future__ import annotations

import re
from pathlib import Path


def safe_name(student: str) -> str:
    """A file name for ``student`` that stays inside the feedback folder."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._") or "student"


def feedback_markdown(row, exercises: list[str], statuses: dict[str, str]) -> str:
    """The Markdown feedback of one student's row of the grades."""
    lines = [
        f"# Feedback for {row.student}",
        "",
        f"Exercises passed: **{row.total} of {len(exercises)}**.",
        "",
        "| exercise | status |",
        "|---|---|",
        *(f"| {exercise} | {row.status(exercise)} |" for exercise in exercises),
    ]
    for exercise in exercises:
        status = row.status(exercise)
        lines += ["", f"## {exercise}: {status}", "", f"*{statuses[status]}.*"]
        messages = row.messages.get(exercise) or [
            "no notebook of this chapter was graded"
        ]
        for message in dict.fromkeys(messages):  # the same message once
            lines += ["", "```text", message.replace("```", "'''").strip(), "```"]
    return "\n".join(lines) + "\n"


def write_feedback(
    exercises, rows, folder: Path | str, statuses: dict[str, str]
) -> list[Path]:
    """Write ``folder/STUDENT.md`` for every row; return the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for row in rows:
        path = folder / f"{safe_name(row.student)}.md"
        path.write_text(feedback_markdown(row, exercises, statuses), encoding="utf-8")
        written.append(path)
    return written
