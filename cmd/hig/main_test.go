package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string // in stderr
	}{
		{nil, 2, "Usage"},
		{[]string{"fly"}, 2, `unknown command "fly"`},
		{[]string{"step", "-bogus"}, 2, "-bogus"},
		{[]string{"step", "-kappa", "2"}, 2, "-kappa 2 must lie in [0, 1]"},
		{[]string{"step", "-tau", "-1"}, 2, "-tau -1"},
		{[]string{"step", "-tau", "0"}, 2, "tiny positive τ"},
		{[]string{"toy", "-tau", "0"}, 2, "tiny positive τ"},
		{[]string{"step", "-batch", "0"}, 2, "-batch 0"},
		{[]string{"step", "-method", "sgd"}, 2, `"sgd" is not adam, gd, gn or hig`},
		{[]string{"step", "-method", "adam", "-kappa", "0.5"}, 2, "gn and hig only"},
		{[]string{"step", "-mode", "squash"}, 2, "truncate or clamp"},
		{[]string{"step", "-lambda", "0"}, 2, "λ = 0"},
		{[]string{"step", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"toy", "-methods", "adam,newton"}, 2, `unknown method "newton"`},
		{[]string{"toy", "-lambda", "1,NaN"}, 2, "not a finite number"},
		{[]string{"toy", "-lambda", "0"}, 2, "λ = 0"},
		{[]string{"toy", "-seeds", "1,-2"}, 2, "not a non-negative whole number"},
		{[]string{"toy", "-steps", "0"}, 2, "give a budget"},
		{[]string{"toy", "-batch", "2000"}, 2, "larger than the training set"},
		{[]string{"toy", "-lr", "hig"}, 2, "not METHOD=RATE"},
		{[]string{"toy", "-lambda", "1,1"}, 2, "1 is given twice"},
		{[]string{"toy", "-methods", "hig,hig"}, 2, "hig is given twice"},
		{[]string{"toy", "-seeds", "3,3"}, 2, "3 is given twice"},
		{[]string{"toy", "-methods", "hig", "-lr", "adam=0.1"}, 2, "adam is not among -methods"},
		{[]string{"toy", "-budget", "2s", "-steps", "10"}, 2, "give one kind of budget"},
		{[]string{"toy", "-lr", "hig=-1"}, 2, "must be a number > 0"},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("hig %v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
		if code == 2 && len(c.args) > 0 && c.args[0] != "fly" && !strings.Contains(stderr, "-help") {
			t.Errorf("hig %v: the message does not point to -help: %q", c.args, stderr)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"toy", "step"} {
		code, stdout, _ := runCmd(cmd, "-help")
		if code != 0 || !strings.Contains(stdout, "Usage: hig "+cmd) || !strings.Contains(stdout, "-lambda") {
			t.Errorf("hig %s -help: exit %d, output %q", cmd, code, stdout)
		}
	}
	if code, stdout, _ := runCmd("help"); code != 0 || !strings.Contains(stdout, "hig toy") {
		t.Errorf("hig help: exit %d, output %q", code, stdout)
	}
}

// TestStepJSON checks the printed update against an independent
// computation: the same batch evaluated here, and the half-inverse of its
// stacked Jacobian from the reference path.
func TestStepJSON(t *testing.T) {
	code, stdout, stderr := runCmd("step", "-method", "hig", "-lambda", "0.01", "-batch", "8", "-seed", "3", "-lr", "0.5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got stepOutput
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Params) != 30 || len(got.Update) != 30 || len(got.X) != 8 || len(got.YTarget) != 8 || len(got.SingularValues) != 16 {
		t.Fatalf("lengths: params %d update %d x %d y %d sv %d", len(got.Params), len(got.Update), len(got.X), len(got.YTarget), len(got.SingularValues))
	}
	if got.Kappa != 0.5 || got.LearnRate != 0.5 || got.Mode != "truncate" {
		t.Errorf("settings echoed as κ %v, lr %v, mode %q", got.Kappa, got.LearnRate, got.Mode)
	}
	setup, err := toy.NewSetup(toy.Config{Lambda: 0.01, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
	b := optim.Local{GradY: make([]float64, 16), Jac: &mat.Dense{}}
	setup.Obj.Eval(&b, setup.Obj.NewWorkspace(), setup.Params0, setup.Train, idx)
	want := make([]float64, 30)
	sv, err := halfinv.Reference(want, b.Jac, b.GradY, halfinv.Params{Kappa: 0.5, Tau: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if d := math.Abs(got.Update[i] + 0.5*want[i]); d > 1e-12*(1+math.Abs(want[i])) {
			t.Fatalf("update[%d] = %v, want %v", i, got.Update[i], -0.5*want[i])
		}
	}
	for i := range sv {
		if math.Abs(got.SingularValues[i]-sv[i]) > 1e-12*sv[0] {
			t.Fatalf("singular value %d = %v, want %v", i, got.SingularValues[i], sv[i])
		}
	}
	if math.Abs(got.Loss-b.Loss) > 1e-15 {
		t.Errorf("loss %v, want %v", got.Loss, b.Loss)
	}
}

// TestToyWritesFiles runs a tiny study and checks the files and summary.
func TestToyWritesFiles(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCmd("toy", "-out", dir, "-steps", "20", "-seeds", "1,2", "-train", "64", "-valid", "16",
		"-batch", "16", "-lr", "adam=0.01,gn=1,hig=1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "[  1/12") {
		t.Errorf("no progress lines on stderr: %q", stderr)
	}
	for _, name := range []string{"toy_lambda1.png", "toy_lambda1.svg", "toy_lambda0.01.png", "toy_lambda0.01.svg", "toy_results.md", "toy_summary.json", "toy_tuning.json"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", name, err)
		}
	}
	if !strings.Contains(stdout, "| 0.01 | HIG | 1 |") {
		t.Errorf("results table missing from stdout: %q", stdout)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "toy_summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(raw, &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2*3*2 {
		t.Fatalf("%d records, want 12 (2 λ × 3 methods × 2 seeds)", len(recs))
	}
	for _, r := range recs {
		for _, k := range []string{"lambda", "method", "seed", "final_loss", "steps", "wall_seconds", "act_mean", "act_std", "learning_rate", "batch_size"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("record %v lacks %q", r, k)
			}
		}
		want := 20.0
		if r["method"] == "adam" {
			want = 20 * toy.FirstOrderRatio
		}
		if r["steps"] != want {
			t.Errorf("%v: steps %v, want %v", r["method"], r["steps"], want)
		}
	}
}

// TestOverflowMessages: inputs that make the numbers overflow must give an
// error that says what to change, never JSON with Inf (which the encoder
// cannot write) or a silent +Inf result.
func TestOverflowMessages(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"step", "-lambda", "1e300"}, 1, "not finite"},
		{[]string{"step", "-method", "gn", "-lr", "1e308"}, 1, "learning rate"},
		// Refused before any run, as a usage error naming λ.
		{[]string{"toy", "-lambda", "1e300", "-steps", "2", "-seeds", "1", "-quiet", "-out", t.TempDir()}, 2, "λ = 1e+300: the loss at the initial parameters of seed 1001 is +Inf"},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("hig %v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// Adam's overflow at λ = 1e150 comes from g² in its second moment, not from
// the learning rate (which is 0.001 by default, not the flag's 0).
func TestStepAdamOverflowMessage(t *testing.T) {
	code, _, stderr := runCmd("step", "-method", "adam", "-lambda", "1e150")
	if code != 1 || !strings.Contains(stderr, "second moment") || !strings.Contains(stderr, "-lambda 1e+150") || strings.Contains(stderr, "learning rate 0 ") {
		t.Errorf("exit %d, stderr %q; want the second moment's overflow named", code, stderr)
	}
}
