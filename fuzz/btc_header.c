/*
 * btc_header - the 24-byte Bitcoin message header: btc_header_decode,
 * btc_header_encode (round trip), btc_header_check against the magics of
 * every network and one from the input, btc_command_valid against a
 * reference written from Core's IsMessageTypeValid, btc_cmd_from_bytes /
 * btc_cmd_name / btc_command_set, and btc_network_find on the rest.
 *
 * Input: header (24) | magic (4) | network name (rest, NUL-terminated here).
 */
#include "fuzz.h"

#include "btc/params.h"
#include "btc/v1.h"
#include "btc/wire.h"

/* Core: printable up to the first NUL, only NULs after it. */
static bool command_valid_ref(const uint8_t *c)
{
	size_t i = 0;

	while (i < BTC_COMMAND_LEN && c[i] >= 0x20 && c[i] <= 0x7e)
		i++;
	for (; i < BTC_COMMAND_LEN; i++)
		if (c[i] != 0)
			return false;
	return true;
}

static void check_against(const struct btc_header *h, const uint8_t magic[4])
{
	int r = btc_header_check(h, magic);
	int want = PS_OK;

	if (memcmp(h->magic, magic, 4) != 0)
		want = PS_ERR_BAD_MAGIC;
	else if (h->length > BTC_MAX_PAYLOAD)
		want = PS_ERR_TOO_LARGE;
	else if (!command_valid_ref(h->command))
		want = PS_ERR_BAD_COMMAND;
	FUZZ_ASSERT(r == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btc_header h, before;
	uint8_t buf[BTC_HEADER_LEN + 1], cmd[BTC_COMMAND_LEN];
	struct ps_wcur w;
	enum btc_cmd c;
	char name[64];
	size_t n;
	int r;

	memset(&h, 0xa5, sizeof(h));
	memcpy(&before, &h, sizeof(before));
	r = btc_header_decode(&h, data, size);
	if (size < BTC_HEADER_LEN) {
		FUZZ_ASSERT(r == PS_ERR_NEED_MORE);
		FUZZ_ASSERT(memcmp(&h, &before, sizeof(h)) == 0);
		return 0;
	}
	FUZZ_ASSERT(r == PS_OK);
	FUZZ_ASSERT(h.length == ps_load_u32le(data + 16));

	/* round trip: the header is a fixed layout, every byte is canonical */
	w = ps_wcur_make(buf, sizeof(buf));
	FUZZ_ASSERT(btc_header_encode(&w, &h) == PS_OK);
	FUZZ_ASSERT(w.p == buf + BTC_HEADER_LEN);
	FUZZ_ASSERT(memcmp(buf, data, BTC_HEADER_LEN) == 0);
	/* a buffer one byte short: refused, cursor unchanged */
	w = ps_wcur_make(buf, BTC_HEADER_LEN - 1);
	FUZZ_ASSERT(btc_header_encode(&w, &h) == PS_ERR_NOBUF && w.p == buf);

	FUZZ_ASSERT(btc_command_valid(h.command) == command_valid_ref(h.command));
	for (size_t i = 0; i < btc_network_count; i++)
		check_against(&h, btc_networks[i].magic);
	check_against(&h, h.magic);
	if (size >= BTC_HEADER_LEN + 4)
		check_against(&h, data + BTC_HEADER_LEN);

	/* a known command is the exact NUL-padded name, and valid */
	c = btc_cmd_from_bytes(h.command);
	FUZZ_ASSERT(c >= BTC_CMD_UNKNOWN && c < BTC_CMD_COUNT_);
	if (c != BTC_CMD_UNKNOWN) {
		FUZZ_ASSERT(btc_command_valid(h.command));
		FUZZ_ASSERT(btc_command_set(cmd, btc_cmd_name(c)) == PS_OK);
		FUZZ_ASSERT(memcmp(cmd, h.command, BTC_COMMAND_LEN) == 0);
	} else {
		FUZZ_ASSERT(btc_cmd_name(c)[0] == 0);
	}

	/* the command bytes as a C string: set pads or refuses */
	n = strnlen((const char *)h.command, BTC_COMMAND_LEN);
	memcpy(name, h.command, n);
	name[n] = 0;
	FUZZ_ASSERT(btc_command_set(cmd, name) == PS_OK);
	FUZZ_ASSERT(memcmp(cmd, h.command, n) == 0);
	for (size_t i = n; i < BTC_COMMAND_LEN; i++)
		FUZZ_ASSERT(cmd[i] == 0);

	/* the network table lookup on the rest */
	if (size > BTC_HEADER_LEN + 4) {
		const struct btc_network *net;
		n = size - BTC_HEADER_LEN - 4;
		if (n > sizeof(name) - 1)
			n = sizeof(name) - 1;
		memcpy(name, data + BTC_HEADER_LEN + 4, n);
		name[n] = 0;
		r = btc_command_set(cmd, name);
		FUZZ_ASSERT(r == (strlen(name) > BTC_COMMAND_LEN ? PS_ERR_INVALID_ARG : PS_OK));
		net = btc_network_find(name);
		if (net)
			FUZZ_ASSERT(net >= btc_networks && net < btc_networks + btc_network_count);
	}
	return 0;
}
