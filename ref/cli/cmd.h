/*
 * cmd.h - the subcommands. Each returns the process exit status.
 */
#ifndef PS_CLI_CMD_H
#define PS_CLI_CMD_H

#include "cli/opts.h"

int cmd_btc(struct cli_opts *o);   /* sweep, crawl, btc connect, btc listen */
int cmd_noise(struct cli_opts *o); /* noise connect, noise listen */

#endif
