"""Mutation testing of the exercises' checks: does every check fail the wrong answers that small
edits of the solution make?

For each exercise of the chapters given (default: every ``book/NN_*.py``), the solution region
(between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` of the cell tagged ``solution`` and the
exercise id) is parsed and mutated one edit at a time (see :data:`OPERATORS`). The chapter is
executed once, at the tiny scale and offline, up to the exercise's solution cell; then the process
forks once per mutant, and the child runs the mutated solution and the cells up to and including
the exercise's last check cell (the checks run in-process, as in a student's self-check). A mutant
is *killed* when a check raises ``CheckFailed``, anything else raises, or it runs past the time
limit, and *survives* when every check passes. A survivor must be listed in ``equivalent.toml``
(beside this file) with a one-line reason: ``equivalent`` (the answer the checks see does not
change: a print, a plot) or ``correct`` (it changes, but it is still a right answer: a learning
rate x2). Anything else is an unexplained survivor, and the run fails.

    COURSE_TINY=1 COURSE_OFFLINE=1 python tests/checks/mutation/mutate.py [book/01_linear_autoencoder.py ...]
        [--only ex-1.1] [--jobs 2] [--timeout 120] [--report _build/mutants.md]

``make mutants`` runs it on every chapter.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import io
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import textwrap
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]  # tests/checks/mutation/ is three folders down
EQUIVALENT = HERE / "equivalent.toml"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

# ---------------------------------------------------------------------------------------------
# mutation operators: each yields (description, mutated module) for one source tree


@dataclass
class Mutant:
    exercise: str
    operator: str
    description: (
        str  # what changed, as `before` -> `after` (the key of equivalent.toml)
    )
    source: str  # the mutated solution region
    status: str = "pending"  # killed / survived / equivalent / correct / error
    detail: str = ""
    seconds: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.operator}: {self.description}"


def _short(node: ast.AST, limit: int = 70) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _call_name(node: ast.AST) -> str:
    """The last name of a call's function (``cu.training.fit`` -> ``fit``), or ''."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _mutate_each(tree: ast.Module, select, change) -> Iterator[tuple[str, ast.Module]]:
    """For every node ``select`` picks (in a fresh copy of ``tree``), apply ``change`` to it;
    ``change`` returns (description, replacement or None) pairs."""
    count = sum(1 for node in ast.walk(tree) if select(node))
    for index in range(count):
        for variant in range(8):  # an operator makes at most a few variants per node
            fresh = copy.deepcopy(tree)
            nodes = [node for node in ast.walk(fresh) if select(node)]
            changes = list(change(nodes[index]))
            if variant >= len(changes):
                break
            description, apply = changes[variant]
            apply()
            yield description, fresh


def _replace_in_parent(tree: ast.Module, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list) and any(item is old for item in value):
                value[[item is old for item in value].index(True)] = new
                return


def drop_statement(tree):
    """Replace one statement (at any depth) by ``pass``."""

    def change(stmt):
        def apply():
            _replace_in_parent(tree_ref[0], stmt, ast.Pass())

        yield f"`{_short(stmt)}` dropped", apply

    for index in range(sum(isinstance(n, ast.stmt) for n in ast.walk(tree))):
        fresh = copy.deepcopy(tree)
        stmts = [n for n in ast.walk(fresh) if isinstance(n, ast.stmt)]
        if isinstance(stmts[index], ast.Pass):
            continue
        tree_ref = [fresh]
        for description, apply in change(stmts[index]):
            apply()
            yield description, fresh


def drop_keyword(tree):
    """One keyword argument of a call left out (the callee's default is used instead)."""

    def select(node):
        return isinstance(node, ast.Call) and any(k.arg for k in node.keywords)

    def change(node):
        for keyword in [k for k in node.keywords if k.arg]:

            def apply(node=node, keyword=keyword):
                node.keywords.remove(keyword)

            yield f"{keyword.arg}= left out of `{_short(node)}`", apply

    yield from _mutate_each(tree, select, change)


def numeric_constant(tree):
    """An int or float constant x0.5, x2, +1, -1."""

    def select(node):
        return (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
        )

    def change(node):
        value = node.value
        for new in (value * 0.5, value * 2, value + 1, value - 1):
            if isinstance(value, int) and float(new).is_integer():
                new = int(new)
            if new == value:
                continue

            def apply(node=node, new=new):
                node.value = new

            yield f"{value!r} -> {new!r}", apply

    yield from _mutate_each(tree, select, change)


def swap_arguments(tree):
    """Two neighbouring arguments of a call swapped (positional, or keyword values)."""

    def select(node):
        return isinstance(node, ast.Call) and (
            len(node.args) >= 2 or len(node.keywords) >= 2
        )

    def change(node):
        for i in range(len(node.args) - 1):

            def apply(node=node, i=i):
                node.args[i], node.args[i + 1] = node.args[i + 1], node.args[i]

            yield f"arguments {i + 1} and {i + 2} of `{_short(node)}` swapped", apply
        named = [k for k in node.keywords if k.arg]
        for a, b in zip(named, named[1:]):

            def apply(a=a, b=b):
                a.value, b.value = b.value, a.value

            yield f"{a.arg}= and {b.arg}= of `{_short(node)}` swapped", apply

    yield from _mutate_each(tree, select, change)


def move_range_end(tree):
    """An end of a ``linspace`` / ``arange`` / ``range`` moved by one (or one step)."""

    def select(node):
        return (
            isinstance(node, ast.Call)
            and _call_name(node) in ("linspace", "arange", "range")
            and node.args
        )

    def change(node):
        for i in range(min(2, len(node.args))):
            for op, sign in ((ast.Add(), "+"), (ast.Sub(), "-")):

                def apply(node=node, i=i, op=op):
                    node.args[i] = ast.BinOp(node.args[i], op, ast.Constant(1))

                yield f"end {i + 1} of `{_short(node)}` {sign} 1", apply
        if _call_name(node) == "linspace" and len(node.args) >= 3:
            # drop the last point: the end moves one step in
            def apply(node=node):
                start, end, num = node.args[:3]
                step = ast.BinOp(
                    ast.BinOp(end, ast.Sub(), start),
                    ast.Div(),
                    ast.BinOp(num, ast.Sub(), ast.Constant(1)),
                )
                node.args[1] = ast.BinOp(copy.deepcopy(end), ast.Sub(), step)

            yield f"end of `{_short(node)}` one step in", apply

    yield from _mutate_each(tree, select, change)


def add_detach(tree):
    """``.detach()`` added to the value of an assignment (a call, an operation, or an
    attribute or item such as ``model.encoder[1].weight``: a weight cut off from its gradient).
    """

    def select(node):
        return isinstance(node, ast.Assign) and isinstance(
            node.value, (ast.Call, ast.BinOp, ast.Attribute, ast.Subscript)
        )

    def change(node):
        def apply(node=node):
            node.value = ast.Call(
                ast.Attribute(node.value, "detach", ast.Load()), [], []
            )

        yield f"`{_short(node.value)}` -> .detach()", apply

    yield from _mutate_each(tree, select, change)


SAMPLER = re.compile(r"^(rand|rand_like|randint|uniform_?|sample|rsample|.*prior.*)$")


def gaussian_sampler(tree):
    """A sampler or prior (``rand``, ``.sample``, ``*prior*``) replaced by Gaussian noise of
    the same shape."""

    def select(node):
        return isinstance(node, ast.Call) and SAMPLER.match(_call_name(node))

    def change(node):
        def apply(node=node):
            gaussian = ast.parse(f"__import__('torch').randn_like({ast.unparse(node)})")
            _replace_in_parent(holder[0], node, gaussian.body[0].value)

        yield f"`{_short(node)}` -> torch.randn_like(...)", apply

    count = sum(1 for n in ast.walk(tree) if select(n))
    for index in range(count):
        fresh = copy.deepcopy(tree)
        holder = [fresh]
        node = [n for n in ast.walk(fresh) if select(n)][index]
        for description, apply in change(node):
            apply()
            yield description, fresh


TRAINING = re.compile(r"^(fit|train\w*|\w*_train|step|backward|\w*training\w*)$")


def skip_training(tree):
    """A training call (``fit``, ``train...``, ``step``, ``backward``) skipped: it returns None."""

    def select(node):
        return isinstance(node, ast.Call) and TRAINING.match(_call_name(node))

    count = sum(1 for n in ast.walk(tree) if select(n))
    for index in range(count):
        fresh = copy.deepcopy(tree)
        node = [n for n in ast.walk(fresh) if select(n)][index]
        _replace_in_parent(fresh, node, ast.Constant(None))
        yield f"`{_short(node)}` skipped", fresh


SCALE = re.compile(
    r"(std|sigma|scale|noise|var|amount|eps|radius|temperature|beta|^lr$|^LR$)", re.I
)


def square_or_sqrt_scale(tree):
    """A scale (a name or keyword such as ``std``, ``sigma``, ``noise``) squared or square-rooted."""

    def select(node):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            return bool(SCALE.search(node.id))
        if isinstance(node, ast.keyword) and node.arg:
            return bool(SCALE.search(node.arg))
        return False

    count = sum(1 for n in ast.walk(tree) if select(n))
    for index in range(count):
        for power in (2, 0.5):
            fresh = copy.deepcopy(tree)
            node = [n for n in ast.walk(fresh) if select(n)][index]
            if isinstance(node, ast.keyword):
                before = _short(node.value)
                node.value = ast.BinOp(node.value, ast.Pow(), ast.Constant(power))
                label = f"{node.arg}={before}"
            else:
                label = node.id
                _replace_in_parent(
                    fresh, node, ast.BinOp(node, ast.Pow(), ast.Constant(power))
                )
            yield f"`{label}` ** {power}", fresh


OPERATORS: dict[str, Callable] = {
    "drop": drop_statement,
    "drop-keyword": drop_keyword,
    "constant": numeric_constant,
    "swap": swap_arguments,
    "range-end": move_range_end,
    "detach": add_detach,
    "gaussian": gaussian_sampler,
    "skip-training": skip_training,
    "scale": square_or_sqrt_scale,
}


def mutants_of(exercise: str, region: str) -> list[Mutant]:
    """Every mutant of a solution region, without duplicates (nor the unmutated source)."""
    tree = ast.parse(region)
    seen = {ast.unparse(tree)}
    found = []
    for operator, generate in OPERATORS.items():
        for description, mutated in generate(tree):
            ast.fix_missing_locations(mutated)
            try:
                source = ast.unparse(mutated)
                # inside a function, as a region in a function body may `return`
                compile(
                    "def _region():\n" + textwrap.indent(source, "    ") + "\n    pass",
                    "<mutant>",
                    "exec",
                )
            except (SyntaxError, ValueError):
                continue
            if source in seen:
                continue
            seen.add(source)
            where = _changed_statement(tree, mutated)
            found.append(Mutant(exercise, operator, f"[{where}] {description}", source))
    keys = {}
    for mutant in found:  # the same edit on two equal lines: number them
        keys[mutant.key] = keys.get(mutant.key, 0) + 1
        if keys[mutant.key] > 1:
            mutant.description += f" (#{keys[mutant.key]})"
    return found


def _changed_statement(original: ast.Module, mutated: ast.Module) -> str:
    """The first top-level statement of the region that the mutant changed, shortened."""
    for before, after in zip(original.body, mutated.body):
        if ast.dump(before) != ast.dump(after):
            # inside a `with` block (ex-6.1's `torch.no_grad()`), name the line within it
            if (
                isinstance(before, ast.With)
                and isinstance(after, ast.With)
                and len(before.body) == len(after.body)
                and all(
                    ast.dump(x) == ast.dump(y)
                    for x, y in zip(before.items, after.items)
                )
            ):
                return _changed_statement(before, after)
            return _short(before, 50)
    return "?"


# ---------------------------------------------------------------------------------------------
# the chapter: cells, exercises, execution


@dataclass
class Exercise:
    id: str
    solution_cell: int
    prefix: str  # the solution cell before BEGIN (the task's settings)
    region: str
    suffix: str
    last_check_cell: int
    mutants: list[Mutant] = field(default_factory=list)
    indent: str = ""  # the region's own indentation (a region inside a function body)
    baseline: str = (
        ""  # the unmutated solution's verdict: passed / skipped / failed: ...
    )


def read_cells(path: Path) -> list[tuple[list[str], str]]:
    """(tags, source) of every code cell of a jupytext percent file."""
    import jupytext

    notebook = jupytext.read(path)
    return [
        (list(cell.metadata.get("tags", [])), cell.source)
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]


def find_exercises(cells) -> list[Exercise]:
    exercises = {}
    for index, (tags, source) in enumerate(cells):
        ids = [t for t in tags if re.fullmatch(r"ex-\d+\.\d+", t)]
        if not ids:
            continue
        if "solution" in tags:
            lines = source.splitlines()
            begin = next(i for i, l in enumerate(lines) if l.strip() == BEGIN)
            end = next(i for i, l in enumerate(lines) if l.strip() == END)
            region = "\n".join(lines[begin + 1 : end])
            # a region inside a function is mutated dedented and indented back to run
            indent = re.match(r"[ \t]*", lines[begin]).group()
            exercises[ids[0]] = Exercise(
                ids[0],
                index,
                "\n".join(lines[:begin]),
                textwrap.dedent(region),
                "\n".join(lines[end + 1 :]),
                index,
                indent=indent,
            )
        elif "check" in tags and ids[0] in exercises:
            exercises[ids[0]].last_check_cell = index
    return list(exercises.values())


def run_cells(sources: list[str], namespace: dict) -> None:
    for source in sources:
        exec(compile(source, "<cell>", "exec"), namespace)


def _verdicts() -> list[str]:
    """Patch the checks' verdict functions so that the child can tell passed from skipped."""
    import course_utils.checks as checks

    said = []
    passed, skipped = checks.passed, checks.skipped
    checks.passed = lambda ex, summary: (said.append("passed"), passed(ex, summary))
    checks.skipped = lambda ex, reason: (said.append("skipped"), skipped(ex, reason))
    return said


def run_child(cells, exercise: Exercise, region: str, namespace: dict) -> dict:
    """In the forked child: run the solution cell (with ``region``) and the cells after it up
    to the last check; say what happened."""
    from course_utils.checks import CheckFailed

    said = _verdicts()
    region = textwrap.indent(region, exercise.indent)
    solution = "\n".join([exercise.prefix, region, exercise.suffix])
    sources = [solution] + [
        source
        for _, source in cells[
            exercise.solution_cell + 1 : exercise.last_check_cell + 1
        ]
    ]
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            run_cells(sources, namespace)
    except CheckFailed as error:
        return {"status": "killed", "detail": str(error).splitlines()[0][:160]}
    except BaseException as error:  # noqa: BLE001 (any error kills the mutant)
        first = str(error).splitlines()[0][:120] if str(error) else ""
        return {"status": "killed", "detail": f"{type(error).__name__}: {first}"}
    # checks that imported ``passed`` by name before the patch still print their verdict
    said += ["passed"] * printed.getvalue().count(f"✔ {exercise.id} passed")
    said += ["skipped"] * printed.getvalue().count(f"⚠ {exercise.id} skipped")
    if "skipped" in said:
        return {"status": "skipped", "detail": "the check skipped"}
    if not said:
        return {"status": "killed", "detail": "no check ran"}
    return {"status": "survived", "detail": ""}


def fork_run(cells, exercise, region, namespace, timeout: float) -> tuple[int, int]:
    """Fork a child that runs one mutant; (pid, read end of its pipe)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        code = 0
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        try:
            signal.signal(signal.SIGALRM, _alarm)
            signal.alarm(int(timeout))
            result = run_child(cells, exercise, region, namespace)
        except BaseException as error:  # noqa: BLE001 (the timeout, say)
            result = {"status": "killed", "detail": f"{type(error).__name__}: {error}"}
        try:
            os.write(write, json.dumps(result).encode())
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


class MutantTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise MutantTimeout("ran past the time limit")


def run_mutants(cells, exercise, namespace, jobs: int, timeout: float) -> None:
    """Run the unmutated solution, then every mutant, ``jobs`` children at a time."""
    import matplotlib.pyplot as plt

    plt.close("all")
    _run_queue(cells, exercise, namespace, [None], jobs, timeout)  # the solution first
    if exercise.baseline.startswith("skipped"):
        # the check cannot run here (its data set is missing): no mutant could be judged
        for mutant in exercise.mutants:
            mutant.status, mutant.detail = "skipped", "the check skips here"
        return
    _run_queue(cells, exercise, namespace, list(exercise.mutants), jobs, timeout)


def _run_queue(cells, exercise, namespace, queue, jobs, timeout) -> None:
    """Run the mutants of ``queue`` (None: the unmutated solution), ``jobs`` at a time."""
    running = {}  # pid -> (mutant, read end, start time)
    while queue or running:
        while queue and len(running) < jobs:
            mutant = queue.pop(0)
            region = exercise.region if mutant is None else mutant.source
            pid, read = fork_run(cells, exercise, region, namespace, timeout)
            running[pid] = (mutant, read, time.monotonic())
        pid = _wait_any(running, timeout)
        mutant, read, started = running.pop(pid)
        with os.fdopen(read) as pipe:
            text = pipe.read()
        result = (
            json.loads(text)
            if text
            else {"status": "killed", "detail": "the child died (memory, signal)"}
        )
        if mutant is None:
            exercise.baseline = (
                "passed"
                if result["status"] == "survived"
                else result["status"]
                + (f": {result['detail']}" if result["detail"] else "")
            )
        else:
            mutant.status, mutant.detail = result["status"], result["detail"]
            mutant.seconds = time.monotonic() - started


def _wait_any(running: dict, timeout: float) -> int:
    """The pid of a child that ended; one stuck past the time limit (a signal its code
    never sees) is killed."""
    while True:
        for pid, (_, _, started) in running.items():
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return pid
            if time.monotonic() - started > timeout + 30:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return pid
        time.sleep(0.1)


def run_chapter(path: Path, only: set[str] | None, jobs: int, timeout: float):
    """Execute the chapter once, forking at each exercise; the exercises with their mutants."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    torch.set_num_threads(1)
    plt.show = lambda *args, **kwargs: None
    cells = read_cells(path)
    exercises = [e for e in find_exercises(cells) if only is None or e.id in only]
    namespace = {"__name__": "__main__"}
    done = 0
    for exercise in exercises:
        exercise.mutants = mutants_of(exercise.id, exercise.region)
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            run_cells([s for _, s in cells[done : exercise.solution_cell]], namespace)
        run_mutants(cells, exercise, namespace, jobs, timeout)
        done = exercise.solution_cell
        print(f"  {exercise.id}: {len(exercise.mutants)} mutants", flush=True)
    return exercises


# ---------------------------------------------------------------------------------------------
# survivors explained, and the report


def load_explanations(path: Path = EQUIVALENT) -> list[dict]:
    """The entries of equivalent.toml: exercise, kind (equivalent / correct), a ``mutant``
    (the exact key) or a ``match`` (a regular expression searched in the key), and a reason."""
    if not path.exists():
        return []
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("mutant", [])
    for entry in entries:
        if entry.get("kind") not in ("equivalent", "correct") or not entry.get(
            "reason"
        ):
            raise ValueError(f"{path}: every entry needs a kind and a reason: {entry}")
    return entries


def explain(mutant: Mutant, entries: list[dict]) -> None:
    if mutant.status != "survived":
        return
    for entry in entries:
        if entry.get("exercise") not in (mutant.exercise, "*"):
            continue
        if entry.get("mutant") == mutant.key or (
            entry.get("match") and re.search(entry["match"], mutant.key)
        ):
            mutant.status, mutant.detail = entry["kind"], entry["reason"]
            return


def report(exercises: list[Exercise], seconds: float) -> tuple[str, bool]:
    """The markdown report, and whether every survivor is explained."""
    lines = [
        "# Mutation testing of the exercises' checks",
        "",
        "`make mutants`, tiny scale, offline; "
        + (f"{seconds / 60:.1f} minutes." if seconds else "survivors explained again."),
        "",
        "| exercise | solution | generated | killed | equivalent | correct | skipped "
        "| unexplained |",
        "|---|---|---|---|---|---|---|---|",
    ]
    clean = True
    for e in exercises:
        count = {s: sum(m.status == s for m in e.mutants) for s in STATUSES}
        clean &= count["survived"] == 0 and e.baseline.split(":")[0] in (
            "passed",
            "skipped",
        )
        lines.append(
            f"| {e.id} | {e.baseline} | {len(e.mutants)} | {count['killed']} | "
            f"{count['equivalent']} | {count['correct']} | {count['skipped']} | "
            f"{count['survived']} |"
        )
    for e in exercises:
        lines += ["", f"## {e.id}", ""]
        for status in ("survived", "correct", "equivalent", "killed", "skipped"):
            chosen = [m for m in e.mutants if m.status == status]
            if not chosen:
                continue
            title = "unexplained survivors" if status == "survived" else status
            lines.append(f"<details><summary>{title} ({len(chosen)})</summary>\n")
            lines += [
                f"- {m.key}" + (f" — {m.detail}" if m.detail else "") for m in chosen
            ]
            lines.append("\n</details>\n")
    return "\n".join(lines) + "\n", clean


STATUSES = ("killed", "survived", "equivalent", "correct", "skipped")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", type=Path)
    parser.add_argument("--only", action="append", help="exercise id (repeatable)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--report", type=Path, default=ROOT / "_build" / "mutants.md")
    parser.add_argument(
        "--reexplain",
        action="store_true",
        help="run nothing: classify the last run's mutants (the .json beside the "
        "report) again with the current equivalent.toml",
    )
    args = parser.parse_args(argv)
    results = args.report.with_suffix(".json")
    if args.reexplain:
        exercises = [_from_dict(d) for d in json.loads(results.read_text())]
        return _finish(exercises, args.report, results, 0.0, [])
    os.environ.setdefault("COURSE_SCALE", "tiny")
    os.environ.setdefault("COURSE_OFFLINE", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    chapters = args.chapters or sorted((ROOT / "book").glob("[0-9][0-9]_*.py"))
    load_explanations()  # a broken file fails now, not after the run
    started = time.monotonic()
    exercises, broken = [], []
    only = set(args.only) if args.only else None
    scratch = tempfile.mkdtemp(prefix="mutants-")
    for chapter in chapters:
        print(f"{chapter.name}", flush=True)
        saved = Path(scratch) / f"{chapter.stem}.json"
        pid = os.fork()  # each chapter in a process of its own: no state leaks
        if pid == 0:
            try:
                found = run_chapter(chapter, only, args.jobs, args.timeout)
                saved.write_text(json.dumps([_as_dict(e) for e in found]))
            except BaseException as error:  # noqa: BLE001 (reported by the parent)
                print(f"  {chapter.name}: {type(error).__name__}: {error}", flush=True)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        if saved.exists():
            exercises += [_from_dict(d) for d in json.loads(saved.read_text())]
        else:
            print(f"  {chapter.name}: the chapter did not run up to its exercises")
            broken.append(chapter.name)
    shutil.rmtree(scratch, ignore_errors=True)
    return _finish(exercises, args.report, results, time.monotonic() - started, broken)


def _finish(exercises, report_path: Path, results: Path, seconds, broken) -> int:
    """Explain the survivors, write the report and the raw results; the exit status."""
    entries = load_explanations()
    for e in exercises:
        for m in e.mutants:
            if m.status in ("equivalent", "correct"):  # explained before: ask again
                m.status, m.detail = "survived", ""
            explain(m, entries)
    text, clean = report(exercises, seconds)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(text, encoding="utf-8")
    results.write_text(json.dumps([_as_dict(e) for e in exercises]))
    print(text.split("\n## ")[0])
    print(f"report: {report_path}")
    return 0 if clean and exercises and not broken else 1


def _as_dict(e: Exercise) -> dict:
    d = {k: v for k, v in e.__dict__.items() if k != "mutants"}
    d["mutants"] = [m.__dict__ for m in e.mutants]
    return d


def _from_dict(d: dict) -> Exercise:
    mutants = [Mutant(**m) for m in d.pop("mutants")]
    return Exercise(**d, mutants=mutants)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
