package par

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Stretch runs a long sequence of small jobs, each split into parts, on the
// calling goroutine and one helper goroutine that busy-waits between jobs.
// It suits fine-grained work such as the matrix-vector products of a
// bidiagonal reduction panel, and any work that is split often: a goroutine
// that Group.Do wakes from sleep can take far longer to start than such a
// part takes to run (on the 2-core virtual machines this project is tested
// on, a hundred microseconds and more, so that short jobs ran entirely on
// the caller), whereas a helper that is already running joins at once.
//
// Begin reserves the helper and wakes it, Do and DoAny run jobs, End
// releases the helper, which then sleeps again. The caller never waits for
// the helper to wake: a job the helper has not joined by the time the
// caller has run its own parts is finished by the caller. The helper is
// shared by the whole process: while one Stretch holds it, Begin on
// another does not wait but runs that stretch serially, as it does when
// GOMAXPROCS is 1. A Stretch must be used by one goroutine at a time, and
// a job run by Do or DoAny must not use a Group or a Stretch itself. As
// with Group, results must not depend on which goroutine computes a part,
// and a panic in a part is re-raised in the caller.
//
// The helper shares the machine. It spins only while jobs keep coming:
// after idleSpin without one it sleeps until the next job wakes it. And a
// busy wait on a processor that another process needs is worse than no
// helper, because the operating system then divides two processors among
// three busy threads and the caller runs only part of the time. A stretch
// notices this as lost jobs: a helper that misses a job although it was
// spinning (or was woken long before) and the caller's parts took long
// enough, so that its thread cannot have been running; or a helper that
// keeps the caller waiting far longer than a part takes, because it was
// descheduled in the middle of one; such a wait counts once per 500 µs.
// After 8 such jobs, if the stretch has run for 10 ms and the helper was
// away for a quarter of that time or more, the stretch
// runs the rest of its jobs on the caller, and Begin leaves the helper
// asleep for a back-off period (Crowded reports true) that doubles from
// 100 ms up to 2 s while the machine stays busy and is reset by a stretch
// that keeps its helper to the end.
type Stretch struct {
	held   bool // Begin took helper.mu
	active bool // the helper serves this stretch's jobs
}

// The helper's state. The caller publishes a job by writing job, n and
// dynamic, resetting next and then storing state = epoch<<2 | open. The
// helper takes part only by moving state from open to entered with a
// compare-and-swap, and stores left when its parts are done. When the
// caller has run its parts it tries to move state from open to closed: if
// that succeeds, the helper never entered and never will (it may be asleep
// still), and the caller runs the rest itself; otherwise it waits for left.
// So job and n are read by the helper only inside an epoch that the caller
// waits for, and a helper that is slow to wake never holds the caller up.
//
// The helper sleeps on wake with parked set. It sets parked before its last
// look at state, and the caller looks at parked after publishing a job, so
// that one of the two sees the other: a job is never left unnoticed by a
// sleeping helper (at worst a spare wake-up makes it spin once more for
// nothing). A caller that has waited longWait for left sleeps on done with
// waiting set, in the same way.
var helper struct {
	mu     sync.Mutex // held from Begin to End
	once   sync.Once  // starts the helper goroutine
	wake   chan struct{}
	done   chan struct{}
	active atomic.Bool // a stretch holds the helper: it should serve jobs
	parked atomic.Bool // the helper sleeps, or is about to, on wake

	waiting atomic.Bool // the caller sleeps, or is about to, on done

	job     Job
	n       int64
	dynamic bool         // parts are claimed through next, not even/odd
	next    atomic.Int64 // the next unclaimed part of a dynamic job
	epoch   uint64       // the last epoch published; written by the holder only
	state   atomic.Uint64

	// Written by the holder only (under mu).
	lost   int           // jobs this stretch lost to a helper that was not running
	begun  time.Time     // when Begin took the helper
	absent time.Duration // how long the helper was away, up to absentSince

	absentSince time.Time     // the start of the job it missed last, if it has not come back
	wokeAt      time.Time     // when the sleeping helper was first asked to wake
	quiet       time.Time     // Begin leaves the helper asleep until then
	backoff     time.Duration // the length of the next quiet period

	crowded atomic.Bool // mirrors time.Now() < quiet for Crowded

	panicMu  sync.Mutex
	panicked bool
	value    any
}

// The low bits of helper.state.
const (
	open    = 1 // published; the helper may enter
	entered = 2 // the helper is running parts
	left    = 3 // the helper has finished its parts
	closed  = 0 // the caller finished without the helper
)

const (
	// spinLimit is how many empty polls a waiting goroutine makes
	// before it yields its processor, so that a stretch still
	// progresses when the two goroutines share one.
	spinLimit = 1 << 12
	// clockEvery is how many polls pass between looks at the clock.
	clockEvery = 1 << 6
)

// Tuning of the helper, variables for the tests and benchmarks of this
// package only.
var (
	// idleSpin is how long the helper polls for the next job before it
	// sleeps. The jobs of the half-inverse solver's blocked LQ and
	// bidiagonalisation follow one another within microseconds, and on
	// the machines measured a sleeping goroutine took 100–300 µs to wake.
	idleSpin = 200 * time.Microsecond
	// missAfter is how long the caller's own parts must have taken for
	// a job that a spinning helper did not join to count as lost: a
	// helper that runs sees a job within a microsecond (measured: a
	// round trip between the two processors took 0.1–0.4 µs).
	missAfter = 10 * time.Microsecond
	// wakeGrace is how long a helper may take to wake before the jobs it
	// misses count as lost: on the machines measured, an idle processor
	// took 100–300 µs to start a sleeping goroutine.
	wakeGrace = time.Millisecond
	// longWait is how long the caller waits for the helper to finish its
	// parts before it counts the job as lost and sleeps until the helper
	// is done. The solver's parts take up to about a hundred microseconds;
	// a thread that the system has descheduled is gone for milliseconds.
	longWait = 500 * time.Microsecond
	// A stretch does without the helper once it has lost lostLimit jobs,
	// has run for judgeAfter, and the helper has been away for at least
	// 1/absentShare of that time. On an idle machine the helper misses
	// about one job in a thousand (the first ones after Begin, while it
	// wakes, do not count). When other processes take its processor for
	// a millisecond or two now and then, it misses jobs in bursts but
	// still saves more than it costs (measured: a rule that counted lost
	// jobs alone gave it up and made the solve 5–10 % slower than one that
	// always kept it); when it gets a processor only part of the time, as
	// one of three busy threads on two processors, it is away for a third
	// of the time or more.
	lostLimit   = 8
	judgeAfter  = 10 * time.Millisecond
	absentShare = 4
	// The quiet periods after lost jobs double from minBackoff to
	// maxBackoff.
	minBackoff = 100 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// Crowded reports whether a stretch has recently found the processors busy
// with other work, so that the helper stays asleep (see Stretch). Code with
// its own fine-grained parallelism may then run serially too.
func Crowded() bool {
	if !helper.crowded.Load() {
		return false
	}
	if helper.mu.TryLock() {
		// The quiet period may have ended: look at the clock.
		if !time.Now().Before(helper.quiet) {
			helper.crowded.Store(false)
		}
		helper.mu.Unlock()
	}
	return helper.crowded.Load()
}

// Begin reserves the helper for this stretch and wakes it, if it is free,
// there is a second processor and the machine has not been found crowded
// recently; otherwise Do and DoAny run every part on the caller. Begin does
// not wait for the helper.
func (s *Stretch) Begin() {
	if s.held || Workers() < 2 || !helper.mu.TryLock() {
		return
	}
	if helper.crowded.Load() {
		if time.Now().Before(helper.quiet) {
			helper.mu.Unlock()
			return // serial until the back-off ends
		}
		helper.crowded.Store(false)
	}
	s.held = true
	helper.once.Do(func() {
		helper.wake = make(chan struct{}, 1)
		helper.done = make(chan struct{}, 1)
		helper.parked.Store(true)
		go helpLoop()
	})
	helper.lost = 0
	helper.absent, helper.absentSince = 0, time.Time{}
	helper.active.Store(true)
	helper.wokeAt = time.Now()
	helper.begun = helper.wokeAt
	wakeHelper()
	s.active = true
}

// End releases the helper, which goes back to sleep. It does nothing if
// Begin did not reserve it.
func (s *Stretch) End() {
	if !s.held {
		return
	}
	if s.active {
		// The stretch kept its helper to the end.
		helper.active.Store(false)
		s.active = false
		helper.backoff = 0
	}
	s.held = false
	helper.mu.Unlock()
}

// Do runs parts 0, …, parts−1 of job and returns when all have finished.
// The caller takes the even parts and the helper the odd ones (all of them,
// when the helper is not spinning yet), so that a sequence of jobs cut the
// same way gives each goroutine the same share of the data, which then
// stays in its processor's cache.
func (s *Stretch) Do(job Job, parts int) { s.do(job, parts, false) }

// DoAny runs parts 0, …, parts−1 of job and returns when all have finished;
// the caller and the helper take the parts in order as they become free,
// which balances parts of unequal cost and lets a helper that wakes late
// join a job under way.
func (s *Stretch) DoAny(job Job, parts int) { s.do(job, parts, true) }

// Active reports whether the stretch holds the helper and uses it.
func (s *Stretch) Active() bool { return s.active }

// Held reports whether Begin reserved the helper for the stretch and End
// has not released it yet. A stretch that has given up its helper as lost
// (see Stretch) is held but not active.
func (s *Stretch) Held() bool { return s.held }

func (s *Stretch) do(job Job, parts int, dynamic bool) {
	if !s.active || parts <= 1 {
		for p := range parts {
			job.Run(p)
		}
		return
	}
	helper.job, helper.n, helper.dynamic = job, int64(parts), dynamic
	helper.next.Store(0)
	helper.epoch++
	e := helper.epoch << 2
	helper.state.Store(e | open)
	// A helper that sleeps still is to blame for missing the job only
	// if it was asked to wake long ago; one that spins, only if the
	// caller's parts took long enough for a running helper to come.
	start := time.Now()
	parked := helper.parked.Load()
	var asleep time.Duration
	if parked {
		if helper.wokeAt.IsZero() {
			helper.wokeAt = start
		}
		asleep = start.Sub(helper.wokeAt)
		wakeHelper()
	} else {
		helper.wokeAt = time.Time{}
	}
	runParts(0)
	if helper.state.CompareAndSwap(e|open, e|closed) {
		// The helper did not come: its parts are the caller's.
		missed := parked && asleep >= wakeGrace || !parked && time.Since(start) >= missAfter
		if !dynamic {
			runParts(1)
		}
		if missed {
			if helper.absentSince.IsZero() {
				helper.absentSince = start
			}
			s.lose(1)
		}
	} else {
		if !helper.absentSince.IsZero() {
			// Back after missing jobs.
			helper.absent += start.Sub(helper.absentSince)
			helper.absentSince = time.Time{}
		}
		waitLeft(e, s)
	}
	helper.job = nil
	if helper.panicked {
		v := helper.value
		helper.panicked, helper.value = false, nil
		panic(v)
	}
}

// waitLeft waits for the helper to leave epoch e: spinning at first, then,
// after longWait, asleep on helper.done, counting the job as lost.
func waitLeft(e uint64, s *Stretch) {
	var start time.Time
	for spins := 1; helper.state.Load() != e|left; spins++ {
		if spins%clockEvery != 0 {
			continue
		}
		if spins%spinLimit == 0 {
			runtime.Gosched()
		}
		if start.IsZero() {
			start = time.Now()
			continue
		}
		if time.Since(start) < longWait {
			continue
		}
		helper.waiting.Store(true)
		if helper.state.Load() != e|left || !helper.waiting.CompareAndSwap(true, false) {
			// The helper has not left, or it has and saw waiting:
			// either way it sends.
			<-helper.done
		}
		// The job counts once per longWait the caller waited.
		waited := time.Since(start)
		helper.absent += waited
		s.lose(int(waited / longWait))
		return
	}
}

// lose counts n jobs the helper lost. When the stretch has lost lostLimit
// jobs, has run for judgeAfter, and the helper has been away for at least
// 1/absentShare of that time (from a job it missed to the next it joined,
// and while the caller waited for it), the rest of the stretch runs on the
// caller and the helper stays asleep for a while.
func (s *Stretch) lose(n int) {
	helper.lost += n
	if helper.lost < lostLimit {
		return
	}
	now := time.Now()
	away := helper.absent
	if !helper.absentSince.IsZero() {
		away += now.Sub(helper.absentSince)
	}
	if ran := now.Sub(helper.begun); ran < judgeAfter || away*time.Duration(absentShare) < ran {
		return
	}
	helper.backoff = min(max(2*helper.backoff, minBackoff), maxBackoff)
	helper.quiet = time.Now().Add(helper.backoff)
	helper.crowded.Store(true)
	helper.active.Store(false)
	s.active = false
}

// wakeHelper wakes the helper if it sleeps, or is about to.
func wakeHelper() {
	select {
	case helper.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// helpLoop is the helper goroutine: woken by Begin or by a job, it polls
// state for jobs until the stretch ends or IdleSpin passes without a job,
// then sleeps.
func helpLoop() {
	for range helper.wake {
		helper.parked.Store(false)
		for {
			if !serveJobs() {
				break
			}
			// About to sleep: one last look, which a caller that
			// publishes a job now either meets here or answers by
			// waking the helper.
			helper.parked.Store(true)
			if st := helper.state.Load(); st&3 != open || !helper.active.Load() {
				break
			}
			helper.parked.Store(false)
		}
		helper.parked.Store(true)
	}
}

// serveJobs runs the helper's parts of the jobs published while the
// stretch is active, and returns true after idleSpin without a job, false
// when the stretch has ended.
func serveJobs() bool {
	var idle time.Time
	for spins := 1; ; spins++ {
		if st := helper.state.Load(); st&3 == open && helper.state.CompareAndSwap(st, st&^3|entered) {
			runParts(1)
			helper.state.Store(st&^3 | left)
			if helper.waiting.Swap(false) {
				helper.done <- struct{}{}
			}
			spins, idle = 0, time.Time{}
			continue
		}
		if !helper.active.Load() {
			return false
		}
		if spins%clockEvery != 0 {
			continue
		}
		if spins%spinLimit == 0 {
			runtime.Gosched()
		}
		if idle.IsZero() {
			idle = time.Now()
		} else if time.Since(idle) >= idleSpin {
			return true
		}
	}
}

// runParts runs the published job's parts for the caller (who = 0) or the
// helper (who = 1): every other part, or, for DoAny, the next unclaimed one
// until none is left.
func runParts(who int) {
	job, n := helper.job, helper.n
	if helper.dynamic {
		for {
			p := helper.next.Add(1) - 1
			if p >= n {
				return
			}
			runPart(job, int(p))
		}
	}
	for p := int64(who); p < n; p += 2 {
		runPart(job, int(p))
	}
}

func runPart(job Job, p int) {
	defer func() {
		if r := recover(); r != nil {
			helper.panicMu.Lock()
			if !helper.panicked {
				helper.panicked, helper.value = true, r
			}
			helper.panicMu.Unlock()
		}
	}()
	job.Run(p)
}
