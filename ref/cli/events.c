#include "cli/events.h"

#include <string.h>

#include "cli/run.h"

/* The common fields of every peer line: event, t_ms, proto, peer. */
static void begin_peer(struct run *run, struct jobj *j, const char *event, const char *peer)
{
	report_begin(&run->rep, j, event);
	jstr(j, "proto", run->proto->name);
	jstr(j, "peer", peer);
}

void events_listening(struct run *run, const char *addr, uint16_t port)
{
	struct jobj j;

	if (!run->rep.json) {
		report_text(&run->rep, "LISTENING %s", addr);
		return;
	}
	report_begin(&run->rep, &j, "listening");
	jstr(&j, "proto", run->proto->name);
	jstr(&j, "addr", addr);
	juint(&j, "port", port);
	report_end(&j);
}

void events_resolved(struct run *run, const char *name, const struct sockaddr_storage *addrs,
		     size_t n)
{
	char a[NET_ADDRSTRLEN];
	struct jobj j;

	if (!run->rep.json) {
		if (run->rep.verbose)
			report_text(&run->rep, "  %s resolved to %zu addresses", name, n);
		return;
	}
	report_begin(&run->rep, &j, "resolved");
	jstr(&j, "name", name);
	juint(&j, "count", n);
	fputs(",\"addresses\":[", run->rep.out);
	for (size_t i = 0; i < n; i++) {
		net_addr_format(a, &addrs[i]);
		fprintf(run->rep.out, "%s\"%s\"", i ? "," : "", a);
	}
	fputc(']', run->rep.out);
	report_end(&j);
}

void events_dns_error(struct run *run, const char *name, int err, const char *detail)
{
	struct jobj j;

	if (!run->rep.json)
		return;
	report_begin(&run->rep, &j, "dns_error");
	jstr(&j, "name", name);
	jstr(&j, "error", ps_errname(err));
	if (detail)
		jstr(&j, "detail", detail);
	report_end(&j);
}

void events_started(struct run *run, const char *peer, bool outbound, unsigned attempt)
{
	struct jobj j;

	if (!attempt)
		run->rep.total++; /* for the progress line: a retry is the same peer */
	if (!run->rep.json) {
		report_text(&run->rep, "%-8s %s", "STARTED", peer);
		return;
	}
	begin_peer(run, &j, "started", peer);
	jstr(&j, "direction", outbound ? "outbound" : "inbound");
	if (attempt)
		juint(&j, "attempt", attempt);
	report_end(&j);
}

void events_retry(struct run *run, const struct run_conn *c, const char *why)
{
	struct jobj j;

	if (!run->rep.json) {
		report_text(&run->rep, "%-8s %s %s", "RETRY", net_session_name(&c->s), why);
		return;
	}
	begin_peer(run, &j, "retry", net_session_name(&c->s));
	jstr(&j, "reason", why);
	report_end(&j);
}

void events_refused(struct run *run, const char *peer, enum net_admit_reason reason)
{
	struct jobj j;

	if (!run->rep.json) {
		report_text(&run->rep, "%-8s %s %s", "REFUSED", peer,
			    net_admit_reason_name(reason));
		return;
	}
	begin_peer(run, &j, "refused", peer);
	jstr(&j, "reason", net_admit_reason_name(reason));
	report_end(&j);
}

void events_evicted(struct run *run, const struct run_conn *c, enum net_admit_reason reason,
		    uint64_t now_ns)
{
	const struct net_session *s = &c->s;
	uint64_t since = s->last_recv_ns ? s->last_recv_ns : s->start_ns;
	uint64_t idle_ms = now_ns > since ? (now_ns - since) / 1000000u : 0;
	struct jobj j;

	if (!run->rep.json) {
		report_text(&run->rep, "%-8s %s %s (idle %llu ms)", "EVICTED", net_session_name(s),
			    net_admit_reason_name(reason), (unsigned long long)idle_ms);
		return;
	}
	begin_peer(run, &j, "evicted", net_session_name(s));
	jstr(&j, "reason", net_admit_reason_name(reason));
	jstr(&j, "state", s->reported ? "over" : "pending");
	juint(&j, "idle_ms", idle_ms);
	report_end(&j);
}

void events_proxy_connected(struct run *run, const struct run_conn *c)
{
	struct jobj j;

	if (!run->rep.json) {
		if (run->rep.verbose)
			report_text(&run->rep, "  %s proxy %s connected from %s",
				    net_session_name(&c->s), c->s.proxy->name, c->s.proxy->local);
		return;
	}
	begin_peer(run, &j, "proxy_connected", net_session_name(&c->s));
	jstr(&j, "proxy", c->s.proxy->name);
	jstr(&j, "local", c->s.proxy->local);
	report_end(&j);
}

static const char *atyp_name(uint8_t atyp)
{
	return atyp == SOCKS5_ATYP_IPV4	    ? "ipv4"
	       : atyp == SOCKS5_ATYP_IPV6   ? "ipv6"
	       : atyp == SOCKS5_ATYP_DOMAIN ? "domain"
					    : "?";
}

/* The fields of one SOCKS5 message, as JSON (j) or as text (buf). */
static void proxy_fields(const struct socks5_event *ev, struct jobj *j, char *buf, size_t cap)
{
	char addr[SOCKS5_ADDRSTRLEN] = "";

	if (ev->addr)
		socks5_addr_format(addr, ev->addr);
	buf[0] = 0;
	switch (ev->msg) {
	case SOCKS5_MSG_GREETING:
		/* the methods offered: no authentication, and username/password
		 * with credentials */
		if (j) {
			fputs(ev->code == 2 ? ",\"methods\":[0,2]" : ",\"methods\":[0]", j->r->out);
		} else {
			snprintf(buf, cap, " methods=%s", ev->code == 2 ? "0,2" : "0");
		}
		break;
	case SOCKS5_MSG_METHOD:
	case SOCKS5_MSG_AUTH_STATUS:
		if (j)
			juint(j, ev->msg == SOCKS5_MSG_METHOD ? "method" : "status", ev->code);
		else
			snprintf(buf, cap, " %s=%u",
				 ev->msg == SOCKS5_MSG_METHOD ? "method" : "status", ev->code);
		break;
	case SOCKS5_MSG_AUTH:
		break; /* the name and password are never logged */
	case SOCKS5_MSG_CONNECT:
	case SOCKS5_MSG_REPLY:
		if (j) {
			if (ev->msg == SOCKS5_MSG_REPLY)
				juint(j, "rep", ev->code);
			jstr(j, "atyp", ev->addr ? atyp_name(ev->addr->atyp) : "?");
			jstr(j, ev->msg == SOCKS5_MSG_CONNECT ? "address" : "bound", addr);
			if (ev->err)
				jstr(j, "error", ps_errname(ev->err));
		} else if (ev->msg == SOCKS5_MSG_REPLY) {
			snprintf(buf, cap, " rep=%u bound=%s", ev->code, addr);
		} else {
			snprintf(buf, cap, " %s %s", atyp_name(ev->addr ? ev->addr->atyp : 0),
				 addr);
		}
		break;
	default:
		break;
	}
}

void events_proxy(struct run *run, const struct run_conn *c, const struct socks5_event *ev)
{
	bool sent = ev->type == SOCKS5_EV_SENT;
	char text[SOCKS5_ADDRSTRLEN + 64];
	struct jobj j;

	if (ev->type != SOCKS5_EV_SENT && ev->type != SOCKS5_EV_RECV)
		return;
	if (!run->rep.json) {
		if (run->rep.verbose) {
			proxy_fields(ev, NULL, text, sizeof(text));
			report_text(&run->rep, "  %s proxy %s %s (%zu bytes)%s",
				    net_session_name(&c->s), sent ? "->" : "<-",
				    socks5_msg_name(ev->msg), ev->bytes, text);
		}
		return;
	}
	begin_peer(run, &j, sent ? "proxy_sent" : "proxy_recv", net_session_name(&c->s));
	jstr(&j, "proxy", c->s.proxy->name);
	jstr(&j, "message", socks5_msg_name(ev->msg));
	juint(&j, "bytes", ev->bytes);
	proxy_fields(ev, &j, text, sizeof(text));
	report_end(&j);
}

void events_connected(struct run *run, const struct run_conn *c)
{
	struct jobj j;

	if (!run->rep.json) {
		if (run->rep.verbose)
			report_text(&run->rep, "  %s connected from %s%s%s",
				    net_session_name(&c->s), net_session_local(&c->s),
				    c->s.proxy ? " through proxy " : "",
				    c->s.proxy ? c->s.proxy->name : "");
		return;
	}
	begin_peer(run, &j, "connected", net_session_name(&c->s));
	jstr(&j, "local", net_session_local(&c->s));
	if (c->s.proxy)
		jstr(&j, "proxy", c->s.proxy->name);
	if (run->proto->connected_json)
		run->proto->connected_json(run, c, &j);
	report_end(&j);
}

/* The line of each kind; SUCCESS and FAILED have none (the result is). */
static const char *kind_event(enum net_ev_kind k)
{
	switch (k) {
	case NET_EV_SENT:
		return "sent";
	case NET_EV_RECV:
		return "recv";
	case NET_EV_DROPPED:
		return "dropped";
	case NET_EV_PEER:
		return "version";
	case NET_EV_KEYS:
		return "handshake";
	case NET_EV_DISCONNECT:
		return "disconnect";
	case NET_EV_SUCCESS:
	case NET_EV_FAILED:
	default:
		return NULL;
	}
}

static void peer_text(struct run *run, const struct run_conn *c, const struct net_event *ev)
{
	const char *name = net_session_name(&c->s);
	char nonce[32] = "", count[32] = "";

	if (ev->has_count)
		snprintf(count, sizeof(count), " count=%llu", (unsigned long long)ev->count);
	if (ev->has_nonce)
		snprintf(nonce, sizeof(nonce), " nonce=0x%016llx", (unsigned long long)ev->nonce);
	switch (ev->kind) {
	case NET_EV_SENT:
		report_text(&run->rep, "  %s -> %s (%llu bytes)%s%s", name, ev->msg,
			    (unsigned long long)ev->length, nonce, count);
		break;
	case NET_EV_RECV:
		report_text(&run->rep, "  %s <- %s (%llu bytes)%s%s%s%s", name, ev->msg,
			    (unsigned long long)ev->length, nonce, count, ev->note ? " " : "",
			    ev->note ? ev->note : "");
		break;
	case NET_EV_DROPPED:
		report_text(&run->rep, "  %s <- %s (%llu bytes) dropped: %s", name, ev->msg,
			    (unsigned long long)ev->length, ps_errname(ev->err));
		break;
	case NET_EV_DISCONNECT:
		report_text(&run->rep, "  %s disconnect: %s (%s)", name, ps_errname(ev->err),
			    ev->note ? ev->note : "");
		break;
	case NET_EV_PEER:
	case NET_EV_KEYS:
	case NET_EV_SUCCESS:
	case NET_EV_FAILED:
	default:
		break;
	}
}

void events_peer(struct run *run, struct run_conn *c, const struct net_event *ev)
{
	const char *event = kind_event(ev->kind);
	struct jobj j;

	if (!event)
		return;
	if (!run->rep.json) {
		if (run->rep.verbose)
			peer_text(run, c, ev);
	} else {
		begin_peer(run, &j, event, net_session_name(&c->s));
		if (ev->kind == NET_EV_SENT || ev->kind == NET_EV_RECV ||
		    ev->kind == NET_EV_DROPPED) {
			jstr(&j, run->proto->msg_key, ev->msg);
			juint(&j, "length", ev->length);
			juint(&j, "bytes", ev->bytes);
			if (ev->has_nonce)
				jhex64(&j, "nonce", ev->nonce);
			if (ev->has_count)
				juint(&j, "count", ev->count);
		}
		if (ev->kind == NET_EV_PEER || ev->kind == NET_EV_KEYS)
			run->proto->event_json(run, c, ev, &j);
		if (ev->err)
			jstr(&j, "error", ps_errname(ev->err));
		if (ev->note)
			jstr(&j, "note", ev->note);
		report_end(&j);
	}
	if (run->proto->event_items)
		run->proto->event_items(run, c, ev);
}

void events_addr(struct run *run, const struct run_conn *c, const char *network,
		 const char *address, uint16_t port, uint64_t services, uint32_t time)
{
	struct jobj j;

	if (!run->rep.json) {
		if (run->rep.verbose)
			report_text(&run->rep, "  %s addr %s %s port %u services 0x%llx time %lu",
				    net_session_name(&c->s), network, address, port,
				    (unsigned long long)services, (unsigned long)time);
		return;
	}
	begin_peer(run, &j, "addr", net_session_name(&c->s));
	jstr(&j, "network", network);
	jstr(&j, "address", address);
	juint(&j, "port", port);
	jhex64(&j, "services", services);
	juint(&j, "time", time);
	report_end(&j);
}

/* The reason a handshake did not succeed, in words. */
static void failure_reason(const struct run *run, const struct run_conn *c, char *buf, size_t cap)
{
	const struct net_session *s = &c->s;
	const struct net_proxy *px = s->proxy; /* a PS_ERR_PROXY_* comes with one */
	const char *note = s->note;

	switch (s->err) {
	case PS_ERR_PROXY_UNAVAILABLE:
		/* the proxy itself: never the peer's refusal */
		snprintf(buf, cap, "%s %s (%s)", ps_strerror(s->err), px->name,
			 ps_strerror(px->cause));
		break;
	case PS_ERR_PROXY_TIMEOUT:
		if (!px->connected_ns)
			snprintf(buf, cap, "proxy: timed out connecting to the proxy %s", px->name);
		else
			snprintf(buf, cap, "proxy: timed out waiting for the %s",
				 s->waiting ? s->waiting : "reply");
		break;
	case PS_ERR_PROXY_CLOSED:
		snprintf(buf, cap, "proxy: closed before the %s",
			 s->waiting ? s->waiting : "reply");
		break;
	case PS_ERR_PROXY_UNASSIGNED:
		snprintf(buf, cap, "%s 0x%02x", ps_strerror(s->err), (unsigned)px->rep);
		break;
	case PS_ERR_PROXY_BAD_REPLY:
		snprintf(buf, cap, "%s%s%s", ps_strerror(s->err), note ? ": " : "",
			 note ? note : "");
		break;
	case PS_ERR_PROXY_GENERAL:
	case PS_ERR_PROXY_NOT_ALLOWED:
	case PS_ERR_PROXY_NET_UNREACH:
	case PS_ERR_PROXY_HOST_UNREACH:
	case PS_ERR_PROXY_REFUSED:
	case PS_ERR_PROXY_TTL_EXPIRED:
	case PS_ERR_PROXY_CMD_UNSUPPORTED:
	case PS_ERR_PROXY_ATYP_UNSUPPORTED:
	case PS_ERR_PROXY_ONION_NOT_FOUND:
	case PS_ERR_PROXY_ONION_INVALID:
	case PS_ERR_PROXY_ONION_INTRO_FAILED:
	case PS_ERR_PROXY_ONION_REND_FAILED:
	case PS_ERR_PROXY_ONION_AUTH_MISSING:
	case PS_ERR_PROXY_ONION_AUTH_WRONG:
	case PS_ERR_PROXY_ONION_BAD_ADDRESS:
	case PS_ERR_PROXY_ONION_INTRO_TIMEOUT:
	case PS_ERR_PROXY_NO_METHOD:
	case PS_ERR_PROXY_AUTH:
		/* "proxy: connection refused", "proxy: auth failed" */
		snprintf(buf, cap, "%s", ps_strerror(s->err));
		break;
	case PS_ERR_REFUSED:
		snprintf(buf, cap, "refused");
		break;
	case PS_ERR_UNREACHABLE:
		snprintf(buf, cap, "unreachable");
		break;
	case PS_ERR_NO_LOCAL_PORT:
		/* ours, not the peer's: every ephemeral port is taken */
		snprintf(buf, cap, "no local port free to connect from");
		break;
	case PS_ERR_FAMILY:
		snprintf(buf, cap, "of the other address family than --source");
		break;
	case PS_ERR_TIMEOUT:
		if (!s->connected_ns)
			snprintf(buf, cap, "timed out connecting");
		else if (s->waiting)
			snprintf(buf, cap, "timed out waiting for %s", s->waiting);
		else
			snprintf(buf, cap, "timed out%s%s", note ? ", " : "", note ? note : "");
		break;
	case PS_ERR_EVICTED:
		if (s->waiting)
			snprintf(buf, cap, "evicted while waiting for %s", s->waiting);
		else
			snprintf(buf, cap, "evicted");
		break;
	case PS_ERR_CLOSED:
		if (s->waiting)
			snprintf(buf, cap, "closed by peer before %s", s->waiting);
		else
			snprintf(buf, cap, "closed by peer%s%s", note ? ", " : "",
				 note ? note : "");
		break;
	default:
		/* "decrypt-failed on message 2", "bad-magic: wrong network magic" */
		snprintf(buf, cap, "%s%s%s", ps_errname(s->err), note ? run->proto->note_sep : "",
			 note ? note : "");
		break;
	}
}

void events_result(struct run *run, struct run_conn *c)
{
	struct net_session *s = &c->s;
	const char *outcome = ps_outcome_name(s->outcome);
	uint64_t ms = (s->end_ns - s->start_ns) / 1000000u;
	uint64_t lost = s->started ? s->core_ops->events_lost(s->core) : 0;
	char why[200];
	struct jobj j;

	report_count(&run->rep, s->outcome);
	why[0] = 0;
	if (s->outcome != PS_SUCCESS)
		failure_reason(run, c, why, sizeof(why));

	if (run->rep.json) {
		begin_peer(run, &j, "result", net_session_name(s));
		jstr(&j, "direction", s->outbound ? "outbound" : "inbound");
		if (s->proxy)
			jstr(&j, "proxy", s->proxy->name);
		jstr(&j, "result", outcome);
		if (s->outcome != PS_SUCCESS) {
			jstr(&j, "reason", ps_errname(s->err));
			jstr(&j, "detail", why);
		}
		if (s->started)
			run->proto->result_json(run, c, &j);
		if (lost)
			juint(&j, "events_lost", lost);
		juint(&j, "duration_ms", ms);
		/* loopback handshakes take well under a millisecond */
		juint(&j, "duration_us", (s->end_ns - s->start_ns) / 1000u);
		report_end(&j);
	} else {
		FILE *f = report_line(&run->rep);
		fprintf(f, "%-8s %s ", outcome, net_session_name(s));
		if (s->started)
			run->proto->result_text(run, c, f);
		if (why[0])
			fprintf(f, " %s", why);
		fprintf(f, " (%llu ms)\n", (unsigned long long)ms);
		fflush(f);
	}
	report_progress(&run->rep);
}

void events_closed(struct run *run, const struct run_conn *c)
{
	const struct net_session *s = &c->s;
	struct jobj j;

	/* who ended the connection, and how long after the result: a peer
	 * that disconnects after the handshake shows here */
	if (!run->rep.json || !s->started)
		return;
	begin_peer(run, &j, "closed", net_session_name(s));
	jstr(&j, "by", s->peer_closed ? "peer" : "us");
	juint(&j, "after_result_ms", (s->closed_ns - s->end_ns) / 1000000u);
	/* what reached the socket: less than the sent events' bytes when the
	 * connection ended with output queued, or a switch cut a message */
	juint(&j, "bytes_sent", s->bytes_sent);
	report_end(&j);
}

static size_t total(const size_t by[NET_ADMIT_NREASONS])
{
	size_t t = 0;

	for (int i = 0; i < NET_ADMIT_NREASONS; i++)
		t += by[i];
	return t;
}

/* "refused 3 (per-ip 2, no-descriptors 1)": the reasons that occurred */
static void admission_text(FILE *f, const char *what, const size_t by[NET_ADMIT_NREASONS])
{
	const char *sep = " (";

	fprintf(f, "%s %zu", what, total(by));
	for (int i = 0; i < NET_ADMIT_NREASONS; i++) {
		if (!by[i])
			continue;
		fprintf(f, "%s%s %zu", sep, net_admit_reason_name((enum net_admit_reason)i), by[i]);
		sep = ", ";
	}
	if (total(by))
		fputc(')', f);
}

/* The JSON fields: refused, evicted, and one per reason that can occur
 * ("refused_per_ip", "evicted_full"), zero or not. */
static void admission_json(struct jobj *j, const size_t refused[NET_ADMIT_NREASONS],
			   const size_t evicted[NET_ADMIT_NREASONS])
{
	static const struct {
		const char *key;
		bool evicted;
		enum net_admit_reason r;
	} f[] = {
		{ "refused_full", false, NET_ADMIT_FULL },
		{ "refused_per_ip", false, NET_ADMIT_PER_IP },
		{ "refused_no_descriptors", false, NET_ADMIT_NO_FD },
		{ "evicted_full", true, NET_ADMIT_FULL },
		{ "evicted_per_ip", true, NET_ADMIT_PER_IP },
		{ "evicted_memory", true, NET_ADMIT_MEMORY },
	};

	juint(j, "refused", total(refused));
	juint(j, "evicted", total(evicted));
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		juint(j, f[i].key, (f[i].evicted ? evicted : refused)[f[i].r]);
}

void events_summary(struct run *run)
{
	struct report *r = &run->rep;
	bool listen = run->o->mode == MODE_BTC_LISTEN || run->o->mode == MODE_NOISE_LISTEN;
	struct jobj j;

	if (!r->json) {
		FILE *f = report_line(r);
		fprintf(f, "Summary: %zu peers: Success %zu, Partial %zu, Failed %zu", r->done,
			r->success, r->partial, r->failed);
		if (run->proto->summary)
			run->proto->summary(run, NULL, f);
		if (listen && total(run->refused) + total(run->evicted)) {
			admission_text(f, "; refused", run->refused);
			admission_text(f, ", evicted", run->evicted);
		}
		fprintf(f, " (%llu ms)\n", (unsigned long long)report_ms(r));
		fflush(f);
		return;
	}
	report_begin(r, &j, "summary");
	jstr(&j, "proto", run->proto->name);
	juint(&j, "peers", r->done);
	juint(&j, "success", r->success);
	juint(&j, "partial", r->partial);
	juint(&j, "failed", r->failed);
	if (run->proto->summary)
		run->proto->summary(run, &j, NULL);
	if (listen)
		admission_json(&j, run->refused, run->evicted);
	juint(&j, "duration_ms", report_ms(r));
	report_end(&j);
}
