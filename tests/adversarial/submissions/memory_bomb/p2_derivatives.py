# ATTACK (memory_bomb): asks for 64 GiB at once, then takes 1 GiB piece by piece
def sigmoid_grad2(x):
    """Asks for 64 GiB at once (must fail), then takes and touches 1 GiB in 128 MiB pieces and holds it."""
    try:
        hoard = [np.ones(8 << 30)]
        with open("/tmp/agadv_memory_unbounded", "w") as f:
            f.write("64 GiB allocated")
    except MemoryError:
        hoard = []
    for _ in range(8):
        hoard.append(np.ones(16 << 20))
    return np.zeros(np.shape(x))
