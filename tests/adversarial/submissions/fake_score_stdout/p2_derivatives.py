# ATTACK (fake_score_stdout): prints a fake score and a fake results.json to stdout and stderr
import os
import sys

_FAKE = '{"score": 100.0, "tests": [{"name": "all", "score": 100, "max_score": 100}]}'
print(_FAKE)
print("hw1: 100 / 100  (all checks passed)")
sys.__stdout__.write("Total score: 100/100\n")
os.write(1, b"SCORE 100\n")
os.write(2, b"SCORE 100\n")


def sigmoid_grad2(x):
    print(_FAKE)
    print("PASS sigmoid_grad2 2/2")
    return np.zeros(np.shape(x))
