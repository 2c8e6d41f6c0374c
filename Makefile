# tupper: `make demo` runs the embedded example, `make test` runs every test.
# Both install what they need on a Debian host (as root).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

HELPER := helper/tupper-init
HELPER_C := helper/tupper-init.c helper/log.c helper/security.c helper/devices.c helper/users.c helper/userns.c helper/seccomp_profile.c helper/untar.c helper/port.c helper/util.c helper/pty.c helper/context.c helper/chmod.c helper/pattern.c helper/sha256.c helper/net6.c helper/proxy6.c helper/remove.c helper/veth.c helper/feed.c
HELPER_SOURCES := $(HELPER_C) helper/security.h helper/log.h helper/untar.h helper/port.h helper/util.h helper/pty.h helper/context.h helper/chmod.h helper/pattern.h helper/sha256.h helper/net6.h helper/proxy6.h helper/remove.h helper/veth.h helper/feed.h
ROOTFS := build/rootfs
SPECS := $(wildcard specs/*.yaml)
GENERATED := $(patsubst specs/%.yaml,generated/%.sh,$(SPECS))
TS_SOURCES := $(shell find src test/unit -name '*.ts' 2>/dev/null) src/spec/schema.json tsconfig.json
TEMPLATES := $(shell find templates -name '*.hbs' -o -name '*.sh')
PREFIX ?= /usr/local
BATS := node_modules/bats/bin/bats

# The helper: static, warnings are errors. The same source and compiler give the same bytes.
CFLAGS_HELPER := -static -O2 -Wall -Wextra -Werror -std=gnu11 -ffile-prefix-map=$(CURDIR)=. -Wl,--build-id=none

.PHONY: deps build helper rootfs generated docs demo test test-unit test-shellcheck test-e2e test-fuzz test-vm bench install clean

deps:
	scripts/install-deps.sh

build: deps dist/.built $(HELPER)

dist/.built: $(TS_SOURCES) src/spec/schema-types.ts package.json
	npx tsc -p tsconfig.json
	chmod +x dist/src/cli.js
	touch $@

# The spec's TS types, from the JSON Schema (checked in; a unit test keeps them in sync).
src/spec/schema-types.ts: src/spec/schema.json scripts/schema-types.mjs
	node scripts/schema-types.mjs src/spec/schema.json > $@

helper: $(HELPER)
$(HELPER): $(HELPER_SOURCES) scripts/helper-buildinfo.sh
	gcc $(CFLAGS_HELPER) -o $@ $(HELPER_C)
	scripts/helper-buildinfo.sh 'gcc $(subst $(CURDIR),$$PWD,$(CFLAGS_HELPER)) -o $@ $(HELPER_C)' $(HELPER_SOURCES) > $@.buildinfo

rootfs: $(ROOTFS)/bin/busybox
$(ROOTFS)/bin/busybox:
	scripts/make-busybox-rootfs.sh $(ROOTFS)

# Compiled example specs are checked in; this brings them up to date.
generated: dist/.built $(GENERATED)
generated/%.sh: specs/%.yaml dist/.built $(TEMPLATES) $(HELPER)
	node dist/src/cli.js compile $< -o $@

# The spec reference, generated from the JSON Schema (a unit test keeps it in sync).
docs: dist/.built
	node dist/src/cli.js docs > docs/spec.md

# The embedded default: build, compile specs/hello.yaml, run it.
demo: build rootfs
	node dist/src/cli.js compile specs/hello.yaml -o build/hello.sh
	TUPPER_ROOT=$(CURDIR)/build/demo-root TUPPER_RUN=$(CURDIR)/build/demo-run \
	  TUPPER_HELPER=$(CURDIR)/$(HELPER) build/hello.sh run --rm hello

# Every test, in two lanes at once: the VM lane (test-vm: one QEMU vCPU, so one core) boots
# in the background first and runs beside the host's lanes; `make test` waits for it at the
# end, prints its TAP and summary, and fails when it failed or could not boot. Then one
# line for both TAP lanes: "total: N passed, N failed". (`make`, not $(MAKE): make -n would
# run a line with $(MAKE) in it, and with it the VM lane.)
test: build rootfs
	scripts/install-deps.sh vm
	@rm -f build/vm.log build/vm.status build/e2e.tap build/vm.tap
	@{ test/vm/run.sh > build/vm.log 2>&1; echo $$? > build/vm.status; } & \
	  status=0; make --no-print-directory test-unit test-shellcheck test-fuzz test-e2e || status=$$?; \
	  echo "waiting for the VM lane (build/vm.log)"; wait; cat build/vm.log; \
	  [ "$$(cat build/vm.status 2> /dev/null)" = 0 ] || { echo "vm: the VM lane failed"; status=1; }; \
	  cat build/e2e.tap build/vm.tap 2> /dev/null | \
	    awk '/^ok /{p++} /^not ok /{f++} END{printf "total: %d passed, %d failed\n", p, f}'; \
	  exit $$status

test-unit: dist/.built $(HELPER)
	node --test --test-reporter=spec dist/test/unit/

# The layer reader (helper/untar.c) under libFuzzer with ASan and UBSan, for FUZZ_TIME seconds,
# from the checked-in corpus (valid archives, attacks, every crash found: helper/fuzz/corpus).
# New inputs go to build/fuzz/corpus; a crash is saved in build/fuzz/artifacts and fails the run.
FUZZ_TARGET := build/fuzz/untar-fuzz
FUZZ_TIME ?= 60
$(FUZZ_TARGET): helper/fuzz/untar-fuzz.c helper/untar.c helper/untar.h helper/util.c helper/util.h
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Wall -Wextra -Werror -DUTIL_EXIT=fuzz_exit -o $@ helper/fuzz/untar-fuzz.c helper/untar.c helper/util.c
# The .dockerignore/COPY wildcard matcher (helper/pattern.c) the same way, from helper/fuzz/pattern-corpus.
FUZZ_PATTERN := build/fuzz/pattern-fuzz
$(FUZZ_PATTERN): helper/fuzz/pattern-fuzz.c helper/pattern.c helper/pattern.h helper/util.c helper/util.h
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Wall -Wextra -Werror -DUTIL_EXIT=fuzz_exit -o $@ helper/fuzz/pattern-fuzz.c helper/pattern.c helper/util.c
test-fuzz: deps $(FUZZ_TARGET) $(FUZZ_PATTERN)
	rm -rf build/fuzz/corpus build/fuzz/artifacts && mkdir -p build/fuzz/corpus build/fuzz/artifacts
	$(FUZZ_TARGET) -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	  -artifact_prefix=build/fuzz/artifacts/ build/fuzz/corpus helper/fuzz/corpus
	rm -rf build/fuzz/pattern-corpus && mkdir -p build/fuzz/pattern-corpus
	$(FUZZ_PATTERN) -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	  -artifact_prefix=build/fuzz/artifacts/ build/fuzz/pattern-corpus helper/fuzz/pattern-corpus

test-shellcheck:
	shellcheck --severity=style generated/*.sh
	shellcheck scripts/*.sh bench/*.sh test/e2e/*.bash test/e2e/with-compile-server test/vm/*.sh test/vm/guest-run
	shellcheck -s sh test/vm/stage1-init
	shellcheck -s bash --severity=style -e SC2034,SC2153,SC2154 templates/partials/*.sh # the partials without handlebars, alone (their variables are set elsewhere)

# TAP to the terminal and to build/e2e.tap, then one summary line: "e2e: N passed, N failed".
# The tests run in a network namespace of their own: it is the "host" whose bridges, veths,
# iptables rules and forwarding setting they change, so the real host's stay untouched.
# E2E_HOST_NET: the files that must reach Debian's mirror (a build's RUN apt-get, through
# tupper's bridge and NAT); they run after the others in the host's network namespace, where
# tupper makes only its own uniquely named bridge and TUPPER-* chains (and turns on forwarding
# for NAT, as Docker does), and their teardown checks for leftovers among those alone.
# The compiles go to one warm node (test/e2e/with-compile-server). The status is bats's
# (sh has no pipefail: tee's would hide it) and a failed test's.
E2E_HOST_NET := test/e2e/build-debian.bats
E2E_NETNS := $(filter-out $(E2E_HOST_NET),$(sort $(wildcard test/e2e/*.bats)))
test-e2e: build rootfs
	mkdir -p build
	rm -f build/e2e.status; status=0; \
	  { unshare --net -- sh -c 'ip link set lo up && exec test/e2e/with-compile-server "$$@"' sh $(BATS) --tap $(E2E_NETNS) || echo $$? >> build/e2e.status; \
	    test/e2e/with-compile-server $(BATS) --tap $(E2E_HOST_NET) || echo $$? >> build/e2e.status; } | tee build/e2e.tap; \
	  [ ! -s build/e2e.status ] || status=1; rm -f build/e2e.status; \
	  awk '/^ok /{p++} /^not ok /{f++} END{printf "e2e: %d passed, %d failed\n", p, f; exit f > 0}' build/e2e.tap || status=1; \
	  exit $$status

# The host-dependent tests (test/vm/tests) in a QEMU guest with pure cgroup v2 and systemd as
# PID 1, booted from Debian's kernel and this host's tree: TAP to build/vm.tap, then
# "vm: N passed, N failed". KVM where /dev/kvm is usable, TCG (slow) otherwise.
test-vm: build rootfs
	scripts/install-deps.sh vm
	test/vm/run.sh

# tupper next to runc, crun, bwrap and the unshare+chroot floor, in one hyperfine run; then
# building one Dockerfile with tupper and with podman, cold and cached (bench/build.sh); then
# hashing a build context of 100,000 files (bench/context.sh).
bench: build rootfs
	bench/run.sh
	{ printf '\n## Scale\n\n'; bench/scale.sh | sed 's/^/- /'; } | tee -a "bench/results/$$(date +%F)-$$(hostname -s).md"
	bench/phases.sh | tee -a "bench/results/$$(date +%F)-$$(hostname -s)-phases.md"
	bench/build.sh
	bench/context.sh

install: build
	install -D -m 0755 $(HELPER) $(DESTDIR)$(PREFIX)/libexec/tupper/tupper-init

clean:
	rm -rf dist build $(HELPER)
