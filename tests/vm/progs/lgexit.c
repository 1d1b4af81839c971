// SPDX-License-Identifier: GPL-2.0
/*
 * lgexit CODE: leave the VM host through QEMU's isa-debug-exit device at
 * port 0xf4.  QEMU then exits with (CODE << 1) | 1, a status that a
 * kernel panic or a reboot can never produce.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: lgexit CODE\n");
		return 2;
	}
	sync();
	if (ioperm(0xf4, 4, 1)) {
		perror("lgexit: ioperm");
		return 1;
	}
	outl((unsigned int)strtoul(argv[1], NULL, 0), 0xf4);
	/* Not reached when the device is there. */
	fprintf(stderr, "lgexit: no isa-debug-exit device\n");
	return 1;
}
