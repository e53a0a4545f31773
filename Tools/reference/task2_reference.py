"""Helpers shared by the Task 2 reference generators (l3das21_task2_golden.py,
dcase_seld_golden.py): the class list, reading a file of a reference repository at a commit,
writing rows in the submission format, and the first steps of degrading truth rows into
predictions."""
import os
import subprocess
import tempfile

# The official class names, in id order (L3DAS21/22 metrics.py `sound_classes_dict_task2`).
CLASSES = [
    "Chink_and_clink", "Computer_keyboard", "Cupboard_open_or_close", "Drawer_open_or_close",
    "Female_speech_and_woman_speaking", "Finger_snapping", "Keys_jangling", "Knock", "Laughter",
    "Male_speech_and_man_speaking", "Printer", "Scissors", "Telephone", "Writing",
]


def git_reader(repo, github_name, commit):
    """(full commit id, show(path) -> text at that commit) for a checkout or bare git directory
    `repo`; with repo None, a clone of github.com/<github_name> in a temporary folder."""
    if repo is None:
        repo = tempfile.mkdtemp(prefix="reference-")
        subprocess.run(["git", "clone", "--quiet", f"https://github.com/{github_name}", repo], check=True)
    git = ["git", "-C", repo] if os.path.isdir(os.path.join(repo, ".git")) else ["git", "--git-dir", repo]
    full = subprocess.run(git + ["rev-parse", commit + "^{commit}"], check=True, capture_output=True,
                          text=True).stdout.strip()

    def show(path):
        return subprocess.run(git + ["show", f"{full}:{path}"], check=True, capture_output=True,
                              text=True).stdout

    return full, show


def write_task2(path, rows):
    """Rows (frame, class id, x, y, z) as `frame,class name,x,y,z`, doubles written with repr."""
    with open(path, "w") as f:
        for frame, cls, x, y, z in rows:
            f.write(f"{frame},{CLASSES[cls]},{float(x)!r},{float(y)!r},{float(z)!r}\n")


def kept_rows(rng, truth, drop, confuse):
    """The truth rows a prediction keeps (each dropped with probability `drop`), each given a
    random class with probability `confuse`."""
    for f, c, x, y, z in truth:
        if rng.random() < drop:
            continue
        if rng.random() < confuse:
            c = rng.randrange(14)
        yield f, c, x, y, z
