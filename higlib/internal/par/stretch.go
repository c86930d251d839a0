package par

import (
	"runtime"
	"sync"
	"sync/atomic"
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
type Stretch struct {
	active bool
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
var helper struct {
	mu     sync.Mutex // held from Begin to End
	once   sync.Once  // starts the helper goroutine
	wake   chan struct{}
	active atomic.Bool // a stretch holds the helper: it should spin

	job     Job
	n       int64
	dynamic bool         // parts are claimed through next, not even/odd
	next    atomic.Int64 // the next unclaimed part of a dynamic job
	epoch   uint64       // the last epoch published; written by the holder only
	state   atomic.Uint64

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

// spinLimit is how many empty polls a waiting goroutine makes before it
// yields its processor, so that a stretch still progresses when the two
// goroutines share one.
const spinLimit = 1 << 12

// Begin reserves the helper for this stretch and wakes it, if it is free
// and there is a second processor; otherwise Do and DoAny run every part on
// the caller. Begin does not wait for the helper.
func (s *Stretch) Begin() {
	if s.active || Workers() < 2 || !helper.mu.TryLock() {
		return
	}
	helper.once.Do(func() {
		helper.wake = make(chan struct{}, 1)
		go helpLoop()
	})
	helper.active.Store(true)
	select {
	case helper.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	s.active = true
}

// End releases the helper, which goes back to sleep. It does nothing if
// Begin did not reserve it.
func (s *Stretch) End() {
	if !s.active {
		return
	}
	helper.active.Store(false)
	s.active = false
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

// Active reports whether the stretch holds the helper.
func (s *Stretch) Active() bool { return s.active }

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
	runParts(0)
	if helper.state.CompareAndSwap(e|open, e|closed) {
		// The helper did not come: its parts are the caller's.
		if !dynamic {
			runParts(1)
		}
	} else {
		for spins := 0; helper.state.Load() != e|left; spins++ {
			if spins >= spinLimit {
				runtime.Gosched()
				spins = 0
			}
		}
	}
	helper.job = nil
	if helper.panicked {
		v := helper.value
		helper.panicked, helper.value = false, nil
		panic(v)
	}
}

// helpLoop is the helper goroutine: woken by Begin, it polls state for jobs
// until the stretch ends, then sleeps until the next Begin.
func helpLoop() {
	for range helper.wake {
		for spins := 0; ; spins++ {
			if st := helper.state.Load(); st&3 == open && helper.state.CompareAndSwap(st, st&^3|entered) {
				runParts(1)
				helper.state.Store(st&^3 | left)
				spins = 0
				continue
			}
			if !helper.active.Load() {
				break
			}
			if spins >= spinLimit {
				runtime.Gosched()
				spins = 0
			}
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
