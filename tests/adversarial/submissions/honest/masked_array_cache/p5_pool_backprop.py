# MISTAKE (masked_array_cache): no mistake: maxpool_forward's cache holds a masked array (each window's maximum unmasked), a legitimate return the mutation check must not blame
_loops_forward = maxpool_forward


def maxpool_forward(x, k=2, stride=None):
    out, cache = _loops_forward(x, k, stride)
    cache["x"] = np.ma.masked_array(cache["x"], mask=np.zeros(np.shape(cache["x"]), dtype=bool))
    return out, cache
