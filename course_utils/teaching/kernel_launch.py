"""How the grader starts a submission's kernel: ``python -c <this file's text> -f CONNECTION_FILE``.

Before IPython starts, so before any of the student's code, it reads its settings from the
environment variable ``COURSE_GRADER_SANDBOX`` (JSON) and

- sets the address-space limit (``RLIMIT_AS``) of the process;
- installs a Python audit hook (:func:`sys.addaudithook`, which no Python code can remove) that
  refuses, with ``PermissionError``: opening a file for writing, and removing, renaming or
  changing one, outside the folders the kernel may write to (its temporary folder, the data
  cache, matplotlib's cache); starting other programs; and signalling other processes.

Code that calls C directly (``ctypes``) is not stopped by an audit hook: see the threat model in
README, and :class:`course_utils.teaching.sandbox.Guard`, which notices the files it changed.

Standard library only; never imported by the grader itself.
"""

import json
import os
import resource
import sys


def make_hook(writable):
    realpath, join, getcwd, getpid = (
        os.path.realpath,
        os.path.join,
        os.getcwd,
        os.getpid,
    )
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    one, second, both = (0,), (1,), (0, 1)  # which arguments are paths that change
    changes = {
        **dict.fromkeys(
            ["os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.utime"],
            one,
        ),
        **dict.fromkeys(["os.truncate", "shutil.rmtree"], one),
        **dict.fromkeys(["os.link", "os.symlink", "shutil.copyfile"], second),
        **dict.fromkeys(["shutil.copymode", "shutil.copystat"], second),
        "os.rename": both,
    }
    spawns = {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "pty.spawn",
    }

    def outside(path):
        if isinstance(path, int) or path is None:
            return False  # an open file descriptor: opened under these rules
        path = os.fsdecode(path) if isinstance(path, bytes) else str(path)
        full = realpath(join(getcwd(), path))
        return not (full + os.sep).startswith(writable)

    def refuse(what):
        raise PermissionError(f"the grader does not let a submission {what}")

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            writes = (mode and any(c in mode for c in "wax+")) or (
                mode is None and isinstance(flags, int) and flags & write_flags
            )
            if writes and outside(path):
                refuse(f"write to {path}")
        elif event in changes:
            for index in changes[event]:
                if outside(args[index]):
                    refuse(f"change {args[index]}")
        elif event == "sqlite3.connect" and args[0] != ":memory:" and outside(args[0]):
            refuse(f"open the database {args[0]}")
        elif event in spawns:
            refuse("start another program")
        elif event in {"os.kill", "os.killpg"} and args[0] not in (0, getpid()):
            refuse("signal another process")

    return hook


if __name__ == "__main__":  # run as `python -c <this text>`; importing it does nothing
    settings = json.loads(os.environ.pop("COURSE_GRADER_SANDBOX", "{}"))
    limit = int(settings.get("memory", 0))
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    if settings:
        sys.addaudithook(make_hook(tuple(settings["writable"])))
    del make_hook, settings, limit
    sys.argv[0] = "ipykernel_launcher"
    from ipykernel import kernelapp  # noqa: E402

    kernelapp.launch_new_instance()
