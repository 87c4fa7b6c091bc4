/*
 * loop.h - one poll() loop for everything: sockets, c-ares, deadlines.
 *
 * A watcher is an fd (or -1 for a pure timer), the poll events it wants, a
 * deadline (UINT64_MAX for none) and a callback. Each turn the loop sleeps
 * until the earliest deadline or an fd is ready (OpenSSH ptimeout style),
 * then calls back: revents from poll, or 0 when the deadline passed.
 * EINTR is just a wake-up. Signals listed at creation are blocked except
 * inside ppoll, so a stop request is never lost between check and sleep;
 * a loop too busy to sleep takes a pending one after each ppoll and every
 * 256 callbacks, so it stops within that much work.
 */
#ifndef PS_NET_LOOP_H
#define PS_NET_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct net_loop;

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

/* Create a loop. When handle_signals, SIGINT and SIGTERM end net_loop_run
 * (net_loop_signalled() tells) and SIGPIPE is ignored (net_signals_catch);
 * they are blocked from here on except inside ppoll. NULL on no memory. */
struct net_loop *net_loop_create(bool handle_signals);
void net_loop_destroy(struct net_loop *loop);

/* Add a watcher. Returns its id (>= 0) or PS_ERR_NOMEM. */
PS_MUST_CHECK int net_watch_add(struct net_loop *loop, int fd, short events, uint64_t deadline_ns,
				net_watch_fn cb, void *ctx);
void net_watch_set_events(struct net_loop *loop, int id, short events);
void net_watch_set_deadline(struct net_loop *loop, int id, uint64_t deadline_ns);
/* Remove a watcher (safe from inside its own callback). Does not close fd. */
void net_watch_del(struct net_loop *loop, int id);

/* Run until net_loop_stop, a handled signal, or no watchers remain.
 * Returns PS_OK or PS_ERR_SYSTEM (poll failed). */
PS_MUST_CHECK int net_loop_run(struct net_loop *loop);
void net_loop_stop(struct net_loop *loop);
/* Outside net_loop_run, with the signals blocked: true when SIGINT or
 * SIGTERM is pending or was caught (it is taken: net_loop_signalled tells
 * which, and net_loop_run returns at once). For long set-up work between
 * loop turns. */
bool net_loop_take_signal(struct net_loop *loop);
/* The signal that stopped the loop, 0 if none. */
int net_loop_signalled(const struct net_loop *loop);

#endif
