package main

import (
	"runtime"
	"testing"

	"github.com/higlab/hig/higlib/toy"
	"github.com/higlab/hig/higlib/train"
)

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// heapPeak is a recorder that measures the live heap at every record,
// when the stacked Jacobian, the decomposition's workspace, the data and
// the batch permutation are all held.
type heapPeak struct{ base, peak int64 }

func (h *heapPeak) Init() error { return nil }
func (h *heapPeak) Record(*train.Location, train.Operation, *train.Stats) error {
	h.peak = max(h.peak, liveHeap()-h.base)
	return nil
}

// TestMemoryModel checks that the bytes per sample and per run behind the
// memory bounds of "hig toy" are upper bounds of what a run holds: the
// constants include a factor 2 for the collector's headroom, so the live
// heap must stay within half of studyBytes.
func TestMemoryModel(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates about 100 MB")
	}
	// One HIG run with a large training set, validation set and batch.
	const ntrain, nvalid, batch = 200000, 100000, 50000
	rec := &heapPeak{base: liveHeap()}
	setup, err := toy.NewSetup(toy.Config{TrainSize: ntrain, ValidSize: nvalid, BatchSize: batch, Steps: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Run(toy.HIG, 1, rec); err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(setup)
	bound := studyBytes(1, ntrain, nvalid, batch) / 2
	t.Logf("one run: live heap %.1f MB, model %.1f MB", float64(rec.peak)/1e6, bound/1e6)
	if float64(rec.peak) > bound {
		t.Errorf("one run holds %d B, more than the model's %.0f B", rec.peak, bound)
	}

	// What a study keeps per run: the most records (399 steps, each
	// recorded) and a validation set per run.
	const nv = 500
	st := toy.Study{
		Config:  toy.Config{Steps: 399, FirstOrderSteps: 399, TrainSize: 64, ValidSize: nv, BatchSize: 16},
		Lambdas: []float64{1}, Methods: []string{toy.Adam, toy.GaussNewton, toy.HIG},
		Seeds: []uint64{1, 2, 3, 4, 5, 6}, TuneSeeds: []uint64{1001},
		Grid: map[string][]float64{toy.Adam: {0.01}, toy.GaussNewton: {1}, toy.HIG: {1}},
	}
	base := liveHeap()
	res, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	kept := liveHeap() - base
	runtime.KeepAlive(res)
	runs := st.Runs()
	perRun := float64(bytesPerRun+bytesPerValidSample*nv) / 2
	t.Logf("%d runs keep %.1f kB each, model %.1f kB", runs, float64(kept)/float64(runs)/1e3, perRun/1e3)
	if float64(kept) > float64(runs)*perRun {
		t.Errorf("%d runs keep %d B, more than the model's %.0f B", runs, kept, float64(runs)*perRun)
	}
	if got := res.Runs[1][toy.HIG][0].Result.Stats.Records; got != 399 {
		t.Errorf("%d records, want 399 (the most per run)", got)
	}
}
