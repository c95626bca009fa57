"""The mutation tool itself (tests/checks/mutation/mutate.py) on a toy chapter: its operators make the
mutants they should, and the fork runner tells killed from surviving ones (and times out loops).
The full run over the book is `make mutants`."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("mutate", HERE / "mutation" / "mutate.py")
mutate = importlib.util.module_from_spec(spec)
sys.modules["mutate"] = mutate  # dataclasses look their module up
spec.loader.exec_module(mutate)

TOY = """# %%
import course_utils.checks as checks
from course_utils.checks import CheckFailed


def judge(values):
    if values != [0, 1, 2, 3]:
        raise CheckFailed("ex-0.1 not passed yet: wrong values")
    checks.passed("ex-0.1", "right values")


# %% tags=["solution", "ex-0.1"]
COUNT = 4
### BEGIN SOLUTION
values = list(range(0, COUNT))
label = "shown only"
### END SOLUTION

# %% tags=["check", "ex-0.1"]
judge(values)
"""


def keys(region: str) -> list[str]:
    return [m.key for m in mutate.mutants_of("ex-0.1", region)]


def test_each_operator_makes_its_mutants():
    region = (
        "torch.manual_seed(0)\n"
        "model = fit(model, images, epochs=3, lr=1e-2)\n"
        "z = torch.rand(5, 2, generator=g) * noise_std\n"
        "path = torch.linspace(0, 1, 8)\n"
    )
    found = keys(region)
    operators = {key.split(":")[0] for key in found}
    assert operators == set(mutate.OPERATORS)
    joined = "\n".join(found)
    for expected in (
        "`torch.manual_seed(0)` dropped",
        "lr= left out of",
        "3 -> 6",
        "0.01 -> 0.005",
        "epochs= and lr= of",
        "arguments 1 and 2 of `torch.rand(5, 2, generator=g)` swapped",
        "end 2 of `torch.linspace(0, 1, 8)` + 1",
        "end of `torch.linspace(0, 1, 8)` one step in",
        "-> .detach()",
        "`torch.rand(5, 2, generator=g)` -> torch.randn_like(...)",
        "`fit(model, images, epochs=3, lr=0.01)` skipped",
        "`noise_std` ** 2",
        "`noise_std` ** 0.5",
        "`lr=0.01` ** 0.5",
    ):
        assert expected in joined, expected
    # every mutant parses, differs from the solution and from every other mutant
    sources = [m.source for m in mutate.mutants_of("ex-0.1", region)]
    assert len(set(sources)) == len(sources)
    assert ast.unparse(ast.parse(region)) not in sources
    assert len(set(found)) == len(found)  # keys are unique


def test_the_fork_runner_tells_killed_from_survived(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_SCALE", "tiny")
    chapter = tmp_path / "00_toy.py"
    chapter.write_text(TOY)
    (exercise,) = mutate.run_chapter(chapter, None, jobs=2, timeout=20)
    assert exercise.id == "ex-0.1" and exercise.baseline == "passed"
    status = {m.key: m.status for m in exercise.mutants}
    assert status["drop: [label = 'shown only'] `label = 'shown only'` dropped"] == (
        "survived"
    )
    assert (
        status[
            "drop: [values = list(range(0, COUNT))] `values = list(range(0, "
            "COUNT))` dropped"
        ]
        == "killed"
    )
    killed = [k for k, s in status.items() if s == "killed"]
    assert any("range-end" in k for k in killed)
    assert any(k.startswith("swap:") for k in killed)
    assert all(s in ("killed", "survived") for s in status.values())
    # the survivor is explained by an entry of the equivalent-mutants file
    entries = [
        {
            "exercise": "ex-0.1",
            "kind": "equivalent",
            "match": r"\[label = ",
            "reason": "display only",
        }
    ]
    for mutant in exercise.mutants:
        mutate.explain(mutant, entries)
    text, clean = mutate.report([exercise], 1.0)
    assert clean and "| ex-0.1 | passed |" in text


def test_a_mutant_that_loops_is_killed_by_the_time_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_SCALE", "tiny")
    cells = mutate.read_cells(_write(tmp_path))
    (exercise,) = mutate.find_exercises(cells)
    exercise.mutants = [
        mutate.Mutant("ex-0.1", "manual", "loop", "while True:\n    pass")
    ]
    namespace = {"__name__": "__main__"}
    mutate.run_cells([s for _, s in cells[: exercise.solution_cell]], namespace)
    mutate.run_mutants(cells, exercise, namespace, jobs=1, timeout=1)
    assert exercise.baseline == "passed"
    assert exercise.mutants[0].status == "killed"
    assert "time limit" in exercise.mutants[0].detail


def test_the_equivalent_mutants_file_is_valid():
    entries = mutate.load_explanations()
    assert entries, (
        "tests/checks/mutation/equivalent.toml lists the explained survivors"
    )
    for entry in entries:
        assert ("mutant" in entry) != ("match" in entry), entry


def test_a_bad_entry_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[mutant]]\nexercise = "ex-0.1"\nkind = "fine"\nmatch = "x"\n')
    with pytest.raises(ValueError, match="kind and a reason"):
        mutate.load_explanations(bad)


def _write(tmp_path: Path) -> Path:
    chapter = tmp_path / "00_toy.py"
    chapter.write_text(TOY)
    return chapter


def test_a_region_inside_a_function_is_mutated_and_indented_back(tmp_path):
    """ex-6.1's solution is the body of a function, under `with torch.no_grad()`, ending in
    `return`: its mutants are made dedented, named by their line inside the `with`, and run
    indented back; a weight taken by attribute gets a `.detach()` mutant too."""
    chapter = tmp_path / "00_toy.py"
    chapter.write_text(
        '# %% tags=["solution", "ex-0.2"]\n'
        "def scaled(model, x):\n"
        "    ### BEGIN SOLUTION\n"
        "    with torch.no_grad():\n"
        "        weight = model.weight\n"
        "        y = x * 2\n"
        "        return y * weight\n"
        "    ### END SOLUTION\n"
    )
    (exercise,) = mutate.find_exercises(mutate.read_cells(chapter))
    assert exercise.indent == "    " and exercise.region.startswith("with ")
    found = keys(exercise.region)
    assert "constant: [y = x * 2] 2 -> 4" in found
    assert "detach: [weight = model.weight] `model.weight` -> .detach()" in found
    assert any(key.endswith("`return y * weight` dropped") for key in found)
