# l3das-swift: two commands do everything on a fresh Debian machine (as root, or with sudo).
#   make demo   install what is needed, build, then run the end-to-end demo: synthesise a small
#               dataset, preprocess, train the tiny baselines, predict, validate, score, rank
#               (reports in l3das-demo/reports; a few minutes on two cores, offline)
#   make test   install what is needed, build, run the whole test suite
DEBIAN_PACKAGES := libsndfile1-dev libfftw3-dev libopenblas-dev libssl-dev zlib1g-dev libpng-dev pkg-config pocketsphinx-testdata libpocketsphinx-dev pocketsphinx-en-us python3 chromium-headless-shell
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO ?= l3das-demo

.PHONY: demo test deps build release bench

deps:
	@if ! dpkg -s $(DEBIAN_PACKAGES) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES); \
	fi

release: deps
	swift build -c release --product l3das

demo: release
	.build/release/l3das demo --output $(DEMO)

build: deps
	swift build --build-tests

test: build
	swift test --skip-build

bench: deps
	swift build -c release --product l3das-bench
	.build/release/l3das-bench
