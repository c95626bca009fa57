"""A small Sphinx extension for building this book (listed in ``_config.yml``).

- The chapters' kernels are started by the build and inherit its environment: with
  ``TQDM_DISABLE=1`` the training loops draw no progress-bar widget on a built page (in a
  live notebook the bars stay), with ``COURSE_BOOK_BUILD=1`` chapter 2's slider explorer
  draws a static figure instead of a widget that a page cannot run, and matplotlib's inline
  backend puts every figure on the page even where the shell sets another backend
  (``MPLBACKEND=Agg`` would drop them all); matplotlib's configuration folder is the build's
  own.
- The book has two editions, student (the default) and teacher: see ``editions.py``.
- ``COURSE_BOOK_CACHE`` (set by ``make book``) puts the executed chapters in one cache that
  both editions share, so the second edition executes nothing.
- MathJax 3 is served by the book itself, never by a CDN, so the pages read the same without
  a network: the build copies what the pages use from the pinned PyPI package
  ``django-static-mathjax`` (MathJax 3.2.2, Apache-2.0) into ``_static/mathjax``. No page
  needs the ipywidgets manager: the book shows no live widget.
- ``static/`` beside this file: the book's CSS (code shows its 88 columns without a
  scroll bar in a 1280-pixel-wide window, printed text wraps; the editions' labels).
- A script that two extensions register (sphinx-thebe's settings are, once per read) is
  put on a page once: twice, its ``const`` declarations raise a console error.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from sphinx.errors import ConfigError

sys.path.insert(0, str(Path(__file__).parent))
import editions  # noqa: E402  (beside this file, which Jupyter Book puts on the path)

STATIC = Path(__file__).parent / "static"
# What the pages use of MathJax's es5 bundle: the TeX-to-HTML component, its fonts, and the
# menu, accessibility and speech parts it loads on demand.
MATHJAX_PARTS = ["tex-chtml-full.js", "output/chtml/fonts/woff-v2", "ui", "a11y", "sre"]
MATHJAX_VERSION = "3.2.2"


def mathjax_folder() -> Path:
    """MathJax's es5 bundle inside the installed ``django-static-mathjax`` package."""
    try:
        import mathjax  # django-static-mathjax's package
    except ImportError as error:
        raise ConfigError(
            "MathJax for the book comes from the PyPI package django-static-mathjax: "
            "run `pip install -r requirements.txt` (make book does)"
        ) from error
    folder = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    main = folder / "tex-chtml-full.js"
    if not main.is_file() or f'"{MATHJAX_VERSION}"' not in main.read_text()[:200_000]:
        raise ConfigError(
            f"{main} is not MathJax {MATHJAX_VERSION}: install requirements.txt's "
            "django-static-mathjax"
        )
    return folder


def _check_mathjax(app, config) -> None:
    mathjax_folder()


def _copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source, target = mathjax_folder(), Path(app.outdir, "_static", "mathjax")
    for part in MATHJAX_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / part, target / part)
    shutil.copyfile(source.parent / "LICENSE", target / "LICENSE")


def _shared_cache(app, config) -> None:
    if os.environ.get("COURSE_BOOK_CACHE"):
        config.nb_execution_cache_path = os.environ["COURSE_BOOK_CACHE"]


def _add_static_folder(app, config) -> None:
    config.html_static_path.append(str(STATIC))


def _scripts_once(app, pagename, templatename, context, doctree) -> None:
    seen, unique = set(), []
    for script in context.get("script_files", []):
        # the same script, whether its empty file name is None or ""
        key = (
            script.filename or "",
            script.priority,
            sorted(script.attributes.items()),
        )
        key = repr(key)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ["COURSE_BOOK_BUILD"] = "1"
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    # matplotlib's settings and font cache of the build's own: a user's matplotlibrc does not
    # restyle the pages, and a font cache written by another installation (one that lists
    # none of matplotlib's own fonts) cannot print "findfont" warnings onto them
    os.environ["MPLCONFIGDIR"] = str(Path(app.outdir).parent / "matplotlib")
    app.connect("config-inited", _add_static_folder)
    app.connect("config-inited", _check_mathjax)
    app.connect("config-inited", _shared_cache)
    app.connect("build-finished", _copy_mathjax)
    app.add_css_file("course_book.css")
    app.connect("html-page-context", _scripts_once, priority=900)
    editions.setup(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
