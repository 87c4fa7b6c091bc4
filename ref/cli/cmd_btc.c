/*
 * cmd_btc.c - the DNS-seed sweep, `btc connect` and `btc listen`: the
 * Bitcoin hooks of the common runner (cli/run.c) and the Bitcoin fields of
 * the lines cli/events.c writes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "btc/handshake.h"
#include "cli/addrfile.h"
#include "cli/cmd.h"
#include "cli/crawl.h"
#include "cli/events.h"
#include "cli/run.h"
#include "core/hex.h"
#include "crypto/crypto.h"
#include "net/cores.h"

struct btc_conn {
	struct run_conn rc; /* first */
	struct net_btc_core core;
};

struct btc_ctx {
	const struct cli_opts *o;
	/* the templates connections start from: outbound, its v1 retry
	 * (--v2transport auto), inbound */
	struct btc_hs_config out, out_v1, in;
	/* for the summary: results by transport, and peers advertising v2 */
	size_t by_v1, by_v2, advertise_v2;
	/* --addr-file's addresses: one file for every listen address (the
	 * inbound template's addrbook), or one a listen address, each with
	 * its own inbound template (in_each[k] for o->listen[k]) */
	struct btc_addr **books;
	size_t nbooks;
	struct btc_hs_config *in_each;
	struct crawl *crawl; /* crawl mode */
};

static const struct btc_hs *conn_hs(const struct run_conn *c)
{
	return &((const struct btc_conn *)c)->core.hs;
}

/* Core's CheckIncomingNonce: an inbound version carrying the nonce of one
 * of our own outbound handshakes still in progress is ourselves. */
static bool is_local_nonce(void *ctx, uint64_t nonce)
{
	struct run *run = ctx;

	/* a listener's inbound handshakes each ask: without an outbound one
	 * there is nothing to find, and the walk would cost O(connections) a
	 * handshake */
	if (run->outbound == 0)
		return false;
	for (struct run_conn *c = run->conns; c; c = c->next)
		if (c->s.outbound && c->s.state == NET_SESS_OPEN && c->s.started &&
		    !btc_hs_ended(conn_hs(c)) && btc_hs_nonce(conn_hs(c)) == nonce)
			return true;
	return false;
}

static void btc_conn_init(struct run *run, struct run_conn *c)
{
	struct btc_conn *bc = (struct btc_conn *)c;
	struct btc_ctx *ctx = run->proto_ctx;

	bc->core.tmpl = c->attempt ? &ctx->out_v1 : &ctx->out;
	bc->core.tmpl_in =
		ctx->in_each && c->listener ? &ctx->in_each[c->listener->index] : &ctx->in;
	c->core = &bc->core;
}

/* --v2transport auto: v2 first and, when the peer closed before sending a
 * single v2 byte, one reconnect with v1, as Core does for a manual
 * connection (net.cpp: "retrying with v1 transport protocol"). */
static const char *btc_retry(struct run *run, const struct run_conn *c)
{
	const struct btc_ctx *ctx = run->proto_ctx;

	if (ctx->o->v2transport != CLI_V2_AUTO || c->attempt || c->s.outcome == PS_SUCCESS ||
	    !c->s.started || !btc_hs_v2_peer_silent(conn_hs(c)))
		return NULL;
	return "the peer closed before sending a v2 byte: once more over v1";
}

static const char *kind_name(enum btc_transport_kind k)
{
	return k == BTC_TRANSPORT_V2 ? "v2" : k == BTC_TRANSPORT_V1 ? "v1" : NULL;
}

static void btc_connected_json(struct run *run, const struct run_conn *c, struct jobj *j)
{
	const struct btc_ctx *ctx = run->proto_ctx;
	const char *t = kind_name(c->s.outbound ? (c->attempt ? ctx->out_v1 : ctx->out).transport
						: ctx->in.transport);

	/* an inbound connection serving both is told by its first bytes: the
	 * result says which */
	if (t)
		jstr(j, "transport", t);
}

/* The transport of a result, and the tally for the summary. */
static const char *result_transport(struct run *run, const struct run_conn *c)
{
	struct btc_ctx *ctx = run->proto_ctx;
	const char *t = btc_hs_transport(conn_hs(c));
	const struct btc_peer_info *p = btc_hs_peer(conn_hs(c));

	if (t && strcmp(t, "v2") == 0)
		ctx->by_v2++;
	else if (t)
		ctx->by_v1++;
	if (p && (p->services & BTC_NODE_P2P_V2))
		ctx->advertise_v2++;
	return t;
}

static void btc_summary(struct run *run, struct jobj *j, FILE *f)
{
	const struct btc_ctx *ctx = run->proto_ctx;

	if (j) {
		juint(j, "transport_v1", ctx->by_v1);
		juint(j, "transport_v2", ctx->by_v2);
		juint(j, "advertise_p2p_v2", ctx->advertise_v2);
		return;
	}
	/* a v1-only run has nothing to count by transport */
	if (ctx->o->v2transport != CLI_V2_OFF)
		fprintf(f, "; transport v1 %zu, v2 %zu", ctx->by_v1, ctx->by_v2);
	fprintf(f, "; P2P_V2 advertised by %zu", ctx->advertise_v2);
}

static void json_session_id(struct jobj *j, const uint8_t *id)
{
	char hex[2 * 32 + 1];

	ps_hex_encode(hex, id, 32);
	jstr(j, "session_id", hex);
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
	/* a version without the relay byte (optional: Core reads it "if
	 * (!vRecv.empty())") says nothing: null, not the true it implies */
	if (p->present & BTC_VERSION_HAS_RELAY)
		jbool(j, "relay", p->relay);
	else
		jnull(j, "relay");
	jhex64(j, "nonce", p->nonce);
}

static void btc_event_json(struct run *run, struct run_conn *c, const struct net_event *ev,
			   struct jobj *j)
{
	const struct btc_peer_info *p = btc_hs_peer(conn_hs(c));

	(void)run;
	if (ev->kind == NET_EV_PEER && p)
		peer_json(j, p);
}

/* One "addr" line per address an addr or addrv2 carried and the core
 * kept. */
static void btc_event_items(struct run *run, struct run_conn *c, const struct net_event *ev)
{
	size_t n;
	const struct btc_addr *a = btc_hs_addrs(conn_hs(c), &n);
	char text[BTC_ADDR_STRLEN];

	if (ev->kind != NET_EV_RECV || !a || ev->items_first > n ||
	    ev->items_n > n - ev->items_first)
		return;
	for (size_t i = ev->items_first; i < ev->items_first + ev->items_n; i++) {
		btc_addr_format(text, &a[i]);
		events_addr(run, c, btc_net_name(a[i].net), text, a[i].port, a[i].services,
			    a[i].time);
	}
}

static bool asked_getaddr(const struct run *run, const struct run_conn *c)
{
	const struct btc_ctx *ctx = run->proto_ctx;

	return c->s.outbound && ctx->o->getaddr;
}

static void btc_result_json(struct run *run, struct run_conn *c, struct jobj *j)
{
	const struct btc_hs *hs = conn_hs(c);
	const struct btc_peer_info *p = btc_hs_peer(hs);
	const struct btc_addr_tally *at = btc_hs_addr_tally(hs);
	const char *t = result_transport(run, c);
	const uint8_t *sid = btc_hs_session_id(hs);
	size_t kept;

	if (t)
		jstr(j, "transport", t);
	if (sid)
		json_session_id(j, sid);
	if (p) {
		peer_json(j, p);
		/* BIP 155: whether it asked for addrv2 */
		jbool(j, "sendaddrv2", btc_hs_peer_sendaddrv2(hs));
	}
	if (asked_getaddr(run, c)) {
		(void)btc_hs_addrs(hs, &kept);
		juint(j, "addr_messages", at->msgs_in);
		juint(j, "addr_received", at->entries_in);
		juint(j, "addr_kept", kept);
		juint(j, "addr_skipped", at->skipped);
		juint(j, "addr_over_cap", at->over_cap);
	}
	if (at->msgs_out)
		juint(j, "addr_sent", at->entries_out);
	juint(j, "bytes_in", btc_hs_bytes_in(hs));
	juint(j, "bytes_out", btc_hs_bytes_out(hs));
}

static void btc_result_text(struct run *run, struct run_conn *c, FILE *f)
{
	const struct btc_peer_info *p = btc_hs_peer(conn_hs(c));
	const char *t = result_transport(run, c);
	char names[128];

	if (t)
		if (((const struct btc_ctx *)run->proto_ctx)->o->v2transport != CLI_V2_OFF)
			fprintf(f, " transport=%s", t);
	if (!p)
		return;
	fprintf(f, " version=%d services=0x%016llx", p->version, (unsigned long long)p->services);
	if (p->services)
		fprintf(f, " (%s)", services_names(p->services, names, sizeof(names)));
	fputs(" user_agent=\"", f);
	report_sanitized(f, p->user_agent, p->user_agent_len);
	fprintf(f, "\" height=%d relay=", p->start_height);
	if (p->present & BTC_VERSION_HAS_RELAY)
		fputc(p->relay ? '1' : '0', f);
	else
		fputc('-', f); /* no relay byte */
	if (asked_getaddr(run, c))
		fprintf(f, " addr=%llu",
			(unsigned long long)btc_hs_addr_tally(conn_hs(c))->entries_in);
}

static bool crawl_filter(struct run *run, const struct run_target *t)
{
	struct btc_ctx *ctx = run->proto_ctx;

	return crawl_seed(ctx->crawl, run, t);
}

static void crawl_harvest(struct run *run, struct run_conn *c)
{
	struct btc_ctx *ctx = run->proto_ctx;

	crawl_peer(ctx->crawl, run, c, conn_hs(c));
}

static const struct run_proto btc_proto = {
	.name = "btc",
	.conn_size = sizeof(struct btc_conn),
	.core_ops = &net_btc_core_ops,
	.conn_init = btc_conn_init,
	.retry = btc_retry,
	.connected_json = btc_connected_json,
	.summary = btc_summary,
	.note_sep = ": ",
	.msg_key = "command",
	.event_json = btc_event_json,
	.event_items = btc_event_items,
	.result_json = btc_result_json,
	.result_text = btc_result_text,
};

static void free_books(struct btc_ctx *ctx)
{
	for (size_t k = 0; k < ctx->nbooks; k++)
		free(ctx->books[k]);
	free(ctx->books);
	free(ctx->in_each);
	ctx->books = NULL;
	ctx->in_each = NULL;
	ctx->nbooks = 0;
}

/* --addr-file: read every file (one, or one a listen address) into the
 * inbound templates. 0, or addrfile_load's status (said why); what was
 * read stays in ctx for free_books. */
static int load_books(struct btc_ctx *ctx, const struct cli_opts *o)
{
	uint32_t now = (uint32_t)time(NULL);
	size_t n = o->naddr_files;

	if (!(ctx->books = calloc(n, sizeof(*ctx->books))))
		return EXIT_RUNTIME;
	ctx->nbooks = n; /* NULL until read */
	if (n > 1 && !(ctx->in_each = calloc(n, sizeof(*ctx->in_each))))
		return EXIT_RUNTIME;
	for (size_t k = 0; k < n; k++) {
		struct btc_hs_config *in = n > 1 ? &ctx->in_each[k] : &ctx->in;
		size_t nbook = 0;
		int r = addrfile_load(&ctx->books[k], &nbook, o->addr_files[k], o->network->port,
				      now, stderr);

		if (r != 0)
			return r;
		if (n > 1)
			*in = ctx->in;
		in->addrbook = ctx->books[k];
		in->naddrbook = nbook;
		in->addr_pct = o->addr_pct;
	}
	return 0;
}

int cmd_btc(struct cli_opts *o)
{
	bool listen = o->mode == MODE_BTC_LISTEN;
	struct btc_hs_config *c;
	struct btc_ctx ctx;
	struct run run;

	memset(&ctx, 0, sizeof(ctx));
	ctx.o = o;
	c = &ctx.out;
	memcpy(c->magic, o->magic, 4);
	c->version = o->version;
	c->services = o->services;
	c->user_agent = o->user_agent;
	c->start_height = o->start_height;
	c->relay = o->relay;
	c->required_services = o->require_services;
	c->is_local_nonce = is_local_nonce;
	c->nonce_ctx = &run;
	c->rng = cry_rng;
	c->bugs = o->bugs.btc;
	memcpy(c->inject, o->bugs.inject, sizeof(c->inject));
	c->ninject = o->bugs.ninject;
	c->v2_bugs = o->bugs.btc_v2;
	c->v2_decoys = o->bugs.v2_decoys;
	if (o->bugs.obsolete_version)
		c->version = BTC_MIN_PEER_VERSION - 1;
	/* BIP324: our garbage as given, else a random length as Core; we
	 * announce NODE_P2P_V2 whenever this run speaks v2, unless --services
	 * said exactly what to announce */
	c->v2_garbage_random = o->v2_garbage < 0;
	c->v2_garbage_len = o->v2_garbage < 0 ? 0 : (size_t)o->v2_garbage;
	if (o->v2transport != CLI_V2_OFF && !o->services_given)
		c->services |= BTC_NODE_P2P_V2;
	ctx.out_v1 = ctx.in = ctx.out;
	/* outbound: v1 (0), v2 (1, auto); listen's --connect peers get v1 and
	 * inbound is told by its first 16 bytes unless --v2transport 0 */
	c->transport =
		!listen && o->v2transport != CLI_V2_OFF ? BTC_TRANSPORT_V2 : BTC_TRANSPORT_V1;
	ctx.out_v1.transport = BTC_TRANSPORT_V1;
	/* the v2 switches act on v2 connections only: not on auto's v1 retry,
	 * nor on listen's --connect peers (bug_check let them through for the
	 * inbound ones) */
	ctx.out_v1.v2_bugs = 0;
	if (c->transport == BTC_TRANSPORT_V1)
		c->v2_bugs = 0;
	ctx.in.transport = o->v2transport == CLI_V2_OFF ? BTC_TRANSPORT_V1 : BTC_TRANSPORT_DETECT;
	/* --getaddr: outbound only (cli_parse refuses it elsewhere) */
	ctx.out.getaddr = ctx.out_v1.getaddr = o->getaddr;
	ctx.out.getaddr_wait_ns = ctx.out_v1.getaddr_wait_ns = o->getaddr_wait_ms * 1000000u;
	ctx.out.addr_store_cap = ctx.out_v1.addr_store_cap = o->getaddr ? CLI_GETADDR_KEEP : 0;
	ctx.in.getaddr = false;
	ctx.in.addr_store_cap = 0;
	if (o->naddr_files) {
		int r = load_books(&ctx, o);
		if (r != 0) {
			free_books(&ctx);
			return r;
		}
	}
	if (!o->port)
		o->port = o->network->port;
	if (o->mode == MODE_CRAWL) {
		/* the same connections, their lines the crawl's own */
		struct run_proto crawl_proto = btc_proto;
		int status, r;

		crawl_proto.filter = crawl_filter;
		crawl_proto.harvest = crawl_harvest;
		crawl_proto.quiet = true;
		if ((r = crawl_create(&ctx.crawl, o)) != 0)
			return r;
		status = run_exec(&run, o, &crawl_proto, &ctx);
		r = crawl_finish(ctx.crawl, &run);
		crawl_destroy(ctx.crawl);
		return r ? r : status;
	}
	{
		int status = run_exec(&run, o, &btc_proto, &ctx);
		free_books(&ctx);
		return status;
	}
}
