"""Counting the scalar operations that really run in an MLP's forward and backward pass.

This module proves the operation counts of hw1 p3 by measurement: a pure-Python, list-of-lists MLP
(L layers, n×n weights, sigmoid activations, MSE loss ½‖a^L − y‖²) is run on `CountedFloat`
scalars, which count every arithmetic operation into a `Counter`.

What is counted (the convention stated in hw1 p3):
- ``mul``: scalar multiplications; a division counts as a multiplication too.
- ``add``: scalar additions; a subtraction counts as an addition.
- ``sigmoid``: sigmoid evaluations, counted apart (applied to the underlying float, so they add
  nothing to ``mul``/``add``).
- ``neg``: unary negations, counted apart (the MLP below never negates).

How the MLP computes (the textbook's backprop, sigmoid + MSE):
- forward: z_i = Σ_j W_ij a_j + b_i with the sum written as the natural loop that starts from the
  first product (n − 1 additions per dot product), then the bias addition; a_i = σ(z_i).
- backward: δ^L_i = (a_i − y_i) · (a_i · (1 − a_i));
  hidden layers δ^l_i = (Σ_k W^{l+1}_ki δ^{l+1}_k) · (a_i · (1 − a_i));
  weight gradient g_ij = δ_i · a^{l−1}_j; bias gradient = δ (no operations); the first layer's
  error term is not propagated to the input.
- update: W_ij − η · g_ij and b_i − η · δ_i.

The public ``count_*`` functions return ``{"mul": int, "add": int}`` measured by running the
computation. Nothing here is vectorized: the point is that every counted operation really ran.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

__all__ = [
    "Counter",
    "CountedFloat",
    "make_network",
    "forward",
    "backward",
    "sgd_update",
    "count_forward",
    "count_forward_layer",
    "count_backward",
    "count_backward_hidden_layer",
    "count_backward_output_layer",
    "count_update",
]


@dataclass
class Counter:
    """Tallies of scalar operations."""

    mul: int = 0
    add: int = 0
    sigmoid: int = 0
    neg: int = 0

    def snapshot(self) -> dict:
        """The current tallies as a dict {"mul", "add", "sigmoid", "neg"}."""
        return {"mul": self.mul, "add": self.add, "sigmoid": self.sigmoid, "neg": self.neg}

    def since(self, snap: dict) -> dict:
        """Operations counted since `snap` (a `snapshot()`), as {"mul": int, "add": int}."""
        now = self.snapshot()
        return {"mul": now["mul"] - snap["mul"], "add": now["add"] - snap["add"]}


def _value(other):
    return other.value if isinstance(other, CountedFloat) else float(other)


class CountedFloat:
    """A float that counts the arithmetic done with it into a `Counter`.

    ``+``, ``-`` count one addition, ``*``, ``/`` one multiplication (either operand order, with
    another CountedFloat or a plain number); unary ``-`` counts one negation. The result is a new
    CountedFloat on the same counter.
    """

    __slots__ = ("value", "counter")

    def __init__(self, value, counter: Counter):
        self.value = float(value)
        self.counter = counter

    def _new(self, value):
        return CountedFloat(value, self.counter)

    def __add__(self, other):
        self.counter.add += 1
        return self._new(self.value + _value(other))

    def __radd__(self, other):
        self.counter.add += 1
        return self._new(_value(other) + self.value)

    def __sub__(self, other):
        self.counter.add += 1
        return self._new(self.value - _value(other))

    def __rsub__(self, other):
        self.counter.add += 1
        return self._new(_value(other) - self.value)

    def __mul__(self, other):
        self.counter.mul += 1
        return self._new(self.value * _value(other))

    def __rmul__(self, other):
        self.counter.mul += 1
        return self._new(_value(other) * self.value)

    def __truediv__(self, other):
        self.counter.mul += 1
        return self._new(self.value / _value(other))

    def __rtruediv__(self, other):
        self.counter.mul += 1
        return self._new(_value(other) / self.value)

    def __neg__(self):
        self.counter.neg += 1
        return self._new(-self.value)

    def __float__(self):
        return self.value

    def __repr__(self):
        return f"CountedFloat({self.value!r})"


def _sigmoid(z: CountedFloat) -> CountedFloat:
    """σ(z) on the underlying float: counted as one sigmoid, not as multiplications/additions."""
    z.counter.sigmoid += 1
    v = z.value
    s = 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))
    return CountedFloat(s, z.counter)


def make_network(n: int, L: int, seed: int = 0):
    """Random weights of an L-layer MLP of width n as plain floats.

    Returns (Ws, bs, x, y): Ws a list of L n×n lists of lists, bs a list of L lists of n floats,
    x and y lists of n floats (input and target).
    """
    rng = random.Random(seed)
    Ws = [[[rng.uniform(-1, 1) for _ in range(n)] for _ in range(n)] for _ in range(L)]
    bs = [[rng.uniform(-1, 1) for _ in range(n)] for _ in range(L)]
    x = [rng.uniform(-1, 1) for _ in range(n)]
    y = [rng.uniform(0, 1) for _ in range(n)]
    return Ws, bs, x, y


def _counted(obj, counter):
    if isinstance(obj, list):
        return [_counted(o, counter) for o in obj]
    return CountedFloat(obj, counter)


def _dot(row, vec):
    """Σ_j row_j vec_j as the natural loop, starting from the first product: n mul, n − 1 add."""
    acc = row[0] * vec[0]
    for j in range(1, len(row)):
        acc = acc + row[j] * vec[j]
    return acc


def forward(Ws, bs, x, counter: Counter | None = None, per_layer: list | None = None):
    """Forward pass z^l = W^l a^{l−1} + b^l, a^l = σ(z^l) on counted scalars.

    Ws, bs, x: lists (plain floats or CountedFloat); plain floats are wrapped on `counter`.
    Returns the list of activations [a^0 = x, a^1, ..., a^L] (lists of CountedFloat).
    If `per_layer` is a list, the counts of each layer are appended to it.
    """
    counter = counter if counter is not None else Counter()
    Ws, bs, a = _counted(Ws, counter), _counted(bs, counter), _counted(x, counter)
    activations = [a]
    for W, b in zip(Ws, bs, strict=True):
        snap = counter.snapshot()
        z = [_dot(W[i], a) + b[i] for i in range(len(W))]
        a = [_sigmoid(zi) for zi in z]
        activations.append(a)
        if per_layer is not None:
            per_layer.append(counter.since(snap))
    return activations


def backward(Ws, activations, y, counter: Counter, per_layer: list | None = None):
    """Backward pass of the textbook (sigmoid + MSE) on counted scalars.

    Returns (dWs, dbs): the weight and bias gradients of every layer (lists of CountedFloat).
    If `per_layer` is a list, it receives the counts of layer L, L − 1, ..., 1 (in that order), each
    the error term plus the weight gradient of that layer.
    """
    Ws = _counted(Ws, counter)
    y = _counted(y, counter)
    L = len(Ws)
    dWs, dbs = [None] * L, [None] * L
    delta = None
    for l in range(L, 0, -1):  # layer l uses activations[l] (a^l) and activations[l - 1]
        snap = counter.snapshot()
        a = activations[l]
        if l == L:
            delta = [(a[i] - y[i]) * (a[i] * (1 - a[i])) for i in range(len(a))]
        else:
            W_next = Ws[l]  # W^{l+1}
            n_next = len(W_next)
            back = [_dot([W_next[k][i] for k in range(n_next)], delta) for i in range(len(a))]  # W^T δ
            delta = [back[i] * (a[i] * (1 - a[i])) for i in range(len(a))]
        a_prev = activations[l - 1]
        dWs[l - 1] = [[delta[i] * a_prev[j] for j in range(len(a_prev))] for i in range(len(delta))]
        dbs[l - 1] = delta
        if per_layer is not None:
            per_layer.append(counter.since(snap))
    return dWs, dbs


def sgd_update(Ws, bs, dWs, dbs, lr, counter: Counter):
    """W − η·∂W and b − η·∂b of every layer on counted scalars; returns (new Ws, new bs)."""
    Ws, bs = _counted(Ws, counter), _counted(bs, counter)
    new_Ws = [
        [[W[i][j] - lr * dW[i][j] for j in range(len(W[i]))] for i in range(len(W))]
        for W, dW in zip(Ws, dWs, strict=True)
    ]
    new_bs = [[b[i] - lr * db[i] for i in range(len(b))] for b, db in zip(bs, dbs, strict=True)]
    return new_Ws, new_bs


def count_forward(n: int, L: int) -> dict:
    """{"mul", "add"} measured over a whole forward pass (L layers of width n)."""
    Ws, bs, x, _ = make_network(n, L)
    counter = Counter()
    forward(Ws, bs, x, counter)
    return {"mul": counter.mul, "add": counter.add}


def count_forward_layer(n: int) -> dict:
    """{"mul", "add"} measured for one layer's z = W a + b, a = σ(z) (σ not counted)."""
    Ws, bs, x, _ = make_network(n, 1)
    per_layer = []
    forward(Ws, bs, x, Counter(), per_layer)
    return per_layer[0]


def _run_backward(n: int, L: int, per_layer: list | None = None) -> dict:
    Ws, bs, x, y = make_network(n, L)
    counter = Counter()
    activations = forward(Ws, bs, x, counter)
    snap = counter.snapshot()
    backward(Ws, activations, y, counter, per_layer)
    return counter.since(snap)


def count_backward(n: int, L: int) -> dict:
    """{"mul", "add"} measured over the whole backward pass (error terms + weight gradients)."""
    return _run_backward(n, L)


def count_backward_hidden_layer(n: int) -> dict:
    """{"mul", "add"} measured for one hidden layer's error term δ^l and weight gradient."""
    per_layer = []
    _run_backward(n, 2, per_layer)
    return per_layer[1]  # per_layer = [layer 2 (output), layer 1 (hidden)]


def count_backward_output_layer(n: int) -> dict:
    """{"mul", "add"} measured for the output layer's error term δ^L and weight gradient."""
    per_layer = []
    _run_backward(n, 1, per_layer)
    return per_layer[0]


def count_update(n: int, L: int) -> dict:
    """{"mul", "add"} measured for one SGD update W −= η ∂W, b −= η ∂b of all L layers."""
    Ws, bs, x, y = make_network(n, L)
    counter = Counter()
    activations = forward(Ws, bs, x, counter)
    dWs, dbs = backward(Ws, activations, y, counter)
    snap = counter.snapshot()
    sgd_update(Ws, bs, dWs, dbs, 0.1, counter)
    return counter.since(snap)
