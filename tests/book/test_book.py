"""Both editions of the book build with Jupyter Book 1.x under COURSE_TINY=1 with no warning and
no error (tests/conftest.py: built_editions)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from helpers import EDITIONS, NOTEBOOKS, launch_links


def test_build_executes_every_chapter_once(built_editions):
    """The tests build into a fresh folder, whose cache is empty, so the student edition
    (built first) really runs every chapter; the teacher edition executes the same
    notebooks and takes every one from the cache that both share."""
    logs = {edition: built_editions[edition].log for edition in EDITIONS}
    if None in logs.values():
        pytest.skip("BUILT_BOOK reuses a build whose log is not known")
    executed = {
        edition: [line for line in log.splitlines() if "Executed notebook in" in line]
        for edition, log in logs.items()
    }
    assert len(executed["student"]) == len(NOTEBOOKS), executed["student"]
    assert executed["teacher"] == [], "the teacher edition should reuse the executions"


@pytest.mark.parametrize("edition", EDITIONS)
def test_build_has_no_warnings(built_editions, edition):
    log = built_editions[edition].log
    if log is None:
        pytest.skip("BUILT_BOOK reuses a build whose log is not known")
    # Sphinx's own warnings ("WARNING: ..."), not the kernel's log lines ("[IPKernelApp] WARNING | ...")
    warnings = [line for line in log.splitlines() if "WARNING:" in line]
    assert not warnings, "\n".join(warnings)


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_chapter_page_shows_figures_and_no_traceback(built_editions, notebook, edition):
    html_dir = built_editions[edition].html
    page = (html_dir / "book" / f"{notebook.stem}.html").read_text()
    assert "Traceback" not in page, "a cell's error reached the page"
    leaks = [
        leak
        for leak in ("&lt;Axes:", "&lt;matplotlib.", "&lt;Figure size")
        if leak in page
    ] + re.findall(
        r"&lt;[\w.]+(?: object)? at 0x[0-9a-f]+&gt;|\[None(?:, None)+\]", page
    )
    assert not leaks, (
        f"a cell prints an object's repr {leaks}: end it with `plt.show()` (ruff format "
        "drops a trailing `;` from the .py file)"
    )
    figures = re.findall(r'<img alt="[^"]*" src="../_images/', page)
    assert len(figures) >= 2, "the chapter should show its figures"
    for service, link in launch_links(notebook.stem, edition).items():
        assert f'href="{html.escape(link)}"' in page, f"no {service} button to {link}"


@pytest.mark.parametrize("edition", EDITIONS)
def test_intro_and_references(built_editions, edition):
    html_dir = built_editions[edition].html
    assert (html_dir / "index.html").exists() and (
        html_dir / "book" / "intro.html"
    ).exists()
    references = (html_dir / "book" / "references.html").read_text()
    assert "Baldi" in references and "Kingma" in references


class _Links(HTMLParser):
    """The ids a page defines and the local addresses it links to or loads."""

    def __init__(self):
        super().__init__()
        self.ids, self.targets = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(name):
                self.ids.add(attrs[name])
        for name in ("href", "src"):
            target = attrs.get(name)
            if target and not urlsplit(target).scheme and not target.startswith("//"):
                self.targets.append(target)


@pytest.mark.parametrize("edition", EDITIONS)
def test_internal_links_resolve(built_editions, edition):
    """Every local href and src of every built page points at a file that exists, and every
    #anchor at an id on the page it names."""
    html_dir = built_editions[edition].html
    parsed = {}

    def parse(path: Path) -> _Links:
        if path not in parsed:
            parsed[path] = _Links()
            parsed[path].feed(path.read_text(errors="replace"))
        return parsed[path]

    pages = [p for p in html_dir.rglob("*.html") if "_static" not in p.parts]
    broken = []
    for page in pages:
        for target in parse(page).targets:
            address = urlsplit(target)
            path = (
                (page.parent / unquote(address.path)).resolve()
                if address.path
                else page
            )
            if path.is_dir():
                path = path / "index.html"
            where = f"{page.relative_to(html_dir)} -> {target}"
            if not path.is_file():
                broken.append(f"{where}: no such file")
            elif address.fragment and path.suffix == ".html":
                if unquote(address.fragment) not in parse(path).ids:
                    broken.append(f"{where}: no such anchor")
    assert len(pages) >= len(NOTEBOOKS) + 3
    assert not broken, "broken internal links:\n" + "\n".join(broken)
