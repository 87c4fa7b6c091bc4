/*
 * btc_msg - btc_msg_decode, the whole-message decoder (header, Core's
 * header checks, checksum, payload), over a buffer of messages one after
 * another, and btc_msg_encode for the round trip.
 *
 * Assist bits, as Bitcoin Core's p2p_transport_serialization has them: the
 * first byte of the input may ask the harness to write the right magic, the
 * real checksum and/or the true payload length into each header before the
 * decoder sees it, so the fuzzer gets past all three to the payload
 * decoders. Without them the rejections are exercised.
 *
 * Input: flags (1) | messages (24-byte header + payload)...
 *   flags bit 0: magic assist; bits 1-3: network; bit 4: checksum assist;
 *   bit 5: length assist (the length becomes what the next length byte of
 *   the input says, capped to what is left).
 */
#include "fuzz.h"

#include "btc/params.h"
#include "btc/v1.h"
#include "btc/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags, *buf, *p;
	const uint8_t *magic;
	static uint8_t enc[BTC_HEADER_LEN + 8192];
	size_t n;

	if (size < 1)
		return 0;
	flags = data[0];
	magic = btc_networks[((flags >> 1) & 7) % btc_network_count].magic;
	n = size - 1;
	buf = malloc(n ? n : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, n);

	for (p = buf; (size_t)(p - buf) < n;) {
		size_t left = n - (size_t)(p - buf), used = 99;
		struct btc_msg m, before;
		struct ps_wcur w;
		int r;

		if (left >= BTC_HEADER_LEN) {
			if (flags & 1)
				memcpy(p, magic, 4);
			if (flags & 0x20) {
				/* the low byte of the declared length as the length */
				uint32_t len = p[16];
				if (len > left - BTC_HEADER_LEN)
					len = (uint32_t)(left - BTC_HEADER_LEN);
				ps_store_u32le(p + 16, len);
			}
			if (flags & 0x10) {
				uint32_t len = ps_load_u32le(p + 16);
				if (len <= left - BTC_HEADER_LEN)
					btc_checksum(p + 20, p + BTC_HEADER_LEN, len);
			}
		}
		memset(&m, 0x3c, sizeof(m));
		memcpy(&before, &m, sizeof(before));
		r = btc_msg_decode(&m, &used, magic, p, left);
		if (r == PS_ERR_BAD_CHECKSUM || r == PS_ERR_BAD_COMMAND) {
			/* Core drops the message and reads on */
			FUZZ_ASSERT(used >= BTC_HEADER_LEN && used <= left);
			FUZZ_ASSERT(memcmp(&m, &before, sizeof(m)) == 0);
			p += used;
			continue;
		}
		if (r != PS_OK) {
			FUZZ_ASSERT(used == 0);
			FUZZ_ASSERT(memcmp(&m, &before, sizeof(m)) == 0);
			FUZZ_ASSERT(r != PS_ERR_NEED_MORE || left < BTC_HEADER_LEN ||
				    ps_load_u32le(p + 16) > left - BTC_HEADER_LEN);
			break;
		}
		FUZZ_ASSERT(used == BTC_HEADER_LEN + ps_load_u32le(p + 16) && used <= left);
		FUZZ_ASSERT(memcmp(p, magic, 4) == 0 && btc_command_valid(p + 4));
		FUZZ_ASSERT(m.payload == p + BTC_HEADER_LEN &&
			    m.payload_len == used - BTC_HEADER_LEN);

		/* round trip, where the format is canonical (not a version
		 * with bytes after its relay flag) and the message carries
		 * what it decoded: an addr/addrv2 keeps only its tally
		 * (btc_msg.u.addr: the entries stay in the payload, read with
		 * btc_addr_each; fuzz/btc_addr checks those and their
		 * encoding, where skipped networks and trailing bytes make it
		 * no round trip either) */
		bool canonical = !(m.cmd == BTC_CMD_VERSION && m.u.version.trailing) &&
				 m.cmd != BTC_CMD_ADDR && m.cmd != BTC_CMD_ADDRV2;
		if (canonical && used <= sizeof(enc)) {
			w = ps_wcur_make(enc, sizeof(enc));
			FUZZ_ASSERT(btc_msg_encode(&w, magic, &m) == PS_OK);
			FUZZ_ASSERT((size_t)(w.p - enc) == used);
			FUZZ_ASSERT(memcmp(enc, p, used) == 0);
			/* one byte short: refused, cursor unchanged */
			w = ps_wcur_make(enc, used - 1);
			FUZZ_ASSERT(btc_msg_encode(&w, magic, &m) == PS_ERR_NOBUF && w.p == enc);
		}
		p += used;
	}
	free(buf);
	return 0;
}
