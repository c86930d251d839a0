package outdir_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/higlab/hig/internal/outdir"
)

func Example() {
	dir, err := os.MkdirTemp("", "results")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Before the long computation: fail now if the results cannot be saved.
	if err := outdir.Check(dir); err != nil {
		log.Fatal(err)
	}
	// ... compute, then render every file in memory ...
	files := []outdir.File{
		{Name: "summary.json", Data: []byte(`{"loss": 0.5}` + "\n")},
		{Name: "table.md", Data: []byte("| loss |\n|---|\n| 0.5 |\n")},
	}
	if err := outdir.Write(context.Background(), dir, files); err != nil {
		log.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(b))
	// Output: {"loss": 0.5}
}
