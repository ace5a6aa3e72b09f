# MISTAKE (syntax_error): a missing colon in a def
def sigmoid_grad2(x)
    s = sigmoid(x)
    return s * (1 - s) * (1 - 2 * s)
