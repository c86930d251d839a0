package nbout

import (
	"testing"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// capture replaces send for the duration of the test and returns the
// messages sent.
func capture(t *testing.T) *[]*protocol.DisplayData {
	t.Helper()
	var got []*protocol.DisplayData
	old := send
	send = func(d *protocol.DisplayData) { got = append(got, d) }
	t.Cleanup(func() { send = old })
	return &got
}

func TestTextGrowsInPlace(t *testing.T) {
	got := capture(t)
	txt := NewText()
	txt.Printf("a = %d\n", 1)
	txt.Println("b =", 2)
	if len(*got) != 2 {
		t.Fatalf("sent %d messages, want 2", len(*got))
	}
	for i, d := range *got {
		if d.DisplayID != txt.ID() {
			t.Errorf("message %d has display id %q, want the block's %q", i, d.DisplayID, txt.ID())
		}
	}
	if s := (*got)[1].Data[protocol.MIMETextPlain]; s != "a = 1\nb = 2\n" {
		t.Errorf("second message shows %q, want both lines", s)
	}
	txt.Set("done")
	if s := (*got)[2].Data[protocol.MIMETextPlain]; s != "done" || txt.String() != "done" {
		t.Errorf("after Set: sent %q, String %q; want %q", s, txt.String(), "done")
	}
}

// A re-run of a cell creates new blocks; reusing an id makes GoNB send only
// updates for a block the notebook has cleared, so nothing would show.
func TestTextIDsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := NewText().ID()
		if seen[id] {
			t.Fatalf("id %q drawn twice", id)
		}
		seen[id] = true
	}
}

func TestMarkdownHasPlainText(t *testing.T) {
	got := capture(t)
	Markdown("| a | b |\n|---|---|\n| 1 | 2 |\n")
	if len(*got) != 1 {
		t.Fatalf("sent %d messages, want 1", len(*got))
	}
	d := (*got)[0]
	if d.DisplayID != "" {
		t.Errorf("Markdown sent display id %q, want none", d.DisplayID)
	}
	md, plain := d.Data[protocol.MIMETextMarkdown], d.Data[protocol.MIMETextPlain]
	if md == nil || md != plain {
		t.Errorf("markdown %q and plain text %q: want both, equal", md, plain)
	}
}

func TestNoOutputOutsideNotebook(t *testing.T) {
	// send is the real one here; gonbui.IsNotebook is false under go test.
	NewText().Printf("x = %d\n", 1)
	Markdown("x")
}

func TestImageRedrawsInPlace(t *testing.T) {
	got := capture(t)
	a, b := NewImage(), NewImage()
	if a.ID() == b.ID() {
		t.Fatalf("two images share the id %q", a.ID())
	}
	a.PNG([]byte("first"))
	a.PNG([]byte("second"))
	if len(*got) != 2 {
		t.Fatalf("sent %d messages, want 2", len(*got))
	}
	for i, want := range []string{"first", "second"} {
		d := (*got)[i]
		if d.DisplayID != a.ID() {
			t.Errorf("message %d: display id %q, want %q", i, d.DisplayID, a.ID())
		}
		if png, ok := d.Data[protocol.MIMEImagePNG].([]byte); !ok || string(png) != want {
			t.Errorf("message %d: image/png %v, want %q", i, d.Data[protocol.MIMEImagePNG], want)
		}
	}
}

func TestTableSendsHTMLAndPlainText(t *testing.T) {
	got := capture(t)
	md := "#### λ = 1\n\n| a | b |\n|---|:-:|\n| 1 | <x> |\n\nSeeds: [1 2].\nDiverged: +Inf.\n"
	Table(md)
	if len(*got) != 1 {
		t.Fatalf("sent %d messages, want 1", len(*got))
	}
	d := (*got)[0]
	if d.Data[protocol.MIMETextPlain] != md {
		t.Errorf("plain text %q, want the markdown %q", d.Data[protocol.MIMETextPlain], md)
	}
	if _, ok := d.Data[protocol.MIMETextMarkdown]; ok {
		t.Errorf("Table sent text/markdown, which an untrusted notebook shows as plain text")
	}
	want := "<h4>λ = 1</h4>\n<table>\n<tr><th>a</th><th>b</th></tr>\n<tr><td>1</td><td>&lt;x&gt;</td></tr>\n</table>\n" +
		"<p>Seeds: [1 2].\nDiverged: +Inf.</p>\n"
	if h := d.Data[protocol.MIMETextHTML]; h != want {
		t.Errorf("html:\n%s\nwant:\n%s", h, want)
	}
}

func TestTableHTMLEdgeCases(t *testing.T) {
	for _, c := range []struct{ md, want string }{
		{"", ""},
		{"#nospace", "<p>#nospace</p>\n"},
		{"####### seven", "<p>####### seven</p>\n"},
		{"| only header |", "<table>\n<tr><th>only header</th></tr>\n</table>\n"},
		{"| h |\n| not align |", "<table>\n<tr><th>h</th></tr>\n<tr><td>not align</td></tr>\n</table>\n"},
		{"text\n| a |", "<p>text</p>\n<table>\n<tr><th>a</th></tr>\n</table>\n"},
	} {
		if got := TableHTML(c.md); got != c.want {
			t.Errorf("TableHTML(%q) = %q, want %q", c.md, got, c.want)
		}
	}
}
