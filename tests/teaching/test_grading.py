"""The grader: names, the CSV, the trusted side's readers, and chapter 1 graded end to end.

The unit tests need no sandbox. The end-to-end test grades the real chapter 1 through the command
line in bubblewrap, two notebooks at a time: the teacher's own notebook (which proves it passes
all its checks), a wrong answer, a broken file, one that loops forever, a right answer written
differently, one that defines its own check function instead of an answer, and names that a
browser or Colab give a download. The attacks are in ``test_grading_tricks.py``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time

import nbformat
import pytest
import torch
from grading_attacks import require_sandbox
from helpers import BOOK, ROOT
from safetensors.torch import save_file

from course_utils.checks.linear_autoencoder import check_latent_2d
from course_utils.checks.protocol import load_answer
from course_utils.teaching.exercises import SOLUTION, exercise_id, read_notebook, tags
from course_utils.teaching.grade import (
    Run,
    main,
    read_report,
    split_name,
    spreadsheet_safe,
    worst,
)
from course_utils.teaching.trusted_checks import chapter_plan

CHAPTER_1 = BOOK / "01_linear_autoencoder.ipynb"
# seconds per notebook: chapter 1 takes 20-30 s at the tiny scale on 2 idle cores; the looping
# submission spends all of it, so it sets most of the test's time
TIME_LIMIT = 90


def solution_cell(notebook, exercise: str):
    return next(
        c for c in notebook.cells if SOLUTION in tags(c) and exercise_id(c) == exercise
    )


def edited(notebook, exercise: str, old: str, new: str):
    """``notebook`` with ``old`` replaced by ``new`` in the exercise's solution cell."""
    notebook = nbformat.from_dict(notebook)
    cell = solution_cell(notebook, exercise)
    assert old in cell.source, f"the fixture expects {old!r} in the {exercise} solution"
    cell.source = cell.source.replace(old, new)
    return notebook


def answer_region(notebook, exercise: str) -> str:
    source = solution_cell(notebook, exercise).source
    end = source.index("### END SOLUTION") + len("### END SOLUTION")
    return source[source.index("### BEGIN SOLUTION") : end]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_split_name_recognises_downloads():
    chapters = ["01_linear_autoencoder", "02_conv_arithmetic"]
    cases = {
        "ann_lee_02_conv_arithmetic.ipynb": ("ann_lee", "02_conv_arithmetic"),
        "Copy of alice_01_linear_autoencoder.ipynb": ("alice", "01_linear_autoencoder"),
        "alice_01_linear_autoencoder (1).ipynb": ("alice", "01_linear_autoencoder"),
        "Copy_of_bob_01_linear_autoencoder(2).ipynb": ("bob", "01_linear_autoencoder"),
        "01_linear_autoencoder.ipynb": ("01_linear_autoencoder", None),
        "Copy of 01_linear_autoencoder.ipynb": ("Copy of 01_linear_autoencoder", None),
        "bob_03_other.ipynb": ("bob_03_other", None),
    }
    for name, expected in cases.items():
        assert split_name(ROOT / name, chapters) == expected, name


def test_an_exercise_passes_only_when_all_its_checks_pass():
    assert worst(["pass", "pass"]) == "pass"
    assert worst(["pass", "skipped"]) == "skipped"
    assert worst(["pass", "fail", "error"]) == "error"
    assert worst(["fail", "missing"]) == "missing"


def test_spreadsheet_formulas_are_neutralised():
    for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1"]:
        assert spreadsheet_safe(text) == "'" + text
    assert spreadsheet_safe("alice") == "alice" and spreadsheet_safe(3) == "3"


def test_the_plan_finds_the_checks_each_check_cell_calls():
    plan = chapter_plan(read_notebook(CHAPTER_1))
    assert [(cell.exercise, cell.checks, cell.problem) for cell in plan] == [
        ("ex-1.1", [check_latent_2d], None)
    ]


def write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_the_answer_reader_takes_tensors_only(tmp_path):
    good = tmp_path / "good.safetensors"
    save_file({"codes": torch.arange(6.0).reshape(3, 2)}, good)
    assert torch.equal(
        load_answer(tmp_path, "good.safetensors")["codes"].flatten(), torch.arange(6.0)
    )
    header = json.dumps(
        {
            "x": {
                "dtype": "F32",
                "shape": [10**9, 10**9],
                "data_offsets": [0, 4 * 10**18],
            }
        }
    ).encode()
    crafted = {
        "huge": b"\0" * (2 * 2**20),
        "pickle": __import__("pickle").dumps({"x": os.system}),
        "length": (2**62).to_bytes(8, "little") + b"{}",
        "claims": len(header).to_bytes(8, "little") + header,
        "complex": good.read_bytes().replace(b'"F32"', b'"C64"'),
        "text": b"hello, world",
    }
    zipped = tmp_path / "zip"
    torch.save({"x": torch.zeros(2)}, zipped)
    crafted["zip"] = zipped.read_bytes()
    for name, data in crafted.items():
        write(tmp_path / "answers" / name, data)
        with pytest.raises(ValueError):
            load_answer(tmp_path / "answers", name, max_bytes=2**20)
    (tmp_path / "answers" / "link").symlink_to(good)
    (tmp_path / "answers" / "folder").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(tmp_path / "answers" / "fifo")
    for relative in ["link", "folder/good.safetensors", "fifo", "absent"]:
        with pytest.raises((ValueError, FileNotFoundError)):
            load_answer(tmp_path / "answers", relative)


def test_the_runner_report_is_read_without_trusting_it(tmp_path):
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps(
            {
                "ran": 99,
                "stopped": "=1+1",
                "done": True,
                "errors": {"1": ["E" * 500, "x\ny" * 999]},
            }
        )
    )
    read = read_report(report, cells=3)
    assert read["ran"] == 3 and read["stopped"] is None
    name, message = read["errors"][1]
    assert len(name) <= 80 and len(message) <= 400 and "\n" not in message
    report.write_text("[1, 2")
    assert read_report(report, cells=3)["stopped"].startswith(
        "the notebook's run ended"
    )
    report.unlink()
    report.symlink_to("/etc/passwd")
    assert read_report(report, cells=3)["errors"] == {}


def test_a_student_self_check_prints_the_same_lines(monkeypatch, capsys):
    """In Colab (no COURSE_HANDOVER_DIR) a check judges in the notebook and prints its verdict."""
    monkeypatch.delenv("COURSE_HANDOVER_DIR", raising=False)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    from course_utils.data import load_mnist
    from course_utils.models.linear import LinearAutoencoder
    from course_utils.training import apply_in_batches, fit

    train, test = load_mnist("train", limit=1000), load_mnist("test", limit=200)
    torch.manual_seed(0)
    model = LinearAutoencoder(bottleneck=2)
    fit(model, train.images, epochs=12, batch_size=32, lr=1e-2, progress=False)
    codes = apply_in_batches(model.encode, test.images, module=model)
    check_latent_2d(model, codes, test.images, test.labels)
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith("✔ ex-1.1 passed: codes of shape")
    )


def test_skips_are_decided_at_the_notebooks_scale_not_the_graders(monkeypatch):
    # ex-7.1 does not judge at the full scale; the graded notebooks ran at the tiny one, so
    # an instructor's COURSE_SCALE=full must not skip it for every student
    from course_utils.checks.adversarial_autoencoder import check_square_prior

    monkeypatch.setenv("COURSE_SCALE", "full")
    assert "full scale" in check_square_prior.unavailable("full")
    run = Run(sandbox=None, folder=None, slots=None)
    assert run.skip_reason(check_square_prior) is None
    assert os.environ["COURSE_SCALE"] == "full"  # and the grader's own is left alone


def test_bad_usage_names_the_argument(tmp_path, capsys):
    for argv, name in [
        ([str(tmp_path / "nowhere")], "SUBMISSIONS_DIR"),
        ([str(tmp_path), "--timeout", "0"], "--timeout"),
        ([str(tmp_path), "--jobs", "0"], "--jobs"),
        ([str(tmp_path), "--memory", "-1"], "--memory"),
        ([str(tmp_path), "--book", str(tmp_path / "nobook")], "book_dir"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2 and name in capsys.readouterr().err


def test_without_bubblewrap_the_grader_says_what_to_install(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    assert main([str(tmp_path), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert (
        "\n" not in error
        and "apt-get install bubblewrap" in error
        and "--no-sandbox" in error
    )


@pytest.fixture(scope="module")
def chapter_1_submissions(tmp_path_factory):
    """The fixture submissions, built from the current chapter 1 so that they never go stale."""
    folder = tmp_path_factory.mktemp("submissions")
    teacher = read_notebook(CHAPTER_1)
    region = answer_region(teacher, "ex-1.1")
    encode = "codes_2d = cu.training.apply_in_batches(model_2d.encode, test.images, module=model_2d)"
    nbformat.write(teacher, folder / "alice_01_linear_autoencoder.ipynb")
    nbformat.write(
        edited(
            teacher, "ex-1.1", encode, "codes_2d = torch.zeros(len(test.images), 2)"
        ),
        folder / "bob_01_linear_autoencoder.ipynb",
    )
    text = CHAPTER_1.read_text()
    (folder / "carol_01_linear_autoencoder.ipynb").write_text(text[: len(text) // 2])
    nbformat.write(
        edited(teacher, "ex-1.1", region, "while True:  # never ends\n    pass"),
        folder / "dave_01_linear_autoencoder.ipynb",
    )
    # right, written differently: codes straight from `encode`, under another name first
    nbformat.write(
        edited(
            teacher,
            "ex-1.1",
            encode,
            "with torch.no_grad():\n"
            "    model_2d.eval()\n"
            "    latent = model_2d.encode(test.images.to(device)).cpu()\n"
            "codes_2d = latent",
        ),
        folder / "Copy of erin_01_linear_autoencoder.ipynb",
    )
    # no answer, and a check function of the same name that prints the pass line
    nbformat.write(
        edited(
            teacher,
            "ex-1.1",
            region,
            "def check_latent_2d(*args, **kwargs):\n    print('✔ ex-1.1 passed: trust me')",
        ),
        folder / "frank_01_linear_autoencoder (1).ipynb",
    )
    nbformat.write(teacher, folder / "Copy of 01_linear_autoencoder.ipynb")  # whose?
    return folder


def test_the_grader_command_on_chapter_1(chapter_1_submissions, tmp_path, notebook_env):
    require_sandbox()
    out = tmp_path / "grades.csv"
    command = [sys.executable, "-m", "course_utils.grade", str(chapter_1_submissions)]
    command += ["--out", str(out), "--timeout", str(TIME_LIMIT), "--jobs", "2"]
    command += ["--feedback", str(tmp_path / "feedback")]
    started = time.monotonic()
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=notebook_env(COURSE_OFFLINE="1"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    seconds = time.monotonic() - started
    print(f"graded the chapter-1 submissions in {seconds:.0f} s\n{result.stdout}")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = read_csv(out)
    assert [(row["student"], row["ex-1.1"], row["total"]) for row in rows] == [
        ("Copy of 01_linear_autoencoder", "missing", "0"),
        ("alice", "pass", "1"),
        ("bob", "fail", "0"),
        ("carol", "invalid", "0"),
        ("dave", "timeout", "0"),
        ("erin", "pass", "1"),
        ("frank", "error", "0"),
    ]
    notes = {row["student"]: row["notes"] for row in rows}
    assert notes["alice"] == ""
    assert "`codes_2d` are not the codes" in notes["bob"]
    assert "not a valid notebook" in notes["carol"]
    assert f"stopped by the {TIME_LIMIT} s time limit" in notes["dave"]
    assert "NameError" in notes["frank"]  # the real check ran: `model_2d` is undefined
    assert (
        "the name should be STUDENT_<chapter>.ipynb"
        in notes["Copy of 01_linear_autoencoder"]
    )
    feedback = (tmp_path / "feedback" / "bob.md").read_text()
    assert "## ex-1.1: fail" in feedback and "Hint:" in feedback
    assert seconds < 400, f"grading seven submissions took {seconds:.0f} s"
