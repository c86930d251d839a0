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
	var h train.History
	settings := train.Settings{Steps: 100, RecordEvery: 25, BatchSize: s.BatchSize, Seed: 1}
	res, err := train.Train(s.Obj, &optim.Adam{LearnRate: 0.01}, s.Params0, s.Train, s.Valid, settings, &h)
	if err != nil {
		panic(err)
	}
	first, last := h.Records[0], h.Records[len(h.Records)-1]
	fmt.Println("steps:", res.Steps)
	fmt.Println("records:", len(h.Records), "from step", first.Step, "to", last.Step)
	fmt.Println("validation loss fell:", last.Loss < first.Loss)
	// Output:
	// steps: 100
	// records: 5 from step 0 to 100
	// validation loss fell: true
}
