package notebooks_test

import (
	"strings"
	"testing"

	"github.com/higlab/hig/notebooks"
)

// nb wraps cells (JSON objects) into a minimal notebook.
func nb(cells ...string) []byte {
	return []byte(`{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [` +
		strings.Join(cells, ",") + `]}`)
}

const (
	stdout42     = `{"output_type": "stream", "name": "stdout", "text": ["step = 1\n", "answer = 42\n"]}`
	pngOut       = `{"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgo="}}`
	svgOut       = `{"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": ["<svg/>"]}}`
	htmlOut      = `{"output_type": "display_data", "metadata": {}, "data": {"text/html": "<b>hi</b>", "application/json": {"a": 1}}}`
	plainOut     = `{"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": "loss = 1e-3"}}`
	errOut       = `{"output_type": "error", "ename": "ERROR", "evalue": "exit status 2", "traceback": ["\u001b[31mexit status 2\u001b[0m"]}`
	panicOut     = `{"output_type": "stream", "name": "stderr", "text": "panic: boom\n\ngoroutine 1 [running]:\n"}`
	compileOut   = `{"output_type": "stream", "name": "stderr", "text": "./main.go:10:13: undefined: x\n"}`
	plainDisplay = `{"output_type": "display_data", "metadata": {}, "data": {"text/plain": "training …"}}`
	harmlessErr  = `{"output_type": "stream", "name": "stderr", "text": "go: downloading gonum.org/v1/plot v0.17.0\n"}`
)

// code returns a code cell with the given source lines and outputs.
func code(source []string, outputs ...string) string {
	var src []string
	for _, s := range source {
		src = append(src, `"`+strings.ReplaceAll(s, `"`, `\"`)+`\n"`)
	}
	return `{"cell_type": "code", "id": "c", "metadata": {}, "execution_count": 1, "source": [` +
		strings.Join(src, ",") + `], "outputs": [` + strings.Join(outputs, ",") + `]}`
}

func TestCheck(t *testing.T) {
	markdown := `{"cell_type": "markdown", "id": "m", "metadata": {}, "source": "// expect: image"}`
	tests := []struct {
		name    string
		nb      []byte
		wantErr []string // substrings, one per expected error; none means pass
	}{
		{"empty", nb(), nil},
		{"no markers", nb(code([]string{"x := 1"}, stdout42)), nil},
		{"markdown markers ignored", nb(markdown), nil},
		{"image png", nb(code([]string{"// expect: image"}, pngOut)), nil},
		{"image svg", nb(code([]string{"  // expect: image  "}, svgOut)), nil},
		{"image missing", nb(code([]string{"// expect: image"}, stdout42, htmlOut)),
			[]string{"no image/png"}},
		{"image with argument", nb(code([]string{"// expect: image png"}, pngOut)),
			[]string{"no arguments"}},
		{"range ok", nb(code([]string{"// expect: range answer 41 43"}, stdout42)), nil},
		{"range bounds inclusive", nb(code([]string{"// expect: range answer 42 42"}, stdout42)), nil},
		{"range text/plain and exponent", nb(code([]string{"// expect: range loss 0 1e-2"}, plainOut)), nil},
		{"range last line counts", nb(code([]string{"// expect: range x 2.5 3"},
			`{"output_type": "stream", "name": "stdout", "text": "x = 100\nx=2.75, done\n"}`)), nil},
		{"range outside", nb(code([]string{"// expect: range answer 0 1"}, stdout42)),
			[]string{"answer = 42 is outside [0, 1]"}},
		{"range missing name", nb(code([]string{"// expect: range loss 0 1"}, stdout42)),
			[]string{`no line "loss = NUMBER"`}},
		{"range name is not a prefix match", nb(code([]string{"// expect: range swer 0 100"}, stdout42)),
			[]string{`no line "swer = NUMBER"`}},
		{"range NaN", nb(code([]string{"// expect: range loss 0 1"},
			`{"output_type": "stream", "name": "stdout", "text": "loss = NaN\n"}`)),
			[]string{"outside"}},
		{"range not a number", nb(code([]string{"// expect: range loss 0 1"},
			`{"output_type": "stream", "name": "stdout", "text": "loss = small\n"}`)),
			[]string{"not a number"}},
		{"range stderr not counted", nb(code([]string{"// expect: range loss 0 1"},
			`{"output_type": "stream", "name": "stderr", "text": "loss = 0.5\n"}`)),
			[]string{"no line"}},
		{"range bad syntax", nb(code([]string{"// expect: range answer 41"}, stdout42)),
			[]string{"want: range NAME LO HI"}},
		{"range bad bounds", nb(code([]string{"// expect: range answer 43 41"}, stdout42)),
			[]string{"bad bounds"}},
		{"text ok", nb(code([]string{"// expect: text step = 1"}, stdout42)), nil},
		{"text missing", nb(code([]string{"// expect: text converged"}, stdout42)),
			[]string{`does not contain "converged"`}},
		{"progress block", nb(code([]string{"// expect: progress"}, plainDisplay)), nil},
		{"progress without display", nb(code([]string{"// expect: progress"}, stdout42)),
			[]string{"no display output"}},
		{"progress with argument", nb(code([]string{"// expect: progress 1"}, plainDisplay)),
			[]string{"no arguments"}},
		{"controls", nb(code([]string{"// expect: controls"}, pngOut)), nil},
		{"table as markdown with plain text", nb(code([]string{"// expect: text | 0.01 | HIG |"},
			`{"output_type": "display_data", "metadata": {}, "data": {"text/markdown": "| 0.01 | HIG |", "text/plain": "| 0.01 | HIG |"}}`)), nil},
		{"unknown marker", nb(code([]string{"// expect: imgae"}, pngOut)),
			[]string{`unknown marker "imgae"`}},
		{"error output", nb(code(nil, errOut)), []string{"error output: ERROR: exit status 2"}},
		{"panic on stderr", nb(code(nil, panicOut)), []string{"stderr: panic: boom"}},
		{"compile error on stderr", nb(code(nil, compileOut)), []string{"undefined: x"}},
		{"harmless stderr", nb(code(nil, harmlessErr)), nil},
		{"several failures, several cells", nb(
			code([]string{"// expect: image", "// expect: range answer 0 1"}, stdout42),
			markdown,
			code(nil, errOut)),
			[]string{"cell 1 (code cell 1, id c): // expect: image: no image",
				"cell 1 (code cell 1, id c): // expect: range answer 0 1: answer = 42",
				"cell 3 (code cell 2, id c): error output"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parsed, err := notebooks.Parse(tt.nb)
			if err != nil {
				t.Fatal(err)
			}
			errs := notebooks.Check(parsed)
			if len(errs) != len(tt.wantErr) {
				t.Fatalf("got %d errors %q, want %d", len(errs), errs, len(tt.wantErr))
			}
			for i, err := range errs {
				if !strings.Contains(err.Error(), tt.wantErr[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, err, tt.wantErr[i])
				}
			}
		})
	}
}

func TestCheckErrorStripsColour(t *testing.T) {
	parsed, err := notebooks.Parse(nb(code(nil, errOut)))
	if err != nil {
		t.Fatal(err)
	}
	errs := notebooks.Check(parsed)
	if len(errs) != 1 || strings.Contains(errs[0].Error(), "\x1b") {
		t.Fatalf("got %q, want one error without ANSI escapes", errs)
	}
}

func TestParseInvalid(t *testing.T) {
	if _, err := notebooks.Parse([]byte("{not json")); err == nil {
		t.Fatal("Parse accepted invalid JSON")
	}
}

func TestExpects(t *testing.T) {
	parsed, err := notebooks.Parse(nb(code([]string{"// expect: progress", "// expect: range loss 0 1"})))
	if err != nil {
		t.Fatal(err)
	}
	c := parsed.Cells[0]
	for kind, want := range map[string]bool{"progress": true, "range": true, "image": false, "controls": false} {
		if got := c.Expects(kind); got != want {
			t.Errorf("Expects(%q) = %v, want %v", kind, got, want)
		}
	}
}
