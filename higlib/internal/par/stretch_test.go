package par

import (
	"sync/atomic"
	"testing"
)

type tallyJob struct{ hits []atomic.Int32 }

func (c *tallyJob) Run(p int) { c.hits[p].Add(1) }

// TestStretchRunsEveryPartOnce runs thousands of jobs of various sizes in
// one stretch (with the helper when there are two processors) and after
// it (serially), and checks that every part ran exactly once each time.
func TestStretchRunsEveryPartOnce(t *testing.T) {
	var s Stretch
	for _, active := range []bool{true, false} {
		if active {
			s.Begin()
		}
		for i := range 3000 {
			parts := i % 7
			job := &tallyJob{hits: make([]atomic.Int32, parts)}
			s.Do(job, parts)
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
