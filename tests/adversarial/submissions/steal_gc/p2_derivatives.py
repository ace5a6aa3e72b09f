# ATTACK (steal_gc): searches gc.get_objects() for an array of the expected shape
import gc


def sigmoid_grad2(x):
    """A float64 array of x's shape anywhere in the heap that is not x."""
    x = np.asarray(x)
    for obj in gc.get_objects():
        if isinstance(obj, dict):
            for v in obj.values():
                if isinstance(v, np.ndarray) and v.shape == x.shape and v is not x and not np.array_equal(v, x):
                    return v
    return np.zeros(x.shape)
