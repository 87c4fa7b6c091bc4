/*
 * loop_impl.h - the loop's insides, shared by loop.c and its backends
 * (loop_poll.c, loop_epoll.c). Not for the loop's users: they have loop.h.
 *
 * loop.c owns the watchers, the deadline heap and the turn; a backend only
 * keeps the kernel's view of the fds in step (add, mod, del) and, in wait,
 * sleeps and lists what is ready in loop->ready.
 */
#ifndef PS_NET_LOOP_IMPL_H
#define PS_NET_LOOP_IMPL_H

#include <signal.h>
#include <time.h>

#include "net/loop.h"

#define NET_NO_SLOT SIZE_MAX

struct net_watcher {
	int fd;
	short events;
	bool live;
	unsigned gen; /* bumped at each add: a reused slot is another watcher */
	uint64_t deadline_ns;
	size_t heap_idx; /* its place in loop->heap, NET_NO_SLOT if no deadline */
	size_t bslot;	 /* the backend's: poll's index in its pollfd array */
	net_watch_fn cb;
	void *ctx;
};

/* An fd a wait found ready: whose, which generation of that slot, what. */
struct net_ready {
	int id;
	unsigned gen;
	short revents;
};

struct net_loop_ops {
	const char *name;
	/* PS_OK, or PS_ERR_SYSTEM / PS_ERR_NOMEM with errno set */
	int (*init)(struct net_loop *loop);
	void (*fini)(struct net_loop *loop);
	/* the loop now has cap slots: size what is kept per slot */
	int (*grow)(struct net_loop *loop, size_t cap);
	/* loop->w[id] is live with fd >= 0: start watching it */
	int (*add)(struct net_loop *loop, int id);
	/* its events changed */
	int (*mod)(struct net_loop *loop, int id);
	/* it goes (still live while this runs) */
	void (*del)(struct net_loop *loop, int id);
	/* sleep at most *ts (NULL: no limit) with loop->run_mask; fill
	 * loop->ready, at most loop->cap entries. Returns how many, or -1
	 * with errno (EINTR is just a wake-up). */
	int (*wait)(struct net_loop *loop, const struct timespec *ts);
};

struct net_due {
	uint64_t deadline_ns;
	int id;
	unsigned gen;
	size_t heap_idx;
};

struct net_loop {
	const struct net_loop_ops *ops;
	struct net_watcher *w;
	size_t cap, count; /* slots and live watchers */
	int *free_ids;	   /* stack of free slots */
	size_t nfree;
	int *heap; /* ids with a deadline, min-heap on (deadline, id) */
	size_t nheap;
	struct net_due *due;	 /* the timers due in a turn, earliest first */
	struct net_ready *ready; /* the fds a wait found ready */
	int sys_err;		 /* errno of a failed mod, reported by run */
	bool stop;
	bool handle_signals;
	sigset_t run_mask;   /* the mask inside the wait */
	sigset_t saved_mask; /* the mask before us, restored at destroy */
	sigset_t stop_set;   /* SIGINT, SIGTERM when handle_signals; else empty */
	/* poll's */
	struct pollfd *pfd;
	int *pfd_id;
	size_t npfd;
	/* epoll's */
	int epfd;
	struct epoll_event *evs;
	size_t nevs;
};

extern const struct net_loop_ops net_loop_poll_ops;
#ifdef __linux__
extern const struct net_loop_ops net_loop_epoll_ops;
#endif

#endif
