/*
 * session.h - one TCP connection driving a sans-I/O protocol core.
 *
 * The session is the thin shell around a core (struct btc_hs, struct
 * noise_peer, ...): it connects (or takes an accepted socket), reads into the
 * core, writes the core's output, turns the core's expiry into the watcher's
 * deadline and tells the caller when the core has events. It never prints
 * and knows nothing of either protocol: a core plugs in through
 * struct net_core_ops (see net/cores.h for the two adapters).
 */
#ifndef PS_NET_SESSION_H
#define PS_NET_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/err.h"
#include "net/loop.h"
#include "net/sock.h"

struct net_session;

/* A handshake's outcome, common to the protocols. PARTIAL: Bitcoin's "their
 * version, no verack". */
enum net_outcome { NET_PENDING, NET_SUCCESS, NET_PARTIAL, NET_FAILED };

/* "SUCCESS", "PARTIAL", "FAILED", "PENDING". */
const char *net_outcome_name(enum net_outcome o);

/* The four calls of a sans-I/O core and its clock, as function pointers. */
struct net_core_ops {
	/* The connection is up: set the core up (an initiator queues its first
	 * message). timeout_ns: what is left of the session's deadline. */
	int (*start)(void *core, const struct net_session *s, uint64_t now_ns, uint64_t timeout_ns);
	int (*input)(void *core, uint64_t now_ns, const uint8_t *data, size_t len);
	size_t (*output)(void *core, const uint8_t **p);
	void (*consume)(void *core, size_t n);
	uint64_t (*expiry)(void *core);
	void (*handle_expiry)(void *core, uint64_t now_ns);
	void (*close)(void *core, int reason);
	/* the outcome so far and, when not SUCCESS, its PS_ERR_* */
	enum net_outcome (*outcome)(void *core, int *err);
	/* true once the core takes no more input (failed, or disconnected
	 * after success) */
	bool (*ended)(void *core);
	/* free what the core holds; called once, after on_result, before
	 * on_done, only if start was called */
	void (*release)(void *core);
};

struct net_session_ops {
	/* the TCP connection is up (outbound) or accepted (inbound) */
	void (*on_connected)(void *ctx, struct net_session *s);
	/* the core may have events: drain them */
	void (*on_events)(void *ctx, struct net_session *s);
	/* the outcome is known (s->outcome, s->err); called once, before a
	 * successful connection lingers */
	void (*on_result)(void *ctx, struct net_session *s);
	/* the session is over and its socket closed; s may be freed now, and
	 * the session code touches s no more */
	void (*on_done)(void *ctx, struct net_session *s);
};

/* How we write, for the transport-level misbehaviours (peershake --bug):
 * all zero is "as fast as the socket takes it". */
struct net_shape {
	uint64_t stall_ns; /* send nothing for this long after the connection is up */
	size_t chunk;	   /* write at most this many bytes at once (1: byte at a time) */
	size_t split_at;   /* the first write stops after this many bytes (12: header split) */
	uint64_t gap_ns;   /* the pause after each shaped write */
	bool close_mid;	   /* send half of the first message, then close */
};

enum net_session_state {
	NET_SESS_CONNECTING,
	NET_SESS_OPEN,	   /* handshake running */
	NET_SESS_LINGER,   /* handshake succeeded; kept open for linger_ns */
	NET_SESS_DRAINING, /* over; flushing the last output before close */
	NET_SESS_DONE
};

struct net_session {
	struct net_loop *loop;
	int fd;
	int watch_id;
	bool outbound;
	enum net_session_state state;
	struct sockaddr_storage addr;
	char name[NET_ADDRSTRLEN];
	char local[NET_ADDRSTRLEN];		 /* our end, once connected */
	uint64_t start_ns, connected_ns, end_ns; /* end: when the outcome was known */
	uint64_t deadline_ns;			 /* overall: connect + handshake */
	uint64_t linger_ns;
	uint64_t linger_until;
	int err; /* why it ended: PS_OK after a success, else PS_ERR_* */
	enum net_outcome outcome;
	bool reported;	    /* on_result was called */
	bool peer_closed;   /* the peer ended the connection (EOF or reset) */
	uint64_t closed_ns; /* when the connection ended */
	bool started;	    /* the core's start was called */
	const struct net_core_ops *core_ops;
	void *core;
	const struct net_session_ops *ops;
	void *ctx;
	struct net_shape shape;
	uint64_t bytes_sent;
	uint64_t next_write_ns; /* shaped writes wait until then */
	void *user;		/* the caller's; kept across setup */
};

/* What a session needs besides its socket. */
struct net_session_params {
	const struct net_core_ops *core_ops;
	void *core;
	uint64_t timeout_ns; /* connect + handshake, from the start; 0 = none */
	uint64_t linger_ns;  /* keep a successful connection open this long */
	const struct net_session_ops *ops;
	void *ctx;
	struct net_shape shape;
	const struct sockaddr_storage *source; /* outbound: bind to this first, or NULL */
};

/* Start an outbound session to addr: connect, then start the core.
 * Failures to even start (no socket) are reported through on_result and
 * on_done, so the call itself only fails with PS_ERR_NOMEM. */
PS_MUST_CHECK int net_session_connect(struct net_session *s, struct net_loop *loop,
				      const struct sockaddr_storage *addr,
				      const struct net_session_params *p);

/* Take an accepted socket fd from addr and start the core at once. */
PS_MUST_CHECK int net_session_accept(struct net_session *s, struct net_loop *loop, int fd,
				     const struct sockaddr_storage *addr,
				     const struct net_session_params *p);

/* End the session now (e.g. on shutdown), reporting reason if pending. */
void net_session_abort(struct net_session *s, int reason);

#endif
