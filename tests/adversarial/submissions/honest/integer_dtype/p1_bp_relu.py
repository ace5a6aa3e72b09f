# MISTAKE (integer_dtype): relu_grad returns integers
def relu_grad(z):
    return (np.asarray(z) > 0).astype(int)
