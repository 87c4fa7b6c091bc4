/*
 * drive.c - see drive.h.
 */
#include "drive.h"

#include "btc/addr.h"
#include "btc/misbehave.h"
#include "btc/params.h"
#include "btc/v1.h"
#include "btc/wire.h"

#define LOCAL_NONCE UINT64_C(0x1122334455667788)

static bool is_local_nonce(void *ctx, uint64_t nonce)
{
	(void)ctx;
	return nonce == LOCAL_NONCE;
}

void fuzz_btc_config(struct btc_hs_config *cfg, const uint8_t magic[4], struct fuzz_rng *rng)
{
	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->magic, magic, 4);
	cfg->version = BTC_PROTOCOL_VERSION;
	cfg->services = BTC_NODE_NETWORK | BTC_NODE_WITNESS;
	cfg->user_agent = "/peershake-fuzz:0.1/";
	cfg->relay = true;
	cfg->unix_time = 1700000000;
	cfg->is_local_nonce = is_local_nonce;
	cfg->rng = fuzz_rng_fill;
	cfg->rng_ctx = rng;
}

void fuzz_btc_ping(struct btc_hs *hs, struct fdp *f)
{
	struct btc_msg m;
	int r;

	if (btc_hs_outcome(hs) != PS_SUCCESS || btc_hs_ended(hs))
		return;
	memset(&m, 0, sizeof(m));
	m.cmd = BTC_CMD_PING;
	m.u.ping.has_nonce = true;
	m.u.ping.nonce = fdp_u64(f);
	r = btc_hs_send(hs, &m);
	FUZZ_ASSERT(r == PS_OK || r == PS_ERR_NOBUF);
}

bool fuzz_btc_event_eq(const struct btc_event *a, const struct btc_event *b)
{
	if (a->type != b->type || a->cmd != b->cmd || a->length != b->length ||
	    a->bytes != b->bytes || a->err != b->err || strcmp(a->command, b->command) != 0)
		return false;
	if (!a->note || !b->note)
		return a->note == b->note;
	return strcmp(a->note, b->note) == 0;
}

static const int32_t versions[] = { 70016, 70015, 70001, 60001, 31800, 31799, 0, -1, 70017 };
static const uint64_t services[] = { 0, 1, 9, 0x409, 8, 0xc09, UINT64_MAX };

static void netaddr(struct fdp *f, struct btc_netaddr *a)
{
	a->services = fdp_u64(f);
	fdp_bytes(f, a->ip, sizeof(a->ip));
	a->port = fdp_u16(f);
}

size_t fuzz_btc_message(struct fdp *f, const uint8_t magic[4], uint8_t *out, size_t cap)
{
	uint8_t kind = fdp_u8(f);
	struct btc_msg m;
	struct ps_wcur w = ps_wcur_make(out, cap);
	size_t n;

	memset(&m, 0, sizeof(m));
	m.cmd = (enum btc_cmd)(kind % (BTC_CMD_COUNT_ + 1));
	if (m.cmd == BTC_CMD_COUNT_ || (kind & 0x80)) {
		/* raw payload under a known or an arbitrary command */
		if (m.cmd == BTC_CMD_COUNT_)
			fdp_bytes(f, m.command, BTC_COMMAND_LEN);
		else if (btc_command_set(m.command, btc_cmd_name(m.cmd)) != PS_OK)
			return 0;
		m.cmd = BTC_CMD_UNKNOWN;
		m.payload = fdp_view(f, 600, &m.payload_len);
		return btc_msg_encode(&w, magic, &m) == PS_OK ? (size_t)(w.p - out) : 0;
	}
	switch (m.cmd) {
	case BTC_CMD_VERSION: {
		struct btc_version *v = &m.u.version;
		uint8_t sel = fdp_u8(f);
		size_t i = fdp_below(f, sizeof(versions) / sizeof(versions[0]) + 1);
		v->version = i < sizeof(versions) / sizeof(versions[0]) ? versions[i]
									: (int32_t)fdp_u32(f);
		i = fdp_below(f, sizeof(services) / sizeof(services[0]) + 1);
		v->services = i < sizeof(services) / sizeof(services[0]) ? services[i] : fdp_u64(f);
		v->timestamp = (int64_t)fdp_u64(f);
		netaddr(f, &v->addr_recv);
		/* the groups present: none, up to nonce, user agent, height, relay */
		static const unsigned presets[] = {
			0,
			BTC_VERSION_HAS_FROM_NONCE,
			BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT,
			BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
				BTC_VERSION_HAS_HEIGHT,
			BTC_VERSION_HAS_FROM_NONCE | BTC_VERSION_HAS_USER_AGENT |
				BTC_VERSION_HAS_HEIGHT | BTC_VERSION_HAS_RELAY,
		};
		v->present = presets[sel % 5 == 0 ? 4 : (sel >> 3) % 5];
		netaddr(f, &v->addr_from);
		v->nonce = (sel & 0x80) ? LOCAL_NONCE : fdp_u64(f);
		v->user_agent = fdp_view(f, BTC_MAX_SUBVERSION, &n);
		v->user_agent_len = n;
		v->start_height = (int32_t)fdp_u32(f);
		v->relay = fdp_u8(f);
		break;
	}
	case BTC_CMD_SENDTXRCNCL:
		m.u.sendtxrcncl.version = fdp_u32(f);
		m.u.sendtxrcncl.salt = fdp_u64(f);
		break;
	case BTC_CMD_SENDCMPCT:
		m.u.sendcmpct.announce = fdp_u8(f);
		m.u.sendcmpct.version = fdp_u64(f);
		break;
	case BTC_CMD_PING:
	case BTC_CMD_PONG:
		m.u.ping.has_nonce = m.cmd == BTC_CMD_PONG || (kind & 0x40);
		m.u.ping.nonce = fdp_u64(f);
		break;
	case BTC_CMD_FEEFILTER:
		m.u.feerate = (int64_t)fdp_u64(f);
		break;
	case BTC_CMD_REJECT: {
		m.u.reject.message = fdp_view(f, BTC_COMMAND_LEN, &m.u.reject.message_len);
		m.u.reject.code = fdp_u8(f);
		m.u.reject.reason = fdp_view(f, 111, &m.u.reject.reason_len);
		if (kind & 0x40)
			m.u.reject.data = fdp_view(f, 32, &m.u.reject.data_len);
		break;
	}
	default:
		break;
	}
	return btc_msg_encode(&w, magic, &m) == PS_OK ? (size_t)(w.p - out) : 0;
}

/* ---- the handshake driver --------------------------------------------------- */

struct model {
	enum btc_role role;
	const uint8_t *magic;
	bool misbehave; /* cfg.bugs or injections: our output is wrong on purpose */
	bool silent;	/* BTC_BUG_SILENT: nothing at all goes out */
	uint64_t last_expiry;
	enum ps_outcome outcome;
	unsigned n_success, n_failed, n_disconnect, n_version;
	/* what the events account for: SENT bytes, and input bytes */
	uint64_t ev_sent_bytes, ev_in_bytes;
	/* what we sent, as consumed, reassembled and checked */
	uint8_t sent[4 * BTC_HS_OUTBUF];
	size_t sent_len;
	unsigned sent_msgs;
	bool sent_version, sent_verack;
};

static bool is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* The invariants, through the accessors only (no field of struct btc_hs). */
static void check(const struct btc_hs *hs, struct model *md)
{
	const uint8_t *p = NULL;
	size_t queued = btc_hs_output(hs, &p);
	uint64_t e = btc_hs_expiry(hs);
	enum ps_outcome oc = btc_hs_outcome(hs);
	const char *w = btc_hs_waiting_for(hs);
	bool have = btc_hs_peer(hs) != NULL;
	/* our version went out (or nothing may) */
	bool sent = btc_hs_bytes_out(hs) + queued > 0 || md->silent;

	FUZZ_ASSERT(p != NULL && queued <= BTC_HS_OUTBUF);
	/* the framer holds a header, or a header and its payload so far */
	FUZZ_ASSERT(btc_hs_rx_pending(hs) <= BTC_HEADER_LEN + BTC_MAX_PAYLOAD);
	/* never SUCCESS without both version and verack (and ours sent) */
	if (oc == PS_SUCCESS)
		FUZZ_ASSERT(have && sent);
	if (oc == PS_PARTIAL)
		FUZZ_ASSERT(have && btc_hs_ended(hs));
	if (!btc_hs_ended(hs)) {
		FUZZ_ASSERT(btc_hs_error(hs) == PS_OK && btc_hs_note(hs) == NULL);
		if (is(w, "version"))
			FUZZ_ASSERT(!have && oc == PS_PENDING);
		else if (is(w, "verack"))
			FUZZ_ASSERT(have && sent && oc == PS_PENDING);
		else
			FUZZ_ASSERT(w == NULL && oc == PS_SUCCESS);
	} else {
		FUZZ_ASSERT(w == NULL && oc != PS_PENDING);
		/* a FAILED has its error; after success, a DISCONNECT's or none */
		FUZZ_ASSERT(oc == PS_SUCCESS ? btc_hs_error(hs) <= 0 : btc_hs_error(hs) < 0);
	}
	/* an outcome, once known, does not change */
	FUZZ_ASSERT(md->outcome == PS_PENDING || md->outcome == oc);
	/* expiry monotone within a phase: the deadline never moves earlier;
	 * once done, a delayed send's due time (btc_hs_expiry) may lie before
	 * the old deadline, and then never moves earlier either; once none,
	 * none */
	if (oc == PS_SUCCESS && md->outcome != PS_SUCCESS)
		md->last_expiry = 0;
	md->outcome = oc;
	FUZZ_ASSERT(e >= md->last_expiry);
	md->last_expiry = e;
	if (md->misbehave)
		return;
	/* the responder answers only a version (Core: inbound peers wait) */
	if (md->role == BTC_RESPONDER && !have)
		FUZZ_ASSERT(queued == 0 && btc_hs_bytes_out(hs) == 0);
	if (md->role == BTC_INITIATOR)
		FUZZ_ASSERT(btc_hs_bytes_out(hs) + queued > 0);
}

/* btc_hs_input under the contract: PS_OK, or the error of the end it
 * brought; after the end, PS_OK and nothing changes. */
static void input(struct btc_hs *hs, struct model *md, uint64_t now, const uint8_t *b, size_t n)
{
	bool ended = btc_hs_ended(hs);
	uint64_t in = btc_hs_bytes_in(hs), msgs = btc_hs_msgs_in(hs);
	int r = btc_hs_input(hs, now, b, n);

	if (ended) {
		FUZZ_ASSERT(r == PS_OK && btc_hs_bytes_in(hs) == in && btc_hs_msgs_in(hs) == msgs);
	} else {
		FUZZ_ASSERT(r == PS_OK || (btc_hs_ended(hs) && r == btc_hs_error(hs)));
		FUZZ_ASSERT(r == PS_OK || r < 0);
	}
	check(hs, md);
}

static void drain(struct btc_hs *hs, struct model *md)
{
	struct btc_event ev;
	const uint8_t *p;
	unsigned held = 0;

	while (btc_hs_next_event(hs, &ev)) {
		held++;
		FUZZ_ASSERT(strlen(ev.command) <= BTC_COMMAND_LEN);
		switch (ev.type) {
		case BTC_EV_SUCCESS:
			FUZZ_ASSERT(++md->n_success == 1 && btc_hs_outcome(hs) == PS_SUCCESS);
			FUZZ_ASSERT(md->n_version == 1);
			break;
		case BTC_EV_FAILED:
			FUZZ_ASSERT(++md->n_failed == 1 && md->n_success == 0);
			FUZZ_ASSERT(btc_hs_outcome(hs) == PS_FAILED ||
				    btc_hs_outcome(hs) == PS_PARTIAL);
			FUZZ_ASSERT(ev.err < 0 && ev.err == btc_hs_error(hs));
			FUZZ_ASSERT(ev.note == btc_hs_note(hs));
			md->ev_in_bytes += ev.bytes;
			break;
		case BTC_EV_DISCONNECT:
			FUZZ_ASSERT(++md->n_disconnect == 1 && md->n_success == 1);
			FUZZ_ASSERT(ev.err < 0 && ev.err == btc_hs_error(hs));
			FUZZ_ASSERT(ev.note == btc_hs_note(hs));
			md->ev_in_bytes += ev.bytes; /* a header that ended it */
			break;
		case BTC_EV_VERSION:
			FUZZ_ASSERT(++md->n_version == 1 && btc_hs_peer(hs) != NULL);
			break;
		case BTC_EV_DROPPED:
			FUZZ_ASSERT(ev.err < 0);
			FUZZ_ASSERT(ev.bytes == BTC_HEADER_LEN + (uint64_t)ev.length);
			md->ev_in_bytes += ev.bytes;
			break;
		case BTC_EV_SENT:
			FUZZ_ASSERT(md->n_failed == 0 && md->n_disconnect == 0);
			FUZZ_ASSERT(ev.bytes >= BTC_HEADER_LEN);
			md->ev_sent_bytes += ev.bytes;
			break;
		case BTC_EV_RECV:
			FUZZ_ASSERT(md->n_failed == 0 && md->n_disconnect == 0);
			FUZZ_ASSERT(ev.bytes == BTC_HEADER_LEN + (uint64_t)ev.length);
			md->ev_in_bytes += ev.bytes;
			break;
		default:
			fuzz_fail(__FILE__, __LINE__, "event type out of range");
		}
	}
	/* the ring only fills between drains: this is the most it held */
	FUZZ_ASSERT(held <= BTC_HS_EVENTS);
	if (btc_hs_events_lost(hs) > 0)
		return;
	/* with no event lost, the SENT events add up to what was queued, and
	 * the input events plus the partial message to what was taken */
	FUZZ_ASSERT(md->ev_sent_bytes == btc_hs_bytes_out(hs) + btc_hs_output(hs, &p));
	if (!btc_hs_ended(hs))
		FUZZ_ASSERT(md->ev_in_bytes + btc_hs_rx_pending(hs) == btc_hs_bytes_in(hs));
}

/* What we send must itself be well-formed: each message decodes, version
 * first and once, verack after it. */
static void consume(struct btc_hs *hs, struct model *md, size_t n)
{
	const uint8_t *p;
	size_t avail = btc_hs_output(hs, &p), off = 0;

	if (n > avail)
		n = avail;
	if (n > sizeof(md->sent) - md->sent_len) {
		md->sent_len = 0; /* a long exchange: stop checking what we sent */
		md->sent_msgs = 1000;
	}
	if (n <= sizeof(md->sent) - md->sent_len) {
		memcpy(md->sent + md->sent_len, p, n);
		md->sent_len += n;
	}
	btc_hs_consume(hs, n);
	FUZZ_ASSERT(btc_hs_output(hs, &p) == avail - n);
	if (md->sent_msgs >= 1000 || md->misbehave)
		return;
	for (;;) {
		struct btc_msg m;
		size_t used;
		int r = btc_msg_decode(&m, &used, md->magic, md->sent + off, md->sent_len - off);

		if (r == PS_ERR_NEED_MORE)
			break;
		FUZZ_ASSERT(r == PS_OK);
		FUZZ_ASSERT(m.cmd != BTC_CMD_UNKNOWN);
		FUZZ_ASSERT((m.cmd == BTC_CMD_VERSION) == (md->sent_msgs == 0));
		if (m.cmd == BTC_CMD_VERSION) {
			FUZZ_ASSERT(m.u.version.nonce == btc_hs_nonce(hs));
			md->sent_version = true;
		}
		if (m.cmd == BTC_CMD_VERACK) {
			FUZZ_ASSERT(md->sent_version && !md->sent_verack && btc_hs_peer(hs));
			md->sent_verack = true;
		}
		md->sent_msgs++;
		off += used;
	}
	memmove(md->sent, md->sent + off, md->sent_len - off);
	md->sent_len -= off;
}

static uint64_t later(uint64_t now, uint64_t d)
{
	return now > UINT64_MAX - d ? UINT64_MAX : now + d;
}

void fuzz_btc_hs_run(enum btc_role role, const uint8_t *data, size_t size)
{
	static struct btc_hs hs;
	static struct model md;
	static uint8_t msg[BTC_HEADER_LEN + 1024];
	struct fdp f = fdp_make(data, size);
	struct btc_hs_config cfg;
	struct fuzz_rng rng = { fdp_u64(&f) };
	uint8_t conf = fdp_u8(&f);
	const uint8_t *magic = btc_networks[conf % btc_network_count].magic;
	uint64_t now = (conf & 0x80) ? fdp_u64(&f) : UINT64_C(1000000000);
	const uint8_t *out;
	size_t n, len;
	int r;

	memset(&md, 0, sizeof(md));
	md.magic = magic;
	fuzz_btc_config(&cfg, magic, &rng);
	/* The reference peer's misbehaviour switches (peershake --bug): on when
	 * the RNG seed's top byte is 0xbb (the input layout stays as it was),
	 * the switches and injections from its other bits. Our own output is
	 * then deliberately wrong: only the state machine's invariants hold. */
	md.misbehave = (rng.s >> 56) == 0xbb;
	if (md.misbehave) {
		uint8_t more[8];

		cfg.bugs = rng.s & ((UINT64_C(1) << 22) - 1);
		cfg.ninject = (rng.s >> 22) & 3;
		for (size_t i = 0; i < cfg.ninject; i++) {
			cfg.inject[i].cmd =
				(enum btc_cmd)((rng.s >> (24 + 8 * i)) % BTC_CMD_COUNT_);
			cfg.inject[i].when = (enum btc_when)((rng.s >> (28 + 8 * i)) % 3);
			cfg.inject[i].empty_command = (rng.s >> (31 + 8 * i)) & 1;
		}
		/* the later switches (bits 22..) and the injections' delays
		 * from a second draw: bad-alone only with a spoilt version to
		 * send alone (btc_hs_init refuses it otherwise); a delay of
		 * 1..4096 ms on half of the after-verack injections;
		 * user-agent-noncanonical not with version-short (no user agent) */
		fuzz_rng_fill(&rng, more, sizeof(more));
		cfg.bugs |= (uint64_t)(more[0] & 0x0f) << 22;
		if (cfg.bugs & BTC_BUG_VERSION_SHORT)
			cfg.bugs &= ~(uint64_t)BTC_BUG_UA_NONCANONICAL;
		if ((cfg.bugs & BTC_BUG_BAD_ALONE) && !btc_mis_alone_applies(cfg.bugs))
			cfg.bugs &= ~(uint64_t)BTC_BUG_BAD_ALONE;
		for (size_t i = 0; i < cfg.ninject; i++)
			if (cfg.inject[i].when == BTC_AFTER_VERACK && (more[1] >> i) & 1)
				cfg.inject[i].delay_ms =
					1 + (uint32_t)(((more[2 + 2 * i] << 8) | more[3 + 2 * i]) &
						       0xfff);
	}
	/* Addresses (btc/addr.h), on bit 47 of the seed (the input layout
	 * stays as it was): the responder answers getaddr from a book of one
	 * address of each kept network, at a percentage from the seed; the
	 * initiator sends getaddr after its verack, keeps at most 4 entries
	 * and waits 0..255 ms after the handshake. */
	if ((rng.s >> 47) & 1) {
		static const char *const text[5] = {
			"1.2.3.4",
			"2001:4860::8888",
			"pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
			"ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p",
			"fc00:1:2:3:4:5:6:7",
		};
		static struct btc_addr book[5], store[4];

		for (size_t i = 0; i < 5; i++) {
			memset(&book[i], 0, sizeof(book[i]));
			FUZZ_ASSERT(btc_addr_parse(&book[i], text[i], strlen(text[i])) == PS_OK);
			book[i].time = (uint32_t)cfg.unix_time;
			book[i].port = 8333;
		}
		cfg.addrbook = book;
		cfg.naddrbook = 5;
		cfg.addr_pct = (unsigned)((rng.s >> 40) & 0x7f);
		cfg.getaddr = true;
		cfg.getaddr_wait_ns = ((rng.s >> 32) & 0xff) * UINT64_C(1000000);
		cfg.addr_store = store;
		cfg.addr_store_cap = 4;
	}
	if (conf & 0x08)
		cfg.version = (int32_t)fdp_u32(&f);
	if (conf & 0x10)
		cfg.required_services = fdp_u64(&f);
	if (conf & 0x20)
		cfg.timeout_ns = fdp_u64(&f) >> (fdp_u8(&f) & 63);
	cfg.relay = conf & 0x40;

	md.role = role;
	md.silent = (cfg.bugs & BTC_BUG_SILENT) != 0;
	r = btc_hs_init(&hs, role, &cfg, now);
	FUZZ_ASSERT(r == PS_OK);
	/* a deadline, if any, lies ahead of the start */
	FUZZ_ASSERT(btc_hs_expiry(&hs) > now || btc_hs_expiry(&hs) == UINT64_MAX);
	check(&hs, &md);

	for (unsigned ops = 0; ops < 64 && fdp_left(&f) > 0; ops++) {
		uint8_t op = fdp_u8(&f);
		const uint8_t *raw;
		bool timed = true; /* the op called the machine with now */

		switch (op % 10) {
		case 0:
		case 1:
		case 2: /* a well-formed message, in one to three pieces */
			n = fuzz_btc_message(&f, magic, msg, sizeof(msg));
			timed = n > 0;
			for (size_t off = 0, k; off < n; off += k) {
				k = (op & 0x30) ? 1 + fdp_below(&f, n - off) : n - off;
				input(&hs, &md, now, msg + off, k);
			}
			break;
		case 3: /* raw bytes */
			raw = fdp_view(&f, 1024, &len);
			input(&hs, &md, now, raw, len);
			break;
		case 4: /* time passes */
			now = later(now, (uint64_t)fdp_u32(&f) << (fdp_u8(&f) & 31));
			if (op & 0x10)
				btc_hs_handle_expiry(&hs, now);
			else
				input(&hs, &md, now, msg, 0);
			break;
		case 5:
		case 6: /* the transport sends some of the output */
			consume(&hs, &md, fdp_below(&f, btc_hs_output(&hs, &out) + 2));
			timed = false;
			break;
		case 7:
			drain(&hs, &md);
			timed = false;
			break;
		case 8: /* after success, a ping of our own (as --linger does) */
			timed = false;
			fuzz_btc_ping(&hs, &f);
			break;
		default: /* the connection ends */
			timed = false;
			if ((op & 0xf0) == 0xf0)
				btc_hs_close(&hs, (op & 1) ? PS_ERR_CLOSED : PS_ERR_SYSTEM);
			break;
		}
		check(&hs, &md);
		/* a call at or past the deadline leaves nothing pending */
		if (timed)
			FUZZ_ASSERT(btc_hs_expiry(&hs) > now || btc_hs_expiry(&hs) == UINT64_MAX);
	}
	drain(&hs, &md);
	consume(&hs, &md, btc_hs_output(&hs, &out));
	btc_hs_close(&hs, PS_ERR_CLOSED);
	check(&hs, &md);
	drain(&hs, &md);
	FUZZ_ASSERT(btc_hs_ended(&hs) && btc_hs_outcome(&hs) != PS_PENDING);
	FUZZ_ASSERT(md.n_success == (btc_hs_outcome(&hs) == PS_SUCCESS));
	FUZZ_ASSERT(strcmp(ps_outcome_name(btc_hs_outcome(&hs)), "PENDING") != 0);
}
