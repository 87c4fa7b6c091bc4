/*
 * admit.h - who gets an inbound slot: the admission choice of a listener,
 * sans-I/O.
 *
 * The listener hands over a table of its inbound connections (what each
 * has done, when) and the address of the one it has just accepted; the
 * answer is accept it, evict one entry of the table first, or refuse it
 * (close it at once). No fd, clock or allocation here: the caller reads the
 * sessions, passes the time in, closes what the answer says.
 *
 * The policy, after Bitcoin Core's CreateNodeFromAcceptedSocket and
 * AttemptToEvictConnection (net.cpp, v31.1): a full listener makes room
 * by evicting, and refuses the new connection only when nothing may go;
 * a completed handshake is never what goes. Before that, one address may
 * hold at most max_per_ip slots, so one client cannot fill the table and
 * then be the only thing left to evict.
 */
#ifndef PS_NET_ADMIT_H
#define PS_NET_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where an inbound connection stands, as admission sees it. */
enum net_admit_state {
	NET_ADMIT_PENDING,    /* the handshake is still running */
	NET_ADMIT_OVER,	      /* it ended without a success and is closing */
	NET_ADMIT_HANDSHAKEN, /* the handshake succeeded: never evicted */
};

/* One inbound connection. */
struct net_admit_conn {
	uint8_t ip[16]; /* the peer's address (net_addr_ip16's form) */
	enum net_admit_state state;
	uint64_t accepted_ns;	 /* when it was accepted */
	uint64_t last_active_ns; /* when it last sent a byte; 0 if never */
};

/* The limits; both at least 1. */
struct net_admit_limits {
	size_t max_inbound; /* inbound connections at once */
	size_t max_per_ip;  /* of them, from one address */
};

enum net_admit_verdict {
	NET_ADMIT_ACCEPT, /* take it */
	NET_ADMIT_EVICT,  /* close table entry victim, then take it */
	NET_ADMIT_REFUSE, /* close the new connection at once */
};

/* Why a connection was evicted or refused. */
enum net_admit_reason {
	NET_ADMIT_NONE,	  /* accepted */
	NET_ADMIT_FULL,	  /* the listener held max_inbound connections */
	NET_ADMIT_PER_IP, /* the address held max_per_ip connections */
	NET_ADMIT_NO_FD,  /* no descriptor to take it with (the shell's, never
			   * net_admit_decide's) */
	NET_ADMIT_MEMORY, /* the budget for unauthenticated buffers was full
			   * (net_admit_memory_victims) */
	NET_ADMIT_NREASONS
};

struct net_admit_decision {
	enum net_admit_verdict verdict;
	enum net_admit_reason reason; /* NET_ADMIT_NONE for ACCEPT */
	size_t victim;		      /* EVICT: the index into the table */
};

/* Decide about a new connection from ip, given the n inbound connections
 * of tab (the new one not among them).
 *
 * - ip already holds max_per_ip entries: evict that address's own entry
 *   that is not HANDSHAKEN and has been idle the longest (an OVER one
 *   first), reason PER_IP; none: REFUSE, PER_IP.
 * - else n >= max_inbound: evict, of every entry, the one that is not
 *   HANDSHAKEN and has been idle the longest (an OVER one first), reason
 *   FULL; none: REFUSE, FULL.
 * - else ACCEPT.
 * Idle since last_active_ns, or accepted_ns when it never sent a byte; on
 * a tie the earlier accepted goes, then the lower index. now_ns is not
 * needed: idleness is compared, not measured. */
void net_admit_decide(struct net_admit_decision *out, const struct net_admit_limits *lim,
		      const struct net_admit_conn *tab, size_t n, const uint8_t ip[16]);

/* A connection that has not authenticated (its handshake has not shown the
 * peer holds the key) and the bytes it has borrowed for buffers. */
struct net_admit_mem {
	size_t charge;	      /* bytes borrowed now */
	uint64_t accepted_ns; /* when it was accepted */
};

/* The memory budget for unauthenticated connections: entry req of tab (n
 * entries, req < n) asks to borrow need more bytes while the n together
 * hold total (the sum of their charges, which the caller keeps). Which to
 * evict so that what stays fits in budget: the largest charge first (req's
 * counted with its need added: what it would hold), on a tie the earliest
 * accepted, then the lower index, as few as that order allows. The indices
 * go into victims (room for n), in that order; returns how many (0 when
 * total + need fits). When req is among them its request is refused: it is
 * evicted with the rest. */
size_t net_admit_memory_victims(size_t *victims, const struct net_admit_mem *tab, size_t n,
				size_t req, size_t need, size_t total, size_t budget);

/* "full", "per-ip", "no-descriptors", "memory"; "none" for NET_ADMIT_NONE. The
 * reason field of the refused and evicted events. */
const char *net_admit_reason_name(enum net_admit_reason r);

#endif
