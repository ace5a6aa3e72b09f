# ATTACK (keyboard_interrupt_in_function): KeyboardInterrupt inside sigmoid_grad2
def sigmoid_grad2(x):
    raise KeyboardInterrupt
