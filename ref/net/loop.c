#define _GNU_SOURCE /* ppoll */
#include "net/loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct watcher {
	int fd;
	short events;
	bool live;
	uint64_t deadline_ns;
	net_watch_fn cb;
	void *ctx;
};

struct due {
	uint64_t deadline_ns;
	int id;
};

struct net_loop {
	struct watcher *w;
	struct due *due;   /* the timers due in a turn, earliest first */
	size_t cap, count; /* slots and live watchers */
	int *free_ids;	   /* stack of free slots */
	size_t nfree;
	struct pollfd *pfd;
	int *pfd_id;
	bool stop;
	bool handle_signals;
	sigset_t run_mask;   /* the mask inside ppoll */
	sigset_t saved_mask; /* the mask before us, restored at destroy */
	sigset_t stop_set;   /* SIGINT, SIGTERM when handle_signals; else empty */
};

static volatile sig_atomic_t caught_signal;

static void on_signal(int sig)
{
	caught_signal = sig;
}

uint64_t net_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void net_signals_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* a read of the command line's files before the loop is not cut
	 * short; ppoll returns EINTR whatever this says */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

struct net_loop *net_loop_create(bool handle_signals)
{
	struct net_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->handle_signals = handle_signals;
	sigprocmask(SIG_SETMASK, NULL, &loop->run_mask);
	loop->saved_mask = loop->run_mask;
	if (handle_signals) {
		sigset_t block;

		net_signals_catch();
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		loop->stop_set = block;
		sigprocmask(SIG_BLOCK, &block, NULL);
		sigdelset(&loop->run_mask, SIGINT);
		sigdelset(&loop->run_mask, SIGTERM);
	}
	return loop;
}

void net_loop_destroy(struct net_loop *loop)
{
	if (!loop)
		return;
	if (loop->handle_signals)
		sigprocmask(SIG_SETMASK, &loop->saved_mask, NULL);
	free(loop->w);
	free(loop->free_ids);
	free(loop->pfd);
	free(loop->pfd_id);
	free(loop->due);
	free(loop);
}

static int grow(struct net_loop *loop)
{
	size_t cap = loop->cap ? loop->cap * 2 : 64;
	struct watcher *w = realloc(loop->w, cap * sizeof(*w));
	int *free_ids;
	struct pollfd *pfd;
	int *pfd_id;

	if (!w)
		return PS_ERR_NOMEM;
	loop->w = w;
	if (!(free_ids = realloc(loop->free_ids, cap * sizeof(*free_ids))))
		return PS_ERR_NOMEM;
	loop->free_ids = free_ids;
	if (!(pfd = realloc(loop->pfd, cap * sizeof(*pfd))))
		return PS_ERR_NOMEM;
	loop->pfd = pfd;
	if (!(pfd_id = realloc(loop->pfd_id, cap * sizeof(*pfd_id))))
		return PS_ERR_NOMEM;
	loop->pfd_id = pfd_id;
	{
		struct due *due = realloc(loop->due, cap * sizeof(*due));
		if (!due)
			return PS_ERR_NOMEM;
		loop->due = due;
	}
	/* new slots are dead and go on the free stack, lowest id on top */
	for (size_t i = cap; i > loop->cap; i--) {
		loop->w[i - 1].live = false;
		loop->free_ids[loop->nfree++] = (int)(i - 1);
	}
	loop->cap = cap;
	return PS_OK;
}

int net_watch_add(struct net_loop *loop, int fd, short events, uint64_t deadline_ns,
		  net_watch_fn cb, void *ctx)
{
	int id;

	if (loop->nfree == 0 && grow(loop) != PS_OK)
		return PS_ERR_NOMEM;
	id = loop->free_ids[--loop->nfree];
	loop->w[id] = (struct watcher){ fd, events, true, deadline_ns, cb, ctx };
	loop->count++;
	return id;
}

void net_watch_set_events(struct net_loop *loop, int id, short events)
{
	loop->w[id].events = events;
}

void net_watch_set_deadline(struct net_loop *loop, int id, uint64_t deadline_ns)
{
	loop->w[id].deadline_ns = deadline_ns;
}

void net_watch_del(struct net_loop *loop, int id)
{
	if (id < 0 || (size_t)id >= loop->cap || !loop->w[id].live)
		return;
	loop->w[id].live = false;
	loop->free_ids[loop->nfree++] = id;
	loop->count--;
}

void net_loop_stop(struct net_loop *loop)
{
	loop->stop = true;
}

int net_loop_signalled(const struct net_loop *loop)
{
	(void)loop;
	return caught_signal;
}

static int due_cmp(const void *a, const void *b)
{
	const struct due *x = a, *y = b;

	if (x->deadline_ns != y->deadline_ns)
		return x->deadline_ns < y->deadline_ns ? -1 : 1;
	return x->id - y->id;
}

/* Callbacks between two looks for a stop request inside one turn: a turn
 * over 20,000 ready connections takes a second or more. */
#define SIGNAL_EVERY 256

/* ppoll lets a pending signal in only when it has to sleep: with a
 * descriptor ready or a deadline due it returns at once and blocks the
 * signal again on the way out, so a busy loop (100,000 targets: something
 * is always ready) would never see it. Take it here instead: true when
 * SIGINT or SIGTERM was pending (caught_signal says which). */
static bool take_signal(struct net_loop *loop)
{
	static const struct timespec zero = { 0, 0 };
	int sig;

	if (!loop->handle_signals)
		return false;
	if (caught_signal)
		return true;
	sig = sigtimedwait(&loop->stop_set, NULL, &zero);
	if (sig <= 0)
		return false;
	caught_signal = sig;
	return true;
}

bool net_loop_take_signal(struct net_loop *loop)
{
	return take_signal(loop);
}

int net_loop_run(struct net_loop *loop)
{
	loop->stop = false; /* a stop ends one run, not the loop (redis aeMain) */
	while (!loop->stop && loop->count > 0 && !caught_signal) {
		uint64_t now = net_now_ns(), first = UINT64_MAX;
		struct timespec ts, *tsp = NULL;
		size_t n = 0;
		int r;

		for (size_t i = 0; i < loop->cap; i++) {
			struct watcher *w = &loop->w[i];
			if (!w->live)
				continue;
			if (w->deadline_ns < first)
				first = w->deadline_ns;
			if (w->fd < 0)
				continue;
			loop->pfd[n] = (struct pollfd){ w->fd, w->events, 0 };
			loop->pfd_id[n++] = (int)i;
		}
		if (first != UINT64_MAX) {
			uint64_t wait = first > now ? first - now : 0;
			ts.tv_sec = (time_t)(wait / 1000000000u);
			ts.tv_nsec = (long)(wait % 1000000000u);
			tsp = &ts;
		}
		r = ppoll(loop->pfd, n, tsp, &loop->run_mask);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return PS_ERR_SYSTEM;
		}
		if (take_signal(loop))
			break;
		now = net_now_ns();
		for (size_t k = 0, calls = 0; k < n && r > 0; k++) {
			int id = loop->pfd_id[k];
			struct watcher *w = &loop->w[id];
			if (!loop->pfd[k].revents)
				continue;
			r--;
			/* the watcher may have been removed (or its slot reused)
			 * by an earlier callback of this turn */
			if (!w->live || w->fd != loop->pfd[k].fd)
				continue;
			w->cb(loop, w->ctx, loop->pfd[k].revents, now);
			if (++calls % SIGNAL_EVERY == 0 && take_signal(loop))
				return PS_OK;
		}
		/* deadlines: earliest first, each still due when its turn comes
		 * (an earlier callback may have moved or removed it) */
		n = 0;
		for (size_t i = 0; i < loop->cap; i++)
			if (loop->w[i].live && loop->w[i].deadline_ns <= now)
				loop->due[n++] = (struct due){ loop->w[i].deadline_ns, (int)i };
		qsort(loop->due, n, sizeof(loop->due[0]), due_cmp);
		for (size_t k = 0; k < n; k++) {
			struct watcher *w = &loop->w[loop->due[k].id];
			if (w->live && w->deadline_ns <= now)
				w->cb(loop, w->ctx, 0, now);
			if ((k + 1) % SIGNAL_EVERY == 0 && take_signal(loop))
				return PS_OK;
		}
	}
	return PS_OK;
}
