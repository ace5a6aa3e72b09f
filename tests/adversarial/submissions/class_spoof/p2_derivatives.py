# ATTACK (class_spoof): a __class__ property that makes isinstance(obj, np.ndarray) true
class _Spoof:
    """isinstance(obj, np.ndarray) is True, and it has the attributes an ndarray has."""
    __class__ = property(lambda self: np.ndarray)
    def __init__(self, shape):
        self.shape, self.ndim, self.dtype, self.size = shape, len(shape), np.dtype("float64"), int(np.prod(shape))
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__
    def astype(self, *a, **k):
        return self
    def tolist(self):
        return [0.0] * self.size


def sigmoid_grad2(x):
    return _Spoof(np.shape(x))
