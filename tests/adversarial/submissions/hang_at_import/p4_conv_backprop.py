# ATTACK (hang_at_import): an unkillable infinite loop while p4 is imported
import signal

signal.signal(signal.SIGALRM, signal.SIG_IGN)
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
