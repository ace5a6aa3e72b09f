# ATTACK (broadcast_shape): the right values with an extra leading axis of length 1 (allclose would broadcast)
def _sig(v):
    return 0.5 * (1.0 + np.tanh(0.5 * v))


def sigmoid_grad2(x):
    s = _sig(np.asarray(x, dtype=np.float64))
    return (s * (1 - s) * (1 - 2 * s))[np.newaxis]
