package train_test

import (
	"fmt"

	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
	"github.com/higlab/hig/higlib/train"
)

func ExampleTrain() {
	s, err := toy.NewSetup(toy.Config{Lambda: 0.01, TrainSize: 128, ValidSize: 32, BatchSize: 32, Seed: 1})
	if err != nil {
		panic(err)
	}
	valid := &train.Validation{Obj: s.Obj, Data: s.Valid}
	settings := &train.Settings{Steps: 100, RecordEvery: 25, BatchSize: s.BatchSize, Seed: 1, Recorder: valid}
	res, err := train.Train(s.Obj, s.Train, s.Params0, &optim.Adam{LearnRate: 0.01}, settings)
	if err != nil {
		panic(err)
	}
	first, last := valid.Loss[0], valid.Loss[len(valid.Loss)-1]
	fmt.Println("status:", res.Status, "after", res.Stats.Steps, "steps")
	fmt.Println("records:", len(valid.Loss), "from step", first.Step, "to", last.Step)
	fmt.Println("validation loss fell:", last.Value < first.Value)
	// Output:
	// status: StepLimit after 100 steps
	// records: 5 from step 0 to 100
	// validation loss fell: true
}
