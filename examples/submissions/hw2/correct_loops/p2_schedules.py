"""hw2 p2 -- learning-rate schedules (loop submission).

Step decay counts its drops in a loop; the others are written as the
piecewise formulas with the boundary cases first.
"""


def lr_step_decay(t, lr0, drop, every):
    lr = lr0
    count = 0
    for _ in range(int(t)):
        count += 1
        if count == every:  # a drop after every `every` updates
            lr = lr * drop
            count = 0
    return float(lr)


def lr_linear_decay(t, lr0, lr_end, T):
    if T <= 0 or t >= T:
        return float(lr_end)
    return float(lr0 * (1 - t / T) + lr_end * (t / T))


def lr_inverse_time_decay(t, lr0, k):
    return float(lr0) / (1.0 + float(k) * t)


def lr_warmup(t, lr0, warmup_steps):
    if warmup_steps <= 0 or t >= warmup_steps:
        return float(lr0)
    return float(lr0) * t / warmup_steps
