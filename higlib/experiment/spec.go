package experiment

import (
	"fmt"
	"strings"

	"github.com/higlab/hig/higlib/optim"
)

// Kind is the family of update rule a Spec builds, chosen by value, not
// by the text of a key.
type Kind int

const (
	// GradientDescent is optim.GradientDescent.
	GradientDescent Kind = iota + 1
	// Adam is optim.Adam.
	Adam
	// HalfInverse is optim.HalfInverse with the Spec's κ: 1 Gauss-Newton,
	// ½ HIG.
	HalfInverse
	// SIP is optim.SIP (Adam on the proxy loss of the inverted physics),
	// for maps that give ∂P/∂z; the learning rate is its Adam's.
	SIP
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case GradientDescent:
		return "GradientDescent"
	case Adam:
		return "Adam"
	case HalfInverse:
		return "HalfInverse"
	case SIP:
		return "SIP"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Spec describes one of the compared optimizers by value, as a problem
// package lists them (toy.Specs, steer.Specs): the one table from a key, as
// in flags and files, to a label, an optimizer and its learning rates.
// Adding an optimizer means a Kind, a case in New and a line in those
// tables.
type Spec struct {
	Key   string // identifier in flags and files: adam, gn, hig, gd
	Label string // name in figures and tables
	// Kind is the update rule. The zero value means HalfInverse when Kappa
	// is set; a Spec with neither is not usable (New panics).
	Kind Kind
	// Kappa is κ of the half-inverse step (1 Gauss-Newton, ½ HIG); zero
	// for the first-order methods, which never form a Jacobian.
	Kappa float64
	// BatchSize is the method's own mini-batch size; zero means the
	// problem's (see Candidate.BatchSize).
	BatchSize int
	// LearnRate is the usual rate of the method for the problem, for
	// reference; zero means none is given.
	LearnRate float64
	// Grid holds the learning rates searched before a comparison.
	Grid []float64
}

// kind returns s.Kind, or HalfInverse for a zero Kind with κ set.
func (s Spec) kind() Kind {
	if s.Kind == 0 && s.Kappa > 0 {
		return HalfInverse
	}
	return s.Kind
}

// FirstOrder reports whether the method uses only the gradient.
func (s Spec) FirstOrder() bool { return s.kind() != HalfInverse }

// New returns a fresh optimizer of s's Kind with learning rate lr; tau is
// the relative truncation threshold of the half-inverse methods (zero for
// the default 1e-6). It panics if the Kind is not one of the above, or is
// HalfInverse without κ: the table is wrong, not the user's input.
func (s Spec) New(lr, tau float64) optim.Method {
	switch s.kind() {
	case HalfInverse:
		if !(s.Kappa > 0) {
			panic(fmt.Sprintf("experiment: Spec %q is HalfInverse without κ", s.Key))
		}
		return &optim.HalfInverse{LearnRate: lr, Kappa: s.Kappa, Tau: tau}
	case Adam:
		return &optim.Adam{LearnRate: lr}
	case GradientDescent:
		return &optim.GradientDescent{LearnRate: lr}
	case SIP:
		return optim.NewSIP(lr)
	}
	panic(fmt.Sprintf("experiment: Spec %q has no Kind (%v)", s.Key, s.Kind))
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
