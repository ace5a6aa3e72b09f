# ATTACK (recursion_bomb): unbounded recursion with the recursion limit lifted (C stack overflow)
import sys


def _down(n):
    return _down(n + 1) + 1


def sigmoid_grad2(x):
    sys.setrecursionlimit(10**8)
    return _down(0)
