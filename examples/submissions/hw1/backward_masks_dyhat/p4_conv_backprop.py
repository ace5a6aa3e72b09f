"""hw1 p4 -- convolution backprop (vectorized submission, einsum + sliding windows)."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _windows(xp, KH, KW, stride, Ho, Wo):
    """(N, C, Ho, Wo, KH, KW) view of the strided receptive fields."""
    v = sliding_window_view(xp, (KH, KW), axis=(2, 3))[:, :, ::stride, ::stride]
    return v[:, :, :Ho, :Wo]


def conv2d_forward(x, w, b, stride=1, pad=0):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    F, C, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho = (xp.shape[2] - KH) // stride + 1
    Wo = (xp.shape[3] - KW) // stride + 1
    cols = _windows(xp, KH, KW, stride, Ho, Wo)
    out = np.einsum("nchwij,fcij->nfhw", cols, w, optimize=True) + b[None, :, None, None]
    cache = {"xp": xp, "w": w, "stride": stride, "pad": pad}
    return out, cache


def conv2d_backward(dout, cache):
    xp, w, stride, pad = cache["xp"], cache["w"], cache["stride"], cache["pad"]
    dout = np.asarray(dout, dtype=np.float64)
    F, C, KH, KW = w.shape
    Ho, Wo = dout.shape[2], dout.shape[3]
    cols = _windows(xp, KH, KW, stride, Ho, Wo)
    dw = np.einsum("nfhw,nchwij->fcij", dout, cols, optimize=True)
    db = dout.sum(axis=(0, 2, 3))
    dxp = np.zeros_like(xp)
    for u in range(KH):
        for v in range(KW):
            dxp[:, :, u:u + stride * Ho:stride, v:v + stride * Wo:stride] += np.einsum(
                "nfhw,fc->nchw", dout, w[:, :, u, v])
    H, W = xp.shape[2] - 2 * pad, xp.shape[3] - 2 * pad
    dx = dxp[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def conv_error_term(delta_next, w_next, z, f_prime):
    delta_next = np.asarray(delta_next, dtype=np.float64)
    w_next = np.asarray(w_next, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    KH, KW = w_next.shape
    padded = np.pad(delta_next, ((KH - 1, KH - 1), (KW - 1, KW - 1)))
    rotated = w_next[::-1, ::-1]                     # kernel rotated by 180 degrees
    full = np.einsum("ijuv,uv->ij", sliding_window_view(padded, (KH, KW)), rotated)
    return np.asarray(f_prime(z), dtype=np.float64) * full
