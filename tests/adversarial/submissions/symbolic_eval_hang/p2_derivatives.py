# ATTACK (symbolic_eval_hang): sigma'' as sin(exp(10**6*x**2 + 10**6)): tiny, but evaluating it at any point
# takes hours (sin of a number with millions of digits), in whatever process evaluates it
def sigmoid_grad2_expr(x):
    return sp.sin(sp.exp(10**6 * x**2 + 10**6))
