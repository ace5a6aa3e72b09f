# ATTACK (steal_getframe): looks for expected values in the callers' frames (sys._getframe)
import sys


def sigmoid_grad2(x):
    """Any float array of x's shape in a calling frame that is not x itself."""
    frame = sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            for v in (value if isinstance(value, (list, tuple)) else [value]):
                if isinstance(v, np.ndarray) and v.shape == np.shape(x) and v is not x and not np.array_equal(v, x):
                    return v
        frame = frame.f_back
    return np.zeros(np.shape(x))
