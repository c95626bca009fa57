"""The two editions of the book (book/_ext/editions.py), built by tests/conftest.py's
built_editions as a new user builds them: `make book` and `make book EDITION=teacher` in a
fresh copy of the repository, with Node hidden.

- Building needs Python and make only: no call reaches `node`, `npm` or `npx`.
- The student edition gives no answer away: no distinctive line of any solution region, no
  number that only a solution or its check prints, and no figure that a solution draws
  appears anywhere in its html folder (pages, search index, `_sources/`, `_images/`); each
  exercise shows the student copy's placeholder instead, and a chapter's `.ipynb` download is
  its student copy.
- The teacher edition shows every solution, marked as such.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from helpers import BOOK, CONFIG, EDITIONS, NOTEBOOKS, ROOT

from course_utils.teaching.exercises import (
    BEGIN_SOLUTION,
    CHECK,
    END_SOLUTION,
    SOLUTION,
    exercise_id,
    read_notebook,
    tags,
)
from course_utils.teaching.student import make_student_copy

# Numbers of at least three significant digits (0.0123, 12.5, 1234) and percentages with a
# decimal (93.4%): short ones such as 0.5 or 28 are on every page anyway.
NUMBER = re.compile(
    r"(?<![\w.])(?:\d*\.\d{3,}|\d\.\d{2,}|\d{4,}(?![\w.])|\d{1,3}\.\d%)"
)


def solution_lines(cell) -> list[str]:
    """The stripped lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION``."""
    lines, inside = [], False
    for line in cell.source.splitlines():
        marker = line.strip()
        if marker == BEGIN_SOLUTION:
            inside = True
        elif marker == END_SOLUTION:
            inside = False
        elif inside and marker:
            lines.append(marker)
    return lines


def distinctive_lines(teacher, executed) -> list[str]:
    """Solution lines that nothing else in the chapter shows: not the student copy (lines
    such as ``fig.tight_layout()`` are in other cells too), not another cell's output (a
    page may show the source of a class that an answer's class resembles)."""
    elsewhere = "\n".join(
        [output_text(c) for c in executed.cells if not {SOLUTION, CHECK} & set(tags(c))]
        + [c.source for c in make_student_copy(teacher).cells]
    )
    elsewhere = "\n".join(line.strip() for line in elsewhere.splitlines())
    return [
        line
        for cell in teacher.cells
        if SOLUTION in tags(cell)
        for line in solution_lines(cell)
        if len(line) >= 12 and line not in elsewhere
    ]


def output_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        for mime, data in output.get("data", {}).items():
            if mime.startswith("text/"):
                parts.append(data if isinstance(data, str) else "".join(data))
    return "\n".join(parts)


def revealing_numbers(executed, teacher) -> set[str]:
    """Numbers printed by a solution or check cell and nowhere else in the chapter: not by
    another cell, not in the source or prose that the student copy shows."""
    answer_cells = [c for c in executed.cells if {SOLUTION, CHECK} & set(tags(c))]
    others = "\n".join(
        [output_text(c) for c in executed.cells if c not in answer_cells]
        + [c.source for c in make_student_copy(teacher).cells]
    )
    printed = set(NUMBER.findall("\n".join(output_text(c) for c in answer_cells)))
    return {number for number in printed if not _contains(others, number)}


def _contains(text: str, number: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(number)}(?!\d)", text) is not None


def solution_images(executed) -> set[str]:
    """sha256 of every picture a solution or check cell draws."""
    digests = set()
    for cell in executed.cells:
        if {SOLUTION, CHECK} & set(tags(cell)):
            for output in cell.get("outputs", []):
                for mime, data in output.get("data", {}).items():
                    if mime.startswith("image/") and mime != "image/svg+xml":
                        digests.add(hashlib.sha256(base64.b64decode(data)).hexdigest())
    return digests


def site_texts(html_dir: Path) -> dict[str, str]:
    """Every text file of a built site by its path in the site, HTML reduced to what a
    reader sees (tags dropped, entities decoded), all to single spaces, so that a
    highlighted line of code reads as its source."""
    texts = {}
    for path in sorted(html_dir.rglob("*")):
        name = path.relative_to(html_dir).as_posix()
        if not path.is_file() or path.suffix in {".png", ".jpg", ".woff", ".woff2"}:
            continue
        if name.startswith("_static/"):
            continue  # the theme's and MathJax's files
        text = path.read_text(errors="replace")
        if path.suffix == ".html":
            text = html.unescape(re.sub(r"<[^>]+>", "", text))
        texts[name] = re.sub(r"\s+", " ", text)
    return texts


def chapter_text(texts: dict[str, str], chapter: str) -> str:
    """What could give a chapter's answers away: its page, its download, and every file of
    the site that is not another chapter's page (the search index, the indexes)."""
    others = {f"book/{n.stem}.html" for n in NOTEBOOKS} | {
        f"_sources/book/{n.name}" for n in NOTEBOOKS
    }
    mine = {f"book/{chapter}.html", f"_sources/book/{chapter}.ipynb"}
    return "\n".join(
        t for name, t in texts.items() if name in mine or name not in others
    )


def squeeze(line: str) -> str:
    return re.sub(r"\s+", " ", line)


def executed_notebooks(built_editions) -> dict[str, nbformat.NotebookNode]:
    """Each chapter as the build executed it: the teacher notebook (as the build read it,
    from its copy of the repository) with the outputs that the editions' shared
    jupyter-cache holds."""
    from jupyter_cache import get_cache

    folder = built_editions["teacher"].cache
    if folder is None:
        pytest.skip("BUILT_BOOK reuses a build whose execution cache is not known")
    cache = get_cache(folder)
    executed = {}
    for notebook in NOTEBOOKS:
        teacher = teacher_notebook(built_editions, notebook)
        _, executed[notebook.stem] = cache.merge_match_into_notebook(teacher)
    return executed


def teacher_notebook(built_editions, notebook: Path) -> nbformat.NotebookNode:
    """A chapter as the build read it: from the copy of the repository that the tests made
    when they started (edits made while they run do not count)."""
    return read_notebook(built_editions["teacher"].source / "book" / notebook.name)


def test_make_book_needs_no_node(built_editions):
    """Both editions were built with `node`, `npm` and `npx` replaced by stand-ins that
    fail: nothing called them."""
    calls = built_editions.get("node_calls")
    if calls is None:
        pytest.skip("BUILT_BOOK reuses a build made elsewhere")
    assert not calls.exists(), f"the build called Node: {calls.read_text()}"
    for edition in EDITIONS:
        assert (built_editions[edition].html / "index.html").is_file()
        mathjax = built_editions[edition].html / "_static" / "mathjax"
        assert (mathjax / "tex-chtml-full.js").is_file() and (
            mathjax / "LICENSE"
        ).is_file()


@pytest.fixture(scope="module")
def student_site(built_editions) -> dict[str, str]:
    return site_texts(built_editions["student"].html)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_student_edition_shows_no_solution_line(built_editions, student_site, notebook):
    executed = executed_notebooks(built_editions)[notebook.stem]
    lines = distinctive_lines(teacher_notebook(built_editions, notebook), executed)
    assert lines, f"{notebook.name}: its solutions should have lines of their own"
    text = chapter_text(student_site, notebook.stem)
    leaked = [line for line in lines if squeeze(line) in text]
    assert not leaked, (
        f"solution lines of {notebook.name} in the student edition: {leaked}"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_student_edition_shows_no_number_only_the_answer_prints(
    built_editions, student_site, notebook
):
    executed = executed_notebooks(built_editions)[notebook.stem]
    numbers = revealing_numbers(executed, teacher_notebook(built_editions, notebook))
    text = chapter_text(student_site, notebook.stem)
    leaked = sorted(number for number in numbers if _contains(text, number))
    assert not leaked, (
        f"numbers that only {notebook.name}'s solutions and checks print are in the "
        f"student edition: {leaked}"
    )


def test_the_line_test_can_fail(built_editions):
    """The teacher edition shows the solution lines: the line test looks for something that
    is there to find."""
    teacher_site = site_texts(built_editions["teacher"].html)
    for chapter, executed in executed_notebooks(built_editions).items():
        teacher = teacher_notebook(built_editions, BOOK / f"{chapter}.ipynb")
        lines = distinctive_lines(teacher, executed)
        text = chapter_text(teacher_site, chapter)
        assert all(squeeze(line) in text for line in lines), chapter


def test_the_number_test_can_fail(built_editions):
    """The teacher edition does show the numbers the answers print: the test above looks
    for something that is there to find."""
    teacher_site = site_texts(built_editions["teacher"].html)
    found = [
        number
        for chapter, executed in executed_notebooks(built_editions).items()
        for number in revealing_numbers(
            executed, teacher_notebook(built_editions, BOOK / f"{chapter}.ipynb")
        )
        if _contains(chapter_text(teacher_site, chapter), number)
    ]
    assert len(found) >= len(NOTEBOOKS), (
        f"only {found} of the numbers the answers print reached the teacher edition"
    )


def test_student_edition_shows_no_solution_figure(built_editions):
    digests = set()
    for executed in executed_notebooks(built_editions).values():
        digests |= solution_images(executed)
    assert digests, "the solutions draw figures; the test should look for them"
    for edition in EDITIONS:
        images = built_editions[edition].html / "_images"
        shown = {hashlib.sha256(p.read_bytes()).hexdigest() for p in images.iterdir()}
        if edition == "student":
            assert not digests & shown, (
                "a figure drawn by a solution is in the student edition"
            )
        else:
            assert digests & shown, (
                "the teacher edition should show the solutions' figures"
            )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_each_exercise_shows_its_placeholder_or_its_marked_solution(
    built_editions, notebook
):
    teacher = teacher_notebook(built_editions, notebook)
    exercises = [exercise_id(c) for c in teacher.cells if SOLUTION in tags(c)]
    pages = {
        edition: html.unescape(
            re.sub(
                r"<[^>]+>",
                "",
                (
                    built_editions[edition].html / "book" / f"{notebook.stem}.html"
                ).read_text(),
            )
        )
        for edition in EDITIONS
    }
    for exercise in exercises:
        placeholder = (
            f'raise NotImplementedError("{exercise}: write your solution here")'
        )
        assert (
            placeholder in pages["student"]
            and f"Your answer to {exercise}" in pages["student"]
        )
        assert placeholder not in pages["teacher"]
        assert f"Solution of {exercise}" in pages["teacher"]
        assert f"Solution of {exercise}" not in pages["student"]
    banner = "Teacher edition: the exercises' solutions are shown"
    assert banner in pages["teacher"] and banner not in pages["student"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_the_notebook_download_is_the_editions_notebook(built_editions, notebook):
    teacher = teacher_notebook(built_editions, notebook)
    downloads = {
        edition: read_notebook(
            built_editions[edition].html / "_sources" / "book" / notebook.name
        )
        for edition in EDITIONS
    }
    assert downloads["student"] == make_student_copy(teacher, chapter=notebook.stem)
    assert downloads["teacher"] == teacher


def test_the_workflow_publishes_the_student_edition_only():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    commands = "\n".join(step.get("run", "") for step in steps)
    assert "make book" in commands and "EDITION=teacher" not in commands
    pages = next(
        step
        for step in steps
        if step.get("uses", "").startswith("actions/upload-pages-artifact")
    )
    assert pages["with"]["path"] == "_build/student/html"
    assert f"{CONFIG['course']['student_copies']}/*.ipynb" in commands
