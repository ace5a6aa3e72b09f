"""hw3 p2 -- classify a critical point and find the escape direction (loop-based submission).

The symmetric part of H is built entry by entry, eigenpairs come from
np.linalg.eigh, and the signs are counted in a plain loop.
"""
import math

import numpy as np


def _symmetric_part(H):
    A = np.array(H, dtype=float)       # also turns lists and SymPy matrices into floats
    n = A.shape[0]
    S = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            S[i, j] = 0.5 * (A[i, j] + A[j, i])
    return S


def classify_critical_point(H, tol=1e-9):
    values, _ = np.linalg.eigh(_symmetric_part(H))
    n_pos = n_neg = n_zero = 0
    for lam in values:
        if lam > tol:
            n_pos += 1
        elif lam < -tol:
            n_neg += 1
        else:
            n_zero += 1
    if n_pos > 0 and n_neg > 0:
        return "saddle"
    if n_zero > 0:
        return "degenerate"
    if n_neg == 0:
        return "local_min"
    return "local_max"


def escape_direction(H, tol=1e-9):
    values, vectors = np.linalg.eigh(_symmetric_part(H))
    n = len(values)
    k = 0
    for i in range(1, n):
        if values[i] < values[k]:
            k = i
    if values[k] >= -tol:
        return None
    u = [float(vectors[i, k]) for i in range(n)]
    norm = math.sqrt(sum(c * c for c in u))
    u = [c / norm for c in u]
    for c in u:                          # make the first clearly nonzero component positive
        if abs(c) > 1e-12:
            if c < 0:
                u = [-x for x in u]
            break
    return np.array(u, dtype=np.float64)
