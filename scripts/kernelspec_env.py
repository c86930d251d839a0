#!/usr/bin/env python3
"""Give the installed GoNB kernelspec the PATH its kernel needs.

Usage: python3 scripts/kernelspec_env.py KERNEL_DIR DIR...

`gonb --install` writes KERNEL_DIR/kernel.json with an empty "env", so the kernel
sees only the PATH of whatever starts it. Started by `make lab` that PATH holds
this repository's bin/ (goimports, which GoNB runs on every cell); started by a
plain `jupyter notebook` or by VS Code it does not, and every cell fails. This
script sets

    "env": {"PATH": "DIR1:DIR2:...:${PATH}"}

Jupyter (jupyter_client 7 and later) and VS Code replace ${PATH} by the PATH of
the process that starts the kernel. `make kernel` passes bin/ and the bin/ of
the Go installation. Standard library only; the file is replaced in one step.
"""

import json
import os
import sys
import tempfile


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    kernel_dir, dirs = argv[1], argv[2:]
    path = os.path.join(kernel_dir, "kernel.json")
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    env = spec.get("env") or {}
    env["PATH"] = os.pathsep.join(list(dict.fromkeys(dirs)) + ["${PATH}"])
    spec["env"] = env
    fd, tmp = tempfile.mkstemp(dir=kernel_dir, prefix=".kernel.json.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(spec, f, indent=1)
            f.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


if __name__ == "__main__":
    main(sys.argv)
