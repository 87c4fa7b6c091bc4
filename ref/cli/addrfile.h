/*
 * addrfile.h - btc listen --addr-file: the addresses a getaddr is answered
 * from (Core's addrman, for peershake).
 *
 * One address a line; '#' starts a comment to the end of the line; blank
 * lines are skipped. A line is
 *
 *   ADDRESS[:PORT] [services=N] [time=UNIX]
 *
 * ADDRESS: an IPv4 address (1.2.3.4), an IPv6 address in brackets
 * ([2001:db8::1]; the brackets may be left out when no port follows), a
 * Tor v3 address (56 base32 characters ".onion", checksum checked), an
 * I2P address (52 base32 characters ".b32.i2p"), or a CJDNS address: an
 * IPv6 address in fc00::/8, which is always taken as CJDNS (Core with
 * -cjdnsreachable). PORT: 0..65535; without one, the network's default
 * port (8333 on mainnet), and 0 for I2P (Core's I2P_SAM31_PORT). services:
 * decimal or 0x hex, default 0x9 (NETWORK|WITNESS). time: unix seconds,
 * at most 4294967295, default the time the file is read. Fields are
 * separated by spaces or tabs, each at most once.
 *
 * At most ADDRFILE_MAX_ENTRIES addresses and lines of at most
 * ADDRFILE_MAX_LINE bytes. A bad line is a usage error naming the file and
 * the line.
 */
#ifndef PS_CLI_ADDRFILE_H
#define PS_CLI_ADDRFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "btc/addr.h"

#define ADDRFILE_MAX_ENTRIES 100000 /* 5.6 MB of struct btc_addr */
#define ADDRFILE_MAX_LINE    1024

/* Parse one line (NUL-terminated, no newline) into *a. Returns 1 for an
 * address, 0 for a blank or comment line, -1 for a bad line with why set
 * to static words. default_port for an address given without one;
 * now for time. */
int addrfile_parse_line(struct btc_addr *a, const char **why, const char *line,
			uint16_t default_port, uint32_t now);

/* Read every line of f (named path in messages) into a new array *out of
 * *n entries (free() it). 0, or EXIT_USAGE after printing "peershake:
 * PATH:LINE: why" (or "PATH: why") to err; EXIT_RUNTIME when out of
 * memory. */
int addrfile_read(struct btc_addr **out, size_t *n, FILE *f, const char *path,
		  uint16_t default_port, uint32_t now, FILE *err);

/* addrfile_read of the file at path, opened and closed here. */
int addrfile_load(struct btc_addr **out, size_t *n, const char *path, uint16_t default_port,
		  uint32_t now, FILE *err);

#endif
