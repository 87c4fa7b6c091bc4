#include "cli/report.h"

#include <string.h>
#include <unistd.h>

#include "net/loop.h"

void report_init(struct report *r, bool json, bool verbose, bool progress)
{
	memset(r, 0, sizeof(*r));
	r->out = stdout;
	r->json = json;
	r->verbose = verbose;
	r->progress = progress && !json && isatty(STDERR_FILENO);
	r->start_ns = net_now_ns();
}

uint64_t report_ms(const struct report *r)
{
	return (net_now_ns() - r->start_ns) / 1000000u;
}

static void progress_clear(struct report *r)
{
	if (r->progress_shown) {
		fputs("\r\033[K", stderr);
		r->progress_shown = false;
	}
}

static void json_escaped(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			/* bytes, not text: keep JSON valid ASCII whatever arrives */
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void report_sanitized(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

void report_begin(struct report *r, struct jobj *j, const char *event)
{
	j->r = r;
	j->first = true;
	progress_clear(r);
	fputc('{', r->out);
	jstr(j, "event", event);
	juint(j, "t_ms", report_ms(r));
}

static void key(struct jobj *j, const char *k)
{
	if (!j->first)
		fputc(',', j->r->out);
	j->first = false;
	fprintf(j->r->out, "\"%s\":", k);
}

void jstr(struct jobj *j, const char *k, const char *val)
{
	jstrn(j, k, val, strlen(val));
}

void jstrn(struct jobj *j, const char *k, const char *val, size_t len)
{
	key(j, k);
	json_escaped(j->r->out, val, len);
}

void jint(struct jobj *j, const char *k, int64_t val)
{
	key(j, k);
	fprintf(j->r->out, "%lld", (long long)val);
}

void juint(struct jobj *j, const char *k, uint64_t val)
{
	key(j, k);
	fprintf(j->r->out, "%llu", (unsigned long long)val);
}

void jbool(struct jobj *j, const char *k, bool val)
{
	key(j, k);
	fputs(val ? "true" : "false", j->r->out);
}

void jnull(struct jobj *j, const char *k)
{
	key(j, k);
	fputs("null", j->r->out);
}

void jhex64(struct jobj *j, const char *k, uint64_t val)
{
	key(j, k);
	fprintf(j->r->out, "\"0x%016llx\"", (unsigned long long)val);
}

void report_end(struct jobj *j)
{
	fputs("}\n", j->r->out);
	fflush(j->r->out);
}

void report_text(struct report *r, const char *fmt, ...)
{
	va_list ap;

	progress_clear(r);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
	fflush(r->out);
}

FILE *report_line(struct report *r)
{
	progress_clear(r);
	return r->out;
}

void report_count(struct report *r, enum ps_outcome o)
{
	r->done++;
	if (o == PS_SUCCESS)
		r->success++;
	else if (o == PS_PARTIAL)
		r->partial++;
	else
		r->failed++;
}

void report_progress(struct report *r)
{
	uint64_t now = net_now_ns();

	if (!r->progress || r->total < 2)
		return;
	if (r->progress_shown && now - r->last_progress_ns < 100000000u && r->done < r->total)
		return;
	r->last_progress_ns = now;
	fprintf(stderr, "\r\033[K[%zu/%zu done] success %zu, partial %zu, failed %zu", r->done,
		r->total, r->success, r->partial, r->failed);
	fflush(stderr);
	r->progress_shown = true;
}
