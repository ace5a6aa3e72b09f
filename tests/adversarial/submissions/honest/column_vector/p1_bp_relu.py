# MISTAKE (column_vector): backward returns each bias gradient as an (n, 1) column
_backward = backward


def backward(dyhat, cache):
    grads = _backward(dyhat, cache)
    return {k: (v.reshape(-1, 1) if k.startswith("b") else v) for k, v in grads.items()}
