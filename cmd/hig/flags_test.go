package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tiny is a toy budget small enough for a test: one evaluation seed, one
// tuning seed and two steps on 64 training samples.
var tiny = []string{"-steps", "2", "-seeds", "1", "-tune-seeds", "1001", "-train", "64", "-valid", "16", "-batch", "16", "-quiet"}

func seq(from, n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = strconv.Itoa(from + i)
	}
	return strings.Join(s, ",")
}

// TestFlagValidation runs every flag case of issue 9 through run. A case
// with exit code 2 must be rejected before any work: a one-line message
// (plus the pointer to -help) that contains want, and no output folder
// created. A case with exit code 0 must finish and, for toy, write its
// figures.
func TestFlagValidation(t *testing.T) {
	tinyToy := func(extra ...string) []string {
		return append(append([]string{"toy"}, tiny...), extra...)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string // in stderr for code 2; in stdout for code 0
	}{
		// τ is relative to σ₁: τ ≥ 1 truncates every direction.
		{"toy tau 1", tinyToy("-tau", "1"), 2, "-tau 1: τ ≥ 1"},
		{"toy tau 2", []string{"toy", "-tau", "2"}, 2, "τ ≥ 1 truncates every singular value"},
		{"toy tau NaN", []string{"toy", "-tau", "NaN"}, 2, "0 < τ < 1"},
		{"toy tau Inf", []string{"toy", "-tau", "Inf"}, 2, "0 < τ < 1"},
		{"step tau 1", []string{"step", "-tau", "1"}, 2, "-tau 1: τ ≥ 1"},
		{"step tau 2", []string{"step", "-tau", "2"}, 2, "-tau 2: τ ≥ 1"},
		{"step tau 1e308", []string{"step", "-tau", "1e308"}, 2, "-tau 1e+308: τ ≥ 1"},
		{"step tau 1 clamp", []string{"step", "-tau", "1", "-mode", "clamp"}, 2, "0 < τ < 1"},
		// Runs whose plotted losses are constant, or all below 1: they
		// used to panic in the figure package after writing the JSON.
		{"toy lr hig 1e300", tinyToy("-lr", "hig=1e300"), 0, "toy_lambda1.png"},
		{"toy lr gd 1e-300", tinyToy("-methods", "gd,hig", "-lr", "gd=1e-300"), 0, "toy_lambda1.png"},
		{"toy tau 0.5", tinyToy("-tau", "0.5"), 0, "toy_lambda1.png"},
		// Duplicates.
		{"scaling batches 1,1", []string{"scaling", "-batches", "1,1"}, 2, "-batches: 1 is given twice"},
		{"scaling hidden 4,4", []string{"scaling", "-hidden", "4,8,4"}, 2, "-hidden: 4 is given twice"},
		{"toy lr key twice", []string{"toy", "-lr", "hig=1,hig=2"}, 2, "-lr: hig is given twice"},
		{"toy lr key twice, case", []string{"toy", "-lr", "hig=1,HIG=1"}, 2, "-lr: hig is given twice"},
		{"toy tune-seeds twice", []string{"toy", "-tune-seeds", "7,7"}, 2, "-tune-seeds: 7 is given twice"},
		{"toy tune-seeds = seeds", []string{"toy", "-seeds", "1", "-tune-seeds", "1"}, 2, "-tune-seeds: 1 is also among -seeds"},
		// Memory bounds.
		{"toy train 1e12", []string{"toy", "-train", "1000000000000"}, 2, "-train 1000000000000 exceeds"},
		{"toy valid 1e12", []string{"toy", "-valid", "1000000000000"}, 2, "-valid 1000000000000 exceeds"},
		{"toy batch 1e12", []string{"toy", "-batch", "1000000000000"}, 2, "-batch 1000000000000 exceeds"},
		{"toy valid × runs", []string{"toy", "-valid", "20000000"}, 2, "memory bound"},
		{"toy many seeds", []string{"toy", "-seeds", seq(10000, 100000)}, 2, "memory bound"},
		{"toy many lambdas", []string{"toy", "-lambda", seq(1, 100000)}, 2, "memory bound"},
		{"scaling hidden 201", []string{"scaling", "-hidden", "4,201"}, 2, "-hidden: 201 must lie in 1…200"},
		{"scaling batches 1e5", []string{"scaling", "-batches", "32,100000"}, 2, "-batches: 100000 must lie in 1…65536"},
		// Step counts: Adam's FirstOrderRatio × -steps must not wrap.
		{"toy steps wrap", []string{"toy", "-methods", "adam", "-steps", "3074457345618258603"}, 2, "-steps 3074457345618258603 exceeds"},
		{"toy steps 1e12", []string{"toy", "-steps", "1000000000000"}, 2, "-steps 1000000000000 exceeds"},
		{"toy first-order-steps huge", []string{"toy", "-steps", "10", "-first-order-steps", "9223372036854775807"}, 2, "-first-order-steps 9223372036854775807 exceeds"},
		{"toy steps negative", []string{"toy", "-steps", "-1"}, 2, "-steps -1"},
		{"toy steps 0", []string{"toy", "-steps", "0"}, 2, "-steps 0"},
		{"toy first-order-steps negative", []string{"toy", "-first-order-steps", "-3"}, 2, "-first-order-steps -3"},
		// Budgets.
		{"toy budget 0", []string{"toy", "-budget", "0"}, 2, "-budget 0s"},
		{"toy budget 0 steps 2", []string{"toy", "-budget", "0", "-steps", "2"}, 2, "-budget"},
		{"toy budget negative", []string{"toy", "-budget", "-1s"}, 2, "-budget -1s"},
		// κ and the method's name.
		{"step gn kappa 0.5", []string{"step", "-method", "gn", "-kappa", "0.5"}, 2, "use -method hig"},
		{"step hig kappa 1", []string{"step", "-method", "hig", "-kappa", "1"}, 2, "use -method gn"},
		{"step hig kappa 0.3", []string{"step", "-method", "hig", "-kappa", "0.3"}, 2, "-method halfinv -kappa 0.3"},
		{"step halfinv without kappa", []string{"step", "-method", "halfinv"}, 2, "-method halfinv needs -kappa"},
		{"step halfinv kappa 0.3", []string{"step", "-method", "halfinv", "-kappa", "0.3"}, 0, `"method": "halfinv"`},
		{"step hig kappa 0.5", []string{"step", "-method", "hig", "-kappa", "0.5"}, 0, `"kappa": 0.5`},
		{"step kappa NaN", []string{"step", "-kappa", "NaN"}, 2, "-kappa NaN"},
		{"step kappa negative", []string{"step", "-method", "halfinv", "-kappa", "-0.5"}, 2, "-kappa -0.5"},
		// -round32 acts on the stacked Jacobian only.
		{"toy round32 adam", []string{"toy", "-methods", "adam,gd", "-round32"}, 2, "-round32 applies to gn and hig"},
		// Other flags that would do nothing for the methods chosen.
		{"toy tau adam", []string{"toy", "-methods", "adam", "-tau", "1e-3"}, 2, "-tau applies to gn and hig"},
		{"toy first-order-steps hig", []string{"toy", "-methods", "hig", "-first-order-steps", "5"}, 2, "-first-order-steps applies to adam and gd"},
		{"step tau adam", []string{"step", "-method", "adam", "-tau", "1e-3"}, 2, "-tau do not apply to adam"},
		// Numbers that are not numbers, and other edges.
		{"toy lambda Inf", []string{"toy", "-lambda", "Inf"}, 2, "not a finite number"},
		// λ whose loss overflows at the start: refused before any run, naming λ and why.
		{"toy lambda 1e200", []string{"toy", "-lambda", "1,0.01,1e200"}, 2, "λ = 1e+200: the loss at the initial parameters"},
		{"toy lr NaN", []string{"toy", "-lr", "hig=NaN"}, 2, "-lr: rate"},
		{"toy lr Inf", []string{"toy", "-lr", "hig=Inf"}, 2, "-lr: rate"},
		{"toy lr 0", []string{"toy", "-lr", "hig=0"}, 2, "-lr: rate"},
		{"toy train 0", []string{"toy", "-train", "0"}, 2, "-train 0"},
		{"toy valid -1", []string{"toy", "-valid", "-1"}, 2, "-valid -1"},
		{"toy batch 0", []string{"toy", "-batch", "0"}, 2, "-batch 0"},
		{"toy out empty", []string{"toy", "-out", ""}, 2, "-out"},
		{"toy methods empty", []string{"toy", "-methods", ""}, 2, "-methods"},
		{"step lr NaN", []string{"step", "-lr", "NaN"}, 2, "-lr NaN"},
		{"step lr Inf", []string{"step", "-lr", "Inf"}, 2, "-lr +Inf"},
		{"step lr negative", []string{"step", "-lr", "-1"}, 2, "-lr -1"},
		{"step lambda NaN", []string{"step", "-lambda", "NaN"}, 2, "-lambda NaN"},
		{"step batch 1025", []string{"step", "-batch", "1025"}, 2, "-batch 1025"},
		{"step adam mode", []string{"step", "-method", "adam", "-mode", "clamp"}, 2, "gn and hig only"},
		{"scaling reps 0", []string{"scaling", "-reps", "0"}, 2, "-reps 0"},
		{"scaling reps 101", []string{"scaling", "-reps", "101"}, 2, "-reps 101"},
		{"scaling one batch", []string{"scaling", "-batches", "32"}, 2, "at least two"},
		{"scaling batches 0", []string{"scaling", "-batches", "0,32"}, 2, "-batches: 0"},
		{"scaling out empty", []string{"scaling", "-out", ""}, 2, "-out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			var out string
			if args[0] != "step" {
				out = filepath.Join(t.TempDir(), "out")
				if !hasArg(args, "-out") {
					args = append(append([]string(nil), args...), "-out", out)
				}
			}
			code, stdout, stderr := runCmd(args...)
			if code != c.code {
				t.Fatalf("hig %s: exit %d, want %d; stderr %q", strings.Join(trim(c.args), " "), code, c.code, stderr)
			}
			if code == 2 {
				lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
				if len(lines) != 2 || !strings.Contains(lines[0], c.want) || !strings.Contains(lines[1], "-help") {
					t.Errorf("hig %s: stderr %q; want one line with %q, then the pointer to -help", strings.Join(trim(c.args), " "), stderr, c.want)
				}
				if out != "" {
					if _, err := os.Stat(out); !os.IsNotExist(err) {
						t.Errorf("hig %s: the output folder was created before the flags were checked", strings.Join(trim(c.args), " "))
					}
				}
				return
			}
			if !strings.Contains(stdout, c.want) {
				t.Errorf("hig %s: stdout lacks %q: %q", strings.Join(trim(c.args), " "), c.want, stdout)
			}
			if args[0] == "toy" {
				for _, name := range []string{"toy_lambda1.png", "toy_lambda1.svg", "toy_lambda0.01.svg", "toy_summary.json"} {
					if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
						t.Errorf("%s missing or empty: %v", name, err)
					}
				}
			}
			if args[0] == "step" {
				var res stepOutput
				if err := json.Unmarshal([]byte(stdout), &res); err != nil {
					t.Fatal(err)
				}
				nonzero := false
				for _, v := range res.Update {
					nonzero = nonzero || v != 0
				}
				if !nonzero {
					t.Errorf("hig %s: all-zero update", strings.Join(c.args, " "))
				}
			}
		})
	}
}

func hasArg(args []string, flag string) bool {
	for _, a := range args {
		if a == flag {
			return true
		}
	}
	return false
}

// trim shortens long flag values in messages.
func trim(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if len(a) > 40 {
			a = a[:40] + "…"
		}
		out[i] = a
	}
	return out
}

// TestStepHalfinv: -method halfinv with κ = ½ and κ = 1 prints the same
// update as hig and gn, so the generic method is the same step under
// another name, and the names gn and hig keep their meaning.
func TestStepHalfinv(t *testing.T) {
	update := func(args ...string) []float64 {
		t.Helper()
		code, stdout, stderr := runCmd(append([]string{"step", "-batch", "8", "-seed", "2"}, args...)...)
		if code != 0 {
			t.Fatalf("hig step %v: exit %d: %s", args, code, stderr)
		}
		var res stepOutput
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatal(err)
		}
		return res.Update
	}
	for _, c := range []struct{ method, kappa string }{{"hig", "0.5"}, {"gn", "1"}} {
		want, got := update("-method", c.method), update("-method", "halfinv", "-kappa", c.kappa)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("halfinv κ = %s: update[%d] = %v, %s gives %v", c.kappa, i, got[i], c.method, want[i])
			}
		}
	}
}
