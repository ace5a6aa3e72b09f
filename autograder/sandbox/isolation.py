"""Isolation layers of the sandbox child: what this machine allows, detected at run time, and how to apply it.

Two halves in one file, which imports only the standard library (it is copied into the child's runtime as
``_agchild/isolation.py``):

- the parent (the grader) calls :func:`detect` (cached per process) to learn which layers this machine
  allows, and :func:`launch` to turn them into a *spec* (plain data);
- the child calls :func:`confine` with that spec first thing, before NumPy or any student code is
  imported: it makes its namespaces, builds its filesystem view, sets its limits, changes its uid and
  installs its seccomp filter. A child forked from a template process (a zygote) can call it the same way.

The layers (``autograder doctor`` prints them):

``limits``   resource limits: CPU time, address space, file size, no core dumps, process count. Always in
             force: the grader refuses to start a child when the CPU-time or file-size limit cannot be set.
``disk``     when the grader is root: the sandbox's folder (sources, log, scratch) is a tmpfs of its own,
             ``DISK_BYTES`` in all, so many files of the maximal file size cannot fill the grader's disk.
``uid``      when the grader is root: a dedicated uid per sandbox (claimed with a lock file), no groups,
             so the child owns nothing of the grader's and RLIMIT_NPROC counts the child's processes only.
``net``      a new network namespace: no interface but a loopback that is down. The child makes its
             namespaces itself (``unshare(2)``; a user namespace first when the grader is not root).
``fs``       a new mount namespace and ``pivot_root`` into a read-only tmpfs holding only the system
             libraries (/usr), the Python standard library, the runtime (the child's package, NumPy, SymPy,
             mpmath, array-api-compat), a few device nodes and the sandbox's own folder (read-write); every
             site-packages folder and the grader's own folder are masked with empty ones.
``pid``      a new PID namespace: the child is its init, so every process it starts (a ``setsid`` daemon
             too) is killed by the kernel when it ends; without one, the dedicated uid is swept (``kill(-1)`` as
             that uid) after every run.
``ipc``      new IPC and UTS namespaces.
``nnp``      ``PR_SET_NO_NEW_PRIVS`` and an empty capability bounding set.
``seccomp``  a small seccomp filter: no new process (``fork``, ``vfork``, ``clone`` without CLONE_THREAD;
             threads are fine), no ``socket()``, ``ptrace``, ``process_vm_readv``, ``bpf``, io_uring, mounts,
             namespaces, keyrings, module or kexec calls (EPERM); a foreign syscall ABI kills.

A layer that fails while the child applies it ends the child with a report (never a silent
downgrade); the parent then turns that layer off for the rest of the process, says so on stderr and
starts the child again without it. A child that dies before it is ready inside its view (or as its
uid) is started once more without that layer; if that one starts, the layer is dropped the same way.
``AUTOGRADER_SANDBOX_DISABLE=net,fs,...`` turns layers off by hand (``limits`` cannot be turned off).

An instructor can insist on layers instead: :func:`require` (``--require uid,net``, or
``AUTOGRADER_REQUIRE=uid,net`` in the environment) refuses at once, in one line, when one of them is not in
force here, and a required layer that later fails in a child stops grading (:class:`SandboxUnavailable`)
instead of being dropped. ``limits`` is always required.
"""

from __future__ import annotations

import os
import struct
import sys

LAYERS = ("limits", "disk", "uid", "net", "fs", "pid", "ipc", "nnp", "seccomp")
DISABLE_ENV = "AUTOGRADER_SANDBOX_DISABLE"
REQUIRE_ENV = "AUTOGRADER_REQUIRE"
UID_BASE = 1_750_000_000  # dedicated sandbox uids: UID_BASE + slot; far from any real account
UID_SLOTS = 4096
NPROC = 32  # processes and threads of the sandbox's uid (the child needs one)
DISK_BYTES = 64 * 1024**2  # the sandbox folder's tmpfs
SCRATCH_PREFIX = "autograder-sub-"
REQUIRED_LIMITS = ("cpu", "fsize")
CONFINE_EXIT = 70

# -- parent side ----------------------------------------------------------------------------------------

_detected: dict | None = None
_runtime_off: dict[str, str] = {}  # layers that failed in a child during this process, and why
_required: set[str] = set()  # layers this process insists on (require()), besides $AUTOGRADER_REQUIRE


class SandboxUnavailable(RuntimeError):
    """The child cannot be started with the limits the grader insists on."""


NAMESPACES = ("net", "fs", "pid", "ipc")
CLONE_NEW = {"net": 0x40000000, "fs": 0x00020000, "ipc": 0x08000000 | 0x04000000, "pid": 0x20000000}
CLONE_NEWUSER = 0x10000000


def _probe_unshare(flags: int) -> tuple[bool, str]:
    """Whether a forked copy of this process may make these namespaces (the copy ends at once)."""
    import ctypes

    try:
        libc = _host_libc()
        pid = os.fork()
    except (OSError, AttributeError) as exc:
        return False, str(exc)
    if pid == 0:  # pragma: no cover - runs in the forked copy
        code = 0 if libc.unshare(flags) == 0 else (ctypes.get_errno() or 1)
        os._exit(min(code, 255))
    _, status = os.waitpid(pid, 0)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 255
    return code == 0, "" if code == 0 else os.strerror(code)


def _world_traversable(path: str) -> bool:
    """Whether another uid can reach ``path`` (every ancestor o+x) and list or read it (o+r)."""
    import stat

    p = os.path.realpath(path)
    try:
        if not os.stat(p).st_mode & stat.S_IROTH:
            return False
        while True:
            parent = os.path.dirname(p)
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
            if parent == p:
                return True
            p = parent
    except OSError:
        return False


def _python_paths() -> list[str]:
    import sysconfig

    paths = sysconfig.get_paths()
    return sorted({os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib") if paths.get(k)})


def _needed_paths() -> list[str]:
    """What the child reads after it has changed its uid: the standard library and the runtime packages."""
    import importlib.util

    paths = _python_paths()
    for name in ("numpy", "sympy", "mpmath", "array_api_compat"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            paths.append(os.path.realpath(list(spec.submodule_search_locations)[0]))
    return paths


def _site_dirs() -> list[str]:
    import site
    import sysconfig

    dirs = set()
    try:
        dirs.update(site.getsitepackages())
    except AttributeError:
        pass
    try:
        dirs.add(site.getusersitepackages())
    except AttributeError:
        pass
    paths = sysconfig.get_paths()
    dirs.update(paths[k] for k in ("purelib", "platlib") if paths.get(k))
    dirs.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return sorted({os.path.realpath(d) for d in dirs if os.path.isdir(d)})


def detect() -> dict:
    """Each layer: ``{"on": bool, "how": str}`` (what is in force) or ``{"on": False, "why": str}``. Cached."""
    global _detected
    if _detected is not None:
        return _detected
    linux = sys.platform.startswith("linux")
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    off = {x.strip() for x in os.environ.get(DISABLE_ENV, "").split(",") if x.strip()}
    layers: dict[str, dict] = {}

    try:
        import resource

        missing = [n for n in REQUIRED_LIMITS if not hasattr(resource, f"RLIMIT_{n.upper()}")]
    except ImportError:
        missing = list(REQUIRED_LIMITS)
    layers["limits"] = (
        {"on": True, "how": "setrlimit in the child before any student code"}
        if not missing
        else {"on": False, "why": f"this platform has no RLIMIT_{', RLIMIT_'.join(m.upper() for m in missing)}"}
    )

    ns_ok: dict[str, tuple[bool, str]] = {}
    user = 0 if root else CLONE_NEWUSER
    if not linux:
        ns_ok = {k: (False, "not Linux") for k in NAMESPACES}
    else:
        want = [k for k in NAMESPACES if k not in off]
        ok, why = _probe_unshare(user | sum(CLONE_NEW[k] for k in want)) if want else (True, "")
        for k in want:
            ns_ok[k] = (True, "") if ok else _probe_unshare(user | CLONE_NEW[k])
            if not ns_ok[k][0] and not root:
                ns_ok[k] = (False, f"no unprivileged user namespaces here ({ns_ok[k][1]})")
    who = "" if root else " inside a new user namespace"

    def ns_layer(key: str, how: str) -> dict:
        if key in off:
            return {"on": False, "why": f"turned off by {DISABLE_ENV}"}
        ok, why = ns_ok[key]
        return {"on": True, "how": how + who} if ok else {"on": False, "why": f"unshare(2) failed: {why}"}

    layers["net"] = ns_layer("net", "a new network namespace: no interface, loopback down")
    layers["fs"] = ns_layer(
        "fs",
        "a new mount namespace and pivot_root into a read-only tmpfs with only /usr, the Python standard "
        "library, the runtime packages, /dev/{null,zero,random,urandom} and the sandbox's own folder",
    )
    if linux and (ns_ok.get("fs") or (False,))[0] and "fs" not in off:
        if _pivot_root_nr() is None:
            layers["fs"]["how"] = layers["fs"]["how"].replace("pivot_root", "chroot")
    layers["pid"] = ns_layer("pid", "a new PID namespace: the child is its init, every process it starts dies with it")
    layers["ipc"] = ns_layer("ipc", "new IPC and UTS namespaces")

    if "disk" in off:
        layers["disk"] = {"on": False, "why": f"turned off by {DISABLE_ENV}"}
    elif not (linux and root):
        layers["disk"] = {
            "on": False,
            "why": "the grader is not root: it cannot mount a tmpfs for the sandbox's folder",
        }
    elif not _can_mount_tmpfs():
        layers["disk"] = {"on": False, "why": f"mounting a tmpfs failed here ({_can_mount_tmpfs.why})"}
    else:
        layers["disk"] = {
            "on": True,
            "how": f"the sandbox's folder is a tmpfs of {DISK_BYTES >> 20} MiB of its own (sources, log, scratch)",
        }

    if "uid" in off:
        layers["uid"] = {"on": False, "why": f"turned off by {DISABLE_ENV}"}
    elif not root:
        me = os.getuid() if hasattr(os, "getuid") else "?"
        layers["uid"] = {"on": False, "why": f"the grader is not root: the child runs as the grader's own uid {me}"}
    else:
        blocked = [p for p in _needed_paths() if not _world_traversable(p)]
        if blocked and not layers["fs"]["on"]:
            layers["uid"] = {
                "on": False,
                "why": f"{blocked[0]} is not readable by another uid and there is no filesystem view to expose it",
            }
        else:
            layers["uid"] = {
                "on": True,
                "how": f"a dedicated uid per sandbox ({UID_BASE}+slot), no groups"
                + ("" if layers["pid"]["on"] else "; the uid is swept with kill(-1) after every run"),
            }

    if "nnp" in off:
        layers["nnp"] = {"on": False, "why": f"turned off by {DISABLE_ENV}"}
    elif not linux:
        layers["nnp"] = {"on": False, "why": "not Linux"}
    else:
        layers["nnp"] = {"on": True, "how": "prctl(PR_SET_NO_NEW_PRIVS) and an empty capability bounding set"}

    arch = _seccomp_arch()
    if "seccomp" in off:
        layers["seccomp"] = {"on": False, "why": f"turned off by {DISABLE_ENV}"}
    elif not linux or arch is None:
        layers["seccomp"] = {"on": False, "why": f"no filter written for this platform ({sys.platform}, {_machine()})"}
    elif not layers["nnp"]["on"]:
        layers["seccomp"] = {"on": False, "why": "needs the nnp layer"}
    elif not os.path.exists("/proc/sys/kernel/seccomp/actions_avail") and not _has_seccomp_field():
        layers["seccomp"] = {"on": False, "why": "the kernel has no seccomp"}
    else:
        layers["seccomp"] = {
            "on": True,
            "how": "a filter: no new process (fork, vfork, clone without CLONE_THREAD; threads run), and "
            "socket(), ptrace, process_vm_*, bpf, perf_event_open, io_uring, mount and namespace calls, keyrings, "
            "modules and kexec fail with EPERM; other syscall ABIs kill the child",
        }
    _detected = layers
    return layers


def _has_seccomp_field() -> bool:
    try:
        with open("/proc/self/status") as f:
            return "Seccomp:" in f.read()
    except OSError:
        return False


def in_force() -> dict:
    """``detect()`` less the layers that failed in a child of this process."""
    layers = dict(detect())
    for key, why in _runtime_off.items():
        layers[key] = {"on": False, "why": why}
    return layers


def turn_off(layer: str, message: str, quiet: bool = False) -> dict:
    """A layer failed in a child: go on without it for the rest of this process, and say so.

    Returns the state before, for :func:`restore` (a trial start without a layer that did not help).
    """
    if layer == "limits":
        raise SandboxUnavailable(
            f"refusing to run student code: the child could not set its resource limits ({message})"
        )
    if layer not in LAYERS:
        raise SandboxUnavailable(f"the sandbox child could not start: {message}")
    before = dict(_runtime_off)
    _runtime_off[layer] = f"failed in the child: {message}"
    if layer == "fs" and "uid" not in _runtime_off and in_force()["uid"]["on"]:
        blocked = [p for p in _needed_paths() if not _world_traversable(p)]
        if blocked:
            _runtime_off["uid"] = f"{blocked[0]} is not readable by another uid without the filesystem view"
    lost = sorted(required() & {k for k in _runtime_off if k not in before}, key=LAYERS.index)
    if lost:  # never weaker in silence: a layer the instructor insists on stops grading instead
        raise SandboxUnavailable(
            f"refusing to go on grading: required isolation layer {lost[0]!r} failed in a sandbox child "
            f"({_runtime_off[lost[0]]})"
        )
    if not quiet:
        print(
            f"autograder sandbox: isolation layer {layer!r} is NOT in force ({message}); going on without it",
            file=sys.stderr,
        )
    return before


def restore(before: dict) -> None:
    _runtime_off.clear()
    _runtime_off.update(before)


def require_limits() -> None:
    if not detect()["limits"]["on"]:
        raise SandboxUnavailable(f"refusing to run student code: {detect()['limits']['why']}")


def parse_layers(text: str | list | tuple | None) -> list[str]:
    """Layer names from ``uid,net`` (or a list of names); ``none`` or empty: none, ``all``: every layer.

    Raises ValueError naming the layers that do not exist."""
    items = text if isinstance(text, (list, tuple)) else str(text or "").replace(" ", ",").split(",")
    names = [str(x).strip().lower() for x in items if str(x).strip()]
    if names == ["none"]:
        return []
    if "all" in names:
        return list(LAYERS)
    unknown = [n for n in names if n not in LAYERS]
    if unknown:
        raise ValueError(f"unknown isolation layer {', '.join(unknown)} (the layers: {', '.join(LAYERS)})")
    return sorted(set(names), key=LAYERS.index)


def required() -> set[str]:
    """The layers this process must not grade without: ``limits``, those given to :func:`require` and those
    of ``$AUTOGRADER_REQUIRE`` (an unknown name there is an error, not ignored)."""
    return {"limits", *_required, *parse_layers(os.environ.get(REQUIRE_ENV, ""))}


def require(layers: list[str] | tuple[str, ...] | str | None = (), check: bool = True) -> list[str]:
    """Insist on ``layers`` (besides ``$AUTOGRADER_REQUIRE``) for the rest of this process: raise
    :class:`SandboxUnavailable` now (unless ``check`` is false), in one line, if one is not in force here;
    later, such a layer failing in a child stops grading instead of being dropped. Returns every required
    layer, in order."""
    _required.update(parse_layers(layers))
    if check:
        check_required()
    return sorted(required(), key=LAYERS.index)


def check_required() -> None:
    """Raise :class:`SandboxUnavailable` if a required layer is not in force (now, in this process)."""
    layers = in_force()
    missing = [k for k in LAYERS if k in required() and not layers[k]["on"]]
    if missing:
        why = "; ".join(f"{k}: {layers[k]['why']}" for k in missing)
        raise SandboxUnavailable(
            f"refusing to grade: required isolation layer{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} not in force on this machine ({why})"
        )


def in_force_summary() -> dict[str, bool]:
    """Which layers are in force now, ``{layer: bool}`` in :data:`LAYERS` order (what a result records)."""
    layers = in_force()
    return {k: bool(layers[k]["on"]) for k in LAYERS}


def _machine() -> str:
    try:
        return os.uname().machine
    except AttributeError:
        return "?"


def describe(limits: dict | None = None) -> list[tuple[str, bool, str]]:
    """(name, in force, explanation) for every layer, in words, as ``autograder doctor`` prints them."""
    layers = in_force()
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    spawn = "the seccomp filter refuses fork anyway" if layers["seccomp"]["on"] else "a fork bomb is not contained"
    names = {
        "limits": "resource limits",
        "disk": "disk space",
        "uid": "user",
        "net": "network",
        "fs": "filesystem view",
        "pid": "process cleanup",
        "ipc": "IPC/UTS",
        "nnp": "privileges",
        "seccomp": "seccomp",
    }
    not_defended = {
        "disk": "the child's files are limited one by one (the file-size limit), not in total: many files can "
        "fill the disk the sandbox's temporary folder is on",
        "uid": (
            "the child runs as root (without capabilities where the privileges layer is in force): it owns "
            f"every root-owned file its view shows, and root ignores the process limit ({spawn})"
            if root
            else "the child runs with the grader's uid: it can signal, and with ptrace or /proc (where not "
            "hidden) inspect, the grader's other processes; the process limit counts the grader user's processes too"
        ),
        "net": "the child can open network connections, to 127.0.0.1 included",
        "fs": "the child can read every world-readable file by its absolute path (the repository, solutions/ "
        "and other students' submissions included when they are world-readable)",
        "pid": "a daemon that leaves the process group (setsid) survives the run"
        + (", unless the dedicated uid's sweep kills it" if layers["uid"]["on"] else ""),
        "ipc": "the child shares System V IPC and the hostname with the grader",
        "nnp": "a set-uid program could raise the child's privileges",
        "seccomp": "no syscall filter",
    }
    if layers["net"]["on"] is False and layers["seccomp"]["on"]:
        not_defended["net"] = "no network namespace, but the seccomp filter refuses socket()"
    out = []
    lim = limits or {}
    for key in LAYERS:
        layer = layers[key]
        if layer["on"]:
            how = layer["how"]
            if key == "limits" and lim:
                how = (
                    f"CPU {lim.get('cpu')} s, address space {int(lim.get('as', 0)) >> 20} MiB, file size "
                    f"{int(lim.get('fsize', 0)) >> 20} MiB, no core dumps, {NPROC} processes "
                    + (
                        "(per dedicated uid)"
                        if layers["uid"]["on"]
                        else f"(ignored: the child is root; {spawn})"
                        if root
                        else "(counted with the grader user's own processes)"
                    )
                    + "; the wall-clock deadline is kept by the grader"
                )
            out.append((names[key], True, how))
        else:
            out.append((names[key], False, f"{layer['why']} — {not_defended.get(key, 'not defended')}"))
    return out


# -- the sandbox folder's own tmpfs -------------------------------------------------------------------------

_parent_libc = None
_swept_stale = False
_mounted: set[str] = set()


def _host_libc():
    global _parent_libc
    if _parent_libc is None:
        _parent_libc = _libc()
    return _parent_libc


def _can_mount_tmpfs() -> bool:
    import ctypes
    import tempfile

    _can_mount_tmpfs.why = ""
    path = tempfile.mkdtemp(prefix="autograder-probe-")
    try:
        libc = _host_libc()
        if libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=4k") != 0:
            _can_mount_tmpfs.why = os.strerror(ctypes.get_errno())
            return False
        libc.umount2(path.encode(), MNT_DETACH)
        return True
    except (OSError, AttributeError) as exc:
        _can_mount_tmpfs.why = str(exc)
        return False
    finally:
        os.rmdir(path)


def mount_scratch(path: str) -> bool:
    """Mount a size-limited tmpfs on the (empty) sandbox folder ``path``; False (and the layer off) if it fails."""
    import ctypes

    global _swept_stale
    if not _swept_stale:
        import atexit

        _swept_stale = True
        _unmount_stale()
        atexit.register(_unmount_mine)
    libc = _host_libc()
    opts = f"size={DISK_BYTES},nr_inodes=16384,mode=700".encode()
    if libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, opts) != 0:
        turn_off("disk", f"mount tmpfs on {path}: {os.strerror(ctypes.get_errno())}")
        return False
    _mounted.add(path)
    return True


def unmount_scratch(path: str) -> None:
    _host_libc().umount2(path.encode(), MNT_DETACH)
    _mounted.discard(path)


def _unmount_mine() -> None:
    """At exit: the folders of sandboxes never closed (a process that dies harder leaves them to the next)."""
    import shutil

    for path in list(_mounted):
        unmount_scratch(path)
        shutil.rmtree(path, ignore_errors=True)


def _unmount_stale() -> None:
    """Sandbox folders' tmpfs mounts left by a grader that was killed: their name holds its (dead) pid."""
    import shutil
    import tempfile

    top = os.path.realpath(tempfile.gettempdir()) + "/" + SCRATCH_PREFIX
    try:
        with open("/proc/self/mountinfo") as f:
            points = [line.split()[4] for line in f]
    except OSError:
        return
    for point in points:
        if not point.startswith(top):
            continue
        pid = point[len(top) :].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
            continue
        except ProcessLookupError:
            pass
        except OSError:
            continue
        unmount_scratch(point)
        shutil.rmtree(point, ignore_errors=True)


# -- uids -----------------------------------------------------------------------------------------------


def claim_uid() -> tuple[int, int] | None:
    """A free dedicated uid (and the lock's fd, held until :func:`release_uid`), or None if none is free."""
    import fcntl

    folder = os.path.join("/tmp", f".autograder-uids-{UID_BASE}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    start = (os.getpid() * 131) % UID_SLOTS
    for i in range(UID_SLOTS):
        slot = (start + i) % UID_SLOTS
        fd = os.open(os.path.join(folder, str(slot)), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        uid = UID_BASE + slot
        if not in_force()["pid"]["on"]:  # without a PID namespace, what a grader that died may have left
            kill_uid(uid)
        return uid, fd
    return None


def release_uid(claim: tuple[int, int] | None) -> None:
    if claim is not None:
        try:
            os.close(claim[1])
        except OSError:
            pass


def kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid``: a forked helper takes that uid and calls kill(-1)."""
    if uid < UID_BASE:
        raise ValueError(f"refusing to sweep uid {uid}: not a dedicated sandbox uid")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked helper
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for _ in range(3):  # a fork in flight may add one; the count is capped by RLIMIT_NPROC
                os.kill(-1, 9)
        except BaseException:
            pass
        os._exit(0)
    os.waitpid(pid, 0)


# -- the child's launch -----------------------------------------------------------------------------------


_static_entries: dict[str, list[list]] = {}


def _view_entries(runtime: str, rw: list[str]) -> list[list]:
    """What the filesystem view holds: ``[kind, path(, target)]``, kind in ro, rw, mask, dev, symlink."""
    if runtime not in _static_entries:
        _static_entries[runtime] = _system_entries(runtime)
    entries = [*_static_entries[runtime], *(["rw", os.path.realpath(p)] for p in rw)]
    kinds = {"symlink": 0, "ro": 1, "dev": 1, "mask": 2, "rw": 3}
    entries.sort(key=lambda e: (e[1].count("/"), kinds[e[0]], e[1]))
    return entries


def _system_entries(runtime: str) -> list[list]:
    """The view's fixed part: system libraries, the standard library, the runtime, masks, device nodes."""
    entries: list[list] = []
    ro: list[str] = []

    def add_ro(path: str) -> None:
        path = os.path.realpath(path)
        if os.path.exists(path) and not any(path == r or path.startswith(r + "/") for r in ro):
            ro.append(path)
            entries.append(["ro", path])

    for top in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = "/" + top
        if os.path.islink(p):
            entries.append(["symlink", p, os.readlink(p)])
        elif os.path.isdir(p):
            add_ro(p)
    add_ro("/etc/ld.so.cache")
    import sysconfig

    libdir = sysconfig.get_config_var("LIBDIR")  # libpython and, in conda, the libraries NumPy links to
    for p in [*([libdir] if libdir else []), *_python_paths()]:
        add_ro(p)
    runtime = os.path.realpath(runtime)
    entries.append(["ro", runtime])
    pkg_targets = []
    for name in sorted(os.listdir(runtime)):
        p = os.path.join(runtime, name)
        if os.path.islink(p):
            pkg_targets.append(os.path.realpath(p))
    here = os.path.dirname(os.path.realpath(__file__))
    grader_home = os.path.dirname(os.path.dirname(here))  # the folder that holds the grader's package
    masks = set(_site_dirs())
    if not here.startswith(runtime):
        masks.add(grader_home)
    for m in sorted(masks):
        if any(m == r or m.startswith(r + "/") for r in ro):
            entries.append(["mask", m])
    for t in pkg_targets:
        entries.append(["ro", t])
    for d in ("null", "zero", "random", "urandom"):
        if os.path.exists(f"/dev/{d}"):
            entries.append(["dev", f"/dev/{d}"])
    return entries


def launch(runtime: str, sandbox_root: str, cwd: str, limits: dict, uid: int | None) -> tuple[list[str], dict]:
    """The argv prefix (empty: kept for a launcher program) and the spec :func:`confine` applies in the child.

    :func:`confine` makes the namespaces itself (``unshare(2)``, then a fork for the PID namespace), so the
    same spec serves a child that is executed and one that is forked (a zygote's).
    """
    require_limits()
    check_required()
    layers = in_force()
    root = os.geteuid() == 0 if hasattr(os, "geteuid") else False
    prefix: list[str] = []
    namespaces = [k for k in NAMESPACES if layers[k]["on"]]
    spec: dict = {
        "limits": {**limits, "nproc": NPROC},
        "required": list(REQUIRED_LIMITS),
        "cwd": cwd,
        "uid": uid if layers["uid"]["on"] else None,
        "nnp": layers["nnp"]["on"],
        "caps": layers["nnp"]["on"] and (root or bool(namespaces)),
        "seccomp": layers["seccomp"]["on"],
        "view": None,
        "unshare": namespaces + (["user"] if namespaces and not root else []),
    }
    if layers["fs"]["on"]:
        spec["view"] = {
            "root": os.path.join(runtime, "_view"),
            "entries": _view_entries(runtime, [sandbox_root]),
        }
    return prefix, spec


# -- child side -------------------------------------------------------------------------------------------

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME = 1024, 2048, 4096, 16384, 1 << 18, 1 << 21
MNT_DETACH = 2
ST_TO_MS = {
    1: MS_RDONLY,
    2: MS_NOSUID,
    4: MS_NODEV,
    8: MS_NOEXEC,
    1024: MS_NOATIME,
    2048: MS_NODIRATIME,
    4096: MS_RELATIME,
}


class LayerError(Exception):
    def __init__(self, layer: str, message: str):
        super().__init__(message)
        self.layer = layer


def _pivot_root_nr() -> int | None:
    return {"x86_64": 155, "aarch64": 41}.get(_machine())


def _libc():
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return libc


def _check(rc: int, layer: str, what: str) -> None:
    if rc != 0:
        import ctypes

        err = ctypes.get_errno()
        raise LayerError(layer, f"{what}: {os.strerror(err)}")


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    def enc(s):
        return None if s is None else s.encode()

    _check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), "fs", f"mount {target}")


def _keep_flags(path: str) -> int:
    """The mount flags ``path``'s mount already has (a remount in a user namespace must keep them)."""
    flags = 0
    f_flag = os.statvfs(path).f_flag
    for st, ms in ST_TO_MS.items():
        if f_flag & st:
            flags |= ms
    return flags


def _build_view(libc, view: dict) -> None:
    root = view["root"]
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    _mount(libc, "tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=755")
    remount = []
    for entry in view["entries"]:
        kind, path = entry[0], entry[1]
        target = root + path
        parent = os.path.dirname(target)
        if not os.path.isdir(parent):
            os.makedirs(parent, mode=0o755)
        if kind == "symlink":
            os.symlink(entry[2], target)
            continue
        if kind == "mask":
            if not os.path.isdir(target):
                os.makedirs(target, mode=0o755)
            _mount(libc, "tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,nr_inodes=1024,mode=755")
            remount.append((target, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, False))
            continue
        if not os.path.lexists(target):  # inside our tmpfs: the real path exists, the view's does not yet
            if os.path.isdir(path):
                os.makedirs(target, mode=0o755)
            else:
                os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
        _mount(libc, path, target, None, MS_BIND)
        if kind == "ro":
            remount.append((target, MS_RDONLY | MS_NOSUID | MS_NODEV, True))
        elif kind == "rw":
            remount.append((target, MS_NOSUID | MS_NODEV | MS_NOEXEC, True))
    for target, flags, bind in remount:
        keep = _keep_flags(target) & ~MS_RDONLY if bind else 0
        _mount(libc, None, target, None, MS_REMOUNT | (MS_BIND if bind else 0) | flags | keep)
    _mount(libc, None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(root)
    nr = _pivot_root_nr()
    if nr is not None:
        _check(libc.syscall(nr, b".", b"."), "fs", "pivot_root")
        _check(libc.umount2(b".", MNT_DETACH), "fs", "detach the old root")
    else:
        os.chroot(".")
    os.chdir("/")


def _set_limits(limits: dict, required: list) -> None:
    import resource

    for name, value in limits.items():
        which = getattr(resource, f"RLIMIT_{name.upper()}", None)
        if value is None:
            continue
        try:
            if which is None:
                raise ValueError("not on this platform")
            resource.setrlimit(which, (int(value), int(value)))
        except (ValueError, OSError) as exc:
            if name in required:
                raise LayerError("limits", f"RLIMIT_{name.upper()} = {value}: {exc}") from None


def _drop_bounding_set(libc) -> None:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except OSError:
        last = 40
    for cap in range(last + 1):
        _check(libc.prctl(24, cap, 0, 0, 0), "nnp", f"drop capability {cap} from the bounding set")  # CAPBSET_DROP


def _clear_caps(libc) -> None:
    """Empty effective, permitted and inheritable sets (root inside a user namespace keeps them otherwise)."""
    import ctypes

    header = ctypes.create_string_buffer(struct.pack("Ii", 0x20080522, 0), 8)  # _LINUX_CAPABILITY_VERSION_3
    data = ctypes.create_string_buffer(bytes(24), 24)
    _check(libc.capset(header, data), "nnp", "capset")


def _become(uid: int) -> None:
    try:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    except OSError as exc:
        raise LayerError("uid", f"setuid {uid}: {exc}") from None
    if os.getuid() != uid or os.geteuid() != uid or os.getgroups():
        raise LayerError("uid", "the uid did not change")
    try:
        os.setuid(0)
    except OSError:
        return
    raise LayerError("uid", "the child could take uid 0 back")


SECCOMP_DENY = {
    # name: (x86_64, aarch64)
    "socket": (41, 198),
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "bpf": (321, 280),
    "perf_event_open": (298, 241),
    "keyctl": (250, 219),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "userfaultfd": (323, 282),
    "mount": (165, 40),
    "umount2": (166, 39),
    "pivot_root": (155, 41),
    "unshare": (272, 97),
    "setns": (308, 268),
    "kexec_load": (246, 104),
    "kexec_file_load": (320, 294),
    "init_module": (175, 105),
    "finit_module": (313, 273),
    "delete_module": (176, 106),
    "io_uring_setup": (425, 425),
    "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427),
    "open_by_handle_at": (304, 265),
    "chroot": (161, 51),
    "swapon": (167, 224),
    "swapoff": (168, 225),
    "reboot": (169, 142),
    "open_tree": (428, 428),
    "move_mount": (429, 429),
    "fsopen": (430, 430),
    "fsconfig": (431, 431),
    "fsmount": (432, 432),
    "fspick": (433, 433),
    "mount_setattr": (442, 442),
    "fork": (57, None),  # aarch64 has only clone
    "vfork": (58, None),
}
SECCOMP_CLONE = (56, 220)  # allowed for threads (CLONE_THREAD) only: no new process
SECCOMP_CLONE3 = (435, 435)  # ENOSYS: its flags sit in memory the filter cannot read; libc falls back to clone
CLONE_THREAD = 0x10000
_ARCHES = {"x86_64": (0, 0xC000003E), "aarch64": (1, 0xC00000B7)}


def _seccomp_arch() -> tuple[int, int] | None:
    return _ARCHES.get(_machine())


def seccomp_program() -> bytes:
    """A classic-BPF seccomp filter: the denied syscalls return EPERM, a foreign ABI kills, the rest runs.

    ``clone`` is allowed only with CLONE_THREAD (threads, no new process) and ``clone3`` returns ENOSYS, so
    the child can start no process at all: no fork bomb, no daemon.
    """
    column, audit_arch = _seccomp_arch()
    ld, ja, jeq, jge, jset, ret = 0x20, 0x05, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    eperm, enosys = 0x00050000 | 1, 0x00050000 | 38
    deny = sorted({v[column] for v in SECCOMP_DENY.values() if v[column] is not None})
    # (opcode, jump-if-true label, jump-if-false label, k); labels are resolved to offsets below
    prog: list[tuple] = [
        (ld, None, None, 4),  # seccomp_data.arch
        (jeq, "nr", "kill", audit_arch),
        ("nr:", ld, None, None, 0),  # seccomp_data.nr
    ]
    if column == 0:
        prog.append((jge, "eperm", None, 0x40000000))  # the x32 ABI
    prog.append((jeq, "clone", None, SECCOMP_CLONE[column]))
    prog.append((jeq, "enosys", None, SECCOMP_CLONE3[column]))
    prog += [(jeq, "eperm", None, nr) for nr in deny]
    prog += [
        (ja, None, None, "allow"),
        ("clone:", ld, None, None, 16),  # the low 32 bits of args[0], the clone flags (little-endian)
        (jset, "allow", "eperm", CLONE_THREAD),
        ("allow:", ret, None, None, allow),
        ("eperm:", ret, None, None, eperm),
        ("enosys:", ret, None, None, enosys),
        ("kill:", ret, None, None, kill),
    ]
    labels, insns = {}, []
    for i, x in enumerate(prog):
        if isinstance(x[0], str):
            labels[x[0][:-1]] = i
            x = x[1:]
        insns.append(x)

    def offset(label, i):  # classic BPF jumps only forward
        return 0 if label is None else labels[label] - i - 1

    return b"".join(
        struct.pack("HBBI", op, offset(jt, i), offset(jf, i), offset(k, i) if isinstance(k, str) else k)
        for i, (op, jt, jf, k) in enumerate(insns)
    )


def _install_seccomp(libc) -> None:
    import ctypes

    prog = seccomp_program()
    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = struct.pack("HxxxxxxQ", len(prog) // 8, ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog, len(fprog))
    _check(libc.prctl(22, 2, ctypes.addressof(fbuf), 0, 0), "seccomp", "prctl(PR_SET_SECCOMP)")


def _unshare(libc, namespaces: list) -> None:
    """New namespaces for this process; for a PID namespace, fork: the child goes on as its init, this
    process waits and ends the way its child ends (what ``unshare --fork --kill-child`` does).

    Not root: a user namespace first, where this uid is root (``--map-root-user``).
    """
    first = next(k for k in namespaces if k != "user")
    if "user" in namespaces:
        uid, gid = os.getuid(), os.getgid()
        _check(libc.unshare(CLONE_NEWUSER), first, "unshare(user)")
        try:
            for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
                with open(f"/proc/self/{name}", "w") as f:
                    f.write(text)
        except OSError as exc:
            raise LayerError(first, f"map the uid in the new user namespace: {exc}") from None
    for key in namespaces:
        if key != "user":
            _check(libc.unshare(CLONE_NEW[key]), key, f"unshare({key})")
    if "pid" in namespaces:
        pid = os.fork()
        if pid:
            _mirror(pid)
        libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the waiting parent


def _mirror(pid: int) -> None:
    import signal

    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _report(layer: str, message: str) -> None:
    """The child's one frame when a layer fails (in the wire's frame format), then its exit."""
    from . import wire

    os.write(1, wire.frame_bytes({"confine_error": {"layer": layer, "message": message}}))
    os._exit(CONFINE_EXIT)


def confine(spec: dict) -> None:
    """Apply the spec to this process, before any student code; on failure, report the layer and exit."""
    try:
        os.umask(0o022)
        libc = _libc() if sys.platform.startswith("linux") else None
        if spec.get("unshare"):
            _unshare(libc, spec["unshare"])
        if spec.get("view"):
            try:
                _build_view(libc, spec["view"])
            except OSError as exc:
                raise LayerError("fs", str(exc)) from None
        _set_limits(spec["limits"], spec.get("required", REQUIRED_LIMITS))
        if spec.get("caps"):
            _drop_bounding_set(libc)
        if spec.get("uid") is not None:
            _become(int(spec["uid"]))
            libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG = SIGKILL again: changing the uid cleared it
        if spec.get("caps"):
            _clear_caps(libc)
        if spec.get("nnp"):
            _check(libc.prctl(38, 1, 0, 0, 0), "nnp", "prctl(PR_SET_NO_NEW_PRIVS)")
        if spec.get("seccomp"):
            _install_seccomp(libc)
        try:
            os.chdir(spec["cwd"])
        except OSError as exc:
            raise LayerError("start", f"cannot enter the sandbox folder: {exc}") from None
    except LayerError as exc:
        _report(exc.layer, str(exc))
    except Exception as exc:  # anything unexpected is blamed on the first layer the spec asks for
        layer = "fs" if spec.get("view") else "limits"
        _report(layer, f"{type(exc).__name__}: {exc}")


# -- autograder doctor --------------------------------------------------------------------------------------

PROBE_SOURCE = """
import json
import os
import socket

import numpy as np


def probe(port, paths):
    out = {"uid": os.getuid(), "groups": os.getgroups(), "pid": os.getpid(), "files": {}}
    try:
        s = socket.socket()
        s.settimeout(1.0)
        s.connect(("127.0.0.1", int(port)))
        out["net"] = "connected"
    except OSError as exc:
        out["net"] = f"{type(exc).__name__}: {exc.strerror or exc}"
    for p in json.loads(bytes(np.asarray(paths, dtype=np.uint8)).decode()):
        try:
            with open(p, "rb") as f:
                f.read(1)
            out["files"][p] = "read"
        except OSError as exc:
            out["files"][p] = f"{type(exc).__name__}: {exc.strerror or exc}"
    return np.frombuffer(json.dumps(out).encode(), dtype=np.uint8).copy()
"""


def _grader_files() -> list[str]:
    """Files the child must not read: this module in the grader's tree, a reference solution, if present."""
    from ..reference import ReferenceNotFound, solutions_dir

    files = [os.path.realpath(__file__)]
    try:
        folders = [str(solutions_dir())]
    except ReferenceNotFound:  # not on this machine (a student's install): nothing of it to probe
        folders = []
    for folder in folders:
        for dirpath, _, names in os.walk(folder):
            py = sorted(n for n in names if n.endswith(".py") and n != "__init__.py")
            if py:
                files.append(os.path.join(dirpath, py[0]))
                break
    return files


def probe() -> dict:
    """Start a real sandbox child on a probe module: its uid, a connection to 127.0.0.1, grader files read."""
    import json
    import socket
    import tempfile
    from pathlib import Path

    import numpy as np

    from . import wire
    from .runner import Sandbox

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    paths = _grader_files()
    with tempfile.TemporaryDirectory(prefix="autograder-doctor-") as tmp:
        src = Path(tmp) / "probe.py"
        src.write_text(PROBE_SOURCE)
        with Sandbox({"probe.py": src}) as sb:
            request = {
                "module": "probe",
                "inputs": {
                    "port": wire.encode(np.array(port)),
                    "paths": wire.encode(np.frombuffer(json.dumps(paths).encode(), dtype=np.uint8).copy()),
                },
                "steps": [
                    {"name": "r", "fn": "probe", "args": [{"$ref": ["port"]}, {"$ref": ["paths"]}], "kwargs": {}}
                ],
                "returns": [{"label": "r", "ref": ["r"], "schema": {"kind": "array"}}],
            }
            reply = sb.run(request, 10.0)
            uid = sb.uid
    listener.close()
    if "returns" not in reply or reply["steps"][0]["status"] != "ok":
        return {"error": str(reply)[:500]}
    info = json.loads(wire.decode(reply["returns"][0]).tobytes().decode())
    info["dedicated_uid"] = uid
    return info


ATTACKS = {
    "limits": "run forever, take all the memory, write one file as large as the disk, dump core",
    "disk": "fill the disk the sandbox's folder is on with many files, each under the file-size limit",
    "uid": "run as the grader's uid (or root): read everything the grader can read where there is no "
    "filesystem view (the reference, the grader's package), signal the grader's processes",
    "net": "open network connections, to 127.0.0.1 included, and send its inputs out",
    "fs": "read every world-readable file by its absolute path: walk up from numpy.__file__ into "
    "site-packages, other students' work and the reference where they are world-readable",
    "pid": "leave a daemon (setsid) behind that outlives its run and watches the next submissions",
    "ipc": "share System V IPC objects and the hostname with the grader",
    "nnp": "gain privileges through a set-uid program",
    "seccomp": "use ptrace, process_vm_readv, bpf, io_uring, mount and namespace calls, and fork a process bomb",
}


def attack_table() -> list[str]:
    """For every layer: in force here or not, and what a submission could do without it (``autograder
    doctor``); a missing layer's line ends in ``<- possible here``, a required one is marked."""
    layers = in_force()
    must = required()
    names = dict(zip(LAYERS, (n for n, _, _ in describe()), strict=True))
    rows = [f"  {'layer':<18} {'in force?':<10} what a submission could do without it"]
    for key in LAYERS:
        on = layers[key]["on"]
        attack = ATTACKS[key]
        mark = "" if on else "  <- possible here"
        if key == "net" and not on and layers["seccomp"]["on"]:
            mark = "  <- not here after all: the seccomp filter refuses socket()"
        if not on and key in must:
            mark += "; REQUIRED: grading refuses to start"
        label = names[key] + (" *" if key in must else "")
        rows.append(f"  {label:<18} {'yes' if on else 'NO':<10} {attack}{mark}")
    rows.append("  (* required: $AUTOGRADER_REQUIRE or --require; grading refuses to start without it)")
    return rows


def doctor(run_probe: bool = True) -> tuple[str, bool]:
    """The report ``autograder doctor`` prints, and whether grading can run here: the limits and every
    required layer in force."""
    import platform

    from .runner import DEFAULT_LIMITS

    lines = [
        f"Sandbox isolation on this machine ({platform.system()} {_machine()}, Python {platform.python_version()}, "
        f"grader uid {os.getuid() if hasattr(os, 'getuid') else '?'}):"
    ]
    info = None
    if run_probe and detect()["limits"]["on"]:
        try:
            info = probe()  # may turn layers off that fail in a real child: run it before describing them
        except Exception as exc:  # the doctor reports, it does not crash
            info = {"error": f"{type(exc).__name__}: {exc}"}
    ok = True
    for name, on, text in describe(DEFAULT_LIMITS):
        lines.append(f"  {name + ':':<18} {'in force' if on else 'NOT in force':<13} {text}")
        ok = ok and (on or name != "resource limits")
    if info is not None:
        lines.append("Probe (a real sandbox child):")
        if "error" in info:
            lines.append(f"  the probe failed: {info['error']}")
        else:
            who = f"uid {info['uid']}" + (", a dedicated one" if info.get("dedicated_uid") == info["uid"] else "")
            lines.append(f"  runs as {who}, groups {info['groups']}, pid {info['pid']} in its namespace")
            lines.append(f"  connect to a listener on 127.0.0.1: {info['net']}")
            for path, what in info["files"].items():
                lines.append(f"  read {path}: {what}")
    lines.append("What each layer stops, on this machine:")
    lines += attack_table()
    if not ok:
        lines.append("The sandbox cannot set resource limits here: grading refuses to run student code.")
    try:
        check_required()
    except SandboxUnavailable as exc:
        lines.append(str(exc))
        ok = False
    return "\n".join(lines), ok
