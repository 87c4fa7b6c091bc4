/*
 * cli_opts - the command-line parser (cli_parse, getopt_long underneath):
 * argv is the input split at NUL bytes. Checked: it returns 0 or
 * EXIT_USAGE (EXIT_RUNTIME only without memory); on success the mode is
 * set and consistent (targets for connect and the sweep, one or more
 * listen addresses for listen, --addr-file once or once per listen
 * address, --connect only with listen), numbers in their ranges, the
 * network and magic agree unless --magic was given, and every target
 * parses as an endpoint; --proxy only where it dials out (connect, the
 * sweep, the crawl), its host numeric, its credentials within RFC 1929's
 * lengths. getopt keeps state between calls: optind = 0 resets it fully
 * (glibc). Usage errors go to a muted stderr.
 *
 * Input: arguments separated by NUL bytes (at most 24).
 */
#include "fuzz.h"

#include <arpa/inet.h>
#include <getopt.h>

#include "cli/bugs.h"
#include "cli/opts.h"
#include "core/endpoint.h"

#define MAX_ARGS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[4096 + 1];
	char *argv[MAX_ARGS + 2];
	struct cli_opts o;
	size_t len = size < sizeof(buf) - 1 ? size : sizeof(buf) - 1;
	int argc = 1, r;

	memcpy(buf, data, len);
	buf[len] = 0;
	argv[0] = (char *)"peershake";
	for (size_t i = 0; i < len && argc < MAX_ARGS + 1;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;

	optind = 0;
	fuzz_stderr_mute();
	r = cli_parse(&o, argc, argv);
	/* what main() prints for these modes, to the muted stream */
	if (r == 0 && o.mode == MODE_HELP)
		cli_usage(stderr);
	if (r == 0 && o.mode == MODE_LIST_BUGS)
		bug_list(stderr);
	fuzz_stderr_restore();
	FUZZ_ASSERT(r == 0 || r == EXIT_USAGE || r == EXIT_RUNTIME);
	if (r == 0) {
		FUZZ_ASSERT(o.mode != MODE_NONE);
		FUZZ_ASSERT(o.timeout_ms >= 1 && o.timeout_ms <= 86400000);
		FUZZ_ASSERT(o.network != NULL);
		FUZZ_ASSERT(o.user_agent && strlen(o.user_agent) <= BTC_MAX_SUBVERSION);
		switch (o.mode) {
		case MODE_SWEEP:
		case MODE_BTC_CONNECT:
		case MODE_NOISE_CONNECT:
		case MODE_CRAWL:
			FUZZ_ASSERT(o.ntargets >= 1 && o.targets);
			/* a crawl dials at least one peer, and its filter has as
			 * many allows as it counts */
			FUZZ_ASSERT(o.mode != MODE_CRAWL ||
				    (o.max_peers >= 1 && o.nallow <= o.ncidrs));
			FUZZ_ASSERT(o.mode != MODE_NOISE_CONNECT || o.ntargets == 1);
			FUZZ_ASSERT(o.nconnect == 0 && o.count == 0);
			for (size_t i = 0; i < o.ntargets; i++) {
				struct ps_endpoint ep;
				FUZZ_ASSERT(ps_endpoint_parse(&ep, o.targets[i]) == PS_OK);
			}
			break;
		case MODE_BTC_LISTEN:
		case MODE_NOISE_LISTEN:
			FUZZ_ASSERT(o.nlisten >= 1 && o.listen);
			for (size_t i = 0; i < o.nlisten; i++)
				FUZZ_ASSERT(o.listen[i] != NULL);
			/* one book for all, or one each */
			FUZZ_ASSERT(o.naddr_files <= 1 || o.naddr_files == o.nlisten);
			break;
		case MODE_HELP:
		case MODE_VERSION:
		case MODE_LIST_BUGS:
			break;
		default:
			fuzz_fail(__FILE__, __LINE__, "mode out of range");
		}
		for (size_t i = 0; i < o.nconnect; i++)
			FUZZ_ASSERT(o.connect[i] != NULL);
		/* --proxy: outbound modes only, a numeric host, a port, both
		 * credentials of 1..255 bytes or neither, --proxy-isolate only
		 * with --proxy and without them, no --dns-server beside it
		 * (--help and the like end parsing as soon as they are seen) */
		if ((o.has_proxy || o.proxy_isolate) && o.mode != MODE_HELP &&
		    o.mode != MODE_VERSION && o.mode != MODE_LIST_BUGS) {
			uint8_t ip[16];
			FUZZ_ASSERT(o.mode == MODE_SWEEP || o.mode == MODE_BTC_CONNECT ||
				    o.mode == MODE_NOISE_CONNECT || o.mode == MODE_CRAWL);
			FUZZ_ASSERT(o.has_proxy && o.proxy_port >= 1 && !o.dns_server);
			FUZZ_ASSERT(inet_pton(AF_INET, o.proxy_host, ip) == 1 ||
				    inet_pton(AF_INET6, o.proxy_host, ip) == 1);
			FUZZ_ASSERT(!o.proxy_user == !o.proxy_pass);
			FUZZ_ASSERT(!o.proxy_isolate || !o.proxy_user);
			if (o.proxy_user)
				FUZZ_ASSERT(o.proxy_user_len >= 1 && o.proxy_user_len <= 255 &&
					    o.proxy_pass_len >= 1 && o.proxy_pass_len <= 255 &&
					    !memchr(o.proxy_user, ':', o.proxy_user_len));
		}
	}
	cli_free(&o);
	return 0;
}
