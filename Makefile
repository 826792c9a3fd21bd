# sandtrap: the two commands of the quick start, and the targets around them.
# Everything builds with Meson; this file only names the common flows.

BUILD ?= build
ASAN_BUILD ?= build-asan
SAMPLE ?= samples/demo/dropper.sh
REPORTS ?= reports
DATA ?= /var/lib/sandtrap/run
LISTEN ?= 127.0.0.1:8080

.PHONY: all deps build run analyze test test-unit test-asan bench bench-usrbin bench-server \
	bench-agent format clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The most complete flow that exists: sandtrapd on embedded defaults (SQLite in $(DATA)),
# the demo sample submitted through its API and its verdict printed; the server then
# stays in the foreground until Ctrl-C. `make analyze` is the one-shot local analysis.
run: build
	scripts/run-server $(BUILD) $(DATA) $(SAMPLE) $(LISTEN)

analyze: build
	$(BUILD)/src/cli/sandtrap analyze --report-dir $(REPORTS)/demo $(SAMPLE); \
	status=$$?; echo "report: $(REPORTS)/demo/report.json (exit status $$status)"; \
	[ $$status -le 1 ] || [ $$status -eq 3 ]

test: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2
	$(MAKE) test-asan

# The tests again under AddressSanitizer and UBSan (the sample corpus once is enough).
test-asan: deps
	[ -f $(ASAN_BUILD)/build.ninja ] || \
		meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
			-Dbuildtype=debug
	ninja -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1 meson test -C $(ASAN_BUILD) --print-errorlogs \
		--suite unit --suite fuzz --suite integration --suite safety --suite server \
		--suite agent

bench: build
	ninja -j1 -C $(BUILD) bench

# Every program in /usr/bin with --help and --version in the guest: how many are not clean.
bench-usrbin: build
	ninja -C $(BUILD) bench-usrbin

# sandtrap-agent against issue 5's targets: fork+exec overhead, first-execution decision
# time, memory with 100,000 cache entries; the same workload under ClamAV's on-access
# scanner (installed here without starting any service). About two minutes.
bench-agent: build
	scripts/install-clamav
	ninja -C $(BUILD) bench-agent

# sandtrapd against issue 4's targets: lookups/s (wrk, next to nginx), submission to
# verdict, detonations per minute, idle RSS. About a minute and a half.
bench-server: build
	ninja -C $(BUILD) bench-server

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
