/*
 * session.h - one TCP connection driving a sans-I/O protocol core.
 *
 * The session is the thin shell around a core (struct btc_hs, struct
 * noise_peer, ...; core/contract.h): it connects (or takes an accepted
 * socket), reads into the core, writes the core's output, turns the core's
 * expiry into the watcher's deadline (while a success lingers, the earlier
 * of it and the linger's end), pulls the core's events and hands
 * each on once, in protocol-neutral terms (struct net_event). It never
 * prints and knows nothing of either protocol: a core plugs in through
 * struct net_core_ops (see net/cores.h for the two adapters).
 *
 * Through a SOCKS5 proxy (net_session_connect_proxy) a session has a
 * proxy phase between the TCP connect and the core's start: it connects to
 * the proxy, runs the SOCKS5 client (core/socks5.h) and hands its events
 * on through on_proxy_event; once the tunnel is up the core starts on the
 * same socket as if connected to the peer. The one deadline covers the
 * proxy connect, the negotiation and the handshake. A failure of the
 * proxy phase is a PS_ERR_PROXY_*, never one of the peer's.
 */
#ifndef PS_NET_SESSION_H
#define PS_NET_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/contract.h"
#include "core/err.h"
#include "core/socks5.h"
#include "net/loop.h"
#include "net/sock.h"

struct net_session;

/* A peer's name as the session shows it: "1.2.3.4:8333", "[::1]:8333", or
 * through a proxy a name and port ("example.onion:8333"). */
#define NET_PEERSTRLEN SOCKS5_ADDRSTRLEN

/* What a core reported, in the terms every protocol shares: the session
 * pulls these through net_core_ops.next_event and hands each on once. */
enum net_ev_kind {
	NET_EV_SENT,	   /* a message went into the output queue: msg, length, bytes */
	NET_EV_RECV,	   /* a message arrived and was taken: msg, length, bytes, note */
	NET_EV_DROPPED,	   /* a message arrived and was dropped: msg, length, bytes, err, note */
	NET_EV_PEER,	   /* what the peer told of itself arrived (Bitcoin: its version) */
	NET_EV_KEYS,	   /* the keys are agreed (Noise: Split) */
	NET_EV_DISCONNECT, /* after success the peer broke a rule: err, note */
	NET_EV_SUCCESS,	   /* the exchange succeeded (reported as the result) */
	NET_EV_FAILED	   /* the exchange ended otherwise: err, note (reported as the result) */
};

#define NET_EV_MSG_LEN 16

struct net_event {
	enum net_ev_kind kind;
	char msg[NET_EV_MSG_LEN]; /* the message: "version", "msg1"; printable, "" if none */
	uint64_t length;	  /* the length its frame announces */
	uint64_t bytes;		  /* the bytes it took on the wire */
	int err;		  /* PS_ERR_* for DROPPED, DISCONNECT, FAILED */
	const char *note;	  /* the core's static words, or NULL */
	/* SENT, RECV: the nonce the message carries, when its protocol logs
	 * one (Bitcoin: a ping's or pong's, with an 8-byte payload); else
	 * has_nonce false and nonce 0 */
	bool has_nonce;
	uint64_t nonce;
	/* SENT, RECV: the items the message carries, when its protocol counts
	 * them (Bitcoin: an addr's or addrv2's entries); else has_count false
	 * and count 0. items_first, items_n: of them, the ones the core kept,
	 * by their index in its own store (Bitcoin: btc_hs_addrs) */
	bool has_count;
	uint64_t count;
	size_t items_first, items_n;
};

/* A sans-I/O core (core/contract.h) as function pointers. */
struct net_core_ops {
	/* The connection is up: set the core up (an initiator queues its first
	 * message). timeout_ns: what is left of the session's deadline. */
	int (*start)(void *core, const struct net_session *s, uint64_t now_ns, uint64_t timeout_ns);
	int (*input)(void *core, uint64_t now_ns, const uint8_t *data, size_t len);
	/* the next event into *ev; false when there is none */
	bool (*next_event)(void *core, struct net_event *ev);
	size_t (*output)(void *core, const uint8_t **p);
	void (*consume)(void *core, size_t n);
	/* when handle_expiry is due, UINT64_MAX for never: asked while the
	 * exchange is open and while a success lingers (a core with nothing
	 * to do after success says UINT64_MAX); after handle_expiry(now) it
	 * lies after now. A time already past while lingering is not waited
	 * for again. */
	uint64_t (*expiry)(void *core);
	/* called once the expiry is reached: while open, on the wake-up;
	 * while lingering, in the first turn at or past it. Output it queues
	 * is written in the same turn. */
	void (*handle_expiry)(void *core, uint64_t now_ns);
	void (*close)(void *core, int reason);
	/* the outcome so far and, when not SUCCESS, its PS_ERR_* */
	enum ps_outcome (*outcome)(void *core, int *err);
	/* true once the core takes no more input (failed, or disconnected
	 * after success) */
	bool (*ended)(void *core);
	/* the core's words on why it ended, or NULL */
	const char *(*note)(void *core);
	/* what the exchange waits for now ("verack", "message 2"), or NULL */
	const char *(*waiting_for)(void *core);
	/* events the core could not keep */
	uint64_t (*events_lost)(void *core);
	/* wipe and free what the core holds; called once, after on_result,
	 * before on_done, only if start was called */
	void (*release)(void *core);
};

struct net_session_ops {
	/* the TCP connection is up (outbound) or accepted (inbound) */
	void (*on_connected)(void *ctx, struct net_session *s);
	/* one event of the core, in order; SUCCESS and FAILED too (the
	 * result follows through on_result) */
	void (*on_event)(void *ctx, struct net_session *s, const struct net_event *ev);
	/* through a proxy: the TCP connection to the proxy is up
	 * (s->proxy->local). May be NULL. */
	void (*on_proxy_connected)(void *ctx, struct net_session *s);
	/* through a proxy: one event of the SOCKS5 client, in order (SUCCESS
	 * and FAILED too; a failure's result follows through on_result).
	 * May be NULL. */
	void (*on_proxy_event)(void *ctx, struct net_session *s, const struct socks5_event *ev);
	/* the outcome is known (s->outcome, s->err, s->note, s->waiting);
	 * called once, before a successful connection lingers */
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
	NET_SESS_PROXY,	   /* through a proxy: SOCKS5 negotiation running */
	NET_SESS_OPEN,	   /* handshake running */
	NET_SESS_LINGER,   /* handshake succeeded; kept open for linger_ns, the core's
			    * expiry still applied (a timer past the linger's end never
			    * fires) */
	NET_SESS_DRAINING, /* over; flushing the last output before close: at most
			    * 1 s, never past the deadline (or the linger's end) */
	NET_SESS_DONE
};

/* Through a proxy: what the session knows of it. net_session_connect_proxy
 * allocates it and the session frees it once on_done has returned, so
 * callbacks may read it until then; a session without a proxy has none
 * (s->proxy NULL), and a listener's connections carry none of it. */
struct net_proxy {
	char name[NET_ADDRSTRLEN];  /* the proxy, "127.0.0.1:9050" */
	char local[NET_ADDRSTRLEN]; /* our end of the connection to the proxy */
	char peer[NET_PEERSTRLEN];  /* the peer as dialled: an address, or a name and port */
	char bound[NET_PEERSTRLEN]; /* the CONNECT reply's BND: our end as the peer sees it */
	uint64_t connected_ns;	    /* the TCP connection to the proxy is up; 0 before */
	int cause;		    /* PS_ERR_PROXY_UNAVAILABLE: why (PS_ERR_REFUSED, ...) */
	int rep;		    /* the CONNECT reply's REP once read, else -1 */
	/* the SOCKS5 client, for the proxy phase only: wiped and freed once
	 * the tunnel is up or the session ends */
	struct socks5 *socks;
};

/* Every connection of a listener is one of these (in cli/run.h's struct
 * run_conn), so what only some sessions use lives behind a pointer: the
 * proxy's state above, the peer's and our end's names through a proxy,
 * and the write shape (the --bug seam) is the caller's, shared. */
struct net_session {
	struct net_loop *loop;
	int fd;
	int watch_id;
	enum net_session_state state;
	bool outbound;
	bool reported;	  /* on_result was called */
	bool peer_closed; /* the peer ended the connection (EOF or reset) */
	bool started;	  /* the core's start was called */
	bool cut;	  /* close_mid: we hung up mid-message; nothing more goes out */
	/* the peer's address: all zero (AF_UNSPEC) through a proxy for a name */
	struct sockaddr_storage addr;
	/* without a proxy: the peer's address and our socket's, as text (read
	 * them through net_session_name and net_session_local) */
	char addr_name[NET_ADDRSTRLEN];
	char local_name[NET_ADDRSTRLEN];
	uint64_t start_ns, connected_ns, end_ns; /* end: when the outcome was known */
	uint64_t deadline_ns;			 /* overall: connect + handshake */
	uint64_t last_recv_ns; /* when a byte last arrived; 0 if none yet (listen's
				* eviction takes the idlest, net/admit.h) */
	uint64_t linger_ns;
	uint64_t linger_until;
	int err; /* why it ended: PS_OK after a success, else PS_ERR_* */
	enum ps_outcome outcome;
	const char *note;    /* the core's words on why, or NULL */
	const char *waiting; /* what the exchange last waited for, or NULL */
	uint64_t closed_ns;  /* when the connection ended */
	const struct net_core_ops *core_ops;
	void *core;
	const struct net_session_ops *ops;
	void *ctx;
	const struct net_shape *shape; /* the caller's (never NULL: unshaped when none given) */
	uint64_t bytes_sent;	       /* what went out on the socket */
	uint64_t next_write_ns;	       /* shaped writes wait until then */
	void *user;		       /* the caller's; kept across setup */
	struct net_proxy *proxy;       /* through a proxy, else NULL */
};

/* What a session needs besides its socket. */
struct net_session_params {
	const struct net_core_ops *core_ops;
	void *core;
	uint64_t timeout_ns; /* connect + handshake, from the start; 0 = none */
	uint64_t linger_ns;  /* keep a successful connection open this long */
	const struct net_session_ops *ops;
	void *ctx;
	/* how we write, shared by every session of a run: not copied, it
	 * must outlive the session; NULL: as fast as the socket takes it */
	const struct net_shape *shape;
	const struct sockaddr_storage *source; /* outbound: bind to this first, or NULL */
};

/* Start an outbound session to addr: connect, then start the core.
 * Failures to even start (no socket) are reported through on_result and
 * on_done, so the call itself only fails with PS_ERR_NOMEM. */
PS_MUST_CHECK int net_session_connect(struct net_session *s, struct net_loop *loop,
				      const struct sockaddr_storage *addr,
				      const struct net_session_params *p);

/* Start an outbound session to socks->dest through the SOCKS5 proxy at
 * proxy: connect to the proxy, negotiate (socks is copied, credentials
 * and all), then start the core. Failures to start, a bad socks config
 * included (PS_ERR_INVALID_ARG), are reported through on_result and
 * on_done, so the call itself only fails with PS_ERR_NOMEM. */
PS_MUST_CHECK int net_session_connect_proxy(struct net_session *s, struct net_loop *loop,
					    const struct sockaddr_storage *proxy,
					    const struct socks5_config *socks,
					    const struct net_session_params *p);

/* Take an accepted socket fd from addr and start the core at once. */
PS_MUST_CHECK int net_session_accept(struct net_session *s, struct net_loop *loop, int fd,
				     const struct sockaddr_storage *addr,
				     const struct net_session_params *p);

/* End the session now (e.g. on shutdown), reporting reason if pending. */
void net_session_abort(struct net_session *s, int reason);

/* The peer's name as lines show it (NET_PEERSTRLEN bytes at most, the NUL
 * counted): "1.2.3.4:8333", "[::1]:8333", or through a proxy the name and
 * port it was dialled by ("example.onion:8333"). Never NULL; valid until
 * on_done returns. */
const char *net_session_name(const struct net_session *s);

/* Our end as the peer sees it, "" until connected: our socket's, or
 * through a proxy the CONNECT reply's BND. Never NULL; valid until
 * on_done returns. */
const char *net_session_local(const struct net_session *s);

#endif
