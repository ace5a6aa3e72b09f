# ATTACK (symbolic_tiny_offset): the log-softmax gradient off by 3e-11 (below a 1e-10 tolerance)
_exact_log_softmax_grad_expr = log_softmax_grad_expr


def log_softmax_grad_expr(xs, i, j):
    return _exact_log_softmax_grad_expr(xs, i, j) + sp.Float(3e-11)
