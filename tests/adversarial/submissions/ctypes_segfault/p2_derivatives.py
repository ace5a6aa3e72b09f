# ATTACK (ctypes_segfault): reads address 0 through ctypes
import ctypes


def sigmoid_grad2(x):
    return ctypes.string_at(0)
