package qcontrol_test

import (
	"fmt"

	"github.com/higlab/hig/higlib/qcontrol"
)

// Example runs a tiny study (one seed, fixed rates, a handful of steps on
// 256 training samples) and prints what it compared. Real runs use hig
// dipole; see the README for their numbers.
func Example() {
	st := qcontrol.Study{
		Config: qcontrol.Config{TrainSize: 256, TestSize: 16, Steps: 2, Records: 1},
		Seeds:  []uint64{1},
		Grid:   map[string][]float64{"adam": {1.5e-2}, "hig": {8}},
	}
	out, err := st.Run()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range out.Summaries {
		fmt.Printf("%s: %d steps at b = %d, lr %g, test loss below the untrained 1: %v\n",
			s.Method, s.Steps, s.BatchSize, s.LearnRate, s.FinalTestLoss < 0.99)
	}
	// Output:
	// adam: 16 steps at b = 256, lr 0.015, test loss below the untrained 1: true
	// hig: 2 steps at b = 16, lr 8, test loss below the untrained 1: true
}
