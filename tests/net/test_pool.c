/*
 * test_pool.c - ref/net/pool: fixed blocks on mmap. A block is lent in
 * whole pages and costs resident memory only for the pages written
 * (mincore says which are resident); given back it holds no resident page
 * (dropped on the free list, or unmapped past `keep`) and is lent again
 * reading zeros; a request over the block size gets a mapping of its own,
 * unmapped when given back; the counts follow.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "net/pool.h"
#include "testutil.h"

static size_t page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* How many of the len bytes' pages at p are resident. */
static size_t resident(void *p, size_t len)
{
	unsigned char vec[64];
	size_t n = (len + page() - 1) / page(), k = 0;

	assert_true(n <= sizeof(vec));
	assert_int_equal(mincore(p, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		k += vec[i] & 1;
	return k;
}

static void test_block_size(void **state)
{
	struct net_pool *p = net_pool_create(65539, 4);
	(void)state;

	assert_non_null(p);
	/* whole pages: 65539 bytes take 17 of 4096 */
	assert_int_equal(net_pool_block_size(p) % page(), 0);
	assert_true(net_pool_block_size(p) >= 65539);
	assert_true(net_pool_block_size(p) < 65539 + page());
	assert_null(net_pool_get(p, 0));
	net_pool_destroy(p);
	net_pool_destroy(NULL);
}

/* Resident only as written; nothing resident once given back; lent again
 * from the free list, reading zeros. */
static void test_pages_follow_writes(void **state)
{
	struct net_pool *p = net_pool_create(65539, 4);
	struct net_pool_stats st;
	size_t bs;
	uint8_t *b, *c;
	(void)state;

	assert_non_null(p);
	bs = net_pool_block_size(p);
	b = net_pool_get(p, 65535);
	assert_non_null(b);
	assert_int_equal(resident(b, bs), 0); /* lent, not touched */
	memset(b, 0x5a, 200);		      /* the first bytes of a frame */
	assert_int_equal(resident(b, bs), 1);
	memset(b, 0x5a, 3 * page() + 1);
	assert_int_equal(resident(b, bs), 4);
	net_pool_stats(p, &st);
	assert_int_equal(st.lent, 1);
	assert_int_equal(st.lent_bytes, bs);
	assert_int_equal(st.idle, 0);
	net_pool_put(p, b, 65535);
	net_pool_stats(p, &st);
	assert_int_equal(st.lent, 0);
	assert_int_equal(st.lent_bytes, 0);
	assert_int_equal(st.idle, 1);
	assert_int_equal(resident(b, bs), 0); /* idle: dropped */
	c = net_pool_get(p, 100);
	assert_ptr_equal(c, b); /* from the free list */
	for (size_t i = 0; i < bs; i++)
		assert_int_equal(c[i], 0);
	net_pool_put(p, c, 100);
	net_pool_stats(p, &st);
	assert_int_equal(st.maps, 1);
	assert_int_equal(st.unmaps, 0);
	net_pool_destroy(p);
}

/* Past keep idle blocks, a block given back is unmapped; the peak counts. */
static void test_keep_then_unmap(void **state)
{
	struct net_pool *p = net_pool_create(4096, 2);
	struct net_pool_stats st;
	void *b[5];
	(void)state;

	assert_non_null(p);
	for (int i = 0; i < 5; i++)
		assert_non_null(b[i] = net_pool_get(p, 4096));
	for (int i = 0; i < 5; i++)
		net_pool_put(p, b[i], 4096);
	net_pool_stats(p, &st);
	assert_int_equal(st.lent, 0);
	assert_int_equal(st.peak_lent, 5);
	assert_int_equal(st.idle, 2);
	assert_int_equal(st.maps, 5);
	assert_int_equal(st.unmaps, 3);
	net_pool_destroy(p);
}

/* Over a block: a mapping of its own, unmapped when given back. */
static void test_large_own_mapping(void **state)
{
	struct net_pool *p = net_pool_create(65539, 4);
	struct net_pool_stats st;
	size_t len = 2 + 4 * (2 + 65535);
	uint8_t *b;
	(void)state;

	assert_non_null(p);
	b = net_pool_get(p, len);
	assert_non_null(b);
	b[0] = 1;
	b[len - 1] = 2; /* the whole length is there */
	net_pool_stats(p, &st);
	assert_int_equal(st.lent, 1);
	assert_true(st.lent_bytes >= len && st.lent_bytes < len + page());
	net_pool_put(p, b, len);
	net_pool_stats(p, &st);
	assert_int_equal(st.lent, 0);
	assert_int_equal(st.idle, 0); /* not kept */
	assert_int_equal(st.unmaps, 1);
	net_pool_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_size),
		cmocka_unit_test(test_pages_follow_writes),
		cmocka_unit_test(test_keep_then_unmap),
		cmocka_unit_test(test_large_own_mapping),
	};
	return cmocka_run_group_tests_name("net pool", tests, NULL, NULL);
}
