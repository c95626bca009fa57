"""The repository's documents and the chapter template stay true to the repository.

- Every relative link in README.md, CONTRIBUTING.md, CHANGELOG.md and docs/*.md leads to a
  file that exists, and to a heading of it where the link names one; every repository path
  they name in code (``course_utils/teaching/grade.py``) exists, and so does every file they
  name bare (``test_sync.py``, ``equivalent.toml``), wherever it lives.
- ``book/_template.py`` passes the structure tests every chapter passes (tests/book's
  ``test_chapters.py``, the install cell of ``test_sync.py``, the exercise convention) without
  being a chapter: the chapter globs (``[0-9][0-9]_*``) do not match it. And it runs, at the
  tiny scale, in seconds.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import os
import re
import shutil
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "book" / "_template.py"
DOCUMENTS = [
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
    ROOT / "CHANGELOG.md",
    *sorted((ROOT / "docs").glob("*.md")),
]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
# a bare file name worth checking (``test_sync.py``); examples carry placeholders
BARE_FILE = re.compile(r"[\w.-]+\.(?:py|toml|yml|md|ipynb)")
TOP_FOLDERS = {
    "book",
    "course_utils",
    "tests",
    "bench",
    "docs",
    "student",
    ".ci",
    ".github",
}
PLACEHOLDERS = re.compile(r"NN|STUDENT|YOURNAME|OWNER|alice|<|\*|…|\.\.\.")


def _test_module(name: str):
    """A module of the test suite by file name, wherever its group put it."""
    path = next((ROOT / "tests").rglob(f"{name}.py"))
    spec = importlib.util.spec_from_file_location(f"docs_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _files() -> set[str]:
    """The repository's files, relative to it (the folders a fresh clone has, not .venv or
    _build)."""
    folders = [path for path in ROOT.iterdir() if path.name in TOP_FOLDERS]
    found = {path for folder in folders for path in folder.rglob("*") if path.is_file()}
    found |= {path for path in ROOT.iterdir() if path.is_file()}
    return {str(path.relative_to(ROOT)) for path in found}


def _slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(document: Path) -> set[str]:
    text = FENCE.sub("", document.read_text(encoding="utf-8"))
    anchors, seen = set(), {}
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        slug = _slug(heading)
        anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_relative_link_resolves(document):
    text = FENCE.sub("", document.read_text(encoding="utf-8"))
    broken = []
    for target in LINK.findall(CODE.sub("", text)):
        # https:, mailto: and the like lead outside the repository
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no heading with the anchor #{anchor}")
    assert not broken, f"{document.name}: " + "; ".join(broken)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_file_named_exists(document):
    files = _files()
    folders = {str(Path(name).parent) for name in files} | {""}
    names = {Path(name).name for name in files}
    tops = {name.split("/")[0] for name in files}
    missing = []
    for span in CODE.findall(document.read_text(encoding="utf-8")):
        span = span.strip().rstrip("/")
        if " " in span or PLACEHOLDERS.search(span):
            continue
        if "/" in span and span.split("/")[0] in tops:
            if span not in files and span not in folders:
                missing.append(span)
        elif BARE_FILE.fullmatch(span) and span not in names:
            missing.append(span)
    assert not missing, f"{document.name} names files that do not exist: {missing}"


def _structure_tests():
    """Every per-chapter test of test_chapters.py (a test taking one ``source``), and the
    install-cell test of test_sync.py."""
    chapters = _test_module("test_chapters")
    found = [
        function
        for name, function in sorted(vars(chapters).items())
        if name.startswith("test_")
        and callable(function)
        and list(inspect.signature(function).parameters) == ["source"]
    ]
    sync = _test_module("test_sync")
    return [*found, sync.test_first_code_cell_installs_the_release_only_in_colab]


def test_the_template_is_not_a_chapter():
    assert TEMPLATE not in TEMPLATE.parent.glob("[0-9][0-9]_*.py")
    assert "_template" not in (ROOT / "_toc.yml").read_text()


def test_the_template_is_paired_like_a_chapter():
    """A new chapter copies both files: the .ipynb is in sync and holds no outputs."""
    sync = _test_module("test_sync")
    sync.test_pair_in_sync(TEMPLATE)
    sync.test_notebook_is_committed_without_outputs(TEMPLATE.with_suffix(".ipynb"))


@pytest.mark.parametrize("structure_test", _structure_tests(), ids=lambda f: f.__name__)
def test_the_template_has_a_chapters_structure(structure_test, tmp_path):
    # the tests read the chapter's number from its file name, as for book/NN_name.py
    number = re.match(r"# (\d+)\. ", jupytext.read(TEMPLATE).cells[0].source)[1]
    chapter = tmp_path / f"{int(number):02d}_template.py"
    shutil.copy(TEMPLATE, chapter)
    structure_test(chapter)


def test_the_template_follows_the_exercise_convention():
    from course_utils.teaching.exercises import exercise_ids, validate_exercises
    from course_utils.teaching.student import make_student_copy

    notebook = jupytext.read(TEMPLATE)
    validate_exercises(notebook)
    assert exercise_ids(notebook)
    student = make_student_copy(notebook)
    assert "decoder_padding = [" not in "".join(cell.source for cell in student.cells)


def test_the_template_loads_its_data_at_the_top_level():
    """As tests/claims' test_scales.py requires of a chapter: every load_mnist call is a
    top-level assignment, with its size from by_scale."""
    tree = ast.parse(TEMPLATE.read_text())
    loads = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", "")) == "load_mnist"
    ]
    top_level = [
        statement
        for statement in tree.body
        if isinstance(statement, ast.Assign)
        and any(node in loads for node in ast.walk(statement))
    ]
    assert loads and len(top_level) == len(loads)
    assert "cu.config.by_scale(" in TEMPLATE.read_text()


# it runs a notebook: left out of `make test-fast`
@pytest.mark.slow
def test_the_template_runs_at_the_tiny_scale(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    for name, value in {
        "COURSE_TINY": "1",
        "COURSE_OFFLINE": "1",
        "MPLBACKEND": "Agg",
        "TQDM_DISABLE": "1",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), os.getenv("PYTHONPATH")])
        ),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COURSE_SCALE", raising=False)
    notebook = jupytext.read(TEMPLATE)
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    printed = "".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    assert "scale: tiny" in printed and "✔ ex-2.1 passed" in printed, printed
