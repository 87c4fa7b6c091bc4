/*
 * run.h - what every peershake mode shares: targets (numeric or resolved
 * with c-ares), a queue of addresses started as descriptors allow, the
 * listening socket, the list of live connections, results, the summary and
 * the exit status. A protocol plugs in through struct run_proto; every
 * line printed is written by cli/events.c.
 */
#ifndef PS_CLI_RUN_H
#define PS_CLI_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include "cli/opts.h"
#include "cli/report.h"
#include "net/admit.h"
#include "core/endpoint.h"
#include "net/dns.h"
#include "net/loop.h"
#include "net/session.h"

struct run;

/* A queued outbound address and which attempt it is. With --proxy a name
 * is queued as it is (host, port) and goes to the proxy unresolved. */
struct run_target {
	struct sockaddr_storage addr; /* when host is "" */
	char host[PS_HOST_MAX + 1];   /* a name, or "" */
	uint16_t port;		      /* the name's */
	unsigned attempt;
	unsigned depth; /* crawl: hops from a seed (0) */
};

/* listen: one listening socket, of the address o->listen[index]. */
struct run_listener {
	struct run *run;
	size_t index;
	int fd, watch; /* -1 when closed */
};

/* One connection. A protocol allocates proto->conn_size bytes whose first
 * member is this struct, the core's adapter behind it. */
struct run_conn {
	struct net_session s;
	struct run_conn *prev, *next;
	struct run *run;
	void *core;
	unsigned attempt; /* 0, then 1 for a retry the protocol asked for */
	/* outbound: what it dialled (a retry dials it again), as its index in
	 * run->queue, not a copy: a listener's connections carry no target
	 * (run_conn_target) */
	size_t target;
	/* inbound: the socket it was accepted on (NULL outbound); set before
	 * conn_init */
	const struct run_listener *listener;
};

struct run_proto {
	const char *name; /* "btc", "noise": the JSON "proto" field */
	size_t conn_size; /* sizeof the protocol's connection struct */
	const struct net_core_ops *core_ops;
	/* set up c->core (the config the core starts from; c->attempt says
	 * which attempt this is, c->listener where an inbound one came in) */
	void (*conn_init)(struct run *run, struct run_conn *c);
	/* the result of outbound connection c is known: return the words of
	 * why it should be dialled once more (its result is then not
	 * reported, a "retry" line is), or NULL. May be NULL. */
	const char *(*retry)(struct run *run, const struct run_conn *c);
	/* the protocol's fields of a "connected" line. May be NULL. */
	void (*connected_json)(struct run *run, const struct run_conn *c, struct jobj *j);
	/* the protocol's fields of the summary: JSON (j) or text (appended
	 * to the summary line, f). May be NULL. */
	void (*summary)(struct run *run, struct jobj *j, FILE *f);
	/* between an error's name and the core's note: ": " for a reason
	 * ("bad-magic: wrong network magic"), " on " for a place
	 * ("decrypt-failed on message 2") */
	const char *note_sep;
	/* the JSON key of a message's name in sent/recv/dropped ("command") */
	const char *msg_key;
	/* the protocol's fields of a NET_EV_PEER ("version") or NET_EV_KEYS
	 * ("handshake") line */
	void (*event_json)(struct run *run, struct run_conn *c, const struct net_event *ev,
			   struct jobj *j);
	/* the lines that follow an event's (Bitcoin: one "addr" line per
	 * address an addr or addrv2 carried). May be NULL. */
	void (*event_items)(struct run *run, struct run_conn *c, const struct net_event *ev);
	/* the protocol's fields of a result: JSON, or text after the peer name */
	void (*result_json)(struct run *run, struct run_conn *c, struct jobj *j);
	void (*result_text)(struct run *run, struct run_conn *c, FILE *f);
	/* crawl: whether a target of the command line (a number, a name's
	 * address, or with --proxy the name) is dialled at all; NULL: every
	 * one */
	bool (*filter)(struct run *run, const struct run_target *t);
	/* crawl: outbound connection c has its result (after its result
	 * line): the protocol may queue more targets (run_enqueue). May be
	 * NULL. */
	void (*harvest)(struct run *run, struct run_conn *c);
	/* the protocol writes its own lines: the common ones (started,
	 * result, summary...) go nowhere and no progress line is drawn */
	bool quiet;
};

struct run {
	struct cli_opts *o;
	const struct run_proto *proto;
	struct report rep;
	struct net_loop *loop;
	struct net_dns *dns;
	struct run_target *queue;
	size_t qhead, qlen, qcap;
	size_t active, max_active;
	size_t active_peak; /* the most active since memory was last given back */
	size_t outbound; /* of active: ours (is_local_nonce has nothing to look for without one) */
	/* connections that may still start before the start timer (due now,
	 * -1 when not armed) refills the budget from the loop */
	size_t start_budget;
	int start_watch;
	struct run_conn *conns; /* live connections */
	/* listen: a socket for each of o->listen, in order */
	struct run_listener *listeners;
	size_t nlisteners;
	/* listen: who gets an inbound slot (net/admit.h). The table is
	 * rebuilt from conns at each accept; admit_conns[i] is the
	 * connection of admit_tab[i]. */
	struct net_admit_limits admit;
	struct net_admit_conn *admit_tab;
	struct run_conn **admit_conns;
	size_t admit_cap;
	/* a descriptor on /dev/null, given up to accept-and-close one
	 * connection when accept runs out of descriptors, then taken back */
	int reserve_fd;
	bool accept_trouble; /* accept is failing: said once on stderr */
	size_t refused[NET_ADMIT_NREASONS], evicted[NET_ADMIT_NREASONS];
	struct sockaddr_storage source; /* --source */
	bool has_source;
	struct sockaddr_storage proxy; /* --proxy */
	bool usage_failure;	       /* a target did not resolve */
	bool stopping;		       /* --count reached: the rest wind down */
	bool runtime_failure;
	void *proto_ctx; /* the protocol's own state */
};

/* Run the mode of o with proto: listen and/or connect to every target, until
 * all connections are over (connect), --count successes or a signal
 * (listen). Returns the exit status. */
/* Queue t to be dialled once a slot frees (crawl's harvest). PS_OK or
 * PS_ERR_NOMEM. */
PS_MUST_CHECK int run_enqueue(struct run *run, const struct run_target *t);

int run_exec(struct run *run, struct cli_opts *o, const struct run_proto *proto, void *proto_ctx);

/* The target outbound connection c dialled. Good until the next
 * run_enqueue, which may move the queue: copy what is needed past it. */
const struct run_target *run_conn_target(const struct run_conn *c);

#endif
