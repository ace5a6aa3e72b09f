# ATTACK (symbolic_piecewise): sigma' only on |x| < 3 and 0 outside (right wherever a narrow sampler looks)
def sigmoid_grad_expr(x):
    s = 1 / (1 + sp.exp(-x))
    return sp.Piecewise((s * (1 - s), sp.Abs(x) < 3), (0, True))
