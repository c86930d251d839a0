// Package par runs the parts of a job on a process-wide pool of persistent
// worker goroutines, without allocating per call.
//
// The pool is started on first use with GOMAXPROCS−1 workers; the calling
// goroutine always works too. Group.Do suits jobs of a millisecond or more:
// a parked worker can take long to start (on 2-core virtual machines we
// measured 100–300 µs), and until it does the caller works alone. For runs
// of shorter jobs, a Stretch keeps one helper goroutine busy-waiting
// between them instead, for as long as jobs keep coming and other
// processes leave it a processor (see Stretch). Jobs split their output into disjoint parts
// whose results do not depend on which goroutine computes them, so a job
// gives the same bits whether it runs on one goroutine or many.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Job is work divided into parts numbered 0, 1, …; Run computes one part.
// Distinct parts may run concurrently.
type Job interface {
	Run(part int)
}

// Group runs one job at a time. The zero value is ready to use; keep a Group
// in a long-lived struct so that Do does not allocate. A Group must not be
// used by two goroutines at once, and a Job must not call Do itself: with
// every worker busy running the outer job, the inner one would wait forever.
type Group struct {
	wg   sync.WaitGroup
	job  Job
	n    int64
	next atomic.Int64

	mu       sync.Mutex
	panicked bool
	value    any // the first part's panic value
}

var (
	startOnce sync.Once
	queue     chan *Group
	nWorkers  int
)

func start() {
	nWorkers = runtime.GOMAXPROCS(0) - 1
	queue = make(chan *Group, 4*max(nWorkers, 1))
	for range nWorkers {
		go func() {
			for g := range queue {
				g.drain()
				g.wg.Done()
			}
		}()
	}
}

// Workers returns the number of goroutines, the caller included, that Do
// can use.
func Workers() int {
	startOnce.Do(start)
	return nWorkers + 1
}

// Do runs job.Run(p) for every p in [0, parts) and returns when all have
// finished. If serial is true, or there is only one part, or the pool has
// no workers, the calling goroutine runs every part itself in order. If a
// part panics, the other parts still run, and Do then panics in the calling
// goroutine with the value of the first panic, so that a panic in a user's
// code reaches its caller instead of ending the process on a worker.
func (g *Group) Do(job Job, parts int, serial bool) {
	startOnce.Do(start)
	if serial || parts <= 1 || nWorkers == 0 {
		for p := range parts {
			job.Run(p)
		}
		return
	}
	g.job = job
	g.n = int64(parts)
	g.next.Store(0)
	helpers := min(nWorkers, parts-1)
	for range helpers {
		g.wg.Add(1)
		select {
		case queue <- g:
		default:
			// Every worker is busy with other jobs: do the work here.
			g.wg.Done()
		}
	}
	g.drain()
	g.wg.Wait()
	g.job = nil
	if g.panicked {
		v := g.value
		g.panicked, g.value = false, nil
		panic(v)
	}
}

func (g *Group) drain() {
	for {
		p := g.next.Add(1) - 1
		if p >= g.n {
			return
		}
		g.run(int(p))
	}
}

// run runs one part, recording its panic instead of letting it unwind the
// worker.
func (g *Group) run(p int) {
	defer func() {
		if r := recover(); r != nil {
			g.mu.Lock()
			if !g.panicked {
				g.panicked, g.value = true, r
			}
			g.mu.Unlock()
		}
	}()
	g.job.Run(p)
}
