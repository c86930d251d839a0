package stepcost_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/stepcost"
)

func ExampleNew() {
	for _, c := range []stepcost.Case{stepcost.Toy(256), stepcost.Toy(1024), stepcost.Wide(20, 128)} {
		s, err := stepcost.New(c)
		if err != nil {
			panic(err)
		}
		r, k := s.Loc.Jac.Dims()
		fmt.Printf("%s: J is %d×%d\n", c.Name, r, k)
	}
	// Output:
	// toy-b256: J is 512×30
	// toy-b1024: J is 2048×30
	// wide-h20-b128: J is 512×2956
}

func TestNewRejects(t *testing.T) {
	bad := []stepcost.Case{
		{Name: "zero batch", Sizes: []int{1, 2}, Acts: []nn.Activation{nn.Identity}, Batch: 0},
		{Name: "bad network", Sizes: []int{1}, Batch: 2},
		{Name: "map mismatch", Sizes: []int{1, 3}, Acts: []nn.Activation{nn.Identity}, Phys: stepcost.Toy(1).Phys, Batch: 2},
	}
	for _, c := range bad {
		if _, err := stepcost.New(c); err == nil {
			t.Errorf("%s: no error", c.Name)
		}
	}
}

// TestSameProblem checks that two Benches of one Case are the same problem,
// so that timings of different code paths compare like with like.
func TestSameProblem(t *testing.T) {
	a, err := stepcost.New(stepcost.Toy(32))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := stepcost.New(stepcost.Toy(32))
	m1, m2 := optim.HIG(1), optim.HIG(1)
	for _, s := range []struct {
		b *stepcost.Bench
		m optim.Method
	}{{a, m1}, {b, m2}} {
		if err := s.m.Init(len(s.b.Params)); err != nil {
			t.Fatal(err)
		}
		if err := s.b.Step(s.m); err != nil {
			t.Fatal(err)
		}
	}
	for i := range a.Delta {
		if a.Delta[i] != b.Delta[i] {
			t.Fatalf("Delta[%d]: %v and %v", i, a.Delta[i], b.Delta[i])
		}
	}
}

func TestSweep(t *testing.T) {
	var lines []string
	byB, byP, err := stepcost.Sweep(context.Background(), []int{4, 8}, []int{3}, 1, func(l string) { lines = append(lines, l) })
	if err != nil {
		t.Fatal(err)
	}
	if len(byB) != 2 || len(byP) != 1 || len(lines) != 3 {
		t.Fatalf("%d + %d points, %d lines", len(byB), len(byP), len(lines))
	}
	if byB[1].Rows() != 16 || byP[0].Params != 4*3+3+2*(3*3+3)+96*3+96 || byP[0].Hidden != 3 {
		t.Errorf("points %+v %+v", byB[1], byP[0])
	}
	for _, p := range append(byB, byP...) {
		if !(p.Jacobian > 0 && p.Solve > 0 && p.Step > 0) {
			t.Errorf("non-positive times in %+v", p)
		}
	}
	if _, _, err := stepcost.Sweep(context.Background(), []int{0}, nil, 1, nil); err == nil {
		t.Error("batch 0: no error")
	}
}
