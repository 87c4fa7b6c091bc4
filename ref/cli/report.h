/*
 * report.h - what peershake prints: human lines or JSON Lines.
 *
 * Every JSON object has "event", "t_ms" (milliseconds since start) and,
 * where a peer is concerned, "peer" ("1.2.3.4:8333" / "[::1]:8333") and
 * "proto" ("btc" or "noise"). Field names are stable and listed in the README.
 */
#ifndef PS_CLI_REPORT_H
#define PS_CLI_REPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/contract.h"

struct report {
	FILE *out;
	bool json;
	bool verbose;
	bool progress; /* draw a progress line on stderr (a terminal) */
	bool progress_shown;
	uint64_t start_ns;
	uint64_t last_progress_ns;
	size_t total, done, success, partial, failed;
};

void report_init(struct report *r, bool json, bool verbose, bool progress);

/* A JSON object under construction, written straight to the stream. */
struct jobj {
	struct report *r;
	bool first;
};

/* Begin a line: JSON object with event and t_ms, or a text line with the
 * given tag. Finish with report_end. */
void report_begin(struct report *r, struct jobj *j, const char *event);
void jstr(struct jobj *j, const char *key, const char *val);
void jstrn(struct jobj *j, const char *key, const char *val, size_t len);
void jint(struct jobj *j, const char *key, int64_t val);
void juint(struct jobj *j, const char *key, uint64_t val);
void jbool(struct jobj *j, const char *key, bool val);
void jnull(struct jobj *j, const char *key); /* a field that is there with no value */
void jhex64(struct jobj *j, const char *key, uint64_t val); /* "0x0000000000000409" */
void report_end(struct jobj *j);

/* A text line (not in JSON mode): printf-style, newline added. */
void report_text(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Start a free-form text line: clears the progress line, returns the stream.
 * The caller writes the line and its newline. */
FILE *report_line(struct report *r);

/* Count an outcome for the summary and the progress line. */
void report_count(struct report *r, enum ps_outcome o);

/* Redraw the progress line (rate-limited). */
void report_progress(struct report *r);

/* Milliseconds since report_init. */
uint64_t report_ms(const struct report *r);

/* Write s to f with non-printable bytes as \xNN (Core's SanitizeString spirit). */
void report_sanitized(FILE *f, const char *s, size_t len);

#endif
