#include "net/cores.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A core's printable message name into ev->msg. */
static void ev_msg(struct net_event *ev, const char *name)
{
	snprintf(ev->msg, sizeof(ev->msg), "%s", name ? name : "");
}

/* ---- Bitcoin ---- */

static struct btc_hs *btc_of(void *core)
{
	return &((struct net_btc_core *)core)->hs;
}

static void btc_release(void *core);

static int btc_start(void *core, const struct net_session *s, uint64_t now_ns, uint64_t timeout_ns)
{
	struct net_btc_core *c = core;
	struct btc_hs_config cfg = *(!s->outbound && c->tmpl_in ? c->tmpl_in : c->tmpl);
	int r;

	cfg.timeout_ns = timeout_ns;
	cfg.unix_time = (int64_t)time(NULL);
	cfg.peer.services = 0;
	net_addr_ip16(cfg.peer.ip, &s->addr);
	cfg.peer.port = net_addr_port(&s->addr);
	cfg.addr_store = NULL;
	cfg.out_buf = cfg.rx_keep = NULL;
	r = PS_ERR_NOMEM;
	if (cfg.getaddr && cfg.addr_store_cap) {
		if (!(c->store = calloc(cfg.addr_store_cap, sizeof(*c->store))))
			goto fail;
		cfg.addr_store = c->store;
	}
	if (cfg.getaddr) {
		if (!(c->rx_keep = malloc(BTC_HS_RX_ADDR)))
			goto fail;
		cfg.rx_keep = c->rx_keep;
		cfg.rx_keep_len = BTC_HS_RX_ADDR;
	}
	if (cfg.addrbook) {
		if (!(c->out_buf = malloc(BTC_HS_OUT_ADDR)))
			goto fail;
		cfg.out_buf = c->out_buf;
		cfg.out_buf_len = BTC_HS_OUT_ADDR;
	}
	r = btc_hs_init(&c->hs, s->outbound ? BTC_INITIATOR : BTC_RESPONDER, &cfg, now_ns);
	if (r == PS_OK)
		return PS_OK;
fail:
	/* no release() follows a failed start: the buffers go here */
	btc_release(c);
	return r;
}

static int btc_input(void *core, uint64_t now_ns, const uint8_t *data, size_t len)
{
	return btc_hs_input(btc_of(core), now_ns, data, len);
}

static bool btc_next_event(void *core, struct net_event *out)
{
	static const enum net_ev_kind kinds[] = {
		[BTC_EV_SENT] = NET_EV_SENT,
		[BTC_EV_RECV] = NET_EV_RECV,
		[BTC_EV_DROPPED] = NET_EV_DROPPED,
		[BTC_EV_VERSION] = NET_EV_PEER,
		[BTC_EV_SUCCESS] = NET_EV_SUCCESS,
		[BTC_EV_FAILED] = NET_EV_FAILED,
		[BTC_EV_DISCONNECT] = NET_EV_DISCONNECT,
	};
	struct btc_event ev;

	if (!btc_hs_next_event(btc_of(core), &ev))
		return false;
	memset(out, 0, sizeof(*out));
	out->kind = kinds[ev.type];
	if (ev.type == BTC_EV_SENT || ev.type == BTC_EV_RECV || ev.type == BTC_EV_DROPPED)
		ev_msg(out, ev.command);
	out->length = ev.length;
	out->bytes = ev.bytes;
	out->err = ev.err;
	out->note = ev.note;
	out->has_nonce = ev.has_nonce;
	out->nonce = ev.nonce;
	out->has_count = ev.has_count;
	out->count = ev.count;
	out->items_first = ev.store_first;
	out->items_n = ev.store_n;
	return true;
}

static size_t btc_output(void *core, const uint8_t **p)
{
	return btc_hs_output(btc_of(core), p);
}

static void btc_consume(void *core, size_t n)
{
	btc_hs_consume(btc_of(core), n);
}

static uint64_t btc_expiry(void *core)
{
	return btc_hs_expiry(btc_of(core));
}

static void btc_handle_expiry(void *core, uint64_t now_ns)
{
	btc_hs_handle_expiry(btc_of(core), now_ns);
}

static void btc_close(void *core, int reason)
{
	btc_hs_close(btc_of(core), reason);
}

static enum ps_outcome btc_outcome(void *core, int *err)
{
	const struct btc_hs *hs = btc_of(core);
	enum ps_outcome o = btc_hs_outcome(hs);

	*err = o == PS_SUCCESS ? PS_OK : btc_hs_error(hs);
	/* the getaddr answer is part of what this connection is for */
	if (o == PS_SUCCESS && btc_hs_getaddr_waiting(hs))
		return PS_PENDING;
	return o;
}

static bool btc_ended(void *core)
{
	return btc_hs_ended(btc_of(core));
}

static const char *btc_note(void *core)
{
	return btc_hs_note(btc_of(core));
}

static const char *btc_waiting_for(void *core)
{
	if (btc_hs_getaddr_waiting(btc_of(core)))
		return "addr";
	return btc_hs_waiting_for(btc_of(core));
}

static uint64_t btc_events_lost(void *core)
{
	return btc_hs_events_lost(btc_of(core));
}

static void btc_release(void *core)
{
	struct net_btc_core *c = core;

	/* the v2 transport wiped its secrets when the connection ended
	 * (btc/transport.h end(), rx_keep's plaintext too), and v1 holds
	 * none; the store and the output are public */
	free(c->store);
	free(c->out_buf);
	free(c->rx_keep);
	c->store = NULL;
	c->out_buf = c->rx_keep = NULL;
}

const struct net_core_ops net_btc_core_ops = {
	.start = btc_start,
	.input = btc_input,
	.next_event = btc_next_event,
	.output = btc_output,
	.consume = btc_consume,
	.expiry = btc_expiry,
	.handle_expiry = btc_handle_expiry,
	.close = btc_close,
	.outcome = btc_outcome,
	.ended = btc_ended,
	.note = btc_note,
	.waiting_for = btc_waiting_for,
	.events_lost = btc_events_lost,
	.release = btc_release,
};

/* ---- Noise NNpsk2 ---- */

static struct noise_peer *noise_of(void *core)
{
	return &((struct net_noise_core *)core)->peer;
}

static int noise_start(void *core, const struct net_session *s, uint64_t now_ns,
		       uint64_t timeout_ns)
{
	struct net_noise_core *c = core;
	struct noise_peer_config cfg = *c->tmpl;
	int r;

	cfg.timeout_ns = timeout_ns;
	if (c->mem)
		cfg.mem = c->mem;
	r = noise_peer_init(&c->peer, s->outbound ? NOISE_PEER_INITIATOR : NOISE_PEER_RESPONDER,
			    &cfg, now_ns);
	cry_memzero(&cfg, sizeof(cfg)); /* the copy of the PSK dies here */
	return r;
}

static int noise_input(void *core, uint64_t now_ns, const uint8_t *data, size_t len)
{
	return noise_peer_input(noise_of(core), now_ns, data, len);
}

static bool noise_next_event(void *core, struct net_event *out)
{
	struct noise_peer_event ev;

	if (!noise_peer_next_event(noise_of(core), &ev))
		return false;
	memset(out, 0, sizeof(*out));
	switch (ev.type) {
	case NOISE_PEER_EV_MSG_SENT:
		out->kind = NET_EV_SENT;
		break;
	case NOISE_PEER_EV_MSG_RECV:
		out->kind = NET_EV_RECV;
		break;
	case NOISE_PEER_EV_MSG_DROPPED:
		out->kind = NET_EV_DROPPED;
		break;
	case NOISE_PEER_EV_HANDSHAKE_DONE:
		out->kind = NET_EV_KEYS;
		break;
	case NOISE_PEER_EV_SUCCESS:
		out->kind = NET_EV_SUCCESS;
		break;
	case NOISE_PEER_EV_FAILED:
	default:
		out->kind = NET_EV_FAILED;
		break;
	}
	if (out->kind == NET_EV_SENT || out->kind == NET_EV_RECV || out->kind == NET_EV_DROPPED)
		ev_msg(out, noise_peer_msg_name(ev.msg));
	out->length = ev.length;
	out->bytes = ev.bytes;
	out->err = ev.err;
	return true;
}

static size_t noise_output(void *core, const uint8_t **p)
{
	return noise_peer_output(noise_of(core), p);
}

static void noise_consume(void *core, size_t n)
{
	noise_peer_consume(noise_of(core), n);
}

static uint64_t noise_expiry(void *core)
{
	return noise_peer_expiry(noise_of(core));
}

static void noise_handle_expiry(void *core, uint64_t now_ns)
{
	noise_peer_handle_expiry(noise_of(core), now_ns);
}

static void noise_close(void *core, int reason)
{
	noise_peer_close(noise_of(core), reason);
}

static enum ps_outcome noise_outcome(void *core, int *err)
{
	*err = noise_peer_error(noise_of(core));
	return noise_peer_outcome(noise_of(core));
}

static bool noise_ended(void *core)
{
	return noise_peer_ended(noise_of(core));
}

static const char *noise_note(void *core)
{
	return noise_peer_note(noise_of(core));
}

static const char *noise_waiting_for(void *core)
{
	return noise_peer_waiting_for(noise_of(core));
}

static uint64_t noise_events_lost(void *core)
{
	return noise_peer_events_lost(noise_of(core));
}

static void noise_release(void *core)
{
	noise_peer_free(noise_of(core)); /* wipes every secret and buffer */
}

const struct net_core_ops net_noise_core_ops = {
	.start = noise_start,
	.input = noise_input,
	.next_event = noise_next_event,
	.output = noise_output,
	.consume = noise_consume,
	.expiry = noise_expiry,
	.handle_expiry = noise_handle_expiry,
	.close = noise_close,
	.outcome = noise_outcome,
	.ended = noise_ended,
	.note = noise_note,
	.waiting_for = noise_waiting_for,
	.events_lost = noise_events_lost,
	.release = noise_release,
};
