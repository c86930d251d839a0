package par

import "testing"

type panicky struct{ at map[int]bool }

func (p panicky) Run(part int) {
	if p.at[part] {
		panic(part)
	}
}

// TestPanicReachesCaller checks that a part's panic, on a worker or on the
// calling goroutine, is re-raised by Do in the caller, and that the pool
// keeps working afterwards.
func TestPanicReachesCaller(t *testing.T) {
	var g Group
	for _, at := range []map[int]bool{{7: true}, {0: true}, {2: true, 5: true}} {
		got := func() (r any) {
			defer func() { r = recover() }()
			g.Do(panicky{at}, 8, false)
			return nil
		}()
		if _, ok := got.(int); !ok || !at[got.(int)] {
			t.Errorf("parts %v panic: recovered %v", at, got)
		}
	}
	g.Do(panicky{}, 8, false) // no panic left behind
}
