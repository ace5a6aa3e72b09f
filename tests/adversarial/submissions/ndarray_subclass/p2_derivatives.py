# ATTACK (ndarray_subclass): an ndarray subclass lying about __eq__, shape, dtype and __array__
class _Liar(np.ndarray):
    """An ndarray subclass that claims to be equal to anything and to have any shape and dtype."""
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)
    def __ne__(self, other):
        return np.zeros(np.shape(other), dtype=bool)
    def __array__(self, dtype=None, copy=None):
        return np.full(self._claimed, 0.25)
    @property
    def shape(self):
        return self._claimed
    @property
    def dtype(self):
        return np.dtype("float64")
    def all(self, *a, **k):
        return True


def sigmoid_grad2(x):
    out = np.zeros(1, dtype=np.float16).view(_Liar)
    out._claimed = np.shape(x)
    return out
