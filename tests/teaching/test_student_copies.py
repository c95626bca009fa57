"""Student copies: solutions become placeholders, instructor content goes, the rest stays; every chapter
follows the exercise convention; and a student copy handed in untouched passes no check."""

from __future__ import annotations

import copy

import nbformat
import pytest
from helpers import CONFIG, NOTEBOOKS, ROOT
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils.teaching.exercises import (
    exercise_ids,
    read_notebook,
    validate_exercises,
)
from course_utils.teaching.grade import grade_notebook
from course_utils.teaching.student import main, make_student_copy

PLACEHOLDER = '# YOUR CODE HERE\n{indent}raise NotImplementedError("{exercise}: write your solution here")'


def cell(source: str, *tags: str, markdown: bool = False):
    new = new_markdown_cell if markdown else new_code_cell
    return new(source, metadata={"tags": list(tags)} if tags else {})


def notebook(*cells):
    return new_notebook(
        cells=list(cells),
        metadata={
            "jupytext": {"formats": "ipynb,py:percent"},
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
        },
    )


def teacher():
    solution = cell(
        "import math\n\ndef area(r):\n    ### BEGIN SOLUTION\n    return math.pi * r ** 2\n"
        "    ### END SOLUTION\n\nUNIT = 'cm'",
        "solution",
        "ex-9.1",
    )
    solution.outputs = [new_output("stream", name="stdout", text="done\n")]
    solution.execution_count = 3
    return notebook(
        cell("# Title", markdown=True),
        solution,
        cell("check_area(area)", "check", "ex-9.1"),
        cell(
            "Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
            "solution",
            "ex-9.2",
            markdown=True,
        ),
        cell("check_why()", "check", "ex-9.2"),
        cell("The grading rubric.", "instructor", markdown=True),
        cell("Prose may name `### BEGIN SOLUTION` in a line of text.", markdown=True),
        cell("x = 1\n### BEGIN INSTRUCTOR\nsecret = 2\n### END INSTRUCTOR\ny = 3"),
    )


def test_solution_region_becomes_a_placeholder_and_the_code_around_it_stays():
    student = make_student_copy(teacher())
    assert student.cells[2].source == (
        "import math\n\ndef area(r):\n    "
        + PLACEHOLDER.format(indent="    ", exercise="ex-9.1")
        + "\n\nUNIT = 'cm'"
    )
    assert student.cells[4].source == "Why?\n\nYOUR ANSWER HERE"


def test_instructor_content_is_removed():
    sources = [c.source for c in make_student_copy(teacher()).cells]
    assert "The grading rubric." not in sources and "x = 1\ny = 3" in sources


def test_no_outputs_no_pairing_and_the_teacher_copy_is_unchanged():
    original = teacher()
    before = copy.deepcopy(original)
    student = make_student_copy(original)
    assert all(
        c.outputs == [] and c.execution_count is None
        for c in student.cells
        if c.cell_type == "code"
    )
    assert (
        "jupytext" not in student.metadata
        and student.metadata.kernelspec.name == "python3"
    )
    assert original == before
    nbformat.validate(student)


def test_the_copy_says_where_to_answer_and_which_cells_are_public_checks():
    student = make_student_copy(teacher(), chapter="09_toy")
    note = student.cells[1].source
    assert (
        "# YOUR CODE HERE" in note
        and "public check" in note
        and "YOURNAME_09_toy.ipynb" in note
    )
    assert student.cells[3].source.startswith("# Public check for ex-9.1")
    assert student.cells[3].metadata.tags == ["check", "ex-9.1"]


@pytest.mark.parametrize(
    "source, problem",
    [
        ("### BEGIN SOLUTION\nx = 1", "never closes"),
        (
            "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n### END SOLUTION",
            "without its BEGIN",
        ),
        (
            "### BEGIN SOLUTION\n### BEGIN INSTRUCTOR\n### END INSTRUCTOR\n### END SOLUTION",
            "inside",
        ),
        ("x = 1", "no '### BEGIN SOLUTION' region"),
    ],
)
def test_a_broken_region_raises_naming_the_cell(source, problem):
    broken = notebook(
        cell("import math"),
        cell(source, "solution", "ex-9.1"),
        cell("check()", "check", "ex-9.1"),
    )
    with pytest.raises(
        ValueError, match=rf"cell 1 \(tags \['solution', 'ex-9.1'\]\).*{problem}"
    ):
        make_student_copy(broken)


@pytest.mark.parametrize(
    "cells, problem",
    [
        (
            [cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")],
            "is not tagged 'solution'",
        ),
        ([cell("check()", "check")], "no exercise id"),
        (
            [cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "solution", "ex-9.1")],
            "ex-9.1 has no cell tagged 'check'",
        ),
    ],
)
def test_breaking_the_convention_raises(cells, problem):
    with pytest.raises(ValueError, match=problem):
        make_student_copy(notebook(*cells))


@pytest.mark.parametrize("chapter", NOTEBOOKS, ids=lambda path: path.stem)
def test_chapter_follows_the_exercise_convention(chapter):
    teacher_copy = read_notebook(chapter)
    validate_exercises(teacher_copy)
    assert exercise_ids(teacher_copy), (
        f"{chapter.name} should have its exercises (DESIGN.md, Chapters)"
    )
    student = make_student_copy(teacher_copy, chapter=chapter.stem)
    nbformat.validate(student)
    assert exercise_ids(student) == exercise_ids(teacher_copy)
    assert not any(
        "### BEGIN SOLUTION" in c.source or "### END SOLUTION" in c.source
        for c in student.cells
    )
    first_code = next(c for c in student.cells if c.cell_type == "code")
    assert 'if "google.colab" in sys.modules:' in first_code.source, (
        "the Colab install cell should stay first"
    )


@pytest.mark.slow  # runs every chapter's student copy in the grader's sandbox
@pytest.mark.parametrize("chapter", NOTEBOOKS, ids=lambda path: path.stem)
def test_an_untouched_student_copy_passes_no_check(chapter, monkeypatch):
    """Run the student copy as the grader would (COURSE_TINY=1, its own kernel).

    Each check must notice the missing solution: `error` where the names it checks are undefined
    (the placeholder raised NotImplementedError instead of defining them), `fail` where they exist but
    are wrong. `skipped` is allowed only because such a check is skipped in the teacher copy as well:
    its data set cannot be downloaded here, whatever the answer.
    """
    monkeypatch.setenv(
        "COURSE_OFFLINE", "1"
    )  # no time lost on download attempts; the kernel inherits it
    teacher_copy = read_notebook(chapter)
    result = grade_notebook(
        make_student_copy(teacher_copy, chapter=chapter.stem), teacher_copy, timeout=600
    )
    assert list(result.statuses) == exercise_ids(teacher_copy)
    not_failing = {
        exercise: status
        for exercise, status in result.statuses.items()
        if status not in {"fail", "error", "skipped"}
    }
    assert not not_failing, (
        f"checks that did not notice the missing solution: {not_failing}\n{result.notes}"
    )


def test_the_command_writes_a_copy_of_every_chapter(tmp_path, capsys):
    assert main([str(tmp_path / "student")]) == 0
    assert sorted(p.name for p in (tmp_path / "student").iterdir()) == [
        p.name for p in NOTEBOOKS
    ]
    assert capsys.readouterr().out.count("wrote ") == len(NOTEBOOKS)


def test_the_copy_says_how_to_download_and_name_it():
    note = make_student_copy(teacher(), chapter="09_toy").cells[1].source
    assert "File → Download → Download .ipynb" in note
    assert "YOURNAME_09_toy.ipynb" in note and "Copy of" in note


def test_a_copy_is_the_same_every_time():
    """Made twice from one teacher notebook, a copy is the same file (the committed copies
    are compared with fresh ones)."""
    original = teacher()
    assert make_student_copy(original, "09_toy") == make_student_copy(
        original, "09_toy"
    )


@pytest.mark.parametrize("chapter", NOTEBOOKS, ids=lambda path: path.stem)
def test_committed_student_copy_is_up_to_date(chapter):
    """The student copies live in the repository, in the folder that _config.yml's
    course.student_copies names (the student edition's launch buttons open them there)."""
    folder = ROOT / CONFIG["course"]["student_copies"]
    committed = folder / chapter.name
    assert committed.is_file(), f"{committed} is missing: run `make student`"
    fresh = make_student_copy(read_notebook(chapter), chapter=chapter.stem)
    assert read_notebook(committed) == fresh, (
        f"{committed.relative_to(ROOT)} is older than {chapter.name}: run `make student` "
        "and commit the student copies"
    )


def test_no_stray_student_copy():
    folder = ROOT / CONFIG["course"]["student_copies"]
    assert sorted(p.name for p in folder.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
