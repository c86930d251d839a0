#!/usr/bin/env bash
# Builds the project's Jupyter environment: a virtual environment with exactly the
# packages of the pinned list (versions and hashes), nothing system-wide.
# `make venv` runs it (and `make test`, `make lab`, `make notebooks` through it).
#
# Usage: scripts/venv.sh PYTHON VENV REQUIREMENTS
set -euo pipefail
python=$1 venv=$2 req=$3

if ! command -v "$python" >/dev/null; then
	cat >&2 <<MSG
venv: $python not found. The notebooks need Python 3 (3.11, as Debian 12 has it) with venv;
on Debian, as root:
    apt-get install -y --no-install-recommends python3 python3-venv
then run make again (or set SYS_PYTHON=/path/to/python3). To run only the Go tests:
    HIG_SKIP_NOTEBOOKS=1 make test
MSG
	exit 1
fi
if [[ ! -x $venv/bin/pip ]]; then
	rm -rf "$venv"
	echo "venv: creating $venv with $("$python" --version 2>&1) ($python)"
	if ! "$python" -m venv "$venv"; then
		rm -rf "$venv"
		cat >&2 <<MSG
venv: '$python -m venv' failed. On Debian it needs the python3-venv package; as root:
    apt-get install -y --no-install-recommends python3-venv
then run make again. To run only the Go tests:
    HIG_SKIP_NOTEBOOKS=1 make test
MSG
		exit 1
	fi
fi
echo "venv: pip install --require-hashes -r $req into $venv (JupyterLab, nbconvert, ...; about half a minute)"
# --no-deps: the list is complete (pip-compile wrote it), so pip resolves nothing itself.
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input --require-hashes --no-deps -r "$req"; then
	cat >&2 <<MSG

venv: installing the pinned Jupyter packages from PyPI failed (see pip's message above).
If PyPI cannot be reached from here, the notebooks cannot be run or tested: use a machine
that reaches PyPI (or a mirror: PIP_INDEX_URL), or run only the Go tests with
    HIG_SKIP_NOTEBOOKS=1 make test
MSG
	exit 1
fi
"$venv/bin/jupyter" lab --version | sed 's/^/venv: JupyterLab /'
