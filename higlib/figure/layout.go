package figure

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Palette holds the colours given to series by position: the i-th series
// of a figure is drawn in Palette[i % len(Palette)]. The first three are
// those of the chapter's figure (blue, red, purple, in the order Adam,
// Gauss-Newton, HIG when the caller passes them so); the rest are distinct
// from those and from each other.
var Palette = []color.Color{
	color.NRGBA{R: 30, G: 136, B: 229, A: 255},
	color.NRGBA{R: 200, G: 20, B: 60, A: 255},
	color.NRGBA{R: 142, G: 68, B: 173, A: 255},
	color.NRGBA{R: 40, G: 160, B: 90, A: 255},
	color.NRGBA{R: 230, G: 140, B: 0, A: 255},
	color.NRGBA{R: 90, G: 90, B: 90, A: 255},
}

// Text sizes of everything this package draws. With the default width of
// 10 inches at DefaultDPI, a picture is 1000 pixels wide, which a notebook
// shows at about its natural size; one point is then 100/72 pixels, so the
// smallest text (TickSize, 11 points) is about 15 pixels tall, the size a
// reader needs at notebook width (14 pixels or more).
const (
	TitleSize  = 14 * vg.Inch / 72 // figure title
	PanelSize  = 13 * vg.Inch / 72 // panel titles
	LabelSize  = 12 * vg.Inch / 72 // axis labels
	TickSize   = 11 * vg.Inch / 72 // tick labels, legends and notes
	DefaultDPI = 100               // PNG resolution: 10 inches are 1000 pixels
)

// NewPlot returns an empty plot with the given title and axis labels, in
// the text sizes of this package.
func NewPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xlabel, ylabel
	p.Title.TextStyle.Font.Size = PanelSize
	p.Title.Padding = vg.Points(4)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = LabelSize
		a.Tick.Label.Font.Size = TickSize
	}
	p.Legend.TextStyle.Font.Size = TickSize
	p.Legend.Padding = vg.Points(2) // labels with super- and subscripts need the room
	p.Legend.Top = true
	return p
}

// Grid lays plots out in rows of equal-sized cells, with their data areas
// aligned, under an optional title, and encodes the picture as PNG or SVG
// in memory, so that notebooks (gonbui.DisplayPng) and files share one
// code path. The zero value is ready to use.
type Grid struct {
	Title string // drawn above the plots; empty means none
	// Width and Height of the whole picture; zero means 10 inches wide
	// and 3.8 inches per row.
	Width, Height vg.Length
	// DPI is the resolution of PNG output; zero means DefaultDPI.
	DPI int
}

// Render draws rows of plots and returns them encoded as "png" or "svg".
// Rows shorter than the longest leave their last cells empty, as do nil
// plots. Each plot is passed through Tidy first, so empty, single-valued
// and non-positive log ranges draw instead of panicking; a panic inside a
// plotter is returned as an error. Render fails if there is no plot.
func (g Grid) Render(format string, rows ...[]*plot.Plot) (b []byte, err error) {
	cols, n := 0, 0
	for _, r := range rows {
		cols = max(cols, len(r))
		for _, p := range r {
			if p != nil {
				n++
			}
		}
	}
	if n == 0 {
		return nil, errors.New("figure: no plots to draw")
	}
	w, h, dpi := g.Width, g.Height, g.DPI
	if w <= 0 {
		w = 10 * vg.Inch
	}
	if h <= 0 {
		h = vg.Length(len(rows)) * 3.8 * vg.Inch
	}
	if dpi <= 0 {
		dpi = DefaultDPI
	}
	var canvas vg.CanvasWriterTo
	switch format {
	case "png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))}
	case "svg":
		canvas = vgsvg.New(w, h)
	default:
		return nil, fmt.Errorf("figure: unknown format %q: use png or svg", format)
	}
	grid := make([][]*plot.Plot, len(rows))
	for i, r := range rows {
		grid[i] = make([]*plot.Plot, cols)
		copy(grid[i], r)
		for _, p := range r {
			if p != nil {
				Tidy(p)
			}
		}
	}
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("figure: drawing failed: %v", r)
		}
	}()
	dc := draw.New(canvas)
	if g.Title != "" {
		dc = drawTitle(dc, g.Title)
	}
	tiles := draw.Tiles{Rows: len(rows), Cols: cols, PadX: vg.Points(22), PadY: vg.Points(10),
		PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(10)}
	cells := plot.Align(grid, tiles, dc)
	for i, r := range grid {
		drawRow(r, cells[i])
	}
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("figure: encoding %s: %w", format, err)
	}
	return buf.Bytes(), nil
}

// Row draws plots side by side on a w × h picture (zero takes Grid's
// defaults) and returns it encoded as "png" or "svg"; it is
// Grid{Width: w, Height: h}.Render(format, plots).
func Row(format string, w, h vg.Length, plots ...*plot.Plot) ([]byte, error) {
	return Grid{Width: w, Height: h}.Render(format, plots)
}

// drawRow draws a row of plots into the cells plot.Align gave them, with
// their titles on one line. (plot.Align lines up the data areas, but a plot
// draws its title at the top of its cell, and the cells' tops differ when
// a tick label overhangs one plot's data area, so the titles would not.)
func drawRow(plots []*plot.Plot, cells []draw.Canvas) {
	top := vg.Length(math.Inf(-1))
	for j, p := range plots {
		if p != nil && p.Title.Text != "" {
			top = max(top, cells[j].Max.Y)
		}
	}
	for j, p := range plots {
		if p == nil {
			continue
		}
		c, title := cells[j], p.Title.Text
		if title == "" {
			p.Draw(c)
			continue
		}
		// Drawing without the title in the cell less the title's height
		// leaves the data area where plot.Align put it.
		c.Max.Y -= p.Title.TextStyle.Rectangle(title).Size().Y + p.Title.Padding
		p.Title.Text = ""
		p.Draw(c)
		data := p.DataCanvas(c)
		p.Title.Text = title
		sty := p.Title.TextStyle
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		c.FillText(sty, vg.Point{X: (data.Min.X + data.Max.X) / 2, Y: top}, title)
	}
}

// drawTitle writes the title at the top of dc and returns the area below it.
func drawTitle(dc draw.Canvas, title string) draw.Canvas {
	sty := plot.New().Title.TextStyle
	sty.Font.Size = TitleSize
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	h := sty.Height(title) + vg.Points(8)
	dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(4)}, title)
	dc.Max.Y -= h
	return dc
}
