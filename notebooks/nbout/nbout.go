// Package nbout sends a GoNB notebook cell's text to the notebook through the
// same channel as its figures, so that text and figures appear in the order
// the cell produced them, and gives live-updating blocks (progress, figures
// redrawn by widgets) an id of their own on every run.
//
// GoNB forwards a cell's stdout and its displays (gonbui.DisplayPng, …) on two
// separate channels, each copied to the notebook by its own goroutine, so text
// printed with fmt.Print may land before or after a figure displayed later,
// depending on timing. A Text block is a display, created where its first line
// is printed and updated in place as lines are added, so it keeps its place
// among the figures.
//
// GoNB also remembers every display id for the kernel's lifetime and only
// sends updates for an id it has seen. A second run of a cell that reuses an
// id therefore updates a block the notebook has already cleared, and nothing
// shows. NewText draws a fresh id for every block.
//
// Outside a notebook (go test, go run) every function here does nothing.
package nbout

import (
	"fmt"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// send delivers one display message; tests replace it.
var send = func(d *protocol.DisplayData) {
	if gonbui.IsNotebook {
		gonbui.SendData(d)
	}
}

// Text is a block of plain text in a cell's output that can grow or be
// replaced while the cell runs. It is sent as "text/plain" display data, which
// the notebook shows like printed text and nbconvert saves with the notebook.
// Use one Text per place in the output: a block stays where it first appeared.
type Text struct {
	id string
	b  strings.Builder
}

// NewText returns an empty text block with an id unique to this run. Nothing
// is shown until the first Printf, Println or Set.
func NewText() *Text {
	return &Text{id: "nbout-text-" + gonbui.UniqueId()}
}

// Printf appends to the block, as fmt.Printf would print, and shows the result.
func (t *Text) Printf(format string, args ...any) {
	fmt.Fprintf(&t.b, format, args...)
	t.show()
}

// Println appends to the block, as fmt.Println would print, and shows the
// result.
func (t *Text) Println(args ...any) {
	fmt.Fprintln(&t.b, args...)
	t.show()
}

// Set replaces the block's content with s and shows it.
func (t *Text) Set(s string) {
	t.b.Reset()
	t.b.WriteString(s)
	t.show()
}

// String returns the block's content.
func (t *Text) String() string { return t.b.String() }

// ID returns the block's display id.
func (t *Text) ID() string { return t.id }

func (t *Text) show() {
	send(&protocol.DisplayData{
		Data:      map[protocol.MIMEType]any{protocol.MIMETextPlain: t.b.String()},
		DisplayID: t.id,
	})
}

// Markdown shows md rendered as Markdown (tables, math), with md itself as
// the plain-text version that nbconvert saves beside it and text-only
// front ends show. Use it instead of printing a table and displaying it too,
// which shows the table twice.
func Markdown(md string) {
	send(&protocol.DisplayData{
		Data: map[protocol.MIMEType]any{
			protocol.MIMETextMarkdown: md,
			protocol.MIMETextPlain:    md,
		},
	})
}

// Image is a PNG image in a cell's output that can be redrawn in place, for
// figures that widgets change or that grow during training. nbconvert saves
// its last image like any other.
type Image struct {
	id string
}

// NewImage returns an image block with an id unique to this run. Nothing is
// shown until the first PNG.
func NewImage() *Image {
	return &Image{id: "nbout-image-" + gonbui.UniqueId()}
}

// PNG shows png (the bytes of a PNG file) in the block, replacing what it
// showed before.
func (im *Image) PNG(png []byte) {
	send(&protocol.DisplayData{
		Data:      map[protocol.MIMEType]any{protocol.MIMEImagePNG: png},
		DisplayID: im.id,
	})
}

// ID returns the block's display id.
func (im *Image) ID() string { return im.id }
