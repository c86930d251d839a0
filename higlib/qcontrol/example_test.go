package qcontrol_test

import (
	"fmt"

	"github.com/higlab/hig/higlib/qcontrol"
)

// Example runs a tiny study (one seed, fixed rates, a handful of steps on
// 256 training samples) and prints what it compared. Real runs use hig
// dipole; see the README for their numbers. After so few steps both
// are near the untrained network's loss of about 1, HIG more so: its first
// steps are short (see the package doc and notebook 06).
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
		fmt.Printf("%s: %d steps at b = %d, lr %g, test loss %.3f\n",
			s.Method, s.Steps, s.BatchSize, s.LearnRate, s.FinalTestLoss)
	}
	// Output:
	// adam: 16 steps at b = 256, lr 0.015, test loss 0.618
	// hig: 2 steps at b = 16, lr 8, test loss 0.997
}
