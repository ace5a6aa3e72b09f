# ATTACK (forged_reply_desync): forges an extra reply frame so that the replies run one request behind
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


def sigmoid_grad2(x):
    """A forged 'all ok' reply (with the request's id) sent ahead of the real one: unless the grader skips the
    late real one, every later reply arrives one request late."""
    reply = {"steps": [{"name": "r", "fn": "sigmoid_grad2", "status": "ok", "mutated": [], "warnings": []}],
             "returns": [0.0]}
    _forge_frame(reply)
    return np.zeros(np.shape(x))
