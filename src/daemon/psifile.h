/* psifile.h - the kernel's memory pressure file, /proc/pressure/memory:
 * reading it, and a trigger on it that wakes poll() (POLLPRI) when
 * tasks stall for memory between two ticks. */
#ifndef XB_PSIFILE_H
#define XB_PSIFILE_H

#include <limits.h>
#include <stddef.h>

#include "psi.h"

#define PSI_MEMORY_FILE "/proc/pressure/memory"
/* Wake when tasks stalled 50 ms within a 500 ms window (10 %): a
 * backstop for the sampling, which is faster when use rises. Without
 * CAP_SYS_RESOURCE (the systemd unit keeps CAP_SYS_ADMIN only) the
 * kernel takes only windows of whole 2 s: the same share over 2 s. */
#define PSI_TRIGGER "some 50000 500000"
#define PSI_TRIGGER_UNPRIVILEGED "some 200000 2000000"

struct psifile {
	char path[PATH_MAX];
	int trigger_fd;        /* -1: none */
	int trigger_err;       /* why the last arming failed (0: none) */
};

/* Set the path under root; no file is opened yet. */
void psifile_init(struct psifile *pf, const char *root);

/* Read the file into text (size bytes at most, NUL-terminated) and
 * parse it. 0, or -1 with errno set (ENOENT without PSI, EOPNOTSUPP
 * with psi=0, EINVAL when it does not parse; text is then ""). */
int psifile_read(const struct psifile *pf, char *text, size_t size, struct psi *out);

/* Open the trigger if it is not open. Only on the real procfs: a file
 * given under --root is a plain file a write would overwrite. Returns
 * the descriptor, or -1 with pf->trigger_err set (0 when the file is
 * not procfs's and no trigger is wanted). */
int psifile_arm(struct psifile *pf);

void psifile_disarm(struct psifile *pf);

#endif
