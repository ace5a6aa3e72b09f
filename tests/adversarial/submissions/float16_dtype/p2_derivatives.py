# ATTACK (float16_dtype): float16 results (coarse values that pass a loose tolerance)
def _sig(v):
    return 0.5 * (1.0 + np.tanh(0.5 * v))


def sigmoid_grad2(x):
    s = _sig(np.asarray(x, dtype=np.float64))
    return (s * (1 - s) * (1 - 2 * s)).astype(np.float16)
