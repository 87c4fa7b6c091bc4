/*
 * btc_session.h - one TCP connection driving a struct btc_hs in the loop.
 *
 * The session is the thin shell around the sans-I/O handshake: it connects
 * (or takes an accepted socket), reads into the core, writes the core's
 * output, turns the core's expiry into the watcher's deadline and hands
 * every core event to the caller. It never prints.
 */
#ifndef PS_NET_BTC_SESSION_H
#define PS_NET_BTC_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "btc/handshake.h"
#include "net/loop.h"
#include "net/sock.h"

struct btc_session;

struct btc_session_ops {
	/* the TCP connection is up (outbound) or accepted (inbound) */
	void (*on_connected)(void *ctx, struct btc_session *s);
	/* every event of the core, in order */
	void (*on_event)(void *ctx, struct btc_session *s, const struct btc_event *ev);
	/* the handshake's outcome is known (s->outcome, s->err); called once,
	 * before a successful connection lingers */
	void (*on_result)(void *ctx, struct btc_session *s);
	/* the session is over and its socket closed; s may be freed now, and
	 * the session code touches s no more */
	void (*on_done)(void *ctx, struct btc_session *s);
};

enum btc_session_state {
	BTC_SESS_CONNECTING,
	BTC_SESS_OPEN,	   /* handshake running */
	BTC_SESS_LINGER,   /* handshake succeeded; kept open for linger_ns */
	BTC_SESS_DRAINING, /* over; flushing the last output before close */
	BTC_SESS_DONE
};

struct btc_session {
	struct net_loop *loop;
	int fd;
	int watch_id;
	bool outbound;
	enum btc_session_state state;
	struct sockaddr_storage addr;
	char name[NET_ADDRSTRLEN];
	char local[NET_ADDRSTRLEN];		 /* our end, once connected */
	uint64_t start_ns, connected_ns, end_ns; /* end: when the outcome was known */
	uint64_t deadline_ns;			 /* overall: connect + handshake */
	uint64_t linger_ns;
	uint64_t linger_until;
	int err; /* why it ended: PS_OK after a success, else PS_ERR_* */
	enum btc_outcome outcome;
	bool reported; /* on_result was called */
	struct btc_hs_config cfg;
	struct btc_hs hs;
	const struct btc_session_ops *ops;
	void *ctx;
	void *user; /* the caller's */
};

/* Start an outbound session to addr: connect, then handshake as initiator.
 * cfg->timeout_ns bounds connect and handshake together from now; cfg->peer
 * is filled in from addr. linger_ns keeps a successful connection open.
 * Failures to even start (socket limit) are reported through on_done, so
 * the call itself only fails with PS_ERR_NOMEM. */
PS_MUST_CHECK int btc_session_connect(struct btc_session *s, struct net_loop *loop,
				      const struct sockaddr_storage *addr,
				      const struct btc_hs_config *cfg, uint64_t linger_ns,
				      const struct btc_session_ops *ops, void *ctx);

/* Take an accepted socket fd from addr and handshake as responder. */
PS_MUST_CHECK int btc_session_accept(struct btc_session *s, struct net_loop *loop, int fd,
				     const struct sockaddr_storage *addr,
				     const struct btc_hs_config *cfg, uint64_t linger_ns,
				     const struct btc_session_ops *ops, void *ctx);

/* End the session now (e.g. on shutdown), reporting reason if pending. */
void btc_session_abort(struct btc_session *s, int reason);

#endif
