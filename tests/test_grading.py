"""The grader: every kind of submission gets its row, and the others are still graded.

A toy chapter (kernels that start in a second) covers each status; then the real chapter 1 is graded
end to end through the command line: the teacher's own notebook (which proves it passes all its
checks), a partly wrong one, a broken file and one that loops forever.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import time

import nbformat
import pytest
from conftest import BOOK, ROOT, tiny_env
from nbformat.v4 import new_code_cell, new_notebook

from course_utils.teaching.exercises import SOLUTION, exercise_id, read_notebook, tags
from course_utils.teaching.grade import main, split_name, worst
from course_utils.teaching.student import make_student_copy

CHAPTER_1 = BOOK / "01_linear_autoencoder.ipynb"
# seconds per notebook: chapter 1 takes 20-30 s at the tiny scale on 2 idle cores; the looping
# submission spends all of it, so it sets most of the test's time
TIME_LIMIT = 90


def check(exercise: str, condition: str) -> str:
    return (
        f'expect({condition}, "{exercise}", "`{condition}` should hold.", "read the exercise again.")\n'
        f'passed("{exercise}", "{condition}")'
    )


def toy_chapter():
    """ex-1.1 with one check, ex-1.2 with two, ex-1.3 whose check is always skipped here."""
    return new_notebook(
        cells=[
            new_code_cell("from course_utils.checks import expect, passed, skipped"),
            new_code_cell(
                "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION",
                metadata={"tags": ["solution", "ex-1.1"]},
            ),
            new_code_cell(
                check("ex-1.1", "answer == 42"), metadata={"tags": ["check", "ex-1.1"]}
            ),
            new_code_cell(
                "### BEGIN SOLUTION\nwords = ['a', 'b']\n### END SOLUTION",
                metadata={"tags": ["solution", "ex-1.2"]},
            ),
            new_code_cell(
                check("ex-1.2", "len(words) == 2"),
                metadata={"tags": ["check", "ex-1.2"]},
            ),
            new_code_cell(
                check("ex-1.2", "words[0] == 'a'"),
                metadata={"tags": ["check", "ex-1.2"]},
            ),
            new_code_cell(
                "### BEGIN SOLUTION\npass\n### END SOLUTION",
                metadata={"tags": ["solution", "ex-1.3"]},
            ),
            new_code_cell(
                'skipped("ex-1.3", "its data set cannot be downloaded here.")',
                metadata={"tags": ["check", "ex-1.3"]},
            ),
        ]
    )


def solution_cell(notebook, exercise: str):
    return next(
        c for c in notebook.cells if SOLUTION in tags(c) and exercise_id(c) == exercise
    )


def edited(notebook, exercise: str, old: str, new: str):
    """``notebook`` with ``old`` replaced by ``new`` in the exercise's solution cell (which must hold it)."""
    notebook = nbformat.from_dict(notebook)
    cell = solution_cell(notebook, exercise)
    assert old in cell.source, (
        f"the fixture expects {old!r} in the {exercise} solution: update the test"
    )
    cell.source = cell.source.replace(old, new)
    return notebook


def answer_region(notebook, exercise: str) -> str:
    source = solution_cell(notebook, exercise).source
    return source[
        source.index("### BEGIN SOLUTION") : source.index("### END SOLUTION")
        + len("### END SOLUTION")
    ]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_split_name():
    chapters = ["01_linear_autoencoder", "02_conv_arithmetic"]
    assert split_name(ROOT / "ann_lee_02_conv_arithmetic.ipynb", chapters) == (
        "ann_lee",
        "02_conv_arithmetic",
    )
    assert split_name(ROOT / "01_linear_autoencoder.ipynb", chapters) == (
        "01_linear_autoencoder",
        None,
    )
    assert split_name(ROOT / "bob_03_other.ipynb", chapters) == ("bob_03_other", None)


def test_an_exercise_passes_only_when_all_its_checks_pass():
    assert worst(["pass", "pass"]) == "pass"
    assert worst(["pass", "skipped"]) == "skipped"
    assert worst(["pass", "fail", "error"]) == "error"
    assert worst(["fail", "missing"]) == "missing"


def test_every_kind_of_toy_submission_gets_its_row(tmp_path, capsys):
    book, submissions = tmp_path / "book", tmp_path / "submissions"
    book.mkdir(), submissions.mkdir()
    toy = toy_chapter()
    nbformat.write(toy, book / "01_toy.ipynb")

    def hand_in(name, notebook):
        nbformat.write(notebook, submissions / f"{name}_01_toy.ipynb")

    hand_in("ann", toy)
    tampered = edited(toy, "ex-1.1", "answer = 42", "answer = 41")
    tampered.cells[
        2
    ].source = (
        'passed("ex-1.1", "trust me")'  # the grader runs the teacher's check instead
    )
    hand_in("ben", tampered)
    broken_setup = nbformat.from_dict(toy)
    broken_setup.cells[0].source = (
        "import no_such_module\n" + broken_setup.cells[0].source
    )
    del broken_setup.cells[5]  # and the second check of ex-1.2 is lost
    hand_in("cal", broken_setup)
    hand_in("dan", make_student_copy(toy))
    hand_in(
        "eve", edited(toy, "ex-1.2", "words = ['a', 'b']", "import os\nos._exit(1)")
    )
    hand_in("fay", edited(toy, "ex-1.2", "words = ['a', 'b']", "while True:\n    pass"))
    (submissions / "gil_01_toy.ipynb").write_text('{"cells": [')
    nbformat.write(toy, submissions / "hal_homework.ipynb")  # names no chapter
    (submissions / "notes.txt").write_text("not a notebook: ignored")

    started = time.monotonic()
    out = tmp_path / "grades.csv"
    assert (
        main(
            [
                str(submissions),
                "--book",
                str(book),
                "--out",
                str(out),
                "--timeout",
                "20",
            ]
        )
        == 0
    )
    print(f"graded the toy submissions in {time.monotonic() - started:.0f} s")
    printed = capsys.readouterr().out

    rows = {row.pop("student"): row for row in read_csv(out)}
    table = {
        student: [row["ex-1.1"], row["ex-1.2"], row["ex-1.3"], row["total"]]
        for student, row in rows.items()
    }
    assert table == {
        "ann": ["pass", "pass", "skipped", "2"],
        "ben": ["fail", "pass", "skipped", "1"],
        "cal": ["error", "missing", "error", "0"],
        "dan": ["error", "error", "skipped", "0"],
        "eve": ["pass", "error", "error", "1"],
        "fay": ["pass", "timeout", "timeout", "1"],
        "gil": ["invalid", "invalid", "invalid", "0"],
        "hal_homework": ["missing", "missing", "missing", "0"],
    }
    assert "ex-1.1 not passed yet: `answer == 42` should hold." in rows["ben"]["notes"]
    assert "cell 0 raised ModuleNotFoundError" in rows["cal"]["notes"]
    assert "ex-1.2: its check cell is missing" in rows["cal"]["notes"]
    assert (
        "NotImplementedError: ex-1.1: write your solution here" in rows["dan"]["notes"]
    )
    assert "the kernel died in cell 3" in rows["eve"]["notes"]
    assert "stopped by the 20 s time limit in cell 3" in rows["fay"]["notes"]
    assert "not a valid notebook" in rows["gil"]["notes"]
    assert (
        "hal_homework.ipynb: the name should be STUDENT_<chapter>.ipynb"
        in rows["hal_homework"]["notes"]
    )
    assert (
        "student       ex-1.1   ex-1.2   ex-1.3   total\n"
        "ann           pass     pass     skipped  2/3\n"
        "ben           fail     pass     skipped  1/3\n"
        "cal           error    missing  error    0/3\n"
        "dan           error    error    skipped  0/3\n"
        "eve           pass     error    error    1/3\n"
        "fay           pass     timeout  timeout  1/3\n"
        "gil           invalid  invalid  invalid  0/3\n"
        "hal_homework  missing  missing  missing  0/3\n"
    ) in printed


def test_bad_usage_names_the_argument(tmp_path, capsys):
    for argv, name in [
        ([str(tmp_path / "nowhere")], "SUBMISSIONS_DIR"),
        ([str(tmp_path), "--timeout", "0"], "--timeout"),
        ([str(tmp_path), "--book", str(tmp_path / "nobook")], "book_dir"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2 and name in capsys.readouterr().err


@pytest.fixture(scope="module")
def chapter_1_submissions(tmp_path_factory):
    """The four fixture submissions, built from the current chapter 1 so that they never go stale."""
    folder = tmp_path_factory.mktemp("submissions")
    teacher = read_notebook(CHAPTER_1)
    region = answer_region(teacher, "ex-1.1")
    nbformat.write(teacher, folder / "alice_01_linear_autoencoder.ipynb")
    nbformat.write(
        edited(
            teacher,
            "ex-1.1",
            "codes_2d = cu.training.apply_in_batches(model_2d.encode, test.images, module=model_2d)",
            "codes_2d = torch.zeros(len(test.images), 2)",
        ),
        folder / "bob_01_linear_autoencoder.ipynb",
    )
    text = CHAPTER_1.read_text()
    (folder / "carol_01_linear_autoencoder.ipynb").write_text(
        text[: len(text) // 2]
    )  # cut off mid-upload
    nbformat.write(
        edited(teacher, "ex-1.1", region, "while True:  # never ends\n    pass"),
        folder / "dave_01_linear_autoencoder.ipynb",
    )
    return folder


def test_the_grader_command_on_chapter_1(chapter_1_submissions, tmp_path):
    out = tmp_path / "grades.csv"
    command = [
        sys.executable,
        "-m",
        "course_utils.grade",
        str(chapter_1_submissions),
        "--out",
        str(out),
        "--timeout",
        str(TIME_LIMIT),
    ]
    started = time.monotonic()
    # offline: no time lost on download attempts that fail here anyway
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=tiny_env(COURSE_OFFLINE="1"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.monotonic() - started
    print(f"graded the four chapter-1 submissions in {seconds:.0f} s\n{result.stdout}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "student  ex-1.1   total\n"
        "alice    pass     1/1\n"
        "bob      fail     0/1\n"
        "carol    invalid  0/1\n"
        "dave     timeout  0/1\n"
    ) in result.stdout
    rows = read_csv(out)
    assert [(row["student"], row["ex-1.1"], row["total"]) for row in rows] == [
        ("alice", "pass", "1"),
        ("bob", "fail", "0"),
        ("carol", "invalid", "0"),
        ("dave", "timeout", "0"),
    ]
    notes = {row["student"]: row["notes"] for row in rows}
    assert notes["alice"] == ""
    assert "`codes_2d` are not the codes" in notes["bob"]
    assert "not a valid notebook" in notes["carol"]
    assert f"stopped by the {TIME_LIMIT} s time limit" in notes["dave"]
    assert seconds < 300, (
        f"grading four submissions took {seconds:.0f} s; it should take well under 5 minutes"
    )
