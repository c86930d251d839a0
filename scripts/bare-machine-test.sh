#!/usr/bin/env bash
# Checks the README's set-up on a bare Debian 12: builds a minimal bookworm root
# with debootstrap (only ca-certificates, git and make added), copies this machine's
# Go and a clone of this repository's HEAD into it, and runs there
#
#   1. `make test` as a user without sudo: it must stop at once (exit 2 from make,
#      no test run) with the message that says what to install as root;
#   2. the README's two commands as root, as CI runs them: `make figures`, then
#      `make test` (which installs the Debian packages the tests need, builds the
#      Jupyter environment .venv from PyPI and runs the notebooks in JupyterLab in
#      Chromium with Debian's Node.js 18; its TestMakeLab also starts `make lab`).
#
# Not run by CI: it needs root, debootstrap and network access to Debian's
# mirror, the Go module proxy, npm and PyPI, and takes about 15 minutes.
#
# Usage, as root:  scripts/bare-machine-test.sh
# Environment:
#   KEEP=1     keep the root directory (printed) for a look inside afterwards
#   MIRROR     Debian mirror (default: the first URIs line of /etc/apt/sources.list.d/debian.sources)
#   GOROOT     the Go installation to copy (default: `go env GOROOT`)
# Only committed changes are tested (the clone is of HEAD).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
	echo "bare-machine-test: run as root (debootstrap, chroot and mounts need it)" >&2
	exit 1
fi
command -v debootstrap >/dev/null || {
	echo "bare-machine-test: install debootstrap first: apt-get install -y --no-install-recommends debootstrap" >&2
	exit 1
}
goroot=${GOROOT:-$(go env GOROOT)}
mirror=${MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d /var/tmp/hig-bare.XXXXXX)
chmod 755 "$root" # mktemp's 0700 would lock the unprivileged user out of the root
mounts=()

# cleanup unmounts everything this script mounted (in reverse order, lazily if
# busy) and removes the root, but only when nothing is mounted below it.
cleanup() {
	local status=$? i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount -R "${mounts[i]}" 2>/dev/null || umount -Rl "${mounts[i]}" || true
	done
	if grep -q " ${root}/" /proc/mounts; then
		echo "bare-machine-test: still mounted below $root; not removing it:" >&2
		grep " ${root}/" /proc/mounts >&2
	elif [[ ${KEEP:-} == 1 ]]; then
		echo "bare-machine-test: kept $root"
	else
		rm -rf --one-file-system "$root"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mount_in() { # mount_in TARGET MOUNT-ARGS...
	mkdir -p "$root/$1"
	mount "${@:2}" "$root/$1"
	mounts+=("$root/$1")
}

step() { printf '\n==== %s ====\n' "$*"; }
t0=$SECONDS

step "debootstrap bookworm (minbase + ca-certificates git make) into $root from $mirror"
debootstrap --variant=minbase --include=ca-certificates,git,make bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
	tail -20 "$root.debootstrap.log" >&2
	exit 1
}
rm -f "$root.debootstrap.log"
# The same apt sources as this machine (bookworm, -updates, -security), the
# name server, and this machine's extra CA certificates (for a TLS-inspecting
# egress); Go's go.env inside GOROOT carries its proxy settings.
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
	cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
	rm -f "$root/etc/apt/sources.list"
fi
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
	cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
mount_in proc -t proc proc
mount_in sys --rbind /sys
mount --make-rslave "$root/sys"
mount_in dev --rbind /dev # with /dev/pts and /dev/shm
mount --make-rslave "$root/dev"
chroot "$root" update-ca-certificates >/dev/null 2>&1
echo "root: $(du -sh --one-file-system "$root" | cut -f1); $((SECONDS - t0)) s"

step "Go from $goroot, and a clone of $repo"
cp -a "$goroot" "$root/usr/local/go"
git clone --quiet "$repo" "$root/home/hig"
head=$(git -C "$root/home/hig" log --oneline -1)
echo "HEAD: $head"
chroot "$root" useradd --home-dir /home/user --create-home user
chroot "$root" chown -R user: /home/hig
for cmd in sudo pip pip3 python3 node jupyter-lab; do
	if chroot "$root" sh -c "command -v $cmd" >/dev/null; then echo "note: $cmd is present in the bare root"; fi
done

# in_root USER COMMAND: runs COMMAND with bash in /home/hig as USER, with a
# clean environment and Go on PATH, stdin closed (as in CI).
in_root() {
	local home=/root
	[[ $1 == root ]] || home=/home/$1
	chroot --userspec="$1:$1" "$root" /usr/bin/env -i HOME="$home" USER="$1" LANG=C.UTF-8 \
		PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "cd /home/hig && $2" </dev/null
}

step "make test as a user without sudo (must stop at once and say what to install)"
start=$SECONDS
set +e
out=$(in_root user 'make test' 2>&1)
code=$?
set -e
echo "$out"
echo "---- exit $code after $((SECONDS - start)) s"
if [[ $code -eq 0 ]] || ! grep -q 'apt-get install -y --no-install-recommends' <<<"$out" || grep -q '^go vet' <<<"$out"; then
	echo "bare-machine-test: FAIL: make test without root should stop before go vet with the apt-get advice" >&2
	exit 1
fi
# The user's checkout is no longer needed; root runs in the same clone.
chroot "$root" chown -R root: /home/hig

step "as root: make figures"
start=$SECONDS
in_root root 'make figures'
t_figures=$((SECONDS - start))
echo "---- make figures: $t_figures s"

step "as root: make test"
start=$SECONDS
in_root root 'make test'
t_test=$((SECONDS - start))
echo "---- make test: $t_test s"

step "OK"
echo "bare Debian 12, $head: make figures $t_figures s, make test $t_test s (with installing the packages); total $((SECONDS - t0)) s"
