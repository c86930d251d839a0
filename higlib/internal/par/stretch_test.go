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
	defer calm()()
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
	defer calm()()
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
	defer calm()()
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

// calm forgets lost jobs and back-off, so that a test starts with a helper
// that Begin takes, and makes the stretches of the test count no job as
// lost (other processes may load the test machine), until the returned
// function restores the limit.
func calm() (restore func()) {
	helper.mu.Lock()
	helper.crowded.Store(false)
	helper.quiet, helper.backoff = time.Time{}, 0
	helper.mu.Unlock()
	old := lostLimit
	lostLimit = 1 << 30
	return func() { lostLimit = old }
}

// sleepJob's parts each busy-wait for d.
type sleepJob struct{ d time.Duration }

func (j sleepJob) Run(int) {
	for start := time.Now(); time.Since(start) < j.d; {
	}
}

// TestStretchShedsCrowdedHelper runs a stretch while a third busy goroutine
// competes with the caller and the helper for the two processors, as
// another process would: the Go scheduler then takes the helper off its
// processor for milliseconds at a time, so it misses jobs. The stretch must
// notice, finish on the caller alone, report Crowded, and leave the helper
// asleep in the next stretch until the back-off ends; after it ends, Begin
// takes the helper again. Every part must still run exactly once.
func TestStretchShedsCrowdedHelper(t *testing.T) {
	if Workers() != 2 {
		t.Skip("needs GOMAXPROCS = 2")
	}
	defer calm()()
	lostLimit = 8
	oldMin := minBackoff
	minBackoff = 50 * time.Millisecond
	defer func() { minBackoff = oldMin }()

	var stop atomic.Bool
	burned := make(chan struct{})
	go func() {
		for !stop.Load() {
		}
		close(burned)
	}()
	var s Stretch
	s.Begin()
	if !s.Active() {
		t.Fatal("Begin did not take the helper")
	}
	job := &tallyJob{hits: make([]atomic.Int32, 4)}
	slow := sleepJob{20 * time.Microsecond}
	for start := time.Now(); s.Active() && time.Since(start) < 5*time.Second; {
		s.DoAny(slow, 2)
		s.Do(job, 4)
	}
	stop.Store(true)
	<-burned
	if s.Active() {
		t.Fatal("the helper was not given up in 5 s with a third busy goroutine")
	}
	s.Do(job, 4) // now serial
	s.End()
	for p := range 4 {
		if job.hits[p].Load() < 1 {
			t.Fatalf("part %d never ran", p)
		}
	}
	if !Crowded() {
		t.Error("Crowded is false right after the stretch gave up its helper")
	}
	var next Stretch
	next.Begin()
	if next.Active() {
		t.Error("a stretch during the back-off took the helper")
	}
	next.End()
	time.Sleep(minBackoff + 10*time.Millisecond)
	if Crowded() {
		t.Error("still crowded after the back-off")
	}
	next.Begin()
	if !next.Active() {
		t.Error("after the back-off, Begin did not take the helper")
	}
	next.End()
}

// TestStretchHelperSleepsWhenIdle checks that the helper does not spin
// through a gap between jobs longer than idleSpin: it must be asleep
// (parked) during the gap, and the job after the gap must still be run
// completely, whether the helper wakes in time for it or not.
func TestStretchHelperSleepsWhenIdle(t *testing.T) {
	if Workers() < 2 {
		t.Skip("one processor: the stretch runs serially")
	}
	defer calm()()
	var s Stretch
	s.Begin()
	defer s.End()
	for range 3 {
		job := &tallyJob{hits: make([]atomic.Int32, 6)}
		s.DoAny(job, 6)
		deadline := time.Now().Add(time.Second)
		for !helper.parked.Load() && time.Now().Before(deadline) {
			time.Sleep(idleSpin)
		}
		if !helper.parked.Load() {
			t.Fatal("the helper still spins a second after the last job")
		}
		s.Do(job, 6)
		for p := range 6 {
			if n := job.hits[p].Load(); n != 2 {
				t.Fatalf("part %d ran %d times, want 2", p, n)
			}
		}
	}
}
