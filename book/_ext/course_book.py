"""A small Sphinx extension for building this book (listed in ``_config.yml``).

- The chapters' kernels are started by the build and inherit its environment: with
  ``TQDM_DISABLE=1`` the training loops draw no progress-bar widget on a built page (in a
  live notebook the bars stay).
- The pages load MathJax and the widget scripts from ``_static`` (copied from
  ``_build/vendor``, which ``make vendor`` fills from the npm registry), never from a CDN,
  so the book reads the same without a network. A missing copy stops the build with the
  command that fetches it.
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.errors import ConfigError


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


def setup(app):
    os.environ.setdefault("TQDM_DISABLE", "1")
    app.connect("config-inited", _check_static_files)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
