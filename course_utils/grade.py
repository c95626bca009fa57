"""The grader's command: ``python -m course_utils.grade`` or ``course-grade``.

Both run :func:`course_utils.teaching.grade.main` in a fresh interpreter that puts
neither the current folder nor a script's folder on ``sys.path`` (``-P``) and reads
bytecode only from the grader's own cache (``-X pycache_prefix``): a folder in the
grader's home that it creates for itself (mode 0700) and that no sandbox mounts, so no
``__pycache__`` folder beside the source is read and what grades is the package's
source as it is now. The cache saves compiling torch, scikit-learn and the course again
at every run. The first interpreter only starts the second one (it has imported
``course_utils`` itself, as Python imports a module's package first, but none of the
grader).
"""

import os
import stat
import sys
from pathlib import Path

# /dev/null is no folder: no bytecode is found there, and none is written
NO_BYTECODE = "/dev/null/no-bytecode"


def bytecode_cache() -> str:
    """The grader's own bytecode folder, or ``NO_BYTECODE`` where it is not private."""
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = home / "course_utils" / f"grader-bytecode-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = folder.lstat()
    except OSError:
        return NO_BYTECODE
    private = stat.S_ISDIR(status.st_mode) and status.st_uid == os.getuid()
    return str(folder) if private and not status.st_mode & 0o077 else NO_BYTECODE


def trusted_interpreter(argv: list[str]) -> None:
    """Start the grader again in a trusted interpreter, unless this is one."""
    cache = bytecode_cache()
    if sys.flags.safe_path and sys.pycache_prefix == cache:
        return
    command = [sys.executable, "-P", "-X", f"pycache_prefix={cache}"]
    environment = dict(os.environ)
    if cache == NO_BYTECODE:
        command.insert(1, "-B")
    else:
        # the cache fills only where bytecode may be written
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
    command += ["-m", "course_utils.grade", *argv]
    os.execve(sys.executable, command, environment)


def main() -> int:
    """The console script ``course-grade`` (pyproject.toml's ``[project.scripts]``)."""
    trusted_interpreter(sys.argv[1:])
    from course_utils.teaching.grade import main as grade

    return grade()


if __name__ == "__main__":
    raise SystemExit(main())
