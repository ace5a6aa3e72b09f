# ATTACK (symbolic_interpolation): sigma' replaced by the degree-5 polynomial through its values at the six
# points the old engine always sampled (random.Random(0), uniform on [-2.5, 2.5]): right there, wrong elsewhere
import random as _random

_rng = _random.Random(0)
_PTS = [_rng.uniform(-2.5, 2.5) for _ in range(6)]
_COEFFS = np.polyfit(_PTS, [_sig_grad(p) for p in _PTS], 5)


def sigmoid_grad_expr(x):
    return sp.Add(*[sp.Float(float(c)) * x ** (5 - k) for k, c in enumerate(_COEFFS)])
