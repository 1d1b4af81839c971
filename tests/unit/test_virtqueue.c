// SPDX-License-Identifier: LGPL-2.1-or-later
/* The split virtqueue parser against a fake guest, honest and hostile. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fakeguest.h"

struct ctx {
	struct fg g;
	struct lg_vq vq;
	struct lg_chain c;
};

static int setup(void **state)
{
	struct ctx *x = calloc(1, sizeof(*x));

	fg_init(&x->g);
	assert_int_equal(fg_vq_setup(&x->g, &x->vq, 0), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *x = *state;

	fg_fini(&x->g);
	free(x);
	return 0;
}

static void empty_queue_pops_nothing(void **state)
{
	struct ctx *x = *state;

	assert_false(lg_vq_has_avail(&x->vq));
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), 0);
}

static void chain_is_flattened(void **state)
{
	struct ctx *x = *state;
	struct fg_buf b[3] = {
		{ fg_alloc(&x->g, 16), 16, 0 },
		{ fg_alloc(&x->g, 100), 100, 0 },
		{ fg_alloc(&x->g, 50), 50, 1 },
	};
	uint16_t head = fg_post(&x->g, 0, b, 3);

	memcpy(fg_ptr(&x->g, b[0].gpa), "hello", 5);
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), 1);
	assert_int_equal(x->c.head, head);
	assert_int_equal(x->c.nout, 2);
	assert_int_equal(x->c.nin, 1);
	assert_int_equal(x->c.out_len, 116);
	assert_int_equal(x->c.in_len, 50);
	assert_ptr_equal(x->c.iov[0].iov_base, fg_ptr(&x->g, b[0].gpa));
	assert_ptr_equal(x->c.iov[2].iov_base, fg_ptr(&x->g, b[2].gpa));
	assert_memory_equal(x->c.iov[0].iov_base, "hello", 5);
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), 0);
}

static void push_publishes_used(void **state)
{
	struct ctx *x = *state;
	struct fg_buf b = { fg_alloc(&x->g, 8), 8, 1 };
	struct vring_used_elem e;
	uint16_t head = fg_post(&x->g, 0, &b, 1);

	assert_int_equal(lg_vq_pop(&x->vq, &x->c), 1);
	assert_int_equal(lg_vq_push(&x->vq, x->c.head, 7), 0);
	assert_int_equal(fg_used_new(&x->g, 0, &e), 1);
	assert_int_equal(e.id, head);
	assert_int_equal(e.len, 7);
	/* A head beyond the queue cannot be pushed. */
	assert_int_equal(lg_vq_push(&x->vq, FG_QSIZE, 0), -EIO);
}

static void many_chains_wrap_around(void **state)
{
	struct ctx *x = *state;

	for (unsigned int i = 0; i < 5 * FG_QSIZE; i++) {
		struct fg_buf b = { fg_alloc(&x->g, 4), 4, (int)(i & 1) };

		fg_post(&x->g, 0, &b, 1);
		assert_int_equal(lg_vq_pop(&x->vq, &x->c), 1);
		assert_int_equal(lg_vq_push(&x->vq, x->c.head, 0), 0);
	}
	assert_int_equal(fg_used_new(&x->g, 0, NULL), 5 * FG_QSIZE);
}

static void descriptor_loop_is_refused(void **state)
{
	struct ctx *x = *state;
	struct fg_buf b[2] = { { FG_BUF_GPA, 4, 0 }, { FG_BUF_GPA, 4, 0 } };
	struct vring_desc *d = fg_desc(&x->g, 0);
	uint16_t head = fg_post(&x->g, 0, b, 2);

	/* The second descriptor points back at the first. */
	d[(head + 1) % FG_QSIZE].flags = VRING_DESC_F_NEXT;
	d[(head + 1) % FG_QSIZE].next = head;
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), -EIO);
}

static void self_loop_is_refused(void **state)
{
	struct ctx *x = *state;
	struct fg_buf b = { FG_BUF_GPA, 4, 0 };
	struct vring_desc *d = fg_desc(&x->g, 0);
	uint16_t head = fg_post(&x->g, 0, &b, 1);

	d[head].flags = VRING_DESC_F_NEXT;
	d[head].next = head;
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), -EIO);
}

static void out_of_range_addresses_are_refused(void **state)
{
	struct ctx *x = *state;
	const uint64_t bad[] = { FG_MEM_SIZE, FG_MEM_SIZE - 2, ~0ULL - 2, 1ULL << 63 };

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fg_buf b = { bad[i], 4, 1 };

		assert_int_equal(fg_vq_setup(&x->g, &x->vq, 0), 0);
		memset(x->g.avail_idx, 0, sizeof(x->g.avail_idx));
		fg_post(&x->g, 0, &b, 1);
		assert_int_equal(lg_vq_pop(&x->vq, &x->c), -EIO);
	}
}

static void oversize_length_is_refused(void **state)
{
	struct ctx *x = *state;
	struct fg_buf b = { FG_BUF_GPA, 0xffffffffU, 0 };

	fg_post(&x->g, 0, &b, 1);
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), -EIO);
}

static void whole_memory_is_allowed(void **state)
{
	struct ctx *x = *state;
	struct fg_buf b = { 0, (uint32_t)FG_MEM_SIZE, 0 };

	fg_post(&x->g, 0, &b, 1);
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), 1);
	assert_int_equal(x->c.out_len, FG_MEM_SIZE);
}

static void head_beyond_queue_is_refused(void **state)
{
	struct ctx *x = *state;
	struct vring_avail *a = fg_avail(&x->g, 0);

	a->ring[0] = FG_QSIZE;
	__atomic_store_n(&a->idx, 1, __ATOMIC_RELEASE);
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), -EIO);
}

static void next_beyond_queue_is_refused(void **state)
{
	struct ctx *x = *state;
	struct fg_buf b = { FG_BUF_GPA, 4, 0 };
	uint16_t head = fg_post(&x->g, 0, &b, 1);
	struct vring_desc *d = fg_desc(&x->g, 0);

	d[head].flags = VRING_DESC_F_NEXT;
	d[head].next = 0xffff;
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), -EIO);
}

static void avail_index_jump_is_refused(void **state)
{
	struct ctx *x = *state;
	struct vring_avail *a = fg_avail(&x->g, 0);

	/* More outstanding chains than the queue holds. */
	__atomic_store_n(&a->idx, FG_QSIZE + 1, __ATOMIC_RELEASE);
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), -EIO);
}

static void readable_after_writable_is_refused(void **state)
{
	struct ctx *x = *state;
	struct fg_buf b[2] = { { FG_BUF_GPA, 4, 1 }, { FG_BUF_GPA + 16, 4, 0 } };

	fg_post(&x->g, 0, b, 2);
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), -EIO);
}

static void indirect_is_refused(void **state)
{
	struct ctx *x = *state;
	struct fg_buf b = { FG_BUF_GPA, 16, 0 };
	uint16_t head = fg_post(&x->g, 0, &b, 1);

	fg_desc(&x->g, 0)[head].flags = VRING_DESC_F_INDIRECT;
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), -EIO);
}

static void bad_ring_layout_is_refused(void **state)
{
	struct ctx *x = *state;
	struct lg_vq vq;

	lg_vq_reset(&vq, &x->g.mem);
	vq.size = 3;		/* not a power of two */
	assert_int_equal(lg_vq_enable(&vq), -EINVAL);
	vq.size = 512;		/* above what we offer */
	assert_int_equal(lg_vq_enable(&vq), -EINVAL);
	vq.size = 0;
	assert_int_equal(lg_vq_enable(&vq), -EINVAL);
	vq.size = 16;
	vq.desc_gpa = 8;	/* misaligned */
	assert_int_equal(lg_vq_enable(&vq), -EINVAL);
	vq.desc_gpa = FG_MEM_SIZE - 16;	/* runs off the end */
	assert_int_equal(lg_vq_enable(&vq), -EFAULT);
	vq.desc_gpa = 0;
	vq.used_gpa = ~3ULL;
	assert_int_equal(lg_vq_enable(&vq), -EFAULT);
	assert_false(vq.ready);
	vq.used_gpa = 0x1000;
	vq.avail_gpa = 0x2000;
	assert_int_equal(lg_vq_enable(&vq), 0);
	assert_true(vq.ready);
}

static void no_interrupt_flag_is_honoured(void **state)
{
	struct ctx *x = *state;

	assert_true(lg_vq_wants_interrupt(&x->vq));
	fg_avail(&x->g, 0)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	assert_false(lg_vq_wants_interrupt(&x->vq));
}

/* EVENT_IDX: a queue set up with it, as QueueReady does after FEATURES_OK. */
static void event_idx_setup(struct ctx *x)
{
	lg_vq_reset(&x->vq, &x->g.mem);
	x->vq.event_idx = true;
	x->vq.size = x->g.qsize;
	x->vq.desc_gpa = FG_RING_GPA(0);
	x->vq.avail_gpa = FG_RING_GPA(0) + 16ULL * x->g.qsize;
	x->vq.used_gpa = FG_RING_GPA(0) + 0x2000;
	assert_int_equal(lg_vq_enable(&x->vq), 0);
}

static uint16_t *used_event(struct ctx *x)
{
	return (uint16_t *)&fg_avail(&x->g, 0)->ring[x->g.qsize];
}

static uint16_t *avail_event(struct ctx *x)
{
	return (uint16_t *)&fg_used(&x->g, 0)->ring[x->g.qsize];
}

/* One used chain: popped and pushed back. */
static void use_one(struct ctx *x)
{
	struct fg_buf b = { fg_alloc(&x->g, 8), 8, 1 };

	fg_post(&x->g, 0, &b, 1);
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), 1);
	assert_int_equal(lg_vq_push(&x->vq, x->c.head, 8), 0);
}

/* The driver's used_event says when: an interrupt only when the index passes it. */
static void event_idx_interrupts_when_asked(void **state)
{
	struct ctx *x = *state;

	event_idx_setup(x);
	use_one(x);
	assert_true(lg_vq_wants_interrupt(&x->vq));	/* the first, always */
	*used_event(x) = 3;				/* "when used idx passes 3" */
	use_one(x);					/* 2 */
	assert_false(lg_vq_wants_interrupt(&x->vq));
	use_one(x);					/* 3 */
	assert_false(lg_vq_wants_interrupt(&x->vq));
	use_one(x);					/* 4: stepped over 3 */
	assert_true(lg_vq_wants_interrupt(&x->vq));
	use_one(x);					/* 5: 3 is behind us */
	assert_false(lg_vq_wants_interrupt(&x->vq));
	/* NO_INTERRUPT means nothing with EVENT_IDX: used_event decides. */
	fg_avail(&x->g, 0)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	*used_event(x) = 5;
	use_one(x);					/* 6 */
	assert_true(lg_vq_wants_interrupt(&x->vq));
}

/* An empty queue asks for a notification at the next chain, and no sooner. */
static void event_idx_asks_for_the_next_notification(void **state)
{
	struct ctx *x = *state;

	event_idx_setup(x);
	*avail_event(x) = 0x7777;
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), 0);
	assert_int_equal(*avail_event(x), 0);
	use_one(x);
	use_one(x);
	/* Busy: avail_event stays where it was until the queue runs dry. */
	assert_int_equal(*avail_event(x), 0);
	assert_int_equal(lg_vq_pop(&x->vq, &x->c), 0);
	assert_int_equal(*avail_event(x), 2);
}

static void iov_copies_respect_bounds(void **state)
{
	char a[4] = "abcd", b[3] = "efg", out[16];
	struct iovec iov[2] = { { a, 4 }, { b, 3 } };

	(void)state;
	memset(out, 0, sizeof(out));
	assert_int_equal(lg_iov_to_buf(iov, 2, 2, out, sizeof(out)), 5);
	assert_string_equal(out, "cdefg");
	assert_int_equal(lg_iov_to_buf(iov, 2, 0, out, 3), 3);
	assert_int_equal(lg_iov_to_buf(iov, 2, 10, out, 3), 0);
	assert_int_equal(lg_buf_to_iov(iov, 2, 3, "XYZW", 4), 4);
	assert_memory_equal(a, "abcX", 4);
	assert_memory_equal(b, "YZW", 3);
	assert_int_equal(lg_buf_to_iov(iov, 2, 6, "123", 3), 1);
	assert_memory_equal(b, "YZ1", 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(empty_queue_pops_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(chain_is_flattened, setup, teardown),
		cmocka_unit_test_setup_teardown(push_publishes_used, setup, teardown),
		cmocka_unit_test_setup_teardown(many_chains_wrap_around, setup, teardown),
		cmocka_unit_test_setup_teardown(descriptor_loop_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(self_loop_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(out_of_range_addresses_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(oversize_length_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(whole_memory_is_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(head_beyond_queue_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(next_beyond_queue_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(avail_index_jump_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(readable_after_writable_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(indirect_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_ring_layout_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(no_interrupt_flag_is_honoured, setup, teardown),
		cmocka_unit_test_setup_teardown(event_idx_interrupts_when_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(event_idx_asks_for_the_next_notification, setup,
						teardown),
		cmocka_unit_test(iov_copies_respect_bounds),
	};

	return cmocka_run_group_tests_name("virtqueue", tests, NULL, NULL);
}
