/* engine.h - one tick of the daemon: read the kernel's files and
 * xenstore, ask the policy, drive the balloon and the preswap file,
 * publish the stats. The main loop only calls these. */
#ifndef XB_ENGINE_H
#define XB_ENGINE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "balloon.h"
#include "config.h"
#include "policy.h"
#include "pressure.h"
#include "psifile.h"
#include "xs.h"

#define XB_TEXT_MAX 8192

struct engine {
	struct xb_config cfg;
	char config_path[PATH_MAX];
	char root[PATH_MAX];
	bool dry_run;
	bool use_xenstore;

	struct balloon balloon;
	struct xs_session xs;
	struct preswap_state preswap;

	/* XENBALLOON_GOAL=pressure */
	struct pressure_state pressure;
	struct pressure_out pressure_last;
	bool pressure_ran;           /* pressure_last holds a decision */
	struct psifile psi;
	struct psi psi_last;
	bool have_psi_last;
	bool psi_trigger_tried;      /* armed once (or found impossible) */
	uint64_t sample_at_ms;       /* a sample before the tick; 0 = none */
	bool sampling_fast;          /* for the log: sample_at_ms was set */
	bool vmstat_fresh;           /* vmstat_text read this tick */

	char meminfo_path[PATH_MAX];
	char vmstat_path[PATH_MAX];
	char uptime_path[PATH_MAX];
	char preswap_path[PATH_MAX];

	uint64_t maxmem_kb;          /* MemTotal high-water mark */
	bool hvm;                    /* HVM/PVH: memory/target has an offset */
	bool hvm_diff_known;
	uint64_t hvm_diff_kb;
	bool moved_once;             /* we wrote a target at least once */
	uint64_t last_written_kb;

	/* For SIGUSR1 and the logs. */
	unsigned long ticks;
	unsigned long writes;
	enum policy_mode mode;
	bool mode_logged;
	struct policy_out last;
	uint64_t last_current_kb;
	uint64_t last_preswap_pages;
	bool have_preswap;

	/* Log-once state: the last failure reported for each source. */
	int err_meminfo, err_balloon_read, err_balloon_write, err_maxmem, err_preswap;
	int err_preswap_write, err_vmstat, err_uptime, err_psi, err_psi_trigger;
	bool warned_clamp_floor, warned_target_max;

	/* Text buffers, kept here to stay off the stack. */
	char meminfo_text[XB_TEXT_MAX];
	char vmstat_text[XB_TEXT_MAX];
	char vmstat_pub[XS_VALUE_MAX + 1];
	char meminfo_pub[XS_VALUE_MAX + 1];
	char uptime_text[256];
};

/* Set paths under root and read the maxmem file; cfg is copied. */
void engine_init(struct engine *e, const struct xb_config *cfg, const char *config_path,
		 const char *root, bool dry_run, bool use_xenstore);

/* A full tick (BEHAVIOR 7 order). */
void engine_tick(struct engine *e);

/* Values from xenstore changed between ticks: move the balloon now. */
void engine_react(struct engine *e);

/* The pressure goal watches a rising guest between ticks: the
 * monotonic time of the next sample (0: none before the tick), and
 * the sample itself. */
uint64_t engine_sample_at_ms(const struct engine *e);
void engine_sample(struct engine *e);

/* The PSI trigger's descriptor for poll() (POLLPRI), or -1; and what
 * to do when it fires (failed: POLLERR, the trigger is dropped). */
int engine_psi_fd(const struct engine *e);
void engine_psi_event(struct engine *e, bool failed);

/* The tick length in ms (config, or dom0's memory/interval). */
uint64_t engine_interval_ms(const struct engine *e);

/* SIGHUP: reload the config; on error keep the old one. 0 or -1. */
int engine_reload(struct engine *e);

/* SIGUSR1: one status line. */
void engine_status(const struct engine *e);

void engine_close(struct engine *e);

#endif
