/* psifile.c - /proc/pressure/memory: read it, and arm a trigger. */
#include "psifile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util.h"

void
psifile_init(struct psifile *pf, const char *root)
{
	memset(pf, 0, sizeof(*pf));
	pf->trigger_fd = -1;
	if (path_under_root(pf->path, sizeof(pf->path), root, PSI_MEMORY_FILE) != 0)
		pf->path[0] = '\0';
}

int
psifile_read(const struct psifile *pf, char *text, size_t size, struct psi *out)
{
	ssize_t n = read_small_file(pf->path, text, size);

	if (n < 0) {
		text[0] = '\0';
		return -1;
	}
	if (psi_parse(text, (size_t)n, out) != 0) {
		text[0] = '\0';
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
psifile_arm(struct psifile *pf)
{
	struct statfs sfs;
	int fd;

	if (pf->trigger_fd >= 0)
		return pf->trigger_fd;
	fd = open(pf->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		pf->trigger_err = errno;
		return -1;
	}
	if (fstatfs(fd, &sfs) != 0 || sfs.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		pf->trigger_err = 0;
		return -1;
	}
	if (write(fd, PSI_TRIGGER, strlen(PSI_TRIGGER) + 1) < 0 &&
	    (errno != EINVAL ||
		write(fd, PSI_TRIGGER_UNPRIVILEGED, strlen(PSI_TRIGGER_UNPRIVILEGED) + 1) < 0)) {
		pf->trigger_err = errno;
		close(fd);
		return -1;
	}
	pf->trigger_err = 0;
	pf->trigger_fd = fd;
	return fd;
}

void
psifile_disarm(struct psifile *pf)
{
	if (pf->trigger_fd >= 0)
		close(pf->trigger_fd);
	pf->trigger_fd = -1;
}
