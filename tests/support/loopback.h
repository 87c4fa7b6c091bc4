/*
 * loopback.h - net_sessions over 127.0.0.1 for the net and cli tests,
 * written once: a world (one net_loop, a listener that hands its one
 * accepted socket to the test, the sessions still alive, a guard timer),
 * a run bounded by alarm() so that a hang is a failure, and the plain
 * sockets tests point connections at.
 *
 * Each session is one malloc'd block that starts with struct tu_conn (the
 * session first) and is scribbled over and freed in on_done
 * (tu_world_done), so ASan reports any touch of it after on_done. The
 * world's loop must end by itself once the last session is done and the
 * listener is closed: a watcher left behind keeps it running, and alarm()
 * turns that into a failure; the guard aborts every session still alive
 * after TU_GUARD_NS, which fails the run too.
 */
#ifndef PS_TU_LOOPBACK_H
#define PS_TU_LOOPBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/loop.h"
#include "net/session.h"

#define TU_MS	    UINT64_C(1000000)
#define TU_SEC	    UINT64_C(1000000000)
#define TU_GUARD_NS (10 * TU_SEC)

struct tu_world;

/* The head of every session block a test allocates. */
struct tu_conn {
	struct net_session s; /* first: the session code sees only this */
	struct tu_world *w;
	struct tu_conn *next; /* the world's live list */
};

struct tu_world {
	struct net_loop *loop;
	int lfd, lwatch;	       /* the listener; -1 once closed */
	struct sockaddr_storage laddr; /* where it listens */
	struct tu_conn *live;	       /* sessions not yet done */
	int guard;		       /* the guard timer; -1 once over */
	bool guard_fired;
	/* The listener accepted fd from `from`; it is closed already (one
	 * connection per world). Start a session on fd (tu_world_accept). */
	void (*accept)(struct tu_world *w, int fd, const struct sockaddr_storage *from);
	/* Optional: the guard fired; stop what else the test runs before the
	 * guard aborts every live session with PS_ERR_TIMEOUT. */
	void (*on_guard)(struct tu_world *w);
	/* Optional: words for the failure message when the guard fired. */
	void (*describe)(const struct tu_world *w, char *buf, size_t cap);
	void *user; /* the test's */
};

/* A loop, the guard and, if listen, a listener on 127.0.0.1 (a port the
 * kernel picks) whose connection goes to accept. */
void tu_world_init(struct tu_world *w, bool listen,
		   void (*accept)(struct tu_world *w, int fd, const struct sockaddr_storage *from));

/* Stop listening (no effect once closed). */
void tu_world_close_listener(struct tu_world *w);

/* Link c into the live sessions, then start it: outbound to `to`, or on
 * the accepted fd. Either asserts the call returned PS_OK; on an
 * immediate failure c is already freed when it returns. */
void tu_world_connect(struct tu_world *w, struct tu_conn *c, const struct sockaddr_storage *to,
		      const struct net_session_params *p);
/* The same, outbound through the SOCKS5 proxy at proxy to socks->dest. */
void tu_world_connect_proxy(struct tu_world *w, struct tu_conn *c,
			    const struct sockaddr_storage *proxy, const struct socks5_config *socks,
			    const struct net_session_params *p);
void tu_world_accept(struct tu_world *w, struct tu_conn *c, int fd,
		     const struct sockaddr_storage *from, const struct net_session_params *p);

/* From on_done: unlink c, scribble over its size bytes and free it; the
 * guard goes once nothing is alive and the listener is closed. */
void tu_world_done(struct tu_conn *c, size_t size);

/* Abort every live session with reason (each one's on_done runs) and
 * close the listener. */
void tu_world_abort_all(struct tu_world *w, int reason);

/* Run the loop until it ends by itself; fails the test if the guard fired
 * or anything is left alive or listening. */
void tu_world_run(struct tu_world *w);

/* Close the listener and destroy the loop. */
void tu_world_free(struct tu_world *w);

/* net_loop_run(loop) under alarm(seconds): if it has not returned by then
 * the process prints "<what>" and exits 1. Asserts it returned PS_OK. */
void tu_run_bounded(struct net_loop *loop, unsigned seconds, const char *what);

/* Remove a watcher and close its descriptor; each is set to -1 and an
 * entry already -1 is left alone. */
void tu_unwatch_close(struct net_loop *loop, int *watch, int *fd);

/* A TCP listener on 127.0.0.1 (port picked by the kernel, *addr gets it)
 * that nothing accepts from: connects complete into its backlog. Returns
 * the fd; the caller closes it. */
int tu_listen_loopback(struct sockaddr_storage *addr, int backlog);

/* A TCP socket bound to 127.0.0.1 (port picked by the kernel, *addr gets
 * it) that does not listen, so connects to it are refused and nothing
 * else takes the port meanwhile. reuse: bound with SO_REUSEADDR, so that
 * a listener with SO_REUSEADDR (net_sock_listen) can take the port while
 * it is held. Returns the fd; the caller closes it. */
int tu_hold_port(struct sockaddr_storage *addr, bool reuse);

#endif
