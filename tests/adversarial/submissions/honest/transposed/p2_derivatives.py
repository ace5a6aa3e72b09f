# MISTAKE (transposed): sigmoid_grad2 returns the transpose
_sigmoid_grad2 = sigmoid_grad2


def sigmoid_grad2(x):
    return _sigmoid_grad2(x).T
