"""Helpers for the notebooks: showing a class's source as part of the lesson."""

from __future__ import annotations

import inspect
import textwrap


def show_source(obj) -> None:
    """Display the source of a class or function from ``course_utils`` as a code block.

    The lesson shows the real code the chapter runs, not a second copy that could drift.
    """
    from IPython.display import Markdown, display

    source = textwrap.dedent(inspect.getsource(obj))
    display(Markdown(f"```python\n{source}```"))
