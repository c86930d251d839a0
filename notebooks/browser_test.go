package notebooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/higlab/hig/notebooks"
)

// The browser test needs these; .ci/run installs them.
const (
	chromiumPath = "/usr/bin/chromium"
	browserDir   = "browser" // package.json, package-lock.json and drive.mjs
	browserHelp  = `The browser test needs Debian's chromium, Node.js (18 or later) and the pinned
playwright-core (never a downloaded browser), besides the project's Jupyter environment
(.venv). Install them as make test and .ci/run do (as root, or with password-less sudo):
    bash scripts/install-test-deps.sh && make venv
or set ` + skipEnv + `=1 to skip the notebooks.`
)

// baseURL is the server's base URL in the test that stands for JupyterHub and
// Binder, which serve a user's notebooks below a path of their own.
const baseURL = "/user/student/"

// keepShotsEnv names the environment variable that, set to 1, keeps the
// screenshots even when the test passes.
const keepShotsEnv = "HIG_BROWSER_SHOTS"

// onlyEnv names the environment variable that, when set, limits TestBrowser
// to the notebooks whose file name contains its value (while working on one).
const onlyEnv = "HIG_BROWSER_ONLY"

// notebookTimeout bounds one notebook's Restart & Run All in the browser.
const notebookTimeout = 10 * time.Minute

// TestBrowser runs every notebook as a student would: in Chromium, in
// JupyterLab 4 from the project's environment (see venvDir), on a free
// loopback port with the GoNB kernel installed in a throwaway
// JUPYTER_DATA_DIR, with Kernel > Restart Kernel and Run All Cells. It fails
// when a cell shows an error or misses an expectation marker (the same
// notebooks.Check as the headless test, on the notebook as the browser holds
// it), when a PNG output is not shown as an image, when MathJax did not render
// the formulas, when a "progress" cell shows no live progress while it runs,
// first and when re-run, and when a slider or select of a "controls" cell
// changes no plot or its button shows no progress.
//
// Two more servers run what a teacher's set-up changes: JupyterLab under the
// base URL that JupyterHub and Binder give a user (baseURL), with
// 05-explore's controls and a live-progress cell, and Notebook 7 (the same
// front end in the classic page layout) with 05-explore. The notebooks run
// from copies (see mirror), so the repository's files are never saved over.
// Screenshots of every notebook are kept, in a folder the test names, when
// it fails.
func TestBrowser(t *testing.T) {
	tl := browserTools(t)
	files, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if only := os.Getenv(onlyEnv); only != "" {
		files = slices.DeleteFunc(files, func(f string) bool { return !strings.Contains(f, only) })
	}
	if len(files) == 0 {
		t.Skip("no notebooks")
	}
	consultInputs(t)
	setup, err := firstCell("01-derivation.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	env := kernelEnv(t, tmp)
	copies := map[string][]byte{progressName: progressNotebook(setup)}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		copies[f] = b
	}
	dir := mirror(t, filepath.Join(tmp, "site"), copies)
	// What runs under the base URL and in Notebook 7: 05-explore when it is
	// among the files, and a live-progress cell.
	var explore []string
	if slices.Contains(files, exploreName) {
		explore = append(explore, exploreName)
	}

	t.Run("JupyterLab", func(t *testing.T) {
		judge(t, files, browse(t, tl, env, server{app: "lab", base: "/"}, dir, files))
	})
	t.Run("JupyterLab-base-url", func(t *testing.T) {
		names := append(slices.Clone(explore), progressName)
		judge(t, names, browse(t, tl, env, server{app: "lab", base: baseURL}, dir, names))
	})
	t.Run("Notebook7", func(t *testing.T) {
		if len(explore) == 0 {
			t.Skipf("%s not among the notebooks (%s)", exploreName, onlyEnv)
		}
		judge(t, explore, browse(t, tl, env, server{app: "notebook", base: "/"}, dir, explore))
	})
}

// exploreName is the notebook with controls, which the base-URL and Notebook 7
// runs use.
const exploreName = "05-explore.ipynb"

// progressName is a small notebook with one live-progress cell (see
// progressNotebook), for the runs that do not take every notebook.
const progressName = "progress-check.ipynb"

// progressNotebook returns a notebook whose second cell shows live progress
// the way the notebooks do (a display id unique to the run, updated in place).
func progressNotebook(setup string) []byte {
	return testNotebook(setup, `// expect: progress
import (
	"fmt"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

%%
defer gonbui.Sync()
id := "progress-" + gonbui.UniqueId()
for i := range 10 {
	gonbui.UpdateHTML(id, fmt.Sprintf("<pre>step %d of 10</pre>", i+1))
	time.Sleep(300 * time.Millisecond)
}`)
}

// judge reports what is wrong with each named notebook's run.
func judge(t *testing.T, names []string, reps map[string]*pageReport) {
	t.Helper()
	for _, name := range names {
		rep := reps[name]
		if rep == nil {
			t.Errorf("%s: no report from the browser", name)
			continue
		}
		t.Logf("%s: Restart Kernel and Run All Cells took %.1f s", name, rep.Seconds)
		for _, err := range evaluate(rep) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestBrowserCatchesBrokenNotebooks shows that the browser test fails for
// the faults it is meant to catch, with deliberately broken notebooks: a cell
// that panics, live progress that reuses a display id (so that it shows
// nothing when the cell is re-run), a slider that redraws nothing, and
// working widgets that never connect because the page is served below a base
// URL and the cell does not call nbout.ConnectWidgets.
func TestBrowserCatchesBrokenNotebooks(t *testing.T) {
	tl := browserTools(t)
	consultInputs(t)
	setup, err := firstCell("01-derivation.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	broken := map[string][]byte{
		"error.ipynb": testNotebook(setup, `%%
panic("deliberately broken")`),
		"rerun.ipynb": testNotebook(setup, `// expect: progress
import (
	"fmt"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

%%
defer gonbui.Sync()
// The same id on every run: GoNB has seen it, so a re-run only updates a
// block the notebook already cleared.
for i := range 10 {
	gonbui.UpdateHTML("progress", fmt.Sprintf("<pre>step %d of 10</pre>", i+1))
	time.Sleep(300 * time.Millisecond)
}`),
		"slider.ipynb": testNotebook(setup, `// expect: controls
import (
	"bytes"
	"image"
	"image/png"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/widgets"

	"github.com/higlab/hig/notebooks/nbout"
)

%%
defer gonbui.Sync()
if err := nbout.ConnectWidgets(20 * time.Second); err != nil {
	panic(err)
}
var buf bytes.Buffer
if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 40, 20))); err != nil {
	panic(err)
}
gonbui.DisplayPng(buf.Bytes())
widgets.Slider(0, 10, 5).Done() // nobody listens: moving it redraws nothing
stop := widgets.Button("stop").Done().Listen()
<-stop.C`),
		"socket.ipynb": testNotebook(setup, socketNotebook),
	}
	want := map[string]string{
		"error.ipynb":  "error output",
		"rerun.ipynb":  "on re-run",
		"slider.ipynb": "changed no image",
		"socket.ipynb": "never connected",
	}
	tmp := t.TempDir()
	env := kernelEnv(t, tmp)
	dir := mirror(t, filepath.Join(tmp, "site"), broken)
	names := []string{"error.ipynb", "rerun.ipynb", "slider.ipynb", "socket.ipynb"}
	// Under a base URL, as JupyterHub serves notebooks: there GoNB's own
	// widget connection fails (socket.ipynb) unless the page is fixed first
	// (nbout.ConnectWidgets in slider.ipynb).
	reps := browse(t, tl, env, server{app: "lab", base: baseURL}, dir, names)
	for _, name := range names {
		rep := reps[name]
		if rep == nil {
			t.Errorf("%s: no report from the browser", name)
			continue
		}
		errs := evaluate(rep)
		found := false
		for _, err := range errs {
			t.Logf("%s: caught: %v", name, err)
			found = found || strings.Contains(err.Error(), want[name])
		}
		if !found {
			t.Errorf("%s: the browser test did not catch the fault (want an error containing %q, got %q)", name, want[name], errs)
		}
		if name == "rerun.ipynb" {
			for _, err := range errs {
				if strings.Contains(err.Error(), "first run") {
					t.Errorf("rerun.ipynb: progress on the first run was missed: %v", err)
				}
			}
		}
	}
	// The same widgets work on a server at the root: what broke them above
	// is the base URL, not the cell.
	rep := browse(t, tl, env, server{app: "lab", base: "/"}, dir, []string{"socket.ipynb"})["socket.ipynb"]
	if rep == nil {
		t.Fatal("socket.ipynb at the root: no report from the browser")
	}
	for _, err := range evaluate(rep) {
		t.Errorf("socket.ipynb at the root (must pass there): %v", err)
	}
}

// socketNotebook is a cell with a slider that redraws an image and a stop
// button, using GoNB's widgets directly, without nbout.ConnectWidgets. It
// ends by itself when its widgets have not connected after 20 s.
const socketNotebook = `// expect: controls
import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/widgets"
)

%%
defer gonbui.Sync()
id := "img-" + gonbui.UniqueId()
draw := func(v int) {
	im := image.NewGray(image.Rect(0, 0, 40, 20))
	for i := range im.Pix {
		im.Pix[i] = uint8(20 * v)
	}
	im.Set(0, 0, color.Gray{Y: 255})
	var buf bytes.Buffer
	png.Encode(&buf, im)
	gonbui.UpdateHtml(id, fmt.Sprintf("<img src=\"data:image/png;base64,%s\">", base64.StdEncoding.EncodeToString(buf.Bytes())))
}
draw(5)
built := make(chan chan int)
go func() {
	slider := widgets.Slider(0, 10, 5).Done().Listen()
	stop := widgets.Button("stop").Done().Listen()
	go func() {
		for v := range slider.C {
			draw(v)
		}
	}()
	built <- stop.C
}()
select {
case stop := <-built:
	<-stop
case <-time.After(20 * time.Second):
	fmt.Println("the widgets never connected")
}`

// testNotebook returns a notebook of code cells with the given sources.
func testNotebook(sources ...string) []byte {
	type cell struct {
		CellType string   `json:"cell_type"`
		ID       string   `json:"id"`
		Metadata struct{} `json:"metadata"`
		Source   string   `json:"source"`
		Outputs  []any    `json:"outputs"`
		Count    *int     `json:"execution_count"`
	}
	var cells []cell
	for i, s := range sources {
		cells = append(cells, cell{CellType: "code", ID: fmt.Sprintf("t%d", i), Source: s, Outputs: []any{}})
	}
	b, err := json.Marshal(map[string]any{
		"nbformat": 4, "nbformat_minor": 5, "cells": cells,
		"metadata": map[string]any{
			"kernelspec":    map[string]string{"name": "gonb", "display_name": "Go (gonb)", "language": "go"},
			"language_info": map[string]string{"name": "go"},
		},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// firstCell returns the source of a notebook's first code cell (the one that
// makes cells build against this repository).
func firstCell(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	nb, err := notebooks.Parse(b)
	if err != nil {
		return "", err
	}
	for _, c := range nb.Cells {
		if c.CellType == "code" {
			return string(c.Source), nil
		}
	}
	return "", fmt.Errorf("%s has no code cell", file)
}

// tools are the programs the browser test runs.
type tools struct {
	lab, notebook, node, chromium string
}

// server says which Jupyter front end a browser session uses, and under which
// base URL the server answers.
type server struct {
	app  string // "lab" (JupyterLab) or "notebook" (Notebook 7)
	base string // "/" or a path such as baseURL, with slashes at both ends
}

// browserTools finds what the browser test needs, skipping the test when the
// notebooks are skipped and failing with install instructions when something
// is missing.
func browserTools(t *testing.T) tools {
	t.Helper()
	if os.Getenv(skipEnv) == "1" {
		t.Skipf("%s=1: not running the notebooks in a browser", skipEnv)
	}
	tl := tools{lab: venvTool(t, "jupyter-lab"), notebook: venvTool(t, "jupyter-notebook"), chromium: chromiumPath}
	var missing []string
	var err error
	if tl.node, err = exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath)
	}
	if _, err := os.Stat(filepath.Join(browserDir, "node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "notebooks/browser/node_modules/playwright-core")
	}
	if len(missing) > 0 {
		t.Fatalf("missing %s.\n%s", strings.Join(missing, ", "), browserHelp)
	}
	return tl
}

// mirror lays out dst as a stand-in for the repository: every top-level entry
// of the repository but notebooks/ is a symbolic link to the real one, and
// dst/notebooks holds the given notebooks as copies next to links to the
// other entries of notebooks/ (such as the package nbout). A notebook's first
// cell, `go work use . ${GONB_DIR}/..`, then builds against the repository's
// code, while saving a notebook in the browser can only touch the copy. It
// returns dst/notebooks.
func mirror(t *testing.T, dst string, copies map[string][]byte) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	link := func(from, to string) {
		entries, err := os.ReadDir(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(to, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := e.Name()
			// Hidden entries (.git, a .ipynb_checkpoints left by a Jupyter
			// started there) stay out: the servers write their own.
			if name == "notebooks" && from == root || strings.HasSuffix(name, ".ipynb") || strings.HasPrefix(name, ".") {
				continue
			}
			if err := os.Symlink(filepath.Join(from, name), filepath.Join(to, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	link(root, dst)
	nbDir := filepath.Join(dst, "notebooks")
	link(filepath.Join(root, "notebooks"), nbDir)
	for name, b := range copies {
		if err := os.WriteFile(filepath.Join(nbDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return nbDir
}

// pageReport is what drive.mjs recorded for one notebook.
type pageReport struct {
	Name     string          `json:"name"`
	Failure  string          `json:"failure"`
	TimedOut bool            `json:"timedOut"`
	Seconds  float64         `json:"seconds"`
	Notebook json.RawMessage `json:"notebook"`
	Page     struct {
		PNGShown      int `json:"pngShown"`
		MathJax       int `json:"mathjax"`
		MathJaxErrors int `json:"mathjaxErrors"`
		RawDollars    int `json:"rawDollars"`
	} `json:"page"`
	Progress []progressReport `json:"progress"`
	Rerun    []progressReport `json:"rerun"`
	Controls []struct {
		Cell    int `json:"cell"`
		Actions []struct {
			Kind     string `json:"kind"`
			Label    string `json:"label"`
			Changed  bool   `json:"changed"`
			Distinct int    `json:"distinct"`
			MS       *int   `json:"ms"`
		} `json:"actions"`
	} `json:"controls"`
	Retried []int    `json:"retried"` // controls cells run again because their widgets did not connect (once per extra run)
	Console []string `json:"console"`
}

type progressReport struct {
	Cell     int  `json:"cell"`
	Ran      bool `json:"ran"`
	Distinct int  `json:"distinct"`
	TimedOut bool `json:"timedOut"`
}

// evaluate returns what is wrong with one notebook's run in the browser.
func evaluate(rep *pageReport) []error {
	var errs []error
	if rep.Failure != "" {
		errs = append(errs, fmt.Errorf("driving the page failed: %s", rep.Failure))
	}
	if rep.TimedOut {
		errs = append(errs, fmt.Errorf("Restart & Run All did not finish within %v", notebookTimeout))
	}
	if len(rep.Notebook) == 0 {
		return append(errs, fmt.Errorf("no notebook JSON from the page"))
	}
	nb, err := notebooks.Parse(rep.Notebook)
	if err != nil {
		return append(errs, err)
	}
	for _, err := range notebooks.Check(nb) {
		errs = append(errs, fmt.Errorf("in the browser: %w", err))
	}
	pngs, math := 0, false
	for _, c := range nb.Cells {
		if c.CellType == "markdown" && strings.Contains(string(c.Source), "$") {
			math = true
		}
		for _, o := range c.Outputs {
			if _, ok := o.Data["image/png"]; ok {
				pngs++
			}
		}
	}
	if rep.Page.PNGShown < pngs {
		errs = append(errs, fmt.Errorf("%d PNG outputs, but only %d shown as decoded images", pngs, rep.Page.PNGShown))
	}
	if math && (rep.Page.MathJax == 0 || rep.Page.MathJaxErrors > 0 || rep.Page.RawDollars > 0) {
		errs = append(errs, fmt.Errorf("MathJax: %d rendered formulas, %d errors, %d markdown cells still showing $…$",
			rep.Page.MathJax, rep.Page.MathJaxErrors, rep.Page.RawDollars))
	}
	for i, c := range nb.Cells {
		if c.Expects("progress") {
			errs = append(errs, progressErrors(i, "first run", rep.Progress)...)
			errs = append(errs, progressErrors(i, "on re-run", rep.Rerun)...)
		}
		if c.Expects("controls") {
			errs = append(errs, controlErrors(i, rep)...)
		}
	}
	return errs
}

// progressErrors checks that cell i's output changed at least once while it
// ran (at least two distinct non-empty outputs).
func progressErrors(i int, when string, reps []progressReport) []error {
	for _, p := range reps {
		if p.Cell != i {
			continue
		}
		switch {
		case p.TimedOut:
			return []error{fmt.Errorf("cell %d (%s): did not finish", i+1, when)}
		case !p.Ran:
			return []error{fmt.Errorf("cell %d (%s): never seen running", i+1, when)}
		case p.Distinct < 2:
			return []error{fmt.Errorf("cell %d (%s): no live progress while it ran (%d distinct outputs)", i+1, when, p.Distinct)}
		}
		return nil
	}
	return []error{fmt.Errorf("cell %d (%s): not watched", i+1, when)}
}

// controlErrors checks that every slider and select of cell i redrew an image,
// every button but stop showed progress and a new image, and stop ended the
// cell.
func controlErrors(i int, rep *pageReport) []error {
	var errs []error
	for _, c := range rep.Controls {
		if c.Cell != i {
			continue
		}
		moved := 0
		for _, a := range c.Actions {
			switch a.Kind {
			case "slider", "select":
				moved++
				if !a.Changed {
					errs = append(errs, fmt.Errorf("cell %d: moving %s %q changed no image", i+1, a.Kind, a.Label))
				}
			case "stop":
				if !a.Changed {
					errs = append(errs, fmt.Errorf("cell %d: pressing stop did not end the cell within 30 s", i+1))
				}
			case "button":
				if !a.Changed || a.Distinct < 2 {
					errs = append(errs, fmt.Errorf("cell %d: button %q: image changed %v, %d distinct outputs while it worked (want a new image and live progress)",
						i+1, a.Label, a.Changed, a.Distinct))
				}
			}
		}
		if moved == 0 {
			errs = append(errs, fmt.Errorf("cell %d: no slider or select appeared, or the widgets never connected", i+1))
		}
		return errs
	}
	return []error{fmt.Errorf("cell %d: controls not exercised", i+1)}
}

// browse starts a Jupyter server for srv in dir and drives the named
// notebooks there with drive.mjs; it returns the reports by notebook name.
// Server and browser are stopped before it returns.
func browse(t *testing.T, tl tools, env []string, srv server, dir string, names []string) map[string]*pageReport {
	t.Helper()
	return drive(t, tl, startServer(t, tl, env, srv, dir), srv.app, "", dir, names)
}

// drive runs drive.mjs on the named notebooks of dir, served at url (with its
// base URL) by the front end app ("lab" or "notebook"), with token if the
// server wants one; it returns the reports by notebook name.
func drive(t *testing.T, tl tools, url, app, token, dir string, names []string) map[string]*pageReport {
	t.Helper()
	shots, err := os.MkdirTemp("", "hig-browser-shots-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv(keepShotsEnv) == "1" {
			t.Logf("screenshots kept in %s", shots)
		} else {
			os.RemoveAll(shots)
		}
	})
	type spec struct {
		Name     string `json:"name"`
		Progress []int  `json:"progress"`
		Controls []int  `json:"controls"`
	}
	var specs []spec
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		nb, err := notebooks.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		s := spec{Name: name, Progress: []int{}, Controls: []int{}}
		for i, c := range nb.Cells {
			if c.Expects("progress") {
				s.Progress = append(s.Progress, i)
			}
			if c.Expects("controls") {
				s.Controls = append(s.Controls, i)
			}
		}
		specs = append(specs, s)
	}
	tmp := t.TempDir()
	cfg, err := json.Marshal(map[string]any{
		"url": url, "app": app, "token": token, "chromium": tl.chromium, "shots": shots, "notebooks": specs,
		"timeoutMs": notebookTimeout.Milliseconds(),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath, resPath := filepath.Join(tmp, "config.json"), filepath.Join(tmp, "result.json")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(len(names)+1)*notebookTimeout)
	defer cancel()
	script, err := filepath.Abs(filepath.Join(browserDir, "drive.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, tl.node, script, cfgPath, resPath)
	cmd.Dir = browserDir
	// On a timeout, SIGTERM lets playwright close Chromium before node exits;
	// Pdeathsig sends it too if the test process dies.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.WaitDelay = 20 * time.Second
	// The driver's log goes to the test log line by line, as it comes.
	log := &lineLogger{t: t}
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	runErr := cmd.Run()
	log.flush()
	t.Logf("browser session: %v", time.Since(start).Round(time.Second))
	if runErr != nil {
		t.Errorf("drive.mjs: %v", runErr)
	}
	var reps []*pageReport
	if b, err := os.ReadFile(resPath); err != nil {
		t.Fatalf("no result from drive.mjs: %v", err)
	} else if err := json.Unmarshal(b, &reps); err != nil {
		t.Fatalf("result of drive.mjs: %v", err)
	}
	byName := map[string]*pageReport{}
	for _, r := range reps {
		byName[r.Name] = r
		for _, p := range r.Progress {
			t.Logf("%s: cell %d showed %d distinct outputs while it ran", r.Name, p.Cell+1, p.Distinct)
		}
		for _, p := range r.Rerun {
			t.Logf("%s: cell %d showed %d distinct outputs while it ran again", r.Name, p.Cell+1, p.Distinct)
		}
		for _, i := range r.Retried {
			t.Logf("%s: cell %d ran again: its widgets had not connected (GoNB allows the page 500 ms)", r.Name, i+1)
		}
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv(keepShotsEnv) == "1" { // console errors help to explain a failure; else they are noise
			for _, r := range reps {
				for _, m := range r.Console {
					t.Logf("%s: browser console: %s", r.Name, m)
				}
			}
		}
	})
	return byName
}

// startServer starts JupyterLab or Notebook 7 (srv) on a free loopback port
// in dir, with the application exposed to the page (window.jupyterapp), and
// returns its URL with the base URL (no final slash) once it answers; a
// cleanup stops it and its kernels. Its settings and workspaces go below the
// throwaway JUPYTER_CONFIG_DIR of env, with the news and update checks off
// (they would reach the internet).
func startServer(t *testing.T, tl tools, env []string, srv server, dir string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := t.TempDir()
	settings := filepath.Join(cfg, "lab", "user-settings", "@jupyterlab", "apputils-extension")
	if err := os.MkdirAll(settings, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(settings, "notification.jupyterlab-settings"),
		[]byte(`{"fetchNews": "false", "checkForUpdates": false}`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--no-browser", "--ip=127.0.0.1", "--port=" + strconv.Itoa(port),
		"--port-retries=0", "--ServerApp.token=", "--ServerApp.password=",
		"--ServerApp.root_dir=" + dir, "--ServerApp.base_url=" + srv.base,
		"--expose-app-in-browser"}
	if os.Geteuid() == 0 {
		args = append(args, "--allow-root")
	}
	bin := tl.lab
	if srv.app == "notebook" {
		bin = tl.notebook
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(slices.Clone(env), "JUPYTER_CONFIG_DIR="+cfg)
	cmd.Dir = dir
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	// Pdeathsig: if the test process dies (a go test -timeout panic runs no
	// cleanups), the server still gets SIGTERM and shuts its kernels down.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// SIGTERM makes the server shut its kernels down; whatever is left of
		// its process group after 20 s is killed.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			t.Logf("%s server log:\n%s", filepath.Base(bin), tail(log.Bytes(), 80))
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d%s", port, strings.TrimSuffix(srv.base, "/"))
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(url + "/api/status")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("%s exited: %v\n%s", filepath.Base(bin), err, tail(log.Bytes(), 60))
		case <-time.After(300 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer at %s within 90 s\n%s", filepath.Base(bin), url, tail(log.Bytes(), 60))
		}
	}
}

// lineLogger writes each complete line it is given to the test log.
type lineLogger struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.t.Log(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
}

func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log(string(l.buf))
		l.buf = nil
	}
}
