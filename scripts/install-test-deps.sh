#!/usr/bin/env bash
# Installs the Debian packages that the tests need, if any is missing, and the
# browser test's npm package (playwright-core, pinned in
# notebooks/browser/package-lock.json; never a browser download).
# `make test` and .ci/run call it; this file holds the only list of them.
# The Python side (JupyterLab, nbconvert, ...) is not Debian's: `make venv`
# installs it from PyPI into .venv, pinned in requirements/jupyter.txt.
#
# Usage: scripts/install-test-deps.sh [PACKAGE...]
#   PACKAGE...  installed as well if missing (.ci/run adds `make`).
#
# Checks each package with dpkg-query and, if some are missing, runs
# `apt-get update` once and `apt-get install -y --no-install-recommends` for
# the missing ones: directly as root, else through `sudo -n` (never a
# password prompt). If neither is possible it says what to run as root and
# exits with status 1. On a system without dpkg it only prints the list.
set -euo pipefail

# The packages, one a line, each with the test that needs it.
PACKAGES=(
	# make venv (scripts/venv.sh) builds the Jupyter environment with
	# Debian's Python 3.11, for which requirements/jupyter.txt is compiled.
	python3
	python3-venv
	# notebooks/browser_test.go runs every notebook in Debian's Chromium under
	# JupyterLab, driven by playwright-core from npm.
	chromium
)
# Node.js (18 or later: playwright-core 1.61 is the last release that runs on
# Debian 12's 18.20) and npm drive the browser test; a machine that has them
# from elsewhere (e.g. NodeSource's 20) keeps its own.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	PACKAGES+=(nodejs npm)
fi

wanted=("${PACKAGES[@]}" "$@")

# npm_ci installs playwright-core into notebooks/browser/node_modules when it
# is missing or older than the lockfile.
npm_ci() {
	local dir
	dir="$(cd "$(dirname "$0")/.." && pwd)/notebooks/browser"
	if [[ -f $dir/node_modules/playwright-core/package.json && $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]]; then
		echo "install-test-deps: playwright-core is installed in notebooks/browser"
		return
	fi
	echo "install-test-deps: npm ci in notebooks/browser (playwright-core, no browser download)"
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$dir" --no-audit --no-fund
}

if ! command -v dpkg-query >/dev/null; then
	echo "install-test-deps: not a Debian system (no dpkg-query); make sure these, or their equivalents, are installed: ${wanted[*]}" >&2
	exit 0
fi

missing_packages() {
	local p
	for p in "${wanted[@]}"; do
		if [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) != ii* ]]; then
			echo "$p"
		fi
	done
}

mapfile -t missing < <(missing_packages)
if ((${#missing[@]} == 0)); then
	echo "install-test-deps: the Debian packages the tests need are installed (${wanted[*]})"
	npm_ci
	exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
	as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
	as_root=(sudo -n)
else
	cat >&2 <<EOF
The tests need these Debian packages, which are not installed:
    ${missing[*]}
This script installs them when run as root or with password-less sudo,
neither of which is available here. Install them as root:
    apt-get update
    apt-get install -y --no-install-recommends ${missing[*]}
then run 'make test' again. To run only the Go tests, without the notebooks:
    HIG_SKIP_NOTEBOOKS=1 make test
EOF
	exit 1
fi

echo "install-test-deps: installing ${missing[*]} (apt-get update, then apt-get install --no-install-recommends; about half a minute)"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" </dev/null

mapfile -t still < <(missing_packages)
if ((${#still[@]})); then
	echo "install-test-deps: still not installed after apt-get: ${still[*]}" >&2
	exit 1
fi
npm_ci
