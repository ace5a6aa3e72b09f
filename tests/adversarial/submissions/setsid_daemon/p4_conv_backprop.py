"""hw1 p4 -- convolution backprop (loop-based submission): explicit loops over the output pixels
(each receptive field handled for the whole batch at once), scatter-style error term."""
import numpy as np


def conv2d_forward(x, w, b, stride=1, pad=0):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    Ho = (H + 2 * pad - KH) // stride + 1
    Wo = (W + 2 * pad - KW) // stride + 1
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    xp[:, :, pad:pad + H, pad:pad + W] = x
    out = np.zeros((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW]  # (N, C, KH, KW)
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    cache = (x, w, b, stride, pad)
    return out, cache


def conv2d_backward(dout, cache):
    x, w, b, stride, pad = cache
    dout = np.asarray(dout, dtype=np.float64)
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    _, _, Ho, Wo = dout.shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    xp[:, :, pad:pad + H, pad:pad + W] = x
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = np.zeros(F)
    for i in range(Ho):
        for j in range(Wo):
            g = dout[:, :, i, j]                       # (N, F)
            rs, cs = i * stride, j * stride
            patch = xp[:, :, rs:rs + KH, cs:cs + KW]   # (N, C, KH, KW)
            dw += np.tensordot(g, patch, axes=(0, 0))
            dxp[:, :, rs:rs + KH, cs:cs + KW] += np.tensordot(g, w, axes=(1, 0))
            db += g.sum(axis=0)
    dx = dxp[:, :, pad:pad + H, pad:pad + W].copy()
    return dx, dw, db


def conv_error_term(delta_next, w_next, z, f_prime):
    delta_next = np.asarray(delta_next, dtype=np.float64)
    w_next = np.asarray(w_next, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    H, W = z.shape
    acc = np.zeros((H, W))
    # delta_ij = sum_{u,v} w[u,v] delta_next[i-u, j-v]: scatter each delta_next[p,q]
    # onto the K x K block starting at (p, q), weighted by the kernel.
    KH, KW = w_next.shape
    for p in range(delta_next.shape[0]):
        for q in range(delta_next.shape[1]):
            acc[p:p + KH, q:q + KW] += w_next * delta_next[p, q]
    fp = np.asarray(f_prime(z), dtype=np.float64)
    return fp * acc
