package experiment

import (
	"fmt"
	"strings"

	"github.com/higlab/hig/higlib/optim"
)

// Spec describes one of the compared optimizers by value, as a problem
// package lists them (toy.Specs, steer.Specs): the one table from a key, as
// in flags and files, to a label, an optimizer and its learning rates.
// Adding an optimizer means a case in New and a line in those tables.
type Spec struct {
	Key   string // identifier in flags and files: adam, gn, hig, gd
	Label string // name in figures and tables
	// Kappa is κ of the half-inverse step (1 Gauss-Newton, ½ HIG); zero
	// for the first-order methods, which never form a Jacobian.
	Kappa float64
	// BatchSize is the method's own mini-batch size; zero means the
	// problem's (see Method.BatchSize).
	BatchSize int
	// LearnRate is the usual rate of the method for the problem, for
	// reference; zero means none is given.
	LearnRate float64
	// Grid holds the learning rates searched before a comparison.
	Grid []float64
}

// FirstOrder reports whether the method uses only the gradient.
func (s Spec) FirstOrder() bool { return s.Kappa == 0 }

// New returns a fresh optimizer with learning rate lr; tau is the relative
// truncation threshold of the half-inverse methods (zero for the default
// 1e-6).
func (s Spec) New(lr, tau float64) optim.Method {
	switch {
	case s.Kappa > 0:
		return &optim.HalfInverse{LearnRate: lr, Kappa: s.Kappa, Tau: tau}
	case s.Key == "adam":
		return &optim.Adam{LearnRate: lr}
	}
	return &optim.GradientDescent{LearnRate: lr}
}

// Lookup returns the spec in specs whose key is key (ignoring case), or an
// error that lists the keys there are.
func Lookup(specs []Spec, key string) (Spec, error) {
	for _, s := range specs {
		if strings.EqualFold(s.Key, key) {
			return s, nil
		}
	}
	keys := make([]string, len(specs))
	for i, s := range specs {
		keys[i] = s.Key
	}
	return Spec{}, fmt.Errorf("unknown method %q: use one of %s", key, strings.Join(keys, ", "))
}
