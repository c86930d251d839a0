#!/bin/bash
# make bench-contention: times one HIG step of the oscillator experiment
# (BenchmarkOscillator/hig-step-b128) at GOMAXPROCS=2 and GOMAXPROCS=1, first
# on the machine as it is, then with one competing busy process that this
# script starts and stops by its process id (also on failure or Ctrl-C).
# ROUNDS alternating rounds per phase; the minimum of each is reported
# (other work on the machine only ever adds time), and the median of the
# rounds' own ratios, which a loaded machine disturbs less. Prints the CPU
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

# STEER_TEST names a prebuilt test binary of ./higlib/steer (of another
# commit, say, for a before/after comparison) to use instead of building one.
bin=${STEER_TEST:-$tmp/steer.test}
if [ -z "${STEER_TEST:-}" ]; then
	echo "go test -c ./higlib/steer"
	$GO test -c -o "$bin" ./higlib/steer
fi

# step P: one benchmark run at GOMAXPROCS=P; prints ms per step.
step() {
	GOMAXPROCS=$1 "$bin" -test.run '^$' -test.bench 'Oscillator/hig-step-b128$' -test.benchtime=10x |
		awk '/^Benchmark/ { printf "%.1f\n", $3 / 1e6 }'
}

declare -A best ratios
for phase in idle contended; do
	if [ "$phase" = contended ]; then
		bash -c 'while :; do :; done' &
		competitor=$!
		echo "competitor: busy loop, pid $competitor"
	fi
	for r in $(seq "$ROUNDS"); do
		line="$phase round $r:"
		declare -A t
		for p in 2 1; do
			t[$p]=$(step "$p")
			line="$line GOMAXPROCS=$p ${t[$p]} ms"
			k=$phase-$p
			if [ -z "${best[$k]:-}" ] || awk -v a="${t[$p]}" -v b="${best[$k]}" 'BEGIN { exit !(a < b) }'; then
				best[$k]=${t[$p]}
			fi
		done
		ratios[$phase]="${ratios[$phase]:-} $(awk -v a="${t[2]}" -v b="${t[1]}" 'BEGIN { printf "%.3f", a / b }')"
		echo "$line"
	done
	stop_competitor
done

echo "HIG step (oscillator, b = 128, J 512 x 2956): minima of $ROUNDS rounds, their ratio, and the"
echo "median of the rounds' own ratios (each round times GOMAXPROCS=2 and 1 back to back):"
for phase in idle contended; do
	a=${best[$phase-2]} b=${best[$phase-1]}
	med=$(tr ' ' '\n' <<<"${ratios[$phase]}" | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	awk -v ph="$phase" -v a="$a" -v b="$b" -v med="$med" 'BEGIN { printf "  %-9s GOMAXPROCS=2 %7.1f ms, GOMAXPROCS=1 %7.1f ms, ratio 2/1 = %.2f (median per round %s)\n", ph, a, b, a / b, med }'
done
echo "  (contended: one busy process besides; the ratio should be at most 1.0)"
