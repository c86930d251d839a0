# Makefile for github.com/higlab/hig: the Go library, its tests and the GoNB notebooks.
# Run `make` (or `make help`) for the list of targets.

.DEFAULT_GOAL := help
SHELL := /bin/bash

GO        ?= go
# Binaries built from the versions pinned in go.mod (`tool` entries): gonb, goimports.
BIN       := $(CURDIR)/bin
# The project's Jupyter environment: JupyterLab, Notebook 7, nbconvert and nbclient at
# the versions pinned (with hashes) in requirements/jupyter.txt; git-ignored, built by
# `make venv`. Nothing is installed outside it.
VENV      := $(CURDIR)/.venv
REQUIREMENTS := requirements/jupyter.txt
# The Python that creates it: Debian's (the requirements are compiled for its 3.11),
# else the first python3 on PATH.
SYS_PYTHON ?= $(if $(wildcard /usr/bin/python3),/usr/bin/python3,python3)
# Python for the scripts (nbformat): the environment's.
PYTHON    ?= $(VENV)/bin/python
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

.PHONY: help venv requirements kernel lab notebooks test-deps test figures scaling oscillators dipole book-chain gn-study bench bench-numpy bench-contention clean $(BIN)/hig

help: ## List the targets.
	@echo "Targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  make %-12s %s\n", $$1, $$2}'
	@echo "Variables: KERNEL_DATA_DIR (kernelspec location), LAB_PORT (8888), LAB_ARGS (more jupyter-lab flags), GO, SYS_PYTHON."
	@echo "HIG_SKIP_NOTEBOOKS=1 makes 'make test' skip the notebook runs (headless and in Chromium) and their packages."
	@echo "'make lab' and 'make notebooks' install the GoNB kernelspec inside .venv; 'make kernel', for a"
	@echo "Jupyter of your own (JupyterLab, VS Code), installs it in"
	@echo "  $(KERNEL_DIR)"
	@echo "  pointing at $(BIN)/gonb; remove it with 'jupyter kernelspec uninstall gonb' or 'rm -r' that folder."

# The environment is rebuilt when the pinned list changes; a failed install leaves no
# stamp, so the next make tries again.
$(VENV)/.installed: $(REQUIREMENTS)
	@bash scripts/venv.sh "$(SYS_PYTHON)" "$(VENV)" "$(REQUIREMENTS)"
	@touch $@

venv: $(VENV)/.installed ## Build the project's Jupyter environment .venv from requirements/jupyter.txt (pip --require-hashes).

requirements: ## Re-pin requirements/jupyter.txt from requirements/jupyter.in (pip-compile, hashes), after changing a version there.
	$(SYS_PYTHON) -m venv $(CURDIR)/.venv-pip-tools
	$(CURDIR)/.venv-pip-tools/bin/pip install --quiet pip-tools==7.6.2
	$(CURDIR)/.venv-pip-tools/bin/pip-compile --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --quiet -o $(REQUIREMENTS) requirements/jupyter.in
	rm -rf $(CURDIR)/.venv-pip-tools

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
	$(SYS_PYTHON) scripts/kernelspec_env.py "$(KERNEL_DIR)" "$(BIN)" "$$($(GO) env GOROOT)/bin"
	@echo "GoNB kernelspec installed in $(KERNEL_DIR):"
	@echo "  it runs $(BIN)/gonb with $(BIN) (goimports) and Go on its PATH, so any Jupyter"
	@echo "  front end (jupyter notebook, JupyterLab, VS Code) can start it. gopls (autocompletion)"
	@echo "  is optional and not built here: GoNB's advice to 'go install' it can be ignored."
	@echo "  Remove it with: jupyter kernelspec uninstall gonb   (or: rm -r $(KERNEL_DIR))"

# `make lab` and `make notebooks` install the kernelspec inside .venv, which the
# environment's Jupyter finds (sys.prefix/share/jupyter): nothing outside the checkout.
VENV_DATA_DIR := $(VENV)/share/jupyter
LAB_PORT ?= 8888
LAB_ARGS ?=

lab: venv ## Build .venv and the GoNB kernel if missing, then start JupyterLab on notebooks/ (LAB_PORT, LAB_ARGS).
	@$(MAKE) --no-print-directory kernel KERNEL_DATA_DIR=$(VENV_DATA_DIR)
	@root=; [ "$$(id -u)" = 0 ] && root=--allow-root; \
	echo; \
	echo "Starting JupyterLab $$($(VENV)/bin/jupyter-lab --version) on notebooks/, port $(LAB_PORT)."; \
	echo "Open the http://127.0.0.1:$(LAB_PORT)/lab?token=... address it prints below, then pick"; \
	echo "a notebook (kernel: Go (gonb)). Stop it with Ctrl+C twice."; \
	echo; \
	cd notebooks && PATH="$(BIN):$(VENV)/bin:$$PATH" exec $(VENV)/bin/jupyter-lab --no-browser \
		--port=$(LAB_PORT) $$root $(LAB_ARGS)

notebooks: venv ## Execute every notebooks/*.ipynb in place with the pinned nbconvert, saving outputs (no timestamps).
	@$(MAKE) --no-print-directory kernel KERNEL_DATA_DIR=$(VENV_DATA_DIR)
	$(PYTHON) scripts/normalize_notebook.py $(NOTEBOOKS)
	HIG_HEADLESS=1 PATH="$(BIN):$$PATH" $(VENV)/bin/jupyter-nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.kernel_name=gonb $(NBEXEC) $(NOTEBOOKS)
	$(PYTHON) scripts/normalize_notebook.py $(NOTEBOOKS)

test-deps: ## Install what the tests need (Debian packages as root or via sudo, playwright-core from npm): scripts/install-test-deps.sh.
	bash scripts/install-test-deps.sh

test: ## Install what the tests need if missing (scripts/install-test-deps.sh, make venv), go vet, go test ./... (runs the notebooks, also in JupyterLab in Chromium).
	@if [ "$$HIG_SKIP_NOTEBOOKS" != 1 ]; then bash scripts/install-test-deps.sh && $(MAKE) --no-print-directory venv; fi
	@echo "go vet ./..."
	@$(GO) vet ./...
	@echo "go test ./...: one 'ok' line per package as it finishes; higlib/toy (about 1 min) and notebooks/,"
	@echo "  which runs the notebooks under the GoNB kernel, headlessly and in JupyterLab in Chromium (5-8 min), print nothing before (HIG_SKIP_NOTEBOOKS=1 skips these)"
	@$(GO) test -timeout=30m ./...

figures: $(BIN)/hig ## The main job: the toy study (figures/toy_*), the step-cost scaling (figures/scaling.*), a short oscillator comparison by step budgets (figures/oscillators*) and a short quantum-dipole comparison at fixed rates (figures/dipole/), both the same bits on any machine; ≈ 6 min idle (the dipole line ≈ 100 s of it: 3 min 23 s user CPU ÷ 2, measured at load average 5–10).
	$(BIN)/hig toy -out figures
	$(BIN)/hig scaling -reps 9 -out figures
	$(BIN)/hig oscillators -steps 300 -test 1024 -out figures
	$(BIN)/hig dipole -steps 40 -test 256 -records 20 -lr adam=1.5e-2,hig=8 -out figures/dipole

scaling: $(BIN)/hig ## Only the step-cost scaling figure (figures/scaling.*), ≈ 30 s.
	$(BIN)/hig scaling -reps 9 -out figures

oscillators: $(BIN)/hig ## The paper's wall-clock protocol: 60 s per run, 3 seeds (figures/oscillators-60s/), ≈ 12 min; results depend on the host and its load.
	@echo "hig oscillators: 9 tuning runs of 15 s and 9 runs of 60 s, one at a time (wall-clock budgets: the results depend on the host and its load; keep the machine otherwise idle)"
	$(BIN)/hig oscillators -budget 60s -out figures/oscillators-60s

dipole: $(BIN)/hig ## The quantum dipole with tuning, 100 HIG / 800 Adam steps per run, 3 seeds (figures/dipole-100/), the same bits on any machine; 27 min at load average 7–9 (11 min user CPU: ≈ 6 min idle).
	$(BIN)/hig dipole -steps 100 -out figures/dipole-100

book-chain: $(BIN)/hig ## The book notebook's linear chain: Adam, SIP and HIG by step budgets (600 HIG steps, 1800 Adam, 600 SIP per run; figures/book-chain/), ≈ 3 min; not part of figures.
	$(BIN)/hig oscillators -preset book -out figures/book-chain

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

clean: ## Remove ./bin and the Jupyter environment .venv.
	rm -rf $(BIN) $(VENV)
