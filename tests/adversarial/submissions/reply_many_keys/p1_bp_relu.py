# ATTACK (reply_many_keys): backward returns its gradients plus 20,000 extra keys of 500 characters each, so that the error naming the extra keys is tens of MB
_correct_backward = backward


def backward(dyhat, cache):
    grads = dict(_correct_backward(dyhat, cache))
    for i in range(20_000):
        grads[f"{i:05d}" + "K" * 495] = 0.0
    return grads
