// SPDX-License-Identifier: GPL-2.0
/*
 * Only in the harness self-test: trip the deliberately broken ioctl of
 * the selftest module.  The harness must report this run as failed.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/lguest.h>
#include <stdio.h>

#define LGUEST_SELFTEST_OOPS	_IO(LGUEST_IOC_MAGIC, 0xff)

int main(void)
{
	int fd = open("/dev/lguest", O_RDWR);

	if (fd < 0) {
		perror("open /dev/lguest");
		return 1;
	}
	ioctl(fd, LGUEST_SELFTEST_OOPS);
	printf("selftest: survived the broken ioctl?\n");
	return 0;
}
