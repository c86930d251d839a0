package steer_test

import (
	"fmt"

	"github.com/higlab/hig/higlib/steer"
)

// The experiment of one seed: the paper's network and simulator, the data
// (targets are the initial states) and the first test sample's controls
// and trajectory under the untrained network.
func ExampleNewSetup() {
	s, err := steer.NewSetup(steer.Config{TrainSize: 512, TestSize: 64}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	nx, nz, ny := s.Chain.Dims()
	fmt.Printf("network %d → %d with %d parameters; simulator: %d states and %d controls → %d states\n",
		nx, nz, len(s.Params0), nx, nz, ny)
	x0 := s.Test.X.RawRowView(0)
	fmt.Printf("target of test sample 0 is its start: %v\n", fmt.Sprint(s.Test.Y.RawRowView(0)) == fmt.Sprint(x0))
	states, u := s.Trajectory(s.Params0, x0)
	fmt.Printf("%d controls, %d states of the trajectory\n", len(u), len(states)/nx)
	// Output:
	// network 4 → 96 with 2956 parameters; simulator: 4 states and 96 controls → 4 states
	// target of test sample 0 is its start: true
	// 96 controls, 97 states of the trajectory
}
