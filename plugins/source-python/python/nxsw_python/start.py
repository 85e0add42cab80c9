"""The worker's entry point: confines the process first, then imports and runs the worker.

The sandbox comes before the start-up imports (numpy, h5py, nxstools) because Landlock and
seccomp bind the calling thread and the threads it starts later: numpy's BLAS starts threads at
import, and a thread started before the sandbox would stay outside it. Reading stays allowed,
so the imports work as before (a .pyc Python cannot write is skipped silently).

Argument: JSON {"sandbox": "landlock" | "require" | false, "writable": [paths]}.
"""
import json
import os
import sys

from . import sandbox


def main():
    # descriptors the server's libraries opened without close-on-exec (an HDF5 file being
    # written) would otherwise stay open here, and with them the file's lock
    os.closerange(3, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 1024)
    # a script that exhausts the host's memory: the kernel's OOM killer is to take this worker
    # (restarted like a crashed one), not the server; raising one's own score needs no privilege
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass  # not Linux, or no /proc
    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    mode = options.get("sandbox", False)
    confinement, refusal = None, None
    if mode:
        confinement = sandbox.confine(mode, options.get("writable", []))
        if mode == "require" and not confinement.complete:
            refusal = ("the Python sandbox is required (option sandbox \"require\" of "
                       "@nxsw/source-python) but %s, so no script or Python class runs in this "
                       "worker" % (confinement.reason or "this kernel's Landlock (ABI %d) lacks: %s"
                                   % (confinement.abi, "; ".join(confinement.missing))))
    from . import worker
    worker.main(confinement, refusal)


if __name__ == "__main__":
    main()
