"""Where a submission runs: bubblewrap, as an unprivileged user, with limits on the
whole notebook.

A job's folder (made by the grader, in its own private temporary folder) holds::

    handover/          read-only in the sandbox (as /handover): notebook.ipynb, inputs/
    handover/answers/  writable: the answers the check cells hand over
    output/            writable: the runner's report (report.json)
    home/              writable: the notebook's working folder and home

:class:`Sandbox` runs :mod:`course_utils.teaching.harness` on it inside ``bwrap``: its
own PID, network, IPC and UTS namespaces; read-only the system folders (``/usr``,
``/etc``, ...), the Python installation and virtual environment, this package and the
data cache; its own ``/tmp``; nothing else of the file system. When the grader runs as
root, every job runs as its own unprivileged user (``setpriv`` inside the namespaces, so
no capability is left and file permissions hold) in its own cgroup that limits the
memory (tmpfs files included) and the number of processes of the whole notebook,
children included; otherwise (a non-root grader) memory is limited per process
(``RLIMIT_AS``) only. Every process also gets ``RLIMIT_CPU`` (CPU seconds) and
``RLIMIT_FSIZE`` (file size), and the grader kills the whole sandbox at its time limit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

# course_utils/, as the grader imported it
PACKAGE = Path(__file__).resolve().parent.parent
SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"]
# every graded notebook runs at this scale, whatever the grader's own environment says
NOTEBOOK_SCALE = {"COURSE_SCALE": "tiny", "COURSE_TINY": "1"}
FIRST_UID = 61000  # job slot N runs as uid/gid FIRST_UID + N
MAX_PROCESSES = 200  # tasks (processes and threads) of one notebook; a kernel uses ~40
MAX_FILE_BYTES = 256 * 2**20
INSTALL = (
    "grading needs bubblewrap (bwrap) to run each notebook in a sandbox: install it "
    "(Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), or "
    "pass --no-sandbox to run the notebooks unconfined (only for notebooks you trust)"
)
UNDEFENDED = (
    "--no-sandbox: the notebooks run as this user, with this user's files, network and "
    "processes within reach; a notebook can read the teacher notebooks and other "
    "submissions, change files (the package, the data cache, the CSV), and signal "
    "other processes. Use it only for notebooks you trust."
)


def private_root() -> Path:
    """A fresh folder only the grader can enter, on a tmpfs where there is one
    (``/dev/shm``): there the files a notebook writes count towards its cgroup's memory
    limit."""
    shm = Path("/dev/shm")
    where = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="course-grader-", dir=where))


def data_dir() -> Path:
    from ..config import data_dir as configured

    return configured()


def python_folders() -> list[str]:
    """The Python installation, the virtual environment and their site-packages."""
    paths = sysconfig.get_paths()
    found = {sys.prefix, sys.base_prefix, os.path.dirname(sys.executable)}
    found |= {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    found |= {os.path.realpath(path) for path in found}
    return sorted(found)


def read_only_binds() -> list[tuple[str, str]]:
    """``(source, destination)`` of every read-only bind, outermost first, none inside
    another."""
    wanted = [p for p in SYSTEM if os.path.exists(p)]
    wanted += [p for p in python_folders() if os.path.isdir(p)] + [str(PACKAGE)]
    binds = []
    for path in sorted(set(wanted), key=len):
        if not any(path == b or path.startswith(b.rstrip("/") + "/") for b, _ in binds):
            binds.append((path, path))
    data = data_dir()
    if data.is_dir():
        binds.append((str(data), "/data"))
    return binds


def bwrap_arguments(job: Path, root: bool) -> list[str]:
    args = ["bwrap", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    args += ["--unshare-cgroup-try"] + ([] if root else ["--unshare-user"])
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--tmpfs",
        "/dev/shm",
    ]
    args += ["--perms", "1777", "--size", str(2**30), "--tmpfs", "/tmp"]
    args += ["--perms", "0755", "--dir", "/home"]
    made = {"/", "/tmp", "/dev", "/proc", "/home"}
    binds = read_only_binds()
    for source, destination in binds:
        for parent in reversed(Path(destination).parents):
            # folders on the way get plain permissions (bwrap would copy e.g. /root's
            # 0700)
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", source, destination]
    args += ["--ro-bind", str(job / "handover"), "/handover"]
    args += ["--bind", str(job / "handover" / "answers"), "/handover/answers"]
    args += ["--bind", str(job / "output"), "/output"]
    args += ["--bind", str(job / "home"), "/home/student", "--chdir", "/home/student"]
    return args


def environment(paths: dict[str, str]) -> dict[str, str]:
    """The notebook's whole environment: nothing of the grader's but the course's
    settings."""
    keep = ["COURSE_OFFLINE", "PYTHONHASHSEED", "TQDM_DISABLE", "LANG", "LC_ALL"]
    env = {key: os.environ[key] for key in keep if key in os.environ}
    home, tmp = paths["home"], paths["tmp"]
    return {
        **env,
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": tmp,
        "PYTHONPATH": str(PACKAGE.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        **NOTEBOOK_SCALE,
        "COURSE_HANDOVER_DIR": paths["handover"],
        "COURSE_DATA_DIR": paths["data"],
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "IPYTHONDIR": f"{home}/.ipython",
        "JUPYTER_RUNTIME_DIR": tmp,
        "JUPYTER_PLATFORM_DIRS": "1",
    }


def cgroup_parents() -> dict[str, Path]:
    """Where this process may make cgroups limiting memory and processes (cgroup v1 or
    v2)."""
    found = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            if controller in ("memory", "pids"):
                found[controller] = Path("/sys/fs/cgroup", controller, path.lstrip("/"))
        unified = Path("/sys/fs/cgroup", path.lstrip("/"))
        if controllers == "" and (unified / "cgroup.controllers").is_file():
            enabled = (unified / "cgroup.subtree_control").read_text().split()
            if {"memory", "pids"} <= set(enabled):
                found = {"memory": unified, "pids": unified}
    return (
        found
        if len(found) == 2 and all(os.access(p, os.W_OK) for p in found.values())
        else {}
    )


class Cgroup:
    """One job's cgroups: memory (swap included) and number of tasks, for all it
    starts."""

    def __init__(self, name: str, memory: int):
        self.folders = []
        for controller, parent in cgroup_parents().items():
            folder = parent / name
            if folder not in self.folders:
                folder.mkdir()
                self.folders.append(folder)
            limits = {
                "memory": [
                    ("memory.limit_in_bytes", memory),
                    ("memory.memsw.limit_in_bytes", memory),
                    ("memory.max", memory),
                    ("memory.swap.max", 0),
                ],
                "pids": [("pids.max", MAX_PROCESSES)],
            }[controller]
            for file, value in limits:
                if (folder / file).exists():
                    (folder / file).write_text(str(value))

    def enter_command(self) -> list[str]:
        """A prefix that puts the command into these cgroups before it runs."""
        moves = "".join(f'echo $$ > "{f}/cgroup.procs" && ' for f in self.folders)
        return ["sh", "-c", moves + 'exec "$@"', "sh"] if moves else []

    def kill(self) -> None:
        for _ in range(50):
            pids = [
                int(pid)
                for folder in self.folders
                for pid in (folder / "cgroup.procs").read_text().split()
            ]
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        for folder in self.folders:
            try:
                folder.rmdir()
            except OSError:
                pass


class Sandbox:
    """Runs a job's notebook: in bubblewrap (``kind`` ``bwrap``) or unconfined
    (``none``)."""

    def __init__(self, kind: str = "bwrap", memory: int = 4 * 2**30):
        self.kind, self.memory = kind, memory
        self.root = kind == "bwrap" and os.geteuid() == 0
        self.cgroups = self.root and bool(cgroup_parents())

    @property
    def limits(self) -> str:
        """What holds the notebook, in a few words (printed when grading starts)."""
        if self.kind == "none":
            return "no sandbox"
        who = "its own unprivileged user" if self.root else "this user"
        memory = "a cgroup" if self.cgroups else "RLIMIT_AS per process"
        return f"bubblewrap, as {who}; memory limited by {memory}"

    def paths(self, job: Path) -> dict[str, str]:
        if self.kind == "none":
            home = job / "home"
            return {
                "home": str(home),
                "tmp": str(home),
                "handover": str(job / "handover"),
                "output": str(job / "output"),
                "data": str(data_dir()),
            }
        return {
            "home": "/home/student",
            "tmp": "/tmp",
            "handover": "/handover",
            "output": "/output",
            "data": "/data",
        }

    @staticmethod
    def make_job(folder: Path, uid: int | None) -> Path:
        for part in [
            "handover/inputs",
            "handover/answers",
            "output",
            "home/.matplotlib",
        ]:
            (folder / part).mkdir(parents=True, exist_ok=True)
        for fonts in Path(os.path.expanduser("~/.cache/matplotlib")).glob(
            "fontlist*.json"
        ):
            # saves a rebuild per notebook
            shutil.copy(fonts, folder / "home" / ".matplotlib")
        if uid is not None:
            for part in ["handover/answers", "output", "home", "home/.matplotlib"]:
                os.chown(folder / part, uid, uid)
            for fonts in (folder / "home" / ".matplotlib").iterdir():
                os.chown(fonts, uid, uid)
        return folder

    def run(self, job: Path, slot: int, timeout: float, command: list[str]) -> bool:
        """Run ``command`` (an interpreter's arguments) in the job's sandbox, killing
        all of it ``timeout`` seconds after the start; True when it was killed."""
        paths = self.paths(job)
        uid = FIRST_UID + slot if self.root else None
        limits = {
            "RLIMIT_CPU": int(timeout) + 10,
            "RLIMIT_FSIZE": MAX_FILE_BYTES,
            "RLIMIT_CORE": 0,
        }
        if uid is not None:
            limits["RLIMIT_NPROC"] = MAX_PROCESSES  # per user: each job has its own
        if not self.cgroups and self.kind != "none":
            limits["RLIMIT_AS"] = self.memory
        argv = [sys.executable, "-P", *command, json_text(limits)]
        cgroup = None
        if self.kind == "bwrap":
            if uid is not None:
                argv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
                argv += [
                    "--no-new-privs",
                    "--inh-caps=-all",
                    "--bounding-set=-all",
                    "--",
                ]
                argv += [sys.executable, "-P", *command, json_text(limits)]
            argv = bwrap_arguments(job, self.root) + ["--", *argv]
            if self.cgroups:
                cgroup = Cgroup(f"course-grader-{os.getpid()}-{job.name}", self.memory)
                argv = cgroup.enter_command() + argv
        # what the runner and bwrap print (never read into a grade:
        # COURSE_GRADER_DEBUG=1 shows its end on the grader's stderr, for the
        # instructor)
        with open(job / "sandbox.log", "wb") as log:
            process = subprocess.Popen(
                argv,
                env=environment(paths),
                cwd=paths["home"] if self.kind == "none" else "/",
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        killed = False
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            killed = True
        finally:
            kill_tree(process)
            if cgroup is not None:
                cgroup.kill()
        return killed

    def probe(self, folder: Path) -> str | None:
        """Why this sandbox does not hold (None when it does): a file the grader just
        wrote outside the sandbox, and ``/etc/shadow``, must be unreadable from
        inside."""
        if self.kind == "none":
            return None
        if shutil.which("bwrap") is None:
            return INSTALL
        secret = folder / "probe-secret"
        secret.write_text("grader only")
        job = self.make_job(folder / "probe", FIRST_UID if self.root else None)
        code = (
            "import os, sys\n"
            "for path in sys.argv[1:3]:\n"
            "    try:\n"
            "        open(path).read(); print('read', path); sys.exit(1)\n"
            "    except OSError: pass\n"
            "assert os.getuid() != 0, 'root'\n"
            "open(os.path.join(os.environ['TMPDIR'], 'x'), 'w').write('x')\n"
            "open(os.path.join(os.environ['HOME'], 'x'), 'w').write('x')\n"
            "open('/output/report.json', 'w').write('ok')\n"
        )
        self.run(job, 0, 60, ["-c", code, str(secret), "/etc/shadow"])
        report = job / "output" / "report.json"
        if report.is_file() and report.read_text() == "ok":
            return None
        return (
            "the sandbox does not hold here (bubblewrap could not start a notebook, or "
            "a file outside it was readable from inside): allow unprivileged user "
            "namespaces or run the grader as root, or pass --no-sandbox (only for "
            "notebooks you trust)"
        )


def kill_tree(process: subprocess.Popen) -> None:
    """Kill the process, its process group and what it started (a kernel in a session of
    its own, unconfined); in bubblewrap, its end takes the whole PID namespace with
    it."""
    import psutil

    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        family = []
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for child in family:
        try:
            child.kill()
        except psutil.Error:
            pass
    process.wait()


def json_text(value) -> str:
    import json

    return json.dumps(value)
