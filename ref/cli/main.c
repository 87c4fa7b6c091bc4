/*
 * main.c - peershake: Bitcoin v1 and Noise NNpsk2 handshakes, both roles.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/bugs.h"
#include "cli/cmd.h"
#include "cli/opts.h"
#include "crypto/crypto.h"
#include "net/loop.h"

int main(int argc, char **argv)
{
	struct cli_opts o;
	int r;

	/* before anything that takes time: a SIGTERM while 100,000 targets
	 * are read still stops the run with its summary */
	net_signals_catch();
	r = cli_parse(&o, argc, argv);
	if (r == 0 && cry_init() != PS_OK) {
		fprintf(stderr, "peershake: cannot initialise libsodium\n");
		r = EXIT_RUNTIME;
	}
	if (r != 0) {
		cli_free(&o);
		return r;
	}
	switch (o.mode) {
	case MODE_HELP:
		cli_usage(stdout);
		r = 0;
		break;
	case MODE_VERSION:
		printf("peershake %s\n", PS_VERSION_STRING);
		r = 0;
		break;
	case MODE_LIST_BUGS:
		bug_list(stdout);
		r = 0;
		break;
	case MODE_SWEEP:
	case MODE_CRAWL:
	case MODE_BTC_CONNECT:
	case MODE_BTC_LISTEN:
		r = cmd_btc(&o);
		break;
	case MODE_NOISE_CONNECT:
	case MODE_NOISE_LISTEN:
		r = cmd_noise(&o);
		break;
	default:
		cli_usage(stderr);
		r = EXIT_USAGE;
		break;
	}
	cli_free(&o);
	return r;
}
