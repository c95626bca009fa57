"""A small Sphinx extension for building this book (listed in ``_config.yml``).

- The chapters' kernels are started by the build and inherit its environment: with
  ``TQDM_DISABLE=1`` the training loops draw no progress-bar widget on a built page (in a
  live notebook the bars stay), and matplotlib's inline backend puts every figure on the
  page even where the shell sets another backend (``MPLBACKEND=Agg`` would drop them all);
  matplotlib's configuration folder is the build's own.
- The pages load MathJax and the widget scripts from ``_static`` (copied from
  ``_build/vendor``, which ``make vendor`` fills from the npm registry), never from a CDN,
  so the book reads the same without a network. A missing copy stops the build with the
  command that fetches it.
- ``static/`` beside this file: the book's CSS (code cells show 88 columns) and the
  settings the widget manager needs (where its fonts are; MathJax 3 for its labels).
- A script that two extensions register (sphinx-thebe's settings are, once per read) is
  put on a page once: twice, its ``const`` declarations raise a console error.
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.errors import ConfigError

STATIC = Path(__file__).parent / "static"


def _check_static_files(app, config) -> None:
    wanted = [config.mathjax_path, *config.nb_ipywidgets_js]
    folders = [Path(app.confdir, entry) for entry in config.html_static_path]
    missing = [
        name
        for name in wanted
        if "://" not in name and not any((f / name).is_file() for f in folders)
    ]
    if missing:
        raise ConfigError(
            f"the book's own copies of {', '.join(missing)} are missing from "
            f"{', '.join(map(str, config.html_static_path))}: run `make vendor`"
        )


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
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    # matplotlib's settings and font cache of the build's own: a user's matplotlibrc does not
    # restyle the pages, and a font cache written by another installation (one that lists
    # none of matplotlib's own fonts) cannot print "findfont" warnings onto them
    os.environ["MPLCONFIGDIR"] = str(Path(app.outdir).parent / "matplotlib")
    app.connect("config-inited", _add_static_folder)
    app.connect("config-inited", _check_static_files)
    app.add_css_file("course_book.css")
    app.connect("html-page-context", _scripts_once, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
