# The two commands of the README:
#   make run   install deps, release build, start the service with the default model
#   make test  install deps, build, run every test (Swift, a short fuzz of the service, then the
#              Python client's tests if python3 is there)
# Hardening (README "Limits and failure behaviour"):
#   make fuzz      1,000,000 fuzzed messages against a release server on the tiny test model; fails
#                  when a side connection's pong takes over 50 ms (the event loop's lag; `make
#                  test`'s short fuzz of a debug build allows 500 ms: debug code is ~10x slower)
#   make soak      SESSIONS sessions (every protocol, i mod 7) speak/cancel/drop/reconnect beside a
#                  voice upload/speak/delete churn for MINUTES minutes (Tests/fuzz/soak.py)
#   make sanitize  the server and engine tests under ThreadSanitizer, then AddressSanitizer
# The web page (Clients/web, compiled in as Sources/TTSServer/WebAssets.swift):
#   make web-assets  regenerate WebAssets.swift after editing Clients/web
#   make web-check   the page in headless Chromium against the tiny model (skips without chromium)
# Benchmarks (Benchmarks/README.md):
#   make bench      the server bench (Benchmarks/server_bench.sh: BENCH_SESSIONS x BENCH_STYLES x
#                   BENCH_FORMATS, and the reference's HTTP server for the single-session figures),
#                   one stream per model family beside pocket-tts 4.0.1 (Benchmarks/family_bench.py),
#                   every family through the service with its defaults at 1, 8 and capacity + 1
#                   sessions beside the 4.0.1 server (Benchmarks/family_server_bench.py, RESULTS.md's
#                   opening table),
#                   then engine vs reference (Benchmarks/run.sh), all in RESULTS.md; an hour or more
#   make scale-out  two instances behind nginx (Benchmarks/scale_out.sh)
SWIFT ?= swift
PYTHON ?= python3
BIN = .build/release/pocket-tts
SESSIONS ?= 14
MINUTES ?= 60
FUZZ_MESSAGES ?= 1000000
BENCH_SESSIONS ?= 1,2,4,8,12,16,20,24
BENCH_STYLES ?= agent,caption,poisson
BENCH_FORMATS ?= pcm,opus
BENCH_REPEATS ?= 5
BENCH_OUT ?= Benchmarks/results/server
# pocket-tts 4.0.1's venv (Scripts/reference/README.md), for the per-family bench beside it.
REFERENCE4_PYTHON ?= /opt/ref4-venv/bin/python

.PHONY: deps build release test run clean fuzz soak sanitize web-assets web-check bench scale-out

deps:
	bash Scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product pocket-tts

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(SWIFT) build --product pocket-tts
	$(PYTHON) Tests/fuzz/fuzz.py --binary .build/debug/pocket-tts --messages 20000 --time-limit 120 --max-pong-ms 500
	bash Scripts/python-tests.sh

fuzz: release
	$(PYTHON) Tests/fuzz/fuzz.py --binary $(BIN) --messages $(FUZZ_MESSAGES) --rounds 50 --verbose

soak: release
	$(PYTHON) Tests/fuzz/soak.py --binary $(BIN) --sessions $(SESSIONS) --minutes $(MINUTES)

sanitize: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build/tsan
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build/tsan --filter 'TTSServerTests|TTSEngineTests'
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build/asan
	LSAN_OPTIONS=suppressions=$(CURDIR)/Scripts/lsan-suppressions.txt \
		$(SWIFT) test --skip-build --sanitize=address --scratch-path .build/asan --filter 'TTSServerTests|TTSEngineTests'

bench: deps
	bash Benchmarks/server_bench.sh --sessions $(BENCH_SESSIONS) --styles $(BENCH_STYLES) \
		--formats $(BENCH_FORMATS) --reference --out $(BENCH_OUT)
	$(REFERENCE4_PYTHON) Benchmarks/family_bench.py --out Benchmarks/results/families
	.build/python/bin/python Benchmarks/family_server_bench.py --reference4-python $(REFERENCE4_PYTHON) \
		--out Benchmarks/results/family_server
	bash Benchmarks/run.sh --repeats $(BENCH_REPEATS) --lead Benchmarks/results/family_server/SUMMARY.md \
		--include $(BENCH_OUT)/SUMMARY.md \
		--include Benchmarks/results/families/SUMMARY.md --server-dir $(BENCH_OUT)

scale-out: deps
	bash Scripts/install-deps.sh --bench
	bash Benchmarks/scale_out.sh

run: release
	bash Scripts/run.sh $(BIN)

web-assets:
	$(PYTHON) Scripts/embed-web.py

web-check: deps
	$(SWIFT) build --product pocket-tts
	bash Scripts/web-check.sh

clean:
	rm -rf .build
