# MISTAKE (sympy_as_string): sigmoid_grad_expr returns a string, not a SymPy expression
def sigmoid_grad_expr(x):
    return "exp(-x)/(1 + exp(-x))**2"
