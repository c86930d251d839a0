package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Stretch runs a long sequence of small jobs, each split into parts, on the
// calling goroutine and one helper goroutine that busy-waits between jobs.
// It suits fine-grained work such as the matrix-vector products of a
// bidiagonal reduction panel: a product of a few microseconds cannot pay
// for waking a parked worker, which Group.Do does, but it can be split with
// a helper that is already running.
//
// Begin reserves the helper, Do runs a job, End releases the helper. The
// helper is shared by the whole process: while one Stretch holds it, Begin
// on another does not wait but runs that stretch serially, as it does when
// GOMAXPROCS is 1. A Stretch must be used by one goroutine at a time, and a
// job run by Do must not use a Group or a Stretch itself. As with Group,
// results must not depend on which goroutine computes a part, and a panic
// in a part is re-raised by Do in the caller.
type Stretch struct {
	active bool
}

// The helper's state. The caller publishes a job by writing job and n,
// resetting next and then incrementing epoch; the helper, having seen the
// new epoch, claims parts through next and, when it finds none left,
// stores the epoch in done. The caller waits for done before it publishes
// anything else, so job and n are never written while the helper reads
// them. A nil job ends the stretch, and the helper parks on wake.
var helper struct {
	mu    sync.Mutex // held from Begin to End
	once  sync.Once
	wake  chan struct{}
	job   Job
	n     int64
	epoch atomic.Uint64
	done  atomic.Uint64

	panicMu  sync.Mutex
	panicked bool
	value    any
}

// spinLimit is how many empty polls a waiting goroutine makes before it
// yields its processor, so that a stretch still progresses when the two
// goroutines share one.
const spinLimit = 1 << 12

// Begin reserves the helper for this stretch, if it is free and there is a
// second processor; otherwise Do runs every part on the caller.
func (s *Stretch) Begin() {
	if s.active || Workers() < 2 || !helper.mu.TryLock() {
		return
	}
	helper.once.Do(func() {
		helper.wake = make(chan struct{})
		go helpLoop()
	})
	helper.wake <- struct{}{}
	s.active = true
}

// End releases the helper. It does nothing if Begin did not reserve it.
func (s *Stretch) End() {
	if !s.active {
		return
	}
	publish(nil, 0)
	s.active = false
	helper.mu.Unlock()
}

// Do runs parts 0, …, parts−1 of job and returns when all have finished.
func (s *Stretch) Do(job Job, parts int) {
	if !s.active || parts <= 1 {
		for p := range parts {
			job.Run(p)
		}
		return
	}
	publish(job, parts)
	if helper.panicked {
		v := helper.value
		helper.panicked, helper.value = false, nil
		panic(v)
	}
}

// publish hands job to the helper, works on it, and waits until the helper
// has finished with it.
func publish(job Job, parts int) {
	helper.job, helper.n = job, int64(parts)
	e := helper.epoch.Add(1)
	if job != nil {
		runParts(job, 0)
	}
	for spins := 0; helper.done.Load() != e; spins++ {
		if spins >= spinLimit {
			runtime.Gosched()
			spins = 0
		}
	}
	helper.job = nil
}

// helpLoop is the helper goroutine: woken once per stretch, it polls epoch
// for jobs until the stretch ends.
func helpLoop() {
	for range helper.wake {
		// done holds the epoch that ended the last stretch; the caller
		// may already have published the first job of this one.
		seen := helper.done.Load()
		for spins := 0; ; spins++ {
			e := helper.epoch.Load()
			if e == seen {
				if spins >= spinLimit {
					runtime.Gosched()
					spins = 0
				}
				continue
			}
			seen, spins = e, 0
			job := helper.job
			if job != nil {
				runParts(job, 1)
			}
			helper.done.Store(e)
			if job == nil {
				break
			}
		}
	}
}

// runParts runs parts first, first+2, … of job. The caller always takes
// the even parts and the helper the odd ones, so that a sequence of jobs
// cut the same way gives each goroutine the same share of the data, which
// then stays in its processor's cache.
func runParts(job Job, first int) {
	for p := first; p < int(helper.n); p += 2 {
		runPart(job, p)
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
