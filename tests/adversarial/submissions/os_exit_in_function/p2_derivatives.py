# ATTACK (os_exit_in_function): os._exit(0) inside sigmoid_grad2
import os


def sigmoid_grad2(x):
    os._exit(0)
