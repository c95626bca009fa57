"""Every chapter (`book/NN_*.py`, including chapters still to come) has the parts a reader
relies on: learning goals at the top, a summary and references at the end, citations that
the bibliography resolves, figures with titles, and code that fits the page (88 columns)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re

import jupytext
import pytest
from helpers import BOOK

import course_utils

SOURCES = sorted(BOOK.glob("[0-9][0-9]_*.py"))
WIDTH = (
    88  # the width ruff formats to, and the one the book's theme shows (test_browser)
)
CITATION = re.compile(r"\{cite:[a-z]+\}`([^`]+)`")
# Calls that create a figure; a cell that makes one must give it a title.
FIGURE_CALLS = {"subplots", "figure", "subplot_mosaic"}
TITLE_WORDS = ("title=", "set_title(", "suptitle(")


def _cells(source):
    return jupytext.read(source).cells


def _markdown(source):
    return [cell.source for cell in _cells(source) if cell.cell_type == "markdown"]


def _course_functions():
    """course_utils's functions by name, to look up what a chapter calls."""
    functions = {}
    for module_info in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
        if module_info.name.startswith(("course_utils.teaching", "course_utils.grade")):
            continue  # the instructors' tools: no chapter calls them
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                functions.setdefault(name, value)
    return functions


def _called_names(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else getattr(func, "id", "")
            )
            yield name, node


def test_there_are_chapters():
    assert SOURCES, "book/ should hold the chapters' .py sources"


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_code_lines_fit_the_page(source):
    too_long = [
        f"{len(line)} columns: {line}"
        for cell in _cells(source)
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if len(line) > WIDTH
    ]
    assert not too_long, (
        f"{source.name}: code lines wider than {WIDTH} columns run off the page "
        "(`ruff format` them):\n" + "\n".join(too_long)
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_chapter_opens_with_its_title_and_learning_goals(source):
    first = _markdown(source)[0]
    number = int(source.stem[:2])
    assert first.startswith(f"# {number}. "), (
        f"{source.name} should open with its title '# {number}. ...'"
    )
    assert re.search(r"\*\*Learning goals\.\*\*[^\n]*\n(- .+\n?)+", first), (
        f"{source.name}: the first cell should list the learning goals as "
        "'**Learning goals.** After this chapter you can' and a bullet list"
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_chapter_ends_with_summary_and_references(source):
    cells = _cells(source)
    last_code = max(i for i, cell in enumerate(cells) if cell.cell_type == "code")
    ending = "\n".join(
        cell.source for cell in cells[last_code + 1 :] if cell.cell_type == "markdown"
    )
    assert re.search(r"^## Summary\n\n(- .+\n?)+", ending, re.MULTILINE), (
        f"{source.name} should end, after its last code cell, with '## Summary' and a "
        "bullet list"
    )
    references = ending.partition("## References")[2]
    assert references and CITATION.search(references), (
        f"{source.name} should close with '## References' citing its sources with "
        "{cite:t}`key`"
    )
    assert "[references](references.md)" in references, (
        f"{source.name}: the references should point to the references page"
    )


def test_bibliography_parses():
    """The file the book's bibliography is built from is valid BibTeX (a missing brace stops
    the whole build)."""
    from pybtex.database import parse_file

    assert parse_file(BOOK / "references.bib").entries


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_every_citation_is_in_the_bibliography(source):
    bibliography = (BOOK / "references.bib").read_text()
    known = set(re.findall(r"@\w+\{([^,]+),", bibliography))
    cited = {
        key.strip()
        for text in _markdown(source)
        for keys in CITATION.findall(text)
        for key in keys.split(",")
    }
    assert cited, f"{source.name} cites nothing"
    assert cited <= known, (
        f"{source.name} cites {sorted(cited - known)}, missing from references.bib"
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_figures_have_titles(source):
    """A cell that draws a figure titles it: `title=` for the course's plotting helpers,
    `set_title`/`suptitle` for a matplotlib figure, or a helper that titles its drawing."""
    functions = _course_functions()
    untitled = []
    for cell in _cells(source):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        text = cell.source
        for name, call in _called_names(tree):
            function = functions.get(name)
            keywords = {keyword.arg for keyword in call.keywords}
            if function and "title" in inspect.signature(function).parameters:
                # drawing into a figure of its own, it needs title=; into a given ax, the
                # cell may title that ax (ax.set_title) or the figure (suptitle) instead
                titled_elsewhere = "ax" in keywords and any(
                    word in text for word in ("set_title(", "suptitle(")
                )
                if "title" not in keywords and not titled_elsewhere:
                    untitled.append(f"{name}(...) without title=")
            elif name in FIGURE_CALLS:
                helpers_that_title = [
                    other
                    for other, _ in _called_names(tree)
                    if other in functions
                    and "title" not in inspect.signature(functions[other]).parameters
                    and any(
                        word in inspect.getsource(functions[other])
                        for word in ("set_title(", "suptitle(")
                    )
                ]
                if (
                    not any(word in text for word in TITLE_WORDS)
                    and not helpers_that_title
                ):
                    untitled.append(f"a figure from {name}(...) with no title")
    assert not untitled, f"{source.name}: " + "; ".join(untitled)
