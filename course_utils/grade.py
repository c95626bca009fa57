"""``python -m course_utils.grade``: a short name for :mod:`course_utils.teaching.grade`.

The grader first starts itself again in a fresh interpreter (before it imports anything else)
that reads and writes no bytecode (``-B``, and a pycache prefix that cannot exist, so no
``__pycache__`` folder is read) and puts neither the current folder nor a script's folder on
``sys.path`` (``-P``): what it runs is the package's source as it is now.
"""

import os
import sys

NO_BYTECODE = (
    "/dev/null/no-bytecode"  # /dev/null is no folder: nothing found, nothing written
)


def trusted_interpreter(argv: list[str]) -> None:
    if sys.flags.dont_write_bytecode and sys.pycache_prefix == NO_BYTECODE:
        return
    command = [sys.executable, "-B", "-P", "-X", f"pycache_prefix={NO_BYTECODE}"]
    os.execv(sys.executable, [*command, "-m", "course_utils.grade", *argv])


if __name__ == "__main__":
    trusted_interpreter(sys.argv[1:])
    from course_utils.teaching.grade import main

    raise SystemExit(main())
