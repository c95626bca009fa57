"""What the test groups share: the repository's paths and settings, and how a chapter's
launch buttons are addressed. (pyproject's ``pythonpath`` puts tests/ on the path, so every
group imports it as ``helpers``; fixtures live in tests/conftest.py.)"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())

EDITIONS = ("student", "teacher")


def launch_links(chapter: str, edition: str = "teacher") -> dict[str, str]:
    """Colab's and Binder's addresses of a chapter (``"01_linear_autoencoder"``) in an
    edition, derived from _config.yml alone, where the repository's address is kept: the
    teacher edition opens ``book/NN_name.ipynb``, the student edition the student copy in
    the folder that ``course.student_copies`` names."""
    repository = CONFIG["repository"]["url"].removesuffix("/")
    branch = CONFIG["repository"].get("branch", "main")
    owner_and_name = urlsplit(repository).path.strip("/")
    folder = "book" if edition == "teacher" else CONFIG["course"]["student_copies"]
    notebook = f"{folder.strip('/')}/{chapter}.ipynb"
    colab = CONFIG["launch_buttons"]["colab_url"].removesuffix("/")
    binder = CONFIG["launch_buttons"]["binderhub_url"].removesuffix("/")
    return {
        "colab": f"{colab}/github/{owner_and_name}/blob/{branch}/{notebook}",
        "binder": f"{binder}/v2/gh/{owner_and_name}/{branch}?urlpath=tree/{notebook}",
    }
