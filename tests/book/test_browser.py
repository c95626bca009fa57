"""Every page of both editions of the tiny-scale book, opened in headless Chromium as a reader
would see it.

The built HTML is served on 127.0.0.1 and every request to any other address is blocked, so
the test also proves that the book works offline: MathJax comes from the book itself. Per
page: no console error, no blocked or failed request, every image loaded, the math typeset
by MathJax, no traceback, error output, warning or widget (the book has no widget manager),
no code that scrolls sideways in a 1280-pixel-wide window, and the launch buttons pointing
at the edition's notebook (student copy or teacher notebook). A full-page screenshot of
every page goes to _build/screenshots/EDITION/, and one of the first exercise of chapter 1
in each edition to _build/screenshots/EDITION_exercise.png, to be looked at.

Needs Debian's `chromium` (`apt-get install chromium`; `.ci/run` installs it). Without it the
test fails under CI=true and is skipped elsewhere.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from urllib.parse import urlsplit

import pytest
from helpers import EDITIONS, NOTEBOOKS, ROOT, launch_links

SCREENSHOTS = ROOT / "_build" / "screenshots"
# A 1280-pixel-wide window, the narrowest at which the theme shows both sidebars: every
# code cell shows its 88 columns (ruff's line length) without a scroll bar beside them
# (book/_ext/static/course_book.css sets the code's font size to fit).
VIEWPORT = {"width": 1280, "height": 900}
COLUMNS = 88
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHAPTERS = [f"book/{notebook.stem}.html" for notebook in NOTEBOOKS]
PAGES = [
    "index.html",
    "book/intro.html",
    *CHAPTERS,
    "book/references.html",
    "genindex.html",
    "search.html",
]
# Text that must never reach a page: a traceback, a warning, and what a widget or a progress
# bar leaves when its JavaScript does not run. (Error and stderr outputs are found by class.)
FORBIDDEN_TEXT = [
    "Traceback (most recent call last)",
    "Warning:",
    "Loading widget",
    "Error displaying widget",
    "HBox(children",
    "VBox(children",
    "interactive(children",
    "IntProgress(",
    "FloatProgress(",
    "it/s]",
    "s/it]",
]


def _missing(message: str):
    """Fail under CI (which installs everything), skip on a machine without a browser."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        _missing(
            "Debian's chromium is not installed, so the book was not opened in a browser: "
            "run `apt-get update && apt-get install -y chromium` (.ci/run does it)"
        )
    return path


@pytest.fixture(scope="module")
def sites(built_editions):
    """Each edition served on 127.0.0.1 (a free port) for as long as the tests run."""
    servers, urls = [], {}
    for edition in EDITIONS:
        # serves files only
        handler = functools.partial(
            _QuietHandler, directory=str(built_editions[edition].html)
        )
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        urls[edition] = f"http://127.0.0.1:{server.server_address[1]}"
    yield urls
    for server in servers:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports what failed; no log per request
        pass


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed: `make test` installs requirements.txt")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


# Run in the page once MathJax and the widget manager have finished.
_INSPECT = """
(COLUMNS) => {
  const outside = (el, selector) => !el.closest(selector);
  const images = [...document.querySelectorAll('img')].map(img => ({
    src: img.getAttribute('src'), width: img.naturalWidth, height: img.naturalHeight,
    inOutput: !!img.closest('.cell_output, .output'),
  }));
  // Sphinx marks math with the class "math"; MathJax replaces its TeX by mjx-container.
  const mathSources = document.querySelectorAll('.math').length;
  const rendered = document.querySelectorAll('mjx-container').length;
  const article = document.querySelector('article') || document.body;
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const prose = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (outside(node.parentElement, 'pre, code, mjx-container, script, style')) {
      prose.push(node.textContent);
    }
  }
  // Every block of code or text shown, and which of them are code: a cell's input and
  // the code a cell displays (show_source), not the text a cell prints, which wraps.
  const blocks = [...article.querySelectorAll('pre')].filter(pre => pre.getClientRects().length);
  const printed = '.output.stream, .output.text_plain, .output.stderr, .output.traceback';
  const code = blocks.filter(pre => pre.closest('div.highlight') && !pre.closest(printed));
  const overflowing = blocks
    .filter(pre => pre.scrollWidth > pre.clientWidth)
    .map(pre => pre.textContent.split('\\n').reduce((a, b) => a.length > b.length ? a : b));
  // the width of COLUMNS characters of each code block's font, against the room inside
  // its padding: the narrowest block (a solution's cell has a bar beside it)
  const columns = code.map(pre => {
    const style = getComputedStyle(pre);
    const probe = document.createElement('span');
    probe.textContent = 'x'.repeat(COLUMNS);
    pre.appendChild(probe);
    const needed = probe.getBoundingClientRect().width;
    probe.remove();
    const shown = pre.clientWidth - parseFloat(style.paddingLeft)
      - parseFloat(style.paddingRight);
    return {needed, shown, fontSize: style.fontSize};
  }).reduce((narrowest, c) => (narrowest && narrowest.shown - narrowest.needed
    <= c.shown - c.needed) ? narrowest : c, null);
  return {
    images, mathSources, rendered, prose: prose.join(' '),
    outputText: [...document.querySelectorAll('.cell_output')].map(o => o.innerText).join('\\n'),
    errorOutputs: document.querySelectorAll(
      '.cell_output .stderr, .cell_output .traceback, .cell_output .error').length,
    widgetStates: document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]').length,
    widgetsShown: document.querySelectorAll('.jupyter-widgets, .widget-interact').length,
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    overflowing, columns,
  };
}
"""


# The first exercise of chapter 1, screenshotted in each edition: its task, the cell the
# answer goes in (student) or the marked solution (teacher), and its check.
EXERCISE_PAGE = CHAPTERS[0]
EXERCISE_SECTION = "section[id^='exercise-ex-1-1']"


def _open(browser, url: str, screenshot) -> dict:
    """Open one page offline; what the test saw. ``screenshot(page)`` takes its pictures."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    blocked, failed, console_errors = [], [], []

    def route(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", route)
    page.on(
        "console",
        lambda message: (
            console_errors.append(f"{message.text} ({message.location.get('url')})")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    page.on(
        "requestfailed",
        lambda request: failed.append(f"{request.url}: {request.failure}"),
    )
    page.on(
        "response",
        lambda response: (
            failed.append(f"{response.url}: HTTP {response.status}")
            if response.status >= 400
            else None
        ),
    )
    page.goto(url, wait_until="load")
    # MathJax typesets after the page has loaded.
    page.wait_for_function(
        "() => document.readyState === 'complete' && (!window.MathJax"
        " || (window.MathJax.startup && window.MathJax.startup.promise))"
    )
    page.evaluate(
        "() => window.MathJax && window.MathJax.startup"
        " ? window.MathJax.startup.promise.then(() => true) : null"
    )
    page.wait_for_load_state("networkidle")
    report = page.evaluate(_INSPECT, COLUMNS)
    report.update(
        url=page.url, blocked=blocked, failed=failed, console_errors=console_errors
    )
    screenshot(page)
    context.close()
    return report


@pytest.fixture(scope="module")
def pages(sites, browser):
    """Each page of each edition opened once, offline: what the test saw, by
    ``(edition, page)``, and the screenshots taken."""
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    seen = {}
    for edition in EDITIONS:
        folder = SCREENSHOTS / edition
        folder.mkdir(parents=True)
        for name in PAGES:

            def screenshot(page, name=name, edition=edition, folder=folder):
                shot = name.replace("/", "__").replace(".html", ".png")
                page.screenshot(path=str(folder / shot), full_page=True)
                if name == EXERCISE_PAGE:
                    # a clip of the full-page picture: an element's own screenshot
                    # scrolls to it, under the theme's sticky header
                    page.evaluate("() => window.scrollTo(0, 0)")
                    box = page.locator(EXERCISE_SECTION).bounding_box()
                    page.screenshot(
                        path=str(SCREENSHOTS / f"{edition}_exercise.png"),
                        full_page=True,
                        clip=box,
                    )

            seen[edition, name] = _open(browser, f"{sites[edition]}/{name}", screenshot)
    return seen


EVERY_PAGE = [(edition, name) for edition in EDITIONS for name in PAGES]
EVERY_CHAPTER = [(edition, name) for edition in EDITIONS for name in CHAPTERS]


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_built_page_is_opened(built_editions, edition):
    html_dir = built_editions[edition].html
    built = sorted(
        str(path.relative_to(html_dir))
        for path in html_dir.rglob("*.html")
        if "_static" not in path.parts and "_sources" not in path.parts
    )
    assert built == sorted(PAGES), "a page is missing from PAGES, or was not built"


@pytest.mark.parametrize("edition, name", EVERY_PAGE)
def test_page_works_offline_without_errors(pages, edition, name):
    report = pages[edition, name]
    assert not report["blocked"], (
        f"{name} asks the network for {report['blocked']}: ship it with the book"
    )
    assert not report["failed"], f"requests of {name} failed: {report['failed']}"
    assert not report["console_errors"], (
        f"console errors on {name}: {report['console_errors']}"
    )


@pytest.mark.parametrize("edition, name", EVERY_PAGE)
def test_every_image_loaded(pages, edition, name):
    broken = [
        image["src"]
        for image in pages[edition, name]["images"]
        if not (image["width"] > 0 and image["height"] > 0)
    ]
    assert not broken, f"images of {name} that did not load: {broken}"


@pytest.mark.parametrize("edition, name", EVERY_PAGE)
def test_math_is_typeset(pages, edition, name):
    report = pages[edition, name]
    if report["mathSources"]:
        assert report["rendered"] >= report["mathSources"], (
            f"{name}: {report['mathSources']} formulas, only {report['rendered']} "
            "typeset by MathJax"
        )
    raw = [
        marker
        for marker in ("$", "\\(", "\\[", "\\begin{")
        if marker in report["prose"]
    ]
    assert not raw, (
        f"{name} shows raw TeX ({raw}) outside code: a formula was not typeset"
    )


@pytest.mark.parametrize("edition, name", EVERY_PAGE)
def test_no_error_warning_or_widget_placeholder(pages, edition, name):
    report = pages[edition, name]
    assert report["errorOutputs"] == 0, f"{name} shows an error or stderr output"
    shown = [text for text in FORBIDDEN_TEXT if text in report["outputText"]]
    assert not shown, f"{name} shows {shown} in a cell's output"
    assert not report["widgetStates"] and not report["widgetsShown"], (
        f"{name} has a widget: the book ships no widget manager, so a built page must "
        "draw a static figure instead (chapter 2's explorer does, under COURSE_BOOK_BUILD)"
    )


@pytest.mark.parametrize("edition, name", EVERY_PAGE)
def test_no_code_scrolls_sideways(pages, edition, name):
    """In a 1280-pixel-wide window every code block shows 88 columns, and none needs a
    scroll bar: code stays within ruff's 88 columns, printed text wraps."""
    report = pages[edition, name]
    columns = report["columns"]
    assert columns or name not in CHAPTERS, f"{name} shows no code"
    assert not columns or columns["needed"] <= columns["shown"], (
        f"{name}: a code cell {VIEWPORT['width']} pixels wide shows fewer than "
        f"{COLUMNS} columns ({columns})"
    )
    assert not report["overflowing"], (
        f"{name}: code that scrolls sideways at {VIEWPORT['width']} pixels; the longest "
        f"line of each block: {report['overflowing']}"
    )


@pytest.mark.parametrize("edition, name", EVERY_CHAPTER)
def test_chapter_launch_links_and_figures(pages, edition, name):
    report = pages[edition, name]
    expected = launch_links(name.removeprefix("book/").removesuffix(".html"), edition)
    for service, link in expected.items():
        assert link in report["links"], (
            f"{name} has no {service} button to {link}; its links: "
            f"{[a for a in report['links'] if service in a]}"
        )
    figures = [image for image in report["images"] if image["inOutput"]]
    assert figures, f"{name} shows no figure from its cells"
