# ATTACK (object_dtype): an object-dtype array of always-equal floats
def _sig(v):
    return 0.5 * (1.0 + np.tanh(0.5 * v))


class _Eq(float):
    def __eq__(self, other):
        return True
    __hash__ = float.__hash__


def sigmoid_grad2(x):
    s = _sig(np.asarray(x, dtype=np.float64))
    right = s * (1 - s) * (1 - 2 * s)
    out = np.empty(right.shape, dtype=object)
    out.reshape(-1)[:] = [_Eq(0.0) for _ in range(right.size)]
    return out
