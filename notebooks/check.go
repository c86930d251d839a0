// Package notebooks holds the project's GoNB notebooks (*.ipynb in this
// folder) and checks them: `go test ./notebooks` executes every notebook
// headlessly with jupyter nbconvert and then inspects the executed .ipynb.
//
// # What always fails a notebook
//
// Any code cell with an output of type "error" (a compile error, a panic, a
// non-zero exit, a failed shell command), or with stderr text that contains
// "panic:" or a Go compiler diagnostic ("file.go:12:3: ...").
//
// # Expectation markers
//
// A code cell can state what its outputs must contain with marker comments,
// one per line, anywhere in the cell's source:
//
//	// expect: image
//	// expect: range NAME LO HI
//	// expect: text SUBSTRING
//	// expect: progress
//	// expect: controls
//
// "image" requires a display output with "image/png" or "image/svg+xml" data
// (for example from gonbui.DisplayPng or gonbui.DisplaySvg).
//
// "range NAME LO HI" requires a line of the cell's text output of the form
//
//	NAME = NUMBER
//
// (spaces around "=" optional, anything after the number ignored), where
// LO ≤ NUMBER ≤ HI; LO and HI are Go floating-point literals and NaN never
// passes. If NAME is printed several times (say a loss per epoch), the last
// line counts. The text output is the stdout stream plus any "text/plain"
// display data.
//
// "text SUBSTRING" requires the cell's text output to contain SUBSTRING (the
// rest of the line after "text ", trimmed).
//
// "progress" marks a cell that shows live progress while it runs. Headless,
// it requires a display output (the live block, saved with its last content);
// the browser test (TestBrowser) also requires the cell's output to change
// while it runs, on a first run and again when the cell is re-run.
//
// "controls" marks a cell with widgets (sliders, selects, buttons) that need
// a live browser. Headless it requires nothing more; the browser test requires
// that moving each slider or select redraws an image of the cell and that
// pressing each button (but one labelled "stop", which ends the cell) updates
// its output while the button's work runs.
//
// Any other "// expect:" line is an error, so that a typo cannot silently
// disable a check. Markers are ordinary Go comments, so the cell still
// compiles, and they tell a reader what the cell is meant to show.
package notebooks

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// MarkerPrefix starts an expectation marker line in a code cell.
const MarkerPrefix = "// expect:"

// Notebook is the part of an nbformat 4 notebook that Check reads.
type Notebook struct {
	Cells []Cell `json:"cells"`
}

// Cell is one notebook cell.
type Cell struct {
	CellType string    `json:"cell_type"`
	ID       string    `json:"id"`
	Source   multiline `json:"source"`
	Outputs  []Output  `json:"outputs"`
}

// Output is one output of a code cell.
type Output struct {
	OutputType string               `json:"output_type"` // stream, display_data, execute_result, error
	Name       string               `json:"name"`        // stream: stdout or stderr
	Text       multiline            `json:"text"`        // stream
	Data       map[string]multiline `json:"data"`        // display_data, execute_result
	EName      string               `json:"ename"`       // error
	EValue     string               `json:"evalue"`      // error
	Traceback  []string             `json:"traceback"`   // error
}

// multiline is nbformat's "multiline string": a string or a list of strings
// to be concatenated.
type multiline string

// UnmarshalJSON accepts a JSON string or a list of strings; any other value
// (such as a JSON object in "application/json" data) is kept as raw JSON.
func (m *multiline) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multiline(s)
		return nil
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err == nil {
		*m = multiline(strings.Join(parts, ""))
		return nil
	}
	*m = multiline(b)
	return nil
}

// Parse decodes an .ipynb file.
func Parse(data []byte) (*Notebook, error) {
	var nb Notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("parsing notebook JSON: %w", err)
	}
	return &nb, nil
}

// Check returns one error for every failed cell output and every unmet
// expectation marker in the executed notebook nb; none means it passed.
func Check(nb *Notebook) []error {
	var errs []error
	code := 0
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		code++
		where := fmt.Sprintf("cell %d (code cell %d", i+1, code)
		if c.ID != "" {
			where += ", id " + c.ID
		}
		where += ")"
		for _, err := range checkCell(c) {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
	}
	return errs
}

// compileDiag matches a Go compiler or vet diagnostic such as
// "./main.go:10:13: undefined: x".
var compileDiag = regexp.MustCompile(`(?m)\.go:\d+:\d+: `)

// ansiEscape matches terminal colour codes, which GoNB puts in tracebacks.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

func checkCell(c Cell) []error {
	var errs []error
	for _, o := range c.Outputs {
		switch {
		case o.OutputType == "error":
			msg := o.EName + ": " + o.EValue
			if tb := strings.Join(o.Traceback, "\n"); tb != "" && !strings.Contains(msg, tb) {
				msg += "\n" + tb
			}
			errs = append(errs, fmt.Errorf("error output: %s", clean(msg)))
		case o.OutputType == "stream" && o.Name == "stderr":
			s := string(o.Text)
			if strings.Contains(s, "panic:") || compileDiag.MatchString(s) {
				errs = append(errs, fmt.Errorf("stderr: %s", clean(s)))
			}
		}
	}
	for _, m := range markers(string(c.Source)) {
		if err := m.check(c); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", MarkerPrefix, m.text, err))
		}
	}
	return errs
}

// clean removes colour codes and trailing space from a message and shortens
// it to a readable length.
func clean(s string) string {
	s = strings.TrimSpace(ansiEscape.ReplaceAllString(s, ""))
	const max = 4000
	if len(s) > max {
		s = s[:max] + "\n…(truncated)"
	}
	return s
}

// marker is one "// expect:" line of a cell.
type marker struct {
	text string // after the prefix, trimmed
}

// Expects reports whether the cell has an expectation marker of the given
// kind ("image", "range", "text", "progress", "controls").
func (c Cell) Expects(kind string) bool {
	for _, m := range markers(string(c.Source)) {
		if k, _, _ := strings.Cut(m.text, " "); k == kind {
			return true
		}
	}
	return false
}

func markers(source string) []marker {
	var ms []marker
	for _, line := range strings.Split(source, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), MarkerPrefix)
		if ok {
			ms = append(ms, marker{text: strings.TrimSpace(rest)})
		}
	}
	return ms
}

func (m marker) check(c Cell) error {
	kind, arg, _ := strings.Cut(m.text, " ")
	arg = strings.TrimSpace(arg)
	switch kind {
	case "image":
		if arg != "" {
			return fmt.Errorf("marker takes no arguments")
		}
		for _, o := range c.Outputs {
			if _, ok := o.Data["image/png"]; ok {
				return nil
			}
			if _, ok := o.Data["image/svg+xml"]; ok {
				return nil
			}
		}
		return fmt.Errorf("no image/png or image/svg+xml output")
	case "range":
		return checkRange(arg, textOutput(c))
	case "progress":
		if arg != "" {
			return fmt.Errorf("marker takes no arguments")
		}
		for _, o := range c.Outputs {
			if o.OutputType == "display_data" {
				return nil
			}
		}
		return fmt.Errorf("no display output (the live progress block)")
	case "controls":
		if arg != "" {
			return fmt.Errorf("marker takes no arguments")
		}
		return nil
	case "text":
		if arg == "" {
			return fmt.Errorf("marker needs a substring")
		}
		if !strings.Contains(textOutput(c), arg) {
			return fmt.Errorf("text output does not contain %q", arg)
		}
		return nil
	default:
		return fmt.Errorf("unknown marker %q (want image, range NAME LO HI, text SUBSTRING, progress or controls)", kind)
	}
}

// textOutput joins a cell's stdout and text/plain outputs.
func textOutput(c Cell) string {
	var b strings.Builder
	for _, o := range c.Outputs {
		if o.OutputType == "stream" && o.Name == "stdout" {
			b.WriteString(string(o.Text))
		}
		if t, ok := o.Data["text/plain"]; ok {
			b.WriteString(string(t))
		}
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func checkRange(arg, text string) error {
	f := strings.Fields(arg)
	if len(f) != 3 {
		return fmt.Errorf("want: range NAME LO HI")
	}
	name := f[0]
	lo, err1 := strconv.ParseFloat(f[1], 64)
	hi, err2 := strconv.ParseFloat(f[2], 64)
	if err1 != nil || err2 != nil || !(lo <= hi) {
		return fmt.Errorf("bad bounds %q %q: want numbers LO ≤ HI", f[1], f[2])
	}
	line := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(name) + `\s*=\s*(\S+)`)
	all := line.FindAllStringSubmatch(text, -1)
	if all == nil {
		return fmt.Errorf("no line %q in the text output", name+" = NUMBER")
	}
	s := strings.TrimRight(all[len(all)-1][1], ",;")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%s = %s is not a number", name, s)
	}
	if math.IsNaN(v) || v < lo || v > hi {
		return fmt.Errorf("%s = %v is outside [%v, %v]", name, v, lo, hi)
	}
	return nil
}
