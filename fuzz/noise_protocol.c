/*
 * noise_protocol - the protocol-name parser (noise_protocol_parse:
 * "Noise_" + pattern + "_" + DH + "_" + cipher + "_" + hash, section 8) and
 * the pattern-section parser behind it (noise_pattern_parse: a base
 * pattern, psk modifiers, section 9.4).
 *
 * A good name must be kept exactly, round-trip through the parser, and give
 * a pattern that makes sense: 1..4 messages, tokens known, psk tokens
 * counted, pre-messages of e and s only, psk modifiers in ascending order.
 * A failed parse writes nothing.
 *
 * Input: the name (bytes, up to 300).
 */
#include "fuzz.h"

#include "noise/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct noise_protocol p, before, again;
	static struct noise_pattern pat, pat_before;
	char name[320];
	size_t len = size < sizeof(name) - 1 ? size : sizeof(name) - 1, psks = 0;
	int r;

	fuzz_crypto_init();
	memcpy(name, data, len);
	name[len] = 0;

	/* the pattern section alone */
	memset(&pat, 0x11, sizeof(pat));
	memcpy(&pat_before, &pat, sizeof(pat));
	r = noise_pattern_parse(&pat, name, len);
	if (r != PS_OK) {
		FUZZ_ASSERT(r == PS_ERR_MALFORMED || r == PS_ERR_UNSUPPORTED);
		FUZZ_ASSERT(memcmp(&pat, &pat_before, sizeof(pat)) == 0);
	}

	memset(&p, 0x22, sizeof(p));
	memcpy(&before, &p, sizeof(p));
	r = noise_protocol_parse(&p, name, len);
	if (r != PS_OK) {
		FUZZ_ASSERT(r == PS_ERR_MALFORMED || r == PS_ERR_UNSUPPORTED ||
			    r == PS_ERR_TOO_LARGE);
		FUZZ_ASSERT(r != PS_ERR_TOO_LARGE || len > NOISE_MAX_NAME);
		FUZZ_ASSERT(memcmp(&p, &before, sizeof(p)) == 0);
		return 0;
	}
	FUZZ_ASSERT(len <= NOISE_MAX_NAME && p.name_len == len);
	FUZZ_ASSERT(memcmp(p.name, name, len) == 0 && p.name[len] == 0);
	FUZZ_ASSERT(strlen(name) == len && strncmp(name, "Noise_", 6) == 0);
	FUZZ_ASSERT(p.pattern.n_msgs >= 1 && p.pattern.n_msgs <= NOISE_MAX_MESSAGES);
	FUZZ_ASSERT(p.pattern.one_way == (p.pattern.n_msgs == 1));
	FUZZ_ASSERT(p.pattern.n_pre_i <= 2 && p.pattern.n_pre_r <= 2);
	for (size_t i = 0; i < p.pattern.n_pre_i; i++)
		FUZZ_ASSERT(p.pattern.pre_i[i] == NOISE_TOK_E || p.pattern.pre_i[i] == NOISE_TOK_S);
	for (size_t i = 0; i < p.pattern.n_pre_r; i++)
		FUZZ_ASSERT(p.pattern.pre_r[i] == NOISE_TOK_E || p.pattern.pre_r[i] == NOISE_TOK_S);
	for (size_t m = 0; m < p.pattern.n_msgs; m++) {
		FUZZ_ASSERT(p.pattern.msg[m].n <= NOISE_MAX_TOKENS);
		for (size_t t = 0; t < p.pattern.msg[m].n; t++) {
			uint8_t tok = p.pattern.msg[m].tok[t];
			FUZZ_ASSERT(tok >= NOISE_TOK_E && tok <= NOISE_TOK_PSK);
			psks += tok == NOISE_TOK_PSK;
		}
	}
	FUZZ_ASSERT(psks == p.pattern.n_psks && psks <= NOISE_MAX_PSKS);

	/* the same name parses the same way */
	FUZZ_ASSERT(noise_protocol_parse(&again, p.name, p.name_len) == PS_OK);
	FUZZ_ASSERT(memcmp(&again.pattern, &p.pattern, sizeof(p.pattern)) == 0);
	FUZZ_ASSERT(again.cipher == p.cipher && again.hash == p.hash);
	FUZZ_ASSERT(memcmp(again.h0, p.h0, cry_hash_len(p.hash)) == 0);
	/* its pattern section alone parses to the same pattern */
	{
		const char *sec = name + 6, *end = strchr(sec, '_');
		FUZZ_ASSERT(end != NULL);
		FUZZ_ASSERT(noise_pattern_parse(&pat, sec, (size_t)(end - sec)) == PS_OK);
		FUZZ_ASSERT(memcmp(&pat, &p.pattern, sizeof(pat)) == 0);
	}
	return 0;
}
