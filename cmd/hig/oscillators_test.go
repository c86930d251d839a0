package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		{[]string{"-budget", "0s"}, "-budget must be positive"},
		{[]string{"-tune-budget", "-1s"}, "must not be negative"},
		{[]string{"-steps", "3", "-budget", "5s"}, "one kind of budget"},
		{[]string{"-train", "0"}, "must be positive"},
		{[]string{"-train", "300"}, "exceeds the training set"},
		{[]string{"-tau", "0"}, "-tau 0"},
		{[]string{"-tau", "NaN"}, "-tau NaN"},
		{[]string{"-lr", "hig"}, "not METHOD=RATE"},
		{[]string{"-lr", "hig=-1"}, "must be a number > 0"},
		{[]string{"-methods", "hig", "-lr", "adam=0.1"}, "adam is not among -methods"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		args := append([]string{"oscillators", "-out", t.TempDir()}, c.args...)
		code, _, stderr := runCmd(args...)
		if code != 2 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "-help") {
			t.Errorf("hig %v: exit %d, stderr %q; want exit 2 and %q", args, code, stderr, c.want)
		}
	}
	code, stdout, _ := runCmd("oscillators", "-help")
	if code != 0 || !strings.Contains(stdout, "Usage: hig oscillators") || !strings.Contains(stdout, "-tune-budget") {
		t.Errorf("hig oscillators -help: exit %d, output %q", code, stdout)
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
