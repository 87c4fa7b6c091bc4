/*
 * v2drive.c - see v2drive.h.
 *
 * Input: seed (8) | conf (1) | our garbage length (2) | the peer's (2) | ops
 *   conf bit 0: our garbage length random (Core's 0..4095)
 *   conf bit 1: (responder) DETECT, else V2 only
 *   conf bits 2..4: the network
 *   ops, op % 12:
 *     0..2  the peer sends a message (drive.c's builder: a structured
 *           version, verack, ping, any command; its header is dropped)
 *     3     the peer sends a decoy: header bits (1), contents (view)
 *     4     the peer sends a packet: header (1), contents (view)
 *     5     raw bytes (view) go into the peer's stream
 *     6     a bit of what the peer has not delivered yet is flipped
 *     7     the peer's stream reaches us: all of it, or a piece (op & 0x30)
 *     8     our output reaches the peer: all of it, or a piece
 *     9     time passes (and the expiry is handled, op & 0x10)
 *     10    our events are drained
 *     11    a ping of ours after success; op >= 0xf0: the connection ends
 *
 * Invariants after every step, through the accessors (no field of struct
 * btc_hs): never SUCCESS without their version and verack and ours sent;
 * PARTIAL only with their version; the outcome fixed once known; output
 * bounded; each of SUCCESS/FAILED/VERSION/DISCONNECT at most once; the
 * transport "v2" (or NULL, then possibly "v1", for DETECT); a session id
 * only on v2, always once successful over v2, and equal to the peer's;
 * with no event lost, the SENT events add up to what went out and the
 * RECV/DROPPED/FAILED events plus the partial item to what came in; input
 * after the end returns PS_OK and changes nothing; after the end, none of
 * the peer's four current keys is anywhere in struct btc_hs.
 */
#include "v2drive.h"

#include "btc/params.h"
#include "btc/v2.h"
#include "drive.h"

#define PEER_STREAM (1u << 20)

struct peer {
	struct btc_transport t;
	struct btc_v2_config cfg;
	struct fuzz_rng rng;
	bool dead; /* it failed to read what we sent: it sends nothing more */
	uint8_t stream[PEER_STREAM];
	size_t len, sent; /* bytes queued, bytes delivered to us */
};

struct model {
	enum btc_role role;
	bool detect;
	uint64_t last_expiry;
	enum ps_outcome outcome;
	unsigned n_success, n_failed, n_disconnect, n_version;
	uint64_t ev_sent, ev_in;
	bool wipe_checked;
	const uint8_t *input; /* the fuzzer's input: a key it holds is not ours to find */
	size_t input_len;
};

/* Written so that the fuzzer cannot learn the key from the comparison:
 * with memcmp (libFuzzer's hook) or instrumented compares (trace-cmp) it is
 * handed the key's bytes, splices them into a message payload, and the
 * handshake then rightly keeps that payload (found by the smoke run of
 * btc_v2_initiator_realcrypto). No memcmp, no coverage instrumentation, a
 * branch-free match. */
__attribute__((no_sanitize("coverage"))) bool fuzz_holds_key(const void *mem, size_t n,
							     const uint8_t key[32])
{
	const uint8_t *p = mem;
	unsigned any = 0, found = 0;

	for (size_t i = 0; i < 32; i++)
		any |= key[i];
	for (size_t k = 0; any && k + 32 <= n; k++) {
		unsigned d = 0;
		for (size_t i = 0; i < 32; i++)
			d |= (unsigned)(p[k + i] ^ key[i]);
		found |= d == 0;
	}
	return found != 0;
}

static bool is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

static void check(const struct btc_hs *hs, struct model *md, const struct peer *p)
{
	const uint8_t *out = NULL;
	size_t queued = btc_hs_output(hs, &out);
	enum ps_outcome oc = btc_hs_outcome(hs);
	const char *tr = btc_hs_transport(hs), *w = btc_hs_waiting_for(hs);
	const uint8_t *sid = btc_hs_session_id(hs);
	bool have = btc_hs_peer(hs) != NULL;
	uint64_t e = btc_hs_expiry(hs);

	FUZZ_ASSERT(out != NULL && queued <= BTC_HS_OUTBUF);
	if (oc == PS_SUCCESS)
		FUZZ_ASSERT(have && btc_hs_bytes_out(hs) + queued > 0);
	if (oc == PS_PARTIAL)
		FUZZ_ASSERT(have && btc_hs_ended(hs));
	FUZZ_ASSERT(md->outcome == PS_PENDING || md->outcome == oc);
	md->outcome = oc;
	FUZZ_ASSERT(e >= md->last_expiry);
	md->last_expiry = e;
	if (!btc_hs_ended(hs)) {
		FUZZ_ASSERT(btc_hs_error(hs) == PS_OK);
		FUZZ_ASSERT(is(w, "version") ? !have : is(w, "verack") ? have : oc == PS_SUCCESS);
	} else {
		FUZZ_ASSERT(w == NULL && oc != PS_PENDING);
	}
	/* the transport: v2, or (detecting) not yet known, or v1 */
	if (md->detect)
		FUZZ_ASSERT(tr == NULL || is(tr, "v1") || is(tr, "v2"));
	else
		FUZZ_ASSERT(is(tr, "v2"));
	if (sid) {
		/* known from the peer's version packet on, and kept after the
		 * end (it is public: the result prints it) */
		FUZZ_ASSERT(is(tr, "v2"));
		/* the session id both sides derived */
		if (btc_v2c_get_state(&p->t.u.v2.c) != BTC_V2C_UNSET &&
		    btc_v2c_get_state(&p->t.u.v2.c) != BTC_V2C_FAILED)
			FUZZ_ASSERT(memcmp(sid, btc_v2c_session_id(&p->t.u.v2.c), 32) == 0);
	}
	/* their verack came over v2: their version packet came before it */
	if (oc == PS_SUCCESS && !btc_hs_ended(hs) && is(tr, "v2"))
		FUZZ_ASSERT(sid != NULL);
	/* a transport that ended keeps none of the keys (looked for once, when
	 * it ends, and at the very end) */
	if (btc_hs_ended(hs) && !md->wipe_checked &&
	    btc_v2c_get_state(&p->t.u.v2.c) != BTC_V2C_UNSET) {
		const struct btc_v2c *c = &p->t.u.v2.c;

		FUZZ_ASSERT(!fuzz_holds_key(hs, sizeof(*hs), c->send_l.key) ||
			    fuzz_holds_key(md->input, md->input_len, c->send_l.key));
		FUZZ_ASSERT(!fuzz_holds_key(hs, sizeof(*hs), c->recv_l.key) ||
			    fuzz_holds_key(md->input, md->input_len, c->recv_l.key));
		FUZZ_ASSERT(!fuzz_holds_key(hs, sizeof(*hs), c->send_p.key) ||
			    fuzz_holds_key(md->input, md->input_len, c->send_p.key));
		FUZZ_ASSERT(!fuzz_holds_key(hs, sizeof(*hs), c->recv_p.key) ||
			    fuzz_holds_key(md->input, md->input_len, c->recv_p.key));
		md->wipe_checked = true;
	}
}

static void drain(struct btc_hs *hs, struct model *md)
{
	struct btc_event ev;
	const uint8_t *p;

	while (btc_hs_next_event(hs, &ev)) {
		FUZZ_ASSERT(strlen(ev.command) <= BTC_COMMAND_LEN);
		switch (ev.type) {
		case BTC_EV_SUCCESS:
			FUZZ_ASSERT(++md->n_success == 1 && md->n_version == 1);
			break;
		case BTC_EV_FAILED:
			FUZZ_ASSERT(++md->n_failed == 1 && md->n_success == 0);
			FUZZ_ASSERT(ev.err < 0 && ev.err == btc_hs_error(hs));
			md->ev_in += ev.bytes;
			break;
		case BTC_EV_DISCONNECT:
			FUZZ_ASSERT(++md->n_disconnect == 1 && md->n_success == 1);
			FUZZ_ASSERT(ev.err < 0 && ev.err == btc_hs_error(hs));
			md->ev_in += ev.bytes;
			break;
		case BTC_EV_VERSION:
			FUZZ_ASSERT(++md->n_version == 1 && btc_hs_peer(hs) != NULL);
			break;
		case BTC_EV_DROPPED:
			FUZZ_ASSERT(ev.err < 0);
			md->ev_in += ev.bytes;
			break;
		case BTC_EV_RECV:
			FUZZ_ASSERT(md->n_failed == 0 && md->n_disconnect == 0);
			md->ev_in += ev.bytes;
			break;
		case BTC_EV_SENT:
			FUZZ_ASSERT(md->n_failed == 0 && md->n_disconnect == 0);
			FUZZ_ASSERT(ev.bytes > 0);
			md->ev_sent += ev.bytes;
			break;
		default:
			fuzz_fail(__FILE__, __LINE__, "event type out of range");
		}
	}
	if (btc_hs_events_lost(hs) > 0)
		return;
	FUZZ_ASSERT(md->ev_sent == btc_hs_bytes_out(hs) + btc_hs_output(hs, &p));
	if (!btc_hs_ended(hs))
		FUZZ_ASSERT(md->ev_in + btc_hs_rx_pending(hs) == btc_hs_bytes_in(hs));
}

static void input(struct btc_hs *hs, struct model *md, const struct peer *p, uint64_t now,
		  const uint8_t *b, size_t n)
{
	bool ended = btc_hs_ended(hs);
	uint64_t in = btc_hs_bytes_in(hs);
	int r = btc_hs_input(hs, now, b, n);

	if (ended)
		FUZZ_ASSERT(r == PS_OK && btc_hs_bytes_in(hs) == in);
	else
		FUZZ_ASSERT(r == PS_OK || (btc_hs_ended(hs) && r == btc_hs_error(hs)));
	check(hs, md, p);
}

/* What the peer's transport queued goes to the end of its stream. */
static struct ps_wcur peer_cursor(struct peer *p)
{
	return ps_wcur_make(p->stream + p->len, sizeof(p->stream) - p->len);
}

static void peer_took(struct peer *p, const struct ps_wcur *w)
{
	p->len = (size_t)(w->p - p->stream);
}

/* Our output (n bytes of it) to the peer's receiver. */
static void to_peer(struct btc_hs *hs, struct model *md, struct peer *p, size_t n)
{
	const uint8_t *o;
	size_t avail = btc_hs_output(hs, &o);

	if (n > avail)
		n = avail;
	while (n && !p->dead) {
		struct ps_wcur w = peer_cursor(p);
		struct btc_rx_msg m;
		size_t used = 0;
		bool got;

		if (p->t.ops->read(&p->t, &m, &got, &used, &w, o, n) != PS_OK) {
			p->dead = true;
			break;
		}
		peer_took(p, &w);
		btc_hs_consume(hs, used);
		FUZZ_ASSERT(used > 0 || n == 0);
		n -= used;
		avail = btc_hs_output(hs, &o);
	}
	if (p->dead)
		btc_hs_consume(hs, n);
	check(hs, md, p);
}

static void peer_message(struct fdp *f, struct peer *p, const uint8_t magic[4])
{
	static uint8_t msg[BTC_HEADER_LEN + 1024];
	size_t n = fuzz_btc_message(f, magic, msg, sizeof(msg));
	struct ps_wcur w = peer_cursor(p);

	if (n < BTC_HEADER_LEN || p->dead || !p->t.ops->ready(&p->t))
		return;
	/* the v1 frame's command and payload, framed again by v2 */
	if (p->t.ops->write(&p->t, &w, msg + 4, msg + BTC_HEADER_LEN, n - BTC_HEADER_LEN) == PS_OK)
		peer_took(p, &w);
}

static void peer_packet(struct fdp *f, struct peer *p, uint8_t header)
{
	size_t len;
	const uint8_t *c = fdp_view(f, 700, &len);
	struct ps_wcur w = peer_cursor(p);

	if (p->dead)
		return;
	if (btc_v2_write_packet(&p->t, &w, header, c, len) == PS_OK)
		peer_took(p, &w);
}

static uint64_t later(uint64_t now, uint64_t d)
{
	return now > UINT64_MAX - d ? UINT64_MAX : now + d;
}

void fuzz_btc_v2_run(enum btc_role role, const uint8_t *data, size_t size)
{
	static struct btc_hs hs;
	static struct peer p;
	static struct model md;
	struct fdp f = fdp_make(data, size);
	struct btc_hs_config cfg;
	struct fuzz_rng rng = { fdp_u64(&f) };
	uint8_t conf = fdp_u8(&f);
	const uint8_t *magic = btc_networks[(conf >> 2) % btc_network_count].magic;
	size_t our_glen = fdp_u16(&f) % (BTC_V2_MAX_GARBAGE + 1);
	size_t peer_glen = fdp_u16(&f) % (BTC_V2_MAX_GARBAGE + 1);
	uint64_t now = UINT64_C(1000000000);
	struct ps_wcur w;
	const uint8_t *out;
	int r;

	memset(&md, 0, sizeof(md));
	memset(&p, 0, sizeof(p));
	fuzz_btc_config(&cfg, magic, &rng);
	cfg.timeout_ns = UINT64_C(60000000000);
	cfg.transport = BTC_TRANSPORT_V2;
	if (role == BTC_RESPONDER && (conf & 2)) {
		cfg.transport = BTC_TRANSPORT_DETECT;
		md.detect = true;
	}
	cfg.v2_garbage_len = our_glen;
	cfg.v2_garbage_random = conf & 1;
	md.role = role;
	md.input = data;
	md.input_len = size;
	r = btc_hs_init(&hs, role, &cfg, now);
	FUZZ_ASSERT(r == PS_OK);

	/* the peer: the other role, v2 */
	p.rng.s = rng.s ^ UINT64_C(0x5bd1e9955bd1e995);
	p.cfg.rng = fuzz_rng_fill;
	p.cfg.rng_ctx = &p.rng;
	p.cfg.garbage_len = peer_glen;
	w = peer_cursor(&p);
	r = btc_transport_open(&p.t, BTC_TRANSPORT_V2, magic,
			       role == BTC_INITIATOR ? BTC_RESPONDER : BTC_INITIATOR, &p.cfg, &w);
	FUZZ_ASSERT(r == PS_OK);
	peer_took(&p, &w);
	check(&hs, &md, &p);

	for (unsigned ops = 0; ops < 96 && fdp_left(&f) > 0; ops++) {
		uint8_t op = fdp_u8(&f);
		size_t n, len;
		const uint8_t *raw;

		switch (op % 12) {
		case 0:
		case 1:
		case 2:
			peer_message(&f, &p, magic);
			break;
		case 3:
			peer_packet(&f, &p, (uint8_t)(fdp_u8(&f) | BTC_V2_IGNORE_BIT));
			break;
		case 4:
			peer_packet(&f, &p, fdp_u8(&f));
			break;
		case 5:
			raw = fdp_view(&f, 1024, &len);
			if (len <= sizeof(p.stream) - p.len) {
				memcpy(p.stream + p.len, raw, len);
				p.len += len;
			}
			break;
		case 6:
			if (p.len > p.sent) {
				size_t at = p.sent + fdp_below(&f, p.len - p.sent);

				p.stream[at] ^= (uint8_t)(1u << (fdp_u8(&f) & 7));
			}
			break;
		case 7:
			n = p.len - p.sent;
			if (op & 0x30)
				n = fdp_below(&f, n + 1);
			input(&hs, &md, &p, now, p.stream + p.sent, n);
			p.sent += n;
			break;
		case 8:
			n = btc_hs_output(&hs, &out);
			if (op & 0x30)
				n = fdp_below(&f, n + 1);
			to_peer(&hs, &md, &p, n);
			break;
		case 9:
			now = later(now, (uint64_t)fdp_u32(&f) << (fdp_u8(&f) & 31));
			if (op & 0x10)
				btc_hs_handle_expiry(&hs, now);
			else
				input(&hs, &md, &p, now, NULL, 0);
			break;
		case 10:
			drain(&hs, &md);
			break;
		default:
			if ((op & 0xf0) == 0xf0) {
				btc_hs_close(&hs, (op & 1) ? PS_ERR_CLOSED : PS_ERR_SYSTEM);
			} else {
				fuzz_btc_ping(&hs, &f);
			}
			break;
		}
		check(&hs, &md, &p);
	}
	drain(&hs, &md);
	btc_hs_close(&hs, PS_ERR_CLOSED);
	md.wipe_checked = false;
	check(&hs, &md, &p);
	drain(&hs, &md);
	FUZZ_ASSERT(btc_hs_ended(&hs) && btc_hs_outcome(&hs) != PS_PENDING);
	FUZZ_ASSERT(md.n_success == (btc_hs_outcome(&hs) == PS_SUCCESS));
	/* the session id outlives the keys, and is the one both sides derived
	 * (checked in check() while the peer's cipher was up) */
	if (btc_hs_session_id(&hs))
		FUZZ_ASSERT(md.n_success || is(btc_hs_transport(&hs), "v2"));
	p.t.ops->end(&p.t);
}
