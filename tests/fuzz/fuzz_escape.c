/* fuzz_escape.c - libFuzzer harness for xenballoon-monitor's escaping of
 * guest-controlled text (a domain's name) in dom0: the JSON string
 * escaper, the Prometheus label escaper and the table's safe text.
 *
 * The input is the untrusted text. Each escaper's output is checked by
 * an independent decoder written here:
 *
 *  - JSON: one well-formed JSON string (RFC 8259: quotes around, only
 *    the escapes \" \\ \/ \b \f \n \r \t \uXXXX, no raw byte below 0x20,
 *    valid UTF-8), which Python's json module would parse; no raw C0, DEL
 *    or C1 control and no U+2028/U+2029 reaches a terminal; decoded, it
 *    is the input with each byte that does not start a valid UTF-8
 *    sequence replaced by U+FFFD.
 *  - Prometheus label value: valid UTF-8, only the escapes \\ \" \n, no
 *    raw quote, no raw control; decoded, it is the input with invalid
 *    bytes and controls but the newline replaced by U+FFFD.
 *  - Table text: printable ASCII only, at most the width asked for (the
 *    first input byte, modulo 64).
 *
 * A failed check aborts, which libFuzzer reports as a crash.
 */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

#define REPLACEMENT 0xfffdu

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cps {
	uint32_t *v;
	size_t n, cap;
};

static void
cps_add(struct cps *c, uint32_t cp)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		assert(c->v != NULL);
	}
	c->v[c->n++] = cp;
}

/* The length of the well-formed UTF-8 sequence at s (Unicode 15, table
 * 3-7 "Well-Formed UTF-8 Byte Sequences"), 0 when there is none; the code
 * point in *cp. */
static size_t
utf8_wellformed(const uint8_t *s, size_t n, uint32_t *cp)
{
	static const struct {
		uint8_t lo0, hi0, lo1, hi1;
		size_t len;
	} rows[] = {
		{ 0x00, 0x7f, 0, 0, 1 },
		{ 0xc2, 0xdf, 0x80, 0xbf, 2 },
		{ 0xe0, 0xe0, 0xa0, 0xbf, 3 },
		{ 0xe1, 0xec, 0x80, 0xbf, 3 },
		{ 0xed, 0xed, 0x80, 0x9f, 3 },
		{ 0xee, 0xef, 0x80, 0xbf, 3 },
		{ 0xf0, 0xf0, 0x90, 0xbf, 4 },
		{ 0xf1, 0xf3, 0x80, 0xbf, 4 },
		{ 0xf4, 0xf4, 0x80, 0x8f, 4 },
	};

	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		size_t len = rows[r].len;
		uint32_t c;

		if (s[0] < rows[r].lo0 || s[0] > rows[r].hi0)
			continue;
		if (len == 1) {
			*cp = s[0];
			return 1;
		}
		if (n < len || s[1] < rows[r].lo1 || s[1] > rows[r].hi1)
			return 0;
		for (size_t i = 2; i < len; i++)
			if (s[i] < 0x80 || s[i] > 0xbf)
				return 0;
		c = s[0] & (len == 2 ? 0x1fu : len == 3 ? 0x0fu : 0x07u);
		for (size_t i = 1; i < len; i++)
			c = c << 6 | (s[i] & 0x3fu);
		*cp = c;
		return len;
	}
	return 0;
}

static bool
terminal_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* The input as code points, an invalid byte as U+FFFD; with prom, the
 * controls but the newline as U+FFFD too. */
static void
expected(const uint8_t *s, size_t n, bool prom, struct cps *out)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len = utf8_wellformed(s + i, n - i, &cp);

		if (len == 0) {
			cps_add(out, REPLACEMENT);
			i++;
			continue;
		}
		if (prom && terminal_control(cp) && cp != '\n')
			cp = REPLACEMENT;
		cps_add(out, cp);
		i += len;
	}
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one raw (unescaped) character at s; it must be well-formed and
 * no control a terminal would act on, and with json, no line separator
 * (JavaScript would end a line there). Returns its length. */
static size_t
raw_char(const uint8_t *s, size_t n, bool json, struct cps *out)
{
	uint32_t cp;
	size_t len = utf8_wellformed(s, n, &cp);

	assert(len > 0);                         /* valid UTF-8 out */
	assert(!terminal_control(cp));           /* no raw control */
	assert(!json || (cp != 0x2028 && cp != 0x2029));
	cps_add(out, cp);
	return len;
}

static void
check_json(const uint8_t *in, size_t n)
{
	struct mbuf b = { 0 };
	struct cps got = { 0 }, want = { 0 };
	const uint8_t *o;
	size_t i = 1, len;

	mon_put_json_string(&b, (const char *)in, n);
	o = (const uint8_t *)b.p;
	len = b.len;
	assert(len >= 2 && o[0] == '"' && o[len - 1] == '"');
	while (i < len - 1) {
		if (o[i] == '\\') {
			assert(i + 1 < len - 1);
			switch (o[i + 1]) {
			case '"': cps_add(&got, '"'); i += 2; break;
			case '\\': cps_add(&got, '\\'); i += 2; break;
			case '/': cps_add(&got, '/'); i += 2; break;
			case 'b': cps_add(&got, '\b'); i += 2; break;
			case 'f': cps_add(&got, '\f'); i += 2; break;
			case 'n': cps_add(&got, '\n'); i += 2; break;
			case 'r': cps_add(&got, '\r'); i += 2; break;
			case 't': cps_add(&got, '\t'); i += 2; break;
			case 'u': {
				uint32_t cp = 0;

				assert(i + 6 <= len - 1);
				for (size_t k = 2; k < 6; k++) {
					int h = hexval(o[i + k]);

					assert(h >= 0);
					cp = cp << 4 | (uint32_t)h;
				}
				/* Never half of a surrogate pair: only the
				 * controls and separators are \u-escaped. */
				assert(cp < 0xd800 || cp > 0xdfff);
				cps_add(&got, cp);
				i += 6;
				break;
			}
			default:
				assert(!"an escape JSON does not have");
			}
			continue;
		}
		assert(o[i] != '"');                 /* the string ends only at the end */
		i += raw_char(o + i, len - 1 - i, true, &got);
	}
	assert(i == len - 1);
	expected(in, n, false, &want);
	assert(got.n == want.n);
	assert(got.n == 0 || memcmp(got.v, want.v, got.n * sizeof(*got.v)) == 0);
	free(got.v);
	free(want.v);
	mbuf_free(&b);
}

static void
check_prom(const uint8_t *in, size_t n)
{
	struct mbuf b = { 0 };
	struct cps got = { 0 }, want = { 0 };
	const uint8_t *o;
	size_t i = 0;

	mon_put_prom_label(&b, (const char *)in, n);
	o = (const uint8_t *)b.p;
	while (i < b.len) {
		if (o[i] == '\\') {
			assert(i + 1 < b.len);
			assert(o[i + 1] == '\\' || o[i + 1] == '"' || o[i + 1] == 'n');
			cps_add(&got, o[i + 1] == 'n' ? '\n' : o[i + 1]);
			i += 2;
			continue;
		}
		assert(o[i] != '"');                 /* would end the label */
		i += raw_char(o + i, b.len - i, false, &got);
	}
	expected(in, n, true, &want);
	assert(got.n == want.n);
	assert(got.n == 0 || memcmp(got.v, want.v, got.n * sizeof(*got.v)) == 0);
	free(got.v);
	free(want.v);
	mbuf_free(&b);
}

static void
check_safe_text(const uint8_t *in, size_t n)
{
	struct mbuf b = { 0 };
	size_t maxw = n > 0 ? in[0] % 64u : 0;

	mon_put_safe_text(&b, (const char *)in, n, maxw);
	assert(b.len <= maxw && b.len <= n);
	for (size_t i = 0; i < b.len; i++)
		assert(b.p[i] >= 0x20 && b.p[i] < 0x7f);
	mbuf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_json(data, size);
	check_prom(data, size);
	check_safe_text(data, size);
	return 0;
}
