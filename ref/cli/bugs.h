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

/* Where a switch applies: protocols, and our roles (initiator: we connect;
 * responder: we accept). */
enum { BUG_BTC = 1, BUG_NOISE = 2 };
enum { BUG_INITIATOR = 1, BUG_RESPONDER = 2 };

#define BUG_MAX_USES 64

/* A switch as given, with where it applies. */
struct bug_use {
	const char *name;
	unsigned protos, roles;
};

struct bug_set {
	uint64_t btc;	/* BTC_BUG_* */
	uint64_t noise; /* NOISE_BUG_* */
	struct btc_inject inject[BTC_MAX_INJECT];
	size_t ninject;
	struct net_shape shape;
	bool obsolete_version;		   /* announce 31799 */
	bool wrong_psk;			   /* flip a bit of our PSK */
	bool wrong_prologue;		   /* a prologue one byte longer */
	struct bug_use used[BUG_MAX_USES]; /* every switch given, in order */
	size_t nused;
};

/* Add the switch spec ("bad-checksum", "stall=500", "send=ping@before-verack")
 * to set. Returns 0, or prints one line naming the problem to stderr and
 * returns -1. */
int bug_add(struct bug_set *set, const char *spec);

/* Refuse a switch that would do nothing here: one given for another
 * protocol than proto (BUG_BTC or BUG_NOISE), or for none of roles (a
 * BUG_INITIATOR | BUG_RESPONDER mask: the roles the mode has). mode names
 * the mode in the message ("noise connect"). Returns 0, or prints one line
 * naming the switch and where it applies and returns -1. */
int bug_check(const struct bug_set *set, unsigned proto, unsigned roles, const char *mode);

/* Print the table: a header line, then one line per switch with its
 * protocol (btc, noise, both), role (initiator, responder, both) and what
 * it does. */
void bug_list(FILE *f);

#endif
