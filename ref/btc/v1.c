#include "btc/v1.h"

#include <string.h>

#include "btc/params.h"
#include "btc/transport.h"

/* ---- the rules, each once ---- */

/* The two that end the connection, as soon as the 24 header bytes are in. */
static int header_fatal(const struct btc_header *h, const uint8_t magic[4], const char **note)
{
	/* net.cpp: "Header error: Wrong MessageStart ... disconnecting" */
	if (memcmp(h->magic, magic, 4) != 0) {
		*note = "wrong network magic";
		return PS_ERR_BAD_MAGIC;
	}
	/* net.cpp: "if (hdr.nMessageSize > MAX_SIZE || hdr.nMessageSize >
	 * MAX_PROTOCOL_MESSAGE_LENGTH) ... return -1" (disconnect). */
	if (h->length > BTC_MAX_PAYLOAD) {
		*note = "announced length over 4000000";
		return PS_ERR_TOO_LARGE;
	}
	return PS_OK;
}

/* The two that drop a complete message and keep the connection. Core
 * (net.cpp GetReceivedMessage) checks the checksum first ("Header error:
 * Wrong checksum"), then the command ("Header error: Invalid message
 * type"). sha is the payload's single SHA256. */
static int frame_verdict(const struct btc_header *h, const uint8_t sha[32], const char **note)
{
	uint8_t twice[32];

	cry_sha256(twice, sha, 32);
	if (memcmp(twice, h->checksum, 4) != 0) {
		*note = "checksum mismatch";
		return PS_ERR_BAD_CHECKSUM;
	}
	if (!btc_command_valid(h->command)) {
		*note = "invalid command";
		return PS_ERR_BAD_COMMAND;
	}
	*note = NULL;
	return PS_OK;
}

int btc_header_check(const struct btc_header *h, const uint8_t magic[4])
{
	const char *note;
	int r;

	if ((r = header_fatal(h, magic, &note)) != PS_OK)
		return r;
	return btc_command_valid(h->command) ? PS_OK : PS_ERR_BAD_COMMAND;
}

int btc_msg_decode(struct btc_msg *out, size_t *used, const uint8_t magic[4], const uint8_t *in,
		   size_t len)
{
	struct btc_header h;
	uint8_t sha[32];
	const char *note;
	int r;

	*used = 0;
	if ((r = btc_header_decode(&h, in, len)) != PS_OK)
		return r;
	if ((r = header_fatal(&h, magic, &note)) != PS_OK)
		return r;
	if (len - BTC_HEADER_LEN < h.length)
		return PS_ERR_NEED_MORE;
	cry_sha256(sha, in + BTC_HEADER_LEN, h.length);
	*used = BTC_HEADER_LEN + (size_t)h.length;
	if ((r = frame_verdict(&h, sha, &note)) != PS_OK)
		return r;
	r = btc_payload_decode(out, btc_cmd_from_bytes(h.command), h.command, in + BTC_HEADER_LEN,
			       h.length);
	if (r != PS_OK)
		*used = 0;
	return r;
}

/* ---- the streaming reader ---- */

void btc_v1_init(struct btc_v1 *v, const uint8_t magic[4])
{
	memset(v, 0, sizeof(*v));
	memcpy(v->magic, magic, 4);
}

static void msg_fill(struct btc_rx_msg *msg, const struct btc_v1 *v)
{
	memcpy(msg->command, v->cur.command, BTC_COMMAND_LEN);
	msg->length = v->cur.length;
	msg->cmd = btc_cmd_from_bytes(v->cur.command);
	msg->bytes = BTC_HEADER_LEN + (uint64_t)v->cur.length;
}

static int v1_read(struct btc_transport *t, struct btc_rx_msg *msg, bool *got, size_t *used,
		   struct ps_wcur *out, const uint8_t *in, size_t len)
{
	struct btc_v1 *v = &t->u.v1;
	uint8_t *keep = v->big ? v->big : v->keep;
	size_t cap = v->big ? v->big_cap : BTC_HS_KEEP;
	const uint8_t *start = in;
	const char *note;
	uint8_t sha[32];
	size_t n;
	int r;

	(void)out; /* v1 sends nothing of its own */
	memset(msg, 0, sizeof(*msg));
	*got = false;
	*used = 0;
	if (!v->in_payload) {
		n = BTC_HEADER_LEN - v->hdr_len;
		if (n > len)
			n = len;
		memcpy(v->hdr + v->hdr_len, in, n);
		v->hdr_len += n;
		in += n;
		len -= n;
		*used = n;
		if (v->hdr_len < BTC_HEADER_LEN)
			return PS_OK;
		if ((r = btc_header_decode(&v->cur, v->hdr, BTC_HEADER_LEN)) != PS_OK)
			return r;
		v->hdr_len = 0;
		if ((r = header_fatal(&v->cur, v->magic, &note)) != PS_OK) {
			msg_fill(msg, v);
			msg->bytes = BTC_HEADER_LEN;
			msg->note = note;
			return r;
		}
		v->in_payload = true;
		v->payload_seen = 0;
		cry_hash_init(&v->sum, CRY_HASH_SHA256);
	}

	n = v->cur.length - v->payload_seen;
	if (n > len)
		n = len;
	if (v->payload_seen < cap) {
		size_t k = cap - v->payload_seen;
		memcpy(keep + v->payload_seen, in, k < n ? k : n);
	}
	cry_hash_update(&v->sum, in, n);
	v->payload_seen += (uint32_t)n;
	*used = (size_t)(in - start) + n;
	if (v->payload_seen < v->cur.length)
		return PS_OK;

	v->in_payload = false;
	cry_hash_final(&v->sum, sha);
	msg_fill(msg, v);
	msg->verdict = frame_verdict(&v->cur, sha, &msg->note);
	msg->payload = keep;
	msg->kept = v->cur.length < cap ? v->cur.length : cap;
	*got = true;
	return PS_OK;
}

static int v1_write(struct btc_transport *t, struct ps_wcur *out,
		    const uint8_t command[BTC_COMMAND_LEN], const uint8_t *payload, size_t len)
{
	struct btc_header h;
	struct ps_wcur w = *out;
	int r;

	if (len > BTC_MAX_PAYLOAD)
		return PS_ERR_INVALID_ARG;
	memcpy(h.magic, t->u.v1.magic, 4);
	memcpy(h.command, command, BTC_COMMAND_LEN);
	h.length = (uint32_t)len;
	btc_checksum(h.checksum, payload, len);
	if ((r = btc_header_encode(&w, &h)) != PS_OK ||
	    (r = ps_put_bytes(&w, payload, len)) != PS_OK)
		return r;
	*out = w;
	return PS_OK;
}

static int v1_describe(const struct btc_transport *t, uint8_t command[BTC_COMMAND_LEN],
		       uint32_t *length, const uint8_t *frame, size_t n)
{
	struct btc_header h;

	(void)t;
	if (btc_header_decode(&h, frame, n) != PS_OK)
		return PS_ERR_MALFORMED;
	memcpy(command, h.command, BTC_COMMAND_LEN);
	*length = h.length;
	return PS_OK;
}

static bool v1_ready(const struct btc_transport *t)
{
	(void)t;
	return true;
}

static size_t v1_rx_pending(const struct btc_transport *t)
{
	const struct btc_v1 *v = &t->u.v1;

	return v->in_payload ? BTC_HEADER_LEN + (size_t)v->payload_seen : v->hdr_len;
}

static void v1_end(struct btc_transport *t)
{
	(void)t; /* no secret: the payload hash is of plaintext the peer sent */
}

const struct btc_transport_ops btc_v1_ops = {
	.name = "v1",
	.read = v1_read,
	.write = v1_write,
	.describe = v1_describe,
	.ready = v1_ready,
	.rx_pending = v1_rx_pending,
	.end = v1_end,
};
