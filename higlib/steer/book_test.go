package steer

import (
	"math"
	"strings"
	"testing"

	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/oscillator"
)

func TestBookPresetSetup(t *testing.T) {
	s, err := NewSetup(Config{Preset: PresetBook, TrainSize: 8, TestSize: 4}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if s.Chain.Config() != mustChain(t, oscillator.Book()).Config() {
		t.Errorf("book preset chain %+v, want oscillator.Book()", s.Chain.Config())
	}
	// 4·20+20 + 2·(20·20+20) + 20·24+24 = 1444 parameters, tanh hidden layers.
	if p := s.Net.NumParams(); p != 1444 {
		t.Errorf("book network has %d parameters, want 1444", p)
	}
	if h := s.Net.Acts; h[0] != nn.Tanh || h[3] != nn.Identity {
		t.Errorf("book network activations %v, want tanh hidden and a linear output", h)
	}
	c := Config{Preset: PresetBook, Steps: 100}
	for key, want := range map[string]int{"hig": 100, "adam": 100 * BookAdamRatio, "sip": 100 * BookSIPRatio} {
		if got := c.StepsFor(key, false); got != want {
			t.Errorf("StepsFor(%s) = %d, want %d", key, got, want)
		}
		if got := c.StepsFor(key, true); got != want/4 {
			t.Errorf("tuning StepsFor(%s) = %d, want %d", key, got, want/4)
		}
	}
	cd := c
	cd.defaults()
	if cd.Tau != BookTau {
		t.Errorf("book preset τ = %v, want %v", cd.Tau, BookTau)
	}
	if _, err := c.Lookup("gn"); err == nil {
		t.Error("the book preset has no Gauss-Newton, Lookup(gn) should fail")
	}
	// The paper preset is unchanged.
	p := Config{Steps: 100}
	if p.StepsFor("adam", false) != 100*FirstOrderRatio || p.RatioFor("adam") != FirstOrderRatio {
		t.Errorf("paper preset: Adam gets %d steps (ratio %d)", p.StepsFor("adam", false), p.RatioFor("adam"))
	}
	if _, err := ParsePreset("nope"); err == nil {
		t.Error("ParsePreset accepted nope")
	}
	if err := (Config{Preset: Preset(7)}).Validate(); err == nil {
		t.Error("Validate accepted preset 7")
	}
}

func mustChain(t *testing.T, c oscillator.Config) *oscillator.Chain {
	t.Helper()
	ch, err := oscillator.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// TestBookStudyRuns runs a tiny book study end to end: every method trains,
// the loss falls, the table and figure name SIP.
func TestBookStudyRuns(t *testing.T) {
	st := Study{Config: Config{Preset: PresetBook, TrainSize: 256, TestSize: 64, Steps: 8, Records: 4},
		Seeds: []uint64{1}, Grid: map[string][]float64{"adam": {1e-3}, "sip": {1e-3}, "hig": {2}}}
	out, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Summaries {
		if s.Diverged || !(s.FinalTestLoss < 0.5) || math.IsNaN(s.FinalTestLoss) {
			t.Errorf("%s: final test loss %v (diverged %v)", s.Method, s.FinalTestLoss, s.Diverged)
		}
	}
	if tb := out.Table(); !strings.Contains(tb, "SIP") || !strings.Contains(tb, "tanh") {
		t.Errorf("table does not name SIP and tanh:\n%s", tb)
	}
	if _, err := out.Render(0, "png"); err != nil {
		t.Fatal(err)
	}
}
