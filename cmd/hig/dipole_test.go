package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDipoleUsageErrors: every bad flag of hig dipole is rejected before
// any work, with exit code 2, a message that names the flag and what to do,
// and the pointer to -help; and no output folder is created.
func TestDipoleUsageErrors(t *testing.T) {
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
		{[]string{"-steps", "3", "-budget", "5s"}, "one kind of budget"},
		{[]string{"-steps", "0"}, "-steps 0: give a budget"},
		{[]string{"-steps", "-5"}, "-steps -5: give a budget"},
		{[]string{"-steps", "137438953473"}, "-steps 137438953473 exceeds 137438953472"},
		{[]string{"-steps", "10", "-tune-steps", "11"}, "-tune-steps 11 must lie in 0 … -steps = 10"},
		{[]string{"-first-order-steps", "-1"}, "-first-order-steps -1"},
		{[]string{"-methods", "hig", "-first-order-steps", "100"}, "applies to adam and gd only"},
		{[]string{"-train", "0"}, "-train 0 must be a positive sample count"},
		{[]string{"-test", "0"}, "-test 0 must be a positive sample count"},
		{[]string{"-train", "100"}, "exceeds the training set"},
		{[]string{"-train", "100000000000"}, "-train 100000000000 exceeds"},
		{[]string{"-test", "1000000"}, "the study would need about"},
		{[]string{"-records", "0"}, "-records 0 must be positive"},
		{[]string{"-tau", "0"}, "-tau 0"},
		{[]string{"-tau", "1"}, "-tau 1"},
		{[]string{"-tau", "NaN"}, "-tau NaN"},
		{[]string{"-lr", "hig"}, "not METHOD=RATE"},
		{[]string{"-lr", "hig=-1"}, "must be a number > 0"},
		{[]string{"-lr", "hig=Inf"}, "must be a number > 0"},
		{[]string{"-lr", "hig=8,HIG=4"}, "-lr: hig is given twice"},
		{[]string{"-methods", "hig", "-lr", "adam=0.1"}, "adam is not among -methods"},
		{[]string{"-out", ""}, "-out is empty"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "dipole")
			args := append([]string{"dipole", "-quiet", "-out", out}, c.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var o, e bytes.Buffer
			code := runContext(ctx, args, &o, &e)
			if code != 2 || !strings.Contains(e.String(), c.want) || !strings.Contains(e.String(), "-help") {
				t.Errorf("hig %v: exit %d, stderr %q; want exit 2 and %q", args, code, e.String(), c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("hig %v created the output folder", args)
			}
		})
	}
	code, stdout, _ := runCmd("dipole", "-help")
	if code != 0 || !strings.Contains(stdout, "Usage: hig dipole") || !strings.Contains(stdout, "-tune-budget") ||
		!strings.Contains(stdout, "R = 8") || !strings.Contains(stdout, "results depend on the machine and its load") {
		t.Errorf("hig dipole -help: exit %d, output %q", code, stdout)
	}
	if code, stdout, _ := runCmd("help"); code != 0 || !strings.Contains(stdout, "hig dipole") {
		t.Errorf("hig help does not list dipole: %q", stdout)
	}
}

// TestDipoleWrites runs a tiny deterministic study and checks the files,
// the progress lines and the summary's fields.
func TestDipoleWrites(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCmd("dipole", "-steps", "2", "-train", "256", "-test", "8", "-records", "2",
		"-lr", "hig=8", "-seeds", "1", "-out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "[  5/5") || !strings.Contains(stdout, "| HIG |") || !strings.Contains(stdout, "| Adam |") {
		t.Errorf("progress %q, output %q", stderr, stdout)
	}
	for _, f := range []string{"dipole.png", "dipole.svg", "dipole_summary.json", "dipole_tuning.json", "dipole_results.md"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "dipole_summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum []map[string]any
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum) != 2 {
		t.Fatalf("%d summary records, want 2", len(sum))
	}
	if h := sum[1]; h["method"] != "hig" || h["tau"] != 1e-5 || h["kappa"] != 0.5 || h["batch_size"] != 16.0 || h["learning_rate"] != 8.0 || h["steps"] != 2.0 {
		t.Errorf("HIG's record: %v", h)
	}
	if a := sum[0]; a["method"] != "adam" || a["batch_size"] != 256.0 || a["tau"] != nil || a["steps"] != 16.0 || a["first_order_ratio"] != 8.0 {
		t.Errorf("Adam's record: %v", a)
	}
	var tune []map[string]any
	b, _ = os.ReadFile(filepath.Join(dir, "dipole_tuning.json"))
	if err := json.Unmarshal(b, &tune); err != nil || len(tune) != 3 {
		t.Errorf("tuning records: %d, %v (Adam's three rates on one tuning seed)", len(tune), err)
	}
}

// TestDipoleSignal sends SIGINT to a running hig dipole: it exits with
// 130, says so, and leaves a previous run's files as they were.
func TestDipoleSignal(t *testing.T) {
	dir := t.TempDir()
	old := oldFiles(t, dir, "dipole_summary.json", "dipole.png")
	cmd := exec.Command(os.Args[0], "dipole", "-steps", "200", "-seeds", "1", "-out", dir)
	cmd.Env = append(os.Environ(), asMain+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.HasPrefix(sc.Text(), "hig dipole:") {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit: %v; want code 130\nstderr:\n%s", err, strings.Join(lines, "\n"))
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "interrupt") || !strings.Contains(last, "no output file was changed") {
		t.Errorf("last line of stderr %q; want the signal and that no file was changed", last)
	}
	if strings.Contains(stdout.String(), "wrote") {
		t.Errorf("stdout says it wrote files: %q", stdout.String())
	}
	sameFiles(t, dir, old)
}
