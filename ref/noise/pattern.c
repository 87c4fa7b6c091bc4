#include "noise/pattern.h"

#include <string.h>

/* Each pattern as the specification prints it: pre-messages, then the
 * messages, alternating -> (initiator) and <- (responder). */
struct base_pattern {
	const char *name;
	const char *pre_i;
	const char *pre_r;
	const char *msgs[NOISE_MAX_MESSAGES];
};

static const struct base_pattern base_patterns[] = {
	/* 7.4 one-way */
	{ "N", "", "s", { "e, es" } },
	{ "K", "s", "s", { "e, es, ss" } },
	{ "X", "", "s", { "e, es, s, ss" } },
	/* 7.5 fundamental interactive */
	{ "NN", "", "", { "e", "e, ee" } },
	{ "NK", "", "s", { "e, es", "e, ee" } },
	{ "NX", "", "", { "e", "e, ee, s, es" } },
	{ "KN", "s", "", { "e", "e, ee, se" } },
	{ "KK", "s", "s", { "e, es, ss", "e, ee, se" } },
	{ "KX", "s", "", { "e", "e, ee, se, s, es" } },
	{ "XN", "", "", { "e", "e, ee", "s, se" } },
	{ "XK", "", "s", { "e, es", "e, ee", "s, se" } },
	{ "XX", "", "", { "e", "e, ee, s, es", "s, se" } },
	{ "IN", "", "", { "e, s", "e, ee, se" } },
	{ "IK", "", "s", { "e, es, s, ss", "e, ee, se" } },
	{ "IX", "", "", { "e, s", "e, ee, se, s, es" } },
	/* 18.1 deferred */
	{ "NK1", "", "s", { "e", "e, ee, es" } },
	{ "NX1", "", "", { "e", "e, ee, s", "es" } },
	{ "X1N", "", "", { "e", "e, ee", "s", "se" } },
	{ "X1K", "", "s", { "e, es", "e, ee", "s", "se" } },
	{ "XK1", "", "s", { "e", "e, ee, es", "s, se" } },
	{ "X1K1", "", "s", { "e", "e, ee, es", "s", "se" } },
	{ "X1X", "", "", { "e", "e, ee, s, es", "s", "se" } },
	{ "XX1", "", "", { "e", "e, ee, s", "es, s, se" } },
	{ "X1X1", "", "", { "e", "e, ee, s", "es, s", "se" } },
	{ "K1N", "s", "", { "e", "e, ee", "se" } },
	{ "K1K", "s", "s", { "e, es", "e, ee", "se" } },
	{ "KK1", "s", "s", { "e", "e, ee, se, es" } },
	{ "K1K1", "s", "s", { "e", "e, ee, es", "se" } },
	{ "K1X", "s", "", { "e", "e, ee, s, es", "se" } },
	{ "KX1", "s", "", { "e", "e, ee, se, s", "es" } },
	{ "K1X1", "s", "", { "e", "e, ee, s", "se, es" } },
	{ "I1N", "", "", { "e, s", "e, ee", "se" } },
	{ "I1K", "", "s", { "e, es, s", "e, ee", "se" } },
	{ "IK1", "", "s", { "e, s", "e, ee, se, es" } },
	{ "I1K1", "", "s", { "e, s", "e, ee, es", "se" } },
	{ "I1X", "", "", { "e, s", "e, ee, s, es", "se" } },
	{ "IX1", "", "", { "e, s", "e, ee, se, s", "es" } },
	{ "I1X1", "", "", { "e, s", "e, ee, s", "se, es" } },
};

#define N_BASE (sizeof(base_patterns) / sizeof(base_patterns[0]))

size_t noise_pattern_count(void)
{
	return N_BASE;
}

const char *noise_pattern_name(size_t i)
{
	return i < N_BASE ? base_patterns[i].name : NULL;
}

/* (s, len) is the NUL-terminated name want. Names are public: no need for
 * a constant-time compare. */
static bool name_is(const char *s, size_t len, const char *want)
{
	return strlen(want) == len && strncmp(s, want, len) == 0;
}

static uint8_t token_of(const char *t, size_t len)
{
	static const struct {
		const char *name;
		uint8_t tok;
	} names[] = { { "e", NOISE_TOK_E },    { "s", NOISE_TOK_S },   { "ee", NOISE_TOK_EE },
		      { "es", NOISE_TOK_ES },  { "se", NOISE_TOK_SE }, { "ss", NOISE_TOK_SS },
		      { "psk", NOISE_TOK_PSK } };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (name_is(t, len, names[i].name))
			return names[i].tok;
	return 0;
}

/* "e, ee, s, es" -> tokens. The tables are ours, so a bad entry is a bug the
 * unit tests catch (every base pattern is parsed there). */
static int tokens_of(uint8_t *tok, uint8_t *n, size_t cap, const char *text)
{
	const char *p = text;

	*n = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		uint8_t t = token_of(p, len);

		if (!t || *n == cap)
			return PS_ERR_MALFORMED;
		tok[(*n)++] = t;
		p += len;
		if (*p == ',')
			p++;
		while (*p == ' ')
			p++;
	}
	return PS_OK;
}

static int base_pattern_load(struct noise_pattern *p, const struct base_pattern *b)
{
	int r;

	memset(p, 0, sizeof(*p));
	if ((r = tokens_of(p->pre_i, &p->n_pre_i, sizeof(p->pre_i), b->pre_i)) != PS_OK)
		return r;
	if ((r = tokens_of(p->pre_r, &p->n_pre_r, sizeof(p->pre_r), b->pre_r)) != PS_OK)
		return r;
	for (size_t i = 0; i < NOISE_MAX_MESSAGES && b->msgs[i]; i++) {
		struct noise_message_pattern *m = &p->msg[p->n_msgs++];
		if ((r = tokens_of(m->tok, &m->n, NOISE_MAX_TOKENS, b->msgs[i])) != PS_OK)
			return r;
	}
	p->one_way = p->n_msgs == 1;
	return PS_OK;
}

static bool is_upper_or_digit(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Section 9.4: psk0 puts "psk" at the start of the first message, pskN at
 * the end of message N. */
static int apply_psk(struct noise_pattern *p, unsigned n)
{
	struct noise_message_pattern *m;

	if (n > p->n_msgs)
		return PS_ERR_MALFORMED;
	m = &p->msg[n == 0 ? 0 : n - 1];
	if (m->n == NOISE_MAX_TOKENS)
		return PS_ERR_MALFORMED;
	if (n == 0) {
		memmove(m->tok + 1, m->tok, m->n);
		m->tok[0] = NOISE_TOK_PSK;
	} else {
		m->tok[m->n] = NOISE_TOK_PSK;
	}
	m->n++;
	p->n_psks++;
	return PS_OK;
}

int noise_pattern_parse(struct noise_pattern *out, const char *s, size_t len)
{
	struct noise_pattern p;
	const struct base_pattern *b = NULL;
	size_t base = 0, i;
	int last_psk = -1, r;

	/* Section 8.1: an upper-case base name, then modifiers, each lower-case
	 * alphanumeric beginning with a letter; the first is appended directly,
	 * the others follow a '+'. */
	while (base < len && is_upper_or_digit(s[base]))
		base++;
	if (base == 0 || !(s[0] >= 'A' && s[0] <= 'Z'))
		return PS_ERR_MALFORMED;
	for (i = base; i < len;) {
		if (i > base && s[i++] != '+')
			return PS_ERR_MALFORMED;
		if (i >= len || !(s[i] >= 'a' && s[i] <= 'z'))
			return PS_ERR_MALFORMED;
		while (i < len && is_lower_or_digit(s[i]))
			i++;
	}

	for (i = 0; i < N_BASE; i++)
		if (name_is(s, base, base_patterns[i].name))
			b = &base_patterns[i];
	if (!b)
		return PS_ERR_UNSUPPORTED;
	if ((r = base_pattern_load(&p, b)) != PS_OK)
		return r;

	for (i = base; i < len;) {
		size_t start = i == base ? i : i + 1, end = start;
		unsigned n = 0;

		while (end < len && s[end] != '+')
			end++;
		if (end - start >= 4 && end - start <= 5 && strncmp(s + start, "psk", 3) == 0) {
			for (size_t j = start + 3; j < end; j++) {
				if (s[j] < '0' || s[j] > '9')
					return PS_ERR_UNSUPPORTED;
				n = n * 10 + (unsigned)(s[j] - '0');
			}
			/* Modifiers whose order does not matter "are required to
			 * be sorted alphabetically": psk0+psk2, never psk2+psk0. */
			if ((int)n <= last_psk || (end - start == 5 && s[start + 3] == '0'))
				return PS_ERR_MALFORMED;
			if ((r = apply_psk(&p, n)) != PS_OK)
				return r;
			last_psk = (int)n;
		} else {
			return PS_ERR_UNSUPPORTED; /* fallback, hfs, ... */
		}
		i = end;
	}
	*out = p;
	return PS_OK;
}

static bool section_chars_ok(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return false;
	}
	return true;
}

int noise_protocol_parse(struct noise_protocol *out, const char *name, size_t len)
{
	static const char prefix[] = "Noise_";
	const char *sec[4];
	size_t seclen[4], n = 0, start;
	struct noise_protocol p;
	int r;

	if (len > NOISE_MAX_NAME)
		return PS_ERR_TOO_LARGE;
	if (len < sizeof(prefix) - 1 || strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return PS_ERR_MALFORMED;
	start = sizeof(prefix) - 1;
	for (size_t i = start; i <= len; i++) {
		if (i == len || name[i] == '_') {
			if (n == 4)
				return PS_ERR_MALFORMED;
			sec[n] = name + start;
			seclen[n] = i - start;
			if (!section_chars_ok(sec[n], seclen[n]))
				return PS_ERR_MALFORMED;
			n++;
			start = i + 1;
		}
	}
	if (n != 4)
		return PS_ERR_MALFORMED;

	memset(&p, 0, sizeof(p));
	if ((r = noise_pattern_parse(&p.pattern, sec[0], seclen[0])) != PS_OK)
		return r;

	if (!name_is(sec[1], seclen[1], "25519"))
		return PS_ERR_UNSUPPORTED;
	p.dh = NOISE_DH_25519;

	if (name_is(sec[2], seclen[2], "ChaChaPoly"))
		p.cipher = NOISE_CIPHER_CHACHAPOLY;
	else if (name_is(sec[2], seclen[2], "AESGCM") && cry_aead_available(CRY_AEAD_AESGCM))
		p.cipher = NOISE_CIPHER_AESGCM;
	else
		return PS_ERR_UNSUPPORTED;

	if (name_is(sec[3], seclen[3], "SHA256"))
		p.hash = CRY_HASH_SHA256;
	else if (name_is(sec[3], seclen[3], "SHA512"))
		p.hash = CRY_HASH_SHA512;
	else if (name_is(sec[3], seclen[3], "BLAKE2s"))
		p.hash = CRY_HASH_BLAKE2S;
	else if (name_is(sec[3], seclen[3], "BLAKE2b"))
		p.hash = CRY_HASH_BLAKE2B;
	else
		return PS_ERR_UNSUPPORTED;

	memcpy(p.name, name, len);
	p.name[len] = 0;
	p.name_len = len;
	noise_ss_initial_hash(p.h0, p.hash, (const uint8_t *)name, len);
	*out = p;
	return PS_OK;
}
