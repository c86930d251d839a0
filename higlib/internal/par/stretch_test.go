package par

import (
	"sync/atomic"
	"testing"
	"time"
)

type tallyJob struct{ hits []atomic.Int32 }

func (c *tallyJob) Run(p int) { c.hits[p].Add(1) }

// TestStretchRunsEveryPartOnce runs thousands of jobs of various sizes,
// alternately with Do and DoAny, in one stretch (with the helper when
// there are two processors, from whenever it has woken) and after it
// (serially), and checks that every part ran exactly once each time.
func TestStretchRunsEveryPartOnce(t *testing.T) {
	var s Stretch
	for _, active := range []bool{true, false} {
		if active {
			s.Begin()
		}
		for i := range 6000 {
			parts := i % 7
			job := &tallyJob{hits: make([]atomic.Int32, parts)}
			if i%2 == 0 {
				s.Do(job, parts)
			} else {
				s.DoAny(job, parts)
			}
			for p := range parts {
				if n := job.hits[p].Load(); n != 1 {
					t.Fatalf("active=%v job %d: part %d ran %d times", active, i, p, n)
				}
			}
		}
		if active {
			s.End()
		}
	}
}

// TestStretchPanicReachesCaller panics in an even part (run by the caller)
// and in an odd one (run by the helper, if any); Do must re-raise both, and
// the stretch must go on working afterwards.
func TestStretchPanicReachesCaller(t *testing.T) {
	var s Stretch
	s.Begin()
	defer s.End()
	for _, at := range []int{0, 1, 3} {
		got := func() (r any) {
			defer func() { r = recover() }()
			s.Do(panicky{map[int]bool{at: true}}, 4)
			return nil
		}()
		if got != at {
			t.Errorf("panic in part %d: recovered %v", at, got)
		}
	}
	job := &tallyJob{hits: make([]atomic.Int32, 4)}
	s.Do(job, 4)
	for p := range 4 {
		if job.hits[p].Load() != 1 {
			t.Errorf("after the panics, part %d ran %d times", p, job.hits[p].Load())
		}
	}
}

// TestStretchHelperBusy begins a second stretch while the first holds the
// helper: it must not wait, and must run its jobs serially on the caller.
func TestStretchHelperBusy(t *testing.T) {
	var a, b Stretch
	a.Begin()
	b.Begin()
	if b.active && a.active {
		t.Fatal("both stretches hold the helper")
	}
	job := &tallyJob{hits: make([]atomic.Int32, 5)}
	b.Do(job, 5)
	a.Do(job, 5)
	b.End()
	a.End()
	for p := range 5 {
		if job.hits[p].Load() != 2 {
			t.Errorf("part %d ran %d times, want 2", p, job.hits[p].Load())
		}
	}
	// Released: a new stretch can take the helper again.
	var c Stretch
	c.Begin()
	if Workers() > 1 && !c.active {
		t.Error("helper not released by End")
	}
	c.End()
}

// waitJob's part 0 waits up to a millisecond for part 1 to start; it
// records whether the two ran at the same time.
type waitJob struct{ started, overlapped atomic.Bool }

func (j *waitJob) Run(p int) {
	if p == 1 {
		j.started.Store(true)
		return
	}
	for start := time.Now(); time.Since(start) < time.Millisecond; {
		if j.started.Load() {
			j.overlapped.Store(true)
			return
		}
	}
}

// TestStretchHelperJoins checks that the helper does take part: within a
// second of Begin, with Do and with DoAny, a job's two parts run at the
// same time. (Jobs before the helper has woken run on the caller alone.)
func TestStretchHelperJoins(t *testing.T) {
	if Workers() < 2 {
		t.Skip("one processor: the stretch runs serially")
	}
	var s Stretch
	s.Begin()
	defer s.End()
	for _, dynamic := range []bool{false, true} {
		joined := false
		for start := time.Now(); !joined && time.Since(start) < time.Second; {
			var j waitJob
			if dynamic {
				s.DoAny(&j, 2)
			} else {
				s.Do(&j, 2)
			}
			joined = j.overlapped.Load()
		}
		if !joined {
			t.Errorf("dynamic=%v: the helper never ran a part beside the caller", dynamic)
		}
	}
}
