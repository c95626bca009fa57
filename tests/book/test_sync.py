"""The .py percent files are the source: each has a committed, output-free .ipynb twin in sync,
each chapter is in the table of contents, and each begins with the Colab-only install cell."""

from __future__ import annotations

import json
import re
import tomllib

import jupytext
import pytest
import yaml
from helpers import BOOK, NOTEBOOKS, ROOT

SOURCES = sorted(BOOK.glob("[0-9][0-9]_*.py"))


def _cells(notebook):
    return [
        (cell.cell_type, cell.source.strip(), sorted(cell.metadata.get("tags", [])))
        for cell in notebook.cells
    ]


def test_every_source_has_a_notebook_and_back():
    assert [p.stem for p in SOURCES] == [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_pair_in_sync(source):
    from_py = jupytext.read(source)
    from_ipynb = jupytext.read(source.with_suffix(".ipynb"))
    assert _cells(from_py) == _cells(from_ipynb), (
        f"{source.name} and its .ipynb differ: run `.venv/bin/jupytext --sync {source.relative_to(ROOT)}`"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_committed_without_outputs(notebook):
    raw = json.loads(notebook.read_text())
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, (
                f"{notebook.name} stores outputs: regenerate it from the .py file with jupytext"
            )


def test_table_of_contents_lists_every_chapter():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = [entry["file"] for entry in toc["chapters"]]
    assert listed[: len(NOTEBOOKS)] == [f"book/{p.stem}" for p in NOTEBOOKS]
    for entry in [toc["root"], *listed]:
        assert any(
            (ROOT / f"{entry}{suffix}").exists() for suffix in (".md", ".ipynb")
        ), entry


# The Colab-only install cell, the same in every chapter. It installs the course at the
# release that _config.yml names (course.release: a tag, or "main" before the first release)
# from the repository that _config.yml names (the launch buttons use the same one); pip keeps
# Colab's own torch and torchvision, which meet pyproject.toml's lower bounds.
INSTALL_CELL = """\
import subprocess
import sys

# the release that _config.yml names (course.release), the same in every chapter
COURSE = "git+{url}@{release}"
if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE], check=True)"""


def _course_install() -> tuple[str, str]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"], str(config["course"]["release"])


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_first_code_cell_installs_the_release_only_in_colab(notebook):
    repository, release = _course_install()
    cells = jupytext.read(notebook).cells
    first = next(i for i, cell in enumerate(cells) if cell.cell_type == "code")
    assert cells[first].source.strip() == INSTALL_CELL.format(
        url=repository, release=release
    ), (
        "the first code cell should be chapter 1's install cell, installing release "
        f"{release} from _config.yml's repository {repository}"
    )
    # off Colab, the Markdown cell before it says in one line how to install the package
    pip_line = f'`pip install "git+{repository}@{release}"`'
    assert pip_line in cells[first - 1].source, (
        f"the setup text before the install cell should give {pip_line}"
    )


def test_install_keeps_colabs_torch():
    """Colab's torch and torchvision satisfy the package's requirements, so the install cell
    does not replace them: lower bounds only, no pins and no upper bounds."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        assert not re.search(r"==|<|~=|!=", requirement), (
            f"{requirement!r} in pyproject.toml could make pip replace Colab's package"
        )
