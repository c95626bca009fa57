"""The grader against students who try to pass without an answer (one notebook per attack class,
in :mod:`grading_attacks`), and answers written differently.

One folder is graded through the command line, two notebooks at a time: the teacher's notebook,
a right answer written differently (both pass), and every attack (none passes). Then the teacher's
notebook is graded again in a second run, and passes again: nothing an attack did outlived its
sandbox. No file outside the grader's own output changed, and no process of a sandbox's user is
left.

Chapter 1 is a stand-in built from the live chapter: its import of the check and its check cell
verbatim, with a small setup and a solution that trains on 1,000 digits for 12 epochs, so that
thirty notebooks take minutes; the real chapter is graded end to end in ``test_grading.py``.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import os
import shutil
import subprocess
import sys
import time

import grading_attacks as attacks
import nbformat
import psutil
import pytest
from helpers import BOOK, ROOT
from nbformat.v4 import new_code_cell, new_notebook, new_raw_cell

from course_utils.teaching.exercises import (
    CHECK,
    SOLUTION,
    exercise_id,
    read_notebook,
    tags,
)
from course_utils.teaching.sandbox import FIRST_UID

CHAPTER_1 = "01_linear_autoencoder"

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

# A correct answer written differently: the student's own architecture and training loop.
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

    def decode(self, z):
        return self.decoder(z).view(-1, 1, 28, 28)

    def forward(self, x):
        return self.decode(self.encode(x))


torch.manual_seed(1)
model_2d = TinyAutoencoder()
optimiser = torch.optim.Adam(model_2d.parameters(), lr=1e-2)
for epoch in range(6):
    for batch in train.images.split(32):
        optimiser.zero_grad()
        torch.nn.functional.mse_loss(model_2d(batch), batch).backward()
        optimiser.step()
with torch.no_grad():
    codes_2d = model_2d.encode(test.images)"""

THREAD = """\
import threading
import time


def cheer():
    while True:
        print("✔ ex-1.1 passed: from a thread")
        time.sleep(0.05)


threading.Thread(target=cheer, daemon=True).start()
"""


def live_check():
    """The live chapter's check cell and the line that imports its check function."""
    teacher = read_notebook(BOOK / f"{CHAPTER_1}.ipynb")
    check = next(c for c in teacher.cells if CHECK in tags(c))
    imports = [
        ast.unparse(node)
        for c in teacher.cells
        if c.cell_type == "code" and "course_utils.checks" in c.source
        for node in ast.walk(ast.parse(c.source))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("course_utils.checks")
    ]
    assert imports, f"{CHAPTER_1} should import its check from course_utils.checks"
    return check, "\n".join(imports)


def stand_in_chapter_1():
    check, check_import = live_check()
    assert exercise_id(check) == "ex-1.1", "the stand-in expects chapter 1's ex-1.1"
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


def with_answer(
    notebook, answer: str, before: str = "", after: str = "", last: str = ""
):
    """``notebook`` with its solution cell's code replaced by ``before``, ``answer``, ``after``,
    and a cell ``last`` added after the check."""
    notebook = nbformat.from_dict(notebook)
    cell = next(c for c in notebook.cells if SOLUTION in tags(c))
    cell.source = "\n".join(part for part in (before, answer, after) if part)
    if last:
        notebook.cells.append(new_code_cell(last))
    return notebook


def check_index(notebook) -> int:
    return next(i for i, c in enumerate(notebook.cells) if CHECK in tags(c))


def tricks(stand_in, paths: list[str]) -> dict:
    """``{name: notebook}``: each attack, most on top of a wrong answer."""
    listed = repr([str(p) for p in paths])
    wrong = with_answer(stand_in, WRONG)

    def on_wrong(code, **where):
        return with_answer(stand_in, WRONG, **(where or {"after": code}))

    found = {
        "display_hook": with_answer(stand_in, WRONG, before=attacks.DISPLAY_HOOK),
        "hook_in_check": on_wrong(attacks.HOOK_DURING_CHECK),
        "secret_read": on_wrong(attacks.SECRET_READ),
        "forged": on_wrong(attacks.FORGED),
        "dir_fd": on_wrong(attacks.DIR_FD_WRITE.format(paths=listed)),
        "fork_exec": on_wrong(attacks.FORK_EXEC.format(paths=listed)),
        "pidfd": on_wrong(attacks.PIDFD_SIGNAL),
        "bytecode": on_wrong(attacks.BYTECODE.format(paths=listed)),
        "read_others": on_wrong(attacks.READ_OTHERS.format(paths=listed)),
        "data_poison": on_wrong(attacks.DATA_POISON.format(paths=listed)),
        "fork_memory": on_wrong(attacks.FORK_MEMORY),
        "processes": on_wrong(attacks.PROCESS_COUNT),
        "patch_partial": on_wrong(attacks.PATCH_PARTIAL),
        "patch_deep": on_wrong(attacks.PATCH_DEEP),
        "redefine": on_wrong(
            "def check_latent_2d(*args, **kwargs):\n    print('✔ ex-1.1 passed: trust me')"
        ),
        "patch_checks": on_wrong(
            "import course_utils.checks as checks\n"
            "checks.expect = lambda *args, **kwargs: None\n"
            "checks.passed('ex-1.1', 'patched')"
        ),
        "thread": on_wrong(THREAD),
        "exit_early": with_answer(stand_in, "import os\n\nos._exit(0)"),
        "printer": with_answer(
            stand_in, "for _ in range(10**4):\n    print('x' * 1000)"
        ),
        **{
            name: with_answer(
                stand_in, ANSWER, last=attacks.ANSWER_FILE.format(craft=craft)
            )
            for name, craft in attacks.CRAFTED.items()
        },
    }
    edited = nbformat.from_dict(wrong)
    edited.cells[check_index(edited)].source = "print('✔ ex-1.1 passed: edited')"
    found["edit_check"] = edited
    retagged = nbformat.from_dict(wrong)
    retagged.cells[check_index(retagged)].metadata = {}
    found["retag"] = retagged
    odd = nbformat.from_dict(wrong)  # another kernel, a raw check cell
    odd.metadata = {
        "kernelspec": {"name": "bash", "display_name": "Bash", "language": "bash"}
    }
    index = check_index(odd)
    odd.cells[index] = new_raw_cell(
        odd.cells[index].source, metadata=odd.cells[index].metadata
    )
    found["metadata"] = odd
    return found


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def tree(*folders):
    """Every file below ``folders``, with its digest."""
    return {
        path: digest(path)
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if not path.is_dir()
    }


def grade(root, submissions, out, env, *extra):
    command = [sys.executable, "-m", "course_utils.grade", str(submissions)]
    command += ["--book", str(root / "book"), "--out", str(out), "--jobs", "2"]
    # no attack loops forever: the limit only matters on a busy machine
    command += ["--timeout", "300", "--memory", "3", "--quiet", *extra]
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=submissions, env=env, capture_output=True, text=True, timeout=1800
    )
    print(
        f"graded {submissions.name} in {time.monotonic() - started:.0f} s\n{result.stdout}"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with open(out, newline="", encoding="utf-8") as file:
        return {row["student"]: row for row in csv.DictReader(file)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, notebook_env):
    """The attack folder graded once, then the teacher's notebook alone in a second run."""
    attacks.require_sandbox()
    root = tmp_path_factory.mktemp("tricks")
    package = (
        root / "package"
    )  # the grader and its sandboxes use this copy of course_utils
    shutil.copytree(ROOT / "course_utils", package / "course_utils")
    book, submissions, data = root / "book", root / "submissions", root / "data"
    for folder in (book, submissions, data):
        folder.mkdir()
    (data / "keep.txt").write_text("the data cache")
    out = root / "grades.csv"
    out.write_text("an old CSV\n")
    stand_in = stand_in_chapter_1()
    nbformat.write(stand_in, book / f"{CHAPTER_1}.ipynb")
    ann = submissions / f"ann_{CHAPTER_1}.ipynb"
    source = package / "course_utils" / "checks" / "linear_autoencoder.py"
    targets = [
        ann,
        out,
        book / f"{CHAPTER_1}.ipynb",
        BOOK / f"{CHAPTER_1}.ipynb",
        source,
        source.parent / "__pycache__" / "linear_autoencoder.cpython-311.pyc",
        data / "keep.txt",
        submissions / f"zed_{CHAPTER_1}.ipynb",  # a new submission
    ]
    notebooks = {
        "ann": stand_in,
        "bea": with_answer(stand_in, OWN_MODEL),
        **tricks(stand_in, targets),
    }
    for name, notebook in notebooks.items():
        nbformat.write(notebook, submissions / f"{name}_{CHAPTER_1}.ipynb")
    formula = '=HYPERLINK("evil.example","click")'
    nbformat.write(
        with_answer(stand_in, WRONG), submissions / f"{formula}_{CHAPTER_1}.ipynb"
    )
    again = root / "again"  # the second run: the teacher's notebook alone
    again.mkdir()
    shutil.copy(ann, again / ann.name)
    before = tree(root, BOOK)
    env = notebook_env(
        COURSE_OFFLINE="1", PYTHONPATH=str(package), COURSE_DATA_DIR=str(data)
    )
    started = time.monotonic()
    rows = grade(root, submissions, out, env, "--feedback", str(root / "feedback"))
    seconds = time.monotonic() - started
    second = grade(root, again, root / "again.csv", env)
    after = tree(root, BOOK)
    return rows, second, before, after, root, seconds, formula


def test_no_attack_passes_and_every_right_answer_does(graded):
    rows, second, *_ = graded
    assert rows["ann"]["ex-1.1"] == rows["bea"]["ex-1.1"] == "pass", rows["bea"][
        "notes"
    ]
    passed = [student for student, row in rows.items() if row["ex-1.1"] == "pass"]
    assert sorted(passed) == ["ann", "bea"], {s: rows[s]["notes"] for s in passed}
    assert second["ann"]["ex-1.1"] == "pass", second["ann"]["notes"]


def test_each_attack_gets_its_status(graded):
    rows, *_ = graded
    statuses = {student: row["ex-1.1"] for student, row in rows.items()}
    expected = dict.fromkeys(statuses, "fail")  # the real check ran on the wrong answer
    expected.update(ann="pass", bea="pass", retag="missing", answer_symlink="error")
    # the kernel, or the runner beside it, ended: the check never handed anything over
    expected.update(
        exit_early="error", fork_exec="error", pidfd="error", printer="error"
    )
    for name in ["answer_huge", "answer_pickle", "answer_zip", "answer_huge_header"]:
        expected[name] = "error"
        assert "answer handed over was refused" in rows[name]["notes"], rows[name][
            "notes"
        ]
    expected["answer_header_length"] = "error"
    # the machine's limits may end the kernel itself rather than its children
    for name in ["fork_memory", "processes"]:
        if statuses[name] == "error":
            expected[name] = "error"
    assert statuses == expected


def test_the_notes_say_what_happened(graded):
    rows, *_ = graded
    notes = {student: row["notes"] for student, row in rows.items()}
    assert (
        "`codes_2d` are not the codes" in notes["redefine"]
        or "no answer" in notes["redefine"]
    )
    assert "its check cell is missing" in notes["retag"]
    assert "the kernel died" in notes["exit_early"]
    assert (
        "ann_01" not in notes["read_others"]
        and "BEGIN SOLUTION" not in notes["secret_read"]
    )


def test_no_file_outside_the_grader_output_changed(graded):
    _, _, before, after, root, *_ = graded
    output = {root / "grades.csv", root / "again.csv"}
    changed = [
        str(path)
        for path in sorted(set(before) | set(after))
        if before.get(path) != after.get(path)
        and path not in output
        and root / "feedback" not in path.parents
    ]
    assert changed == []


def test_no_process_of_a_sandbox_is_left(graded):
    if os.geteuid() != 0:
        pytest.skip("sandboxes run as this user when the grader is not root")
    users = {FIRST_UID, FIRST_UID + 1}
    left = [
        p.info
        for p in psutil.process_iter(["pid", "uids", "cmdline"])
        if p.info["uids"]
    ]
    assert [p for p in left if p["uids"].real in users] == []


def test_a_formula_in_a_file_name_is_neutralised(graded):
    rows, *_, root, _, formula = graded
    assert rows[f"'{formula}"]["ex-1.1"] == "fail"
    with open(root / "grades.csv", newline="", encoding="utf-8") as file:
        cells = [cell for row in csv.reader(file) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]


def test_grading_is_quick_enough(graded):
    rows, *_, seconds, _ = graded
    print(f"{len(rows)} notebooks graded in {seconds:.0f} s")
    assert seconds < 900
