/*
 * crawl.h - `peershake crawl`: what the Bitcoin hooks of the runner
 * (cli/cmd_btc.c) call to turn a run into a crawl. Seeds pass through
 * crawl_seed; each outbound result goes to crawl_peer, which writes the
 * peer's record and queues the addresses it taught us that pass the
 * filter, the depth and the peer bounds; crawl_finish writes the summary,
 * the CSV and the HTML page.
 *
 * Memory is bounded by --max-peers: each peer keeps at most
 * CLI_GETADDR_KEEP addresses while it runs (the handshake core's cap), an
 * addr or addrv2 of more than 1,000 entries is refused whole (btc/addr.h),
 * and the known-address set holds at most max(CLI_CRAWL_KNOWN_MIN,
 * CLI_CRAWL_KNOWN_PER_PEER x --max-peers) addresses; new ones past that are
 * counted (known_full), neither kept nor dialled.
 */
#ifndef PS_CLI_CRAWL_H
#define PS_CLI_CRAWL_H

#include <stdbool.h>

#include "btc/handshake.h"
#include "cli/opts.h"
#include "cli/run.h"

struct crawl;

/* A crawl for o, in *out; its --csv file opened. 0, EXIT_USAGE (the CSV
 * file cannot be created, or the --proxy address is outside --allow/--deny:
 * every connection goes to the proxy; said on stderr) or EXIT_RUNTIME
 * (memory). */
int crawl_create(struct crawl **out, const struct cli_opts *o);

/* Whether seed t (depth 0) is dialled: inside the filter, not known yet,
 * under --max-peers. Recorded either way. */
bool crawl_seed(struct crawl *cr, struct run *run, const struct run_target *t);

/* Outbound connection c (its handshake hs) has its result: write its
 * record, learn its addresses, queue the new ones to dial. */
void crawl_peer(struct crawl *cr, struct run *run, const struct run_conn *c,
		const struct btc_hs *hs);

/* The summary line, the CSV closed, the --html page written. 0, or
 * EXIT_RUNTIME when a file could not be written (said on stderr). */
int crawl_finish(struct crawl *cr, struct run *run);

void crawl_destroy(struct crawl *cr);

#endif
