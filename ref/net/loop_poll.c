/*
 * loop_poll.c - the loop's reference backend: ppoll over a pollfd array
 * kept from turn to turn (a watcher's slot in it is w->bslot; a removed
 * one's place takes the last entry). The kernel walks every fd on each
 * wait, and so does the scan for revents: O(n) a turn, which is what
 * loop_epoll.c is for.
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "net/loop_impl.h"

static int poll_init(struct net_loop *loop)
{
	(void)loop;
	return PS_OK;
}

static void poll_fini(struct net_loop *loop)
{
	free(loop->pfd);
	free(loop->pfd_id);
}

static int poll_grow(struct net_loop *loop, size_t cap)
{
	struct pollfd *pfd = realloc(loop->pfd, cap * sizeof(*pfd));
	int *pfd_id;

	if (!pfd)
		return PS_ERR_NOMEM;
	loop->pfd = pfd;
	if (!(pfd_id = realloc(loop->pfd_id, cap * sizeof(*pfd_id))))
		return PS_ERR_NOMEM;
	loop->pfd_id = pfd_id;
	return PS_OK;
}

static int poll_add(struct net_loop *loop, int id)
{
	struct net_watcher *w = &loop->w[id];

	w->bslot = loop->npfd++;
	loop->pfd[w->bslot] = (struct pollfd){ w->fd, w->events, 0 };
	loop->pfd_id[w->bslot] = id;
	return PS_OK;
}

static int poll_mod(struct net_loop *loop, int id)
{
	struct net_watcher *w = &loop->w[id];

	loop->pfd[w->bslot].events = w->events;
	return PS_OK;
}

static void poll_del(struct net_loop *loop, int id)
{
	size_t i = loop->w[id].bslot, last = --loop->npfd;

	loop->w[id].bslot = NET_NO_SLOT;
	if (i == last)
		return;
	loop->pfd[i] = loop->pfd[last];
	loop->pfd_id[i] = loop->pfd_id[last];
	loop->w[loop->pfd_id[i]].bslot = i;
}

static int poll_wait(struct net_loop *loop, const struct timespec *ts)
{
	int r = ppoll(loop->pfd, loop->npfd, ts, &loop->run_mask);
	size_t n = 0;

	if (r <= 0)
		return r;
	/* the callbacks that follow may add and remove entries: what is
	 * ready is copied out first, with whose it was */
	for (size_t i = 0; i < loop->npfd && n < (size_t)r; i++) {
		int id = loop->pfd_id[i];
		if (!loop->pfd[i].revents)
			continue;
		loop->ready[n++] = (struct net_ready){ id, loop->w[id].gen, loop->pfd[i].revents };
	}
	return (int)n;
}

const struct net_loop_ops net_loop_poll_ops = {
	.name = "poll",
	.init = poll_init,
	.fini = poll_fini,
	.grow = poll_grow,
	.add = poll_add,
	.mod = poll_mod,
	.del = poll_del,
	.wait = poll_wait,
};
