/* host.c - the hypervisor through libxl (see host.h). */
#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxl.h>
#include <xentoollog.h>

#include "log.h"

/* libxl's messages go to the balancer's log (stderr or syslog): a
 * logger of our own rather than xtl's stdio one, which writes to a
 * stderr that is /dev/null once the balancer detaches. */
struct xl_logger {
	xentoollog_logger vtable;
};

struct host {
	libxl_ctx *ctx;
	struct xl_logger lg;
};

static void xl_vmessage(xentoollog_logger *lg, xentoollog_level level, int errnoval,
			const char *context, const char *format, va_list al)
    __attribute__((format(printf, 5, 0)));

static void
xl_vmessage(xentoollog_logger *lg, xentoollog_level level, int errnoval,
	    const char *context, const char *format, va_list al)
{
	char msg[512];

	(void)lg;
	if (level < XTL_WARN)
		return;
	vsnprintf(msg, sizeof(msg), format, al);
	if (errnoval > 0)
		log_warnc(errnoval, "libxl%s%s: %s", context ? " " : "", context ? context : "", msg);
	else
		log_warnx("libxl%s%s: %s", context ? " " : "", context ? context : "", msg);
}

static void
xl_progress(xentoollog_logger *lg, const char *context, const char *doing_what, int percent,
	    unsigned long done, unsigned long total)
{
	(void)lg, (void)context, (void)doing_what, (void)percent, (void)done, (void)total;
}

static void
xl_destroy(xentoollog_logger *lg)
{
	(void)lg;
}

struct host *
host_open(const char **why)
{
	struct host *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		*why = "out of memory";
		return NULL;
	}
	h->lg.vtable.vmessage = xl_vmessage;
	h->lg.vtable.progress = xl_progress;
	h->lg.vtable.destroy = xl_destroy;
	if (libxl_ctx_alloc(&h->ctx, LIBXL_VERSION, 0, &h->lg.vtable) != 0) {
		*why = "libxl_ctx_alloc failed (are we root in dom0, with xenstored running?)";
		free(h);
		return NULL;
	}
	return h;
}

void
host_close(struct host *h)
{
	if (h == NULL)
		return;
	libxl_ctx_free(h->ctx);
	free(h);
}

int
host_free_kb(struct host *h, uint64_t *kb)
{
	uint64_t v = 0;

	if (libxl_get_free_memory(h->ctx, &v) != 0)
		return -1;
	*kb = v;
	return 0;
}

int
host_domains(struct host *h, struct host_dom **list, size_t *n, size_t *cap)
{
	int nb = 0;
	libxl_dominfo *info = libxl_list_domain(h->ctx, &nb);

	*n = 0;
	if (info == NULL)
		return -1;
	if ((size_t)nb > *cap) {
		struct host_dom *nl = reallocarray(*list, (size_t)nb, sizeof(**list));

		if (nl == NULL) {
			libxl_dominfo_list_free(info, nb);
			return -1;
		}
		*list = nl;
		*cap = (size_t)nb;
	}
	for (int i = 0; i < nb; i++)
		(*list)[(*n)++] = (struct host_dom){
			.domid = info[i].domid,
			.cur_kb = info[i].current_memkb,
			.max_kb = info[i].max_memkb,
			.dying = info[i].dying || info[i].shutdown,
		};
	libxl_dominfo_list_free(info, nb);
	return 0;
}

int
host_set_target(struct host *h, unsigned domid, uint64_t target_kb, uint64_t videoram_kb,
		int *rc)
{
	/* Absolute (relative 0), enforced (the maximum follows): what
	 * `xl mem-set` asks for. libxl subtracts memory/videoram again. */
	*rc = libxl_set_memory_target(h->ctx, domid, (int64_t)(target_kb + videoram_kb), 0, 1);
	return *rc == 0 ? 0 : -1;
}
