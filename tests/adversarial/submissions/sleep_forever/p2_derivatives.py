# ATTACK (sleep_forever): time.sleep forever
import time


def sigmoid_grad2(x):
    while True:
        try:
            time.sleep(10**6)
        except Exception:
            pass
