/* host.h - the hypervisor, through libxl (libxenlight), as `xl` sees
 * it: free memory, each domain's allocation and maximum, and setting a
 * domain's target as `xl mem-set` does (libxl_set_memory_target writes
 * memory/target and the hypervisor's maximum together, in the
 * toolstack's own transaction).
 *
 * This is the balancer's only door to the hypervisor; the tests preload
 * a stand-in for the few libxl calls used here (tests/balancer/fakexl.c).
 */
#ifndef XB_HOST_H
#define XB_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;

struct host_dom {
	unsigned domid;
	uint64_t cur_kb;     /* current_memkb: pages it holds */
	uint64_t max_kb;     /* max_memkb: the hypervisor's ceiling */
	bool dying;          /* dying or shut down: leave it alone */
};

/* Open libxl. Returns NULL with a log line (a reason in *why) when it
 * cannot (not dom0, no privcmd, no xenstored). */
struct host *host_open(const char **why);
void host_close(struct host *h);

/* Free memory in kB (libxl_get_free_memory). 0 or -1. */
int host_free_kb(struct host *h, uint64_t *kb);

/* Every domain (libxl_list_domain) into *list (grown as needed, owned by
 * the caller, freed with free()). 0 or -1. */
int host_domains(struct host *h, struct host_dom **list, size_t *n, size_t *cap);

/* memory/target of domid := target_kb (plus videoram_kb, which libxl
 * takes off again), and the hypervisor's maximum with it (enforce), as
 * `xl mem-set` does. 0, or -1 with the libxl error code in *rc. */
int host_set_target(struct host *h, unsigned domid, uint64_t target_kb, uint64_t videoram_kb,
		    int *rc);

#endif
