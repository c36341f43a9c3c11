/* monitor_out.c - the monitor's renderers (see monitor.h).
 *
 * The table keeps the header and row format of Xen 3.4's
 * xenballoon-monitor,
 *   printf "%2d %8d%8d%8d%7d%8d%9d%9d%9d%9d"
 * with the widths as minimums: a column whose numbers would not fit
 * (or would touch their left neighbour) is widened as a whole, header
 * included, so numbers are never truncated and the table stays aligned.
 *
 * Untrusted text (the domain name) goes out escaped: printable ASCII only
 * in the table, JSON string escapes (valid UTF-8 out, control characters
 * escaped), Prometheus label escapes (\\ \" \n; other control characters
 * and invalid UTF-8 become U+FFFD).
 */
#include "monitor.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stats.h"

#define SGR_REV "\033[7m"
#define SGR_NOREV "\033[27m"
#define EL "\033[K" /* erase to the end of the line */
#define NAME_WIDTH_MAX 40
#define SOURCE_WIDTH (sizeof(XB_STATS_FALLBACK_PATH) - 1)

/* --- mbuf ------------------------------------------------------------ */

static void
mbuf_reserve(struct mbuf *b, size_t more)
{
	size_t need, ncap;
	char *np;

	if (more > SIZE_MAX / 2 - b->len) {
		fatalx("output too large");
	}
	need = b->len + more + 1;
	if (need <= b->cap)
		return;
	ncap = b->cap == 0 ? 4096 : b->cap;
	while (ncap < need)
		ncap *= 2;
	np = realloc(b->p, ncap);
	if (np == NULL) {
		fatalx("out of memory");
	}
	b->p = np;
	b->cap = ncap;
}

void
mbuf_put(struct mbuf *b, const char *s, size_t n)
{
	mbuf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
mbuf_puts(struct mbuf *b, const char *s)
{
	mbuf_put(b, s, strlen(s));
}

void
mbuf_free(struct mbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void
put_spaces(struct mbuf *b, size_t n)
{
	static const char sp[] = "                                ";

	while (n > 0) {
		size_t k = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;

		mbuf_put(b, sp, k);
		n -= k;
	}
}

static void
mbuf_put_u64(struct mbuf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	mbuf_put(b, tmp + i, sizeof(tmp) - i);
}

/* A fixed-point number: v / 10^decimals, with all its decimals. */
static void
mbuf_put_fixed(struct mbuf *b, uint64_t v, unsigned decimals)
{
	uint64_t div = 1;
	char frac[8];

	for (unsigned i = 0; i < decimals; i++)
		div *= 10;
	mbuf_put_u64(b, v / div);
	if (decimals == 0)
		return;
	mbuf_put(b, ".", 1);
	for (unsigned i = decimals; i > 0; i--) {
		frac[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	mbuf_put(b, frac, decimals);
}

/* Fields kept in hundredths (the PSI percentages). */
static bool
is_centi(enum mon_field f)
{
	return f == MF_PSI_SOME || f == MF_PSI_FULL;
}

/* s, then spaces up to width. */
static void
put_left(struct mbuf *b, const char *s, size_t width)
{
	size_t n = strlen(s);

	mbuf_put(b, s, n);
	if (n < width)
		put_spaces(b, width - n);
}

/* --- names ---------------------------------------------------------- */

const char *const mon_bal_states[MON_BAL_NSTATES] = {
	"no-daemon", "self", "idle", "managed", "stale", "frozen", "dying",
};

const char *
mon_mode_name(enum mon_mode m)
{
	static const char *const names[] = { NULL, "self", "directed", "idle", "other" };

	return m <= MM_OTHER ? names[m] : NULL;
}

/* --- snapshots ----------------------------------------------------- */

void
mon_snapshot_free(struct mon_snapshot *s)
{
	free(s->dom);
	memset(s, 0, sizeof(*s));
}

static const char *
mon_source_name(enum mon_source src)
{
	switch (src) {
	case MS_MEMORY:
		return XB_STATS_DEFAULT_PATH;
	case MS_DATA:
		return XB_STATS_FALLBACK_PATH;
	case MS_MIXED:
		return "mixed";
	case MS_NONE:
		break;
	}
	return NULL;
}

static const struct mon_domain *
find_domain(const struct mon_snapshot *s, unsigned domid)
{
	size_t lo = 0, hi = s != NULL ? s->ndom : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->dom[mid].domid == domid)
			return &s->dom[mid];
		if (s->dom[mid].domid < domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* --- escaping -------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n > 0 bytes left), with its
 * code point in *cp; 0 when the bytes are not valid UTF-8. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0u) != 0x80u)
			return 0;
		c = (c << 6) | (s[i] & 0x3fu);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* \uXXXX for a code point of the Basic Multilingual Plane. */
static void
put_u_escape(struct mbuf *b, uint32_t cp)
{
	static const char hex[] = "0123456789abcdef";
	const char esc[6] = { '\\', 'u', hex[(cp >> 12) & 0xf], hex[(cp >> 8) & 0xf],
			      hex[(cp >> 4) & 0xf], hex[cp & 0xf] };

	mbuf_put(b, esc, sizeof(esc));
}

void
mon_put_json_string(struct mbuf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	mbuf_put(b, "\"", 1);
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);

		if (len == 0) {
			mbuf_puts(b, "\\ufffd");
			i++;
			continue;
		}
		switch (cp) {
		case '"':
			mbuf_puts(b, "\\\"");
			break;
		case '\\':
			mbuf_puts(b, "\\\\");
			break;
		case '\n':
			mbuf_puts(b, "\\n");
			break;
		case '\r':
			mbuf_puts(b, "\\r");
			break;
		case '\t':
			mbuf_puts(b, "\\t");
			break;
		default:
			/* Controls (C0, DEL, C1) and the JavaScript line
			 * separators as \u escapes: nothing reaches a terminal. */
			if (is_control(cp) || cp == 0x2028 || cp == 0x2029)
				put_u_escape(b, cp);
			else
				mbuf_put(b, s + i, len);
			break;
		}
		i += len;
	}
	mbuf_put(b, "\"", 1);
}

void
mon_put_prom_label(struct mbuf *b, const char *s, size_t n)
{
	static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);

		if (len == 0) {
			mbuf_puts(b, replacement);
			i++;
			continue;
		}
		if (cp == '\\')
			mbuf_puts(b, "\\\\");
		else if (cp == '"')
			mbuf_puts(b, "\\\"");
		else if (cp == '\n')
			mbuf_puts(b, "\\n");
		else if (is_control(cp))
			mbuf_puts(b, replacement);
		else
			mbuf_put(b, s + i, len);
		i += len;
	}
}

void
mon_put_safe_text(struct mbuf *b, const char *s, size_t n, size_t maxw)
{
	size_t show = n <= maxw ? n : (maxw > 0 ? maxw - 1 : 0);

	for (size_t i = 0; i < show; i++) {
		unsigned char c = (unsigned char)s[i];
		char out = c >= 0x20 && c < 0x7f ? (char)c : '?';

		mbuf_put(b, &out, 1);
	}
	if (n > maxw && maxw > 0)
		mbuf_put(b, "~", 1);
}

/* --- table ----------------------------------------------------------- */

struct tcol {
	const char *head; /* Xen 3.4's header piece, padding included */
	size_t width;     /* Xen 3.4's printf width */
	enum mon_field f;
};

/* The first two columns are in different units: MemTotal, the guest's
 * own figure, and the balloon's target, which also counts the pages the
 * kernel keeps for itself (tens of MB more in a settled guest). Their
 * labels say so, rather than the look-alike mem-kb and tgt-kb of Xen
 * 3.4's xenballoon-monitor. */
static const struct tcol table_cols[] = {
	{ " memtotal", 8, MF_MEMTOTAL },
	{ " balloon", 8, MF_SELFTARGET },
	{ "  commit", 8, MF_COMMITTED },
	{ "  swapin", 7, MF_PSWPIN },
	{ " swapout", 8, MF_PSWPOUT },
	{ "    pgin", 9, MF_PGPGIN },
	{ "    pgout", 9, MF_PGPGOUT },
	{ "  preswap", 9, MF_PRESWAP },
	{ "  precache", 9, MF_PRECACHE },
	/* -l: Xen 3.4's "  precache" is one wider than its column, so this
	 * column is one wider than its piece, to end where its numbers end. */
	{ "  dom0-tgt", 11, MF_TARGET },
	{ "    max-kb", 10, MF_STATIC_MAX },
	/* The pressure goal's figures: in use (MemTotal - MemAvailable), the
	 * page cache it keeps, the goal (balloon units), PSI memory stall
	 * averages over 10 s (%). */
	{ "   used-kb", 10, MF_USED },
	{ "  cache-kb", 10, MF_WORKINGSET },
	{ "   goal-kb", 10, MF_GOAL },
	{ " psi-some", 9, MF_PSI_SOME },
	{ " psi-full", 9, MF_PSI_FULL },
};
#define NCOLS_SHORT 9
#define NCOLS_LONG (sizeof(table_cols) / sizeof(table_cols[0]))

/* When a balancer runs: its view of each guest, after the columns above
 * (the short table also gets the target and the goal, which -l has, as it
 * has the working set, cache-kb). */
static const struct tcol bal_cols_short[] = {
	{ "  dom0-tgt", 10, MF_TARGET },
	{ "   goal-kb", 10, MF_GOAL },
	{ "  share-kb", 10, MF_BAL_SHARE },
	{ " weight", 7, MF_BAL_WEIGHT },
};
static const struct tcol bal_cols_long[] = {
	{ "  share-kb", 10, MF_BAL_SHARE },
	{ " weight", 7, MF_BAL_WEIGHT },
};
#define NCOLS_MAX (NCOLS_LONG + 4)
#define STATE_WIDTH 9 /* "no-daemon" */

static size_t
digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static uint64_t
shown(const struct mon_domain *d, enum mon_field f)
{
	return d->have[f] ? d->val[f] : 0; /* missing or garbage: 0, as the original */
}

/* Characters a cell's number takes. */
static size_t
cell_len(uint64_t v, enum mon_field f)
{
	return is_centi(f) ? digits(v / 100) + 3 : digits(v);
}

static void
put_cell(struct mbuf *b, uint64_t v, enum mon_field f, size_t width, bool hl)
{
	size_t n = cell_len(v, f);

	if (n < width)
		put_spaces(b, width - n);
	if (hl)
		mbuf_puts(b, SGR_REV);
	mbuf_put_fixed(b, v, is_centi(f) ? 2 : 0);
	if (hl)
		mbuf_puts(b, SGR_NOREV);
}

static void
end_line(struct mbuf *b, bool ansi)
{
	if (ansi)
		mbuf_puts(b, EL);
	mbuf_put(b, "\n", 1);
}

static void
put_host_item(struct mbuf *b, bool *first, const char *label, uint64_t v,
	      bool hl)
{
	if (!*first)
		mbuf_puts(b, "   ");
	*first = false;
	mbuf_puts(b, label);
	if (hl)
		mbuf_puts(b, SGR_REV);
	mbuf_put_u64(b, v);
	if (hl)
		mbuf_puts(b, SGR_NOREV);
	mbuf_puts(b, " MiB");
}

static bool
host_changed(const struct mon_snapshot *cur, const struct mon_snapshot *prev,
	     enum mon_hfield f, uint64_t div)
{
	if (prev == NULL)
		return false;
	return !prev->host.have[f] ||
	    prev->host.val[f] / div != cur->host.val[f] / div;
}

/* "Balancer: free N MiB   reserve N MiB   keeping N MiB   N managed   N frozen" */
static void
put_balancer_line(struct mbuf *b, const struct mon_balancer *m, const struct mon_balancer *p,
		  bool ansi)
{
	static const struct {
		enum mon_bfield f;
		const char *label, *unit;
		uint64_t div;
	} items[] = {
		{ MB_FREE_KB, "free ", " MiB", 1024 }, { MB_RESERVE_KB, "reserve ", " MiB", 1024 },
		{ MB_KEEP_KB, "keeping ", " MiB", 1024 }, { MB_MANAGED, "", " managed", 1 },
		{ MB_FROZEN, "", " frozen or stale", 1 },
	};

	mbuf_puts(b, "Balancer:");
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		enum mon_bfield f = items[i].f;
		bool hl = p != NULL && (!p->have[f] || p->val[f] / items[i].div != m->val[f] / items[i].div);

		if (!m->have[f])
			continue;
		mbuf_puts(b, i == 0 ? " " : "   ");
		mbuf_puts(b, items[i].label);
		if (hl)
			mbuf_puts(b, SGR_REV);
		mbuf_put_u64(b, m->val[f] / items[i].div);
		if (hl)
			mbuf_puts(b, SGR_NOREV);
		mbuf_puts(b, items[i].unit);
	}
	if (m->have[MB_SHORT] && m->val[MB_SHORT])
		mbuf_puts(b, "   short of memory");
	end_line(b, ansi);
}

void
mon_render_table(struct mbuf *b, const struct mon_snapshot *cur,
		 const struct mon_snapshot *prev, bool longfmt, bool ansi)
{
	const struct tcol *cols[NCOLS_MAX];
	size_t ncols = 0;
	size_t width[NCOLS_MAX];
	size_t idw = 2;
	const struct mon_host *h = &cur->host;
	bool first = true, bal = cur->bal.present;

	for (size_t c = 0; c < (longfmt ? NCOLS_LONG : NCOLS_SHORT); c++)
		cols[ncols++] = &table_cols[c];
	if (bal) {
		const struct tcol *bc = longfmt ? bal_cols_long : bal_cols_short;
		size_t nb = longfmt ? sizeof(bal_cols_long) / sizeof(bal_cols_long[0]) :
		    sizeof(bal_cols_short) / sizeof(bal_cols_short[0]);

		for (size_t c = 0; c < nb; c++)
			cols[ncols++] = &bc[c];
	}

	/* Column widths: Xen 3.4's, or wider when a number needs it. The
	 * first numeric column follows the id's separating space; the others
	 * keep at least one space before their numbers. */
	for (size_t c = 0; c < ncols; c++)
		width[c] = cols[c]->width;
	for (size_t i = 0; i < cur->ndom; i++) {
		const struct mon_domain *d = &cur->dom[i];

		if (digits(d->domid) > idw)
			idw = digits(d->domid);
		for (size_t c = 0; c < ncols; c++) {
			size_t need = cell_len(shown(d, cols[c]->f), cols[c]->f) +
			    (c == 0 ? 0 : 1);

			if (need > width[c])
				width[c] = need;
		}
	}

	/* Header: exactly Xen 3.4's, at its widths. */
	put_spaces(b, idw - 2);
	mbuf_puts(b, "id");
	for (size_t c = 0; c < ncols; c++) {
		put_spaces(b, width[c] - cols[c]->width);
		mbuf_puts(b, cols[c]->head);
	}
	if (bal) {
		mbuf_puts(b, "  ");
		put_left(b, "state", STATE_WIDTH);
	}
	if (longfmt)
	{
		mbuf_puts(b, "  ");
		put_left(b, "source", SOURCE_WIDTH);
		mbuf_puts(b, "  name");
	}
	end_line(b, ansi);

	for (size_t i = 0; i < cur->ndom; i++) {
		const struct mon_domain *d = &cur->dom[i];
		const struct mon_domain *p = prev != NULL ? find_domain(prev, d->domid) : NULL;
		bool isnew = prev != NULL && p == NULL;

		put_cell(b, d->domid, MF_COUNT, idw, isnew);
		mbuf_put(b, " ", 1);
		for (size_t c = 0; c < ncols; c++) {
			enum mon_field f = cols[c]->f;
			bool hl = isnew || (p != NULL && shown(p, f) != shown(d, f));

			put_cell(b, shown(d, f), f, width[c], hl);
		}
		if (bal) {
			const char *st = d->bal_state >= 0 ? mon_bal_states[d->bal_state] : "-";
			bool hl = isnew || (p != NULL && p->bal_state != d->bal_state);

			mbuf_puts(b, "  ");
			if (hl)
				mbuf_puts(b, SGR_REV);
			put_left(b, st, STATE_WIDTH);
			if (hl)
				mbuf_puts(b, SGR_NOREV);
		}
		if (longfmt) {
			const char *src = mon_source_name(d->source);
			bool hl;

			mbuf_puts(b, "  ");
			hl = isnew || (p != NULL && p->source != d->source);
			if (hl)
				mbuf_puts(b, SGR_REV);
			put_left(b, src != NULL ? src : "-", SOURCE_WIDTH);
			if (hl)
				mbuf_puts(b, SGR_NOREV);
			mbuf_puts(b, "  ");
			hl = isnew || (p != NULL && (p->have_name != d->have_name ||
			    p->name_len != d->name_len ||
			    memcmp(p->name, d->name, d->name_len) != 0));
			if (hl)
				mbuf_puts(b, SGR_REV);
			if (d->have_name)
				mon_put_safe_text(b, d->name, d->name_len, NAME_WIDTH_MAX);
			else
				mbuf_put(b, "-", 1);
			if (hl)
				mbuf_puts(b, SGR_NOREV);
		}
		end_line(b, ansi);
	}

	/* "Free memory: N MiB   Idle tmem: N MiB   Ephemeral tmem: N MiB",
	 * each part only where its source exists; no line when none does. */
	if (h->have[MH_FREE_MIB])
		put_host_item(b, &first, "Free memory: ", h->val[MH_FREE_MIB],
		    host_changed(cur, prev, MH_FREE_MIB, 1));
	if (h->have[MH_TMEM_IDLE_PAGES])
		put_host_item(b, &first, "Idle tmem: ", h->val[MH_TMEM_IDLE_PAGES] / 256,
		    host_changed(cur, prev, MH_TMEM_IDLE_PAGES, 256));
	if (h->have[MH_TMEM_EPH_PAGES])
		put_host_item(b, &first, "Ephemeral tmem: ", h->val[MH_TMEM_EPH_PAGES] / 256,
		    host_changed(cur, prev, MH_TMEM_EPH_PAGES, 256));
	if (!first)
		end_line(b, ansi);
	if (bal)
		put_balancer_line(b, &cur->bal, prev != NULL ? &prev->bal : NULL, ansi);
}

/* --- JSON ---------------------------------------------------------- */

static const char *const json_names[MF_COUNT] = {
	[MF_MEMTOTAL] = "memtotal_kb",
	[MF_SELFTARGET] = "selftarget_kb",
	[MF_COMMITTED] = "committed_as_kb",
	[MF_PSWPIN] = "pswpin",
	[MF_PSWPOUT] = "pswpout",
	[MF_PGPGIN] = "pgpgin",
	[MF_PGPGOUT] = "pgpgout",
	[MF_PRESWAP] = "preswap_pages",
	[MF_PRECACHE] = "precache_pages",
	[MF_TARGET] = "target_kb",
	[MF_STATIC_MAX] = "static_max_kb",
	[MF_USED] = "used_kb",
	[MF_GOAL] = "goal_kb",
	[MF_WORKINGSET] = "workingset_kb",
	[MF_PSI_SOME] = "psi_some_avg10",
	[MF_PSI_FULL] = "psi_full_avg10",
	[MF_BAL_SHARE] = "balancer_share_kb",
	[MF_BAL_WEIGHT] = "balancer_weight",
	[MF_BAL_MIN] = "balancer_min_kb",
	[MF_BAL_MAX] = "balancer_max_kb",
	[MF_BAL_STALLING] = "balancer_stalling",
};

static void
json_fixed(struct mbuf *b, const char *key, bool have, uint64_t v, unsigned decimals)
{
	mbuf_puts(b, ",\"");
	mbuf_puts(b, key);
	mbuf_puts(b, "\":");
	if (have)
		mbuf_put_fixed(b, v, decimals);
	else
		mbuf_puts(b, "null");
}

static void
json_num(struct mbuf *b, const char *key, bool have, uint64_t v)
{
	json_fixed(b, key, have, v, 0);
}

/* A string that is ours (not a guest's), or null. */
static void
json_text(struct mbuf *b, const char *t)
{
	if (t != NULL)
		mon_put_json_string(b, t, strlen(t));
	else
		mbuf_puts(b, "null");
}

static const char *const bal_names[MB_COUNT] = {
	[MB_FREE_KB] = "free_kb", [MB_RESERVE_KB] = "reserve_kb", [MB_KEEP_KB] = "keep_kb",
	[MB_POOL_KB] = "pool_kb", [MB_WANT_KB] = "want_kb", [MB_SHORT] = "short",
	[MB_MANAGED] = "managed", [MB_FROZEN] = "frozen_or_stale",
};

void
mon_render_json(struct mbuf *b, const struct mon_snapshot *s)
{
	const struct mon_host *h = &s->host;
	const char *src;

	mbuf_puts(b, "{\"domains\":[");
	for (size_t i = 0; i < s->ndom; i++) {
		const struct mon_domain *d = &s->dom[i];

		mbuf_puts(b, i > 0 ? ",{\"domid\":" : "{\"domid\":");
		mbuf_put_u64(b, d->domid);
		mbuf_puts(b, ",\"name\":");
		if (d->have_name)
			mon_put_json_string(b, d->name, d->name_len);
		else
			mbuf_puts(b, "null");
		for (int f = 0; f < MF_COUNT; f++)
			json_fixed(b, json_names[f], d->have[f], d->val[f],
			    is_centi((enum mon_field)f) ? 2 : 0);
		mbuf_puts(b, ",\"stats_source\":");
		src = mon_source_name(d->source);
		json_text(b, src);
		mbuf_puts(b, ",\"mode\":");
		json_text(b, mon_mode_name(d->mode));
		mbuf_puts(b, ",\"balancer_state\":");
		json_text(b, d->bal_state >= 0 ? mon_bal_states[d->bal_state] : NULL);
		mbuf_put(b, "}", 1);
	}
	mbuf_puts(b, "],\"host\":{\"free_memory_mib\":");
	if (h->have[MH_FREE_MIB])
		mbuf_put_u64(b, h->val[MH_FREE_MIB]);
	else
		mbuf_puts(b, "null");
	json_num(b, "tmem_idle_pages", h->have[MH_TMEM_IDLE_PAGES], h->val[MH_TMEM_IDLE_PAGES]);
	json_num(b, "tmem_ephemeral_pages", h->have[MH_TMEM_EPH_PAGES], h->val[MH_TMEM_EPH_PAGES]);
	json_num(b, "tmem_idle_mib", h->have[MH_TMEM_IDLE_PAGES], h->val[MH_TMEM_IDLE_PAGES] / 256);
	json_num(b, "tmem_ephemeral_mib", h->have[MH_TMEM_EPH_PAGES], h->val[MH_TMEM_EPH_PAGES] / 256);
	mbuf_puts(b, "},\"balancer\":");
	if (!s->bal.present) {
		mbuf_puts(b, "null}\n");
		return;
	}
	mbuf_puts(b, "{\"running\":true");
	for (int f = 0; f < MB_COUNT; f++)
		json_num(b, bal_names[f], s->bal.have[f], s->bal.val[f]);
	mbuf_puts(b, "}}\n");
}

/* --- Prometheus text exposition format -------------------------------- */

struct pmetric {
	enum mon_field f;
	const char *name;
	const char *type;
	uint64_t mult; /* kB values are exported in bytes (base units);
			* 0: a percentage x 100, exported as a ratio */
	const char *help;
};

static const struct pmetric guest_metrics[] = {
	{ MF_MEMTOTAL, "xenballoon_guest_memtotal_bytes", "gauge", 1024,
	  "MemTotal of the meminfo the guest published." },
	{ MF_SELFTARGET, "xenballoon_guest_selftarget_bytes", "gauge", 1024,
	  "The memory target the guest's xenballoond last moved toward (selftarget)." },
	{ MF_COMMITTED, "xenballoon_guest_committed_as_bytes", "gauge", 1024,
	  "Committed_AS of the meminfo the guest published." },
	{ MF_PSWPIN, "xenballoon_guest_vmstat_pswpin_total", "counter", 1,
	  "Pages swapped in (pswpin of the vmstat the guest published)." },
	{ MF_PSWPOUT, "xenballoon_guest_vmstat_pswpout_total", "counter", 1,
	  "Pages swapped out (pswpout of the vmstat the guest published)." },
	{ MF_PGPGIN, "xenballoon_guest_vmstat_pgpgin_total", "counter", 1,
	  "KiB paged in from disk (pgpgin of the vmstat the guest published)." },
	{ MF_PGPGOUT, "xenballoon_guest_vmstat_pgpgout_total", "counter", 1,
	  "KiB paged out to disk (pgpgout of the vmstat the guest published)." },
	{ MF_PRESWAP, "xenballoon_guest_preswap_pages", "gauge", 1,
	  "Pages in the guest's preswap." },
	{ MF_PRECACHE, "xenballoon_guest_precache_pages", "gauge", 1,
	  "The guest's tmem ephemeral pages (precache), from xl tmem-list." },
	{ MF_TARGET, "xenballoon_guest_target_bytes", "gauge", 1024,
	  "memory/target, set by the toolstack." },
	{ MF_STATIC_MAX, "xenballoon_guest_static_max_bytes", "gauge", 1024,
	  "memory/static-max, set by the toolstack." },
	{ MF_USED, "xenballoon_guest_used_bytes", "gauge", 1024,
	  "Memory in use in the guest, MemTotal - MemAvailable (used)." },
	{ MF_GOAL, "xenballoon_guest_goal_bytes", "gauge", 1024,
	  "The selfballooning goal, in balloon units like selftarget (goal)." },
	{ MF_WORKINGSET, "xenballoon_guest_workingset_bytes", "gauge", 1024,
	  "Page cache the guest's goal keeps as in use (workingset)." },
	{ MF_PSI_SOME, "xenballoon_guest_psi_memory_some_avg10_ratio", "gauge", 0,
	  "Share of the last 10 s some task stalled on memory (PSI)." },
	{ MF_PSI_FULL, "xenballoon_guest_psi_memory_full_avg10_ratio", "gauge", 0,
	  "Share of the last 10 s all tasks stalled on memory (PSI)." },
	{ MF_BAL_SHARE, "xenballoon_balancer_guest_share_bytes", "gauge", 1024,
	  "The guest's share under xenballoon-balancer's allocation rule." },
	{ MF_BAL_WEIGHT, "xenballoon_balancer_guest_weight", "gauge", 1,
	  "The guest's weight in xenballoon-balancer's allocation." },
	{ MF_BAL_MIN, "xenballoon_balancer_guest_min_bytes", "gauge", 1024,
	  "The floor xenballoon-balancer keeps the guest above." },
	{ MF_BAL_MAX, "xenballoon_balancer_guest_max_bytes", "gauge", 1024,
	  "The ceiling xenballoon-balancer keeps the guest below." },
	{ MF_BAL_STALLING, "xenballoon_balancer_guest_stalling", "gauge", 1,
	  "1 while xenballoon-balancer sees the guest's tasks stall for memory." },
};

static void
prom_family(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mbuf_puts(b, "# HELP ");
	mbuf_puts(b, name);
	mbuf_puts(b, " ");
	mbuf_puts(b, help);
	mbuf_puts(b, "\n# TYPE ");
	mbuf_puts(b, name);
	mbuf_puts(b, " ");
	mbuf_puts(b, type);
	mbuf_puts(b, "\n");
}

static void
prom_labels(struct mbuf *b, const struct mon_domain *d)
{
	mbuf_puts(b, "{domid=\"");
	mbuf_put_u64(b, d->domid);
	mbuf_puts(b, "\",name=\"");
	if (d->have_name)
		mon_put_prom_label(b, d->name, d->name_len);
	mbuf_put(b, "\"", 1);
}

static void
prom_host(struct mbuf *b, const struct mon_host *h, enum mon_hfield f,
	  const char *name, uint64_t mult, const char *help)
{
	if (!h->have[f])
		return;
	prom_family(b, name, "gauge", help);
	mbuf_puts(b, name);
	mbuf_puts(b, " ");
	mbuf_put_u64(b, h->val[f] * mult);
	mbuf_put(b, "\n", 1);
}

/* The balancer's host figures and each guest's state (an info series). */
static void
prom_balancer(struct mbuf *b, const struct mon_snapshot *s)
{
	static const struct {
		enum mon_bfield f;
		const char *name;
		uint64_t mult;
		const char *help;
	} hm[] = {
		{ MB_FREE_KB, "xenballoon_balancer_free_bytes", 1024,
		  "Free host memory as xenballoon-balancer last saw it." },
		{ MB_RESERVE_KB, "xenballoon_balancer_reserve_bytes", 1024,
		  "The free memory xenballoon-balancer keeps for dom0 and new domains." },
		{ MB_KEEP_KB, "xenballoon_balancer_keep_free_bytes", 1024,
		  "The free memory it keeps now (the reserve, or more for a --free)." },
		{ MB_POOL_KB, "xenballoon_balancer_pool_bytes", 1024,
		  "What the managed guests may hold together." },
		{ MB_SHORT, "xenballoon_balancer_short", 1,
		  "1 while the managed guests ask for more than the pool." },
		{ MB_MANAGED, "xenballoon_balancer_managed_guests", 1,
		  "Guests whose targets xenballoon-balancer sets." },
		{ MB_FROZEN, "xenballoon_balancer_frozen_guests", 1,
		  "Guests left where they are: silent, or not following their target." },
	};
	bool any = false;

	for (size_t i = 0; s->bal.present && i < sizeof(hm) / sizeof(hm[0]); i++) {
		if (!s->bal.have[hm[i].f])
			continue;
		prom_family(b, hm[i].name, "gauge", hm[i].help);
		mbuf_puts(b, hm[i].name);
		mbuf_puts(b, " ");
		mbuf_put_u64(b, s->bal.val[hm[i].f] * hm[i].mult);
		mbuf_put(b, "\n", 1);
	}
	for (size_t i = 0; i < s->ndom; i++) {
		const struct mon_domain *d = &s->dom[i];

		if (d->bal_state < 0)
			continue;
		if (!any)
			prom_family(b, "xenballoon_balancer_guest_info", "gauge",
			    "One per guest xenballoon-balancer knows; state: what it makes of it.");
		any = true;
		mbuf_puts(b, "xenballoon_balancer_guest_info");
		prom_labels(b, d);
		mbuf_puts(b, ",state=\"");
		mbuf_puts(b, mon_bal_states[d->bal_state]);
		mbuf_puts(b, "\"} 1\n");
	}
}

void
mon_render_prom(struct mbuf *b, const struct mon_snapshot *s)
{
	if (s->ndom > 0) {
		prom_family(b, "xenballoon_guest_info", "gauge",
		    "One per guest domain; source: where its statistics were found.");
		for (size_t i = 0; i < s->ndom; i++) {
			const char *src = mon_source_name(s->dom[i].source);

			mbuf_puts(b, "xenballoon_guest_info");
			prom_labels(b, &s->dom[i]);
			mbuf_puts(b, ",source=\"");
			mbuf_puts(b, src != NULL ? src : "none");
			mbuf_puts(b, "\"} 1\n");
		}
	}
	for (size_t m = 0; m < sizeof(guest_metrics) / sizeof(guest_metrics[0]); m++) {
		const struct pmetric *pm = &guest_metrics[m];
		bool any = false;

		for (size_t i = 0; i < s->ndom; i++) {
			const struct mon_domain *d = &s->dom[i];

			if (!d->have[pm->f])
				continue; /* absent, not a false 0 */
			if (!any)
				prom_family(b, pm->name, pm->type, pm->help);
			any = true;
			mbuf_puts(b, pm->name);
			prom_labels(b, d);
			mbuf_puts(b, "} ");
			if (pm->mult == 0)
				mbuf_put_fixed(b, d->val[pm->f], 4);
			else
				mbuf_put_u64(b, d->val[pm->f] * pm->mult);
			mbuf_put(b, "\n", 1);
		}
	}
	prom_balancer(b, s);
	prom_host(b, &s->host, MH_FREE_MIB, "xenballoon_host_free_memory_bytes",
	    UINT64_C(1024) * 1024, "Free host memory (xl info free_memory).");
	prom_host(b, &s->host, MH_TMEM_IDLE_PAGES, "xenballoon_host_tmem_idle_pages", 1,
	    "Idle tmem pages (xl tmem-list, Ta:).");
	prom_host(b, &s->host, MH_TMEM_EPH_PAGES, "xenballoon_host_tmem_ephemeral_pages", 1,
	    "Ephemeral tmem pages (xl tmem-list, Ec:).");
}
