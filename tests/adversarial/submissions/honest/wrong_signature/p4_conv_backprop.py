# MISTAKE (wrong_signature): conv_error_term without the f_prime parameter
_conv_error_term = conv_error_term


def conv_error_term(delta_next, w_next, z):
    relu_grad = lambda v: (np.asarray(v) > 0).astype(float)  # noqa: E731
    return _conv_error_term(delta_next, w_next, z, relu_grad)
