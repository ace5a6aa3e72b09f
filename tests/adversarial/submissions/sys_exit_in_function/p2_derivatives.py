# ATTACK (sys_exit_in_function): sys.exit(0) inside sigmoid_grad2
import sys


def sigmoid_grad2(x):
    sys.exit(0)
