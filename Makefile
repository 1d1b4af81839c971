# lguest: the entry point for building, testing, the demo and packaging.
#
#   make            build lg.ko for the running kernel
#   make module KVER=6.1.0-56-amd64
#   make check      static checks, unit tests and the in-VM test matrix
#   make demo       boot a VM host, load lg.ko and show it answering

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
BUILD ?= $(CURDIR)/build

# What DKMS ships and kbuild compiles: the module, the Switcher, the ABI.
MODULE_SRCS := Kbuild $(wildcard module/*.[chS] switcher/*.[chS]) \
	include/uapi/linux/lguest.h

.PHONY: all module deps check static unit vm demo clean

all: module

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
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g \
	-Iinclude/uapi -Iliblguest/src
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
LIB_SRCS := $(wildcard liblguest/src/*.c)
LIB_HDRS := $(wildcard liblguest/src/*.h liblguest/include/*.h) \
	include/uapi/linux/lguest.h
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))
VM_PROGS := $(patsubst tests/vm/progs/%.c,$(BUILD)/vm/progs/%,$(wildcard tests/vm/progs/*.c))

$(BUILD)/lib/liblguest.a: $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(BUILD)/lib/obj
	for f in $(LIB_SRCS); do \
		$(CC) $(USER_CFLAGS) -fPIC -c $$f -o $(BUILD)/lib/obj/$$(basename $${f%.c}).o || exit 1; \
	done
	rm -f $@ && ar rcs $@ $(BUILD)/lib/obj/*.o

# Unit tests compile the library sources themselves, with the sanitizers.
$(BUILD)/unit/%: tests/unit/%.c $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(BUILD)/unit
	$(CC) $(USER_CFLAGS) $(SAN_FLAGS) $< $(LIB_SRCS) -o $@ -lcmocka

# Programs that run inside the VM host: static, so the initramfs needs no libc.
$(BUILD)/vm/progs/%: tests/vm/progs/%.c tests/vm/progs/lgtest.h $(BUILD)/lib/liblguest.a
	@mkdir -p $(BUILD)/vm/progs
	$(CC) $(USER_CFLAGS) -static $< -o $@ $(BUILD)/lib/liblguest.a

.PHONY: unit-build vm-progs
unit-build: $(UNIT_TESTS)
vm-progs: $(VM_PROGS)

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

demo:
	tests/demo.sh

clean:
	rm -rf $(BUILD)
