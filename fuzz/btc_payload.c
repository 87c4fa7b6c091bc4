/*
 * btc_payload - every message decoder: btc_payload_decode for version,
 * verack, wtxidrelay, sendaddrv2, sendtxrcncl, sendcmpct, ping, pong,
 * feefilter, sendheaders, getaddr, reject, addr, addrv2 and unknown
 * commands. (addr and addrv2 decode to a checked view; their entries and
 * re-encoding are fuzz/btc_addr's.)
 *
 * What decodes must re-encode (btc_payload_encode) to the same bytes: every
 * one of these formats is canonical, with one exception Core makes itself,
 * the bytes after a version's relay flag (ignored, counted in trailing).
 * A failed decode writes nothing. Views point inside the payload.
 *
 * Input: command selector (1) | [12 command bytes, for unknown] | payload.
 */
#include "fuzz.h"

#include "btc/params.h"
#include "btc/wire.h"

static bool inside(const uint8_t *p, size_t n, const uint8_t *pl, size_t len)
{
	return n == 0 || (p >= pl && n <= len && (size_t)(p - pl) <= len - n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdp f = fdp_make(data, size);
	enum btc_cmd cmd = (enum btc_cmd)fdp_below(&f, BTC_CMD_COUNT_);
	uint8_t command[BTC_COMMAND_LEN];
	static uint8_t out[8192];
	const uint8_t *payload;
	struct btc_msg m, before;
	struct ps_wcur w;
	size_t len, expect;
	int r;

	if (cmd == BTC_CMD_UNKNOWN)
		fdp_bytes(&f, command, sizeof(command));
	else if (btc_command_set(command, btc_cmd_name(cmd)) != PS_OK)
		abort();
	payload = fdp_rest(&f, &len);

	memset(&m, 0x5a, sizeof(m));
	memcpy(&before, &m, sizeof(before));
	r = btc_payload_decode(&m, cmd, command, payload, len);
	if (r != PS_OK) {
		FUZZ_ASSERT(r == PS_ERR_MALFORMED || r == PS_ERR_NONCANONICAL ||
			    r == PS_ERR_TOO_LARGE || r == PS_ERR_TRAILING);
		FUZZ_ASSERT(memcmp(&m, &before, sizeof(m)) == 0);
		return 0;
	}
	FUZZ_ASSERT(m.cmd == cmd && memcmp(m.command, command, BTC_COMMAND_LEN) == 0);
	FUZZ_ASSERT(m.payload == payload && m.payload_len == len);
	if (cmd == BTC_CMD_UNKNOWN)
		return 0;

	expect = len;
	switch (cmd) {
	case BTC_CMD_VERSION: {
		const struct btc_version *v = &m.u.version;
		FUZZ_ASSERT(v->user_agent_len <= BTC_MAX_SUBVERSION);
		FUZZ_ASSERT(inside(v->user_agent, v->user_agent_len, payload, len));
		FUZZ_ASSERT(v->trailing <= len);
		FUZZ_ASSERT(v->trailing == 0 || (v->present & BTC_VERSION_HAS_RELAY));
		/* each group present only after the one before it */
		FUZZ_ASSERT(!(v->present & BTC_VERSION_HAS_RELAY) ||
			    (v->present & BTC_VERSION_HAS_HEIGHT));
		FUZZ_ASSERT(!(v->present & BTC_VERSION_HAS_HEIGHT) ||
			    (v->present & BTC_VERSION_HAS_USER_AGENT));
		FUZZ_ASSERT(!(v->present & BTC_VERSION_HAS_USER_AGENT) ||
			    (v->present & BTC_VERSION_HAS_FROM_NONCE));
		expect = len - v->trailing;
		break;
	}
	case BTC_CMD_REJECT: {
		const struct btc_reject *rj = &m.u.reject;
		FUZZ_ASSERT(rj->message_len <= BTC_COMMAND_LEN && rj->reason_len <= 111);
		FUZZ_ASSERT(inside(rj->message, rj->message_len, payload, len));
		FUZZ_ASSERT(inside(rj->reason, rj->reason_len, payload, len));
		FUZZ_ASSERT(rj->data_len == 0 || rj->data_len == 32);
		FUZZ_ASSERT(inside(rj->data, rj->data_len, payload, len));
		break;
	}
	case BTC_CMD_PING:
		FUZZ_ASSERT(m.u.ping.has_nonce == (len == 8));
		break;
	case BTC_CMD_ADDR:
	case BTC_CMD_ADDRV2:
		FUZZ_ASSERT(m.u.addr.entries == NULL && m.u.addr.n == 0);
		FUZZ_ASSERT(m.u.addr.info.count <= BTC_MAX_ADDR_TO_SEND &&
			    m.u.addr.info.skipped <= m.u.addr.info.count &&
			    m.u.addr.info.trailing <= len);
		return 0;
	default:
		break;
	}

	w = ps_wcur_make(out, sizeof(out));
	FUZZ_ASSERT(btc_payload_encode(&w, &m) == PS_OK);
	FUZZ_ASSERT((size_t)(w.p - out) == expect);
	FUZZ_ASSERT(memcmp(out, payload, expect) == 0);

	/* every shorter buffer: refused, cursor unchanged */
	if (expect > 0) {
		size_t cap = expect - 1 - fdp_below(&f, expect);
		w = ps_wcur_make(out, cap);
		FUZZ_ASSERT(btc_payload_encode(&w, &m) == PS_ERR_NOBUF && w.p == out);
	}
	return 0;
}
