#include "net/pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct net_pool {
	size_t block; /* bytes of a pooled block, whole pages */
	size_t page;
	size_t keep; /* idle blocks kept at most */
	size_t n_idle;
	void **idle; /* keep slots */
	struct net_pool_stats st;
};

static size_t round_up(size_t n, size_t page)
{
	return n > SIZE_MAX - page ? 0 : (n + page - 1) / page * page;
}

struct net_pool *net_pool_create(size_t block_size, size_t keep)
{
	struct net_pool *p = calloc(1, sizeof(*p));
	long page = sysconf(_SC_PAGESIZE);

	if (!p)
		return NULL;
	p->page = page > 0 ? (size_t)page : 4096;
	p->block = round_up(block_size ? block_size : 1, p->page);
	p->keep = keep;
	if (!p->block || (keep && !(p->idle = calloc(keep, sizeof(*p->idle))))) {
		free(p);
		return NULL;
	}
	return p;
}

void net_pool_destroy(struct net_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_idle; i++)
		munmap(p->idle[i], p->block);
	free(p->idle);
	free(p);
}

size_t net_pool_block_size(const struct net_pool *p)
{
	return p->block;
}

/* The mapped size of a request of len bytes: a block, or its own pages. */
static size_t mapped(const struct net_pool *p, size_t len)
{
	return len <= p->block ? p->block : round_up(len, p->page);
}

void *net_pool_get(struct net_pool *p, size_t len)
{
	size_t size = mapped(p, len);
	void *b;

	if (!len || !size)
		return NULL;
	if (size == p->block && p->n_idle) {
		b = p->idle[--p->n_idle];
	} else {
		b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b == MAP_FAILED)
			return NULL;
		p->st.maps++;
	}
	p->st.lent++;
	p->st.lent_bytes += size;
	if (p->st.lent > p->st.peak_lent)
		p->st.peak_lent = p->st.lent;
	return b;
}

void net_pool_put(struct net_pool *p, void *b, size_t len)
{
	size_t size = mapped(p, len);

	if (!b)
		return;
	p->st.lent--;
	p->st.lent_bytes -= size;
	/* Idle blocks hold no resident page: dropped now, zero pages when
	 * written again. Past keep, or a mapping of its own, back to the OS. */
	if (size == p->block && p->n_idle < p->keep && madvise(b, size, MADV_DONTNEED) == 0) {
		p->idle[p->n_idle++] = b;
		return;
	}
	munmap(b, size);
	p->st.unmaps++;
}

void net_pool_stats(const struct net_pool *p, struct net_pool_stats *out)
{
	*out = p->st;
	out->idle = p->n_idle;
}
