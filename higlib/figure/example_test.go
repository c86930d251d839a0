package figure_test

import (
	"bytes"
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/higlab/hig/higlib/figure"
)

// A figure of one run whose loss and activations are given as plotter.XYs;
// any type with Len and XY methods does as well.
func ExampleFigure_Render() {
	var loss, mean, path plotter.XYs
	for i := range 20 {
		t := float64(i)
		loss = append(loss, plotter.XY{X: t, Y: math.Exp(-t / 5)})
		mean = append(mean, plotter.XY{X: t, Y: 0.1 * t})
		path = append(path, plotter.XY{X: t / 20, Y: -t / 20})
	}
	f := figure.Figure{
		Title:  "one run",
		XLabel: "step",
		Series: []figure.Series{{Label: "HIG", Loss: loss, Mean: mean, Path: path}},
		Target: []float64{1, -1},
	}
	png, err := f.Render("png")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.HasPrefix(png, []byte("\x89PNG")))
	// Output: true
}

// Row lays out plots made with NewPlot, whose text stays legible at a
// notebook's width; LogAxis gives a log axis that cannot panic, here with
// a loss that reaches zero (the point is left out by Segments).
func ExampleRow() {
	p := figure.NewPlot("loss", "step", "loss")
	figure.LogAxis(&p.Y)
	for _, seg := range figure.Segments(plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 0.1}, {X: 2, Y: 0}, {X: 3, Y: 1e-3}}, false, true) {
		l, err := plotter.NewLine(seg)
		if err != nil {
			fmt.Println(err)
			return
		}
		l.Color = figure.Palette[0]
		p.Add(l)
	}
	q := figure.NewPlot("empty", "x", "y")
	svg, err := figure.Row("svg", 8*vg.Inch, 3*vg.Inch, p, q)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.Contains(svg, []byte("<svg")))
	// Output: true
}

func ExampleLogRange() {
	fmt.Println(figure.LogRange(0.01, 0.01)) // a single value: half a decade either side
	fmt.Println(figure.LogRange(0, 5))       // reaching zero: three decades below the top
	fmt.Println(figure.LogRange(math.Inf(1), math.Inf(-1)))
	// Output:
	// 0.0031622776601683794 0.0316227766016838
	// 0.005 5
	// 1 10
}

func ExampleSegments() {
	xy := plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: math.NaN()}, {X: 2, Y: 0.5}, {X: 3, Y: 0}, {X: 4, Y: 0.25}}
	fmt.Println(figure.Segments(xy, false, false))
	fmt.Println(figure.Segments(xy, false, true))
	// Output:
	// [[{0 1}] [{2 0.5} {3 0} {4 0.25}]]
	// [[{0 1}] [{2 0.5}] [{4 0.25}]]
}
