#include "cli/opts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "btc/addr.h"
#include "core/endpoint.h"
#include "core/hex.h"
#include "noise/pattern.h"
#include "noise/peer.h"

#define DEFAULT_USER_AGENT "/peershake:" PS_VERSION_STRING "/"

void cli_usage(FILE *f)
{
	fprintf(f,
		"usage: peershake DNS_SEED [PORT] [TIMEOUT_MS]\n"
		"       peershake btc connect [OPTIONS] TARGET...\n"
		"       peershake btc listen [OPTIONS] ADDR:PORT...\n"
		"       peershake crawl [OPTIONS] SEED|TARGET...\n"
		"       peershake noise connect [OPTIONS] HOST:PORT\n"
		"       peershake noise listen [OPTIONS] ADDR:PORT...\n"
		"       peershake --help | --version\n"
		"\n"
		"The first form resolves every A and AAAA record of DNS_SEED, performs the\n"
		"Bitcoin v1 version/verack handshake with every address at once (PORT\n"
		"default 8333, TIMEOUT_MS default 5000) and prints one line per peer and a\n"
		"summary. TARGET is HOST, HOST:PORT, IPV6 or [IPV6]:PORT; HOST is an IPv4\n"
		"address or a DNS name (every address of the name is a target), and an\n"
		"IPv6 address with a port goes in brackets.\n"
		"\n"
		"Common options:\n"
		"  -j, --json               JSON Lines on stdout, one object per event\n"
		"  -v, --verbose            also print every message sent and received\n"
		"  -t, --timeout MS         deadline per peer, connect + handshake (5000)\n"
		"      --no-progress        no progress line on a terminal\n"
		"\n"
		"Bitcoin options:\n"
		"  -n, --network NAME       mainnet testnet3 testnet4 signet regtest (mainnet)\n"
		"      --magic HEX          other network magic, 8 hex digits\n"
		"  -p, --port PORT          port for targets given without one\n"
		"      --protocol-version N our version (70016)\n"
		"      --services N         our service bits, decimal or 0x hex (0x409 is\n"
		"                           NETWORK|WITNESS|NETWORK_LIMITED; default 0x9,\n"
		"                           NETWORK|WITNESS, what outbound nodes look for)\n"
		"      --user-agent STR     our user agent, <= 256 bytes (%s)\n"
		"      --start-height N     our start height (0)\n"
		"      --relay 0|1          our relay flag (1)\n"
		"      --require-services N connect: refuse peers lacking these bits\n"
		"      --v2transport 0|1|auto  BIP324: connect and the sweep: 0 v1 (default),\n"
		"                           1 v2, auto v2 then one v1 retry if the peer closes\n"
		"                           before a v2 byte; listen: 1 v1 and v2 (default),\n"
		"                           0 v1 only\n"
		"      --v2-garbage N       bytes of v2 garbage after our key, 0..4095 (random)\n"
		"      --dns-server H:P     ask this DNS server instead of the system's\n"
		"      --max-concurrent N   connections open at once (fd limit - 64)\n"
		"      --linger MS          keep a successful connection open MS, answering pings\n"
		"      --source IP          connect from this local address (checked at\n"
		"                           start; numeric targets must be of its family)\n"
		"      --count N            listen: exit after N successful handshakes\n"
		"      --connect TARGET     listen: also connect out (repeatable)\n"
		"      --max-inbound N      listen: inbound connections at once (fd limit - 64)\n"
		"      --max-per-ip N       listen: of them from one IP address (%d); when full,\n"
		"                           the connection idle the longest that has not\n"
		"                           completed its handshake is evicted, else the new\n"
		"                           one is refused (events refused, evicted)\n"
		"      --addr-file FILE     listen: answer each inbound peer's first getaddr\n"
		"                           from FILE, one address a line (README: format),\n"
		"                           as Core does: addrv2 to a peer that sent\n"
		"                           sendaddrv2, else addr (IPv4/IPv6 only); once for\n"
		"                           every listen address, or once per address, the\n"
		"                           k-th file for the k-th address\n"
		"      --addr-pct PCT       listen: answer with at most PCT%% of the file (23,\n"
		"                           Core's MAX_PCT_ADDR_TO_SEND; 0 or 100: all), never\n"
		"                           more than 1000\n"
		"      --getaddr            connect: send getaddr after our verack and log\n"
		"                           every address that comes back (event addr)\n"
		"      --getaddr-wait MS    connect: wait MS after the handshake for addr and\n"
		"                           addrv2 (%d); the result follows\n"
		"\n"
		"Crawl (peershake crawl: handshake, getaddr, dial what comes back):\n"
		"      --max-peers N        peers dialled in all (%d); the known-address set\n"
		"                           holds at most %d x N (at least %d)\n"
		"      --max-depth D        hops from a seed (depth 0) dialled (no bound)\n"
		"      --concurrency N      connections at once (%d)\n"
		"      --allow CIDR         dial only inside these prefixes (repeatable)\n"
		"      --deny CIDR          never dial inside these (repeatable)\n"
		"      --csv FILE           one row per peer dialled\n"
		"      --html FILE          a summary page with bar charts\n"
		"                           (-t is per peer, --getaddr-wait how long each is\n"
		"                           read for addresses; TorV3/I2P only via --proxy)\n"
		"\n"
		"Proxy (connect, the sweep and crawl; both protocols):\n"
		"      --proxy socks5://[USER:PASS@]HOST:PORT  every connection through this\n"
		"                           SOCKS5 proxy (HOST numeric); names go to it\n"
		"                           unresolved (.onion, .i2p)\n"
		"      --proxy-isolate      random credentials per connection (Tor stream\n"
		"                           isolation, as Core's -proxyrandomize)\n"
		"\n"
		"Noise options (Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s):\n"
		"      --psk-file FILE      32-byte PSK: raw, or 64 hex digits\n"
		"      --psk-env VAR        PSK (64 hex digits) from environment variable VAR\n"
		"                           (PEERSHAKE_PSK when neither is given); never argv\n"
		"      --prologue HEX       prologue bytes (empty)\n"
		"      --payload1 HEX       initiator's payload in message 1\n"
		"      --payload2 HEX       responder's payload in message 2\n"
		"      --transport HEX      plaintext T of the transport messages echoed back\n"
		"      --messages N         N transport messages each way, one at a time (1):\n"
		"                           T itself for N = 1, else T and k (2 bytes, big-\n"
		"                           endian) for the k-th; both sides must agree\n"
		"      --continue-on-decrypt-failure  discard a transport message or echo whose\n"
		"                           tag fails and read the next under the same nonce\n"
		"                           (Noise section 5), instead of ending the exchange\n"
		"      --protocol NAME      another hash: Noise_NNpsk2_25519_ChaChaPoly_SHA256 "
		"...\n"
		"      --max-unauth-mem BYTES  listen: memory all connections not yet\n"
		"                           authenticated may buffer (16M; K, M, G suffixes);\n"
		"                           past it the largest, then oldest, is evicted\n"
		"\n"
		"Misbehaviour (conformance and resistance testing):\n"
		"      --bug NAME           misbehave as NAME (repeatable); a switch for another\n"
		"                           protocol or role than the mode's is refused\n"
		"      --list-bugs          list every switch with its protocol and role\n"
		"\n"
		"Exit status: 0 at least one handshake succeeded; 1 none succeeded;\n"
		"2 usage error (bad option or argument, a name that does not resolve or\n"
		"resolves to no address); 3 runtime error (cannot bind, no descriptors).\n",
		DEFAULT_USER_AGENT, CLI_DEFAULT_MAX_PER_IP, CLI_DEFAULT_GETADDR_WAIT_MS,
		CLI_DEFAULT_CRAWL_MAX_PEERS, CLI_CRAWL_KNOWN_PER_PEER, CLI_CRAWL_KNOWN_MIN,
		CLI_DEFAULT_CRAWL_CONCURRENCY);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "peershake: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see peershake --help)\n");
	return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out);

/* A byte count: parse_u64's number, optionally followed by K, M or G (KiB,
 * MiB, GiB), at most 1 TiB. */
static bool parse_bytes(const char *s, uint64_t *out)
{
	char num[32];
	size_t n = strlen(s);
	unsigned shift = 0;
	uint64_t v;

	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	default:
		break;
	}
	if (shift)
		num[n - 1] = 0;
	if (!parse_u64(num, (uint64_t)1 << (40 - shift), &v))
		return false;
	*out = v << shift;
	return true;
}

/* Strict unsigned parse: decimal or 0x hex, the whole string, <= max. No
 * sign, no space, and a leading 0 is decimal, never octal ("010" is ten). */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	int base = 10;
	char *end;
	unsigned long long v;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!isxdigit((unsigned char)s[0]) || (base == 10 && !isdigit((unsigned char)s[0])))
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/* A decimal int32, an optional leading '-', nothing else. */
static bool parse_i32(const char *s, int32_t *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)(s[0] == '-' ? s[1] : s[0])))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < INT32_MIN || v > INT32_MAX)
		return false;
	*out = (int32_t)v;
	return true;
}

enum {
	OPT_MAGIC = 256,
	OPT_PROTOCOL_VERSION,
	OPT_SERVICES,
	OPT_USER_AGENT,
	OPT_START_HEIGHT,
	OPT_RELAY,
	OPT_REQUIRE_SERVICES,
	OPT_DNS_SERVER,
	OPT_MAX_CONCURRENT,
	OPT_LINGER,
	OPT_COUNT,
	OPT_CONNECT,
	OPT_NO_PROGRESS,
	OPT_PSK_FILE,
	OPT_PSK_ENV,
	OPT_PROLOGUE,
	OPT_PAYLOAD1,
	OPT_PAYLOAD2,
	OPT_TRANSPORT,
	OPT_PROTOCOL,
	OPT_MESSAGES,
	OPT_CONTINUE_ON_DECRYPT_FAILURE,
	OPT_MAX_UNAUTH_MEM,
	OPT_BUG,
	OPT_LIST_BUGS,
	OPT_SOURCE,
	OPT_V2TRANSPORT,
	OPT_V2_GARBAGE,
	OPT_MAX_INBOUND,
	OPT_MAX_PER_IP,
	OPT_PROXY,
	OPT_PROXY_ISOLATE,
	OPT_ADDR_FILE,
	OPT_ADDR_PCT,
	OPT_GETADDR,
	OPT_GETADDR_WAIT,
	OPT_MAX_PEERS,
	OPT_MAX_DEPTH,
	OPT_CONCURRENCY,
	OPT_ALLOW,
	OPT_DENY,
	OPT_CSV,
	OPT_HTML,
};

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "json", no_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "timeout", required_argument, NULL, 't' },
	{ "network", required_argument, NULL, 'n' },
	{ "port", required_argument, NULL, 'p' },
	{ "magic", required_argument, NULL, OPT_MAGIC },
	{ "protocol-version", required_argument, NULL, OPT_PROTOCOL_VERSION },
	{ "services", required_argument, NULL, OPT_SERVICES },
	{ "user-agent", required_argument, NULL, OPT_USER_AGENT },
	{ "start-height", required_argument, NULL, OPT_START_HEIGHT },
	{ "relay", required_argument, NULL, OPT_RELAY },
	{ "require-services", required_argument, NULL, OPT_REQUIRE_SERVICES },
	{ "dns-server", required_argument, NULL, OPT_DNS_SERVER },
	{ "max-concurrent", required_argument, NULL, OPT_MAX_CONCURRENT },
	{ "linger", required_argument, NULL, OPT_LINGER },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "psk-file", required_argument, NULL, OPT_PSK_FILE },
	{ "psk-env", required_argument, NULL, OPT_PSK_ENV },
	{ "prologue", required_argument, NULL, OPT_PROLOGUE },
	{ "payload1", required_argument, NULL, OPT_PAYLOAD1 },
	{ "payload2", required_argument, NULL, OPT_PAYLOAD2 },
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "messages", required_argument, NULL, OPT_MESSAGES },
	{ "continue-on-decrypt-failure", no_argument, NULL, OPT_CONTINUE_ON_DECRYPT_FAILURE },
	{ "max-unauth-mem", required_argument, NULL, OPT_MAX_UNAUTH_MEM },
	{ "bug", required_argument, NULL, OPT_BUG },
	{ "list-bugs", no_argument, NULL, OPT_LIST_BUGS },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "v2transport", required_argument, NULL, OPT_V2TRANSPORT },
	{ "v2-garbage", required_argument, NULL, OPT_V2_GARBAGE },
	{ "max-inbound", required_argument, NULL, OPT_MAX_INBOUND },
	{ "max-per-ip", required_argument, NULL, OPT_MAX_PER_IP },
	{ "proxy", required_argument, NULL, OPT_PROXY },
	{ "proxy-isolate", no_argument, NULL, OPT_PROXY_ISOLATE },
	{ "addr-file", required_argument, NULL, OPT_ADDR_FILE },
	{ "addr-pct", required_argument, NULL, OPT_ADDR_PCT },
	{ "getaddr", no_argument, NULL, OPT_GETADDR },
	{ "getaddr-wait", required_argument, NULL, OPT_GETADDR_WAIT },
	{ "max-peers", required_argument, NULL, OPT_MAX_PEERS },
	{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
	{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "deny", required_argument, NULL, OPT_DENY },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "html", required_argument, NULL, OPT_HTML },
	{ NULL, 0, NULL, 0 },
};

static bool is_hex(const char *s)
{
	uint8_t tmp[1];
	size_t n, len = strlen(s);

	/* decode into nothing: only the syntax matters here */
	if (len % 2)
		return false;
	for (size_t i = 0; i < len; i += 2)
		if (ps_hex_decode(tmp, sizeof(tmp), &n, s + i, 2) != PS_OK)
			return false;
	return true;
}

/* What the options said about the mode, checked once the mode is known. */
struct seen {
	bool btc, noise, listen_only, timeout, v2transport, dns_server;
	bool addr_pct, getaddr_wait;
	bool crawl;	       /* a crawl-only option */
	const char *admission; /* --max-inbound or --max-per-ip, as given last */
};

static bool mode_is_noise(enum cli_mode m)
{
	return m == MODE_NOISE_CONNECT || m == MODE_NOISE_LISTEN;
}

static bool mode_is_listen(enum cli_mode m)
{
	return m == MODE_BTC_LISTEN || m == MODE_NOISE_LISTEN;
}

static const char *mode_name(enum cli_mode m)
{
	switch (m) {
	case MODE_CRAWL:
		return "crawl";
	case MODE_SWEEP:
		return "the DNS-seed sweep";
	case MODE_BTC_CONNECT:
		return "btc connect";
	case MODE_BTC_LISTEN:
		return "btc listen";
	case MODE_NOISE_CONNECT:
		return "noise connect";
	case MODE_NOISE_LISTEN:
		return "noise listen";
	case MODE_NONE:
	case MODE_HELP:
	case MODE_VERSION:
	case MODE_LIST_BUGS:
	default:
		return "this mode";
	}
}

/* The option c with its value: 0, EXIT_USAGE (said why), or 1 when the
 * mode is decided by the option alone (--help, --version, --list-bugs). */
static int take_option(struct cli_opts *o, struct seen *seen, int c, const char *arg)
{
	uint64_t u;

	switch (c) {
	case 'h':
		o->mode = MODE_HELP;
		return 1;
	case 'V':
		o->mode = MODE_VERSION;
		return 1;
	case OPT_LIST_BUGS:
		o->mode = MODE_LIST_BUGS;
		return 1;
	case 'j':
		o->json = true;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case 't':
		if (!parse_u64(arg, 86400000, &u) || u == 0)
			return usage_error("bad timeout '%s': want milliseconds, 1..86400000", arg);
		o->timeout_ms = u;
		seen->timeout = true;
		return 0;
	case OPT_DNS_SERVER: {
		struct ps_endpoint ep;
		if (ps_endpoint_parse(&ep, arg) != PS_OK || !ep.has_port)
			return usage_error("bad DNS server '%s': want HOST:PORT", arg);
		o->dns_server = arg;
		seen->dns_server = true;
		return 0;
	}
	case OPT_MAX_CONCURRENT:
		if (!parse_u64(arg, 1000000, &u) || u == 0)
			return usage_error("bad --max-concurrent '%s'", arg);
		o->max_concurrent = (size_t)u;
		return 0;
	case OPT_MAX_INBOUND:
	case OPT_MAX_PER_IP:
		if (!parse_u64(arg, 1000000, &u) || u == 0)
			return usage_error("bad %s '%s': want 1..1000000 connections",
					   c == OPT_MAX_INBOUND ? "--max-inbound" : "--max-per-ip",
					   arg);
		if (c == OPT_MAX_INBOUND)
			o->max_inbound = (size_t)u;
		else
			o->max_per_ip = (size_t)u;
		seen->admission = c == OPT_MAX_INBOUND ? "--max-inbound" : "--max-per-ip";
		return 0;
	case OPT_LINGER:
		if (!parse_u64(arg, 86400000, &u))
			return usage_error("bad linger '%s': want milliseconds", arg);
		o->linger_ms = u;
		return 0;
	case OPT_COUNT:
		if (!parse_u64(arg, UINT32_MAX, &u) || u == 0)
			return usage_error("bad count '%s': want a positive number", arg);
		o->count = u;
		seen->listen_only = true;
		return 0;
	case OPT_CONNECT:
		o->connect[o->nconnect++] = arg;
		seen->listen_only = true;
		return 0;
	case OPT_NO_PROGRESS:
		o->progress = false;
		return 0;
	case OPT_BUG:
		return bug_add(&o->bugs, arg) != 0 ? EXIT_USAGE : 0;
	case OPT_SOURCE:
		o->source = arg;
		return 0;
	case OPT_PROXY:
		return cli_proxy_parse(o, arg);
	case OPT_PROXY_ISOLATE:
		o->proxy_isolate = true;
		return 0;
	default:
		break;
	}
	return -1; /* not a common option */
}

/* A Bitcoin option: 0, EXIT_USAGE, or -1 when c is not one. */
static int take_btc_option(struct cli_opts *o, struct seen *seen, int c, const char *arg)
{
	switch (c) {
	case 'n':
		if (!(o->network = btc_network_find(arg)))
			return usage_error("unknown network '%s': want mainnet, testnet3, "
					   "testnet4, signet or regtest",
					   arg);
		memcpy(o->magic, o->network->magic, 4);
		break;
	case 'p':
		if (ps_port_parse(&o->port, arg, strlen(arg)) != PS_OK)
			return usage_error("bad port '%s': want 1..65535", arg);
		break;
	case OPT_MAGIC: {
		size_t n;
		if (strlen(arg) != 8 || ps_hex_decode(o->magic, 4, &n, arg, 8) != PS_OK)
			return usage_error("bad magic '%s': want 8 hex digits", arg);
		break;
	}
	case OPT_PROTOCOL_VERSION:
		if (!parse_i32(arg, &o->version))
			return usage_error("bad protocol version '%s'", arg);
		break;
	case OPT_SERVICES:
	case OPT_REQUIRE_SERVICES:
		if (!parse_u64(arg, UINT64_MAX,
			       c == OPT_SERVICES ? &o->services : &o->require_services))
			return usage_error("bad services '%s': want a number", arg);
		if (c == OPT_SERVICES)
			o->services_given = true;
		break;
	case OPT_USER_AGENT:
		if (strlen(arg) > BTC_MAX_SUBVERSION)
			return usage_error("user agent '%.40s...' is over 256 bytes", arg);
		o->user_agent = arg;
		break;
	case OPT_START_HEIGHT:
		if (!parse_i32(arg, &o->start_height))
			return usage_error("bad start height '%s'", arg);
		break;
	case OPT_RELAY:
		if (strcmp(arg, "0") && strcmp(arg, "1"))
			return usage_error("bad relay flag '%s': want 0 or 1", arg);
		o->relay = arg[0] == '1';
		break;
	case OPT_V2TRANSPORT:
		if (strcmp(arg, "0") == 0)
			o->v2transport = CLI_V2_OFF;
		else if (strcmp(arg, "1") == 0)
			o->v2transport = CLI_V2_ON;
		else if (strcmp(arg, "auto") == 0)
			o->v2transport = CLI_V2_AUTO;
		else
			return usage_error("bad --v2transport '%s': want 0, 1 or auto", arg);
		seen->v2transport = true;
		break;
	case OPT_V2_GARBAGE: {
		uint64_t u;
		if (!parse_u64(arg, 4095, &u))
			return usage_error("bad --v2-garbage '%s': want 0..4095 bytes", arg);
		o->v2_garbage = (int)u;
		break;
	}
	case OPT_ADDR_FILE:
		o->addr_files[o->naddr_files++] = arg;
		break;
	case OPT_ADDR_PCT: {
		uint64_t u;
		if (!parse_u64(arg, 100, &u))
			return usage_error("bad --addr-pct '%s': want 0..100 percent", arg);
		o->addr_pct = (unsigned)u;
		seen->addr_pct = true;
		break;
	}
	case OPT_GETADDR:
		o->getaddr = true;
		break;
	case OPT_MAX_PEERS:
	case OPT_MAX_DEPTH: {
		uint64_t u;
		bool peers = c == OPT_MAX_PEERS;
		/* --max-peers 0 would dial nothing: a mistake */
		if (!parse_u64(arg, peers ? 10000000 : 1000000, &u) || (peers && u == 0))
			return usage_error("bad %s '%s': want %s",
					   peers ? "--max-peers" : "--max-depth", arg,
					   peers ? "1..10000000 peers" : "0..1000000 hops");
		if (peers)
			o->max_peers = u;
		else
			o->max_depth = u;
		seen->crawl = true;
		break;
	}
	case OPT_CONCURRENCY: {
		uint64_t u;
		if (!parse_u64(arg, 1000000, &u) || u == 0)
			return usage_error("bad --concurrency '%s': want 1..1000000 connections",
					   arg);
		o->max_concurrent = (size_t)u;
		seen->crawl = true;
		break;
	}
	case OPT_ALLOW:
	case OPT_DENY:
		if (crawl_cidr_parse(&o->cidrs[o->ncidrs], arg, c == OPT_DENY) != PS_OK)
			return usage_error(
				"bad %s '%s': want IPV4/BITS or IPV6/BITS, host bits zero",
				c == OPT_DENY ? "--deny" : "--allow", arg);
		if (c == OPT_ALLOW)
			o->nallow++;
		o->ncidrs++;
		seen->crawl = true;
		break;
	case OPT_CSV:
		o->csv_file = arg;
		seen->crawl = true;
		break;
	case OPT_HTML:
		o->html_file = arg;
		seen->crawl = true;
		break;
	case OPT_GETADDR_WAIT: {
		uint64_t u;
		if (!parse_u64(arg, 86400000, &u))
			return usage_error("bad --getaddr-wait '%s': want milliseconds", arg);
		o->getaddr_wait_ms = u;
		seen->getaddr_wait = true;
		break;
	}
	default:
		return -1;
	}
	seen->btc = true;
	return 0;
}

/* A Noise option: 0, EXIT_USAGE, or -1 when c is not one. */
static int take_noise_option(struct cli_opts *o, struct seen *seen, int c, const char *arg)
{
	switch (c) {
	case OPT_PSK_FILE:
		o->psk_file = arg;
		break;
	case OPT_PSK_ENV:
		o->psk_env = arg;
		break;
	case OPT_PROLOGUE:
	case OPT_PAYLOAD1:
	case OPT_PAYLOAD2:
	case OPT_TRANSPORT:
		if (!is_hex(arg))
			return usage_error("'%s' is not hex (want an even number of hex digits)",
					   arg);
		if (c == OPT_PROLOGUE)
			o->prologue_hex = arg;
		else if (c == OPT_PAYLOAD1)
			o->payload1_hex = arg;
		else if (c == OPT_PAYLOAD2)
			o->payload2_hex = arg;
		else
			o->transport_hex = arg;
		break;
	case OPT_PROTOCOL:
		/* "The resulting name must be 255 bytes or less." (Noise 8) */
		if (strlen(arg) > NOISE_MAX_NAME)
			return usage_error("--protocol name '%.40s...' is %zu bytes: a Noise "
					   "protocol name is at most %d",
					   arg, strlen(arg), NOISE_MAX_NAME);
		o->protocol = arg;
		break;
	case OPT_MESSAGES: {
		uint64_t u;
		if (!parse_u64(arg, NOISE_PEER_MAX_MESSAGES, &u) || u == 0)
			return usage_error("bad --messages '%s': want 1..%d", arg,
					   NOISE_PEER_MAX_MESSAGES);
		o->messages = (uint32_t)u;
		break;
	}
	case OPT_CONTINUE_ON_DECRYPT_FAILURE:
		o->continue_on_decrypt_failure = true;
		break;
	case OPT_MAX_UNAUTH_MEM:
		if (!parse_bytes(arg, &o->max_unauth_mem))
			return usage_error("bad --max-unauth-mem '%s': want bytes, 0..1T (K, M, G: "
					   "KiB, MiB, GiB)",
					   arg);
		o->max_unauth_mem_set = true;
		seen->admission = "--max-unauth-mem";
		break;
	default:
		return -1;
	}
	seen->noise = true;
	return 0;
}

int cli_proxy_parse(struct cli_opts *o, const char *url)
{
	static const char want[] = "want socks5://[USER:PASS@]HOST:PORT";
	const char *sep = strstr(url, "://"), *hostport, *at;
	struct ps_endpoint ep;
	uint8_t ip[16];
	size_t slen;

	if (!sep)
		return usage_error("bad --proxy: %s", want);
	slen = (size_t)(sep - url);
	/* RFC 3986 section 3.1: "schemes are case-insensitive" */
	if (slen != 6 || strncasecmp(url, "socks5", 6) != 0)
		return usage_error("unknown --proxy scheme '%.*s': only socks5 is supported",
				   slen > 16 ? 16 : (int)slen, url);
	hostport = sep + 3;
	/* the last '@' ends the credentials: a password may hold one */
	at = strrchr(hostport, '@');
	if (at) {
		const char *colon = memchr(hostport, ':', (size_t)(at - hostport));
		size_t ulen = colon ? (size_t)(colon - hostport) : 0;
		size_t plen = colon ? (size_t)(at - colon - 1) : 0;
		/* RFC 1929: ULEN and PLEN are one byte, and neither is empty */
		if (!colon || ulen < 1 || ulen > 255 || plen < 1 || plen > 255)
			return usage_error("%s", "bad --proxy credentials: want USER:PASS@, each "
						 "1..255 bytes");
		o->proxy_user = hostport;
		o->proxy_user_len = ulen;
		o->proxy_pass = colon + 1;
		o->proxy_pass_len = plen;
		hostport = at + 1;
	}
	/* from here on only HOST:PORT is echoed: never the password */
	if (ps_endpoint_parse(&ep, hostport) != PS_OK) {
		const char *colon = strrchr(hostport, ':');
		if (colon && (hostport[0] != '[' || strchr(hostport, ']') < colon) &&
		    ps_port_parse(&o->proxy_port, colon + 1, strlen(colon + 1)) != PS_OK)
			return usage_error("bad --proxy port '%s': want 1..65535", colon + 1);
		return usage_error("bad --proxy address '%s': %s", hostport, want);
	}
	if (!ep.has_port)
		return usage_error("bad --proxy address '%s': give the port (%s)", hostport, want);
	if (inet_pton(AF_INET, ep.host, ip) != 1 &&
	    !(ep.bracketed && inet_pton(AF_INET6, ep.host, ip) == 1))
		return usage_error("bad --proxy host '%s': want a numeric IP address ([IPV6] "
				   "in brackets); the proxy's own name is not looked up",
				   ep.host);
	memcpy(o->proxy_host, ep.host, sizeof(o->proxy_host));
	o->proxy_port = ep.port;
	o->has_proxy = true;
	return 0;
}

/* getopt's complaint about argv[optind - 1], in words. */
static int bad_option(int c, char **argv)
{
	/* A long option is named as typed ("--timeout"); a short one by
	 * optopt, since argv[optind - 1] may then be a group ("-xj") or the
	 * next word. */
	const char *word = argv[optind - 1];
	bool is_long = strncmp(word, "--", 2) == 0;

	if (c == ':' && is_long)
		return usage_error("option '%s' needs a value", word);
	if (c == ':')
		return usage_error("option '-%c' needs a value", optopt);
	if (!is_long && optopt > 0 && optopt < 256)
		return usage_error("unknown option '-%c'", optopt);
	return usage_error("unknown option '%s'", word);
}

/* "btc|noise connect|listen ..." after the options. */
static int take_subcommand(struct cli_opts *o, int argc, char **argv)
{
	bool btc = argv[0][0] == 'b';

	if (argc < 2)
		return usage_error("'%s' needs 'connect' or 'listen'", argv[0]);
	if (strcmp(argv[1], "connect") == 0) {
		o->mode = btc ? MODE_BTC_CONNECT : MODE_NOISE_CONNECT;
		if (argc < 3)
			return usage_error("%s connect needs at least one target", argv[0]);
		o->targets = argv + 2;
		o->ntargets = (size_t)argc - 2;
		if (!btc && o->ntargets != 1)
			return usage_error("%s", "noise connect takes one HOST:PORT");
		return 0;
	}
	if (strcmp(argv[1], "listen") == 0) {
		o->mode = btc ? MODE_BTC_LISTEN : MODE_NOISE_LISTEN;
		if (argc < 3)
			return usage_error("%s listen needs at least one ADDR:PORT", argv[0]);
		o->listen = argv + 2;
		o->nlisten = (size_t)argc - 2;
		return 0;
	}
	return usage_error("unknown subcommand '%s': want connect or listen", argv[1]);
}

/* peershake crawl SEED|TARGET... */
static int take_crawl(struct cli_opts *o, int argc, char **argv)
{
	o->mode = MODE_CRAWL;
	if (argc < 2)
		return usage_error("%s", "crawl needs at least one seed (a DNS name or a target)");
	o->targets = argv + 1;
	o->ntargets = (size_t)argc - 1;
	if (!o->max_concurrent)
		o->max_concurrent = CLI_DEFAULT_CRAWL_CONCURRENCY;
	return 0;
}

/* peershake DNS_SEED [PORT] [TIMEOUT_MS], as the original exercise. */
static int take_sweep(struct cli_opts *o, const struct seen *seen, int argc, char **argv)
{
	struct ps_endpoint ep;
	uint64_t u;

	o->mode = MODE_SWEEP;
	if (argc > 3)
		return usage_error("too many arguments ('%s')", argv[3]);
	o->targets = argv;
	o->ntargets = 1;
	if (argc >= 2 && ps_port_parse(&o->port, argv[1], strlen(argv[1])) != PS_OK)
		return usage_error("bad port '%s': want 1..65535", argv[1]);
	if (argc >= 3) {
		if (seen->timeout)
			return usage_error("%s", "timeout given twice (argument and --timeout)");
		if (!parse_u64(argv[2], 86400000, &u) || u == 0)
			return usage_error("bad timeout '%s': want milliseconds, 1..86400000",
					   argv[2]);
		o->timeout_ms = u;
	}
	/* a DNS seed is a name: refuse what cannot be one */
	if (ps_endpoint_parse(&ep, argv[0]) != PS_OK || ep.has_port)
		return usage_error("bad DNS seed '%s': want a host name", argv[0]);
	return 0;
}

/* Options that do not belong to the mode are mistakes, not no-ops; so are
 * switches for a protocol or role the mode does not run. */
static int check_mode(struct cli_opts *o, const struct seen *seen)
{
	bool noise = mode_is_noise(o->mode), listen = mode_is_listen(o->mode);
	unsigned roles = listen ? BUG_RESPONDER : BUG_INITIATOR;
	struct bug_run run;

	if (noise && seen->btc)
		return usage_error("%s", "a Bitcoin option was given to a noise subcommand");
	if (!noise && seen->noise)
		return usage_error("%s", "a Noise option was given to a Bitcoin mode");
	if (!listen && seen->listen_only)
		return usage_error("%s", "--count and --connect are for listen");
	/* admission limits act on inbound connections only: a connect or
	 * sweep has none, and a switch that does nothing is a mistake */
	if (!listen && seen->admission)
		return usage_error("%s is for listen: it limits inbound connections",
				   seen->admission);
	/* a switch that does nothing in a role is refused */
	if (listen && (o->has_proxy || o->proxy_isolate))
		return usage_error("%s", "--proxy and --proxy-isolate are for connect, the sweep "
					 "and crawl: listen takes no proxy");
	if (o->proxy_isolate && !o->has_proxy)
		return usage_error("%s", "--proxy-isolate does nothing without --proxy");
	if (o->proxy_isolate && o->proxy_user)
		return usage_error("%s", "--proxy-isolate makes its own credentials: give it or "
					 "USER:PASS in --proxy, not both");
	if (o->has_proxy && seen->dns_server)
		return usage_error("%s", "--dns-server does nothing with --proxy: names go to the "
					 "proxy unresolved");
	/* Core answers getaddr on inbound connections only ("Ignoring
	 * \"getaddr\" from %s connection"): a file for connect would do
	 * nothing */
	if (o->naddr_files && o->mode != MODE_BTC_LISTEN)
		return usage_error("%s", "--addr-file is for btc listen: Core answers getaddr "
					 "on inbound connections only");
	/* one book for all, or one each: any other count pairs files with
	 * addresses by guesswork */
	if (o->naddr_files > 1 && o->naddr_files != o->nlisten)
		return usage_error("--addr-file given %zu times for %zu listen addresses: give it "
				   "once (every address answers from it) or once per address, "
				   "in order",
				   o->naddr_files, o->nlisten);
	if (seen->addr_pct && !o->naddr_files)
		return usage_error("%s", "--addr-pct needs --addr-file");
	if (seen->crawl && o->mode != MODE_CRAWL)
		return usage_error("%s",
				   "--max-peers, --max-depth, --concurrency, --allow, --deny, "
				   "--csv and --html are for crawl");
	if (o->mode == MODE_CRAWL && o->getaddr)
		return usage_error("%s",
				   "crawl always sends getaddr: --getaddr is for btc connect");
	if (o->mode == MODE_CRAWL && o->linger_ms)
		return usage_error("%s", "--linger is not for crawl: each peer is read for "
					 "--getaddr-wait, then left");
	if (o->mode == MODE_CRAWL)
		o->getaddr = true;
	if (o->getaddr && o->mode != MODE_BTC_CONNECT && o->mode != MODE_CRAWL)
		return usage_error("%s", "--getaddr is for btc connect");
	if (seen->getaddr_wait && !o->getaddr)
		return usage_error("%s", "--getaddr-wait needs --getaddr");
	if (listen && o->v2transport == CLI_V2_AUTO)
		return usage_error("%s", "--v2transport auto is for connecting: listen takes 0 "
					 "(v1 only) or 1 (v1 and v2)");
	if (!seen->v2transport)
		o->v2transport = listen ? CLI_V2_ON : CLI_V2_OFF;
	if (o->v2_garbage >= 0 && o->v2transport == CLI_V2_OFF)
		return usage_error("%s", "--v2-garbage does nothing with --v2transport 0");
	if (listen && o->nconnect)
		roles |= BUG_INITIATOR;
	run.proto = noise ? BUG_NOISE : BUG_BTC;
	run.roles = roles;
	/* connect and the sweep: v1, or v2 (auto's v1 is a retry only); listen:
	 * v1, and v2 unless --v2transport 0 (its --connect peers get v1) */
	run.transports = o->v2transport == CLI_V2_OFF ? BUG_V1 : listen ? BUG_V1 | BUG_V2 : BUG_V2;
	run.v2_garbage = o->v2_garbage;
	run.mode = mode_name(o->mode);
	if (bug_check(&o->bugs, &run) != 0)
		return EXIT_USAGE;
	return 0;
}

/* AF_INET or AF_INET6 when host is a numeric address of that family, else
 * 0 (a name). inet_pton only parses; nothing is resolved. */
static int ip_family(const char *host)
{
	struct in6_addr a;

	if (inet_pton(AF_INET, host, &a) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, host, &a) == 1)
		return AF_INET6;
	return 0;
}

static const char *family_name(int af)
{
	return af == AF_INET6 ? "IPv6" : "IPv4";
}

/* A target's or --connect's syntax error, with a hint for the common slip:
 * an IPv6 address and a port without brackets ("::1:18444"). */
static int bad_target(const char *what, const char *t)
{
	const char *last = strrchr(t, ':');
	char host[PS_HOST_MAX + 1];
	size_t n = last ? (size_t)(last - t) : 0;

	if (t[0] != '[' && last && memchr(t, ':', n) && n < sizeof(host)) {
		memcpy(host, t, n);
		host[n] = 0;
		if (ip_family(host) == AF_INET6)
			return usage_error("bad %s '%s': an IPv6 address with a port goes in "
					   "brackets ([%s]:%s)",
					   what, t, host, last + 1);
	}
	return usage_error("bad %s '%s': want HOST, HOST:PORT, IPV6 or [IPV6]:PORT", what, t);
}

/* A numeric target of the other family than --source could never be
 * dialled from it: a usage error now, before any traffic. (A name's
 * addresses are known only once resolved; one of the other family fails
 * on its own, "source-family".) */
static int check_family(int src_af, const char *src, const struct ps_endpoint *ep, const char *what,
			const char *t)
{
	int af = ip_family(ep->host);

	if (af == 0 || af == src_af)
		return 0;
	return usage_error("%s '%s' is %s but --source '%s' is %s", what, t, family_name(af), src,
			   family_name(src_af));
}

/* Every address the user gave parses: syntax only, before any query. */
static int check_addresses(const struct cli_opts *o)
{
	struct ps_endpoint ep;
	int src = 0, r;

	if (o->source && (ps_endpoint_parse(&ep, o->source) != PS_OK || ep.has_port ||
			  (src = ip_family(ep.host)) == 0))
		return usage_error("bad --source '%s': want a numeric IP address", o->source);
	for (size_t k = 0; k < o->nconnect; k++) {
		if (ps_endpoint_parse(&ep, o->connect[k]) != PS_OK)
			return bad_target("--connect", o->connect[k]);
		if (o->source &&
		    (r = check_family(src, o->source, &ep, "--connect", o->connect[k])) != 0)
			return r;
	}
	for (size_t i = 0; i < o->ntargets; i++) {
		if (ps_endpoint_parse(&ep, o->targets[i]) != PS_OK)
			return bad_target("target", o->targets[i]);
		if (o->source &&
		    (r = check_family(src, o->source, &ep, "target", o->targets[i])) != 0)
			return r;
	}
	return 0;
}

int cli_parse(struct cli_opts *o, int argc, char **argv)
{
	struct seen seen = { 0 };
	int c, r;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = 5000;
	o->network = btc_network_find("mainnet");
	memcpy(o->magic, o->network->magic, 4);
	o->version = BTC_PROTOCOL_VERSION;
	o->user_agent = DEFAULT_USER_AGENT;
	o->relay = true;
	o->services = BTC_NODE_NETWORK | BTC_NODE_WITNESS;
	o->progress = true;
	o->v2_garbage = -1;
	o->addr_pct = BTC_MAX_PCT_ADDR_TO_SEND;
	o->getaddr_wait_ms = CLI_DEFAULT_GETADDR_WAIT_MS;
	o->max_peers = CLI_DEFAULT_CRAWL_MAX_PEERS;
	o->max_depth = UINT64_MAX;
	/* a repeatable option's values: at most one an argument */
	o->connect = calloc((size_t)argc + 1, sizeof(char *));
	o->addr_files = calloc((size_t)argc + 1, sizeof(char *));
	o->cidrs = calloc((size_t)argc + 1, sizeof(*o->cidrs));
	if (!o->connect || !o->addr_files || !o->cidrs)
		return EXIT_RUNTIME;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hVjvt:n:p:", longopts, NULL)) != -1) {
		if (c == ':' || c == '?')
			return bad_option(c, argv);
		if ((r = take_option(o, &seen, c, optarg)) < 0 &&
		    (r = take_btc_option(o, &seen, c, optarg)) < 0 &&
		    (r = take_noise_option(o, &seen, c, optarg)) < 0)
			return bad_option('?', argv);
		if (r == 1)
			return 0;
		if (r != 0)
			return r;
	}

	argc -= optind;
	argv += optind;
	if (argc == 0)
		return usage_error("%s", "nothing to do: give a DNS seed or a subcommand");
	if (strcmp(argv[0], "btc") == 0 || strcmp(argv[0], "noise") == 0)
		r = take_subcommand(o, argc, argv);
	else if (strcmp(argv[0], "crawl") == 0)
		r = take_crawl(o, argc, argv);
	else
		r = take_sweep(o, &seen, argc, argv);
	if (r != 0)
		return r;
	if ((r = check_mode(o, &seen)) != 0)
		return r;
	return check_addresses(o);
}

void cli_free(struct cli_opts *o)
{
	free(o->connect);
	free(o->addr_files);
	free(o->cidrs);
	o->connect = o->addr_files = NULL;
	o->cidrs = NULL;
}
