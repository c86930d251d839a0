package main

import (
	"bufio"
	"bytes"
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

// asMain, set in the environment, makes the test binary act as the hig
// program, so that the tests can send it real signals.
const asMain = "HIG_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// oldFiles fills dir with stand-ins for a previous run's files and returns
// their contents.
func oldFiles(t *testing.T, dir string, names ...string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, name := range names {
		m[name] = "previous run: " + name
		if err := os.WriteFile(filepath.Join(dir, name), []byte(m[name]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// sameFiles fails unless dir holds exactly the files of want, unchanged.
func sameFiles(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if w, ok := want[e.Name()]; !ok || string(b) != w {
			t.Errorf("%s: %d bytes %.30q; want it unchanged or absent", e.Name(), len(b), b)
		}
	}
	if len(entries) != len(want) {
		t.Errorf("%d files in %s, want %d", len(entries), dir, len(want))
	}
}

// TestSignalStopsCleanly runs the program, sends it SIGINT or SIGTERM once
// it is computing, and checks the exit code (128 + the signal number, as a
// shell reports a program killed by it), the message and that the previous
// files are untouched.
func TestSignalStopsCleanly(t *testing.T) {
	cases := []struct {
		name  string
		sig   syscall.Signal
		code  int
		args  []string
		ready string // a line on stderr that says the computation runs
	}{
		{"toy/SIGINT", syscall.SIGINT, 130, []string{"toy", "-lambda", "1", "-methods", "hig", "-seeds", "1"}, "hig toy:"},
		{"toy/SIGTERM", syscall.SIGTERM, 143, []string{"toy", "-lambda", "1", "-methods", "hig", "-seeds", "1"}, "hig toy:"},
		{"scaling/SIGTERM", syscall.SIGTERM, 143, []string{"scaling", "-reps", "100"}, "toy  b="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			old := oldFiles(t, dir, "toy_summary.json", "toy_lambda1.png", "scaling.json", "scaling.png")
			cmd := exec.Command(os.Args[0], append(c.args, "-out", dir)...)
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
				if strings.HasPrefix(sc.Text(), c.ready) {
					break
				}
			}
			start := time.Now()
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			err = cmd.Wait()
			t.Logf("stopped %v after the signal", time.Since(start).Round(time.Millisecond))
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != c.code {
				t.Fatalf("exit: %v; want code %d\nstderr:\n%s", err, c.code, strings.Join(lines, "\n"))
			}
			last := lines[len(lines)-1]
			if !strings.Contains(last, c.sig.String()) || !strings.Contains(last, "no output file was changed") {
				t.Errorf("last line of stderr %q; want the signal and that no file was changed", last)
			}
			if strings.Contains(stdout.String(), "wrote") {
				t.Errorf("stdout says it wrote files: %q", stdout.String())
			}
			sameFiles(t, dir, old)
		})
	}
}

// unwritableDir returns an existing directory in which no file can be
// created: a mode-0555 directory, or /proc/self for root, who may write
// into any mode.
func unwritableDir(t *testing.T) string {
	if os.Geteuid() != 0 {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return dir
	}
	if fi, err := os.Stat("/proc/self"); err == nil && fi.IsDir() {
		return "/proc/self"
	}
	t.Skip("running as root without /proc: no unwritable directory to test with")
	return ""
}

// TestUnwritableOutUpFront: an output directory that cannot be written is
// reported before any run starts, not after the study.
func TestUnwritableOutUpFront(t *testing.T) {
	dir := unwritableDir(t)
	for _, args := range [][]string{
		{"toy", "-steps", "20", "-seeds", "1", "-train", "64", "-valid", "16", "-batch", "16", "-lr", "adam=0.01,gn=1,hig=1", "-out", dir},
		{"scaling", "-reps", "1", "-batches", "32,64", "-hidden", "4,8", "-out", dir},
	} {
		code, stdout, stderr := runCmd(args...)
		if code != 1 || !strings.Contains(stderr, "not writable") || !strings.Contains(stderr, dir) {
			t.Errorf("hig %s: exit %d, stderr %q; want exit 1 and that %s is not writable", args[0], code, stderr, dir)
		}
		if strings.Contains(stderr, "[  1/") || strings.Contains(stderr, "b=  32") || stdout != "" {
			t.Errorf("hig %s computed before reporting the directory: stdout %q, stderr %q", args[0], stdout, stderr)
		}
	}
}

// TestToyLeavesOtherLambdas: a run with fewer λ replaces its own files, keeps
// the figures of the other λ as they were, names them in a note, and its
// summary describes only its own λ.
func TestToyLeavesOtherLambdas(t *testing.T) {
	dir := t.TempDir()
	old := oldFiles(t, dir, "toy_lambda0.01.png", "toy_lambda0.01.svg", "toy_lambda1.png", "toy_summary.json")
	code, stdout, stderr := runCmd("toy", "-lambda", "1", "-methods", "hig", "-seeds", "1", "-steps", "5", "-train", "64",
		"-valid", "16", "-batch", "16", "-lr", "hig=1", "-quiet", "-out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"toy_lambda0.01.png", "toy_lambda0.01.svg"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != old[name] {
			t.Errorf("%s changed or gone (%v)", name, err)
		}
		if !strings.Contains(stdout, "note: "+filepath.Join(dir, name)+" is from an earlier run") {
			t.Errorf("no note about %s in stdout %q", name, stdout)
		}
	}
	for _, name := range []string{"toy_lambda1.png", "toy_summary.json"} {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) == old[name] {
			t.Errorf("%s was not replaced", name)
		}
	}
	var recs []struct{ Lambda float64 }
	raw, _ := os.ReadFile(filepath.Join(dir, "toy_summary.json"))
	if err := json.Unmarshal(raw, &recs); err != nil || len(recs) != 1 || recs[0].Lambda != 1 {
		t.Errorf("summary %s (%v): want one record for λ = 1", raw, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// An output folder in which one target name is a directory is refused
// before any run (it used to fail half-way through the write, after the
// summary had been replaced), and the old files stay as they were.
func TestToyRefusesDirectoryTarget(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "toy_results.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "toy_summary.json"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"toy"}, tiny...), "-out", dir)
	code, _, stderr := runCmd(args...)
	if code == 0 || !strings.Contains(stderr, "toy_results.md: it is a directory") || strings.Contains(stderr, "runs;") {
		t.Errorf("exit %d, stderr %q; want a refusal naming toy_results.md before any run", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "toy_summary.json")); string(b) != "old" {
		t.Errorf("toy_summary.json is %q, want the old file", b)
	}
}

// With every rate fixed by -lr there are no tuning runs: toy_tuning.json is
// an empty list, [], as oscillators_tuning.json is, not null.
func TestToyTuningEmptyList(t *testing.T) {
	dir := t.TempDir()
	args := append(append([]string{"toy"}, tiny...), "-methods", "adam,hig", "-lr", "adam=0.01,hig=1", "-lambda", "1", "-out", dir)
	if code, _, stderr := runCmd(args...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "toy_tuning.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("toy_tuning.json is %q, want []", b)
	}
}
