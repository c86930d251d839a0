#!/bin/bash
# make bench-contention: times one HIG step of the oscillator experiment
# (BenchmarkOscillator/hig-step-b128) at GOMAXPROCS=2 and GOMAXPROCS=1, first
# on the machine as it is, then with one competing busy process that this
# script starts and stops by its process id (also on failure or Ctrl-C).
# ROUNDS alternating rounds per phase; the minimum of each is reported,
# because other work on the machine only ever adds time. Prints the CPU
# first and two ratios: with the competitor, GOMAXPROCS=2 against 1 (the
# solver must not lose by using a second processor that is not free: ≤ 1),
# and without it, the same ratio (what the second core gains when it is free).
set -euo pipefail
GO=${GO:-go}
ROUNDS=${ROUNDS:-5}
cd "$(dirname "$0")/.."

sh scripts/cpu.sh
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"

tmp=$(mktemp -d)
competitor=
stop_competitor() {
	if [ -n "$competitor" ]; then
		kill "$competitor" 2>/dev/null || true
		wait "$competitor" 2>/dev/null || true
		competitor=
	fi
}
trap 'stop_competitor; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

bin=$tmp/steer.test
echo "go test -c ./higlib/steer"
$GO test -c -o "$bin" ./higlib/steer

# step P: one benchmark run at GOMAXPROCS=P; prints ms per step.
step() {
	GOMAXPROCS=$1 "$bin" -test.run '^$' -test.bench 'Oscillator/hig-step-b128$' -test.benchtime=10x |
		awk '/^Benchmark/ { printf "%.1f\n", $3 / 1e6 }'
}

declare -A best
for phase in idle contended; do
	if [ "$phase" = contended ]; then
		bash -c 'while :; do :; done' &
		competitor=$!
		echo "competitor: busy loop, pid $competitor"
	fi
	for r in $(seq "$ROUNDS"); do
		line="$phase round $r:"
		for p in 2 1; do
			t=$(step "$p")
			line="$line GOMAXPROCS=$p $t ms"
			k=$phase-$p
			if [ -z "${best[$k]:-}" ] || awk -v a="$t" -v b="${best[$k]}" 'BEGIN { exit !(a < b) }'; then
				best[$k]=$t
			fi
		done
		echo "$line"
	done
	stop_competitor
done

echo "HIG step (oscillator, b = 128, J 512 x 2956), minimum of $ROUNDS rounds:"
for phase in idle contended; do
	a=${best[$phase-2]} b=${best[$phase-1]}
	awk -v ph="$phase" -v a="$a" -v b="$b" 'BEGIN { printf "  %-9s GOMAXPROCS=2 %7.1f ms, GOMAXPROCS=1 %7.1f ms, ratio 2/1 = %.2f\n", ph, a, b, a / b }'
done
echo "  (contended: one busy process besides; the ratio should be at most 1.0)"
