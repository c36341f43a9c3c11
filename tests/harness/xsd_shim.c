/*
 * xsd_shim.c - lets the unmodified Debian xenstored (Xen 4.17) run on a
 * machine without a Xen hypervisor, for the integration tests.
 *
 * Loaded with LD_PRELOAD. It defines exactly the hypervisor calls that
 * xenstored imports (`nm -D --undefined-only xenstored`):
 *
 *   xc_interface_open, xc_interface_close, xc_domain_getinfo
 *   xengnttab_open, xengnttab_close, xengnttab_set_max_grants,
 *   xengnttab_map_grant_ref, xengnttab_unmap
 *   xenevtchn_open, xenevtchn_fdopen, xenevtchn_fd, xenevtchn_notify,
 *   xenevtchn_bind_interdomain, xenevtchn_bind_virq, xenevtchn_unbind,
 *   xenevtchn_pending, xenevtchn_unmask
 *
 * and intercepts open() of the two files dom0 set-up reads:
 *
 *   /proc/xen/xsd_port  a memfd holding the event channel number
 *   /proc/xen/xsd_kva   a memfd holding one zeroed page (xenstored mmaps it
 *                       as dom0's ring; nobody ever writes a request to it)
 *
 * Behaviour:
 *   - domains that exist: dom0, every domain whose ring was mapped
 *     (XS_INTRODUCE) until that ring is unmapped again (XS_RELEASE), and
 *     the domids listed in XSD_SHIM_DOMAINS ("1,5,7", or "all").
 *   - event channels: one eventfd per handle that never fires; binds return
 *     increasing fake port numbers.
 *   - XSD_SHIM_PORT: the number in /proc/xen/xsd_port (default 1).
 *   - XSD_SHIM_DEBUG=1: every call is logged on stderr.
 *
 * The symbols are unversioned: the dynamic linker accepts them for the
 * versioned references of xenstored (xc_interface_open@VERS_4.17.0, ...)
 * because the shim has no version table, and LD_PRELOAD puts them first.
 *
 * Build: cc -std=gnu11 -Wall -Wextra -Werror -fPIC -shared -o xsd_shim.so
 *        xsd_shim.c -ldl      (headers from libxen-dev)
 */
#undef _FORTIFY_SOURCE		/* glibc's fortified open() is an inline wrapper */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#define SHIM_PAGE	4096u
#define SHIM_MAX_DOMID	DOMID_FIRST_RESERVED	/* 0x7FF0 */
#define SHIM_MAX_MAPS	1024u

#define SHIM_EXPORT	__attribute__((visibility("default")))

/* The opaque handle types of the Xen headers, completed here. */
struct xc_interface_core {
	unsigned int magic;
};

struct xengntdev_handle {
	unsigned int magic;
};

struct xenevtchn_handle {
	int fd;				/* eventfd, never signalled */
};

/* xenstored is single threaded: no locking. */
static unsigned char dom_exists[SHIM_MAX_DOMID / 8];
static bool dom_all;
static bool shim_ready;
static bool shim_debug;
static unsigned int xsd_port = 1;
static evtchn_port_t next_port = 1;
static evtchn_port_t virq_port;

static struct {
	void *addr;
	uint32_t domid;
} maps[SHIM_MAX_MAPS];

static void dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void dbg(const char *fmt, ...)
{
	va_list ap;

	if (!shim_debug)
		return;
	va_start(ap, fmt);
	fputs("xsd_shim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void dom_set(uint32_t domid, bool on)
{
	if (domid >= SHIM_MAX_DOMID)
		return;
	if (on)
		dom_exists[domid / 8] |= (unsigned char)(1u << (domid % 8));
	else
		dom_exists[domid / 8] &= (unsigned char)~(1u << (domid % 8));
}

static bool dom_get(uint32_t domid)
{
	if (domid >= SHIM_MAX_DOMID)
		return false;
	if (domid == 0 || dom_all)
		return true;
	return dom_exists[domid / 8] & (1u << (domid % 8));
}

static void shim_init(void)
{
	const char *s;

	if (shim_ready)
		return;
	shim_ready = true;

	s = getenv("XSD_SHIM_DEBUG");
	shim_debug = s && *s && strcmp(s, "0") != 0;

	s = getenv("XSD_SHIM_PORT");
	if (s && *s) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (*end == '\0' && v > 0 && v < 65536)
			xsd_port = (unsigned int)v;
	}

	dom_set(0, true);
	s = getenv("XSD_SHIM_DOMAINS");
	if (s && strcmp(s, "all") == 0) {
		dom_all = true;
	} else if (s) {
		while (*s) {
			char *end;
			unsigned long v = strtoul(s, &end, 10);

			if (end == s)
				break;
			dom_set((uint32_t)v, true);
			s = end;
			while (*s == ',' || *s == ' ')
				s++;
		}
	}
	dbg("loaded (xsd_port %u, all domains %d)", xsd_port, (int)dom_all);
}

/* ---- libxenctrl ------------------------------------------------------ */

SHIM_EXPORT xc_interface *xc_interface_open(xentoollog_logger *logger,
					    xentoollog_logger *dombuild_logger,
					    unsigned open_flags)
{
	xc_interface *xch;

	(void)logger;
	(void)dombuild_logger;
	shim_init();
	xch = calloc(1, sizeof(*xch));
	if (!xch)
		return NULL;
	xch->magic = 0x58435348u;
	dbg("xc_interface_open(flags %#x) = %p", open_flags, (void *)xch);
	return xch;
}

SHIM_EXPORT int xc_interface_close(xc_interface *xch)
{
	dbg("xc_interface_close(%p)", (void *)xch);
	free(xch);
	return 0;
}

SHIM_EXPORT int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid,
				  unsigned int max_doms, xc_dominfo_t *info)
{
	unsigned int n = 0;
	uint32_t d;

	(void)xch;
	shim_init();
	for (d = first_domid; d < SHIM_MAX_DOMID && n < max_doms; d++) {
		if (!dom_get(d))
			continue;
		memset(&info[n], 0, sizeof(info[n]));
		info[n].domid = d;
		info[n].running = 1;
		info[n].nr_pages = 65536;
		info[n].max_memkb = 262144;
		info[n].nr_online_vcpus = 1;
		info[n].cpupool = 0;
		n++;
	}
	dbg("xc_domain_getinfo(first %u, max %u) = %u", first_domid, max_doms, n);
	return (int)n;
}

/* ---- libxengnttab ---------------------------------------------------- */

SHIM_EXPORT xengnttab_handle *xengnttab_open(xentoollog_logger *logger,
					     unsigned open_flags)
{
	xengnttab_handle *xgt;

	(void)logger;
	shim_init();
	xgt = calloc(1, sizeof(*xgt));
	if (!xgt)
		return NULL;
	xgt->magic = 0x47545348u;
	dbg("xengnttab_open(flags %#x) = %p", open_flags, (void *)xgt);
	return xgt;
}

SHIM_EXPORT int xengnttab_close(xengnttab_handle *xgt)
{
	dbg("xengnttab_close(%p)", (void *)xgt);
	free(xgt);
	return 0;
}

SHIM_EXPORT int xengnttab_set_max_grants(xengnttab_handle *xgt,
					 uint32_t nr_grants)
{
	(void)xgt;
	dbg("xengnttab_set_max_grants(%u)", nr_grants);
	return 0;
}

SHIM_EXPORT void *xengnttab_map_grant_ref(xengnttab_handle *xgt,
					  uint32_t domid, uint32_t ref,
					  int prot)
{
	void *p;
	unsigned int i;

	(void)xgt;
	if (domid >= SHIM_MAX_DOMID) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < SHIM_MAX_MAPS && maps[i].addr; i++)
		;
	if (i == SHIM_MAX_MAPS) {
		errno = ENOMEM;
		return NULL;
	}
	p = mmap(NULL, SHIM_PAGE, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	maps[i].addr = p;
	maps[i].domid = domid;
	dom_set(domid, true);
	dbg("xengnttab_map_grant_ref(dom %u, ref %u) = %p", domid, ref, p);
	return p;
}

SHIM_EXPORT int xengnttab_unmap(xengnttab_handle *xgt, void *start_address,
				uint32_t count)
{
	unsigned int i;

	(void)xgt;
	for (i = 0; i < SHIM_MAX_MAPS; i++) {
		if (maps[i].addr == start_address) {
			dbg("xengnttab_unmap(%p): dom %u is gone", start_address,
			    maps[i].domid);
			if (maps[i].domid != 0)
				dom_set(maps[i].domid, false);
			maps[i].addr = NULL;
			break;
		}
	}
	return munmap(start_address, (size_t)count * SHIM_PAGE);
}

/* ---- libxenevtchn ---------------------------------------------------- */

static xenevtchn_handle *evtchn_new(unsigned int flags)
{
	xenevtchn_handle *xce;
	int efl = EFD_NONBLOCK;

	shim_init();
	if (!(flags & XENEVTCHN_NO_CLOEXEC))
		efl |= EFD_CLOEXEC;
	xce = calloc(1, sizeof(*xce));
	if (!xce)
		return NULL;
	xce->fd = eventfd(0, efl);
	if (xce->fd < 0) {
		free(xce);
		return NULL;
	}
	return xce;
}

SHIM_EXPORT xenevtchn_handle *xenevtchn_open(xentoollog_logger *logger,
					     unsigned int flags)
{
	xenevtchn_handle *xce;

	(void)logger;
	xce = evtchn_new(flags);
	dbg("xenevtchn_open(flags %#x) = %p fd %d", flags, (void *)xce,
	    xce ? xce->fd : -1);
	return xce;
}

/* Live update hands over the fd of /dev/xen/evtchn; there is none here. */
SHIM_EXPORT xenevtchn_handle *xenevtchn_fdopen(xentoollog_logger *logger,
					       int fd, unsigned open_flags)
{
	xenevtchn_handle *xce;

	(void)logger;
	xce = evtchn_new(0);
	dbg("xenevtchn_fdopen(fd %d, flags %#x) = %p", fd, open_flags,
	    (void *)xce);
	return xce;
}

SHIM_EXPORT int xenevtchn_close(xenevtchn_handle *xce)
{
	if (!xce)
		return 0;
	close(xce->fd);
	free(xce);
	return 0;
}

SHIM_EXPORT int xenevtchn_fd(xenevtchn_handle *xce)
{
	return xce->fd;
}

SHIM_EXPORT int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	(void)xce;
	dbg("xenevtchn_notify(port %u)", port);
	return 0;
}

SHIM_EXPORT xenevtchn_port_or_error_t
xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
			   evtchn_port_t remote_port)
{
	evtchn_port_t p = next_port++;

	(void)xce;
	dbg("xenevtchn_bind_interdomain(dom %u, remote %u) = %u", domid,
	    remote_port, p);
	return (xenevtchn_port_or_error_t)p;
}

SHIM_EXPORT xenevtchn_port_or_error_t
xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
	evtchn_port_t p = next_port++;

	(void)xce;
	if (!virq_port)
		virq_port = p;
	dbg("xenevtchn_bind_virq(virq %u) = %u", virq, p);
	return (xenevtchn_port_or_error_t)p;
}

SHIM_EXPORT int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	(void)xce;
	dbg("xenevtchn_unbind(port %u)", port);
	return 0;
}

/* Only reached if someone signals the eventfd: report the VIRQ port, which
 * makes xenstored rescan its domains (harmless). */
SHIM_EXPORT xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	eventfd_t v;

	if (eventfd_read(xce->fd, &v) < 0) {
		errno = EAGAIN;
		return -1;
	}
	dbg("xenevtchn_pending() = %u", virq_port);
	return (xenevtchn_port_or_error_t)virq_port;
}

SHIM_EXPORT int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	(void)xce;
	(void)port;
	return 0;
}

/* ---- /proc/xen/xsd_port and /proc/xen/xsd_kva ----------------------- */

static int memfd(const char *name)
{
	return (int)syscall(SYS_memfd_create, name, (unsigned int)MFD_CLOEXEC);
}

/* Returns an fd (or -1 with errno) for the two special files, -2 for any
 * other path. */
static int special_open(const char *path)
{
	int fd;

	if (!path || strncmp(path, "/proc/xen/xsd_", 14) != 0)
		return -2;
	shim_init();

	if (strcmp(path, "/proc/xen/xsd_port") == 0) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "%u", xsd_port);

		fd = memfd("xsd_port");
		if (fd < 0)
			return -1;
		if (write(fd, buf, (size_t)n) != n || lseek(fd, 0, SEEK_SET) != 0) {
			int e = errno;

			close(fd);
			errno = e ? e : EIO;
			return -1;
		}
		dbg("open(%s) = memfd %d holding \"%s\"", path, fd, buf);
		return fd;
	}
	if (strcmp(path, "/proc/xen/xsd_kva") == 0) {
		fd = memfd("xsd_kva");
		if (fd < 0)
			return -1;
		if (ftruncate(fd, SHIM_PAGE) != 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		dbg("open(%s) = memfd %d (one zeroed page)", path, fd);
		return fd;
	}
	return -2;
}

typedef int (*open_fn)(const char *, int, ...);

static int pass_open(const char *sym, const char *path, int flags,
		     mode_t mode)
{
	open_fn real = (open_fn)(uintptr_t)dlsym(RTLD_NEXT, sym);

	if (!real)
		return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
	return real(path, flags, mode);
}

static mode_t open_mode(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return (mode_t)va_arg(ap, unsigned int);
	return 0;
}

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fd = special_open(path);
	if (fd != -2)
		return fd;
	return pass_open("open", path, flags, mode);
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fd = special_open(path);
	if (fd != -2)
		return fd;
	return pass_open("open64", path, flags, mode);
}
