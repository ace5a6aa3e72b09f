# MISTAKE (exception_in_function): a typo: a NameError inside sigmoid_grad2
def sigmoid_grad2(x):
    s = sigmoid(x)
    return s * (1 - s) * (1 - 2 * sigmod(x))  # noqa: F821
