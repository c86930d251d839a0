package notebooks_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/higlab/hig/notebooks"
)

// skipEnv names the environment variable that, set to 1, skips executing the
// notebooks (for Go developers without Jupyter). CI never sets it.
const skipEnv = "HIG_SKIP_NOTEBOOKS"

// headlessEnv names the environment variable that, set to 1, tells notebook
// cells that no browser is attached, so that widgets are not built (they
// would wait for a browser forever).
const headlessEnv = "HIG_HEADLESS"

// maxParallel bounds how many notebooks execute at once; each cell is a
// `go build`, which already keeps the (two) cores busy.
const maxParallel = 2

// venvDir is the project's Python environment (relative to notebooks/), which
// `make venv` builds from requirements/jupyter.txt: JupyterLab, Notebook 7,
// nbconvert and nbclient at the versions students get.
const venvDir = "../.venv"

// venvHelp says how to get the environment.
const venvHelp = `The notebook tests use the project's Jupyter environment in .venv (JupyterLab,
nbconvert and nbclient, pinned with hashes in requirements/jupyter.txt), which is missing.
'make test' builds it (or run 'make venv'; it needs Python 3 with venv and access to PyPI),
or set ` + skipEnv + `=1 to run only the Go tests.`

// venvTool returns the absolute path of a program of the project's Jupyter
// environment, failing the test with venvHelp when it is missing.
func venvTool(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(venvDir, "bin", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s not found.\n%s", p, venvHelp)
	}
	return p
}

// TestNotebooks executes every notebooks/*.ipynb with jupyter nbconvert (from
// the project's environment, see venvDir) and a GoNB kernel built from the versions pinned in go.mod, installed in a
// temporary JUPYTER_DATA_DIR, and checks the executed notebooks with
// notebooks.Check. The notebooks in the repository are left untouched.
func TestNotebooks(t *testing.T) {
	if os.Getenv(skipEnv) == "1" {
		t.Skipf("%s=1: not executing notebooks", skipEnv)
	}
	nbconvert := venvTool(t, "jupyter-nbconvert")
	files, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no notebooks")
	}
	consultInputs(t)
	before := dirNames(t, ".")

	tmp := t.TempDir()
	env := kernelEnv(t, tmp)
	outDir := mkdir(t, tmp, "out")
	sem := make(chan struct{}, maxParallel)
	for _, file := range files {
		t.Run(strings.TrimSuffix(file, ".ipynb"), func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()

			abs, err := filepath.Abs(file)
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			if deadline, ok := t.Deadline(); ok {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, deadline.Add(-30*time.Second))
				defer cancel()
			}
			// --allow-errors: keep executing after a failing cell, so that
			// Check reports every failure with its cell.
			cmd := exec.CommandContext(ctx, nbconvert, "--to", "notebook", "--execute",
				"--allow-errors",
				"--ExecutePreprocessor.kernel_name=gonb",
				"--ExecutePreprocessor.timeout=600",
				"--ExecutePreprocessor.record_timing=False",
				"--output-dir", outDir, abs)
			// No browser: cells with widgets show their default plots and end
			// (see 05-explore.ipynb).
			cmd.Env = append(env, headlessEnv+"=1")
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s failed: %v\n%s", cmd, err, tail(out, 60))
			}
			t.Logf("executed in %v", time.Since(start).Round(time.Millisecond))

			data, err := os.ReadFile(filepath.Join(outDir, file))
			if err != nil {
				t.Fatal(err)
			}
			nb, err := notebooks.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range notebooks.Check(nb) {
				t.Error(err)
			}
		})
	}
	t.Cleanup(func() {
		if added := slices.DeleteFunc(dirNames(t, "."), func(n string) bool {
			return slices.Contains(before, n)
		}); len(added) > 0 {
			t.Errorf("executing the notebooks left files in notebooks/: %q; "+
				"remove them, and gitignore or avoid whatever wrote them", added)
		}
	})
}

// kernelEnv builds gonb and goimports from the versions in go.mod into
// tmp/bin, installs the GoNB kernelspec below tmp, and returns the environment
// for Jupyter processes that use it. Everything Jupyter and the kernel write
// goes below tmp: the kernelspec, connection files, configuration (none: the
// user's is not read) and GoNB's per-kernel Go module (TMPDIR).
func kernelEnv(t *testing.T, tmp string) []string {
	t.Helper()
	bin := filepath.Join(tmp, "bin")
	start := time.Now()
	run(t, exec.Command("go", "build", "-o", bin+string(filepath.Separator),
		"github.com/janpfeifer/gonb", "golang.org/x/tools/cmd/goimports"), "..")
	t.Logf("built gonb and goimports in %v", time.Since(start).Round(time.Millisecond))

	env := append(os.Environ(),
		"PATH="+bin+string(filepath.ListSeparator)+os.Getenv("PATH"),
		"JUPYTER_DATA_DIR="+filepath.Join(tmp, "data"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(tmp, "runtime"),
		"JUPYTER_CONFIG_DIR="+filepath.Join(tmp, "config"),
		"TMPDIR="+mkdir(t, tmp, "kernel-tmp"),
	)
	install := exec.Command(filepath.Join(bin, "gonb"), "--install", "--force_deps", "--raw_error")
	install.Env = env
	run(t, install, ".")
	return env
}

// consultInputs opens every file the notebooks may depend on: the module's Go
// files, go.mod, go.sum and the notebooks. go test caches a passing result
// until a file the test opened changes, and the notebooks are run by other
// processes, so without this a change to the library would not re-run them.
func consultInputs(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != ".." && (strings.HasPrefix(name, ".") || name == "bin" || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(name) {
		case ".go", ".ipynb", ".mod", ".sum", ".json", ".mjs", ".txt":
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			return f.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// run runs cmd in dir and fails the test, with its output, if it fails.
func run(t *testing.T, cmd *exec.Cmd, dir string) {
	t.Helper()
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, tail(out, 60))
	}
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// tail returns the last n lines of out; the kernel's log makes the whole
// output long.
func tail(out []byte, n int) string {
	lines := bytes.Split(bytes.TrimRight(out, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = append([][]byte{[]byte("…")}, lines[len(lines)-n:]...)
	}
	return string(bytes.Join(lines, []byte("\n")))
}
