/*
 * loop_epoll.c - the loop's Linux backend: epoll, level-triggered, so a
 * watcher sees what poll would show it (its events, and POLLERR/POLLHUP
 * always). The kernel keeps the interest list; a wait costs what is ready,
 * not what is idle. Each registration carries its watcher's id and
 * generation, so an event for a watcher that an earlier callback of the
 * same turn removed (or whose slot it reused) is dropped, as with poll.
 */
#ifdef __linux__
#define _GNU_SOURCE /* POLLRDHUP */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net/loop_impl.h"

/* events taken per wait: the rest are still ready at the next one */
#define EPOLL_BATCH 1024

/* poll's bits and epoll's are the same numbers on Linux (both are the
 * kernel's EPOLL and POLL bits from uapi); the translation below relies on it */
_Static_assert(EPOLLIN == POLLIN && EPOLLPRI == POLLPRI && EPOLLOUT == POLLOUT &&
		       EPOLLERR == POLLERR && EPOLLHUP == POLLHUP && EPOLLRDHUP == POLLRDHUP,
	       "poll and epoll event bits differ");
#define EVENT_BITS (POLLIN | POLLPRI | POLLOUT | POLLERR | POLLHUP | POLLRDHUP)

static int epoll_init(struct net_loop *loop)
{
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		return PS_ERR_SYSTEM;
	loop->nevs = EPOLL_BATCH;
	if (!(loop->evs = calloc(loop->nevs, sizeof(*loop->evs)))) {
		close(loop->epfd);
		loop->epfd = -1;
		errno = ENOMEM;
		return PS_ERR_NOMEM;
	}
	return PS_OK;
}

static void epoll_fini(struct net_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
	free(loop->evs);
}

static int epoll_grow(struct net_loop *loop, size_t cap)
{
	(void)loop;
	(void)cap;
	return PS_OK;
}

static struct epoll_event event_of(const struct net_watcher *w, int id)
{
	struct epoll_event ev;

	ev.events = (uint32_t)w->events & EVENT_BITS;
	ev.data.u64 = (uint64_t)w->gen << 32 | (uint32_t)id;
	return ev;
}

static int epoll_add(struct net_loop *loop, int id)
{
	struct epoll_event ev = event_of(&loop->w[id], id);

	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->w[id].fd, &ev) == 0 ? PS_OK
									      : PS_ERR_SYSTEM;
}

static int epoll_mod(struct net_loop *loop, int id)
{
	struct epoll_event ev = event_of(&loop->w[id], id);

	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, loop->w[id].fd, &ev) == 0 ? PS_OK
									      : PS_ERR_SYSTEM;
}

static void epoll_del(struct net_loop *loop, int id)
{
	struct epoll_event ev = { 0 }; /* ignored; pre-2.6.9 kernels wanted one */

	/* EBADF/ENOENT: the fd was closed first and the kernel dropped it */
	(void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, loop->w[id].fd, &ev);
}

static int epoll_wait_ready(struct net_loop *loop, const struct timespec *ts)
{
	int ms = -1, r, max;

	if (ts) {
		/* epoll_pwait counts in milliseconds: round up, so a deadline
		 * is never woken for early (which would spin until it is due) */
		uint64_t ns = (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
		uint64_t up = (ns + 999999u) / 1000000u;
		ms = up > INT_MAX ? INT_MAX : (int)up;
	}
	max = (int)(loop->nevs < loop->cap ? loop->nevs : loop->cap);
	r = epoll_pwait(loop->epfd, loop->evs, max > 0 ? max : 1, ms, &loop->run_mask);
	if (r <= 0)
		return r;
	for (int k = 0; k < r; k++) {
		uint64_t d = loop->evs[k].data.u64;
		loop->ready[k] = (struct net_ready){ (int)(uint32_t)d, (unsigned)(d >> 32),
						     (short)(loop->evs[k].events & EVENT_BITS) };
	}
	return r;
}

const struct net_loop_ops net_loop_epoll_ops = {
	.name = "epoll",
	.init = epoll_init,
	.fini = epoll_fini,
	.grow = epoll_grow,
	.add = epoll_add,
	.mod = epoll_mod,
	.del = epoll_del,
	.wait = epoll_wait_ready,
};
#else
typedef int net_loop_epoll_not_built; /* ISO C: a translation unit is not empty */
#endif
