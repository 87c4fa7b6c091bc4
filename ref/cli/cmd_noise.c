#include <stdio.h>

#include "cli/cmd.h"

int cmd_noise(struct cli_opts *o)
{
	(void)o;
	fprintf(stderr, "peershake: noise: not built yet\n");
	return EXIT_RUNTIME;
}
