/*
 * hex.h - hexadecimal text <-> bytes.
 */
#ifndef PS_CORE_HEX_H
#define PS_CORE_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Decode the hex string (s, slen) into out (capacity cap); *outlen gets the
 * byte count. Upper or lower case; no prefix, no spaces.
 * PS_ERR_MALFORMED (odd length, non-hex digit), PS_ERR_NOBUF (cap too small).
 * On error nothing is written to *outlen. */
PS_MUST_CHECK int ps_hex_decode(uint8_t *out, size_t cap, size_t *outlen, const char *s,
				size_t slen);

/* A key as a file or variable holds it: exactly n raw bytes, or 2*n hex
 * digits followed by any number of CR and LF (a text file's line end).
 * PS_ERR_MALFORMED otherwise; on error nothing is written to out. */
PS_MUST_CHECK int ps_key_parse(uint8_t *out, size_t n, const uint8_t *buf, size_t len);

/* Write 2*len lower-case hex digits and a NUL into out (capacity 2*len+1). */
void ps_hex_encode(char *out, const uint8_t *in, size_t len);

#endif
