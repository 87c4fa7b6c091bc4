/*
 * noise_peer - the NNpsk2 peer state machine (noise/peer.h), either role,
 * driven by a sequence the input chooses: framed messages (the harness
 * writes the 2-byte length, and with the tag assist zeroes the last 16
 * bytes, the tag the fuzz-only null AEAD accepts, so the fuzzer can walk
 * msg1 -> msg2 -> transport -> echo), raw bytes in any cut, time jumps,
 * partial sends of the output, event drains, closes.
 *
 * Invariants after every step: at most one SUCCESS and one FAILED event,
 * never both; HANDSHAKE_DONE before SUCCESS; SUCCESS only once ended, with
 * the handshake hash, and for the initiator an echo equal to what it sent;
 * nothing queued after a failure; a note after a failure and never before,
 * something waited for while pending (except by a held no-echo responder);
 * the expiry monotone and never behind a timed call; the MSG_SENT events'
 * bytes add up to what the output hands out (bugs or not); everything
 * sent is well-framed, each message the exact size its place in the
 * exchange demands.
 *
 * The config also varies the transport count N (1 .. 4) and whether a
 * failed tag of the transport phase is survived (continue_on_decrypt_failure),
 * both from the RNG seed's bits 48 .. 50.
 *
 * Built twice: null AEAD and real crypto (noise_peer_realcrypto).
 *
 * Input: config | operations...
 */
#include "fuzz.h"

#include "core/cursor.h"
#include "noise/frame.h"
#include "noise/peer.h"

struct model {
	enum noise_peer_role role;
	const struct noise_peer_config *cfg;
	unsigned success, failed, done, sent;
	uint64_t last_expiry;
	uint64_t sent_bytes; /* the MSG_SENT events' bytes */
	uint64_t out_bytes;  /* what noise_peer_output handed out and we consumed */
	uint8_t buf[4 * 1024 + 8];
	size_t len;
	bool unchecked;
	bool seen_failed;   /* FAILED seen by check() */
	size_t failed_left; /* what was queued then, less what went out since */
};

static void check(struct noise_peer *p, struct model *md)
{
	const uint8_t *out;
	size_t n = noise_peer_output(p, &out);
	uint64_t e = noise_peer_expiry(p);
	const char *waiting = noise_peer_waiting_for(p), *note = noise_peer_note(p);

	FUZZ_ASSERT(e >= md->last_expiry);
	md->last_expiry = e;
	{
		size_t pl;
		(void)noise_peer_payload(p, &pl);
		FUZZ_ASSERT(pl <= NOISE_MAX_MSG);
	}
	FUZZ_ASSERT(p->ev_count <= NOISE_PEER_EVENTS);
	FUZZ_ASSERT(p->rx.hdr_len <= 2 && p->rx.have <= p->rx.need);
	FUZZ_ASSERT(p->out.off <= p->out.len && p->out.len <= p->out.buf.cap &&
		    p->out.len <= NOISE_PEER_OUT_MAX);
	switch (noise_peer_outcome(p)) {
	case PS_SUCCESS: {
		size_t hl;
		FUZZ_ASSERT(noise_peer_ended(p) && !waiting && !note);
		FUZZ_ASSERT(noise_peer_handshake_hash(p, &hl) && (hl == 32 || hl == 64));
		FUZZ_ASSERT(noise_peer_error(p) == PS_OK);
		if (md->role == NOISE_PEER_INITIATOR) {
			size_t tl;
			const uint8_t *t = noise_peer_transport(p, &tl);
			/* T_N: T, and N in 2 bytes when N > 1 */
			FUZZ_ASSERT(tl == md->cfg->transport_len + (md->cfg->messages > 1 ? 2 : 0));
			FUZZ_ASSERT(md->cfg->transport_len == 0 ||
				    memcmp(t, md->cfg->transport, md->cfg->transport_len) == 0);
		}
		break;
	}
	case PS_FAILED:
		FUZZ_ASSERT(noise_peer_ended(p) && noise_peer_error(p) < 0);
		FUZZ_ASSERT(!waiting && note != NULL);
		/* nothing queued after a failure: what was queued before (and
		 * reported by MSG_SENT) still goes out, the queue never grows */
		if (md->seen_failed)
			FUZZ_ASSERT(n <= md->failed_left);
		md->seen_failed = true;
		md->failed_left = n;
		break;
	case PS_PENDING:
		FUZZ_ASSERT(!noise_peer_ended(p) && !note);
		/* only a responder holding the connection waits for nothing */
		FUZZ_ASSERT(waiting || (md->role == NOISE_PEER_RESPONDER &&
					(md->cfg->bugs & NOISE_BUG_NO_ECHO)));
		break;
	default:
		fuzz_fail(__FILE__, __LINE__, "outcome out of range");
	}
}

static void drain(struct noise_peer *p, struct model *md)
{
	struct noise_peer_event ev;
	const uint8_t *out;

	while (noise_peer_next_event(p, &ev)) {
		switch (ev.type) {
		case NOISE_PEER_EV_SUCCESS:
			FUZZ_ASSERT(++md->success == 1 && md->failed == 0 && md->done == 1);
			break;
		case NOISE_PEER_EV_FAILED:
			FUZZ_ASSERT(++md->failed == 1 && md->success == 0 && ev.err < 0);
			break;
		case NOISE_PEER_EV_HANDSHAKE_DONE:
			FUZZ_ASSERT(++md->done == 1);
			break;
		case NOISE_PEER_EV_MSG_SENT:
			FUZZ_ASSERT(ev.msg >= NOISE_PEER_MSG1 && ev.msg <= NOISE_PEER_EMPTY);
			FUZZ_ASSERT(ev.length <= NOISE_MAX_MSG && ev.bytes >= 2);
			/* only --bug oversize-prefix declares more than it sends */
			FUZZ_ASSERT(ev.bytes == 2 + ev.length ||
				    (md->cfg->bugs & NOISE_BUG_OVERSIZE_PREFIX));
			md->sent_bytes += ev.bytes;
			break;
		case NOISE_PEER_EV_MSG_DROPPED:
			/* only a transport message or echo, only when asked */
			FUZZ_ASSERT(md->cfg->continue_on_decrypt_failure &&
				    ev.err == PS_ERR_DECRYPT);
			FUZZ_ASSERT(ev.msg == NOISE_PEER_TRANSPORT || ev.msg == NOISE_PEER_ECHO);
			FUZZ_ASSERT(ev.bytes == 2 + ev.length && ev.index >= 1);
			break;
		case NOISE_PEER_EV_MSG_RECV:
			FUZZ_ASSERT(ev.msg >= NOISE_PEER_MSG1 && ev.msg <= NOISE_PEER_ECHO);
			FUZZ_ASSERT(ev.length <= NOISE_MAX_MSG && ev.bytes == 2 + ev.length);
			break;
		default:
			fuzz_fail(__FILE__, __LINE__, "event type out of range");
		}
	}
	/* every byte handed out was announced by a MSG_SENT event, and every
	 * event's bytes are in the queue (unless a failure dropped it, or
	 * events were lost) */
	if (noise_peer_outcome(p) != PS_FAILED && noise_peer_events_lost(p) == 0)
		FUZZ_ASSERT(md->out_bytes + noise_peer_output(p, &out) == md->sent_bytes);
}

/* What we send: frames, each the size its place demands. */
static void consume(struct noise_peer *p, struct model *md, size_t n)
{
	const uint8_t *out;
	size_t avail = noise_peer_output(p, &out), off = 0;

	if (n > avail)
		n = avail;
	if (n > sizeof(md->buf) - md->len)
		md->unchecked = true;
	if (!md->unchecked && n) {
		memcpy(md->buf + md->len, out, n);
		md->len += n;
	}
	noise_peer_consume(p, n);
	md->out_bytes += n;
	FUZZ_ASSERT(noise_peer_output(p, &out) == avail - n);
	while (!md->unchecked) {
		const uint8_t *msg;
		size_t mlen, used, want;

		if (noise_frame_decode(&msg, &mlen, &used, md->buf + off, md->len - off) != PS_OK)
			break;
		md->sent++;
		if (md->role == NOISE_PEER_INITIATOR)
			want = md->sent == 1 ? 48 + md->cfg->payload1_len
					     : 16 + md->cfg->transport_len +
						       (md->cfg->messages > 1 ? 2 : 0);
		else
			want = md->sent == 1 ? 48 + md->cfg->payload2_len : mlen;
		FUZZ_ASSERT(md->sent <= 1 + md->cfg->messages && mlen == want);
		/* the null AEAD shows the initiator's P1 after its e */
		if (cry_fuzzing_build() && md->role == NOISE_PEER_INITIATOR && md->sent == 1)
			FUZZ_ASSERT(md->cfg->payload1_len == 0 ||
				    memcmp(msg + 32, md->cfg->payload1, md->cfg->payload1_len) ==
					    0);
		off += used;
	}
	if (!md->unchecked) {
		memmove(md->buf, md->buf + off, md->len - off);
		md->len -= off;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const protocols[] = {
		NULL,
		"NNpsk2_25519_ChaChaPoly_SHA256",
		"Noise_NNpsk2_25519_ChaChaPoly_BLAKE2b",
		"Noise_NNpsk2_25519_AESGCM_SHA512",
		"Noise_NN_25519_ChaChaPoly_BLAKE2s", /* refused: not NNpsk2 */
	};
	static struct noise_peer peer;
	static struct model md;
	static uint8_t frame[2 + 3000];
	struct fdp f = fdp_make(data, size);
	struct noise_peer_config c;
	struct fuzz_rng rng = { fdp_u64(&f) };
	uint8_t sel = fdp_u8(&f), prologue[32];
	enum noise_peer_role role = (sel & 1) ? NOISE_PEER_RESPONDER : NOISE_PEER_INITIATOR;
	uint64_t now = 1000;
	int r;

	fuzz_crypto_init();
	memset(&c, 0, sizeof(c));
	c.mem = &fuzz_mem;
	memset(&md, 0, sizeof(md));
	md.role = role;
	md.cfg = &c;
	c.protocol = protocols[(sel >> 1) % 5];
	fdp_bytes(&f, c.psk, sizeof(c.psk));
	c.prologue_len = (sel & 0x40) ? fdp_below(&f, sizeof(prologue) + 1) : 0;
	fdp_bytes(&f, prologue, c.prologue_len);
	c.prologue = prologue;
	c.payload1 = fdp_view(&f, 200, &c.payload1_len);
	c.payload2 = fdp_view(&f, 200, &c.payload2_len);
	c.transport = fdp_view(&f, 200, &c.transport_len);
	c.timeout_ns = (sel & 0x80) ? fdp_u64(&f) : 0;
	if (sel & 0x20)
		now = fdp_u64(&f);
	c.rng = fuzz_rng_fill;
	c.rng_ctx = &rng;
	/* the misbehaviour switches (peershake --bug): on when the RNG seed's
	 * top byte is 0xbb; what we send is then wrong on purpose */
	if ((rng.s >> 56) == 0xbb) {
		c.bugs = rng.s & ((UINT64_C(1) << NOISE_BUG_COUNT) - 1);
		md.unchecked = true;
	}

	c.messages = 1 + (uint32_t)((rng.s >> 48) & 3);
	c.continue_on_decrypt_failure = ((rng.s >> 50) & 1) != 0;

	r = noise_peer_init(&peer, role, &c, now);
	if (r != PS_OK) {
		FUZZ_ASSERT(c.protocol && (r == PS_ERR_UNSUPPORTED));
		noise_peer_free(&peer);
		FUZZ_ASSERT(fuzz_mem_out() == 0);
		return 0;
	}
	FUZZ_ASSERT(noise_peer_expiry(&peer) > now || noise_peer_expiry(&peer) == UINT64_MAX);
	check(&peer, &md);

	for (unsigned ops = 0; ops < 32 && fdp_left(&f) > 0; ops++) {
		uint8_t op = fdp_u8(&f);
		bool timed = true;
		const uint8_t *raw;
		size_t len;

		switch (op % 8) {
		case 0:
		case 1:
		case 2: { /* one framed message, in one or two pieces */
			size_t n = fdp_below(&f, sizeof(frame) - 1);
			if (op & 0x80) /* the size this state expects, or near it */
				n = 48 + (op & 0x40 ? c.payload2_len : c.payload1_len);
			if (op & 0x20) /* T_k's size */
				n = 16 + c.transport_len + (c.messages > 1 ? 2 : 0);
			fdp_bytes(&f, frame + 2, n);
			if ((op & 0x08) && n >= NOISE_TAGLEN) /* tag assist */
				memset(frame + 2 + n - NOISE_TAGLEN, 0, NOISE_TAGLEN);
			if ((op & 0x10) && c.transport_len && n == 16 + c.transport_len)
				memcpy(frame + 2, c.transport, c.transport_len); /* an echo */
			if ((op & 0x10) && c.messages > 1 && n == 16 + c.transport_len + 2) {
				/* the echo T_k, k the next one the peer takes */
				memcpy(frame + 2, c.transport, c.transport_len);
				ps_store_u16be(frame + 2 + c.transport_len,
					       (uint16_t)(peer.n_recv + 1));
			}
			ps_store_u16be(frame, (uint16_t)n);
			len = (op & 0x04) ? fdp_below(&f, n + 2) : n + 2;
			r = noise_peer_input(&peer, now, frame, len);
			FUZZ_ASSERT(r == PS_OK || r == noise_peer_error(&peer));
			check(&peer, &md);
			r = noise_peer_input(&peer, now, frame + len, n + 2 - len);
			FUZZ_ASSERT(r == PS_OK || r == noise_peer_error(&peer));
			break;
		}
		case 3: /* raw bytes */
			raw = fdp_view(&f, 600, &len);
			r = noise_peer_input(&peer, now, raw, len);
			FUZZ_ASSERT(r == PS_OK || r == noise_peer_error(&peer));
			break;
		case 4: /* time passes */
		{
			uint64_t d = (uint64_t)fdp_u32(&f) << (fdp_u8(&f) & 31);
			now = now > UINT64_MAX - d ? UINT64_MAX : now + d;
			noise_peer_handle_expiry(&peer, now);
			break;
		}
		case 5: /* some of the output goes out */
			consume(&peer, &md, fdp_below(&f, 200));
			timed = false;
			break;
		case 6:
			drain(&peer, &md);
			timed = false;
			break;
		default:
			timed = false;
			if ((op & 0xf0) == 0xf0)
				noise_peer_close(&peer, PS_ERR_CLOSED);
			break;
		}
		check(&peer, &md);
		if (timed)
			FUZZ_ASSERT(noise_peer_expiry(&peer) > now ||
				    noise_peer_expiry(&peer) == UINT64_MAX);
	}
	drain(&peer, &md);
	consume(&peer, &md, SIZE_MAX);
	noise_peer_close(&peer, PS_ERR_CLOSED);
	check(&peer, &md);
	drain(&peer, &md);
	FUZZ_ASSERT(md.success + md.failed == 1);
	FUZZ_ASSERT(strcmp(ps_outcome_name(noise_peer_outcome(&peer)), "PENDING") != 0);
	noise_peer_free(&peer);
	FUZZ_ASSERT(fuzz_mem_out() == 0); /* every block back */
	return 0;
}
