/*
 * events.h - every line peershake prints about a run and its peers, as
 * text or as JSON Lines: the event table of the README is written here and
 * nowhere else.
 *
 * The protocol adds only its own fields, through struct run_proto
 * (cli/run.h): the "version" fields of a Bitcoin peer, the handshake hash
 * of a Noise exchange, and the fields of a result.
 */
#ifndef PS_CLI_EVENTS_H
#define PS_CLI_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/admit.h"
#include "net/session.h"

struct run;
struct run_conn;

/* listening: proto, addr, port */
void events_listening(struct run *run, const char *addr, uint16_t port);

/* resolved: name, count, addresses (verbose text: one line) */
void events_resolved(struct run *run, const char *name, const struct sockaddr_storage *addrs,
		     size_t n);

/* dns_error: name, error, detail (JSON only; the usage error itself goes
 * to stderr from the caller) */
void events_dns_error(struct run *run, const char *name, int err, const char *detail);

/* started: proto, peer, direction, attempt when a retry (text: "STARTED
 * peer") */
void events_started(struct run *run, const char *peer, bool outbound, unsigned attempt);

/* retry: the protocol dials c's peer once more: why (text: "RETRY  peer
 * why") */
void events_retry(struct run *run, const struct run_conn *c, const char *why);

/* refused: a listener closed a connection at once, as it came: proto,
 * peer, reason (full, per-ip, no-descriptors; text: "REFUSED  peer
 * reason"). It has no started or result line. */
void events_refused(struct run *run, const char *peer, enum net_admit_reason reason);

/* evicted: a listener closes c to make room for a new connection: reason
 * (full, per-ip), state (pending, over), idle_ms (since c last sent a
 * byte, or was accepted); c's result (FAILED evicted) follows (text:
 * "EVICTED  peer reason (idle N ms)"). */
void events_evicted(struct run *run, const struct run_conn *c, enum net_admit_reason reason,
		    uint64_t now_ns);

/* proxy_connected: proxy, local (our end of the connection to the proxy;
 * verbose text: one line) */
void events_proxy_connected(struct run *run, const struct run_conn *c);

/* proxy_sent, proxy_recv: what went to the proxy and came from it, one
 * line a SOCKS5 message: proxy, message, bytes and the message's fields
 * (verbose text: one line each). SUCCESS and FAILED have none (the
 * connected line or the result follows). */
void events_proxy(struct run *run, const struct run_conn *c, const struct socks5_event *ev);

/* connected: local, and proxy when through one (verbose text: one line) */
void events_connected(struct run *run, const struct run_conn *c);

/* One event of a connection's core: sent, recv, dropped, version,
 * handshake, disconnect (SUCCESS and FAILED are the result's). */
void events_peer(struct run *run, struct run_conn *c, const struct net_event *ev);

/* addr: one address a peer's addr or addrv2 carried: network, address,
 * port, services, time (verbose text: one line) */
void events_addr(struct run *run, const struct run_conn *c, const char *network,
		 const char *address, uint16_t port, uint64_t services, uint32_t time);

/* result: the outcome, why, the protocol's fields, how long it took */
void events_result(struct run *run, struct run_conn *c);

/* closed: by whom, how long after the result (JSON only) */
void events_closed(struct run *run, const struct run_conn *c);

/* summary: peers and outcomes; a listener's refused and evicted counts by
 * reason (text: only when there were any) */
void events_summary(struct run *run);

#endif
