# The two commands of the README:
#   make run   install deps, release build, start the service with the default model
#   make test  install deps, build, run every test (Swift; then Python's if python3 is there)
SWIFT ?= swift
BIN = .build/release/pocket-tts

.PHONY: deps build release test run clean

deps:
	bash Scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product pocket-tts

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	bash Scripts/python-tests.sh

run: release
	bash Scripts/run.sh $(BIN)

clean:
	rm -rf .build
