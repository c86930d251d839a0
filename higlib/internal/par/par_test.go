package par

import (
	"sync/atomic"
	"testing"
)

type countJob struct {
	hits []atomic.Int32
}

func (j *countJob) Run(p int) { j.hits[p].Add(1) }

func TestDoRunsEveryPartOnce(t *testing.T) {
	for _, serial := range []bool{false, true} {
		for _, n := range []int{0, 1, 2, 3, 17, 100} {
			var g Group
			j := &countJob{hits: make([]atomic.Int32, n)}
			for range 3 {
				g.Do(j, n, serial)
			}
			for p := range n {
				if got := j.hits[p].Load(); got != 3 {
					t.Fatalf("serial=%v n=%d: part %d ran %d times, want 3", serial, n, p, got)
				}
			}
		}
	}
}

func TestDoDoesNotAllocate(t *testing.T) {
	var g Group
	j := &countJob{hits: make([]atomic.Int32, 8)}
	g.Do(j, 8, false)
	if a := testing.AllocsPerRun(50, func() { g.Do(j, 8, false) }); a != 0 {
		t.Errorf("Do allocates %v times per call, want 0", a)
	}
}
