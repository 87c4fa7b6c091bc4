/*
 * test_err.c - ref/core/err: every code has its own name and its own text.
 *
 * The list below is every code of err.h when this test was written; a scan
 * of -255..255 also checks every code the table knows, including later ones.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "testutil.h"

static const int all_codes[] = {
	PS_OK,
	PS_ERR_NEED_MORE,
	PS_ERR_MALFORMED,
	PS_ERR_TOO_LARGE,
	PS_ERR_BAD_MAGIC,
	PS_ERR_BAD_CHECKSUM,
	PS_ERR_BAD_COMMAND,
	PS_ERR_NONCANONICAL,
	PS_ERR_TRAILING,
	PS_ERR_NOBUF,
	PS_ERR_INVALID_ARG,
	PS_ERR_INVALID_STATE,
	PS_ERR_UNSUPPORTED,
	PS_ERR_NOMEM,
	PS_ERR_OBSOLETE_VERSION,
	PS_ERR_SELF_CONNECT,
	PS_ERR_PROTOCOL,
	PS_ERR_TIMEOUT,
	PS_ERR_CLOSED,
	PS_ERR_MISSING_SERVICES,
	PS_ERR_DECRYPT,
	PS_ERR_DH,
	PS_ERR_NONCE_EXHAUSTED,
	PS_ERR_CRYPTO,
	PS_ERR_BAD_SIZE,
	PS_ERR_SYSTEM,
	PS_ERR_REFUSED,
	PS_ERR_UNREACHABLE,
	PS_ERR_DNS,
	PS_ERR_DNS_EMPTY,
	PS_ERR_NO_LOCAL_PORT,
	PS_ERR_FAMILY,
	PS_ERR_EVICTED,
	PS_ERR_STOPPED,
	PS_ERR_PROXY_GENERAL,
	PS_ERR_PROXY_NOT_ALLOWED,
	PS_ERR_PROXY_NET_UNREACH,
	PS_ERR_PROXY_HOST_UNREACH,
	PS_ERR_PROXY_REFUSED,
	PS_ERR_PROXY_TTL_EXPIRED,
	PS_ERR_PROXY_CMD_UNSUPPORTED,
	PS_ERR_PROXY_ATYP_UNSUPPORTED,
	PS_ERR_PROXY_UNASSIGNED,
	PS_ERR_PROXY_ONION_NOT_FOUND,
	PS_ERR_PROXY_ONION_INVALID,
	PS_ERR_PROXY_ONION_INTRO_FAILED,
	PS_ERR_PROXY_ONION_REND_FAILED,
	PS_ERR_PROXY_ONION_AUTH_MISSING,
	PS_ERR_PROXY_ONION_AUTH_WRONG,
	PS_ERR_PROXY_ONION_BAD_ADDRESS,
	PS_ERR_PROXY_ONION_INTRO_TIMEOUT,
	PS_ERR_PROXY_NO_METHOD,
	PS_ERR_PROXY_AUTH,
	PS_ERR_PROXY_CLOSED,
	PS_ERR_PROXY_BAD_REPLY,
	PS_ERR_PROXY_TIMEOUT,
	PS_ERR_PROXY_UNAVAILABLE,
};
#define NCODES (sizeof(all_codes) / sizeof(all_codes[0]))

static void test_codes_are_distinct_and_nonpositive(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCODES; i++) {
		assert_true(all_codes[i] <= 0);
		for (size_t j = i + 1; j < NCODES; j++)
			assert_int_not_equal(all_codes[i], all_codes[j]);
	}
}

static void test_every_code_has_a_distinct_name_and_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCODES; i++) {
		const char *name = ps_errname(all_codes[i]);
		const char *text = ps_strerror(all_codes[i]);

		assert_non_null(name);
		assert_non_null(text);
		assert_string_not_equal(name, "unknown-error");
		assert_string_not_equal(text, "unknown error");
		assert_true(strlen(name) > 0);
		assert_true(strlen(text) > 0);
		for (size_t j = i + 1; j < NCODES; j++) {
			if (strcmp(name, ps_errname(all_codes[j])) == 0)
				fail_msg("codes %d and %d share the name %s", all_codes[i],
					 all_codes[j], name);
			if (strcmp(text, ps_strerror(all_codes[j])) == 0)
				fail_msg("codes %d and %d share the text \"%s\"", all_codes[i],
					 all_codes[j], text);
		}
	}
}

/* Names are tokens for JSON output: lower-case letters, digits and '-'. */
static void test_names_are_tokens(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCODES; i++) {
		const char *name = ps_errname(all_codes[i]);
		for (const char *p = name; *p; p++)
			if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
			      *p == '-'))
				fail_msg("name \"%s\" of code %d is not a token", name,
					 all_codes[i]);
		assert_true(name[0] != '-');
		/* one line of text, no newline */
		assert_null(strchr(ps_strerror(all_codes[i]), '\n'));
	}
}

static void test_some_names_are_stable(void **state)
{
	(void)state;
	/* these strings appear in JSON output and in the brief */
	assert_string_equal(ps_errname(PS_OK), "ok");
	assert_string_equal(ps_errname(PS_ERR_NEED_MORE), "need-more");
	assert_string_equal(ps_errname(PS_ERR_BAD_MAGIC), "bad-magic");
	assert_string_equal(ps_errname(PS_ERR_BAD_CHECKSUM), "bad-checksum");
	assert_string_equal(ps_errname(PS_ERR_TOO_LARGE), "too-large");
	assert_string_equal(ps_errname(PS_ERR_OBSOLETE_VERSION), "obsolete-version");
	assert_string_equal(ps_errname(PS_ERR_SELF_CONNECT), "self-connect");
	assert_string_equal(ps_errname(PS_ERR_TIMEOUT), "timeout");
}

static void test_unknown_codes(void **state)
{
	(void)state;
	const int unknown[] = { 1, 42, 256, -256, -1000, -2147483647 - 1, 2147483647 };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_string_equal(ps_errname(unknown[i]), "unknown-error");
		assert_string_equal(ps_strerror(unknown[i]), "unknown error");
	}
}

/* Every code the table knows (found by scanning the whole range, so codes
 * added after this test was written count too) has its own name and text. */
static void test_scan_distinct(void **state)
{
	int known[512];
	size_t n = 0;

	(void)state;
	for (int c = -255; c <= 255; c++)
		if (strcmp(ps_errname(c), "unknown-error") != 0)
			known[n++] = c;
	assert_true(n >= NCODES);
	for (size_t i = 0; i < n; i++) {
		assert_true(known[i] <= 0);
		assert_string_not_equal(ps_strerror(known[i]), "unknown error");
		for (size_t j = i + 1; j < n; j++) {
			if (strcmp(ps_errname(known[i]), ps_errname(known[j])) == 0)
				fail_msg("codes %d and %d share a name", known[i], known[j]);
			if (strcmp(ps_strerror(known[i]), ps_strerror(known[j])) == 0)
				fail_msg("codes %d and %d share a text", known[i], known[j]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes_are_distinct_and_nonpositive),
		cmocka_unit_test(test_every_code_has_a_distinct_name_and_text),
		cmocka_unit_test(test_names_are_tokens),
		cmocka_unit_test(test_some_names_are_stable),
		cmocka_unit_test(test_unknown_codes),
		cmocka_unit_test(test_scan_distinct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
