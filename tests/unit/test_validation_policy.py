"""The validation policy: arguments are checked by one mechanism, the rules of
``course_utils.validation`` applied with ``@validated`` where users and data come in, and
the code the book prints (every ``cu.notebook.show_source`` target) holds none of it."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from pathlib import Path

import pytest

import course_utils
import course_utils.validation as validation

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
PACKAGE = ROOT / "course_utils"
CHAPTERS = sorted(BOOK.glob("[0-9][0-9]_*.py"))

# decorators a printed function may carry besides @validated: none of them checks anything
ALLOWED_DECORATORS = {"torch.no_grad", "torch.inference_mode", "staticmethod"}
# every rule and helper of the validation module, by name
VALIDATION_NAMES = {
    name for name, value in vars(validation).items() if callable(value)
} - {"Callable", "Mapping"}
# the modules that validate with course_utils.validation (checks/ and teaching/ read
# answer files and notebooks, data with messages of its own; __init__ and grade.py hold
# no code that takes arguments)
VALIDATED_MODULES = sorted(
    path
    for path in [*PACKAGE.glob("*.py"), *PACKAGE.glob("models/*.py")]
    if path.name not in {"__init__.py", "grade.py", "validation.py"}
)


def _dotted(node: ast.AST) -> str:
    """``cu.models.conv.ConvAutoencoder`` for an attribute chain, '' for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def show_source_targets(chapter: Path) -> list[str]:
    """The dotted names a chapter passes to ``cu.notebook.show_source``, with aliases such
    as ``more = cu.models.more_autoencoders`` resolved."""
    tree = ast.parse(chapter.read_text())
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            name, value = _dotted(node.targets[0]), _dotted(node.value)
            if name and value.startswith("cu."):
                aliases[name] = value
    targets = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _dotted(node.func).endswith("show_source"):
            head, _, rest = _dotted(node.args[0]).partition(".")
            targets.append(f"{aliases.get(head, head)}.{rest}")
    return targets


ALL_TARGETS = sorted(
    {
        (chapter.stem, target)
        for chapter in CHAPTERS
        for target in show_source_targets(chapter)
    }
)


def resolve(dotted: str):
    """The object ``cu.a.b.C`` names: attributes, importing submodules where needed."""
    parts = dotted.split(".")
    assert parts[0] == "cu", dotted
    obj, module_name = course_utils, "course_utils"
    for part in parts[1:]:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(f"{module_name}.{part}")
        module_name = f"{module_name}.{part}"
    return obj


def _decorator_name(node: ast.expr) -> str:
    return _dotted(node.func if isinstance(node, ast.Call) else node)


def validation_code(source: str) -> list[str]:
    """What in ``source`` (a printed class or function) validates: ``raise``,
    ``assert``, calls of validation helpers, decorators other than ``@validated``."""
    found = []
    tree = ast.parse(source)
    # what a decorator's arguments call (same_shape(...)) is declaration, not body
    in_decorators = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            for decorator in node.decorator_list:
                in_decorators.update(map(id, ast.walk(decorator)))
                name = _decorator_name(decorator)
                if (
                    name.split(".")[-1] != "validated"
                    and name not in ALLOWED_DECORATORS
                ):
                    found.append(f"decorator @{name} on {node.name}")
    for node in ast.walk(tree):
        if id(node) in in_decorators:
            continue
        if isinstance(node, ast.Raise):
            found.append(f"raise on line {node.lineno}")
        if isinstance(node, ast.Assert):
            found.append(f"assert on line {node.lineno}")
        if isinstance(node, ast.Call):
            called = _dotted(node.func).split(".")[-1]
            if called in VALIDATION_NAMES or re.match(r"_?(check|validate)", called):
                found.append(f"call of {called} on line {node.lineno}")
    return found


def test_every_chapter_that_prints_code_is_found():
    chapters = {chapter for chapter, _ in ALL_TARGETS}
    # chapters 1 to 9 all print code; a parser that finds nothing would pass vacuously
    assert len(chapters) == 9, chapters
    assert ("01_linear_autoencoder", "cu.training.fit") in ALL_TARGETS
    assert (
        "09_regularised_autoencoders",
        "cu.models.more_autoencoders.OneLayerAutoencoder",
    ) in ALL_TARGETS


@pytest.mark.parametrize(("chapter", "target"), ALL_TARGETS)
def test_printed_code_holds_no_validation(chapter, target):
    source = textwrap.dedent(inspect.getsource(resolve(target)))
    found = validation_code(source)
    assert not found, (
        f"{chapter} prints {target}, which validates in its body ({'; '.join(found)}): "
        "declare the checks with @validated(...) from course_utils.validation instead"
    )


@pytest.mark.parametrize(("chapter", "target"), ALL_TARGETS)
def test_a_printed_decorator_takes_one_line(chapter, target):
    """At most one line of a printed function is about validation: its decorator."""
    lines = textwrap.dedent(inspect.getsource(resolve(target))).splitlines()
    for number, line in enumerate(lines):
        if line.strip().startswith("@validated("):
            assert line.rstrip().endswith(")") and line.count("(") == line.count(")"), (
                f"{chapter} prints {target} with a @validated decorator over several "
                f"lines (line {number + 1}): name the rules in a dict beside it"
            )


def test_the_detector_finds_each_kind_of_validation():
    source = textwrap.dedent(
        """
        @functools.cache
        def f(x):
            if x < 0:
                raise ValueError("x")
            assert x
            check_int("x", x)
            positive_int("x", x)
            return x
        """
    )
    found = " ".join(validation_code(source))
    for kind in ("@functools.cache", "raise", "assert", "check_int", "positive_int"):
        assert kind in found
    clean = "@torch.no_grad()\n@validated(x=positive_int)\ndef f(x):\n    return x\n"
    assert validation_code(clean) == []


@pytest.mark.parametrize("path", VALIDATED_MODULES, ids=lambda path: path.name)
def test_one_validation_mechanism(path):
    """Bad input is refused by a rule of course_utils.validation, never by a hand-written
    ``raise ValueError`` or a private ``_check_*`` helper. Code that reads its input
    itself (an environment variable in config.py, the images a class really has in
    data.py) applies a rule or ``validation.reject`` to what it read."""
    text = path.read_text()
    assert not re.search(r"raise ValueError", text), (
        f"{path.name} raises ValueError itself: declare a rule with @validated"
    )
    assert not re.search(r"def _?check_|check_int\(", text), (
        f"{path.name} has a checking helper of its own: use course_utils.validation"
    )


def test_validation_lives_in_one_module():
    text = (PACKAGE / "validation.py").read_text()
    assert "def validated(" in text
    # the modules the book prints from import their rules from it
    for name in ("training.py", "losses.py", "models/conv.py", "corruption.py"):
        assert "validated" in (PACKAGE / name).read_text(), name


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (
            "cu.training.fit(torch.nn.Linear(1, 1), torch.ones(2, 1), epochs=0)",
            "epochs",
        ),
        ("cu.losses.l1_sparsity(torch.ones(3))", "codes"),
        ("cu.models.vae.VAE(latent=0)", "latent"),
        ("cu.models.aae.AdversarialAutoencoder(hidden=-1)", "hidden"),
        ("cu.models.more_autoencoders.PoolingAutoencoder(channels=(4,))", "channels"),
        ("cu.metrics.mse_per_image(torch.ones(3), torch.ones(3))", "prediction"),
        ("cu.models.upsampling.upsampler('bilinear', 1, 1)", "kind"),
        ("cu.corruption.RestorationLoss(lambda x, g: x, seed=-1)", "seed"),
    ],
)
def test_bad_input_to_printed_code_still_names_the_argument(call, argument):
    import torch

    namespace = {"cu": course_utils, "torch": torch}
    # names are looked up through the package, as a chapter does
    with pytest.raises(ValueError, match=rf"^{argument}\b"):
        exec(call, namespace)
