/*
 * bugs.h - the misbehaviour switches of the reference peer (--bug NAME).
 *
 * One table: each switch is a bit of a protocol core (btc/handshake.h
 * BTC_BUG_*, noise/peer.h NOISE_BUG_*), a message injected at a point of
 * the Bitcoin handshake (send=CMD@WHEN), a way of writing (net/session.h
 * struct net_shape), or a change to our own configuration (wrong PSK). A
 * conformance case is a combination of switches, never new code.
 */
#ifndef PS_CLI_BUGS_H
#define PS_CLI_BUGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "btc/handshake.h"
#include "net/session.h"

struct bug_set {
	uint64_t btc;	/* BTC_BUG_* */
	uint64_t noise; /* NOISE_BUG_* */
	struct btc_inject inject[BTC_MAX_INJECT];
	size_t ninject;
	struct net_shape shape;
	bool obsolete_version; /* announce 31799 */
	bool wrong_psk;	       /* flip a bit of our PSK */
	bool wrong_prologue;   /* a prologue one byte longer */
	bool any_btc, any_noise;
};

/* Add the switch spec ("bad-checksum", "stall=500", "send=ping@before-verack")
 * to set. Returns 0, or prints one line naming the problem to stderr and
 * returns -1. */
int bug_add(struct bug_set *set, const char *spec);

/* Print the table: one line per switch. */
void bug_list(FILE *f);

#endif
