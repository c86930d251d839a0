# Makefile for github.com/higlab/hig: the Go library, its tests and the GoNB notebooks.
# Run `make` (or `make help`) for the list of targets.

.DEFAULT_GOAL := help
SHELL := /bin/bash

GO        ?= go
# Binaries built from the versions pinned in go.mod (`tool` entries): gonb, goimports.
BIN       := $(CURDIR)/bin
# Python with nbformat (Debian's). `python3` on PATH may be another interpreter.
PYTHON    ?= /usr/bin/python3
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# Where `make kernel` installs the GoNB kernelspec. Empty means Jupyter's default,
# i.e. $$JUPYTER_DATA_DIR if set, else ~/.local/share/jupyter. Example of a throwaway
# install: make kernel KERNEL_DATA_DIR=/tmp/jupyter-data
KERNEL_DATA_DIR ?=
NBEXEC := --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False
# goimports must be on the kernel's PATH.
KERNEL_ENV := PATH="$(BIN):$$PATH" $(if $(KERNEL_DATA_DIR),JUPYTER_DATA_DIR="$(KERNEL_DATA_DIR)")

.PHONY: help kernel lab notebooks test figures scaling oscillators gn-study bench bench-numpy clean

help: ## List the targets.
	@echo "Targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'
	@echo "Variables: KERNEL_DATA_DIR (kernelspec location), GO, PYTHON."
	@echo "HIG_SKIP_NOTEBOOKS=1 makes 'go test' skip the notebook run (no Jupyter installed)."

$(BIN)/gonb: go.mod go.sum
	$(GO) build -o $@ github.com/janpfeifer/gonb

$(BIN)/goimports: go.mod go.sum
	$(GO) build -o $@ golang.org/x/tools/cmd/goimports

kernel: $(BIN)/gonb $(BIN)/goimports ## Build gonb+goimports into ./bin and install the GoNB kernelspec.
	$(KERNEL_ENV) $(BIN)/gonb --install --force_deps

lab: ## Start JupyterLab (or classic Jupyter Notebook) on notebooks/.
	@if command -v jupyter-lab >/dev/null; then app=jupyter-lab; \
	elif command -v jupyter-notebook >/dev/null; then app=jupyter-notebook; \
	else \
		echo "Neither jupyter-lab nor jupyter-notebook is installed. Either:"; \
		echo "  - install classic Jupyter Notebook from Debian:"; \
		echo "      sudo apt-get install --no-install-recommends jupyter-notebook python3-ipykernel"; \
		echo "  - install JupyterLab with pip:  pip install jupyterlab"; \
		echo "  - or use the Docker image (JupyterLab + kernel):"; \
		echo "      docker build -f docker/Dockerfile -t hig-notebooks ."; \
		echo "      docker run -p 8888:8888 hig-notebooks"; \
		exit 1; \
	fi; \
	$(MAKE) --no-print-directory kernel && \
	root=; [ "$$(id -u)" = 0 ] && root=--allow-root; \
	cd notebooks && echo "Starting $$app in notebooks/" && $(KERNEL_ENV) exec $$app $$root

notebooks: kernel ## Execute every notebooks/*.ipynb in place, saving outputs (no timestamps).
	$(PYTHON) scripts/normalize_notebook.py $(NOTEBOOKS)
	$(KERNEL_ENV) jupyter nbconvert --to notebook --execute --inplace $(NBEXEC) $(NOTEBOOKS)
	$(PYTHON) scripts/normalize_notebook.py $(NOTEBOOKS)

test: ## go vet, then go test ./... (includes executing and checking the notebooks).
	$(GO) vet ./...
	$(GO) test -timeout=30m ./...

figures: ## The main job: the toy study (figures/toy_*), the step-cost scaling (figures/scaling.*) and a short oscillator comparison (figures/oscillators*), ≈ 5 min.
	$(GO) run ./cmd/hig toy -out figures
	$(GO) run ./cmd/hig scaling -reps 9 -out figures
	$(GO) run ./cmd/hig oscillators -budget 8s -tune-budget 2s -test 1024 -out figures

scaling: ## Only the step-cost scaling figure (figures/scaling.*), ≈ 30 s.
	$(GO) run ./cmd/hig scaling -reps 9 -out figures

oscillators: ## The paper's oscillator comparison at 60 s per run, 3 seeds (figures/oscillators-60s/), ≈ 15 min.
	$(GO) run ./cmd/hig oscillators -budget 60s -out figures/oscillators-60s

gn-study: ## Why Gauss-Newton differs from the chapter: GN and HIG at τ = 1e-4, 1e-2 and with float32-rounded inputs (figures/gn-*/), ≈ 5 min.
	for t in 1e-4 1e-2; do $(GO) run ./cmd/hig toy -methods gn,hig -tau $$t -out figures/gn-tau$$t || exit 1; done
	$(GO) run ./cmd/hig toy -methods gn,hig -round32 -out figures/gn-round32

bench: ## Benchmarks of the HIG step and the half-inverse (ratios: solver vs reference).
	$(GO) test -run '^$$' -bench 'HIGStep|HalfInverse|ToyStep|Oscillator' -benchmem -benchtime=20x ./higlib/...

bench-numpy: ## The same half-inverse in numpy (LAPACK SVD) beside the Go Solver; needs python3-numpy.
	$(PYTHON) scripts/bench_numpy.py
	$(GO) test -run '^$$' -bench 'HalfInverse/.*/solver' -benchmem -benchtime=20x ./higlib/halfinv

clean: ## Remove ./bin.
	rm -rf $(BIN)
