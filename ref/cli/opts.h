/*
 * opts.h - the peershake command line: one option table for every mode,
 * checked against the mode after parsing.
 */
#ifndef PS_CLI_OPTS_H
#define PS_CLI_OPTS_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "btc/params.h"
#include "cli/bugs.h"
#include "cli/crawlset.h"
#include "core/endpoint.h"

/* Exit statuses, documented in --help and the README. */
enum {
	EXIT_HANDSHAKE_OK = 0, /* at least one handshake succeeded */
	EXIT_NO_HANDSHAKE = 1, /* none succeeded */
	EXIT_USAGE = 2,	       /* bad arguments, or a name that does not resolve */
	EXIT_RUNTIME = 3,      /* the system failed us (bind, fds, memory) */
};

/* --max-per-ip's default: room for a few hosts behind one NAT, a test
 * runner's parallel cases or a client's retries, and still a small share
 * of a listener's slots (1,024 descriptors leave 960). */
#define CLI_DEFAULT_MAX_PER_IP 32
/* 16 MiB: 256 whole 64 KiB frames at once. With the fixed ~3 KB of a
 * stalled Noise connection, 20,000 of them (a common hard descriptor
 * limit) take about 60 MiB, and the budget's 16 more at most. */
#define CLI_DEFAULT_MAX_UNAUTH_MEM ((uint64_t)16 << 20)

/* --getaddr-wait's default, and the addresses kept per peer with --getaddr
 * (Core answers one getaddr with at most 1,000; room for that and for
 * unsolicited addr relay besides, about 112 KB a peer). */
#define CLI_DEFAULT_GETADDR_WAIT_MS 2000
#define CLI_GETADDR_KEEP	    2000

/* crawl's defaults: peers dialled in all, and at once */
#define CLI_DEFAULT_CRAWL_MAX_PEERS   1000
#define CLI_DEFAULT_CRAWL_CONCURRENCY 64
/* The known-address set holds at most this many per --max-peers (and at
 * least CLI_CRAWL_KNOWN_MIN): an answer to getaddr is at most 1,000
 * (BTC_MAX_ADDR_TO_SEND), so every dialled peer can add a full answer of
 * new addresses; past the bound new addresses are counted, not kept. */
#define CLI_CRAWL_KNOWN_PER_PEER 1000
#define CLI_CRAWL_KNOWN_MIN	 4096

enum cli_mode {
	MODE_NONE,
	MODE_CRAWL, /* peershake crawl SEED|TARGET... */
	MODE_SWEEP, /* peershake DNS_SEED [PORT] [TIMEOUT_MS] */
	MODE_BTC_CONNECT,
	MODE_BTC_LISTEN,
	MODE_NOISE_CONNECT,
	MODE_NOISE_LISTEN,
	MODE_HELP,
	MODE_VERSION,
	MODE_LIST_BUGS,
};

/* --v2transport: BIP324 v2 off (v1), on, or v2 with one v1 retry. */
enum cli_v2 { CLI_V2_OFF, CLI_V2_ON, CLI_V2_AUTO };

struct cli_opts {
	enum cli_mode mode;
	bool json;
	bool verbose;
	bool progress; /* progress line on a terminal: on unless --no-progress */
	uint64_t timeout_ms;
	const struct btc_network *network;
	uint8_t magic[4];
	uint16_t port; /* default port for targets without one; 0 = network's */
	int32_t version;
	uint64_t services;
	bool services_given; /* --services: sent exactly as given */
	const char *user_agent;
	int32_t start_height;
	bool relay;
	uint64_t require_services;
	enum cli_v2 v2transport; /* connect/sweep: OFF by default; listen: ON (v1 and v2) */
	int v2_garbage;		 /* our v2 garbage length, 0..4095; -1: random, as Core */
	const char *dns_server;
	uint64_t linger_ms;
	uint64_t count; /* listen: stop after this many successful handshakes */
	size_t max_concurrent;
	size_t max_inbound; /* listen: inbound connections at once; 0 = from the fd limit */
	size_t max_per_ip;  /* listen: of them from one address; 0 = CLI_DEFAULT_MAX_PER_IP */
	/* listen: the addresses to listen on, one socket each (argv) */
	char *const *listen;
	size_t nlisten;
	char *const *targets;
	size_t ntargets;
	const char **connect; /* listen: also connect out to these */
	const char *source;   /* connect from this address */
	size_t nconnect;

	/* --proxy socks5://[USER:PASS@]HOST:PORT: every outbound connection
	 * through it, names unresolved; the views point into argv */
	bool has_proxy;
	char proxy_host[PS_HOST_MAX + 1]; /* a numeric IPv4 or IPv6 address */
	uint16_t proxy_port;
	const char *proxy_user, *proxy_pass; /* NULL when not given */
	size_t proxy_user_len, proxy_pass_len;
	bool proxy_isolate; /* --proxy-isolate: random credentials per connection */
	/* addresses (btc/addr.h) */
	/* btc listen: answer getaddr from these files (cli/addrfile.h): one
	 * for every listen address, or one a listen address, in order */
	const char **addr_files;
	size_t naddr_files;
	unsigned addr_pct;	  /* listen: Core's MAX_PCT_ADDR_TO_SEND (23) unless given */
	bool getaddr;		  /* connect: send getaddr after the handshake */
	uint64_t getaddr_wait_ms; /* connect: how long to wait for addr/addrv2 */

	/* crawl */
	uint64_t max_peers;	  /* peers dialled in all */
	uint64_t max_depth;	  /* hops from a seed dialled; UINT64_MAX = no bound */
	struct crawl_cidr *cidrs; /* --allow and --deny in order (free()) */
	size_t ncidrs, nallow;
	const char *csv_file, *html_file;

	/* Noise */
	const char *psk_file;
	const char *psk_env;
	const char *prologue_hex;
	const char *payload1_hex;
	const char *payload2_hex;
	const char *transport_hex;
	const char *protocol;
	uint32_t messages;		  /* --messages: 0 = not given (1) */
	bool continue_on_decrypt_failure; /* --continue-on-decrypt-failure */
	/* noise listen: bytes the connections not yet authenticated may
	 * borrow for buffers, together; CLI_DEFAULT_MAX_UNAUTH_MEM unless set */
	uint64_t max_unauth_mem;
	bool max_unauth_mem_set;

	/* --bug: deliberate misbehaviour */
	struct bug_set bugs;
};

/* Parse argv into o. On a usage error print one line naming what was wrong
 * to stderr and return EXIT_USAGE; else 0. Whatever it returns, o holds
 * memory for cli_free. */
int cli_parse(struct cli_opts *o, int argc, char **argv);

/* What cli_parse allocated in o. */
void cli_free(struct cli_opts *o);

/* Parse a --proxy URL, socks5://[USER:PASS@]HOST:PORT (HOST a numeric
 * IPv4 address or a bracketed IPv6 one, USER and PASS 1..255 bytes each,
 * USER without ':'), into o's proxy fields. On error print one line and
 * return EXIT_USAGE (the password is never printed); else 0. */
int cli_proxy_parse(struct cli_opts *o, const char *url);

/* The full --help text. */
void cli_usage(FILE *f);

#endif
