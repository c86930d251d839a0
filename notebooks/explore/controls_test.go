package explore

import (
	"testing"
	"time"

	"github.com/janpfeifer/gonb/gonbui/comms"
)

// Run applies quick successive changes before one redraw, trains with the
// settings of the moment, and returns on stop or when idle.
func TestControlsRun(t *testing.T) {
	c := &Controls{Changes: make(chan func(*Settings), 8),
		Train: &comms.AddressChan[int]{C: make(chan int, 1)}, Stop: &comms.AddressChan[int]{C: make(chan int, 1)}}
	c.Changes <- func(s *Settings) { s.Lambda = 0.1 }
	c.Changes <- func(s *Settings) { s.Batch = 64 }
	var drawn, trained []Settings
	done := make(chan struct{})
	go func() {
		c.Run(Settings{Lambda: 1, Batch: 256}, func(s Settings) {
			drawn = append(drawn, s)
			if len(drawn) == 1 {
				c.Train.C <- 1
			}
		}, func(s Settings) {
			trained = append(trained, s)
			c.Stop.C <- 1
		}, time.Minute)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after stop")
	}
	want := Settings{Lambda: 0.1, Batch: 64}
	if len(drawn) != 1 || drawn[0] != want {
		t.Errorf("redraws %+v, want one with %+v", drawn, want)
	}
	if len(trained) != 1 || trained[0] != want {
		t.Errorf("training runs %+v, want one with %+v", trained, want)
	}
	start := time.Now()
	c.Run(Settings{}, func(Settings) {}, func(Settings) {}, 20*time.Millisecond)
	if time.Since(start) > 5*time.Second {
		t.Error("Run did not return when idle")
	}
	if _, err := NewControls(Choices{}, "train", time.Millisecond); err == nil {
		t.Error("empty choices accepted")
	}
}
