# ATTACK (nan_inf): NaN and inf everywhere (NaN != NaN tricks a naive comparison)
def sigmoid_grad2(x):
    out = np.full(np.shape(x), np.nan)
    out.reshape(-1)[::2] = np.inf
    return out
