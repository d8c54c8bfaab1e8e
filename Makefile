# rlexp — set-up, build, run, test, bench. Every target installs what is missing first (idempotent).
SHELL := /bin/bash
SWIFT ?= swift
PYTHON ?= python3
JOBS ?= $(shell nproc)
RLEXP := .build/release/rlexp

.PHONY: all deps system-deps python-deps gym-venv build run run-minatar test mutation test-slurm bench bench-peers schema screenshot clean fuzz

all: build

# Debian's HDF5 (serial) and pkg-config; installed only when pkg-config cannot find hdf5-serial.
system-deps:
	@if ! pkg-config --exists hdf5-serial 2>/dev/null; then \
	  echo "installing libhdf5-dev (Debian) ..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq libhdf5-dev pkg-config >/dev/null || \
	  { $$SUDO apt-get -f install -y -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libhdf5-dev pkg-config; }; \
	fi

# h5py, jsonschema, pandas and tensorboard from PyPI, for the cross-tool tests (files must open
# without our code; the TensorBoard export is read back with tensorboard's own event reader).
python-deps:
	@$(PYTHON) -c "import h5py, jsonschema, numpy, pandas, matplotlib, tensorboard" 2>/dev/null || \
	  $(PYTHON) -m pip install -q --disable-pip-version-check h5py jsonschema numpy pandas matplotlib tensorboard
	@$(PYTHON) -c "import minari" 2>/dev/null || $(PYTHON) -m pip install -q --disable-pip-version-check minari

deps: system-deps

# The Gymnasium bridge's venv (.build/gym-venv: gymnasium, ale-py with its ROMs, mujoco, minatar, OpenCV for AtariPreprocessing;
# ~250 MB). rlexp runs this target itself the first time a spec names a "gym:<id>" environment, and
# never otherwise; `make test` needs it for the bridge's tests. RLEXP_GYM_PYTHON overrides it.
GYM_VENV ?= .build/gym-venv
GYM_PACKAGES ?= numpy gymnasium ale-py mujoco imageio minatar opencv-python-headless
gym-venv:
	@mkdir -p .build && exec 9>.build/gym-venv.lock && flock 9 && \
	  if [ -x $(GYM_VENV)/bin/python ] && $(GYM_VENV)/bin/python -c "import gymnasium, ale_py, mujoco, imageio, minatar, cv2" 2>/dev/null; then :; else \
	    echo "setting up $(GYM_VENV) ($(GYM_PACKAGES)) ..."; \
	    $(PYTHON) -m venv $(GYM_VENV) && $(GYM_VENV)/bin/pip install -q --disable-pip-version-check $(GYM_PACKAGES) && \
	    $(GYM_VENV)/bin/python -c "import gymnasium, ale_py, mujoco, minatar; print('gym venv ready: gymnasium', gymnasium.__version__, '/ ale-py', ale_py.__version__, '/ mujoco', mujoco.__version__)"; \
	  fi

build: deps
	$(SWIFT) build -c release --product rlexp

# The main job: the default sweeps and their reports (A2C ~10 s, ACER ~5-10 min, A3C methods ~40 s on 2 cores).
run: build
	$(RLEXP) run experiments/a2c_cartpole.json --jobs $(JOBS)
	$(RLEXP) run experiments/acer_sweep.json --jobs $(JOBS)
	$(RLEXP) run experiments/a3c_methods.json --jobs $(JOBS)
	for s in acrobot_a2c acrobot_acer mountaincar_a2c mountaincar_acer; do $(RLEXP) run experiments/$$s.json --jobs $(JOBS) || exit 1; done

# MinAtar Breakout and SpaceInvaders with A2C and the conv net (3 seeds x 2M frames each, ~20 min on
# 2 cores), and ACER on Breakout (3 seeds x 2M frames, ~35 min on 2 cores).
run-minatar: build
	$(RLEXP) run experiments/minatar_breakout_a2c.json --jobs $(JOBS)
	$(RLEXP) run experiments/minatar_space_invaders_a2c.json --jobs $(JOBS)
	$(RLEXP) run experiments/minatar_breakout_acer.json --jobs $(JOBS)

# Unit and integration tests, then the checks of what a user sees: the XCTest suites (debug
# configuration: the library targets are optimised there too, see Package.swift), the pinned help
# and error output, a quick subset of the mutation check (each mutation must make a test fail), the
# Python-side checks of run.h5 and reports, kill-and-resume (check_resume.py, ~40 s), the smoke
# sweeps against results/golden, and rlexp
# submit/status on a real single-node Slurm (test-slurm, ~15 s once its packages are installed).
test: deps python-deps gym-venv
	$(SWIFT) build -c release --product rlexp
	$(SWIFT) build --build-tests
	RLEXP_REQUIRE_GYM=1 $(SWIFT) test --skip-build
	$(PYTHON) Tests/python/check_cli.py --rlexp $(RLEXP)
	$(PYTHON) Tests/python/check_hostile_specs.py --rlexp $(RLEXP)
	$(PYTHON) Tests/python/check_env_check.py --rlexp $(RLEXP)
	$(PYTHON) Tests/python/check_cpu_variants.py --rlexp $(RLEXP)
	$(PYTHON) Tests/mutation/run_mutations.py --quick --skip-baseline
	$(PYTHON) Tests/python/check_outputs.py --rlexp $(RLEXP)
	$(PYTHON) Tests/python/check_resume.py --rlexp $(RLEXP)
	$(PYTHON) Tests/python/check_tensorboard.py --rlexp $(RLEXP)
	$(PYTHON) Tests/python/check_gym_bridge.py --rlexp $(RLEXP)
	$(MAKE) --no-print-directory chromium-deps && $(PYTHON) Tests/python/check_report_html.py --rlexp $(RLEXP)
	$(PYTHON) Tests/python/check_minari.py --rlexp $(RLEXP)
	$(PYTHON) Tests/python/check_golden.py --rlexp $(RLEXP)
	$(PYTHON) Tests/slurm/test_slurm.py --rlexp $(RLEXP)

# Debian's Chromium for the headless check of report.html (check_report_html.py); installed only when missing.
chromium-deps:
	@command -v chromium >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium >/dev/null; }

# libFuzzer on the spec decoder for FUZZ_SECONDS s, in its own package and build folder
# (.build-fuzz/libfuzzer, corpus kept between runs; the first instrumented build takes minutes);
# exit 1 and the input in .build-fuzz/libfuzzer/artifacts/ on a crash, hang or out-of-memory input.
FUZZ_SECONDS ?= 300
fuzz: deps
	SWIFT=$(SWIFT) Tests/fuzz/run_fuzz.sh $(FUZZ_SECONDS)

# Every mutation of Tests/mutation/mutations.json, one at a time: prints which test caught each;
# fails if any survives (about 10 s a mutation on 2 cores).
mutation: deps python-deps
	$(PYTHON) Tests/mutation/run_mutations.py

# rlexp submit/status on a real single-node Slurm (loopback; munge + slurmctld + slurmd from Debian,
# installed on first use): a sweep with a deliberately failing run, compared bit for bit with a local run.
test-slurm: build python-deps
	$(PYTHON) Tests/slurm/test_slurm.py --rlexp $(RLEXP)

# Speed figures (one core each), and the training speed of the debug build (`swift run`) beside the
# release build's, measured one after the other in the same run.
bench: build
	@$(PYTHON) -c "import gymnasium" 2>/dev/null || $(PYTHON) -m pip install -q --disable-pip-version-check gymnasium
	$(SWIFT) build --product rlexp
	@echo "rlexp beside SB3, PFRL and a vmapped JAX A2C, measured one after the other (bench/peers.py; sets up .build/peers-venv and .build/jax-venv on first use, ~20 min) ..."
	$(PYTHON) bench/peers.py --rlexp $(RLEXP) --readme README.md
	$(MAKE) --no-print-directory bench-peers || { rm -f .build/sb3-ppo.json; echo "SB3's PPO could not be set up or run: the PPO comparison is left out of this bench"; }
	$(RLEXP) bench --peer-python $(PYTHON) --debug-binary .build/debug/rlexp $$( [ -s .build/peers/pfrl_a3c.json ] && echo --pfrl-a3c .build/peers/pfrl_a3c.json ) \
	  $$( [ -s .build/sb3-ppo.json ] && echo --sb3-ppo .build/sb3-ppo.json )
	$(RLEXP) bench --recording-only
	@$(PYTHON) -c "import minatar" 2>/dev/null || $(PYTHON) -m pip install -q --disable-pip-version-check minatar
	$$(command -v taskset >/dev/null && echo taskset -c 0) $(RLEXP) env bench --python $(PYTHON) --repeats 3
	$(MAKE) --no-print-directory gym-venv && $(RLEXP) env bridge-bench
	@command -v valgrind >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq valgrind >/dev/null; }
	@echo "instructions per env step (callgrind; fails when a hot path is >10% above bench/instructions_baseline.json; --update after a deliberate change):"
	$(PYTHON) bench/instructions.py --rlexp $(RLEXP)

# SB3's PPO with the zoo's CartPole settings, seeds 0-2, pinned to core 0, one JSON line each in
# .build/sb3-ppo.json, for `rlexp bench --sb3-ppo`; in the peers' venv of bench/peers.py (.build/peers-venv:
# CPU torch, the machine's local CPU wheel when there is one; created on first use, ~1 GB).
PEERS_VENV ?= .build/peers-venv
bench-peers:
	@$(PYTHON) bench/peers.py --setup-only
	@echo "measuring SB3 PPO (zoo CartPole settings, seeds 0-2, core 0) ..."
	@rm -f .build/sb3-ppo.json; for s in 0 1 2; do taskset -c 0 $(PEERS_VENV)/bin/python bench/sb3_ppo_zoo.py $$s 100000 2>/dev/null | tail -1 >> .build/sb3-ppo.json; done

# Regenerate experiments/schema.json from the decoder's tables.
schema: build
	$(RLEXP) schema > experiments/schema.json

# Render a report in headless Chromium (Debian's package) to check it as a reader sees it:
# make screenshot REPORT=results/acer_sweep  →  results/acer_sweep/report/report.png
REPORT ?= results/acer_sweep
screenshot:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,3000 \
	  --screenshot=$(REPORT)/report/report.png file://$(abspath $(REPORT))/report/report.html
	@echo "$(REPORT)/report/report.png"

clean:
	rm -rf .build
