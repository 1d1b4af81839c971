// SPDX-License-Identifier: GPL-2.0
/*
 * Protection keys are not the guest's: PKRU is the launcher's register,
 * so the Switcher turns CR4.PKE off for the guest's world.  The guest
 * sees what a CPU shows when its kernel left keys off: CPUID's OSPKE
 * clear, and RDPKRU and WRPKRU raising #UD.  (Before, a guest's WRPKRU
 * became its launcher's PKRU.)  The launcher checks its own PKRU (F_PKRU).
 */
#include "rt/rt.h"

const char rt_guest_name[] = "pkru";

void guest_main(void)
{
	u32 a = 7, b, c = 0, d;
	long v;

	rt_events_init();
	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	CHECK(!(c & (1u << 4)), "CPUID.7:ECX shows OSPKE clear in the guest's world",
	      "ecx %#x", c);
	/* Deny every key, key 0 included: the launcher would fault at once. */
	v = RT_TRY(asm volatile("wrpkru" : : "a"(0xffffffffu), "c"(0), "d"(0)));
	CHECK(v == X86_UD, "wrpkru raises #UD", "vector %ld", v);
	v = RT_TRY(asm volatile("rdpkru" : "=a"(a), "=d"(d) : "c"(0)));
	CHECK(v == X86_UD, "rdpkru raises #UD", "vector %ld", v);
}
