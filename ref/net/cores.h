/*
 * cores.h - the protocol cores as struct net_core_ops, for net/session.
 *
 * Each adapter holds its core and points at the configuration template it
 * starts from (shared by every connection, owned and wiped by the caller);
 * at start the session fills in what only the connection knows (the peer's
 * address, our role, what is left of the deadline) in a copy that dies, and
 * is wiped, inside start. No secret is kept per connection outside the
 * core, and release() wipes the core.
 *
 * A third protocol is one core (core/contract.h) plus one adapter here.
 */
#ifndef PS_NET_CORES_H
#define PS_NET_CORES_H

#include "btc/handshake.h"
#include "net/session.h"
#include "noise/peer.h"

/* Bitcoin: role from the session's direction; the peer's address, the
 * clock's unix time and the deadline are set at start. Buffers for
 * addresses are allocated at start and freed at release (the template's
 * own pointers are ignored): a template with getaddr gets a receive
 * buffer of BTC_HS_RX_ADDR bytes and, with an addr_store_cap, a store of
 * that many addresses; one with an addrbook an output queue of
 * BTC_HS_OUT_ADDR bytes. Other connections cost struct btc_hs alone.
 * While an outbound getaddr waits (btc_hs_getaddr_waiting) the outcome
 * stays PENDING, waiting for "addr": the result, with what came, follows
 * the wait. */
struct net_btc_core {
	const struct btc_hs_config *tmpl;    /* outbound (and inbound when tmpl_in is NULL) */
	const struct btc_hs_config *tmpl_in; /* inbound, or NULL */
	struct btc_addr *store;
	uint8_t *out_buf, *rx_keep;
	struct btc_hs hs;
};
extern const struct net_core_ops net_btc_core_ops;

/* Noise NNpsk2: role from the session's direction; the deadline is set at
 * start. tmpl holds the PSK: it is copied into the peer's handshake state
 * at start and into nothing else. A lender of its own per connection lets
 * the caller count what each connection borrows. */
struct net_noise_core {
	const struct noise_peer_config *tmpl;
	/* this connection's lender (noise/mem.h), or NULL for tmpl->mem */
	const struct noise_mem *mem;
	struct noise_peer peer;
};
extern const struct net_core_ops net_noise_core_ops;

#endif
