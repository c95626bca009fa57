"""The book's two editions, built from the same teacher notebooks (``course_book`` loads this).

- **student** (the default: what a course publishes): every exercise shows its task, its
  check's code and, in place of the solution, the cell as the student copy has it
  (``# YOUR CODE HERE``). The solution's code and outputs, the check's output (it prints
  measured numbers) and instructor-only content are not on the page, nor in the search
  index, nor in ``_sources/``: a chapter's ``.ipynb`` download is its student copy. Launch
  buttons open the student copies (``_config.yml``: ``course.student_copies``).
- **teacher**: every cell and output, each solution marked as the solution, a banner on every
  page; launch buttons open the teacher notebooks in ``book/``.

The notebooks are executed unchanged in both editions (jupyter-cache hashes the code cells
with their metadata, so both share one cache entry per chapter); the student edition is
made from the executed notebook's rendered page, so cells after an exercise still find its
results. The edition comes from the environment variable ``COURSE_EDITION`` (``make book
EDITION=teacher`` sets it); unset, a build is the student edition, so that a plain
``jupyter-book build .`` never publishes answers.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import nbformat
import yaml
from docutils import nodes
from sphinx.errors import ConfigError
from sphinx.transforms import SphinxTransform

from course_utils.teaching.exercises import (
    BEGIN_SOLUTION,
    CHECK,
    INSTRUCTOR,
    SOLUTION,
    exercise_id,
    has_line,
    tags,
)
from course_utils.teaching.student import make_student_copy, student_cell

EDITIONS = ("student", "teacher")
TEACHER_BANNER = (
    "Teacher edition: the exercises' solutions are shown. Publish the student edition "
    "(<code>make book</code>) instead."
)


def edition() -> str:
    value = os.environ.get("COURSE_EDITION", "") or "student"
    if value not in EDITIONS:
        raise ConfigError(
            f"COURSE_EDITION: {value!r} is not an edition of the book; use one of {EDITIONS}"
        )
    return value


def course_settings(confdir: str | Path) -> dict:
    """The ``course:`` section of ``_config.yml`` (release tag, where student copies live)."""
    config = yaml.safe_load(Path(confdir, "_config.yml").read_text())
    return config.get("course", {})


@cache
def _notebook(path: str) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _paragraph(text: str, css_class: str) -> nodes.container:
    box = nodes.container(classes=[css_class])
    box += nodes.paragraph(text, text)
    return box


def _show_source(cell_node: nodes.container, source: str) -> None:
    """Make the code shown in ``cell_node`` read ``source``."""
    for block in cell_node.findall(nodes.literal_block):
        block.children = [nodes.Text(source)]
        block.rawsource = source
        return


def _remove_outputs(cell_node: nodes.container) -> None:
    for child in list(cell_node.children):
        if child.get("nb_element") == "cell_code_output":
            cell_node.remove(child)


class Edition(SphinxTransform):
    """Turn a chapter's executed cells into the edition's: runs as each page is read, before
    Sphinx collects its images, so a removed figure is never copied into the site."""

    default_priority = 400

    def apply(self, **kwargs) -> None:
        path = self.env.doc2path(self.env.docname)
        if not str(path).endswith(".ipynb"):
            return
        notebook = _notebook(str(path))
        cells = [
            node
            for node in self.document.findall(nodes.container)
            if node.get("nb_element") == "cell_code"
        ]
        for node in cells:
            cell = notebook.cells[node["cell_index"]]
            if edition() == "teacher":
                self._mark(node, cell)
            else:
                self._student(node, cell, node["cell_index"])

    @staticmethod
    def _mark(node: nodes.container, cell) -> None:
        if SOLUTION in tags(cell):
            label = f"Solution of {exercise_id(cell)} (the student edition hides it)"
            node.parent.insert(
                node.parent.index(node), _paragraph(label, "solution-label")
            )
        elif INSTRUCTOR in tags(cell):
            label = "Instructor only (not in the student edition)"
            node.parent.insert(
                node.parent.index(node), _paragraph(label, "solution-label")
            )

    @staticmethod
    def _student(node: nodes.container, cell, index: int) -> None:
        cell_tags = tags(cell)
        if INSTRUCTOR in cell_tags:
            node.parent.remove(node)
            return
        student = student_cell(cell, index)
        if student.source == cell.source:
            return
        _show_source(node, student.source)
        _remove_outputs(node)
        if SOLUTION in cell_tags:
            note = (
                f"Your answer to {exercise_id(cell)} goes in this cell of your copy of the "
                "chapter (the launch buttons above open it)."
            )
            node.parent.insert(
                node.parent.index(node), _paragraph(note, "exercise-label")
            )
        elif CHECK in cell_tags:
            note = (
                "Run this check in your copy of the chapter: it fails until your answer is "
                "there, then says what it measured."
            )
            node += _paragraph(note, "check-note")


def check_notebooks(app, config) -> None:
    """The student edition replaces solution code only in code cells: a Markdown answer
    would reach the page, so the build refuses it."""
    if edition() != "student":
        return
    for path in sorted(Path(app.confdir, "book").glob("[0-9][0-9]_*.ipynb")):
        for index, cell in enumerate(_notebook(str(path)).cells):
            if cell.cell_type != "code" and has_line(cell, BEGIN_SOLUTION):
                raise ConfigError(
                    f"{path.name}: cell {index} is a Markdown solution; the student edition "
                    "can only hide solutions in code cells"
                )


def teacher_banner(app, config) -> None:
    if edition() == "teacher":
        config.html_theme_options["announcement"] = TEACHER_BANNER


def launch_buttons(app, pagename, templatename, context, doctree) -> None:
    """In the student edition a chapter's Colab and Binder buttons open its student copy."""
    if edition() != "student" or not Path(app.srcdir, f"{pagename}.ipynb").is_file():
        return
    folder = course_settings(app.confdir).get("student_copies", "student").strip("/")
    teacher_path = f"{pagename}.ipynb"
    student_path = f"{folder}/{Path(pagename).name}.ipynb"
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            if "url" in button:
                button["url"] = button["url"].replace(teacher_path, student_path)


def student_sources(app, exception) -> None:
    """A chapter's ``.ipynb`` download (``_sources/``) is its student copy."""
    if exception is not None or edition() != "student" or app.builder.format != "html":
        return
    sources = Path(app.outdir, "_sources")
    for docname in app.env.found_docs:
        source = Path(app.srcdir, f"{docname}.ipynb")
        target = sources / f"{docname}.ipynb"
        if source.is_file() and target.is_file():
            teacher = nbformat.read(source, as_version=4)
            nbformat.write(make_student_copy(teacher, chapter=source.stem), target)


def setup(app) -> None:
    app.add_transform(Edition)
    app.connect("config-inited", check_notebooks)
    app.connect("config-inited", teacher_banner)
    app.connect("html-page-context", launch_buttons, priority=800)
    app.connect("build-finished", student_sources)
