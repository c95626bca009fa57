"""The package's layout: what a student imports stays free of the instructors' tools."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
from helpers import ROOT

STUDENT_IMPORTS = """
import sys
import course_utils as cu
import course_utils.checks
for chapter in ("linear_autoencoder", "conv_arithmetic", "checkerboard_artifacts",
                "denoising", "super_resolution"):
    __import__(f"course_utils.checks.{chapter}")
leaked = sorted(name for name in ("nbformat", "nbclient", "jupytext") if name in sys.modules)
print(",".join(leaked))
"""


def test_chapters_code_imports_no_instructor_tools():
    result = subprocess.run(
        [sys.executable, "-c", STUDENT_IMPORTS],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"a student import pulls in {result.stdout}"


def test_instructor_extra_declares_what_teaching_imports():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra = {
        re.split(r"[<>=\[]", dep)[0]
        for dep in project["optional-dependencies"]["instructor"]
    }
    imported = set()
    for path in (ROOT / "course_utils" / "teaching").glob("*.py"):
        imported |= set(re.findall(r"^(?:from|import) (nb\w+)", path.read_text(), re.M))
    assert imported and imported <= extra, f"undeclared: {imported - extra}"


def test_notebooks_import_the_package_once():
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.py")):
        cells = path.read_text().split("# %%")
        outside_checks = [
            line
            for cell in cells
            if not cell.startswith(' tags=["check"')
            for line in cell.splitlines()
            if re.match(r"\s*from course_utils[\w.]* import", line)
        ]
        assert len(outside_checks) <= 1, f"{path.name}: {outside_checks}"
        assert "import course_utils as cu" in path.read_text(), path.name


def test_every_submodule_in_the_namespace_resolves():
    import course_utils as cu

    for name in cu.__all__:
        assert getattr(cu, name).__name__ == f"course_utils.{name}"
    for name in cu.models.__all__:
        assert getattr(cu.models, name).__name__ == f"course_utils.models.{name}"
    with pytest.raises(AttributeError, match="no attribute"):
        cu.not_a_module  # noqa: B018
