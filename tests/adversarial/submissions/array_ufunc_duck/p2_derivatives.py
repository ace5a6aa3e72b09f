# ATTACK (array_ufunc_duck): an __array_ufunc__ duck whose ufunc results always look right
class _UfuncDuck:
    """Intercepts every ufunc (subtract, abs, isfinite, less_equal ...) with a reassuring answer;
    converts to an array of the right shape but wrong values."""
    def __init__(self, shape):
        self.shape, self.ndim, self.dtype = shape, len(shape), np.dtype("float64")
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        shape = np.broadcast_shapes(*[np.shape(i) for i in inputs if not isinstance(i, _UfuncDuck)] or [self.shape])
        if ufunc.nout == 1 and ufunc.types[0].endswith("?"):
            return np.ones(shape, dtype=bool)
        return np.zeros(shape)
    def __array__(self, dtype=None, copy=None):
        return np.full(self.shape, 0.125)


def sigmoid_grad2(x):
    return _UfuncDuck(np.shape(x))
