/*
 * cursor.h - bounded byte cursors for parsing and building wire formats.
 *
 * A read cursor is (p, end); every get checks `end - p < n` before reading,
 * a form that cannot overflow. A failed get returns PS_ERR_NEED_MORE and
 * leaves the cursor where it was. Little-endian unless the name says be.
 * Write cursors work the same way and return PS_ERR_NOBUF when full.
 */
#ifndef PS_CORE_CURSOR_H
#define PS_CORE_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"

struct ps_rcur {
	const uint8_t *p;
	const uint8_t *end;
};

struct ps_wcur {
	uint8_t *p;
	uint8_t *end;
};

static inline struct ps_rcur ps_rcur_make(const uint8_t *buf, size_t len)
{
	struct ps_rcur c = { buf, buf + len };
	return c;
}

static inline struct ps_wcur ps_wcur_make(uint8_t *buf, size_t len)
{
	struct ps_wcur c = { buf, buf + len };
	return c;
}

static inline size_t ps_rcur_left(const struct ps_rcur *c)
{
	return (size_t)(c->end - c->p);
}

static inline size_t ps_wcur_left(const struct ps_wcur *c)
{
	return (size_t)(c->end - c->p);
}

/* Plain byte-order helpers on raw pointers (no bounds: the caller checked). */
static inline uint16_t ps_load_u16le(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint16_t ps_load_u16be(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t ps_load_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ps_load_u64le(const uint8_t *p)
{
	return (uint64_t)ps_load_u32le(p) | (uint64_t)ps_load_u32le(p + 4) << 32;
}
static inline void ps_store_u16le(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void ps_store_u16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void ps_store_u32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
static inline void ps_store_u64le(uint8_t *p, uint64_t v)
{
	ps_store_u32le(p, (uint32_t)v);
	ps_store_u32le(p + 4, (uint32_t)(v >> 32));
}

/* ---- read cursor: each returns PS_OK or PS_ERR_NEED_MORE (cursor unchanged) */

/* A view into the input: *out points at the next n bytes, which are skipped. */
PS_MUST_CHECK static inline int ps_get_view(struct ps_rcur *c, const uint8_t **out, size_t n)
{
	if (ps_rcur_left(c) < n)
		return PS_ERR_NEED_MORE;
	*out = c->p;
	c->p += n;
	return PS_OK;
}

PS_MUST_CHECK static inline int ps_get_u8(struct ps_rcur *c, uint8_t *out)
{
	if (ps_rcur_left(c) < 1)
		return PS_ERR_NEED_MORE;
	*out = *c->p++;
	return PS_OK;
}

PS_MUST_CHECK static inline int ps_get_u16le(struct ps_rcur *c, uint16_t *out)
{
	if (ps_rcur_left(c) < 2)
		return PS_ERR_NEED_MORE;
	*out = ps_load_u16le(c->p);
	c->p += 2;
	return PS_OK;
}

PS_MUST_CHECK static inline int ps_get_u32le(struct ps_rcur *c, uint32_t *out)
{
	if (ps_rcur_left(c) < 4)
		return PS_ERR_NEED_MORE;
	*out = ps_load_u32le(c->p);
	c->p += 4;
	return PS_OK;
}

PS_MUST_CHECK static inline int ps_get_u64le(struct ps_rcur *c, uint64_t *out)
{
	if (ps_rcur_left(c) < 8)
		return PS_ERR_NEED_MORE;
	*out = ps_load_u64le(c->p);
	c->p += 8;
	return PS_OK;
}

/* ---- write cursor: each returns PS_OK or PS_ERR_NOBUF (cursor unchanged) */

PS_MUST_CHECK static inline int ps_put_bytes(struct ps_wcur *c, const uint8_t *in, size_t n)
{
	if (ps_wcur_left(c) < n)
		return PS_ERR_NOBUF;
	if (n)
		memcpy(c->p, in, n);
	c->p += n;
	return PS_OK;
}

PS_MUST_CHECK static inline int ps_put_u8(struct ps_wcur *c, uint8_t v)
{
	if (ps_wcur_left(c) < 1)
		return PS_ERR_NOBUF;
	*c->p++ = v;
	return PS_OK;
}

PS_MUST_CHECK static inline int ps_put_u32le(struct ps_wcur *c, uint32_t v)
{
	if (ps_wcur_left(c) < 4)
		return PS_ERR_NOBUF;
	ps_store_u32le(c->p, v);
	c->p += 4;
	return PS_OK;
}

PS_MUST_CHECK static inline int ps_put_u64le(struct ps_wcur *c, uint64_t v)
{
	if (ps_wcur_left(c) < 8)
		return PS_ERR_NOBUF;
	ps_store_u64le(c->p, v);
	c->p += 8;
	return PS_OK;
}

#endif
