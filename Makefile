# TorchAmp: the two commands of README.md, and the suites CI runs.
#   make run    install what is missing, build Release, render the demo through the default model
#   make test   install what is missing, build, run every test
.DELETE_ON_ERROR:
.PHONY: all deps build run test rtsan tsan fuzz bench soak install uninstall dist clean

BUILD_DIR  := build
ARTEFACTS  := $(BUILD_DIR)/Source/Plugin/TorchAmp_artefacts/Release
DEMO_IN    := Resources/demo.wav
DEMO_OUT   := $(BUILD_DIR)/demo-out.wav
CTEST_ARGS ?=

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release > $(BUILD_DIR).configure.log 2>&1 || { cat $(BUILD_DIR).configure.log; exit 1; }
	cmake --build --preset release

run: build
	@echo "Rendering $(DEMO_IN) through the embedded default model..."
	@$(BUILD_DIR)/bin/torchamp-render --in $(DEMO_IN) --out $(DEMO_OUT) | tee $(BUILD_DIR)/demo-out.json
	@echo
	@echo "Output WAV:  $(abspath $(DEMO_OUT))"
	@echo "Figures:     $(abspath $(BUILD_DIR)/demo-out.json)"
	@echo "VST3:        $(abspath $(ARTEFACTS)/VST3/TorchAmp.vst3)"
	@echo "LV2:         $(abspath $(ARTEFACTS)/LV2/TorchAmp.lv2)"
	@echo "Standalone:  $(abspath $(ARTEFACTS)/Standalone/TorchAmp)"

test: build
	ctest --preset release $(CTEST_ARGS)

# Copy the plugins to ~/.vst3 and ~/.lv2, the Standalone app and the tools to ~/.local (PREFIX=/usr/local
# for system folders); uninstall removes them; dist writes one archive per format into build/dist.
install: build
	scripts/install.sh install $(BUILD_DIR)
uninstall:
	scripts/install.sh uninstall $(BUILD_DIR)
dist: build
	scripts/install.sh dist $(BUILD_DIR)

# A short benchmark of the engines (the full matrix: build/bin/torchamp-bench with no --quick), then
# the whole plugin against its bare engine.
bench: build
	$(BUILD_DIR)/bin/torchamp-bench --quick --json $(BUILD_DIR)/bench.json | tee $(BUILD_DIR)/bench.txt
	/usr/bin/python3 scripts/plot_bench.py $(BUILD_DIR)/bench.json $(BUILD_DIR)/bench.png
	$(BUILD_DIR)/bin/torchamp-plugin-bench --model $(BUILD_DIR)/test-models/lstm1x40.pt \
	    --model-2x $(BUILD_DIR)/test-models/lstm1x40_96k.pt --seconds 5 --json $(BUILD_DIR)/plugin-bench.json \
	    | tee $(BUILD_DIR)/plugin-bench.txt

# One hour of varied audio with automation and a model swap every minute, then an hour of
# silence, through the real processor; writes build/soak/soak-report.md. SOAK_MINUTES=5 for a short one.
SOAK_MINUTES ?= 60
soak: build
	$(BUILD_DIR)/bin/torchamp-soak --minutes $(SOAK_MINUTES) --report $(BUILD_DIR)/soak \
		$(foreach m,Resources/DefaultModel.pt $(wildcard Models/trained/*.pt) $(BUILD_DIR)/test-models/lstm2x24_knobs_skip.pt,--model $(m))
	@cat $(BUILD_DIR)/soak/soak-report.md

# The whole suite again, built with clang-22 -fsanitize=realtime: RealtimeSanitizer halts on the
# first allocation, lock or system call inside a function marked TORCHAMP_NONBLOCKING.
rtsan:
	@scripts/install-deps.sh --rtsan
	@cmake --preset rtsan > build-rtsan.configure.log 2>&1 || { cat build-rtsan.configure.log; exit 1; }
	cmake --build --preset rtsan
	RTSAN_OPTIONS="halt_on_error=true:suppressions=$(CURDIR)/Tests/rtsan.supp" ctest --preset rtsan $(CTEST_ARGS)

# Hot-swap (models and impulse responses), state and preset restore and LibTorch worker tests under ThreadSanitizer.
TSAN_PLUGIN_TESTS := *hotSwap*:*swapsImpulseResponses*:*SurviveAStateRoundTrip*:*aSavedPresetRestores*:*StateRoundTrip*:*garbageOrTruncated*:*survivesWhatHostsDo*:*thirtyTwoInstances*:*48000Hz_128_2ch*:*44100Hz_333_1ch*
tsan:
	@scripts/install-deps.sh --rtsan
	@cmake --preset tsan > build-tsan.configure.log 2>&1 || { cat build-tsan.configure.log; exit 1; }
	cmake --build --preset tsan
	export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/Tests/tsan.supp"; \
	build-tsan/bin/torchamp_engine_tests --gtest_filter='EffectChain.*:CabinetInTheChain.*:*ChainRealtime*48000Hz_128_2ch:*ChainRealtime*96000Hz_333_1ch' && \
	build-tsan/bin/torchamp_loader_tests --gtest_filter='LibTorchEngine.*' && \
	build-tsan/bin/torchamp_plugin_tests --gtest_filter='$(TSAN_PLUGIN_TESTS)'

# libFuzzer (with AddressSanitizer and LeakSanitizer) on the archive check, the native TorchScript
# reader, the model loader, state restore, the WAV reader and each JSON importer, FUZZ_SECONDS each
# from the seed corpus in Tests/fuzz; the hostile-file and hostile-host tests run under ASan too
# (with the symbolizer: LeakSanitizer matches its suppressions by function name), all but the two
# that compare the native reader's judgement with the LibTorch loader's on every test model
# (minutes under ASan; the ordinary build runs them).
ASAN_HOSTILE_TESTS := *hostileHostNumbers*:*UnsupportedHostRate*:HostileNumbers.*:FileBytes.*:WavFile.*:*NotModels*:*NotNumbers*:*hostileFiles*
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
fuzz:
	@scripts/install-deps.sh --rtsan
	@cmake --preset fuzz > build-fuzz.configure.log 2>&1 || { cat build-fuzz.configure.log; exit 1; }
	cmake --build --preset fuzz
	Tests/fuzz/run-fuzzers.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_RUNS)
	export ASAN_SYMBOLIZER_PATH=$$(command -v llvm-symbolizer-22 || command -v llvm-symbolizer) \
	    ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=255 LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan.supp; \
	build-fuzz/bin/torchamp_loader_tests --gtest_filter='ArchiveCheck.*:TorchScriptReader.*:ModelLoader.*:LibTorchEngine.*:-TorchScriptReader.judgesEveryTestModelAsTheLoaderDoes:TorchScriptReader.differsFromTheLoaderOnlyWhereItMeansTo' && \
	build-fuzz/bin/torchamp_import_tests --gtest_filter='ImportJson.*' && \
	build-fuzz/bin/torchamp_engine_tests --gtest_filter='$(ASAN_HOSTILE_TESTS)' && \
	build-fuzz/bin/torchamp_plugin_tests --gtest_filter='$(ASAN_HOSTILE_TESTS)'

clean:
	rm -rf $(BUILD_DIR) build-*
