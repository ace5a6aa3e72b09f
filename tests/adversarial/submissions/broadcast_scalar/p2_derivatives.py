# ATTACK (broadcast_scalar): a scalar that broadcasts against any expected array
def sigmoid_grad2(x):
    return np.float64(0.0)
