# MISTAKE (prints_debug_output): prints debugging output in every call (harmless)
_conv2d_forward = conv2d_forward


def conv2d_forward(x, w, b, stride=1, pad=0):
    print("DEBUG conv2d_forward", np.shape(x), np.shape(w), stride, pad)
    return _conv2d_forward(x, w, b, stride, pad)
