"""The package's layout: what a student imports stays free of the instructors' tools."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helpers import ROOT

# What a chapter imports, in a fresh interpreter: the package (its first line: which of
# the checks, the instructors' tools and the grader's command that brought in), then the
# checks of some chapters (its second line: which instructors' libraries came with them).
STUDENT_IMPORTS = """
import sys
import course_utils as cu
kept_out = ("course_utils.checks", "course_utils.teaching", "course_utils.grade")
print(",".join(sorted(name for name in sys.modules if name.startswith(kept_out))))
import course_utils.checks
for chapter in ("linear_autoencoder", "conv_arithmetic", "checkerboard_artifacts",
                "denoising", "super_resolution"):
    __import__(f"course_utils.checks.{chapter}")
leaked = sorted(name for name in ("nbformat", "nbclient", "jupytext") if name in sys.modules)
print(",".join(leaked))
"""


@pytest.fixture(scope="module")
def student_imports() -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", STUDENT_IMPORTS],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")


def test_chapters_code_imports_no_instructor_tools(student_imports):
    assert student_imports[1] == "", f"a student import pulls in {student_imports[1]}"


def test_import_course_utils_leaves_out_checks_and_teaching(student_imports):
    assert student_imports[0] == "", f"import course_utils imports {student_imports[0]}"


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


# Modules a chapter does not reach as ``cu.<module>``: the exercise checks (imported by
# name in their check cells), the instructors' tools, the argument checks the modules use,
# and the grader's command.
NOT_IN_NAMESPACE = {"checks", "teaching", "validation", "grade"}


def test_init_imports_every_module_a_chapter_uses():
    """``course_utils/__init__.py`` lists the API: every module but the four above, each
    a plain attribute of the package (no loader decides what ``cu.`` holds)."""
    import course_utils as cu

    modules = {
        path.stem
        for path in (ROOT / "course_utils").iterdir()
        if path.suffix == ".py" or (path / "__init__.py").is_file()
    } - {"__init__"}
    assert sorted(cu.__all__) == sorted(modules - NOT_IN_NAMESPACE), (
        "list every module of course_utils in course_utils/__init__.py (import and "
        "__all__), or add it to NOT_IN_NAMESPACE here"
    )
    for name in cu.__all__:
        assert vars(cu)[name].__name__ == f"course_utils.{name}"
    assert not hasattr(cu, "__getattr__"), "course_utils imports its modules plainly"
    with pytest.raises(AttributeError, match="no attribute"):
        cu.not_a_module  # noqa: B018


def test_the_autoencoders_are_one_hop_from_models():
    from torch import nn

    import course_utils as cu

    models = {path.stem for path in (ROOT / "course_utils" / "models").glob("[!_]*.py")}
    assert models <= set(cu.models.__all__), "import every model module in models/"
    autoencoders = {
        name: value
        for module in models
        for name, value in vars(getattr(cu.models, module)).items()
        if isinstance(value, type)
        and issubclass(value, nn.Module)
        and value.__module__ == f"course_utils.models.{module}"
        and (name.endswith(("Autoencoder", "Resolution")) or name == "VAE")
    }
    assert len(autoencoders) >= 10, sorted(autoencoders)
    for name, model in autoencoders.items():
        # cu.models.ConvAutoencoder, the same class as cu.models.conv.ConvAutoencoder
        assert getattr(cu.models, name, None) is model, f"cu.models.{name}"
        assert name in cu.models.__all__, name
    for name in cu.models.__all__:
        assert getattr(cu.models, name) is not None


def test_the_version_is_pyprojects_alone():
    import course_utils as cu

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert cu.__version__ == version, "reinstall the package (make does)"
    sources = [path.read_text() for path in (ROOT / "course_utils").rglob("*.py")]
    assert not [text for text in sources if f'"{version}"' in text], (
        "the version is kept in pyproject.toml only"
    )


def test_console_scripts_name_functions_that_exist():
    import importlib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert {"course-grade", "course-student"} <= set(scripts)
    for name, target in scripts.items():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function)), name


def test_course_grade_restarts_in_a_trusted_interpreter(monkeypatch):
    """``course-grade`` (the console script) runs what ``python -m course_utils.grade``
    runs: the grader in an interpreter that reads bytecode only from its own cache and
    adds no folder to ``sys.path`` (tests/teaching/test_grading.py runs the command itself)."""
    from course_utils import grade

    started = []

    def execve(path, argv, environment):
        started.append(argv)
        raise SystemExit(0)

    monkeypatch.setattr(grade.os, "execve", execve)
    monkeypatch.setattr(sys, "argv", ["course-grade", "submissions", "--jobs", "2"])
    with pytest.raises(SystemExit):
        grade.main()
    cache = grade.bytecode_cache()
    assert started == [
        [sys.executable, "-P", "-X", f"pycache_prefix={cache}"]
        + ["-m", "course_utils.grade", "submissions", "--jobs", "2"]
    ]


def test_the_graders_bytecode_cache_is_private(tmp_path, monkeypatch):
    """The trusted interpreter reads bytecode only from a folder of its own (mode
    0700); a folder that others could write is not used: no bytecode is read then."""
    from course_utils import grade

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = Path(grade.bytecode_cache())
    assert cache.is_relative_to(tmp_path) and cache.stat().st_mode & 0o777 == 0o700
    cache.chmod(0o777)
    assert grade.bytecode_cache() == grade.NO_BYTECODE


def test_the_package_fits_the_page():
    """Every line of course_utils, docstrings and comments included, fits the 88 columns
    of the book's code cells (tests/book/test_browser.py checks that they show 88)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["tool"]["ruff"]["line-length"] == 88
    # --isolated: pyproject's exemptions do not apply (noqa comments still do)
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E501"]
        + ["--line-length", "88", "--output-format", "concise", "course_utils"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
