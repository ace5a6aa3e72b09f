"""hw1 p5 -- pooling backprop (loop-based submission): loops over the output windows."""
import numpy as np


def maxpool_forward(x, k=2, stride=None):
    x = np.asarray(x, dtype=np.float64)
    if stride is None:
        stride = k
    N, C, H, W = x.shape
    Ho = (H - k) // stride + 1
    Wo = (W - k) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            win = x[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            out[:, :, i, j] = win.reshape(N, C, k * k).max(axis=2)
    return out, {"x": x.copy(), "k": k, "stride": stride}


def maxpool_backward(dout, cache):
    x, k, stride = cache["x"], cache["k"], cache["stride"]
    dout = np.asarray(dout, dtype=np.float64)
    N, C, H, W = x.shape
    Ho, Wo = dout.shape[2], dout.shape[3]
    dx = np.zeros((N, C, H, W))
    for i in range(Ho):
        for j in range(Wo):
            rs, cs = i * stride, j * stride
            win = x[:, :, rs:rs + k, cs:cs + k].reshape(N, C, k * k)
            first = np.argmax(win, axis=2)                       # first max in row-major order
            onehot = (np.arange(k * k)[None, None, :] == first[:, :, None])
            contrib = onehot * dout[:, :, i, j][:, :, None]
            dx[:, :, rs:rs + k, cs:cs + k] += contrib.reshape(N, C, k, k)
    return dx


def avgpool_forward(x, k=2, stride=None):
    x = np.asarray(x, dtype=np.float64)
    if stride is None:
        stride = k
    N, C, H, W = x.shape
    Ho = (H - k) // stride + 1
    Wo = (W - k) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            win = x[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            out[:, :, i, j] = win.sum(axis=(2, 3)) / (k * k)
    return out, {"shape": x.shape, "k": k, "stride": stride}


def avgpool_backward(dout, cache):
    shape, k, stride = cache["shape"], cache["k"], cache["stride"]
    dout = np.asarray(dout, dtype=np.float64)
    dx = np.zeros(shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            share = dout[:, :, i, j] / (k * k)
            dx[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += share[:, :, None, None]
    return dx
