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
# The kernelspec's folder, as gonb --install chooses it on Linux.
KERNEL_DIR = $(or $(KERNEL_DATA_DIR),$(JUPYTER_DATA_DIR),$(HOME)/.local/share/jupyter)/kernels/gonb
NBEXEC := --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False
# goimports must be on the kernel's PATH.
KERNEL_ENV := PATH="$(BIN):$$PATH" $(if $(KERNEL_DATA_DIR),JUPYTER_DATA_DIR="$(KERNEL_DATA_DIR)")

.PHONY: help kernel lab notebooks test-deps test figures scaling oscillators gn-study bench bench-numpy bench-contention clean $(BIN)/hig

help: ## List the targets.
	@echo "Targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'
	@echo "Variables: KERNEL_DATA_DIR (kernelspec location), GO, PYTHON."
	@echo "HIG_SKIP_NOTEBOOKS=1 makes 'make test' skip the notebook runs (headless and in Chromium) and their packages."
	@echo "'make kernel' (also run by 'make lab' and 'make notebooks') installs the GoNB kernelspec in"
	@echo "  $(KERNEL_DIR)"
	@echo "  pointing at $(BIN)/gonb; remove it with 'jupyter kernelspec uninstall gonb' or 'rm -r' that folder."

$(BIN)/gonb: go.mod go.sum
	$(GO) build -o $@ github.com/janpfeifer/gonb

$(BIN)/goimports: go.mod go.sum
	$(GO) build -o $@ golang.org/x/tools/cmd/goimports

# hig is always rebuilt (go build's cache makes that quick) and run directly, not with
# `go run`, so that a signal sent to make or to the program reaches the program itself.
$(BIN)/hig:
	@echo "go build -o bin/hig ./cmd/hig (the first build compiles gonum and gonum/plot: up to a minute)"
	@$(GO) build -o $@ ./cmd/hig

kernel: $(BIN)/gonb $(BIN)/goimports ## Build gonb+goimports into ./bin and install the GoNB kernelspec (see below).
	$(KERNEL_ENV) $(BIN)/gonb --install --force_deps
	python3 scripts/kernelspec_env.py "$(KERNEL_DIR)" "$(BIN)" "$$($(GO) env GOROOT)/bin"
	@echo "GoNB kernelspec installed in $(KERNEL_DIR):"
	@echo "  it runs $(BIN)/gonb with $(BIN) (goimports) and Go on its PATH, so any Jupyter"
	@echo "  front end (jupyter notebook, JupyterLab, VS Code) can start it. gopls (autocompletion)"
	@echo "  is optional and not built here: GoNB's advice to 'go install' it can be ignored."
	@echo "  Remove it with: jupyter kernelspec uninstall gonb   (or: rm -r $(KERNEL_DIR))"

lab: ## Start JupyterLab (or classic Jupyter Notebook) on notebooks/.
	@if command -v jupyter-lab >/dev/null; then app=jupyter-lab; \
	elif command -v jupyter-notebook >/dev/null; then app=jupyter-notebook; \
	else \
		echo "Neither jupyter-lab nor jupyter-notebook is installed. Either:"; \
		echo "  - install the classic Jupyter Notebook from Debian, as root (or with sudo before each):"; \
		echo "      apt-get update"; \
		echo "      apt-get install -y --no-install-recommends jupyter-notebook python3-ipykernel"; \
		echo "    then run 'make lab' again;"; \
		echo "  - or use JupyterLab (not packaged by Debian) from the image in docker/:"; \
		echo "      docker build -f docker/Dockerfile -t hig-notebooks ."; \
		echo "      docker run -p 8888:8888 hig-notebooks"; \
		exit 1; \
	fi; \
	$(MAKE) --no-print-directory kernel && \
	root=; [ "$$(id -u)" = 0 ] && root=--allow-root; \
	cd notebooks && echo "Starting $$app in notebooks/" && $(KERNEL_ENV) exec $$app $$root

notebooks: kernel ## Execute every notebooks/*.ipynb in place, saving outputs (no timestamps).
	$(PYTHON) scripts/normalize_notebook.py $(NOTEBOOKS)
	HIG_HEADLESS=1 $(KERNEL_ENV) jupyter nbconvert --to notebook --execute --inplace $(NBEXEC) $(NOTEBOOKS)
	$(PYTHON) scripts/normalize_notebook.py $(NOTEBOOKS)

test-deps: ## Install what the tests need (Debian packages as root or via sudo, playwright-core from npm): scripts/install-test-deps.sh.
	bash scripts/install-test-deps.sh

test: ## Install what the tests need if missing (scripts/install-test-deps.sh), go vet, go test ./... (runs the notebooks, also in Chromium).
	@if [ "$$HIG_SKIP_NOTEBOOKS" != 1 ]; then bash scripts/install-test-deps.sh; fi
	@echo "go vet ./..."
	@$(GO) vet ./...
	@echo "go test ./...: one 'ok' line per package as it finishes; higlib/toy (about 1 min) and notebooks/,"
	@echo "  which runs the notebooks under the GoNB kernel, headlessly and in Chromium (3-5 min), print nothing before (HIG_SKIP_NOTEBOOKS=1 skips these)"
	@$(GO) test -timeout=30m ./...

figures: $(BIN)/hig ## The main job: the toy study (figures/toy_*), the step-cost scaling (figures/scaling.*) and a short oscillator comparison (figures/oscillators*), ≈ 5 min.
	$(BIN)/hig toy -out figures
	$(BIN)/hig scaling -reps 9 -out figures
	$(BIN)/hig oscillators -budget 8s -tune-budget 2s -test 1024 -out figures

scaling: $(BIN)/hig ## Only the step-cost scaling figure (figures/scaling.*), ≈ 30 s.
	$(BIN)/hig scaling -reps 9 -out figures

oscillators: $(BIN)/hig ## The paper's oscillator comparison at 60 s per run, 3 seeds (figures/oscillators-60s/), ≈ 12 min.
	@echo "hig oscillators: 9 tuning runs of 15 s and 9 runs of 60 s, one at a time (wall-clock budgets: keep the machine otherwise idle)"
	$(BIN)/hig oscillators -budget 60s -out figures/oscillators-60s

gn-study: $(BIN)/hig ## Why Gauss-Newton differs from the chapter: GN and HIG at τ = 1e-4, 1e-2 and with float32-rounded inputs (figures/gn-*/), ≈ 5 min.
	$(BIN)/hig toy -methods gn,hig -tau 1e-4 -out figures/gn-tau1e-4
	$(BIN)/hig toy -methods gn,hig -tau 1e-2 -out figures/gn-tau1e-2
	$(BIN)/hig toy -methods gn,hig -round32 -out figures/gn-round32

bench: ## Benchmarks of the HIG step, the half-inverse (ratios: solver vs reference; its stages), the Dgemm and Gemv kernels (GFLOP/s vs gonum) and the oscillator experiment; prints the CPU first.
	@sh scripts/cpu.sh
	$(GO) test -run '^$$' -bench 'HIGStep|HalfInverse|ToyStep|Dgemm|Gemv|Stages|Oscillator' -benchmem -benchtime=20x ./higlib/...

bench-numpy: ## The same half-inverse in numpy (LAPACK SVD) beside the Go Solver; needs python3-numpy; prints the CPU first.
	@sh scripts/cpu.sh
	$(PYTHON) scripts/bench_numpy.py
	$(GO) test -run '^$$' -bench 'HalfInverse/.*/solver' -benchmem -benchtime=20x ./higlib/halfinv

bench-contention: ## A HIG step at GOMAXPROCS=2 and 1, idle and beside a busy process it starts and stops itself (ROUNDS=5 rounds each, ≈ 30 s); prints the CPU and both ratios.
	GO=$(GO) ROUNDS=$${ROUNDS:-5} bash scripts/bench_contention.sh

clean: ## Remove ./bin.
	rm -rf $(BIN)
