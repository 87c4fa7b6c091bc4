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

/* Where a switch applies: protocols, our roles (initiator: we connect;
 * responder: we accept) and, for Bitcoin, the transports (v1 framing,
 * BIP324 v2). */
enum { BUG_BTC = 1, BUG_NOISE = 2 };
enum { BUG_INITIATOR = 1, BUG_RESPONDER = 2 };
enum { BUG_V1 = 1, BUG_V2 = 2 };

#define BUG_MAX_USES 64

/* A switch as given, with where it applies (transports: 0 for any, else
 * the one transport it needs). */
struct bug_use {
	const char *name;
	unsigned protos, roles, transports;
};

struct bug_set {
	uint64_t btc;	    /* BTC_BUG_* */
	uint32_t btc_v2;    /* BTC_V2_BUG_* */
	unsigned v2_decoys; /* v2-decoys=N: N */
	uint64_t noise;	    /* NOISE_BUG_* */
	struct btc_inject inject[BTC_MAX_INJECT];
	size_t ninject;
	struct net_shape shape;
	bool obsolete_version;		   /* announce 31799 */
	bool wrong_psk;			   /* flip a bit of our PSK */
	bool wrong_prologue;		   /* a prologue one byte longer */
	struct bug_use used[BUG_MAX_USES]; /* every switch given, in order */
	size_t nused;
};

/* Add the switch spec ("bad-checksum", "stall=500", "send=ping@before-verack",
 * "v2-decoys=3") to set. Returns 0, or prints one line naming the problem
 * to stderr and returns -1. */
int bug_add(struct bug_set *set, const char *spec);

/* What a run is, for bug_check. */
struct bug_run {
	unsigned proto;	     /* BUG_BTC or BUG_NOISE */
	unsigned roles;	     /* BUG_INITIATOR | BUG_RESPONDER: the roles the mode has */
	unsigned transports; /* Bitcoin: BUG_V1 | BUG_V2, what its connections can speak
			      * (connect: v1 with --v2transport 0, else v2; listen: v1, and
			      * v2 unless --v2transport 0) */
	int v2_garbage;	     /* --v2-garbage 0..4095, or -1 (not given: random) */
	const char *mode;    /* the mode, for the message ("noise connect") */
};

/* Refuse a switch that would do nothing here: one given for another
 * protocol than run->proto, for none of run->roles, or (Bitcoin) for a
 * transport the run cannot speak: a v2 switch where every connection is
 * v1, a v1 frame rewrite where every connection is v2; and
 * v2-flip-garbage with --v2-garbage 0 (no byte to flip), --v2-garbage with
 * a switch that sets our garbage's length. Returns 0, or prints one line
 * naming the switch and where it applies and returns -1. */
int bug_check(const struct bug_set *set, const struct bug_run *run);

/* Print the table: a header line, then one line per switch with its
 * protocol (btc, noise, both; btc/v1 for a v1 frame rewrite, btc/v2 for a
 * switch that needs a BIP324 v2 connection), role (initiator, responder,
 * both) and what it does. */
void bug_list(FILE *f);

#endif
