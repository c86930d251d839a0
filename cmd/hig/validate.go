package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/higlab/hig/higlib/toy"
	"github.com/higlab/hig/higlib/train"
)

// Memory bounds of "hig toy". Every flag is checked before any work, so a
// size that cannot fit is a usage error that names the bound instead of
// an out-of-memory crash minutes later.
//
// The costs below are what a study holds live, doubled for the garbage
// collector's headroom (GOGC = 100). TestMemoryModel checks the live part
// (half of each) against the live heap of a run and of a study; the peak
// resident size of tiny studies that vary one size at a time
// (/usr/bin/time -f %M, -steps 2, one seed and rate per method) agrees:
//
//	training sample    X, Y (24 B) and the batch permutation (8 B): 64 B
//	                   (resident 68 B)
//	validation sample  X, Y (24 B), kept by every run's recorders: 48 B per
//	                   run (resident 23 B per run)
//	batch sample       two rows of the 2b × 30 stacked Jacobian (480 B), the
//	                   decomposition's copy of them (480 B) and ∂L/∂y: 3 KiB
//	                   (live 1.0 KiB, resident 2.0 KiB)
//	run                its network, recorder workspaces and at most 400
//	                   records (train.Settings records every Steps/200 steps,
//	                   at least every step, or every Duration/200): 192 KiB
//	                   (live 85 kB at 400 records, resident 67 kB at 201)
//
// The step counts do not enter: the records per run are bounded.
const (
	memoryBound         = 8 << 30 // bytes; a third of the 24 GiB machine the figures are made on
	bytesPerTrainSample = 64
	bytesPerValidSample = 48
	bytesPerBatchSample = 3 << 10
	bytesPerRun         = 192 << 10
)

// Upper bounds of single flags: each alone within memoryBound.
const (
	maxTrain = memoryBound / bytesPerTrainSample
	maxValid = memoryBound / bytesPerValidSample
	maxBatch = memoryBound / bytesPerBatchSample
	// maxFirstOrderSteps is train.MaxSteps; maxSteps keeps the default
	// first-order budget, toy.FirstOrderRatio × -steps, within it.
	maxFirstOrderSteps = train.MaxSteps
	maxSteps           = train.MaxSteps / toy.FirstOrderRatio
)

// checkSize returns a usage error unless 1 ≤ v ≤ max for a sample count
// whose memory cost per sample is perSample bytes.
func checkSize(name string, v, max, perSample int) error {
	if v < 1 {
		return usagef("-%s %d must be a positive sample count (at most %d)", name, v, max)
	}
	if v > max {
		return usagef("-%s %d exceeds %d samples (memory bound: %s per sample within %s)", name, v, max, bytesString(perSample), bytesString(memoryBound))
	}
	return nil
}

// studyBytes estimates the peak memory of a toy study of runs training
// runs (see the constants above).
func studyBytes(runs, ntrain, nvalid, batch int) float64 {
	return bytesPerTrainSample*float64(ntrain) + bytesPerBatchSample*float64(batch) +
		float64(runs)*(bytesPerRun+bytesPerValidSample*float64(nvalid))
}

// checkStudyMemory returns a usage error if the study would need more than
// memoryBound.
func checkStudyMemory(runs, ntrain, nvalid, batch int) error {
	if need := studyBytes(runs, ntrain, nvalid, batch); need > memoryBound {
		return usagef("the study would need about %s (%d runs keeping %d validation samples each, %d training samples, batch %d), more than the %s memory bound; use fewer -seeds, -tune-seeds, -methods or -lambda values, one -lr per method, or a smaller -valid, -train or -batch",
			bytesString(need), runs, nvalid, ntrain, batch, bytesString(memoryBound))
	}
	return nil
}

// bytesString formats a byte count with binary units, e.g. "8 GiB".
func bytesString[T int | float64](b T) string {
	v, units := float64(b), []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	u := 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f %s", v, units[u])
	}
	return fmt.Sprintf("%.3g %s", v, units[u])
}

// checkTau returns a usage error unless 0 < τ < 1.
func checkTau(tau float64) error {
	switch {
	case tau >= 1:
		return usagef("-tau %v: τ ≥ 1 truncates every singular value (τ is relative to the largest, σ₁), which leaves a zero update; use 0 < τ < 1 (default 1e-6)", tau)
	case tau == 0:
		return usagef("-tau 0 would invert rounding noise; to keep almost every direction give a tiny positive τ such as 1e-15 (0 < τ < 1)")
	case !(tau > 0):
		return usagef("-tau %v must be a number with 0 < τ < 1 (default 1e-6)", tau)
	}
	return nil
}

// toyFlags are the values of the flags of "hig toy".
type toyFlags struct {
	lambdas, methods, seeds, tuneSeeds, lrs, out string
	steps, foSteps, batch, ntrain, nvalid        int
	budget                                       time.Duration
	tau                                          float64
	round32                                      bool
}

// study checks every flag and returns the study they describe; given holds
// the names of the flags on the command line. It does no work: nothing is
// computed or written.
func (f toyFlags) study(given map[string]bool) (toy.Study, error) {
	st := toy.Study{Grid: map[string][]float64{}}
	var err error
	if f.out == "" {
		return st, usagef("-out is empty: give the output folder (default figures)")
	}
	if st.Lambdas, err = floats("lambda", f.lambdas); err != nil {
		return st, err
	}
	for _, m := range strings.Split(f.methods, ",") {
		m = strings.TrimSpace(strings.ToLower(m))
		if _, err := toy.NewMethod(m, 1, 0); err != nil {
			return st, usagef("-methods: unknown method %q: use adam, gn, hig or gd", m)
		}
		st.Methods = append(st.Methods, m)
	}
	if st.Seeds, err = seedList("seeds", f.seeds); err != nil {
		return st, err
	}
	if st.TuneSeeds, err = seedList("tune-seeds", f.tuneSeeds); err != nil {
		return st, err
	}
	for _, err := range []error{unique("lambda", st.Lambdas), unique("methods", st.Methods),
		unique("seeds", st.Seeds), unique("tune-seeds", st.TuneSeeds)} {
		if err != nil {
			return st, err
		}
	}
	for _, seed := range st.TuneSeeds {
		if slices.Contains(st.Seeds, seed) {
			return st, usagef("-tune-seeds: %d is also among -seeds; the tuning seeds must differ from the evaluation seeds, so that the reported losses are not those the rates were chosen on", seed)
		}
	}

	// The budget: a positive duration, or step counts that cannot wrap.
	switch {
	case given["budget"] && f.budget <= 0:
		return st, usagef("-budget %v: give a positive duration such as 30s, or leave -budget out to budget by -steps", f.budget)
	case given["budget"] && (given["steps"] || given["first-order-steps"]):
		return st, usagef("-budget replaces -steps and -first-order-steps; give one kind of budget")
	case given["budget"]:
		st.Duration = f.budget
	case f.steps < 1:
		return st, usagef("-steps %d: give a budget: a positive step count (at most %d) or -budget with a positive duration", f.steps, maxSteps)
	case f.steps > maxSteps:
		return st, usagef("-steps %d exceeds %d, the most for which the first-order budget %d × -steps stays within train.MaxSteps = %d", f.steps, maxSteps, toy.FirstOrderRatio, train.MaxSteps)
	case f.foSteps < 0:
		return st, usagef("-first-order-steps %d must not be negative (0 means %d × -steps)", f.foSteps, toy.FirstOrderRatio)
	case f.foSteps > maxFirstOrderSteps:
		return st, usagef("-first-order-steps %d exceeds train.MaxSteps = %d", f.foSteps, maxFirstOrderSteps)
	default:
		st.Steps, st.FirstOrderSteps = f.steps, f.foSteps
	}

	if err := checkSize("train", f.ntrain, maxTrain, bytesPerTrainSample); err != nil {
		return st, err
	}
	if err := checkSize("valid", f.nvalid, maxValid, bytesPerValidSample); err != nil {
		return st, err
	}
	if err := checkSize("batch", f.batch, maxBatch, bytesPerBatchSample); err != nil {
		return st, err
	}
	if f.batch > f.ntrain {
		return st, usagef("-batch %d is larger than the training set (-train %d)", f.batch, f.ntrain)
	}
	if err := checkTau(f.tau); err != nil {
		return st, err
	}
	if !slices.ContainsFunc(st.Methods, usesJacobian) {
		switch {
		case f.round32:
			return st, usagef("-round32 applies to gn and hig only (it rounds their stacked Jacobian), and -methods %s has neither", f.methods)
		case given["tau"]:
			return st, usagef("-tau applies to gn and hig only (it truncates their singular values), and -methods %s has neither", f.methods)
		}
	}
	if given["first-order-steps"] && !slices.ContainsFunc(st.Methods, firstOrder) {
		return st, usagef("-first-order-steps applies to adam and gd only, and -methods %s has neither", f.methods)
	}
	if f.lrs != "" {
		for _, kv := range strings.Split(f.lrs, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return st, usagef("-lr: %q is not METHOD=RATE", kv)
			}
			k = strings.TrimSpace(strings.ToLower(k))
			if _, err := toy.NewMethod(k, 1, 0); err != nil {
				return st, usagef("-lr: unknown method %q: use adam, gn, hig or gd", k)
			}
			r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || !(r > 0) || math.IsInf(r, 0) {
				return st, usagef("-lr: rate %q for %s must be a number > 0 (finite)", v, k)
			}
			if !slices.Contains(st.Methods, k) {
				return st, usagef("-lr: %s is not among -methods %s", k, f.methods)
			}
			if _, dup := st.Grid[k]; dup {
				return st, usagef("-lr: %s is given twice", k)
			}
			st.Grid[k] = []float64{r}
		}
	}
	st.BatchSize, st.TrainSize, st.ValidSize = f.batch, f.ntrain, f.nvalid
	st.Tau, st.Round32 = f.tau, f.round32
	if err := st.Validate(); err != nil {
		return st, usagef("%v", err)
	}
	if err := checkStudyMemory(st.Runs(), f.ntrain, f.nvalid, f.batch); err != nil {
		return st, err
	}
	return st, nil
}

// firstOrder reports whether the method key is Adam or gradient descent.
func firstOrder(key string) bool {
	s, err := toy.Spec(key)
	return err == nil && s.FirstOrder()
}

// usesJacobian reports whether the method key is a half-inverse method
// (Gauss-Newton or HIG).
func usesJacobian(key string) bool {
	s, err := toy.Spec(key)
	return err == nil && !s.FirstOrder()
}
