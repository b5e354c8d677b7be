# netcheck: Nagios/Icinga check plugins.  Plain GNU make.
#
#   make            build common/libnetcheck.a and the plugins in checks/
#   make check      build and run every test (unit, valgrind, fuzz, the
#                   sanitized build's unit and integration tests, integration)
#   make SANITIZE=1 the same with AddressSanitizer and UBSan, in build/asan/
#   make demo       build, start the lab, run every plugin against it, stop it
#   make bench      side-by-side benchmarks against the tools users know
#   make fuzz       run the fuzz targets of the parsers (clang; FUZZ_SECONDS each)
#   make install    PREFIX, DESTDIR, libexecdir honoured
#   make deps       install (as root, Debian/Ubuntu) what building needs
#   make test-deps  and what the tests, the lab and the benchmarks need
#   make clean

VERSION    := 0.1.0
PREFIX     ?= /usr/local
libexecdir ?= $(PREFIX)/lib/nagios/plugins
mandir     ?= $(PREFIX)/share/man
DESTDIR    ?=

CC         ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Werror=implicit -Wshadow -Wformat=2
PKGS       := libcares openssl
CPPFLAGS_ALL := -std=c11 -D_GNU_SOURCE -DNETCHECK_VERSION='"$(VERSION)"' \
                -Icommon $(shell $(PKG_CONFIG) --cflags $(PKGS)) $(CPPFLAGS)
# LINK=dynamic (default) links the shared OpenSSL and c-ares, as
# distributions do: their security updates apply without a rebuild.
# LINK=static links them into each plugin, which then starts in about an
# eighth of the instructions, since the dynamic loader no longer relocates
# libcrypto on every run; but an OpenSSL fix then needs a rebuild
# (docs/benchmarks.md has both).
LINK       ?= dynamic
LIBS_STATIC  := $(shell $(PKG_CONFIG) --libs-only-L $(PKGS)) -Wl,-Bstatic -lssl -lcrypto -lcares \
                -Wl,-Bdynamic -ldl -pthread -lm
LIBS_DYNAMIC := $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm
ifeq ($(LINK),static)
LIBS_ALL   := $(LIBS_STATIC)
else ifeq ($(LINK),dynamic)
LIBS_ALL   := $(LIBS_DYNAMIC)
else
$(error LINK must be dynamic or static, not '$(LINK)')
endif
# SANITIZE=1 builds everything (library, plugins, unit tests, tools) with
# AddressSanitizer (leaks included) and UndefinedBehaviorSanitizer into
# build/asan/, beside the normal build, so that one make check runs both.
# SAN_ENV makes any report end the program with exit code 86 and a stack.
SANITIZE   ?=
ifeq ($(SANITIZE),1)
B          := build/asan/
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else ifeq ($(SANITIZE),)
B          :=
SAN_FLAGS  :=
else
$(error SANITIZE must be 1 or empty, not '$(SANITIZE)')
endif
SAN_ENV    := ASAN_OPTIONS=halt_on_error=1:exitcode=86:detect_leaks=1:print_stacktrace=1:abort_on_error=0 \
              UBSAN_OPTIONS=halt_on_error=1:exitcode=86:print_stacktrace=1 \
              LSAN_OPTIONS=exitcode=86
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

COMMON_MODULES := range result output opts deadline fail addr dnsmsg resolve mx transcript tls conn secret \
                  icmp probe stats baseline \
                  smtp pop3 maildate
COMMON_SRC := $(COMMON_MODULES:%=common/%.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)%.o)
LIB        := $(B)common/libnetcheck.a

PLUGINS    := check_icmp_rtt check_hops check_dns_mx check_smtp_dialogue check_pop3_mailbox
PLUGIN_BIN := $(PLUGINS:%=$(B)checks/%)

UNIT_SRC   := tests/unit/run_unit.c $(COMMON_MODULES:%=tests/unit/check_%.c) tests/unit/testserver.c tests/unit/dnsserver.c
UNIT_OBJ   := $(UNIT_SRC:%.c=$(B)%.o)
UNIT_BIN   := $(B)tests/unit/run_unit
TOOLS      := perfemit connprobe rusage lookup
TOOLS_BIN  := $(TOOLS:%=$(B)tests/tools/%)

ALL_OBJ    := $(COMMON_OBJ) $(PLUGIN_BIN:=.o) $(UNIT_OBJ) $(TOOLS_BIN:=.o)

.PHONY: all check unit valgrind integration demo bench fuzz fuzz-build install install-strip uninstall deps test-deps clean

all: $(LIB) $(PLUGIN_BIN)

$(B)%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(WARN) $(CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

$(B)tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CHECK_CFLAGS) $(WARN) $(CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(B)checks/%: $(B)checks/%.o $(LIB)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS_ALL)

$(B)tests/tools/%: $(B)tests/tools/%.o $(LIB)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS_ALL)

# For make bench: the probe and check_smtp_dialogue linked both ways,
# whatever LINK is.
BENCH_BIN  := tests/tools/connprobe-static tests/tools/connprobe-dynamic \
              tests/tools/check_smtp_dialogue-static tests/tools/check_smtp_dialogue-dynamic
tests/tools/connprobe-static: tests/tools/connprobe.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS_STATIC)
tests/tools/connprobe-dynamic: tests/tools/connprobe.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS_DYNAMIC)
tests/tools/check_smtp_dialogue-static: checks/check_smtp_dialogue.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS_STATIC)
tests/tools/check_smtp_dialogue-dynamic: checks/check_smtp_dialogue.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS_DYNAMIC)

$(UNIT_BIN): $(UNIT_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(LIB) $(CHECK_LIBS) $(LIBS_ALL)

# The test command of README.md.  Unit tests (forked, with timeouts), the same
# unit tests under valgrind, every fuzz target for FUZZ_SECONDS (one line
# each; FUZZ_CHECK_JOBS at once, default one per core), the sanitized
# build's unit and integration tests (a sub-make with SANITIZE=1, in
# build/asan/), then the integration runner, whose last line is "N passed,
# N failed, N skipped".  make check SANITIZE=1 runs only the sanitized unit
# and integration tests (valgrind cannot run a sanitized program).
ifeq ($(SANITIZE),1)
check: all $(UNIT_BIN) $(TOOLS_BIN)
	@$(MAKE) --no-print-directory SANITIZE=1 unit
	@$(MAKE) --no-print-directory SANITIZE=1 integration
else
check: all $(UNIT_BIN) $(TOOLS_BIN)
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory valgrind
	@$(MAKE) --no-print-directory fuzz FUZZ_JOBS=$(FUZZ_CHECK_JOBS)
	@$(MAKE) --no-print-directory SANITIZE=1 check
	@$(MAKE) --no-print-directory integration
endif

unit: $(UNIT_BIN)
	$(SAN_ENV) $(UNIT_BIN)

valgrind: $(UNIT_BIN)
ifeq ($(SANITIZE),1)
	$(error valgrind cannot run the sanitized build: make valgrind without SANITIZE=1)
endif
	CK_FORK=no valgrind -q --error-exitcode=1 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect $(UNIT_BIN)

# The runner finds the build to test in NETCHECK_SANITIZE (build/asan/ or
# the tree itself).  Under SANITIZE=1 it gets no MAKEFLAGS, so that the
# tests that run make themselves (t_install, t_debian) build and install
# the ordinary plugins, as a user would.
ifeq ($(SANITIZE),1)
integration: all $(TOOLS_BIN)
	@echo "== integration tests of the sanitized build ($(B))"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL NETCHECK_SANITIZE=1 tests/integration/run
else
integration: all $(TOOLS_BIN)
	tests/integration/run
endif

demo: all $(TOOLS_BIN)
	tests/demo

bench: all $(TOOLS_BIN) $(BENCH_BIN)
ifeq ($(SANITIZE),1)
	$(error make bench measures the ordinary build: run it without SANITIZE=1)
endif
	tests/bench/run

# Fuzz targets (clang, libFuzzer, AddressSanitizer with LeakSanitizer,
# UndefinedBehaviorSanitizer that aborts) for every parser that reads the
# network or the command line.  make fuzz runs each FUZZ_SECONDS (default
# 60) from its seeds in tests/fuzz/corpus/TARGET, FUZZ_JOBS at once
# (default 1: the executions per target docs/robustness.md gives), one
# line per target, and fails on any crash, leak or sanitizer report
# (tests/fuzz/run).  The library is built once more with the sanitizers,
# apart from the plugins'.
FUZZ_TARGETS := $(patsubst %.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60
FUZZ_JOBS  ?= 1
FUZZ_CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
FUZZ_CC    ?= clang
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_FLAGS := -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) $(CPPFLAGS_ALL)
FUZZ_OBJ   := $(COMMON_MODULES:%=tests/fuzz/obj/%.o)
FUZZ_LIB   := tests/fuzz/obj/libnetcheck-fuzz.a

# Built quietly (-s: warnings and errors only), so that make check shows
# one line per target.
fuzz:
	@$(MAKE) --no-print-directory -s fuzz-build
	@FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_TARGETS)

tests/fuzz/obj/%.o: common/%.c
	@mkdir -p tests/fuzz/obj
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< $(FUZZ_LIB) $(LIBS_DYNAMIC) -pthread

# make install: the plugins (stripped with install-strip) and their man
# pages.  Run as root into the live system (no DESTDIR) where the kernel
# does not allow unprivileged ICMP (net.ipv4.ping_group_range "1 0", the
# default), the ICMP plugins get cap_net_raw; otherwise it says how.
INSTALL_PROGRAM ?= install -m 0755
ICMP_PLUGINS := check_icmp_rtt check_hops
ICMP_PATHS = $(ICMP_PLUGINS:%=$(DESTDIR)$(libexecdir)/%)

install: all
	install -d $(DESTDIR)$(libexecdir) $(DESTDIR)$(mandir)/man8
	$(INSTALL_PROGRAM) $(PLUGIN_BIN) $(DESTDIR)$(libexecdir)/
	install -m 0644 $(wildcard docs/*.8) $(DESTDIR)$(mandir)/man8/
	@range=$$(cat /proc/sys/net/ipv4/ping_group_range 2>/dev/null | tr -s '\t ' ' '); \
	given=; \
	if [ "$$range" != "1 0" ] && [ -n "$$range" ]; then \
	    echo "ICMP: unprivileged ICMP is allowed to groups $$range here: no capability given."; \
	    given=none; \
	elif [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	    given=yes; \
	    for p in $(ICMP_PATHS); do setcap cap_net_raw+ep "$$p" || given=; done; \
	fi; \
	if [ "$$given" = yes ]; then \
	    echo "ICMP: gave $(ICMP_PLUGINS) cap_net_raw+ep (they drop it at once)."; \
	elif [ -z "$$given" ]; then \
	    echo "ICMP: as root, run: setcap cap_net_raw+ep FILE for $(ICMP_PLUGINS:%=$(libexecdir)/%)"; \
	    echo "      or allow unprivileged ICMP: sysctl -w net.ipv4.ping_group_range='0 2147483647'"; \
	fi
	@echo "Installed in $(DESTDIR)$(libexecdir): point Nagios' \$$USER1\$$ (resource.cfg)"
	@echo "and Icinga 2's PluginDir (constants.conf) at $(libexecdir) (Debian's own"
	@echo "plugins are in /usr/lib/nagios/plugins: make install PREFIX=/usr puts these beside them)."

install-strip:
	$(MAKE) --no-print-directory install INSTALL_PROGRAM='install -m 0755 -s'

uninstall:
	rm -f $(PLUGINS:%=$(DESTDIR)$(libexecdir)/%) $(patsubst docs/%,$(DESTDIR)$(mandir)/man8/%,$(wildcard docs/*.8))

# make deps: what building needs (packages-build.debian); make test-deps:
# what the tests, the lab and the benchmarks need (packages-test.debian).
# Both idempotent and non-interactive; .ci/run calls both.
APT_INSTALL = DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

deps:
	@if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root (it uses apt-get)"; exit 1; fi
	apt-get update -qq
	$(APT_INSTALL) $$(sed -e 's/#.*//' packages-build.debian) >/dev/null

test-deps: deps
	echo 'postfix postfix/main_mailer_type select Local only' | debconf-set-selections
	echo 'postfix postfix/mailname string netcheck.test' | debconf-set-selections
	$(APT_INSTALL) $$(sed -e 's/#.*//' packages-test.debian) >/dev/null

clean:
	rm -f $(ALL_OBJ) $(ALL_OBJ:.o=.d) $(LIB) $(PLUGIN_BIN) $(UNIT_BIN) $(TOOLS_BIN) \
	    $(BENCH_BIN) $(FUZZ_TARGETS) $(FUZZ_TARGETS:=.d)
	rm -rf build/asan tests/fuzz/obj tests/fuzz/work

# Keep object files: without this, make removes the ones it built on the way
# to a program, after (and below) the test summary.
.SECONDARY:

-include $(ALL_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d) $(FUZZ_TARGETS:=.d)
