// SPDX-License-Identifier: LGPL-2.1-or-later
/* Unit tests of liblguest's ABI helpers (no module needed). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "abi.h"

static void same_version_is_compatible(void **state)
{
	struct lguest_version v = { .abi_version = LGUEST_ABI_VERSION };

	(void)state;
	assert_int_equal(lg_abi_compatible(&v), 0);
}

static void unknown_features_are_compatible(void **state)
{
	struct lguest_version v = {
		.abi_version = LGUEST_ABI_VERSION,
		.features = ~0ULL,
	};

	(void)state;
	assert_int_equal(lg_abi_compatible(&v), 0);
}

static void other_versions_are_refused(void **state)
{
	struct lguest_version v = { .abi_version = LGUEST_ABI_VERSION + 1 };

	(void)state;
	assert_int_equal(lg_abi_compatible(&v), -EPROTO);
	v.abi_version = 0;
	assert_int_equal(lg_abi_compatible(&v), -EPROTO);
}

/* A file that is not /dev/lguest answers the ioctl with ENOTTY. */
static void query_on_wrong_file_fails(void **state)
{
	struct lguest_version v;
	int fd = open("/dev/null", O_RDONLY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(lg_abi_query(fd, &v), -ENOTTY);
	close(fd);
}

static void query_on_closed_fd_fails(void **state)
{
	struct lguest_version v;

	(void)state;
	assert_int_equal(lg_abi_query(-1, &v), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_version_is_compatible),
		cmocka_unit_test(unknown_features_are_compatible),
		cmocka_unit_test(other_versions_are_refused),
		cmocka_unit_test(query_on_wrong_file_fails),
		cmocka_unit_test(query_on_closed_fd_fails),
	};

	return cmocka_run_group_tests_name("abi", tests, NULL, NULL);
}
