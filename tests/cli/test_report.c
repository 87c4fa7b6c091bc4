/*
 * test_report.c - ref/cli/report: JSON Lines and text output.
 *
 * The report writes to r->out, pointed here at an in-memory stream
 * (open_memstream). Every JSON line must parse with cJSON; every string
 * must come back as the bytes that went in: printable ASCII as itself, '"'
 * and '\' escaped, and every other byte as \u00XX, i.e. the code point of
 * the same value (so the round trip is checked code point by code point:
 * cJSON hands back UTF-8). The progress line goes to stderr, captured
 * through a temporary file on fd 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "cli/report.h"
#include "testutil.h"

struct mem {
	char *buf;
	size_t len;
};

static void mem_open(struct report *r, struct mem *m, bool json)
{
	report_init(r, json, false, false);
	m->buf = NULL;
	m->len = 0;
	r->out = open_memstream(&m->buf, &m->len);
	assert_non_null(r->out);
}

/* Close the stream; m->buf holds everything written. */
static void mem_close(struct report *r, struct mem *m)
{
	assert_int_equal(fclose(r->out), 0);
	r->out = NULL;
	assert_non_null(m->buf);
}

/* UTF-8 back to code points, each of which must be one byte's value. */
static size_t latin1_from_utf8(uint8_t *out, size_t cap, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = 0;

	while (*p) {
		unsigned cp;
		if (p[0] < 0x80) {
			cp = p[0];
			p += 1;
		} else if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
			cp = (unsigned)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
			p += 2;
		} else {
			fail_msg("cJSON gave a code point above U+07FF (byte %02x)", p[0]);
			return 0;
		}
		assert_true(cp <= 0xff);
		assert_true(n < cap);
		out[n++] = (uint8_t)cp;
	}
	return n;
}

/* One object with one string field holding the bytes in[0..len). */
static void roundtrip(const uint8_t *in, size_t len)
{
	struct report r;
	struct mem m;
	struct jobj j;
	cJSON *root, *v;
	uint8_t back[1024];
	size_t n;

	mem_open(&r, &m, true);
	report_begin(&r, &j, "test");
	jstrn(&j, "s", (const char *)in, len);
	report_end(&j);
	mem_close(&r, &m);

	/* one line, ASCII only, ends with "}\n" */
	assert_true(m.len >= 2);
	assert_int_equal(m.buf[m.len - 1], '\n');
	assert_int_equal(m.buf[m.len - 2], '}');
	for (size_t i = 0; i < m.len; i++) {
		assert_true((unsigned char)m.buf[i] < 0x7f);
		assert_true(m.buf[i] >= 0x20 || (m.buf[i] == '\n' && i == m.len - 1));
	}
	root = cJSON_Parse(m.buf);
	if (!root)
		fail_msg("cJSON cannot parse: %s", m.buf);
	v = cJSON_GetObjectItemCaseSensitive(root, "s");
	assert_true(cJSON_IsString(v));
	n = latin1_from_utf8(back, sizeof(back), v->valuestring);
	assert_int_equal(n, len);
	if (len)
		assert_memory_equal(back, in, len);
	cJSON_Delete(root);
	free(m.buf);
}

static void test_json_escaping_each_byte(void **state)
{
	(void)state;
	/* every byte but NUL, alone and between printable neighbours */
	for (unsigned b = 1; b < 256; b++) {
		uint8_t one[1] = { (uint8_t)b };
		uint8_t three[3] = { 'a', (uint8_t)b, 'z' };
		roundtrip(one, 1);
		roundtrip(three, 3);
	}
}

static void test_json_escaping_all_at_once(void **state)
{
	uint8_t all[255];

	(void)state;
	for (unsigned b = 1; b < 256; b++)
		all[b - 1] = (uint8_t)b;
	roundtrip(all, sizeof(all));
	roundtrip((const uint8_t *)"", 0);
	roundtrip((const uint8_t *)"\"\\\"\\\\", 5);
	roundtrip((const uint8_t *)"/peershake:0.1.0/", 17);
	/* UTF-8 input is bytes too: each byte its own \u00XX */
	roundtrip((const uint8_t *)"caf\xc3\xa9", 5);
}

/* The exact text for the special bytes. */
static void test_json_escape_text(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ "\"", 1, "\"\\\"\"" },      { "\\", 1, "\"\\\\\"" },
		{ "\n", 1, "\"\\u000a\"" },   { "\x1f", 1, "\"\\u001f\"" },
		{ "\x7f", 1, "\"\\u007f\"" }, { "\x80", 1, "\"\\u0080\"" },
		{ "\xff", 1, "\"\\u00ff\"" }, { " ~", 2, "\" ~\"" },
		{ "/", 1, "\"/\"" },	      { "a\0b", 3, "\"a\\u0000b\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct report r;
		struct mem m;
		struct jobj j;
		char want[64];
		cJSON *root;

		mem_open(&r, &m, true);
		report_begin(&r, &j, "e");
		jstrn(&j, "s", cases[i].in, cases[i].len);
		report_end(&j);
		mem_close(&r, &m);
		snprintf(want, sizeof(want), "\"s\":%s}\n", cases[i].out);
		if (!strstr(m.buf, want))
			fail_msg("case %zu: '%s' does not end with '%s'", i, m.buf, want);
		/* valid JSON, even with the NUL */
		root = cJSON_Parse(m.buf);
		assert_non_null(root);
		cJSON_Delete(root);
		free(m.buf);
	}
}

/* A whole event: event and t_ms first, then every kind of field. */
static void test_json_object(void **state)
{
	struct report r;
	struct mem m;
	struct jobj j;
	cJSON *root, *v;
	const char *keys[] = { "event", "t_ms", "str", "neg", "min", "max", "yes", "no", "hex" };
	size_t k = 0;

	(void)state;
	mem_open(&r, &m, true);
	report_begin(&r, &j, "result");
	jstr(&j, "str", "SUCCESS");
	jint(&j, "neg", -42);
	jint(&j, "min", INT64_MIN);
	juint(&j, "max", UINT64_MAX);
	jbool(&j, "yes", true);
	jbool(&j, "no", false);
	jhex64(&j, "hex", 0x409);
	report_end(&j);
	mem_close(&r, &m);

	assert_int_equal(strncmp(m.buf, "{\"event\":\"result\",\"t_ms\":", 25), 0);
	/* the exact integers, beyond what a double holds */
	assert_non_null(strstr(m.buf, "\"min\":-9223372036854775808,"));
	assert_non_null(strstr(m.buf, "\"max\":18446744073709551615,"));
	assert_non_null(strstr(m.buf, "\"hex\":\"0x0000000000000409\"}\n"));

	root = cJSON_Parse(m.buf);
	assert_non_null(root);
	/* the fields in the order written */
	cJSON_ArrayForEach(v, root)
	{
		assert_true(k < sizeof(keys) / sizeof(keys[0]));
		assert_string_equal(v->string, keys[k]);
		k++;
	}
	assert_int_equal(k, sizeof(keys) / sizeof(keys[0]));
	v = cJSON_GetObjectItemCaseSensitive(root, "event");
	assert_string_equal(v->valuestring, "result");
	v = cJSON_GetObjectItemCaseSensitive(root, "t_ms");
	assert_true(cJSON_IsNumber(v));
	assert_true(v->valuedouble >= 0 && v->valuedouble < 60000);
	v = cJSON_GetObjectItemCaseSensitive(root, "str");
	assert_string_equal(v->valuestring, "SUCCESS");
	v = cJSON_GetObjectItemCaseSensitive(root, "neg");
	assert_true(cJSON_IsNumber(v) && v->valuedouble == -42);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "yes")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "no")));
	v = cJSON_GetObjectItemCaseSensitive(root, "hex");
	assert_string_equal(v->valuestring, "0x0000000000000409");
	cJSON_Delete(root);
	free(m.buf);
}

/* Several events: JSON Lines, one object per line. */
static void test_json_lines(void **state)
{
	struct report r;
	struct mem m;
	struct jobj j;
	char *line, *save = NULL;
	int n = 0;

	(void)state;
	mem_open(&r, &m, true);
	for (int i = 0; i < 5; i++) {
		report_begin(&r, &j, i % 2 ? "started" : "result");
		juint(&j, "i", (uint64_t)i);
		jstr(&j, "peer", "[::1]:8333");
		report_end(&j);
	}
	/* an empty object body is fine too */
	report_begin(&r, &j, "summary");
	report_end(&j);
	mem_close(&r, &m);
	for (line = strtok_r(m.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *root = cJSON_Parse(line);
		if (!root)
			fail_msg("line %d does not parse: %s", n, line);
		assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "event")));
		cJSON_Delete(root);
		n++;
	}
	assert_int_equal(n, 6);
	free(m.buf);
}

/* report_sanitized: printable ASCII but '"' and '\' as is, all else \xNN. */
static void test_sanitized(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char all[256];
	size_t off = 0;

	(void)state;
	assert_non_null(f);
	for (unsigned b = 0; b < 256; b++)
		all[b] = (char)b;
	report_sanitized(f, all, sizeof(all));
	fclose(f);
	for (unsigned b = 0; b < 256; b++) {
		if (b < 0x20 || b >= 0x7f || b == '"' || b == '\\') {
			char want[5];
			snprintf(want, sizeof(want), "\\x%02x", b);
			if (strncmp(buf + off, want, 4) != 0)
				fail_msg("byte %02x: got '%.4s', want '%s'", b, buf + off, want);
			off += 4;
		} else {
			assert_int_equal((unsigned char)buf[off], b);
			off++;
		}
	}
	assert_int_equal(off, len);
	free(buf);

	/* nothing for nothing; a length, not a NUL, ends it */
	buf = NULL;
	f = open_memstream(&buf, &len);
	report_sanitized(f, "abc", 0);
	report_sanitized(f, "a\0b", 3);
	fclose(f);
	assert_string_equal(buf, "a\\x00b");
	free(buf);
}

static void test_counts(void **state)
{
	struct report r;

	(void)state;
	report_init(&r, false, false, false);
	assert_ptr_equal(r.out, stdout);
	assert_int_equal(r.done + r.success + r.partial + r.failed, 0);
	report_count(&r, PS_SUCCESS);
	report_count(&r, PS_SUCCESS);
	report_count(&r, PS_PARTIAL);
	report_count(&r, PS_FAILED);
	report_count(&r, PS_PENDING);	       /* anything else is a failure */
	report_count(&r, (enum ps_outcome)99); /* even what is no outcome */
	assert_int_equal(r.done, 6);
	assert_int_equal(r.success, 2);
	assert_int_equal(r.partial, 1);
	assert_int_equal(r.failed, 3);
	assert_int_equal(r.total, 0); /* the caller's to keep */
}

static void test_text(void **state)
{
	struct report r;
	struct mem m;

	(void)state;
	mem_open(&r, &m, false);
	report_text(&r, "%-8s %s", "STARTED", "1.2.3.4:8333");
	fprintf(report_line(&r), "free form %d\n", 7);
	report_text(&r, "%s", "");
	mem_close(&r, &m);
	assert_string_equal(m.buf, "STARTED  1.2.3.4:8333\nfree form 7\n\n");
	free(m.buf);
}

static void test_init_and_clock(void **state)
{
	struct report r;

	(void)state;
	/* JSON never draws progress; nor without a terminal or when not asked */
	report_init(&r, true, true, true);
	assert_true(r.json);
	assert_true(r.verbose);
	assert_false(r.progress);
	report_init(&r, false, false, false);
	assert_false(r.progress);
	assert_false(r.progress_shown);
	assert_true(r.start_ns > 0);
	assert_true(report_ms(&r) < 60000);
	r.start_ns -= 1500 * UINT64_C(1000000);
	assert_true(report_ms(&r) >= 1500);
}

/* The progress line: drawn on stderr when asked for (the test forces it
 * on, as on a terminal), rate-limited, cleared before any other output. */
static void test_progress(void **state)
{
	struct report r;
	struct mem m;
	struct jobj j;
	FILE *tmp = tmpfile();
	char err[1024];
	size_t n;
	int saved;

	(void)state;
	assert_non_null(tmp);
	mem_open(&r, &m, false);
	r.progress = true;
	r.total = 3;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);

	report_progress(&r); /* drawn */
	assert_true(r.progress_shown);
	report_count(&r, PS_SUCCESS);
	report_progress(&r);		 /* too soon after the last: not drawn */
	report_text(&r, "%s", "a line"); /* clears it first */
	assert_false(r.progress_shown);
	report_count(&r, PS_FAILED);
	report_count(&r, PS_PARTIAL);
	report_progress(&r);	   /* all done: drawn whatever the time */
	report_begin(&r, &j, "x"); /* clears it too */
	report_end(&j);
	r.total = 1;
	report_progress(&r); /* a single peer: never drawn */

	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(err, 1, sizeof(err) - 1, tmp);
	err[n] = 0;
	fclose(tmp);
	mem_close(&r, &m);

	assert_string_equal(err, "\r\033[K[0/3 done] success 0, partial 0, failed 0"
				 "\r\033[K"
				 "\r\033[K[3/3 done] success 1, partial 1, failed 1"
				 "\r\033[K");
	free(m.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escaping_each_byte),
		cmocka_unit_test(test_json_escaping_all_at_once),
		cmocka_unit_test(test_json_escape_text),
		cmocka_unit_test(test_json_object),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_sanitized),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_init_and_clock),
		cmocka_unit_test(test_progress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
