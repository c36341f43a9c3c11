/* engine.h - one tick of the daemon: read the kernel's files and
 * xenstore, ask the policy, drive the balloon and the preswap file,
 * publish the stats. The main loop only calls these. */
#ifndef XB_ENGINE_H
#define XB_ENGINE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balloon.h"
#include "config.h"
#include "once.h"
#include "policy.h"
#include "pressure.h"
#include "psifile.h"
#include "workingset.h"
#include "xs.h"

#define XB_TEXT_MAX 8192

struct engine {
	struct xb_config cfg;
	char config_path[PATH_MAX];
	char root[PATH_MAX];
	bool dry_run;

	struct balloon balloon;
	struct xs_session *xs;
	struct preswap_state preswap;

	/* XENBALLOON_GOAL=pressure: selfballooning, it moves the balloon;
	 * directed, it only says what the guest would ask for (goal) */
	struct pressure_state pressure;
	struct pressure_out pressure_last;
	bool pressure_ran;           /* pressure_last holds a decision */
	struct ws_state ws;          /* the page cache kept (workingset.c) */
	struct ws_out ws_last;
	uint64_t ask_kb;             /* directed: the target the rule asks for */
	uint64_t heartbeats;         /* directed: heartbeat counter published */
	uint64_t heartbeat_ms;       /* when it was last published */
	struct psifile psi;
	struct psi psi_last;
	bool have_psi_last;
	bool psi_fresh;              /* psi_last read this tick */
	char psi_text[256];
	bool psi_trigger_tried;      /* armed once (or found impossible) */
	uint64_t sample_at_ms;       /* a sample before the tick; 0 = none */
	bool sampling_fast;          /* for the log: sample_at_ms was set */
	bool vmstat_fresh;           /* vmstat_text read this tick */
	bool have_used;              /* used_kb is from this tick's meminfo */
	uint64_t used_kb;            /* MemTotal - MemAvailable */
	/* The figures last published for dom0 (used, goal, workingset):
	 * rewritten only when they move by PUBLISH_STEP_KB or more
	 * (engine.c). */
	struct pub_figure { bool set; uint64_t kb; } pub_used, pub_goal, pub_ws;

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

	/* Each source of failure, logged once until it works again. */
	struct once meminfo_read, balloon_read, balloon_write, maxmem_write;
	struct once preswap_read, preswap_write, vmstat_read, uptime_read;
	struct once target_above_max, directed_below_floor, psi_read, psi_trigger;

	/* Text buffers, kept here to stay off the stack. */
	char meminfo_text[XB_TEXT_MAX];
	char vmstat_text[XB_TEXT_MAX];
	char vmstat_pub[XS_VALUE_MAX + 1];
	char meminfo_pub[XS_VALUE_MAX + 1];
	char uptime_text[256];
};

/* Set paths under root and read the maxmem file; cfg is copied. */
void engine_init(struct engine *e, const struct xb_config *cfg, const char *config_path,
		 const char *root, bool dry_run);

/* A full tick, in the order of README "How it works": maxmem mark,
 * mode, balloon step, preswap, publish. */
void engine_tick(struct engine *e);

/* For the main loop, the xenstore session as a source of input: the
 * descriptor to poll (-1: none now; ready for a watch event or when
 * xenstored closed a connection), when to call without input (the next
 * connection attempt; UINT64_MAX: never), and the call, which reads the
 * watch events, notices a lost connection or reconnects and, when dom0
 * changed a value or the store was new, moves the balloon and publishes
 * at once instead of at the next tick. */
int engine_xs_fd(const struct engine *e);
uint64_t engine_xs_deadline_ms(const struct engine *e);
void engine_xs_dispatch(struct engine *e, short revents, uint64_t now_ms);

/* For the main loop, the pressure goal as a source of input: the PSI
 * trigger's descriptor (poll it for POLLPRI; -1: none), when to sample
 * again while memory use rises, or, directed, when the next heartbeat
 * is due (UINT64_MAX: at the tick), and the call, which samples, moves
 * the balloon if need be and publishes (a trigger that fails with
 * POLLERR is dropped). */
int engine_pressure_fd(const struct engine *e);
uint64_t engine_pressure_deadline_ms(const struct engine *e);
void engine_pressure_dispatch(struct engine *e, short revents, uint64_t now_ms);

/* "sysfs" or "legacy": the balloon driver found at start. */
const char *engine_balloon_name(const struct engine *e);

/* The tick length in ms (config, or dom0's memory/interval). */
uint64_t engine_interval_ms(const struct engine *e);

/* SIGHUP: reload the config; on error keep the old one. 0 or -1. */
int engine_reload(struct engine *e);

/* The mode and the last balloon target, in a few words (for systemd's
 * STATUS=). */
void engine_summary(const struct engine *e, char *buf, size_t len);

/* SIGUSR1: one status line. */
void engine_status(const struct engine *e);

void engine_close(struct engine *e);

#endif
