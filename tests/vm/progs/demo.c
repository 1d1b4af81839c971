// SPDX-License-Identifier: GPL-2.0
/* What "make demo" shows inside the VM host: lg.ko answering. */
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "abi.h"

int main(void)
{
	struct lguest_version v;
	int fd, err;

	fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("demo: open /dev/lguest");
		return 1;
	}
	err = lg_abi_query(fd, &v);
	if (err) {
		fprintf(stderr, "demo: LGUEST_VERSION: %s\n", strerror(-err));
		return 1;
	}
	printf("\n  /dev/lguest answers: ABI version %u, feature bits %#llx\n",
	       v.abi_version, (unsigned long long)v.features);
	printf("  this liblguest speaks ABI %u: %s\n\n", (unsigned int)LGUEST_ABI_VERSION,
	       lg_abi_compatible(&v) ? "incompatible" : "compatible");
	close(fd);
	return 0;
}
