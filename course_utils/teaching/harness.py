"""The code the grader runs inside a submission's kernel: standard library only.

This file is never imported in the kernel. The grader (:mod:`course_utils.teaching.grade`) reads
its text and sends it as the source of the cells it adds, followed by one call of
:func:`course_grader` with a literal ``spec``:

``course_grader(spec)`` replaces each check cell. It runs the teacher's check source
  with the check functions loaded from the package's files (sent in ``spec``) into fresh module
  objects under a private name, never from ``sys.modules`` or from names the student could have
  rebound; looks for tampering first (library or builtin functions replaced by notebook code,
  hooks added, notebook threads still running); and reports one verdict as a display output of
  type :data:`MIME` carrying ``spec["secret"]``, which the grader generated just before sending
  the cell, after every earlier cell had run. The grader accepts a verdict only with that secret,
  only once, and only from that cell.
"""

MIME = "application/vnd.course-grader+json"


def course_grader(spec):  # noqa: C901 - one function, so the kernel gets one name
    import builtins
    import importlib
    import importlib.util
    import linecache
    import os
    import sys
    import threading
    import time
    import types

    started = time.perf_counter()
    ip = builtins.get_ipython() if hasattr(builtins, "get_ipython") else None
    publish = ip.display_pub.publish if ip is not None else None
    roots = tuple(spec["roots"])
    known_files = {}

    def trusted_file(filename):
        """A file of the Python installation or the course package, or code that a library
        generated (``<string>``, ``<frozen os>``); not a notebook cell, nor a file elsewhere."""
        if filename not in known_files:
            real = os.path.realpath(filename) if filename[:1] != "<" else filename
            cell = os.path.basename(os.path.dirname(real)).startswith("ipykernel_")
            known_files[filename] = not cell and (
                not os.path.isfile(real) or real.startswith(roots)
            )
        return known_files[filename]

    main = sys.modules.get("__main__")
    user_ns = ip.user_ns if ip is not None else vars(main)

    def trusted_class(cls, seen={}):  # noqa: B006 - a cache
        """A class neither written in a notebook cell nor holding methods written there."""
        if cls not in seen:
            seen[cls] = True  # a class that refers to itself
            name = getattr(cls, "__module__", None)
            module = sys.modules.get(name) if isinstance(name, str) else None
            file = getattr(module, "__file__", None)
            seen[cls] = (
                name != "__main__"
                and not (isinstance(file, str) and not trusted_file(file))
                and not any(
                    untrusted(inner)
                    for inner in list(vars(cls).values())
                    if isinstance(inner, types.FunctionType | types.MethodType)
                )
            )
        return seen[cls]

    def untrusted(value):
        """Why ``value`` (found on a library object) is notebook code, or None."""
        function = value.__func__ if isinstance(value, types.MethodType) else value
        if isinstance(function, types.FunctionType):
            file = function.__code__.co_filename
            if function.__globals__ is user_ns or function.__module__ == "__main__":
                return "a function defined in the notebook"
            return None if trusted_file(file) else f"a function defined in {file}"
        if isinstance(value, type):
            return None if trusted_class(value) else "a class defined in the notebook"
        if isinstance(value, types.ModuleType | types.BuiltinFunctionType):
            return None
        if not trusted_class(type(value)):
            return f"an object of the notebook's class {type(value).__name__}"
        return None

    def hooks():
        """The hooks through which code could see or change a cell before or while it runs."""
        found = {
            "sys.settrace": [sys.gettrace()],
            "sys.setprofile": [sys.getprofile()],
            "threading.settrace": [getattr(threading, "_trace_hook", None)],
            "threading.setprofile": [getattr(threading, "_profile_hook", None)],
        }
        if ip is not None:
            for name in ("input_transformers_cleanup", "input_transformers_post"):
                found[name] = list(getattr(ip, name, []))
            found["ast_transformers"] = list(ip.ast_transformers)
            for event, callbacks in ip.events.callbacks.items():
                found[f"events.{event}"] = list(callbacks)
        return found

    secret, exercise = spec["secret"], spec["exercise"]
    problems = []

    # 1. The secret must not stay where later code can read it: the input history.
    if ip is not None:
        for history in (
            ip.history_manager.input_hist_parsed,
            ip.history_manager.input_hist_raw,
        ):
            for index, text in enumerate(history):
                if secret in text:
                    history[index] = "# (a grader's check cell)"
        for key, value in list(ip.user_ns.items()):
            if key.startswith("_i") and isinstance(value, str) and secret in value:
                ip.user_ns[key] = "# (a grader's check cell)"
        cache = ip.history_manager.db_input_cache
        cache[:] = [entry for entry in cache if secret not in str(entry)]
    for filename, entry in list(linecache.cache.items()):
        if len(entry) > 2 and secret in "".join(entry[2] or []):
            del linecache.cache[filename]

    # 2. Tampering: library objects replaced by notebook code, hooks added, threads left running.
    import warnings

    quiet = warnings.catch_warnings()  # deprecated attributes warn when read
    quiet.__enter__()
    warnings.simplefilter("ignore")
    for name, module in list(sys.modules.items()):
        if module is main or not isinstance(module, types.ModuleType):
            continue
        try:
            members = list(vars(module).items())
        except TypeError:
            continue
        for attribute, value in members:
            why = untrusted(value)
            if why:
                problems.append(f"{name}.{attribute} was replaced by {why}")
            elif (
                isinstance(value, type)
                and getattr(value, "__module__", None) == name
                and attribute == value.__name__
            ):
                for member, inner in list(vars(value).items()):
                    why = untrusted(inner)
                    if why:
                        problems.append(
                            f"{name}.{attribute}.{member} was replaced by {why}"
                        )
        if len(problems) > 20:
            break
    quiet.__exit__(None, None, None)
    if ip is not None:
        for owner_name, owner in (
            ("the IPython shell", ip),
            ("the kernel", getattr(ip, "kernel", None)),
            ("the display publisher", ip.display_pub),
        ):
            for attribute, value in list(getattr(owner, "__dict__", {}).items()):
                why = untrusted(value)
                if why and not attribute.startswith("_trait"):
                    problems.append(f"{owner_name}'s {attribute} was replaced by {why}")
    for name, found in hooks().items():
        for hook in found:
            why = untrusted(hook) or untrusted(getattr(hook, "func", None))
            if hook is not None and why:
                problems.append(f"the notebook added {why} to {name}")
    here = threading.get_ident()
    for ident, frame in sys._current_frames().items():
        while ident != here and frame is not None:
            if frame.f_globals is user_ns or not trusted_file(frame.f_code.co_filename):
                problems.append(
                    f"a thread started by the notebook is still running "
                    f"({frame.f_code.co_name} in {frame.f_code.co_filename})"
                )
                break
            frame = frame.f_back

    # 3. The checks, loaded from the package's files into fresh modules under a private name.
    prefix = "_course_grader_" + secret[:12]
    sources = spec["sources"]  # dotted name below course_utils -> [file name, source]

    class Loader:
        def __init__(self, file, source):
            self.file, self.source = file, source

        def create_module(self, module_spec):
            return None

        def exec_module(self, module):
            if self.source is not None:
                exec(compile(self.source, self.file, "exec"), module.__dict__)

    class Finder:
        def find_spec(self, name, path=None, target=None):
            if name != prefix and not name.startswith(prefix + "."):
                return None
            dotted = name[len(prefix) + 1 :].removeprefix("course_utils").lstrip(".")
            if name == prefix or name == f"{prefix}.course_utils":
                file, source, package = None, None, True
            elif dotted in sources:
                file, source = sources[dotted]
                package = file.endswith("__init__.py")
            else:
                return None
            found = importlib.util.spec_from_loader(
                name, Loader(file, source), is_package=package
            )
            if file is not None:
                found.origin, found.has_location = file, True
            return found

    finder = Finder()
    verdicts, status, message = [], "error", ""
    sys.meta_path.insert(0, finder)
    try:
        if problems:
            raise RuntimeError("the notebook tampered with the grading")
        checks = importlib.import_module(f"{prefix}.course_utils.checks")
        say_passed, say_skipped = checks.passed, checks.skipped

        def passed(exercise_id, summary):
            verdicts.append(("pass", exercise_id, summary))
            say_passed(exercise_id, summary)

        def skipped(exercise_id, reason):
            verdicts.append(("skipped", exercise_id, reason))
            say_skipped(exercise_id, reason)

        checks.passed, checks.skipped = passed, skipped
        namespace = dict(ip.user_ns if ip is not None else {})
        for name, (module_name, attribute) in spec["names"].items():
            module = importlib.import_module(f"{prefix}.course_utils.{module_name}")
            namespace[name] = getattr(module, attribute)
        for alias in spec["package_aliases"]:
            namespace[alias] = importlib.import_module(f"{prefix}.course_utils")
        real_import = builtins.__import__

        def fresh_import(name, globals=None, locals=None, fromlist=(), level=0):
            """``import course_utils...`` in a check cell gets the fresh modules too."""
            if level or name.partition(".")[0] != "course_utils":
                return real_import(name, globals, locals, fromlist, level)
            module = importlib.import_module(f"{prefix}.{name}")
            return module if fromlist else sys.modules[f"{prefix}.course_utils"]

        namespace["__builtins__"] = {**vars(builtins), "__import__": fresh_import}
        failed = checks.CheckFailed
        try:
            exec(compile(spec["source"], f"<check {exercise}>", "exec"), namespace)
        except failed as error:
            status, message = "fail", str(error)
        except BaseException as error:  # anything else the check or the answer raised
            status, message = "error", f"{type(error).__name__}: {error}"
        else:
            mine = [verdict for verdict in verdicts if verdict[1] == exercise]
            if any(verdict[0] == "skipped" for verdict in mine):
                status, message = (
                    "skipped",
                    next(v[2] for v in mine if v[0] == "skipped"),
                )
            elif mine:
                status, message = "pass", mine[-1][2]
            else:
                message = "the check ran but reported neither passed nor skipped"
    except BaseException as error:
        if not problems:
            message = (
                f"the grader could not run the check: {type(error).__name__}: {error}"
            )
    finally:
        sys.meta_path.remove(finder) if finder in sys.meta_path else None
        for name in [
            n for n in sys.modules if n == prefix or n.startswith(prefix + ".")
        ]:
            del sys.modules[name]
        if ip is not None:
            ip.user_ns.pop("course_grader", None)
    if problems:
        status = "error"
        message = "the notebook tampered with the grading: " + "; ".join(problems[:5])
    report = {
        "secret": secret,
        "exercise": exercise,
        "status": status,
        "message": message[:4000],
        "problems": problems[:20],
        "seconds": round(time.perf_counter() - started, 3),
    }
    publish(data={MIME: report}, metadata={})
    return None
