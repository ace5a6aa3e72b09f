"""hw5 p3 -- softmax loss, its gradient and the saturation demo (loop-based submission).

Row by row with the math module: log-sum-exp with the row maximum taken out
first (math.exp of a very negative number just returns 0.0, so -1e4 logits
are fine). Labels: class indices, or one-hot rows of the logits' shape.
"""
import math

import numpy as np

SATURATION_LOGITS = (-10.0, 10.0, -1000.0)
SATURATION_TARGET = (1.0, 0.0, 0.0)


def _rows_and_targets(logits, labels):
    """Logits as a list of rows and the targets as a list of one-hot (or probability) lists."""
    logits = np.asarray(logits, dtype=np.float64)
    C = logits.shape[-1]
    rows = logits.reshape(-1, C).tolist()
    lab = np.asarray(labels)
    if lab.shape == logits.shape:
        targets = lab.astype(np.float64).reshape(-1, C).tolist()
    else:
        idx = lab.reshape(-1).tolist()
        if len(idx) != len(rows):
            raise ValueError("one label per row of logits")
        targets = []
        for k in idx:
            k = int(k)
            if not 0 <= k < C:
                raise ValueError("label out of range")
            targets.append([1.0 if j == k else 0.0 for j in range(C)])
    return logits.shape, rows, targets


def _log_softmax_row(row):
    m = max(row)
    lse = m + math.log(sum(math.exp(v - m) for v in row))
    return [v - lse for v in row]


def softmax_cross_entropy(logits, labels):
    _, rows, targets = _rows_and_targets(logits, labels)
    total = 0.0
    for row, target in zip(rows, targets):
        logp = _log_softmax_row(row)
        for j in range(len(row)):
            if target[j] != 0.0:
                total -= target[j] * logp[j]
    return total / len(rows)


def softmax_cross_entropy_grad(logits, labels):
    shape, rows, targets = _rows_and_targets(logits, labels)
    N = len(rows)
    out = []
    for row, target in zip(rows, targets):
        logp = _log_softmax_row(row)
        out.append([(math.exp(logp[j]) - target[j]) / N for j in range(len(row))])
    return np.array(out, dtype=np.float64).reshape(shape)


def saturation_demo():
    f = list(SATURATION_LOGITS)
    y = list(SATURATION_TARGET)
    s = [math.exp(v) for v in _log_softmax_row(f)]
    C = len(f)
    # e = sum_i (y_i - s_i)^2;  de/df_j = sum_i 2 (s_i - y_i) * s_i (delta_ij - s_j)
    g_mse = []
    for j in range(C):
        acc = 0.0
        for i in range(C):
            acc += 2.0 * (s[i] - y[i]) * s[i] * ((1.0 if i == j else 0.0) - s[j])
        g_mse.append(acc)
    # e = -sum_i y_i ln s_i;  de/df_j = s_j - y_j
    g_ce = [s[j] - y[j] for j in range(C)]
    return math.sqrt(sum(v * v for v in g_mse)), math.sqrt(sum(v * v for v in g_ce))
