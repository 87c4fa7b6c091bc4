/*
 * cores.h - the protocol cores as struct net_core_ops, for net/session.
 *
 * Each adapter holds the core and the configuration it starts from; the
 * session fills in what only the connection knows (the peer's address, our
 * role, what is left of the deadline).
 */
#ifndef PS_NET_CORES_H
#define PS_NET_CORES_H

#include "btc/handshake.h"
#include "net/session.h"
#include "noise/peer.h"

/* Bitcoin v1: role from the session's direction; cfg.peer, cfg.unix_time
 * and cfg.timeout_ns are set at start. */
struct net_btc_core {
	struct btc_hs_config cfg;
	struct btc_hs hs;
};
extern const struct net_core_ops net_btc_core_ops;

/* Noise NNpsk2: role from the session's direction; cfg.timeout_ns set at
 * start. release() wipes the peer (it allocates nothing: the struct holds
 * its buffers, see noise/peer.h). */
struct net_noise_core {
	struct noise_peer_config cfg;
	struct noise_peer peer;
};
extern const struct net_core_ops net_noise_core_ops;

#endif
