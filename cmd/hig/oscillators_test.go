package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOscillatorsUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"-methods", "adam,newton"}, `unknown method "newton"`},
		{[]string{"-methods", "hig,hig"}, "hig is given twice"},
		{[]string{"-seeds", "1,1"}, "1 is given twice"},
		{[]string{"-seeds", "x"}, "not a non-negative whole number"},
		{[]string{"-seeds", "1001"}, "also among -seeds"},
		{[]string{"-budget", "0s"}, "-budget 0s: give a positive duration"},
		{[]string{"-budget", "5s", "-tune-budget", "-1s"}, "must not be negative"},
		{[]string{"-tune-budget", "2s"}, "-tune-budget needs -budget"},
		{[]string{"-first-order-steps", "3", "-budget", "5s"}, "one kind of budget"},
		{[]string{"-tune-steps", "-1"}, "-tune-steps -1 must lie in 0"},
		{[]string{"-steps", "10", "-tune-steps", "11"}, "-tune-steps 11 must lie in 0 … -steps = 10"},
		{[]string{"-first-order-steps", "-1"}, "-first-order-steps -1"},
		{[]string{"-methods", "gn,hig", "-first-order-steps", "100"}, "applies to the first-order methods (adam, gd, sip) only"},
		{[]string{"-steps", "68719476737"}, "-steps 68719476737 exceeds 68719476736"},
		{[]string{"-steps", "3", "-budget", "5s"}, "one kind of budget"},
		{[]string{"-train", "0"}, "-train 0 must be a positive sample count"},
		{[]string{"-test", "0"}, "-test 0 must be a positive sample count"},
		{[]string{"-train", "300"}, "exceeds the training set"},
		{[]string{"-tau", "0"}, "-tau 0"},
		{[]string{"-tau", "NaN"}, "-tau NaN"},
		{[]string{"-lr", "hig"}, "not METHOD=RATE"},
		{[]string{"-lr", "hig=-1"}, "must be a number > 0"},
		{[]string{"-methods", "hig", "-lr", "adam=0.1"}, "adam is not among -methods"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-preset", "bk"}, `-preset "bk": use paper or book`},
		{[]string{"-preset", "book", "-methods", "gn"}, `unknown method "gn" for -preset book: use adam, sip or hig`},
		{[]string{"-methods", "sip"}, `unknown method "sip" for -preset paper`},
		{[]string{"-preset", "book", "-lr", "gd=0.1"}, `-lr: unknown method "gd": use adam, sip or hig`},
		{[]string{"-preset", "book", "-methods", "hig", "-first-order-steps", "5"}, "applies to the first-order methods"},
		{[]string{"-preset", "book", "-train", "200"}, "exceeds the training set"},
	}
	for _, c := range cases {
		args := append([]string{"oscillators", "-out", t.TempDir()}, c.args...)
		code, _, stderr := runCmd(args...)
		if code != 2 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "-help") {
			t.Errorf("hig %v: exit %d, stderr %q; want exit 2 and %q", args, code, stderr, c.want)
		}
	}
	code, stdout, _ := runCmd("oscillators", "-help")
	if code != 0 || !strings.Contains(stdout, "Usage: hig oscillators") || !strings.Contains(stdout, "-tune-budget") ||
		!strings.Contains(stdout, "R = 16") || !strings.Contains(stdout, "the results depend on the machine and its load") {
		t.Errorf("hig oscillators -help: exit %d, output %q", code, stdout)
	}
}

// TestOscillatorsIssue17 checks the flag cases of issue 17 that the old
// command accepted: each must be rejected before any work with a message
// that names the flag and its bound (the old code ran out of memory on the
// sizes, and started minute-long runs on the others, which the deadline
// turns into a failure here).
func TestOscillatorsIssue17(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-train", "100000000000"}, "-train 100000000000 exceeds 59652323 samples (memory bound: 144 B per sample within 8 GiB)"},
		{[]string{"-test", "1000000000"}, "-test 1000000000 exceeds 67108864 samples (memory bound: 128 B per sample within 8 GiB)"},
		{[]string{"-test", "10000000"}, "the study would need about"},
		{[]string{"-lr", "adam=1e-3,adam=5e-4"}, "-lr: adam is given twice"},
		{[]string{"-lr", "hig=1,HIG=3"}, "-lr: hig is given twice"},
		{[]string{"-steps", "0"}, "-steps 0: give a budget"},
		{[]string{"-steps", "-5"}, "-steps -5: give a budget"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			args := append([]string{"oscillators", "-quiet", "-out", t.TempDir()}, c.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var o, e bytes.Buffer
			code := runContext(ctx, args, &o, &e)
			if code != 2 || !strings.Contains(e.String(), c.want) {
				t.Errorf("hig %v: exit %d, stderr %q; want exit 2 and %q", args, code, e.String(), c.want)
			}
		})
	}
}

// TestOscillatorsWrites runs a tiny deterministic study and checks the
// files and the summary's fields.
func TestOscillatorsWrites(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCmd("oscillators", "-steps", "2", "-train", "520", "-test", "8",
		"-methods", "adam,hig", "-lr", "hig=1", "-seeds", "1,2", "-out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "[  7/7") || !strings.Contains(stdout, "| HIG |") {
		t.Errorf("progress %q, output %q", stderr, stdout)
	}
	for _, f := range []string{"oscillators.png", "oscillators.svg", "oscillators_summary.json", "oscillators_tuning.json", "oscillators_results.md"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "oscillators_summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum []map[string]any
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum) != 4 {
		t.Fatalf("%d summary records, want 4", len(sum))
	}
	for _, key := range []string{"method", "seed", "final_test_loss", "steps", "wall_seconds", "learning_rate", "batch_size", "budget"} {
		if _, ok := sum[0][key]; !ok {
			t.Errorf("summary lacks %q: %v", key, sum[0])
		}
	}
	if h := sum[3]; h["method"] != "hig" || h["tau"] != 1e-6 || h["kappa"] != 0.5 || h["batch_size"] != 128.0 || h["learning_rate"] != 1.0 {
		t.Errorf("HIG's record: %v", h)
	}
	if a := sum[0]; a["method"] != "adam" || a["batch_size"] != 512.0 || a["tau"] != nil {
		t.Errorf("Adam's record: %v", a)
	}
	var tune []map[string]any
	b, _ = os.ReadFile(filepath.Join(dir, "oscillators_tuning.json"))
	if err := json.Unmarshal(b, &tune); err != nil || len(tune) != 3 {
		t.Errorf("tuning records: %d, %v (Adam's three rates on one tuning seed)", len(tune), err)
	}
}

// TestOscillatorsBookPreset runs a tiny book-preset study through the
// command and checks its files and the step budgets it reports.
func TestOscillatorsBookPreset(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCmd("oscillators", "-preset", "book", "-quiet", "-steps", "4", "-train", "256", "-test", "32",
		"-seeds", "1", "-lr", "adam=1e-3,sip=1e-3,hig=2", "-records", "2", "-out", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, name := range []string{"book-chain_summary.json", "book-chain_tuning.json", "book-chain.png", "book-chain.svg", "book-chain_results.md"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "book-chain_summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sums []struct {
		Method string  `json:"method"`
		Steps  int     `json:"steps"`
		Tau    float64 `json:"tau"`
	}
	if err := json.Unmarshal(b, &sums); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"adam": 12, "sip": 4, "hig": 4}
	if len(sums) != 3 {
		t.Fatalf("%d summaries, want 3", len(sums))
	}
	for _, s := range sums {
		if s.Steps != want[s.Method] {
			t.Errorf("%s ran %d steps, want %d", s.Method, s.Steps, want[s.Method])
		}
		if s.Method == "hig" && s.Tau != 1e-10 {
			t.Errorf("HIG τ = %v, want the book's 1e-10", s.Tau)
		}
	}
	if !strings.Contains(stdout, "SIP") {
		t.Errorf("stdout has no SIP row: %q", stdout)
	}
}
