"""hw3 p2 -- classify a critical point and find the escape direction (vectorized submission).

np.linalg.eigvalsh / eigh on (H + H^T)/2; the eigenvalues come back in
ascending order, so the most negative one is the first.
"""
import numpy as np


def _sym(H):
    A = np.asarray(H, dtype=np.float64)
    return (A + A.T) / 2


def classify_critical_point(H, tol=1e-9):
    lam = np.linalg.eigvalsh(_sym(H))
    if np.all(lam < -tol):
        return "local_max"
    if np.all(lam > tol):
        return "local_min"
    if np.any(lam > tol) and np.any(lam < -tol):
        return "saddle"
    return "degenerate"


def escape_direction(H, tol=1e-9):
    lam, U = np.linalg.eigh(_sym(H))   # ascending eigenvalues, orthonormal columns
    if lam[0] >= -tol:
        return None
    u = U[:, 0]
    u = u / np.linalg.norm(u)
    first = np.flatnonzero(np.abs(u) > 1e-12)[0]
    return -u if u[first] < 0 else u
