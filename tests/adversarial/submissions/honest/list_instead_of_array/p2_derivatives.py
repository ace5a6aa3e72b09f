# MISTAKE (list_instead_of_array): sigmoid_grad2 returns a nested list (allowed: numpy.asarray of it is right)
_sigmoid_grad2 = sigmoid_grad2


def sigmoid_grad2(x):
    return _sigmoid_grad2(x).tolist()
