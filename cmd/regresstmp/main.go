package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/higlab/hig/higlib/toy"
)

func main() {
	st := toy.Study{}
	res, err := st.Run()
	if err != nil {
		panic(err)
	}
	var eval, tune []toy.Summary
	for _, s := range res.Summaries {
		if s.Tuning {
			tune = append(tune, s)
		} else {
			eval = append(eval, s)
		}
	}
	for name, v := range map[string][]toy.Summary{"summary": eval, "tuning": tune} {
		b, _ := json.MarshalIndent(v, "", "  ")
		os.WriteFile(fmt.Sprintf("/tmp/regress_%s.json", name), b, 0o644)
	}
	fmt.Print(res.Table())
}
