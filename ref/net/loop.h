/*
 * loop.h - one event loop for everything: sockets, c-ares, deadlines.
 *
 * A watcher is an fd (or -1 for a pure timer), the poll events it wants, a
 * deadline (UINT64_MAX for none) and a callback. Each turn the loop sleeps
 * until the earliest deadline or an fd is ready (OpenSSH ptimeout style),
 * then calls back: revents (poll's bits) for the fds that are ready, then
 * 0 for the watchers whose deadline passed, earliest deadline first. EINTR
 * is just a wake-up. Signals listed at creation are blocked except inside
 * the wait, so a stop request is never lost between check and sleep.
 *
 * Two backends behind the same calls: poll() (ppoll), the reference, built
 * everywhere; epoll (epoll_pwait) on Linux, whose cost per wake-up follows
 * the ready descriptors, not the idle ones. Deadlines are a heap either way:
 * a turn costs O(log n) per deadline that fires, not a walk of every
 * watcher. net_loop_create takes the backend from the environment:
 * PS_LOOP=poll or PS_LOOP=epoll; unset or empty is epoll on Linux, poll
 * elsewhere.
 *
 * One watcher per fd at a time (epoll keys its interest list on the fd),
 * and net_watch_del before close(fd).
 */
#ifndef PS_NET_LOOP_H
#define PS_NET_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct net_loop;

enum net_loop_backend {
	NET_LOOP_DEFAULT = 0, /* epoll on Linux, poll elsewhere */
	NET_LOOP_POLL,
	NET_LOOP_EPOLL,
};

/* revents: poll's bits, or 0 when called because the deadline passed. */
typedef void (*net_watch_fn)(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns);

/* Monotonic time in nanoseconds. */
uint64_t net_now_ns(void);

/* Catch SIGINT and SIGTERM from now on and ignore SIGPIPE, before any
 * loop exists: a signal caught before the loop runs is kept, and the first
 * net_loop_run of a loop created with handle_signals returns at once.
 * Called first thing in main, so a stop request while the command line is
 * read is not lost either. */
void net_signals_catch(void);

/* A backend named as PS_LOOP names it into *out: "poll", "epoll", or NULL
 * or "" for NET_LOOP_DEFAULT. PS_ERR_INVALID_ARG for any other name (*out
 * untouched), PS_ERR_UNSUPPORTED for "epoll" where there is none. */
PS_MUST_CHECK int net_loop_backend_parse(enum net_loop_backend *out, const char *name);

/* Create a loop on the backend PS_LOOP names (net_loop_backend_parse).
 * When handle_signals, SIGINT and SIGTERM end net_loop_run
 * (net_loop_signalled() tells) and SIGPIPE is ignored. NULL on no memory,
 * when the backend cannot start (errno says why), or when PS_LOOP names
 * no backend (errno EINVAL): a caller that wants to say so checks
 * net_loop_backend_parse(getenv("PS_LOOP")) first. */
struct net_loop *net_loop_create(bool handle_signals);
/* The same on a backend of the caller's choice. */
struct net_loop *net_loop_create_backend(bool handle_signals, enum net_loop_backend backend);
/* The backend a loop runs on: "poll" or "epoll". */
const char *net_loop_backend_name(const struct net_loop *loop);
void net_loop_destroy(struct net_loop *loop);

/* Add a watcher. Returns its id (>= 0), PS_ERR_NOMEM, or PS_ERR_SYSTEM
 * when the backend refuses fd (epoll: EEXIST for a second watcher on the
 * same fd, EPERM for a regular file; errno says). */
PS_MUST_CHECK int net_watch_add(struct net_loop *loop, int fd, short events, uint64_t deadline_ns,
				net_watch_fn cb, void *ctx);
/* Change what a watcher waits for (0: only POLLERR/POLLHUP, which poll and
 * epoll always report), or its deadline. */
void net_watch_set_events(struct net_loop *loop, int id, short events);
void net_watch_set_deadline(struct net_loop *loop, int id, uint64_t deadline_ns);
/* Remove a watcher (safe from inside its own callback; an id that is not
 * live is ignored). Does not close fd. */
void net_watch_del(struct net_loop *loop, int id);

/* Run until net_loop_stop, a handled signal, or no watchers remain.
 * Returns PS_OK or PS_ERR_SYSTEM (the wait failed, or the backend could
 * not change a watcher's events; errno says why). */
PS_MUST_CHECK int net_loop_run(struct net_loop *loop);
void net_loop_stop(struct net_loop *loop);
/* Outside net_loop_run, with the signals blocked: true when SIGINT or
 * SIGTERM is pending or was caught (it is taken: net_loop_signalled tells
 * which, and net_loop_run returns at once). For long set-up work between
 * loop turns. A loop too busy to sleep takes a pending signal after each
 * wait and every 256 callbacks, so it stops within that much work. */
bool net_loop_take_signal(struct net_loop *loop);
/* The signal that stopped the loop, 0 if none. */
int net_loop_signalled(const struct net_loop *loop);

#endif
