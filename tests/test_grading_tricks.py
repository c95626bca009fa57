"""The grader against students who try to pass without an answer, and answers written differently.

One folder of submissions is graded once, through the command line, two at a time: one notebook
per trick (each gets ``fail``, ``error`` or ``missing``, never ``pass``), the teacher's answers
and correct answers written differently from them (each gets ``pass``). The CSV must be written,
and every file the grader protects must be as it was.

Chapter 1 is a stand-in built from the live chapter: its import of the check and its check cell
verbatim, with a small setup and a solution that trains on 1,000 digits for 12 epochs. None of the
tricks needs the real chapter's training (each replaces or surrounds the answer), and the real
chapter takes 20-30 s a run at the tiny scale, so twenty of them would take many minutes; the
real chapter is graded end to end in ``test_grading.py``. Chapter 2, which trains nothing, is the
live notebook itself.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import shutil
import subprocess
import sys
import time

import nbformat
import psutil
import pytest
from conftest import BOOK, ROOT, tiny_env
from nbformat.v4 import new_code_cell, new_notebook, new_raw_cell

from course_utils.teaching.exercises import (
    CHECK,
    SOLUTION,
    exercise_id,
    read_notebook,
    tags,
)

CHAPTER_1, CHAPTER_2 = "01_linear_autoencoder", "02_conv_arithmetic"
MIME = "application/vnd.course-grader+json"

SETUP = """\
import torch

import course_utils as cu
from course_utils.models.linear import LinearAutoencoder
from course_utils.training import apply_in_batches, fit
{check_import}

train = cu.data.load_mnist("train", limit=1000)
test = cu.data.load_mnist("test", limit=300)"""

ANSWER = """\
torch.manual_seed(0)
model_2d = LinearAutoencoder(bottleneck=2)
fit(model_2d, train.images, epochs=12, batch_size=32, lr=1e-2, progress=False)
codes_2d = apply_in_batches(model_2d.encode, test.images, module=model_2d)"""

WRONG = """\
model_2d = LinearAutoencoder(bottleneck=2)
codes_2d = torch.zeros(len(test.images), 2)"""

# A correct answer written differently: the student's own architecture (a linear encoder and a
# decoder with one hidden layer), their own training loop, and codes from `encode` directly.
OWN_MODEL = """\
class TinyAutoencoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 2))
        self.decoder = torch.nn.Sequential(
            torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 784), torch.nn.Sigmoid()
        )

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).view_as(x)


torch.manual_seed(1)
model_2d = TinyAutoencoder()
optimiser = torch.optim.Adam(model_2d.parameters(), lr=1e-2)
for epoch in range(6):
    for batch in train.images.split(32):
        optimiser.zero_grad()
        torch.nn.functional.mse_loss(model_2d(batch), batch).backward()
        optimiser.step()
with torch.no_grad():
    my_codes = model_2d.encode(test.images)
codes_2d = my_codes"""

# Chapter 2: the same numbers as the solution, worked out from the formula, as a tuple and as a
# NumPy array (the check accepts both).
MIRROR = """\
import numpy as np

sizes, kernels = [4, 7, 14, 28], (3, 5, 5)
pads = tuple(k // 2 for k in kernels)
extra = np.array(
    [b - ((a - 1) * 2 - 2 * p + k) for a, b, p, k in zip(sizes, sizes[1:], pads, kernels)]
)
decoder_padding, decoder_output_padding = pads, extra"""

FORGED = f"""\
from IPython.display import publish_display_data

report = {{"exercise": "ex-1.1", "status": "pass", "message": "forged", "problems": []}}
for secret in ["0" * 32, ""]:
    publish_display_data({{"{MIME}": {{**report, "secret": secret}}}})
"""

THREAD = """\
import threading
import time


def cheer():
    while True:
        print("✔ ex-1.1 passed: from a thread")
        time.sleep(0.05)


threading.Thread(target=cheer, daemon=True).start()
"""


# A process that outlives the kernel unless the grader kills it: forked twice, in a session of its
# own, so that it is neither the kernel's child nor in its process group.
DAEMON = """\
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        pid_file = os.path.join(os.environ["COURSE_DATA_DIR"], "daemon.pid")
        open(pid_file, "w").write(str(os.getpid()))
        time.sleep(600)
    os._exit(0)
time.sleep(1)
"""


def writes(paths) -> str:
    """Code that tries every way to change the given files, carrying on after each refusal."""
    attempts = []
    for path in paths:
        attempts += [
            f"open({str(path)!r}, 'w').write('hacked')",
            f"os.remove({str(path)!r})",
            f"os.system('echo hacked > {path}')",
            f"subprocess.run(['sh', '-c', 'echo hacked >> {path}'])",
        ]
    attempts.append("os.kill(os.getppid(), 9)")  # the grader's worker
    lines = ["import os", "import subprocess", ""]
    for attempt in attempts:
        lines += [
            "try:",
            f"    {attempt}",
            "except Exception as error:",
            "    print(error)",
        ]
    return "\n".join(lines) + "\n"


def live_check(chapter: str):
    """The live chapter's check cell and the line that imports its check function."""
    teacher = read_notebook(BOOK / f"{chapter}.ipynb")
    check = next(c for c in teacher.cells if CHECK in tags(c))
    imports = [
        ast.unparse(node)
        for c in teacher.cells
        if c.cell_type == "code" and "course_utils.checks" in c.source
        for node in ast.walk(ast.parse(c.source))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("course_utils.checks")
    ]
    assert imports, f"{chapter} should import its check from course_utils.checks"
    return check, "\n".join(imports)


def stand_in_chapter_1():
    check, check_import = live_check(CHAPTER_1)
    assert exercise_id(check) == "ex-1.1", (
        "the stand-in expects chapter 1's ex-1.1: update it"
    )
    return new_notebook(
        cells=[
            new_code_cell(SETUP.format(check_import=check_import)),
            new_code_cell(
                f"### BEGIN SOLUTION\n{ANSWER}\n### END SOLUTION",
                metadata={"tags": [SOLUTION, "ex-1.1"]},
            ),
            new_code_cell(check.source, metadata={"tags": list(tags(check))}),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )


def with_answer(notebook, answer: str, before: str = "", after: str = ""):
    """``notebook`` with its solution cell's code replaced by ``before``, ``answer``, ``after``."""
    notebook = nbformat.from_dict(notebook)
    cell = next(c for c in notebook.cells if SOLUTION in tags(c))
    cell.source = "\n".join(part for part in (before, answer, after) if part)
    return notebook


def check_index(notebook) -> int:
    return next(i for i, c in enumerate(notebook.cells) if CHECK in tags(c))


def tricks(stand_in, paths):
    """``{name: (notebook, what it tries)}``: each trick on top of a wrong or missing answer."""
    wrong = with_answer(stand_in, WRONG)
    found = {
        "redefine": with_answer(
            stand_in,
            WRONG,
            after="def check_latent_2d(*args, **kwargs):\n"
            "    print('✔ ex-1.1 passed: trust me')",
        ),
        "patch_checks": with_answer(
            stand_in,
            WRONG,
            after="import course_utils.checks as checks\n"
            "import course_utils.checks.linear_autoencoder as chapter\n"
            "checks.expect = lambda *args, **kwargs: None\n"
            "chapter.check_latent_2d = lambda *a, **k: checks.passed('ex-1.1', 'patched')\n"
            "check_latent_2d = chapter.check_latent_2d",
        ),
        "patch_torch": with_answer(
            stand_in, WRONG, after="torch.allclose = lambda *args, **kwargs: True"
        ),
        "patch_builtins": with_answer(
            stand_in,
            WRONG,
            after="import builtins\nbuiltins.all = lambda iterable: True",
        ),
        "print_pass": with_answer(
            stand_in, WRONG, after="print('✔ ex-1.1 passed: codes of shape (300, 2)')"
        ),
        "forge_report": with_answer(stand_in, WRONG, after=FORGED),
        "hook": with_answer(
            stand_in,
            WRONG,
            after="get_ipython().events.register(\n"
            "    'pre_run_cell', lambda info: print('✔ ex-1.1 passed: hook')\n)",
        ),
        "transformer": with_answer(
            stand_in,
            WRONG,
            after="get_ipython().input_transformers_cleanup.append(\n"
            "    lambda lines: [\"print('✔ ex-1.1 passed: rewritten')\\n\"]\n)",
        ),
        "thread": with_answer(stand_in, WRONG, after=THREAD),
        "daemon": with_answer(stand_in, WRONG, after=DAEMON),
        "exit_early": with_answer(stand_in, "import os\n\nos._exit(0)"),
        "exit_quietly": with_answer(stand_in, "exit()"),
        "memory_hog": with_answer(stand_in, "hog = [b'x' * 10**8 for _ in range(400)]"),
        "printer": with_answer(
            stand_in, "for _ in range(10**6):\n    print('x' * 1000)"
        ),
        "writes": with_answer(stand_in, WRONG, before=writes(paths)),
    }
    edited = nbformat.from_dict(wrong)
    edited.cells[check_index(edited)].source = "print('✔ ex-1.1 passed: edited')"
    found["edit_check"] = edited
    retagged = nbformat.from_dict(wrong)
    retagged.cells[check_index(retagged)].metadata = {}
    found["retag"] = retagged
    moved = nbformat.from_dict(stand_in)  # the check before the (right) answer
    moved.cells.insert(1, moved.cells.pop(check_index(moved)))
    found["move_check"] = moved
    odd = nbformat.from_dict(wrong)  # another kernel, a raw check cell, no solution tag
    odd.metadata = {
        "kernelspec": {"name": "bash", "display_name": "Bash", "language": "bash"}
    }
    index = check_index(odd)
    odd.cells[index] = new_raw_cell(
        odd.cells[index].source,
        metadata={**odd.cells[index].metadata, "editable": False},
    )
    next(c for c in odd.cells if SOLUTION in tags(c)).metadata = {"tags": ["ex-1.1"]}
    found["metadata"] = odd
    return found


EXPECTED = {
    "ann": ["pass", "pass"],
    "bea": ["pass", "pass"],
    "redefine": ["fail", "missing"],
    "patch_checks": ["error", "missing"],
    "patch_torch": ["error", "missing"],
    "patch_builtins": ["error", "missing"],
    "print_pass": ["fail", "missing"],
    "forge_report": ["fail", "missing"],
    "hook": ["error", "missing"],
    "transformer": ["error", "missing"],
    "thread": ["error", "missing"],
    "daemon": ["fail", "missing"],
    "exit_early": ["error", "missing"],
    "exit_quietly": ["error", "missing"],
    "memory_hog": ["error", "missing"],
    "printer": ["error", "missing"],
    "writes": ["fail", "missing"],
    "edit_check": ["fail", "missing"],
    "retag": ["missing", "missing"],
    "move_check": ["error", "missing"],
    "metadata": ["fail", "missing"],
}


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The folder graded once: the command's output, the CSV's rows, and what to compare."""
    root = tmp_path_factory.mktemp("tricks")
    package = (
        root / "package"
    )  # the grader and its kernels use this copy of course_utils
    shutil.copytree(ROOT / "course_utils", package / "course_utils")
    book, submissions, feedback = root / "book", root / "submissions", root / "feedback"
    book.mkdir(), submissions.mkdir()
    out = root / "grades.csv"
    out.write_text("an old CSV\n")
    stand_in = stand_in_chapter_1()
    nbformat.write(stand_in, book / f"{CHAPTER_1}.ipynb")
    shutil.copy(BOOK / f"{CHAPTER_2}.ipynb", book / f"{CHAPTER_2}.ipynb")
    chapter_2 = read_notebook(book / f"{CHAPTER_2}.ipynb")
    solution_2 = next(c for c in chapter_2.cells if SOLUTION in tags(c))
    region = solution_2.source[
        solution_2.source.index("### BEGIN SOLUTION") : solution_2.source.index(
            "### END SOLUTION"
        )
        + len("### END SOLUTION")
    ]
    mirror_2 = nbformat.from_dict(chapter_2)
    next(
        c for c in mirror_2.cells if SOLUTION in tags(c)
    ).source = solution_2.source.replace(region, MIRROR)
    protected = [
        submissions / f"ann_{CHAPTER_1}.ipynb",
        out,
        book / f"{CHAPTER_1}.ipynb",
        package / "course_utils" / "checks" / "linear_autoencoder.py",
    ]
    forged = submissions / f"zed_{CHAPTER_1}.ipynb"  # a new submission
    notebooks = {
        f"ann_{CHAPTER_1}": stand_in,
        f"ann_{CHAPTER_2}": chapter_2,
        f"bea_{CHAPTER_1}": with_answer(stand_in, OWN_MODEL),
        f"bea_{CHAPTER_2}": mirror_2,
        **{
            f"{name}_{CHAPTER_1}": notebook
            for name, notebook in tricks(stand_in, [*protected, forged]).items()
        },
    }
    for name, notebook in notebooks.items():
        nbformat.write(notebook, submissions / f"{name}.ipynb")
    before = {path: digest(path) for path in [*submissions.iterdir(), *protected]}
    command = [
        sys.executable,
        "-m",
        "course_utils.grade",
        str(submissions),
        "--book",
        str(book),
    ]
    command += [
        "--out",
        str(out),
        "--jobs",
        "2",
        "--timeout",
        "120",
        "--feedback",
        str(feedback),
    ]
    command += ["--memory", "6", "--max-output", "5", "--quiet"]
    started = time.monotonic()
    data = root / "data"  # where a kernel may write
    data.mkdir()
    env = tiny_env(
        COURSE_OFFLINE="1", PYTHONPATH=str(package), COURSE_DATA_DIR=str(data)
    )
    result = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=1200
    )
    seconds = time.monotonic() - started
    print(f"graded {len(notebooks)} notebooks in {seconds:.0f} s\n{result.stdout}")
    with open(out, newline="", encoding="utf-8") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    after = {path: digest(path) for path in [*submissions.iterdir(), *protected]}
    daemon = int((data / "daemon.pid").read_text())
    return result, rows, before, after, feedback, daemon


def test_the_csv_is_written_with_a_row_per_student(graded):
    result, rows, *_ = graded
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(rows) == sorted(EXPECTED)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_its_status(graded, student):
    _, rows, *_ = graded
    row = rows[student]
    assert [row["ex-1.1"], row["ex-2.1"]] == EXPECTED[student], row["notes"]


def test_no_trick_passes_and_every_right_answer_does(graded):
    _, rows, *_ = graded
    for student, row in rows.items():
        if student in {"ann", "bea"}:
            assert row["ex-1.1"] == row["ex-2.1"] == "pass", row["notes"]
        else:
            assert row["ex-1.1"] in {"fail", "error", "missing"}, (
                student,
                row["notes"],
            )


def test_the_notes_say_what_happened(graded):
    _, rows, *_ = graded
    notes = {student: row["notes"] for student, row in rows.items()}
    for student in ["patch_checks", "patch_torch", "patch_builtins", "hook", "thread"]:
        assert "tampered with the grading" in notes[student], notes[student]
    assert "torch.allclose was replaced" in notes["patch_torch"]
    assert "builtins.all was replaced" in notes["patch_builtins"]
    assert "`codes_2d` are not the codes" in notes["redefine"]
    assert "`codes_2d` are not the codes" in notes["print_pass"]
    assert "`codes_2d` are not the codes" in notes["writes"]
    assert "verdicts instead of one" in notes["transformer"]
    assert "the kernel died" in notes["exit_early"]
    assert "MemoryError" in notes["memory_hog"]
    assert "output cut at 5 MB" in notes["printer"]
    assert "its check cell is missing" in notes["retag"]
    assert "NameError" in notes["move_check"]


def test_no_protected_file_changed_and_no_file_was_added(graded):
    _, rows, before, after, *_ = graded
    assert sorted(map(str, before)) == sorted(map(str, after)), "files added or removed"
    changed = [str(path) for path in before if before[path] != after[path]]
    assert changed == [path for path in changed if path.endswith("grades.csv")]
    assert "zed" not in rows


def test_no_process_outlives_its_notebook(graded):
    *_, daemon = graded
    assert not psutil.pid_exists(daemon) or psutil.Process(daemon).status() == "zombie"


def test_every_student_gets_feedback(graded):
    *_, feedback, _ = graded
    assert sorted(p.stem for p in feedback.iterdir()) == sorted(EXPECTED)
    redefine = (feedback / "redefine.md").read_text()
    assert "## ex-1.1: fail" in redefine and "Hint:" in redefine
    assert "## ex-1.1: pass" in (feedback / "bea.md").read_text()
