// SPDX-License-Identifier: GPL-2.0
/*
 * The first ABI call: LGUEST_VERSION answers, and every malformed form of
 * it is refused with the promised errno and without writing anything.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi.h"
#include "lgtest.h"

int main(void)
{
	struct lguest_version v, before;
	struct stat st;
	long ret;
	int fd;

	CHECK(stat("/dev/lguest", &st) == 0 && S_ISCHR(st.st_mode),
	      "version: /dev/lguest is a character device", "%s", strerror(errno));
	fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "version: open /dev/lguest", "%s", strerror(errno));
	if (fd < 0)
		return 1;

	ret = lg_abi_query(fd, &v);
	CHECK(ret == 0, "version: query succeeds", "%s", strerror((int)-ret));
	CHECK(v.abi_version == LGUEST_ABI_VERSION, "version: ABI version matches header",
	      "module %u, header %u", v.abi_version, (unsigned int)LGUEST_ABI_VERSION);
	CHECK(lg_abi_compatible(&v) == 0, "version: library accepts module", "refused");
	CHECK(v.flags == 0 && v.reserved[0] == 0 && v.reserved[1] == 0,
	      "version: reserved fields come back zero", "flags %u", v.flags);

	/* Each bad form must fail and leave the caller's buffer untouched. */
	memset(&v, 0, sizeof(v));
	v.flags = 1;
	before = v;
	ret = ioctl(fd, LGUEST_VERSION, &v);
	CHECK_ERRNO(ret, EINVAL, "version: nonzero flags refused");
	CHECK(memcmp(&v, &before, sizeof(v)) == 0, "version: refused call writes nothing",
	      "buffer changed");

	memset(&v, 0, sizeof(v));
	v.reserved[1] = 1;
	ret = ioctl(fd, LGUEST_VERSION, &v);
	CHECK_ERRNO(ret, EINVAL, "version: nonzero reserved refused");

	ret = ioctl(fd, LGUEST_VERSION, NULL);
	CHECK_ERRNO(ret, EFAULT, "version: NULL argument refused");

	ret = ioctl(fd, LGUEST_VERSION, (void *)0xffff888000000000UL);
	CHECK_ERRNO(ret, EFAULT, "version: kernel address refused");

	/* A read-only page: the module may read it but must not write it. */
	{
		void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ret = ioctl(fd, LGUEST_VERSION, ro);
		CHECK_ERRNO(ret, EFAULT, "version: read-only buffer refused");
		munmap(ro, 4096);
	}

	ret = ioctl(fd, _IOWR(LGUEST_IOC_MAGIC, 0x7f, struct lguest_version), &v);
	CHECK_ERRNO(ret, ENOTTY, "version: unknown ioctl number refused");
	ret = ioctl(fd, _IOWR(LGUEST_IOC_MAGIC, 0x00, uint64_t), &v);
	CHECK_ERRNO(ret, ENOTTY, "version: wrong argument size refused");

	close(fd);
	return lgtest_failed;
}
