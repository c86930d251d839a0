package explore

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/widgets"

	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/notebooks/nbout"
)

// Choices are what the explorer's controls offer and the settings shown
// first. The κ slider moves in steps of 1/KappaSteps from 1/KappaSteps to 1;
// log₁₀ τ from −14 to −1.
type Choices struct {
	Lambdas    []float64
	Batches    []int
	Modes      []halfinv.Mode
	KappaSteps int
	Defaults   Settings
}

// Redraw computes and draws the view for s into img and says in status
// what it shows and how long the redraw took, or what went wrong.
func Redraw(s Settings, status *nbout.Text, img *nbout.Image) {
	start := time.Now()
	v, err := Compute(s)
	var png []byte
	if err == nil {
		png, err = v.PNG()
	}
	if err != nil {
		status.Set(fmt.Sprintf("%v: %v", s, err))
		return
	}
	img.PNG(png)
	status.Set(fmt.Sprintf("%v: redrawn in %d ms", s, time.Since(start).Milliseconds()))
}

// TrainRun trains HIG with the settings s for steps steps at rate lr,
// showing the step and loss in progress and the loss curve in curve, at
// most four times a second, as it goes.
func TrainRun(s Settings, steps int, lr float64, progress *nbout.Text, curve *nbout.Image) {
	head := fmt.Sprintf("HIG, %v, η = %g", s, lr)
	var recs []Record
	show := func() {
		if png, err := LossPNG(head, recs, steps); err == nil {
			curve.PNG(png)
		}
	}
	start, last := time.Now(), time.Now()
	run, err := Train(s, steps, lr, func(r Record) {
		recs = append(recs, r)
		progress.Set(fmt.Sprintf("%s: step %d of %d, validation loss %.3g", head, r.Step, steps, r.Loss))
		if time.Since(last) > 250*time.Millisecond {
			show()
			last = time.Now()
		}
	})
	if err != nil {
		progress.Set(fmt.Sprintf("%s: %v", head, err))
		return
	}
	show()
	secs := time.Since(start).Seconds()
	if run.Err != nil {
		progress.Set(fmt.Sprintf("%s: stopped after %.1f s: %v", head, secs, run.Err))
		return
	}
	progress.Set(fmt.Sprintf("%s: %d steps in %.1f s, final validation loss %.3g", head, steps, secs, run.FinalLoss()))
}

// Controls are the explorer's widgets: Changes carries each slider's or
// select's new value as a function that applies it to the settings; Train
// and Stop receive the buttons' clicks.
type Controls struct {
	Changes     chan func(*Settings)
	Train, Stop *comms.AddressChan[int]
}

// NewControls shows the widgets for the choices in a table, with a button
// labelled train (trainLabel) and one labelled stop, and waits until the
// page has connected them. Widgets need a live browser: without one it
// gives up after wait. It first waits for GoNB's connection to the page
// (nbout.ConnectWidgets, which also lets the widgets connect under a
// JupyterHub or Binder base URL).
func NewControls(c Choices, trainLabel string, wait time.Duration) (*Controls, error) {
	if c.KappaSteps < 1 || len(c.Lambdas) == 0 || len(c.Batches) == 0 || len(c.Modes) == 0 {
		return nil, errors.New("explore: the choices need λ values, batch sizes, modes and KappaSteps ≥ 1")
	}
	if err := nbout.ConnectWidgets(wait); err != nil {
		return nil, errors.New("no browser connected the controls, so this shows the default settings only " +
			"(run the cell again in JupyterLab or Notebook 7 to use them)")
	}
	id := "hig-" + gonbui.UniqueId() // new on every run: GoNB remembers ids for the kernel's lifetime
	html := `<table style="margin: 0">`
	for i, label := range []string{"λ", "log₁₀ τ", "κ", "batch size b", "small σ", ""} {
		html += fmt.Sprintf(`<tr><td style="text-align: left">%s</td><td id="%s-%d" style="text-align: left; width: 24em"></td></tr>`, label, id, i)
	}
	gonbui.DisplayHTML(html + "</table>")
	at := func(i int) string { return fmt.Sprintf("%s-%d", id, i) }
	d := c.Defaults.withDefaults()
	lambdas, batches, modes := make([]string, len(c.Lambdas)), make([]string, len(c.Batches)), make([]string, len(c.Modes))
	li, bi, mi := 0, 0, 0
	for i, l := range c.Lambdas {
		lambdas[i] = fmt.Sprint(l)
		if l == d.Lambda {
			li = i
		}
	}
	for i, b := range c.Batches {
		batches[i] = fmt.Sprint(b)
		if b == d.Batch {
			bi = i
		}
	}
	for i, m := range c.Modes {
		modes[i] = m.String()
		if m == d.Mode {
			mi = i
		}
	}
	ctl := &Controls{Changes: make(chan func(*Settings), 64)}
	built := make(chan struct{})
	go func() {
		ctl.follow(widgets.Select(lambdas).SetDefault(li).AppendTo(at(0)).Done().Listen(),
			func(s *Settings, v int) { s.Lambda = c.Lambdas[v] })
		ctl.follow(widgets.Slider(-14, -1, int(math.Round(math.Log10(d.Tau)))).AppendTo(at(1)).Done().Listen(),
			func(s *Settings, v int) { s.Tau = math.Pow(10, float64(v)) })
		ctl.follow(widgets.Slider(1, c.KappaSteps, int(math.Round(d.Kappa*float64(c.KappaSteps)))).AppendTo(at(2)).Done().Listen(),
			func(s *Settings, v int) { s.Kappa = float64(v) / float64(c.KappaSteps) })
		ctl.follow(widgets.Select(batches).SetDefault(bi).AppendTo(at(3)).Done().Listen(),
			func(s *Settings, v int) { s.Batch = c.Batches[v] })
		ctl.follow(widgets.Select(modes).SetDefault(mi).AppendTo(at(4)).Done().Listen(),
			func(s *Settings, v int) { s.Mode = c.Modes[v] })
		ctl.Train = widgets.Button(trainLabel).AppendTo(at(5)).Done().Listen()
		ctl.Stop = widgets.Button("stop").AppendTo(at(5)).Done().Listen()
		close(built)
	}()
	select {
	case <-built:
		return ctl, nil
	case <-time.After(wait):
		return nil, errors.New("no browser connected the controls, so this shows the default settings only " +
			"(in a browser, GoNB's connection can time out while the machine is busy: run the cell again)")
	}
}

// follow forwards the values of one widget to c.Changes.
func (c *Controls) follow(ch *comms.AddressChan[int], set func(*Settings, int)) {
	go func() {
		for v := range ch.C {
			c.Changes <- func(s *Settings) { set(s, v) }
		}
	}()
}

// Run starts from the settings s and calls redraw after every change
// (several quick changes, one redraw) and train when the train button is
// pressed, until stop is pressed or nothing happened for idle.
func (c *Controls) Run(s Settings, redraw func(Settings), train func(Settings), idle time.Duration) {
	for {
		select {
		case f := <-c.Changes:
			f(&s)
			for more := true; more; {
				select {
				case f := <-c.Changes:
					f(&s)
				default:
					more = false
				}
			}
			redraw(s)
		case <-c.Train.C:
			train(s)
		case <-c.Stop.C:
			return
		case <-time.After(idle):
			return
		}
	}
}
