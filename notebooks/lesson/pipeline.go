package lesson

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/higlab/hig/higlib/figure"
)

// Pipeline draws notebook 1's diagram of the spaces a physics-based loss
// passes through, θ → z → y → L, for a mini-batch of batch samples, a
// network with params parameters and dim outputs per sample, and the toy's
// physics y = (z₁, λz₂). It returns a PNG 1000 pixels wide whose text is
// 20 pixels tall (the font size), at least 17 as shown at a notebook's
// width of about 900 pixels.
func Pipeline(lambda float64, batch, params, dim int) ([]byte, error) {
	if batch < 1 || params < 1 || dim < 1 {
		return nil, fmt.Errorf("lesson: Pipeline needs batch, params and dim ≥ 1, got %d, %d, %d", batch, params, dim)
	}
	// Coordinates are pixels of a 1000 × 250 layout (y down), drawn at 0.72
	// points per pixel on a 100 dpi canvas.
	const W, H, s = 1000.0, 250.0, 0.72
	img := vgimg.NewWith(vgimg.UseWH(W*s, H*s), vgimg.UseDPI(100), vgimg.UseBackgroundColor(color.White))
	c := draw.New(img)
	pt := func(x, y float64) vg.Point { return vg.Point{X: vg.Length(x * s), Y: vg.Length((H - y) * s)} }
	text := func(x, y, size float64, col color.Color, str string) {
		c.FillText(draw.TextStyle{Color: col, Font: font.From(plot.DefaultFont, vg.Length(size*s)),
			Handler: plot.DefaultTextHandler, XAlign: draw.XCenter, YAlign: draw.YCenter}, pt(x, y), str)
	}
	// arrow draws a quadratic Bézier curve from a to b bending towards ctl,
	// with a head at b.
	arrow := func(col color.Color, a, ctl, b [2]float64) {
		var ps []vg.Point
		for i := 0; i <= 30; i++ {
			t := float64(i) / 30
			ps = append(ps, pt((1-t)*(1-t)*a[0]+2*t*(1-t)*ctl[0]+t*t*b[0], (1-t)*(1-t)*a[1]+2*t*(1-t)*ctl[1]+t*t*b[1]))
		}
		c.StrokeLines(draw.LineStyle{Color: col, Width: 2}, ps)
		dx, dy := b[0]-ctl[0], b[1]-ctl[1]
		n := math.Hypot(dx, dy)
		dx, dy = dx/n, dy/n
		c.FillPolygon(col, []vg.Point{pt(b[0], b[1]), pt(b[0]-12*dx-6*dy, b[1]-12*dy+6*dx), pt(b[0]-12*dx+6*dy, b[1]-12*dy-6*dx)})
	}
	box := func(x float64, title, sub string) {
		r := []vg.Point{pt(x, 45), pt(x+200, 45), pt(x+200, 120), pt(x, 120)}
		c.FillPolygon(color.NRGBA{R: 244, G: 240, B: 250, A: 255}, r)
		c.StrokeLines(draw.LineStyle{Color: figure.Palette[2], Width: 2}, append(r, r[0]))
		text(x+100, 68, 21, color.Black, title)
		text(x+100, 98, 20, color.Black, sub)
	}
	dark, red, blue := color.Gray{Y: 50}, figure.Palette[1], figure.Palette[0]
	text(500, 18, 20, dark, fmt.Sprintf("one mini-batch of b = %d samples: z and y stack %d values each", batch, batch*dim))
	box(10, "parameters θ", fmt.Sprintf("%d numbers", params))
	box(270, "network output z", fmt.Sprintf("zᵢ = f(xᵢ; θ), %d each", dim))
	box(530, "physics output y", fmt.Sprintf("yᵢ = (zᵢ₁, %g·zᵢ₂)", lambda))
	box(790, "loss L", fmt.Sprintf("(1/%d) Σᵢ ½‖yᵢ − ŷᵢ‖²", batch))
	for i, lbl := range []string{"f", "P", "vs ŷ"} {
		x := 210 + 260*float64(i)
		arrow(dark, [2]float64{x, 92}, [2]float64{x + 30, 92}, [2]float64{x + 58, 92})
		text(x+30, 72, 20, dark, lbl)
	}
	arrow(red, [2]float64{630, 122}, [2]float64{370, 250}, [2]float64{110, 124})
	text(370, 205, 20, red, fmt.Sprintf("J = ∂y/∂θ, %d × %d: GN and HIG invert it", batch*dim, params))
	arrow(blue, [2]float64{890, 122}, [2]float64{760, 175}, [2]float64{640, 124})
	text(805, 232, 20, blue, fmt.Sprintf("g = ∂L/∂y = (y − ŷ)/%d; GD forms Jᵀg", batch))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
