/*
 * cmd.h - the subcommands. Each returns the process exit status.
 */
#ifndef PS_CLI_CMD_H
#define PS_CLI_CMD_H

#include "cli/opts.h"

int cmd_btc(struct cli_opts *o);   /* sweep, crawl, btc connect, btc listen */
int cmd_noise(struct cli_opts *o); /* noise connect, noise listen */

struct run_proto;
/* The Noise hooks of cli/run.c. Its conn_size is what every connection of
 * noise connect and noise listen allocates: a stalled peer's whole cost
 * (tests/cli/test_cmd_noise.c holds it to the memory budget). */
extern const struct run_proto cmd_noise_proto;

#endif
