"""The grader's command: ``python -m course_utils.grade`` or ``course-grade``.

Both run :func:`course_utils.teaching.grade.main` in a fresh interpreter that reads and
writes no bytecode (``-B``, and a pycache prefix that cannot exist, so no
``__pycache__`` folder is read) and puts neither the current folder nor a script's
folder on ``sys.path`` (``-P``): what grades is the package's source as it is now. The
first interpreter only starts the second one (it has imported ``course_utils`` itself,
as Python imports a module's package first, but none of the grader).
"""

import os
import sys

# /dev/null is no folder: no bytecode is found there, and none is written
NO_BYTECODE = "/dev/null/no-bytecode"


def trusted_interpreter(argv: list[str]) -> None:
    """Start the grader again in a trusted interpreter, unless this is one."""
    if sys.flags.dont_write_bytecode and sys.pycache_prefix == NO_BYTECODE:
        return
    command = [sys.executable, "-B", "-P", "-X", f"pycache_prefix={NO_BYTECODE}"]
    os.execv(sys.executable, [*command, "-m", "course_utils.grade", *argv])


def main() -> int:
    """The console script ``course-grade`` (pyproject.toml's ``[project.scripts]``)."""
    trusted_interpreter(sys.argv[1:])
    from course_utils.teaching.grade import main as grade

    return grade()


if __name__ == "__main__":
    raise SystemExit(main())
