/*
 * cmd_btc.c - the DNS-seed sweep, `btc connect` and `btc listen`.
 *
 * Every target is resolved asynchronously and every address is handshaken
 * with at once (up to the descriptor limit; beyond it addresses wait their
 * turn, each with its own full timeout), so a sweep takes about one timeout.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "btc/handshake.h"
#include "cli/cmd.h"
#include "cli/report.h"
#include "core/endpoint.h"
#include "crypto/crypto.h"
#include "net/btc_session.h"
#include "net/dns.h"
#include "net/loop.h"
#include "net/sock.h"

struct conn {
	struct btc_session s;
	struct conn *prev, *next;
	struct btc_run *run;
	const char *fail_note; /* the core's note on the FAILED event */
};

struct btc_run {
	struct cli_opts *o;
	struct report rep;
	struct net_loop *loop;
	struct net_dns *dns;
	struct btc_hs_config cfg;
	struct sockaddr_storage *queue;
	size_t qhead, qlen, qcap;
	size_t active, max_active;
	struct conn *conns; /* live sessions */
	int listen_fd, listen_watch;
	bool usage_failure; /* a target did not resolve */
	bool runtime_failure;
};

static const struct btc_session_ops session_ops;

/* ---- self-connection: Core's CheckIncomingNonce over our pending outbound */

static bool is_local_nonce(void *ctx, uint64_t nonce)
{
	struct btc_run *run = ctx;

	for (struct conn *c = run->conns; c; c = c->next)
		if (c->s.outbound && c->s.state == BTC_SESS_OPEN && c->s.hs.nonce == nonce)
			return true;
	return false;
}

/* ---- reporting ---- */

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

static void report_peer_fields(struct jobj *j, const struct btc_peer_info *p)
{
	jint(j, "version", p->version);
	jhex64(j, "services", p->services);
	jstrn(j, "user_agent", p->user_agent, p->user_agent_len);
	jint(j, "start_height", p->start_height);
	jbool(j, "relay", p->relay);
	jhex64(j, "nonce", p->nonce);
}

static void text_peer_fields(struct report *r, const char *tag, const struct btc_session *s,
			     const char *why)
{
	const struct btc_peer_info *p = &s->hs.peer;
	char names[128];
	FILE *f = report_line(r);

	fprintf(f, "%-8s %s  version=%d services=0x%016llx", tag, s->name, p->version,
		(unsigned long long)p->services);
	if (p->services)
		fprintf(f, " (%s)", services_names(p->services, names, sizeof(names)));
	fputs(" user_agent=\"", f);
	report_sanitized(f, p->user_agent, p->user_agent_len);
	fprintf(f, "\" height=%d relay=%d", p->start_height, p->relay ? 1 : 0);
	if (why)
		fprintf(f, "  %s", why);
	fprintf(f, " (%llu ms)\n", (unsigned long long)((s->end_ns - s->start_ns) / 1000000u));
	fflush(f);
}

/* The reason a handshake did not succeed, in words. */
static void failure_reason(const struct conn *c, char *buf, size_t cap)
{
	const struct btc_session *s = &c->s;
	const char *stage = s->state == BTC_SESS_CONNECTING || !s->connected_ns ? "connect"
			    : s->hs.got_version					? "verack"
										: "version";

	switch (s->err) {
	case PS_ERR_REFUSED:
		snprintf(buf, cap, "refused");
		break;
	case PS_ERR_UNREACHABLE:
		snprintf(buf, cap, "unreachable");
		break;
	case PS_ERR_TIMEOUT:
		if (!s->connected_ns)
			snprintf(buf, cap, "timed out connecting");
		else
			snprintf(buf, cap, "timed out waiting for %s", stage);
		break;
	case PS_ERR_CLOSED:
		snprintf(buf, cap, "closed by peer before %s", stage);
		break;
	case PS_ERR_BAD_MAGIC:
	case PS_ERR_TOO_LARGE:
	case PS_ERR_OBSOLETE_VERSION:
	case PS_ERR_SELF_CONNECT:
	case PS_ERR_PROTOCOL:
	case PS_ERR_MISSING_SERVICES:
		snprintf(buf, cap, "protocol error: %s%s%s", ps_errname(s->err),
			 c->fail_note ? ": " : "", c->fail_note ? c->fail_note : "");
		break;
	default:
		snprintf(buf, cap, "%s: %s", ps_errname(s->err), ps_strerror(s->err));
		break;
	}
}

static void report_result(struct btc_run *run, struct conn *c)
{
	struct btc_session *s = &c->s;
	const char *outcome = btc_outcome_name(s->outcome);
	char why[200];
	struct jobj j;

	if (s->outcome == BTC_PENDING)
		outcome = "FAILED";
	report_count(&run->rep, outcome);
	why[0] = 0;
	if (s->outcome != BTC_SUCCESS)
		failure_reason(c, why, sizeof(why));

	if (run->rep.json) {
		report_begin(&run->rep, &j, "result");
		jstr(&j, "proto", "btc");
		jstr(&j, "peer", s->name);
		jstr(&j, "direction", s->outbound ? "outbound" : "inbound");
		jstr(&j, "result", outcome);
		if (s->outcome != BTC_SUCCESS) {
			jstr(&j, "reason", ps_errname(s->err));
			jstr(&j, "detail", why);
		}
		if (s->hs.got_version)
			report_peer_fields(&j, &s->hs.peer);
		juint(&j, "duration_ms", (s->end_ns - s->start_ns) / 1000000u);
		juint(&j, "bytes_in", s->hs.bytes_in);
		juint(&j, "bytes_out", s->hs.bytes_out);
		report_end(&j);
	} else if (s->hs.got_version) {
		text_peer_fields(&run->rep, outcome, s, why[0] ? why : NULL);
	} else {
		report_text(&run->rep, "%-8s %s  %s (%llu ms)", outcome, s->name, why,
			    (unsigned long long)((s->end_ns - s->start_ns) / 1000000u));
	}
	report_progress(&run->rep);
}

/* ---- session callbacks ---- */

static void on_connected(void *ctx, struct btc_session *s)
{
	struct btc_run *run = ctx;
	struct jobj j;

	if (run->rep.json) {
		report_begin(&run->rep, &j, "connected");
		jstr(&j, "proto", "btc");
		jstr(&j, "peer", s->name);
		jstr(&j, "local", s->local);
		report_end(&j);
	} else if (run->rep.verbose) {
		report_text(&run->rep, "  %s connected from %s", s->name, s->local);
	}
}

static void on_event(void *ctx, struct btc_session *s, const struct btc_event *ev)
{
	struct btc_run *run = ctx;
	struct conn *c = s->user;
	static const char *const names[] = {
		[BTC_EV_SENT] = "sent",
		[BTC_EV_RECV] = "recv",
		[BTC_EV_DROPPED] = "dropped",
		[BTC_EV_VERSION] = "version",
		[BTC_EV_SUCCESS] = "success",
		[BTC_EV_FAILED] = "failed",
		[BTC_EV_DISCONNECT] = "disconnect",
	};
	struct jobj j;

	if (ev->type == BTC_EV_FAILED)
		c->fail_note = ev->note;
	/* SUCCESS and FAILED are reported once, as the result, when the
	 * connection is over */
	if (ev->type == BTC_EV_SUCCESS || ev->type == BTC_EV_FAILED)
		return;
	if (run->rep.json) {
		report_begin(&run->rep, &j, names[ev->type]);
		jstr(&j, "proto", "btc");
		jstr(&j, "peer", s->name);
		if (ev->type == BTC_EV_VERSION) {
			report_peer_fields(&j, &s->hs.peer);
		} else {
			jstr(&j, "command", ev->command);
			juint(&j, "length", ev->length);
		}
		if (ev->err)
			jstr(&j, "error", ps_errname(ev->err));
		if (ev->note)
			jstr(&j, "note", ev->note);
		report_end(&j);
		return;
	}
	if (!run->rep.verbose)
		return;
	switch (ev->type) {
	case BTC_EV_SENT:
		report_text(&run->rep, "  %s -> %s (%u bytes)", s->name, ev->command, ev->length);
		break;
	case BTC_EV_RECV:
		report_text(&run->rep, "  %s <- %s (%u bytes)%s%s", s->name, ev->command,
			    ev->length, ev->note ? " " : "", ev->note ? ev->note : "");
		break;
	case BTC_EV_DROPPED:
		report_text(&run->rep, "  %s <- %s (%u bytes) dropped: %s", s->name, ev->command,
			    ev->length, ps_errname(ev->err));
		break;
	case BTC_EV_DISCONNECT:
		report_text(&run->rep, "  %s disconnect: %s (%s)", s->name, ps_errname(ev->err),
			    ev->note ? ev->note : "");
		break;
	case BTC_EV_VERSION:
	case BTC_EV_SUCCESS:
	case BTC_EV_FAILED:
	default:
		break;
	}
}

static void start_queued(struct btc_run *run);

static void on_result(void *ctx, struct btc_session *s)
{
	struct btc_run *run = ctx;

	report_result(run, s->user);
	if (run->o->mode == MODE_BTC_LISTEN && run->o->count && run->rep.success >= run->o->count)
		net_loop_stop(run->loop);
}

static void on_done(void *ctx, struct btc_session *s)
{
	struct btc_run *run = ctx;
	struct conn *c = s->user;

	if (c->prev)
		c->prev->next = c->next;
	else
		run->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	run->active--;
	free(c);

	if (run->o->mode == MODE_BTC_LISTEN && run->o->count && run->rep.success >= run->o->count)
		net_loop_stop(run->loop);
	start_queued(run);
}

static const struct btc_session_ops session_ops = {
	.on_connected = on_connected,
	.on_event = on_event,
	.on_result = on_result,
	.on_done = on_done,
};

static struct conn *conn_new(struct btc_run *run)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->run = run;
	c->s.user = c;
	c->next = run->conns;
	if (run->conns)
		run->conns->prev = c;
	run->conns = c;
	run->active++;
	return c;
}

static void report_started(struct btc_run *run, const char *name, bool outbound)
{
	struct jobj j;

	run->rep.total++;
	if (run->rep.json) {
		report_begin(&run->rep, &j, "started");
		jstr(&j, "proto", "btc");
		jstr(&j, "peer", name);
		jstr(&j, "direction", outbound ? "outbound" : "inbound");
		report_end(&j);
	} else {
		report_text(&run->rep, "%-8s %s", "STARTED", name);
	}
}

/* Start queued addresses while descriptors allow. */
static void start_queued(struct btc_run *run)
{
	while (run->qhead < run->qlen && run->active < run->max_active) {
		struct sockaddr_storage *ss = &run->queue[run->qhead++];
		struct conn *c = conn_new(run);
		char name[NET_ADDRSTRLEN];

		if (!c) {
			run->runtime_failure = true;
			return;
		}
		net_addr_format(name, ss);
		report_started(run, name, true);
		if (btc_session_connect(&c->s, run->loop, ss, &run->cfg,
					run->o->linger_ms * 1000000u, &session_ops, run) != PS_OK)
			run->runtime_failure = true;
	}
}

static int enqueue(struct btc_run *run, const struct sockaddr_storage *ss)
{
	if (run->qlen == run->qcap) {
		size_t cap = run->qcap ? run->qcap * 2 : 64;
		struct sockaddr_storage *q = realloc(run->queue, cap * sizeof(*q));
		if (!q)
			return PS_ERR_NOMEM;
		run->queue = q;
		run->qcap = cap;
	}
	run->queue[run->qlen++] = *ss;
	return PS_OK;
}

/* ---- DNS ---- */

struct name_query {
	struct btc_run *run;
	char name[PS_HOST_MAX + 1];
};

static void on_resolved(void *ctx, int err, const char *detail,
			const struct sockaddr_storage *addrs, size_t n)
{
	struct name_query *q = ctx;
	struct btc_run *run = q->run;
	struct jobj j;

	if (err != PS_OK) {
		run->usage_failure = true;
		fprintf(stderr, "peershake: %s: %s%s%s%s\n", q->name,
			err == PS_ERR_DNS_EMPTY ? "resolves to no address" : "does not resolve",
			detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
		if (run->rep.json) {
			report_begin(&run->rep, &j, "dns_error");
			jstr(&j, "name", q->name);
			jstr(&j, "error", ps_errname(err));
			if (detail)
				jstr(&j, "detail", detail);
			report_end(&j);
		}
		free(q);
		return;
	}
	if (run->rep.json) {
		char a[NET_ADDRSTRLEN];
		report_begin(&run->rep, &j, "resolved");
		jstr(&j, "name", q->name);
		juint(&j, "count", n);
		fputs(",\"addresses\":[", run->rep.out);
		for (size_t i = 0; i < n; i++) {
			net_addr_format(a, &addrs[i]);
			fprintf(run->rep.out, "%s\"%s\"", i ? "," : "", a);
		}
		fputc(']', run->rep.out);
		report_end(&j);
	} else if (run->rep.verbose) {
		report_text(&run->rep, "  %s resolved to %zu addresses", q->name, n);
	}
	for (size_t i = 0; i < n; i++)
		if (enqueue(run, &addrs[i]) != PS_OK)
			run->runtime_failure = true;
	free(q);
	net_raise_nofile(run->qlen - run->qhead + run->active + 64);
	start_queued(run);
}

static int add_target(struct btc_run *run, const char *target)
{
	struct ps_endpoint ep;
	struct sockaddr_storage ss;
	uint16_t port = run->o->port ? run->o->port : run->o->network->port;
	struct name_query *q;

	if (ps_endpoint_parse(&ep, target) != PS_OK)
		return PS_ERR_INVALID_ARG; /* cli_parse checked already */
	if (ep.has_port)
		port = ep.port;
	if (net_addr_numeric(&ss, ep.host, port))
		return enqueue(run, &ss);
	if (ep.bracketed)
		return PS_ERR_INVALID_ARG;
	if (!run->dns) {
		int err;
		run->dns = net_dns_create(run->loop, run->o->dns_server, &err);
		if (!run->dns)
			return err;
	}
	if (!(q = calloc(1, sizeof(*q))))
		return PS_ERR_NOMEM;
	q->run = run;
	snprintf(q->name, sizeof(q->name), "%s", ep.host);
	return net_dns_resolve(run->dns, ep.host, port, on_resolved, q);
}

/* ---- listen ---- */

static void on_accept(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct btc_run *run = ctx;

	(void)loop;
	if (revents == 0) {
		/* the back-off below is over: accept again */
		net_watch_set_events(run->loop, run->listen_watch, POLLIN);
		net_watch_set_deadline(run->loop, run->listen_watch, UINT64_MAX);
		return;
	}
	for (;;) {
		struct sockaddr_storage ss;
		char name[NET_ADDRSTRLEN];
		struct conn *c;
		int fd, r = net_sock_accept(&fd, &ss, run->listen_fd);

		if (r == PS_ERR_NEED_MORE)
			return;
		if (r != PS_OK) {
			/* out of descriptors: the socket stays readable, so stop
			 * watching it for a moment instead of spinning */
			fprintf(stderr, "peershake: accept: %s\n", strerror(errno));
			net_watch_set_events(run->loop, run->listen_watch, 0);
			net_watch_set_deadline(run->loop, run->listen_watch, now_ns + 100000000u);
			return;
		}
		if (!(c = conn_new(run))) {
			close(fd);
			continue;
		}
		net_addr_format(name, &ss);
		report_started(run, name, false);
		if (btc_session_accept(&c->s, run->loop, fd, &ss, &run->cfg,
				       run->o->linger_ms * 1000000u, &session_ops, run) != PS_OK)
			run->runtime_failure = true;
	}
}

static int start_listen(struct btc_run *run)
{
	struct ps_endpoint ep;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char name[NET_ADDRSTRLEN];
	struct jobj j;

	if (ps_endpoint_parse(&ep, run->o->listen) != PS_OK || !ep.has_port) {
		/* port 0 is "any free port"; ps_port_parse refuses it */
		const char *colon = strrchr(run->o->listen, ':');
		if (!colon || strcmp(colon, ":0") != 0) {
			fprintf(stderr, "peershake: bad listen address '%s': want ADDR:PORT\n",
				run->o->listen);
			return EXIT_USAGE;
		}
		char host[PS_HOST_MAX + 1];
		size_t hlen = (size_t)(colon - run->o->listen);
		const char *h = run->o->listen;
		if (hlen >= sizeof(host) || hlen == 0) {
			fprintf(stderr, "peershake: bad listen address '%s'\n", run->o->listen);
			return EXIT_USAGE;
		}
		if (h[0] == '[' && h[hlen - 1] == ']') {
			h++;
			hlen -= 2;
		}
		memcpy(ep.host, h, hlen);
		ep.host[hlen] = 0;
		ep.port = 0;
	}
	if (!net_addr_numeric(&ss, ep.host, ep.port)) {
		fprintf(stderr, "peershake: listen address '%s' is not a numeric IP address\n",
			ep.host);
		return EXIT_USAGE;
	}
	if (net_sock_listen(&run->listen_fd, &ss, 1024) != PS_OK) {
		fprintf(stderr, "peershake: cannot listen on %s: %s\n", run->o->listen,
			strerror(errno));
		return EXIT_RUNTIME;
	}
	if (getsockname(run->listen_fd, (struct sockaddr *)&ss, &len) != 0) {
		fprintf(stderr, "peershake: getsockname: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	run->listen_watch =
		net_watch_add(run->loop, run->listen_fd, POLLIN, UINT64_MAX, on_accept, run);
	if (run->listen_watch < 0)
		return EXIT_RUNTIME;
	net_addr_format(name, &ss);
	if (run->rep.json) {
		report_begin(&run->rep, &j, "listening");
		jstr(&j, "proto", "btc");
		jstr(&j, "addr", name);
		juint(&j, "port", net_addr_port(&ss));
		report_end(&j);
	} else {
		report_text(&run->rep, "LISTENING %s", name);
	}
	return 0;
}

/* ---- the command ---- */

static void report_summary(struct btc_run *run)
{
	struct report *r = &run->rep;
	struct jobj j;

	if (r->json) {
		report_begin(r, &j, "summary");
		jstr(&j, "proto", "btc");
		juint(&j, "peers", r->done);
		juint(&j, "success", r->success);
		juint(&j, "partial", r->partial);
		juint(&j, "failed", r->failed);
		juint(&j, "duration_ms", report_ms(r));
		report_end(&j);
	} else {
		report_text(r, "Summary: %zu peers: Success %zu, Partial %zu, Failed %zu (%llu ms)",
			    r->done, r->success, r->partial, r->failed,
			    (unsigned long long)report_ms(r));
	}
}

int cmd_btc(struct cli_opts *o)
{
	struct btc_run run;
	int status = 0;

	memset(&run, 0, sizeof(run));
	run.o = o;
	run.listen_fd = -1;
	run.listen_watch = -1;
	report_init(&run.rep, o->json, o->verbose, o->progress);
	if (!(run.loop = net_loop_create(true))) {
		fprintf(stderr, "peershake: out of memory\n");
		return EXIT_RUNTIME;
	}
	memcpy(run.cfg.magic, o->magic, 4);
	run.cfg.version = o->version;
	run.cfg.services = o->services;
	run.cfg.user_agent = o->user_agent;
	run.cfg.start_height = o->start_height;
	run.cfg.relay = o->relay;
	run.cfg.timeout_ns = o->timeout_ms * 1000000u;
	run.cfg.required_services = o->require_services;
	run.cfg.is_local_nonce = is_local_nonce;
	run.cfg.nonce_ctx = &run;
	run.cfg.rng = cry_rng;
	{
		size_t limit = net_raise_nofile(o->ntargets + o->nconnect + 1024);
		run.max_active = limit > 96 ? limit - 64 : 32;
		if (o->max_concurrent && o->max_concurrent < run.max_active)
			run.max_active = o->max_concurrent;
	}

	if (o->mode == MODE_BTC_LISTEN && (status = start_listen(&run)) != 0)
		goto out;
	for (size_t i = 0; i < o->ntargets; i++) {
		int r = add_target(&run, o->targets[i]);
		if (r != PS_OK) {
			fprintf(stderr, "peershake: %s: %s\n", o->targets[i], ps_strerror(r));
			status = r == PS_ERR_INVALID_ARG ? EXIT_USAGE : EXIT_RUNTIME;
			goto out;
		}
	}
	for (size_t i = 0; i < o->nconnect; i++) {
		int r = add_target(&run, o->connect[i]);
		if (r != PS_OK) {
			fprintf(stderr, "peershake: %s: %s\n", o->connect[i], ps_strerror(r));
			status = EXIT_USAGE;
			goto out;
		}
	}
	start_queued(&run);

	if (net_loop_run(run.loop) != PS_OK) {
		fprintf(stderr, "peershake: poll: %s\n", strerror(errno));
		run.runtime_failure = true;
	}
	/* stopped early (signal, --count): end what is still running */
	while (run.conns)
		btc_session_abort(&run.conns->s, PS_ERR_CLOSED);
	report_summary(&run);

	if (run.usage_failure)
		status = EXIT_USAGE;
	else if (run.runtime_failure)
		status = EXIT_RUNTIME;
	else
		status = run.rep.success > 0 ? EXIT_HANDSHAKE_OK : EXIT_NO_HANDSHAKE;
out:
	if (run.listen_fd >= 0)
		close(run.listen_fd);
	net_dns_destroy(run.dns);
	net_loop_destroy(run.loop);
	free(run.queue);
	return status;
}
