# lguest: the entry point for building, testing, the demo and packaging.
#
#   make            build lg.ko for the running kernel
#   make module KVER=6.1.0-56-amd64
#   make lib        liblguest: shared, static and pkg-config file in build/lib
#   make lguestctl  build/lguestctl
#   make guest-kernel  the Linux guest: 6.12 + guest-patches/, cached vmlinux
#   make install    DESTDIR=... PREFIX=/usr/local LIBDIR=$(PREFIX)/lib
#   make install-guest-kernel  DESTDIR=... GUESTDIR=$(PREFIX)/lib/lguest
#   make check      static checks, unit tests, fuzzing and the in-VM test matrix
#   make demo       boot a VM host, load lg.ko and show it answering
#   make bench      virtbench: native, lguest and UML in one VM host (docs/benchmarks.md)
#   make dist       build/dist/lguest-VERSION.tar.gz, the source tarball
#   make deb        build/deb/*.deb (dpkg-buildpackage from that tarball)
#   make rpm        build/rpm/RPMS/*/*.rpm (rpmbuild -bb from that tarball)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
BUILD ?= $(CURDIR)/build
# The one place the release version is written; dkms.conf, the tarball,
# debian/changelog (checked by debian/rules) and the rpm spec follow it.
VERSION := $(shell cat $(CURDIR)/VERSION)

# What DKMS ships and kbuild compiles: the module, the Switcher, the ABI.
MODULE_SRCS := Kbuild $(wildcard module/*.[chS] switcher/*.[chS]) \
	include/uapi/linux/lguest.h

.PHONY: all module deps check static unit vm pkg fuzz demo clean lib lguestctl install examples \
	guest-kernel

all: module

# The Linux guest kernel: Debian's linux-source-6.12 plus guest-patches/,
# built once per input (cached in ~/.cache/lguest/guest-kernel/<hash>/,
# or under $LGUEST_CACHE) and linked to build/guest/vmlinux, its
# configuration to build/guest/vmlinux.config.
guest-kernel:
	@mkdir -p $(BUILD)/guest
	@v=$$(tests/lib/guest-kernel.sh) && ln -sf "$$v" $(BUILD)/guest/vmlinux && \
		ln -sf "$${v%/*}/.config" $(BUILD)/guest/vmlinux.config && \
		echo "guest kernel: $(BUILD)/guest/vmlinux -> $$v"

# kbuild writes objects beside the sources, so each kernel gets its own
# copy of the tree: 6.1 and 6.12 builds never see each other's objects.
module: $(BUILD)/module/$(KVER)/lg.ko

$(BUILD)/module/%/lg.ko: $(MODULE_SRCS)
	@test -d /lib/modules/$*/build || \
		{ echo "error: no headers for kernel $* (install linux-headers-$*)" >&2; exit 1; }
	rm -rf $(BUILD)/module/$*
	mkdir -p $(BUILD)/module/$*
	cp --parents $(MODULE_SRCS) $(BUILD)/module/$*/
	$(MAKE) -C /lib/modules/$*/build M=$(BUILD)/module/$* W=1 $(MODULE_FLAGS) modules

# ---- user space -------------------------------------------------------
CC ?= cc
SOVERSION := 0
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g \
	-Iinclude/uapi -Iliblguest/include -Iliblguest/src
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
LIB_LIBS := -lelf -luring -lcap-ng -lpthread
# What distributions pass (dpkg-buildflags, %set_build_flags): hardening
# and their optimisation flags, added to what lib and lguestctl are built
# with (after ours, so theirs win).  Empty in a plain "make".
PKG_CFLAGS = $(CPPFLAGS) $(CFLAGS)
PKG_LDFLAGS = $(LDFLAGS)
LIB_SRCS := $(wildcard liblguest/src/*.c)
LIB_HDRS := $(wildcard liblguest/src/*.h liblguest/include/*.h) \
	include/uapi/linux/lguest.h
LIB_OBJS := $(patsubst liblguest/src/%.c,$(BUILD)/lib/obj/%.o,$(LIB_SRCS))
# lguestctl: main.c is the program, the rest is testable without it.
CTL_SRCS := $(filter-out lguestctl/main.c lguestctl/guest-init.c,$(wildcard lguestctl/*.c))
CTL_HDRS := $(wildcard lguestctl/*.h)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))
BENCH_PROGS := $(patsubst tests/bench/progs/%.c,$(BUILD)/bench/progs/%,$(wildcard tests/bench/progs/vb_*.c))
VM_PROGS := $(patsubst tests/vm/progs/%.c,$(BUILD)/vm/progs/%,$(wildcard tests/vm/progs/*.c))
X86_SELFTESTS := $(BUILD)/vm/x86-selftests/.built
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

# Where "make install" puts things (DESTDIR is prepended to all).
# GUESTDIR is "make install-guest-kernel"'s: x86-64 code, so under lib/
# and not share/ (docs/packaging.md), and the same path in both packages.
PREFIX ?= /usr/local
GUESTDIR ?= $(PREFIX)/lib/lguest
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

$(BUILD)/lib/obj/%.o: liblguest/src/%.c $(LIB_HDRS)
	@mkdir -p $(BUILD)/lib/obj
	$(CC) $(USER_CFLAGS) $(PKG_CFLAGS) -fPIC -c $< -o $@

$(BUILD)/lib/liblguest.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $(LIB_OBJS)

# The shared library exports exactly liblguest.h's functions (the map).
$(BUILD)/lib/liblguest.so.$(VERSION): $(LIB_OBJS) liblguest/liblguest.map
	$(CC) $(PKG_CFLAGS) $(PKG_LDFLAGS) -shared -Wl,-soname,liblguest.so.$(SOVERSION) \
		-Wl,--version-script=liblguest/liblguest.map -Wl,--no-undefined \
		-o $@ $(LIB_OBJS) $(LIB_LIBS)
	ln -sf liblguest.so.$(VERSION) $(BUILD)/lib/liblguest.so.$(SOVERSION)
	ln -sf liblguest.so.$(SOVERSION) $(BUILD)/lib/liblguest.so

# In-tree .pc: lets the examples build "via pkg-config only".
$(BUILD)/lib/pkgconfig/liblguest.pc: liblguest/liblguest.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(BUILD)|; s|@LIBDIR@|$(BUILD)/lib|' \
		-e 's|@INCLUDEDIR@|$(CURDIR)/liblguest/include|; s|@VERSION@|$(VERSION)|' $< >$@

lib: $(BUILD)/lib/liblguest.a $(BUILD)/lib/liblguest.so.$(VERSION) \
	$(BUILD)/lib/pkgconfig/liblguest.pc

# lguestctl links liblguest statically: one binary, no library path games.
# It looks for the packaged guest kernel and run-init.cpio in GUESTDIR.
lguestctl: $(BUILD)/lguestctl $(BUILD)/run-init.cpio
$(BUILD)/lguestctl: lguestctl/main.c $(CTL_SRCS) $(CTL_HDRS) $(BUILD)/lib/liblguest.a
	$(CC) $(USER_CFLAGS) $(PKG_CFLAGS) $(PKG_LDFLAGS) -DLGUEST_GUESTDIR='"$(GUESTDIR)"' \
		lguestctl/main.c $(CTL_SRCS) -o $@ $(BUILD)/lib/liblguest.a $(LIB_LIBS)

# The initramfs of lguestctl run -- COMMAND: our init alone, static.
$(BUILD)/run-init.cpio: lguestctl/guest-init.c lguestctl/runproto.h
	@mkdir -p $(BUILD)/run-init
	$(CC) $(USER_CFLAGS) -static lguestctl/guest-init.c -o $(BUILD)/run-init/init
	cd $(BUILD)/run-init && echo init | cpio -o -H newc --quiet >$@

# The same lguestctl, static, for the VM host's initramfs (t_lguestctl).
$(BUILD)/vm/progs/lguestctl: lguestctl/main.c $(CTL_SRCS) $(CTL_HDRS) $(BUILD)/lib/liblguest.a
	@mkdir -p $(BUILD)/vm/progs
	$(CC) $(USER_CFLAGS) -static lguestctl/main.c $(CTL_SRCS) -o $@ \
		$(BUILD)/lib/liblguest.a $(LIB_LIBS) -lz

EXAMPLES := $(patsubst liblguest/examples/%.c,$(BUILD)/examples/%,$(wildcard liblguest/examples/*.c))
examples: $(EXAMPLES)
$(BUILD)/examples/%: liblguest/examples/%.c lib
	@mkdir -p $(BUILD)/examples
	$(CC) -std=c11 -Wall -Wextra -Werror $< -o $@ \
		$$(PKG_CONFIG_PATH=$(BUILD)/lib/pkgconfig pkg-config --cflags --libs liblguest) \
		-Wl,-rpath,$(BUILD)/lib

install: lib lguestctl
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(BUILD)/lguestctl $(DESTDIR)$(BINDIR)/lguestctl
	install -D -m 644 $(BUILD)/run-init.cpio $(DESTDIR)$(GUESTDIR)/run-init.cpio
	install -m 644 $(BUILD)/lib/liblguest.a $(DESTDIR)$(LIBDIR)/liblguest.a
	install -m 755 $(BUILD)/lib/liblguest.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf liblguest.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liblguest.so.$(SOVERSION)
	ln -sf liblguest.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/liblguest.so
	install -m 644 liblguest/include/liblguest.h $(DESTDIR)$(INCLUDEDIR)/liblguest.h
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
		liblguest/liblguest.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/liblguest.pc
	install -m 644 lguestctl/lguestctl.1 $(DESTDIR)$(MANDIR)/man1/lguestctl.1
	install -m 644 lguestctl/lguestctl.bash-completion $(DESTDIR)$(BASHCOMPDIR)/lguestctl

# Unit tests compile the library sources themselves, with the sanitizers.
$(BUILD)/unit/%: tests/unit/%.c $(LIB_SRCS) $(LIB_HDRS) $(CTL_SRCS) $(CTL_HDRS) $(wildcard tests/unit/*.h)
	@mkdir -p $(BUILD)/unit
	$(CC) $(USER_CFLAGS) -Ilguestctl $(SAN_FLAGS) $< $(LIB_SRCS) $(CTL_SRCS) -o $@ \
		-lcmocka $(LIB_LIBS)

# The fake lg.ko lguestctl's tests preload (tests/unit/fakelg.h).
$(BUILD)/unit/fakelg.so: tests/unit/fakelg_preload.c tests/unit/fakelg.h include/uapi/linux/lguest.h
	@mkdir -p $(BUILD)/unit
	$(CC) $(USER_CFLAGS) -shared -fPIC $< -o $@

# libFuzzer targets: clang, with ASan and UBSan, over the library sources.
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(BUILD)/fuzz
	clang $(USER_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$< $(LIB_SRCS) -o $@ $(LIB_LIBS)

# Programs that run inside the VM host: static, so the initramfs needs no libc.
$(BUILD)/vm/progs/%: tests/vm/progs/%.c tests/vm/progs/lgtest.h $(BUILD)/lib/liblguest.a
	@mkdir -p $(BUILD)/vm/progs
	$(CC) $(USER_CFLAGS) -static $< -o $@ $(BUILD)/lib/liblguest.a $(LIB_LIBS) -lz

# The Linux guest's initramfs: one static /init, no libc (t_linux).
$(BUILD)/vm/progs/linux-initrd.cpio: tests/guests/linux/init.c
	@mkdir -p $(BUILD)/vm/guests/linux-initrd
	$(CC) -static -nostdlib -ffreestanding -fno-stack-protector -mgeneral-regs-only -O2 -Wall -Werror \
		$< -o $(BUILD)/vm/guests/linux-initrd/init
	cd $(BUILD)/vm/guests/linux-initrd && echo init | cpio -o -H newc --quiet >$@

# The network guest's initramfs (t_net, t_vsock): a static /init, libc
# and all, that brings eth0 up and runs one TCP exchange, or runs its
# exchanges over AF_VSOCK (tests/vm/progs/netxfer.h).
$(BUILD)/vm/progs/linux-net.cpio: tests/guests/linux/netinit.c tests/vm/progs/netxfer.h
	@mkdir -p $(BUILD)/vm/guests/linux-net
	$(CC) $(USER_CFLAGS) -Itests/vm/progs -static $< -o $(BUILD)/vm/guests/linux-net/init
	cd $(BUILD)/vm/guests/linux-net && echo init | cpio -o -H newc --quiet >$@

# The virtio-fs guest's initramfs (t_virtiofs): a static /init that
# mounts the shared directory and works on it.
$(BUILD)/vm/progs/linux-fs.cpio: tests/guests/linux/fsinit.c tests/vm/progs/netxfer.h
	@mkdir -p $(BUILD)/vm/guests/linux-fs
	$(CC) $(USER_CFLAGS) -Itests/vm/progs -static $< -o $(BUILD)/vm/guests/linux-fs/init
	cd $(BUILD)/vm/guests/linux-fs && echo init | cpio -o -H newc --quiet >$@

# lguestctl run -- COMMAND's initramfs, as the package ships it (t_run).
$(BUILD)/vm/progs/run-init.cpio: $(BUILD)/run-init.cpio
	@mkdir -p $(BUILD)/vm/progs
	cp $< $@

# The same /init as /sbin/init of a small ext4 root file system.
$(BUILD)/vm/progs/linux-root.img: $(BUILD)/vm/progs/linux-initrd.cpio
	rm -rf $(BUILD)/vm/guests/linux-root && mkdir -p $(BUILD)/vm/guests/linux-root/sbin \
		$(BUILD)/vm/guests/linux-root/dev
	cp $(BUILD)/vm/guests/linux-initrd/init $(BUILD)/vm/guests/linux-root/sbin/init
	rm -f $@ && mke2fs -q -t ext4 -d $(BUILD)/vm/guests/linux-root $@ 8M

# The Linux guest's Debian user land (t_userland): busybox-static,
# stress-ng, bash, coreutils, util-linux's unshare and setpriv and their
# libraries from the archive, our static battery and hostile user space,
# the pipeline and system-check scripts with sysfeat, the x86
# selftests (in /usr/libexec/lguest/x86-selftests) and their runner, and
# an init script, in an ext4 image
# (tests/lib/mkrootfs.sh, .debs cached).  hostile and the selftests also
# go into the VM host's /tests, to run natively for comparison
# (t_userland runs the selftests with the runner's own code,
# tests/vm/progs/x86selftest.h).
$(BUILD)/vm/guests/battery: tests/guests/linux/battery.c
	@mkdir -p $(BUILD)/vm/guests
	$(CC) $(USER_CFLAGS) -static -pthread $< -o $@
$(BUILD)/vm/progs/hostile: tests/guests/linux/hostile.c
	@mkdir -p $(BUILD)/vm/progs
	$(CC) $(USER_CFLAGS) -static $< -o $@
$(BUILD)/vm/guests/kselftest: tests/guests/linux/kselftest.c tests/vm/progs/x86selftest.h
	@mkdir -p $(BUILD)/vm/guests
	$(CC) $(USER_CFLAGS) -Itests/vm/progs -static $< -o $@
$(BUILD)/vm/guests/sysfeat: tests/guests/linux/sysfeat.c
	@mkdir -p $(BUILD)/vm/guests
	$(CC) $(USER_CFLAGS) -static $< -o $@
$(BUILD)/vm/progs/linux-userland.img: tests/lib/mkrootfs.sh tests/guests/linux/rootfs-init \
		$(BUILD)/vm/guests/battery $(BUILD)/vm/progs/hostile tests/guests/linux/pipeline \
		$(BUILD)/vm/guests/kselftest tests/guests/linux/system-check $(BUILD)/vm/guests/sysfeat \
		$(X86_SELFTESTS)
	tests/lib/mkrootfs.sh $@ tests/guests/linux/rootfs-init $(BUILD)/vm/guests/battery \
		$(BUILD)/vm/progs/hostile tests/guests/linux/pipeline $(BUILD)/vm/guests/kselftest \
		tests/guests/linux/system-check $(BUILD)/vm/guests/sysfeat $(BUILD)/vm/x86-selftests

# Freestanding test guests (tests/guests/, docs/testing.md): one C file
# each, linked with the runtime in tests/guests/rt/ into an lguest ELF
# (PT_LOAD at 16 MiB, the "Lguest" entry note), like a guest kernel.
# Only fpu.c may use the FPU and vector registers.
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -nostdlib \
	-fno-pic -fno-pie -mno-red-zone -mcmodel=kernel -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fcf-protection=none -fno-builtin \
	-fno-tree-loop-distribute-patterns -Iinclude/uapi -Itests/guests
GUEST_RT_SRCS := $(wildcard tests/guests/rt/*.c tests/guests/rt/*.S)
GUEST_RT_HDRS := $(wildcard tests/guests/rt/*.h tests/guests/*.h) include/uapi/linux/lguest.h \
	switcher/switcher.h
GUEST_RT_OBJS := $(patsubst tests/guests/rt/%,$(BUILD)/vm/guests/rt/%.o,$(GUEST_RT_SRCS))
GUESTS := $(patsubst tests/guests/%.c,$(BUILD)/vm/guests/%.elf,$(wildcard tests/guests/*.c))
guest_regs = $(if $(filter fpu,$(1)),-mxsave,-mgeneral-regs-only)

$(BUILD)/vm/guests/rt/%.o: tests/guests/rt/% $(GUEST_RT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -mgeneral-regs-only -c $< -o $@
$(BUILD)/vm/guests/%.o: tests/guests/%.c $(GUEST_RT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) $(call guest_regs,$*) -c $< -o $@
$(BUILD)/vm/guests/%.elf: $(BUILD)/vm/guests/%.o $(GUEST_RT_OBJS) tests/guests/rt/guest.lds
	$(LD) -static -nostdlib -z noexecstack --no-warn-rwx-segments -T tests/guests/rt/guest.lds \
		-o $@ $< $(GUEST_RT_OBJS)

# The flat test guests (tests/guests/*.S, flat.h): raw binaries linked at
# the guest kernel's address and loaded at guest-physical 16 MiB by
# tests/vm/progs/flatguest.h -- hello, loop, user, asid, ring and bench for
# t_hello, t_lifecycle, t_asid, the demo and bench-core.  The test-guest
# suite above uses the ELF format instead.
FLAT_GUESTS := $(patsubst tests/guests/%.S,$(BUILD)/vm/progs/%.bin,$(wildcard tests/guests/*.S))
$(BUILD)/vm/progs/%.bin: tests/guests/%.S tests/guests/flat.h include/uapi/linux/lguest.h
	@mkdir -p $(BUILD)/vm/flat $(BUILD)/vm/progs
	$(CC) -D__ASSEMBLY__ -Iinclude/uapi -Itests/guests -c $< -o $(BUILD)/vm/flat/$*.o
	$(LD) -Ttext=0xffffffff81000000 -e _start $(BUILD)/vm/flat/$*.o -o $(BUILD)/vm/flat/$*.elf
	objcopy -O binary $(BUILD)/vm/flat/$*.elf $@

# The host kernel's x86 selftests, 64-bit and static, for t_kselftest,
# and for t_userland to run in the guest and natively.
$(X86_SELFTESTS): tests/lib/x86-selftests.sh
	tests/lib/x86-selftests.sh $(BUILD)/vm/x86-selftests
	touch $@

.PHONY: unit-build vm-progs fuzz-build
unit-build: $(UNIT_TESTS) $(BUILD)/lguestctl $(BUILD)/unit/fakelg.so
vm-progs: $(VM_PROGS) $(GUESTS) $(FLAT_GUESTS) $(BUILD)/vm/progs/lguestctl $(BENCH_PROGS) \
	$(BUILD)/vm/progs/linux-initrd.cpio $(BUILD)/vm/progs/linux-net.cpio \
	$(BUILD)/vm/progs/linux-fs.cpio $(BUILD)/vm/progs/run-init.cpio \
	$(BUILD)/vm/progs/linux-root.img $(BUILD)/vm/progs/linux-userland.img $(X86_SELFTESTS)
# t_guests shares the MMIO script with its guest, t_net and t_vsock the transfer.
$(BUILD)/vm/progs/t_guests: tests/guests/mmio_spec.h
$(BUILD)/vm/progs/t_net $(BUILD)/vm/progs/t_vsock $(BUILD)/vm/progs/t_virtiofs: tests/vm/progs/netxfer.h
$(BUILD)/vm/progs/t_userland: tests/vm/progs/x86selftest.h
fuzz-build: $(FUZZERS)

deps:
	tests/lib/install-deps.sh

check:
	tests/check.sh

static:
	tests/check.sh static

unit:
	tests/check.sh unit

vm:
	tests/check.sh vm

pkg:
	tests/check.sh pkg

fuzz:
	tests/check.sh fuzz

demo:
	tests/demo.sh

# Benchmarks print figures; they are never pass/fail tests.
.PHONY: bench-core bench bench-progs
bench-core:
	tests/bench/core.sh

# virtbench (docs/benchmarks.md): the same static programs natively, in
# an lguest guest and in a User-Mode Linux guest, inside one VM host.
$(BUILD)/bench/progs/%: tests/bench/progs/%.c tests/bench/progs/bench.h
	@mkdir -p $(BUILD)/bench/progs
	$(CC) $(USER_CFLAGS) -static $< -o $@
$(BUILD)/bench/progs/vb_inroot: tests/vm/progs/lgtest.h
bench-progs: $(BENCH_PROGS)
bench:
	tests/bench/virtbench.sh

# ---- packaging (docs/packaging.md) --------------------------------------
# What DKMS gets in /usr/src/lguest-VERSION: the module sources without
# the harness's deliberate-oops self-test, and dkms.conf with the version.
DKMS_SRCS := $(filter-out module/selftest.c,$(MODULE_SRCS))
DKMS_DIR := /usr/src/lguest-$(VERSION)

.PHONY: install-dkms install-guest-kernel dist deb rpm
install-dkms:
	for f in $(DKMS_SRCS); do \
		install -D -m 644 $$f $(DESTDIR)$(DKMS_DIR)/$$f || exit 1; \
	done
	sed 's/#MODULE_VERSION#/$(VERSION)/g' dkms.conf >$(DESTDIR)$(DKMS_DIR)/dkms.conf
	chmod 644 $(DESTDIR)$(DKMS_DIR)/dkms.conf

# The guest kernel "make guest-kernel" built: mode 644, it is loaded by
# liblguest, never run by the host (and so no strip touches it).
install-guest-kernel:
	@test -e $(BUILD)/guest/vmlinux -a -e $(BUILD)/guest/vmlinux.config || \
		{ echo "error: no $(BUILD)/guest/vmlinux: run make guest-kernel first" >&2; exit 1; }
	install -D -m 644 $(BUILD)/guest/vmlinux $(DESTDIR)$(GUESTDIR)/vmlinux
	install -m 644 $(BUILD)/guest/vmlinux.config $(DESTDIR)$(GUESTDIR)/vmlinux.config

# The tarball holds the working tree's files that git knows or would add
# (so uncommitted work is packaged too), under lguest-VERSION/, with the
# version put into rpm/lguest.spec so that "rpmbuild -tb" works on it.
# Timestamps come from the last commit: the same tree gives the same bytes.
DIST := lguest-$(VERSION)
DIST_TGZ := $(BUILD)/dist/$(DIST).tar.gz
DIST_MTIME = $(shell git log -1 --format=%ct 2>/dev/null || date +%s)

dist:
	@git rev-parse --git-dir >/dev/null 2>&1 || \
		{ echo "error: make dist needs the git checkout" >&2; exit 1; }
	rm -rf $(BUILD)/dist && mkdir -p $(BUILD)/dist/$(DIST)
	git ls-files -z --cached --others --exclude-standard | \
		(cd $(CURDIR) && xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\n" "$$f"; done' sh) | \
		LC_ALL=C sort -u >$(BUILD)/dist/files
	tar -cf - -T $(BUILD)/dist/files | tar -xf - -C $(BUILD)/dist/$(DIST)
	sed 's/@VERSION@/$(VERSION)/g' rpm/lguest.spec >$(BUILD)/dist/$(DIST)/rpm/lguest.spec
	tar -C $(BUILD)/dist --sort=name --mtime=@$(DIST_MTIME) --owner=0 --group=0 \
		--numeric-owner -cf - $(DIST) | gzip -n -9 >$(DIST_TGZ)
	rm -rf $(BUILD)/dist/$(DIST) $(BUILD)/dist/files
	@echo "made $(DIST_TGZ)"

# The package builds take the guest kernel from this cache, where "make
# guest-kernel" and the tests leave it, so that a build with unchanged
# inputs takes seconds, not minutes.  "make deb LGUEST_CACHE=" builds it
# from nothing inside the package's build tree, as a distribution does.
# Nothing else of this make reaches the package build: not MAKEFLAGS,
# which would hand this command line's variables (BUILD=, LGUEST_CACHE=)
# to debian/rules' and the spec's makes over their own settings.
LGUEST_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/lguest
PKG_ENV = env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL LGUEST_CACHE="$(LGUEST_CACHE)"

# Debian packages, built from the tarball like a distribution would.
deb: dist
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb
	cp $(DIST_TGZ) $(BUILD)/deb/lguest_$(VERSION).orig.tar.gz
	tar -xzf $(DIST_TGZ) -C $(BUILD)/deb
	cd $(BUILD)/deb/$(DIST) && $(PKG_ENV) dpkg-buildpackage -us -uc -b
	@ls $(BUILD)/deb/*.deb

# RPMs, from the same tarball and the spec in it.  Debian's rpm has an
# empty package database, so build dependencies are not checked here.
rpm: dist
	rm -rf $(BUILD)/rpm && mkdir -p $(BUILD)/rpm/SOURCES
	cp $(DIST_TGZ) $(BUILD)/rpm/SOURCES/
	tar -xzOf $(DIST_TGZ) $(DIST)/rpm/lguest.spec >$(BUILD)/rpm/lguest.spec
	$(PKG_ENV) rpmbuild -bb --nodeps --define "_topdir $(BUILD)/rpm" $(BUILD)/rpm/lguest.spec
	@ls $(BUILD)/rpm/RPMS/*/*.rpm

clean:
	rm -rf $(BUILD)
