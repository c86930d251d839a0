package lesson

import (
	"testing"

	"github.com/higlab/hig/higlib/oscillator"
)

func TestFreeOrbitsPNG(t *testing.T) {
	chain, err := oscillator.New(oscillator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	png, drift, err := FreeOrbitsPNG(chain, [][]float64{{0.9, 0.1, 0, 0}, {0.2, 0.8, 0.6, 0.1}}, 96)
	checkPNG(t, png, err, 0)
	// RK4 at Δt = 0.125 keeps H to ≈ 1e-4 over T = 12 at these amplitudes
	// (higlib/oscillator's tests); 0 would mean nothing was integrated.
	if !(drift > 0 && drift < 1e-3) {
		t.Errorf("energy drift %v, want in (0, 1e-3)", drift)
	}
	if _, _, err := FreeOrbitsPNG(chain, [][]float64{{1, 2}}, 5); err == nil {
		t.Error("a start of the wrong length was accepted")
	}
}

func TestSpectrumPNGAndLiveLog(t *testing.T) {
	png, err := SpectrumPNG("σ", []float64{3, 1, 0.1})
	checkPNG(t, png, err, 0)
	if _, err := SpectrumPNG("σ", nil); err == nil {
		t.Error("an empty spectrum was accepted")
	}
	var got string
	log := LiveLog(func(h string) { got = h })
	log("a<b")
	log("c")
	if got != "<pre>a&lt;b\nc</pre>" {
		t.Errorf("LiveLog shows %q", got)
	}
}

func TestCommittedMedians(t *testing.T) {
	ms, err := CommittedMedians("../../figures/oscillators_summary.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 || ms[0].Method != "adam" || ms[2].Method != "hig" {
		t.Fatalf("medians %+v, want adam, gn, hig", ms)
	}
	for _, m := range ms {
		if !(m.Median > 0) || m.Seeds != 3 {
			t.Errorf("%+v", m)
		}
	}
	if _, err := CommittedMedians("no-such-file.json"); err == nil {
		t.Error("a missing file was accepted")
	}
}
