# ATTACK (symbolic_heaviside): sigma' plus 1000 from x = 5 on (right wherever a sampler on [-5, 5] looks)
def sigmoid_grad_expr(x):
    s = 1 / (1 + sp.exp(-x))
    return s * (1 - s) + 1000 * sp.Heaviside(x - 5)
