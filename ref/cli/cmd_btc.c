/*
 * cmd_btc.c - the DNS-seed sweep, `btc connect` and `btc listen`: the
 * Bitcoin v1 hooks of the common runner (cli/run.c).
 */
#include <stdlib.h>
#include <string.h>

#include "btc/handshake.h"
#include "cli/cmd.h"
#include "cli/run.h"
#include "crypto/crypto.h"
#include "net/cores.h"

struct btc_conn {
	struct run_conn rc; /* first */
	struct net_btc_core core;
};

struct btc_ctx {
	struct btc_hs_config cfg; /* the template every connection starts from */
};

static struct btc_hs *conn_hs(struct run_conn *c)
{
	return &((struct btc_conn *)c)->core.hs;
}

/* Core's CheckIncomingNonce: an inbound version carrying the nonce of one
 * of our own outbound handshakes still in progress is ourselves. */
static bool is_local_nonce(void *ctx, uint64_t nonce)
{
	struct run *run = ctx;

	for (struct run_conn *c = run->conns; c; c = c->next)
		if (c->s.outbound && c->s.state == NET_SESS_OPEN && c->s.started &&
		    conn_hs(c)->state != BTC_HS_CLOSED && conn_hs(c)->nonce == nonce)
			return true;
	return false;
}

static void btc_conn_init(struct run *run, struct run_conn *c)
{
	struct btc_conn *bc = (struct btc_conn *)c;
	struct btc_ctx *ctx = run->proto_ctx;

	bc->core.cfg = ctx->cfg;
	c->core = &bc->core;
}

static const char *btc_stage(const struct run_conn *c)
{
	return btc_hs_peer(&((const struct btc_conn *)c)->core.hs) ? "verack" : "version";
}

static const char *services_names(uint64_t s, char *buf, size_t cap)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} bits[] = {
		{ BTC_NODE_NETWORK, "NETWORK" },
		{ BTC_NODE_BLOOM, "BLOOM" },
		{ BTC_NODE_WITNESS, "WITNESS" },
		{ BTC_NODE_COMPACT_FILTERS, "COMPACT_FILTERS" },
		{ BTC_NODE_NETWORK_LIMITED, "NETWORK_LIMITED" },
		{ BTC_NODE_P2P_V2, "P2P_V2" },
	};
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(s & bits[i].bit))
			continue;
		int w = snprintf(buf + n, cap - n, "%s%s", n ? "|" : "", bits[i].name);
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
	return buf;
}

static void peer_json(struct jobj *j, const struct btc_peer_info *p)
{
	jint(j, "version", p->version);
	jhex64(j, "services", p->services);
	jstrn(j, "user_agent", p->user_agent, p->user_agent_len);
	jint(j, "start_height", p->start_height);
	jbool(j, "relay", p->relay);
	jhex64(j, "nonce", p->nonce);
}

static void btc_result_json(struct run *run, struct run_conn *c, struct jobj *j)
{
	struct btc_hs *hs = conn_hs(c);

	(void)run;
	if (btc_hs_peer(hs))
		peer_json(j, btc_hs_peer(hs));
	juint(j, "bytes_in", btc_hs_bytes_in(hs));
	juint(j, "bytes_out", btc_hs_bytes_out(hs));
}

static void btc_result_text(struct run *run, struct run_conn *c, FILE *f)
{
	const struct btc_peer_info *p = btc_hs_peer(conn_hs(c));
	char names[128];

	(void)run;
	if (!p)
		return;
	fprintf(f, " version=%d services=0x%016llx", p->version, (unsigned long long)p->services);
	if (p->services)
		fprintf(f, " (%s)", services_names(p->services, names, sizeof(names)));
	fputs(" user_agent=\"", f);
	report_sanitized(f, p->user_agent, p->user_agent_len);
	fprintf(f, "\" height=%d relay=%d", p->start_height, p->relay ? 1 : 0);
}

static void btc_on_events(struct run *run, struct run_conn *c)
{
	static const char *const names[] = {
		[BTC_EV_SENT] = "sent",
		[BTC_EV_RECV] = "recv",
		[BTC_EV_DROPPED] = "dropped",
		[BTC_EV_VERSION] = "version",
		[BTC_EV_SUCCESS] = "success",
		[BTC_EV_FAILED] = "failed",
		[BTC_EV_DISCONNECT] = "disconnect",
	};
	struct btc_hs *hs = conn_hs(c);
	const char *name = c->s.name;
	struct btc_event ev;
	struct jobj j;

	while (btc_hs_next_event(hs, &ev)) {
		if (ev.type == BTC_EV_FAILED)
			c->fail_note = ev.note;
		/* SUCCESS and FAILED are reported once, as the result */
		if (ev.type == BTC_EV_SUCCESS || ev.type == BTC_EV_FAILED)
			continue;
		if (run->rep.json) {
			run_json_begin(run, &j, names[ev.type], c);
			if (ev.type == BTC_EV_VERSION && btc_hs_peer(hs)) {
				peer_json(&j, btc_hs_peer(hs));
			} else {
				jstr(&j, "command", ev.command);
				juint(&j, "length", ev.length);
			}
			if (ev.err)
				jstr(&j, "error", ps_errname(ev.err));
			if (ev.note)
				jstr(&j, "note", ev.note);
			report_end(&j);
			continue;
		}
		if (!run->rep.verbose)
			continue;
		switch (ev.type) {
		case BTC_EV_SENT:
			report_text(&run->rep, "  %s -> %s (%u bytes)", name, ev.command,
				    ev.length);
			break;
		case BTC_EV_RECV:
			report_text(&run->rep, "  %s <- %s (%u bytes)%s%s", name, ev.command,
				    ev.length, ev.note ? " " : "", ev.note ? ev.note : "");
			break;
		case BTC_EV_DROPPED:
			report_text(&run->rep, "  %s <- %s (%u bytes) dropped: %s", name,
				    ev.command, ev.length, ps_errname(ev.err));
			break;
		case BTC_EV_DISCONNECT:
			report_text(&run->rep, "  %s disconnect: %s (%s)", name, ps_errname(ev.err),
				    ev.note ? ev.note : "");
			break;
		case BTC_EV_VERSION:
		case BTC_EV_SUCCESS:
		case BTC_EV_FAILED:
		default:
			break;
		}
	}
}

static const struct run_proto btc_proto = {
	.name = "btc",
	.conn_size = sizeof(struct btc_conn),
	.core_ops = &net_btc_core_ops,
	.conn_init = btc_conn_init,
	.note_sep = ": ",
	.on_events = btc_on_events,
	.stage = btc_stage,
	.result_json = btc_result_json,
	.result_text = btc_result_text,
};

int cmd_btc(struct cli_opts *o)
{
	struct btc_ctx ctx;
	struct run run;

	memset(&ctx, 0, sizeof(ctx));
	memcpy(ctx.cfg.magic, o->magic, 4);
	ctx.cfg.version = o->version;
	ctx.cfg.services = o->services;
	ctx.cfg.user_agent = o->user_agent;
	ctx.cfg.start_height = o->start_height;
	ctx.cfg.relay = o->relay;
	ctx.cfg.required_services = o->require_services;
	ctx.cfg.is_local_nonce = is_local_nonce;
	ctx.cfg.nonce_ctx = &run;
	ctx.cfg.rng = cry_rng;
	ctx.cfg.bugs = o->bugs.btc;
	memcpy(ctx.cfg.inject, o->bugs.inject, sizeof(ctx.cfg.inject));
	ctx.cfg.ninject = o->bugs.ninject;
	if (o->bugs.obsolete_version)
		ctx.cfg.version = BTC_MIN_PEER_VERSION - 1;
	if (!o->port)
		o->port = o->network->port;
	return run_exec(&run, o, &btc_proto, &ctx);
}
