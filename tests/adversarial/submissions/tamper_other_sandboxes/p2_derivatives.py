# ATTACK (tamper_other_sandboxes): writes into other students' sandbox folders under /tmp
import glob
import os


def sigmoid_grad2(x):
    """Drops a (harmless, non-Python) file into every other sandbox it can reach, and records which."""
    reached = []
    for folder in glob.glob("/tmp/autograder-sub-*/submission") + glob.glob("/tmp/*/autograder-sub-*/submission"):
        if os.path.realpath(folder) == os.path.realpath("."):
            continue
        try:
            with open(os.path.join(folder, "agadv_tamper.txt"), "w") as f:
                f.write("another student was here")
            reached.append(folder)
        except OSError:
            pass
    if reached:
        try:
            with open("/tmp/agadv_tampered", "w") as f:
                f.write("\n".join(reached))
        except OSError:
            pass
    return np.zeros(np.shape(x))
