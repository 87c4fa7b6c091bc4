#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/hex.h"

const char *tu_shared_vectors(void)
{
	const char *dir = getenv("PS_SHARED_VECTORS");
	struct stat st;

	if (dir && *dir)
		return dir; /* named: a missing folder or file is a failure */
	dir = getenv("PS_SHARED_VECTORS_DEFAULT");
	if (!dir || !*dir)
		dir = "../shared/vectors";
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return dir;
}

uint8_t *tu_read_vector(const char *rel, size_t *len)
{
	const char *dir = tu_shared_vectors();
	char path[1024];
	uint8_t *text;

	if (!dir)
		fail_msg("no shared vectors folder for %s", rel);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (!(text = tu_read_file(path, len)))
		fail_msg("cannot read vector file %s (PS_SHARED_VECTORS=%s)", path,
			 getenv("PS_SHARED_VECTORS") ? getenv("PS_SHARED_VECTORS") : "unset");
	return text;
}

const char *tu_source_dir(void)
{
	const char *dir = getenv("PS_SOURCE_DIR");
	return (dir && *dir) ? dir : ".";
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)size + 1);
	if (!buf)
		goto out;
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[size] = 0;
	*len = (size_t)size;
out:
	fclose(f);
	return buf;
}

uint8_t *tu_unhex(const char *hex, size_t *len)
{
	size_t slen = strlen(hex);
	uint8_t *out = malloc(slen / 2 + 1);

	assert_non_null(out);
	assert_int_equal(ps_hex_decode(out, slen / 2 + 1, len, hex, slen), 0);
	return out;
}

void tu_rng(void *ctx, uint8_t *out, size_t n)
{
	uint64_t *state = ctx;

	/* splitmix64: deterministic, good enough for test nonces and keys */
	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0) {
			uint64_t z = (*state += 0x9e3779b97f4a7c15u);
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
			z ^= z >> 31;
			memcpy(out + i, &z, n - i < 8 ? n - i : 8);
		}
	}
}

static int tu_mem_get(void *ctx, size_t len, void **block)
{
	struct tu_mem *m = ctx;
	void *b;

	assert_true(len >= 1 && len <= NOISE_MEM_MAX);
	if (m->refuse_at && m->out_bytes + len > m->refuse_at)
		return m->refuse_err ? m->refuse_err : PS_ERR_NOMEM;
	b = malloc(len);
	assert_non_null(b);
	memset(b, 0xa5, len);
	m->out++;
	m->out_bytes += len;
	m->gets++;
	if (len > m->largest)
		m->largest = len;
	*block = b;
	return PS_OK;
}

static void tu_mem_put(void *ctx, void *block, size_t len)
{
	struct tu_mem *m = ctx;

	assert_non_null(block);
	assert_true(m->out > 0 && m->out_bytes >= len);
	m->out--;
	m->out_bytes -= len;
	m->puts++;
	free(block);
}

void tu_mem_init(struct tu_mem *m)
{
	memset(m, 0, sizeof(*m));
	m->mem.get = tu_mem_get;
	m->mem.put = tu_mem_put;
	m->mem.ctx = m;
}

const struct noise_mem *tu_mem_default(void)
{
	static struct tu_mem m;

	if (!m.mem.get)
		tu_mem_init(&m);
	return &m.mem;
}
