// SPDX-License-Identifier: LGPL-2.1-or-later
/* The virtio-mmio register file, driven as Linux's virtio_mmio.c drives it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/virtio_ids.h>

#include "fakeguest.h"

struct ctx {
	struct fg g;
	struct lg_vdev *d;
};

static int setup(void **state)
{
	struct ctx *x = calloc(1, sizeof(*x));

	fg_init(&x->g);
	assert_int_equal(lg_rng_new(NULL, &x->g.mem, &x->d), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *x = *state;

	x->d->ops->destroy(x->d);
	fg_fini(&x->g);
	free(x);
	return 0;
}

static void identity_registers(void **state)
{
	struct ctx *x = *state;

	assert_int_equal(fg_rd(x->d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(fg_rd(x->d, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(fg_rd(x->d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	fg_wr(x->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(fg_rd(x->d, VIRTIO_MMIO_DEVICE_FEATURES), 1);	/* VERSION_1 */
	fg_wr(x->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
	assert_int_equal(fg_rd(x->d, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	fg_wr(x->d, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(fg_rd(x->d, VIRTIO_MMIO_QUEUE_NUM_MAX), LG_VQ_MAX_SIZE);
	fg_wr(x->d, VIRTIO_MMIO_QUEUE_SEL, 1);	/* rng has one queue */
	assert_int_equal(fg_rd(x->d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}

static void driver_init_reaches_driver_ok(void **state)
{
	struct ctx *x = *state;
	uint32_t st = fg_driver_init(&x->g, x->d, FG_V1, 1);

	assert_true(st & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_true(st & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_false(st & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_true(lg_vdev_live(x->d));
	fg_wr(x->d, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(fg_rd(x->d, VIRTIO_MMIO_QUEUE_READY), 1);
}

static void legacy_driver_is_refused_features_ok(void **state)
{
	struct ctx *x = *state;
	/* Without VIRTIO_F_VERSION_1, FEATURES_OK does not stick. */
	uint32_t st = fg_driver_init(&x->g, x->d, 0, 1);

	assert_false(st & VIRTIO_CONFIG_S_FEATURES_OK);
}

static void unoffered_features_are_refused(void **state)
{
	struct ctx *x = *state;
	uint32_t st = fg_driver_init(&x->g, x->d, FG_V1 | (1ULL << 5), 1);

	assert_false(st & VIRTIO_CONFIG_S_FEATURES_OK);
}

static void notify_of_missing_queue_needs_reset(void **state)
{
	struct ctx *x = *state;

	fg_driver_init(&x->g, x->d, FG_V1, 1);
	x->d->raised = 0;
	fg_notify(x->d, 3);
	assert_true(fg_needs_reset(x->d));
	assert_true(fg_rd(x->d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(x->d->raised, 1);
	/* The driver cannot clear NEEDS_RESET by writing status... */
	fg_wr(x->d, VIRTIO_MMIO_STATUS, 0xf);
	assert_true(fg_needs_reset(x->d));
	/* ...only a reset does, and then the device works again. */
	fg_driver_init(&x->g, x->d, FG_V1, 1);
	assert_false(fg_needs_reset(x->d));
	assert_true(lg_vdev_live(x->d));
}

static void bad_ring_address_needs_reset(void **state)
{
	struct ctx *x = *state;

	fg_wr(x->d, VIRTIO_MMIO_STATUS, 0);
	fg_wr(x->d, VIRTIO_MMIO_QUEUE_SEL, 0);
	fg_wr(x->d, VIRTIO_MMIO_QUEUE_NUM, 16);
	fg_wr(x->d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0);
	fg_wr(x->d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x10);	/* 64 GiB: not RAM */
	fg_wr(x->d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(fg_rd(x->d, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(fg_needs_reset(x->d));
}

static void queue_layout_is_frozen_while_ready(void **state)
{
	struct ctx *x = *state;

	fg_driver_init(&x->g, x->d, FG_V1, 1);
	fg_wr(x->d, VIRTIO_MMIO_QUEUE_SEL, 0);
	fg_wr(x->d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x400000);
	assert_int_equal(x->d->vq[0].desc_gpa, FG_RING_GPA(0));
}

static void odd_accesses_are_harmless(void **state)
{
	struct ctx *x = *state;
	uint64_t v = 0x1234;

	/* Registers are 32-bit only; other widths read 0 and write nothing. */
	lg_vdev_mmio(x->d, VIRTIO_MMIO_MAGIC_VALUE, 2, false, &v);
	assert_int_equal(v, 0);
	lg_vdev_mmio(x->d, VIRTIO_MMIO_STATUS + 1, 4, false, &v);
	assert_int_equal(v, 0);
	v = 0xffffffff;
	lg_vdev_mmio(x->d, VIRTIO_MMIO_STATUS, 1, true, &v);
	assert_int_equal(fg_rd(x->d, VIRTIO_MMIO_STATUS), 0);
	/* Config space past its end (rng has none) reads as zero. */
	v = 77;
	lg_vdev_mmio(x->d, VIRTIO_MMIO_CONFIG + 0xf00, 8, false, &v);
	assert_int_equal(v, 0);
	v = 77;
	lg_vdev_mmio(x->d, 0xffc, 4, false, &v);
	assert_int_equal(v, 0);
}

static void config_space_is_read_only(void **state)
{
	struct ctx *x = *state;
	struct lg_vdev *blk = NULL;
	struct lg_disk_config cfg = { .path = "/proc/self/exe", .readonly = 1,
				      .backend = LG_BLK_THREAD };
	uint64_t cap = 0, v = 12345;

	assert_int_equal(lg_blk_new(NULL, &x->g.mem, NULL, &cfg, &blk), 0);
	lg_vdev_mmio(blk, VIRTIO_MMIO_CONFIG, 8, false, &cap);
	assert_true(cap > 0);
	/* A driver writing the capacity changes nothing. */
	lg_vdev_mmio(blk, VIRTIO_MMIO_CONFIG, 8, true, &v);
	v = 0;
	lg_vdev_mmio(blk, VIRTIO_MMIO_CONFIG, 8, false, &v);
	assert_int_equal(v, cap);
	/* Reads of 1, 2 and 4 bytes see the same little-endian value. */
	v = 0;
	lg_vdev_mmio(blk, VIRTIO_MMIO_CONFIG, 2, false, &v);
	assert_int_equal(v, cap & 0xffff);
	blk->ops->destroy(blk);
}

static void interrupt_ack_clears_bits(void **state)
{
	struct ctx *x = *state;
	struct fg_buf b = { FG_BUF_GPA, 32, 1 };

	fg_driver_init(&x->g, x->d, FG_V1, 1);
	fg_post(&x->g, 0, &b, 1);
	fg_notify(x->d, 0);
	assert_int_equal(fg_rd(x->d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	fg_wr(x->d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(fg_rd(x->d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(identity_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(driver_init_reaches_driver_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(legacy_driver_is_refused_features_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(unoffered_features_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(notify_of_missing_queue_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_ring_address_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_layout_is_frozen_while_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(odd_accesses_are_harmless, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupt_ack_clears_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(config_space_is_read_only, setup, teardown),
	};

	return cmocka_run_group_tests_name("virtio_mmio", tests, NULL, NULL);
}
