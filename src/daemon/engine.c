/* engine.c - one tick: inputs -> policy -> balloon, preswap, xenstore. */
#include "engine.h"

#include <bsd/string.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kfiles.h"
#include "log.h"
#include "once.h"
#include "util.h"
#include "xsval.h"

#define DEFAULT_PRESWAP_SYSFILE "/proc/sys/vm/preswap"
#define GUEST_TYPE_FILE "/sys/hypervisor/guest_type"

static const char *const mode_names[] = {
	[MODE_SELF] = "self", [MODE_DIRECTED] = "directed", [MODE_IDLE] = "idle",
};

static void
set_paths(struct engine *e)
{
	path_under_root(e->meminfo_path, sizeof(e->meminfo_path), e->root, "/proc/meminfo");
	path_under_root(e->vmstat_path, sizeof(e->vmstat_path), e->root, "/proc/vmstat");
	path_under_root(e->uptime_path, sizeof(e->uptime_path), e->root, "/proc/uptime");
	/* The built-in preswap path is a kernel path; one given in the
	 * config file is used as written. */
	if (strcmp(e->cfg.preswap_sysfile, DEFAULT_PRESWAP_SYSFILE) == 0)
		path_under_root(e->preswap_path, sizeof(e->preswap_path), e->root,
		    DEFAULT_PRESWAP_SYSFILE);
	else
		strlcpy(e->preswap_path, e->cfg.preswap_sysfile, sizeof(e->preswap_path));
}

/* The maxmem file: absent reads as 0; garbage reads as 0 with a log
 * line (it is rewritten with MemTotal at the next tick). */
static void
read_maxmem(struct engine *e)
{
	char buf[64];
	const char *why;
	uint64_t v;
	ssize_t n = read_small_file(e->cfg.maxmem_file, buf, sizeof(buf));

	e->maxmem_kb = 0;
	if (n < 0) {
		if (errno != ENOENT)
			log_warn("%s: cannot read the maxmem mark", e->cfg.maxmem_file);
		return;
	}
	if (xsval_parse_u64(buf, (size_t)n, 0, 1ULL << 40, &v, &why) != 0) {
		log_warnx("%s: ignoring maxmem mark: %s", e->cfg.maxmem_file, why);
		return;
	}
	e->maxmem_kb = v;
}

static void
detect_guest_type(struct engine *e)
{
	char path[PATH_MAX], buf[32];

	e->hvm = false;
	if (path_under_root(path, sizeof(path), e->root, GUEST_TYPE_FILE) != 0)
		return;
	if (read_small_file(path, buf, sizeof(buf)) > 0)
		e->hvm = strncmp(buf, "HVM", 3) == 0 || strncmp(buf, "PVH", 3) == 0;
}

void
engine_init(struct engine *e, const struct xb_config *cfg, const char *config_path,
	    const char *root, bool dry_run)
{
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	strlcpy(e->config_path, config_path, sizeof(e->config_path));
	strlcpy(e->root, root ? root : "", sizeof(e->root));
	e->dry_run = dry_run;
	e->mode = MODE_IDLE;
	e->mode_logged = false;
	balloon_detect(&e->balloon, e->root);
	set_paths(e);
	read_maxmem(e);
	detect_guest_type(e);
	e->xs = xs_session_new(e->cfg.stats_path);
	psifile_init(&e->psi, e->root);
	pressure_init(&e->pressure);
}

void
engine_close(struct engine *e)
{
	psifile_disarm(&e->psi);
	xs_session_abandon(e->xs);
	e->xs = NULL;
}

/* dom0's value for k, or dflt when it set none (or a bad one). */
static uint64_t
override(const struct engine *e, enum xs_key k, uint64_t dflt)
{
	uint64_t v;

	return xs_session_value(e->xs, k, &v) ? v : dflt;
}

static bool
selfballooning(const struct engine *e)
{
	uint64_t on;

	return xs_session_value(e->xs, XSK_SELFBALLOON, &on) ? on == 1 : e->cfg.self;
}

uint64_t
engine_interval_ms(const struct engine *e)
{
	unsigned dflt = selfballooning(e) ? e->cfg.self_interval_s : e->cfg.interval_s;

	return override(e, XSK_INTERVAL, dflt) * 1000;
}

/* Read /proc/meminfo. Returns false when it cannot be trusted. */
static bool
read_meminfo(struct engine *e, struct meminfo *mi)
{
	ssize_t n = read_small_file(e->meminfo_path, e->meminfo_text, sizeof(e->meminfo_text));
	int err = 0;

	if (n < 0)
		err = errno ? errno : EIO;
	else if (n == 0)
		err = ENODATA;
	else if (e->meminfo_text[n - 1] != '\n' ||   /* cut short: a torn last line */
	    meminfo_parse(e->meminfo_text, (size_t)n, mi) != 0 || mi->mem_total_kb == 0)
		err = EINVAL;
	once_report(&e->meminfo_read, err, e->meminfo_path, "not ballooning until it reads right");
	if (err != 0)
		e->meminfo_text[0] = '\0';
	return err == 0;
}

/* Keep the high-water mark of MemTotal (memory hot-add raises it). */
static void
update_maxmem(struct engine *e, uint64_t mem_total_kb)
{
	char buf[32];
	int err = 0;

	if (mem_total_kb <= e->maxmem_kb)
		return;
	e->maxmem_kb = mem_total_kb;
	if (e->dry_run)
		return;
	snprintf(buf, sizeof(buf), "%" PRIu64 "\n", mem_total_kb);
	if (write_file_atomic(e->cfg.maxmem_file, buf) != 0)
		err = errno;
	once_report(&e->maxmem_write, err, e->cfg.maxmem_file, "cannot record the maxmem mark");
}

/*
 * HVM and PVH guests: the kernel subtracts what the device model holds
 * from every memory/target before it sets the balloon, so dom0's numbers
 * are that much above the balloon's. Learn the difference once, from the
 * first target dom0 set and the driver's target the kernel made of it,
 * before we move the balloon ourselves; after that our directed target
 * agrees with the kernel's. A difference above a quarter of static-max
 * is not a device model: take none.
 */
static void
learn_hvm_offset(struct engine *e, uint64_t dom0_target_kb, uint64_t driver_target_kb)
{
	uint64_t static_max;

	if (!e->hvm || e->hvm_diff_known)
		return;
	e->hvm_diff_kb = dom0_target_kb > driver_target_kb ? dom0_target_kb - driver_target_kb : 0;
	if (xs_session_value(e->xs, XSK_STATIC_MAX, &static_max) && e->hvm_diff_kb > static_max / 4)
		e->hvm_diff_kb = 0;
	e->hvm_diff_known = true;
	log_info("HVM/PVH guest: memory/target is %" PRIu64 " kB above the balloon's",
	    e->hvm_diff_kb);
}

/*
 * The mode, as Xen 3.4's xenballoond chose it: selfballooning when the
 * configuration or dom0's memory/selfballoon says so, else directed when
 * dom0 set a memory/target it may set (not above memory/static-max),
 * else idle: publish only. *dom0_target_kb is dom0's target, as dom0
 * wrote it, for MODE_DIRECTED.
 */
static enum policy_mode
decide_mode(struct engine *e, uint64_t *dom0_target_kb)
{
	uint64_t t, static_max;

	if (selfballooning(e))
		return MODE_SELF;
	if (!xs_session_value(e->xs, XSK_TARGET, &t))
		return MODE_IDLE;
	if (xs_session_value(e->xs, XSK_STATIC_MAX, &static_max) && t > static_max) {
		if (once_fail(&e->target_above_max, 1))
			log_warnx("xenstore: ignoring memory/target = %" PRIu64
			    " kB: above memory/static-max = %" PRIu64 " kB",
			    t, static_max);
		return MODE_IDLE;
	}
	(void)once_ok(&e->target_above_max);
	*dom0_target_kb = t;
	return MODE_DIRECTED;
}

/* What one tick reads before it decides. */
struct readings {
	struct meminfo mi;
	uint64_t current_kb;    /* the balloon's allocation */
	uint64_t driver_kb;     /* the balloon driver's target */
};

/*
 * Read: /proc/meminfo, then the balloon driver. Either may fail for a
 * while (a kernel file torn or gone, the driver busy); then this tick
 * moves nothing, says why once, and the next tick tries again. The
 * allocation always includes MemTotal, so an allocation below it means
 * one of the two readings is wrong, and a goal built on them could be
 * too: not ballooning either. The maxmem mark follows MemTotal up here,
 * since memory hot-add raises it and the floor follows the mark.
 */
static bool
read_tick(struct engine *e, struct readings *r)
{
	const char *failed;

	e->have_used = false;
	if (!read_meminfo(e, &r->mi))
		return false;
	e->used_kb = meminfo_used_kb(&r->mi);
	e->have_used = true;
	update_maxmem(e, r->mi.mem_total_kb);
	if (e->balloon.kind == BALLOON_NONE) {
		/* --dry-run without a driver: pretend MemTotal is all we have. */
		r->current_kb = r->driver_kb = r->mi.mem_total_kb;
		return true;
	}
	if (balloon_read(&e->balloon, &r->current_kb, &r->driver_kb, &failed) != 0) {
		once_report(&e->balloon_read, errno, failed,
		    "cannot read the balloon; not ballooning");
		return false;
	}
	if (r->current_kb < r->mi.mem_total_kb) {
		if (once_fail(&e->balloon_read, ERANGE))
			log_warnx("%s: %" PRIu64 " kB is below MemTotal %" PRIu64
			    " kB: inconsistent readings; not ballooning",
			    e->balloon.current_path, r->current_kb, r->mi.mem_total_kb);
		return false;
	}
	once_report(&e->balloon_read, 0, "balloon driver", "");
	return true;
}

/* A file we only publish: a missing or empty one is logged once and
 * its last published copy left as it was. Returns its length or -1. */
static ssize_t
read_stat_file(const char *path, char *buf, size_t size, struct once *fail)
{
	ssize_t n = read_small_file(path, buf, size);
	int err = n < 0 ? (errno ? errno : EIO) : n == 0 ? ENODATA : 0;

	once_report(fail, err, path, "not publishing it");
	return err == 0 ? n : -1;
}

/* /proc/pressure/memory, once a tick: for the goal and for dom0. */
static bool
read_psi(struct engine *e)
{
	if (!e->psi_fresh)
		e->have_psi_last = psifile_read(&e->psi, e->psi_text, sizeof(e->psi_text),
		    &e->psi_last) == 0;
	e->psi_fresh = true;
	return e->have_psi_last;
}

/* Leave the pressure goal: no trigger, no samples between ticks. */
static void
pressure_off(struct engine *e)
{
	if (e->pressure_ran) {
		pressure_init(&e->pressure);
		ws_init(&e->ws);
	}
	e->pressure_ran = false;
	e->sample_at_ms = 0;
	e->sampling_fast = false;
	e->psi_trigger_tried = false;
	psifile_disarm(&e->psi);
}

/* The pressure goal's edge inputs: PSI, refaults and swap-ins; the
 * page cache's refaults go to win. */
static void
pressure_inputs(struct engine *e, struct pressure_in *pin, struct ws_in *win)
{
	struct vmstat vm;
	ssize_t n;
	int err = 0;

	if (!read_psi(e))
		err = errno ? errno : EIO;
	once_report(&e->psi_read, err, e->psi.path,
	    "no pressure stall information; the pressure goal uses MemAvailable alone");
	pin->have_psi = e->have_psi_last;
	pin->some_us = e->psi_last.some.total_us;
	if (pin->have_psi && !e->psi_trigger_tried) {
		e->psi_trigger_tried = true;
		if (psifile_arm(&e->psi) < 0 && e->psi.trigger_err != 0)
			once_report(&e->psi_trigger, e->psi.trigger_err, e->psi.path,
			    "cannot arm a trigger; stalls are seen at the next sample");
	}
	n = read_stat_file(e->vmstat_path, e->vmstat_text, sizeof(e->vmstat_text),
	    &e->vmstat_read);
	e->vmstat_fresh = n > 0;
	if (n > 0 && vmstat_parse(e->vmstat_text, (size_t)n, &vm) == 0 &&
	    (vm.have & (VM_REFAULT_ANON | VM_REFAULT_FILE | VM_REFAULT | VM_PSWPIN))) {
		pin->have_refaults = true;
		pin->refault_pages = vm.refault_anon + vm.refault_file + vm.refault + vm.pswpin;
	}
	if (n > 0 && (vm.have & (VM_PGSTEAL_KSWAPD | VM_PGSTEAL_DIRECT))) {
		pin->have_reclaim = true;
		pin->reclaim_pages = vm.pgsteal_kswapd + vm.pgsteal_direct;
	}
	/* Before Linux 5.9, workingset_refault counted the cache alone. */
	if (n > 0 && (vm.have & (VM_REFAULT_FILE | VM_REFAULT))) {
		win->have_refaults = true;
		win->refault_pages = (vm.have & VM_REFAULT_FILE) ? vm.refault_file : vm.refault;
	}
}

/* XENBALLOON_GOAL=pressure. Selfballooning: replace the 2009 goal and
 * step of out with the pressure rule's (pressure.c), within the same
 * floor and maximum. Directed: leave out as it is (dom0's target) and
 * keep what the rule asks for in e->ask_kb, published as the goal. */
static void
pressure_step(struct engine *e, const struct readings *r, struct policy_out *out,
	      enum policy_mode mode)
{
	struct pressure_in pin = { 0 };
	struct ws_in win = { 0 };
	struct pressure_out *po = &e->pressure_last;

	pin.now_ms = now_ms();
	pin.mem_total_kb = r->mi.mem_total_kb;
	pin.used_kb = e->used_kb;
	pin.target_kb = r->driver_kb;
	pin.current_kb = r->current_kb;
	pin.bounds = out;
	pressure_inputs(e, &pin, &win);
	win.now_ms = pin.now_ms;
	win.hold_ms = (uint64_t)e->cfg.cache_hold_s * 1000;
	win.have_file = meminfo_file_kb(&r->mi, &win.file_kb);
	/* A stall seen at the last sample holds the cache back too. */
	win.stalling = e->pressure_ran && e->pressure_last.stall_ppm > PRESSURE_STALL_STOP_PPM;
	ws_update(&e->ws, &win, &e->ws_last);
	pin.cache_keep_kb = e->ws_last.keep_kb;
	pin.cache_refaulting = e->ws_last.refault_kb >= WS_REFAULT_MIN_KB;
	pressure_decide(&e->pressure, &pin, po);
	e->pressure_ran = true;
	e->sample_at_ms = po->next_sample_ms ? pin.now_ms + po->next_sample_ms : 0;
	if ((po->next_sample_ms != 0) != e->sampling_fast) {
		if (po->next_sample_ms)
			log_debug("pressure: %s: sampling every %u ms", po->sampling_why,
			    po->next_sample_ms);
		else
			log_debug("pressure: settled: sampling at the tick");
	}
	e->sampling_fast = po->next_sample_ms != 0;
	if (mode == MODE_DIRECTED) {
		e->ask_kb = po->write ? po->new_kb : r->driver_kb;
		return;
	}
	out->goal_kb = po->goal_kb;
	out->new_kb = po->write ? po->new_kb : r->driver_kb;
	out->write = po->write;
}

/* The pressure figures of the last decision, one line: at info level
 * for a dry run, debug otherwise. */
static void
log_pressure(const struct engine *e)
{
	const struct pressure_out *po = &e->pressure_last;

	const struct ws_out *w = &e->ws_last;
	char line[640];

	snprintf(line, sizeof(line), "pressure: %s (%s): used=%" PRIu64 " cache-kept=%" PRIu64
	    " headroom=%" PRIu64 " goal=%" PRIu64 " kB rate=%" PRIu64 " kB/s stall=%u ppm"
	    " psi-some-avg10=%s%u.%02u%% refaults=%" PRIu64 " reclaimed=%" PRIu64 " pages/s"
	    " deadband=%" PRIu64 " kB;"
	    " cache: %s: cached=%" PRIu64 " kept=%" PRIu64 " added=%" PRIu64 " released=%" PRIu64
	    " refaulted=%" PRIu64 " kB unused=%" PRIu64 " of hold=%" PRIu64 " s%s",
	    pressure_action_name(po->action), po->why, po->used_kb, po->cache_kb, po->headroom_kb,
	    po->goal_kb, po->rate_kb_s, po->stall_ppm, e->have_psi_last ? "" : "none/",
	    e->psi_last.some.avg10_centi / 100, e->psi_last.some.avg10_centi % 100,
	    po->refault_pages_s, po->reclaim_pages_s, po->deadband_kb, w->why, w->file_kb, w->kept_kb, w->added_kb,
	    w->released_kb, w->refault_kb, w->idle_ms / 1000, w->hold_ms / 1000,
	    w->refuted ? " (refuted)" : "");
	if (e->dry_run)
		log_info("dry-run: %s", line);
	else
		log_debug("%s", line);
}

/*
 * Decide: the mode, then the policy (policy.c, pure) on what was read,
 * the configuration and dom0's overrides. Directed targets are converted
 * to balloon units first (HVM/PVH offset). The policy says whether to
 * write; a floor that overrules dom0's target is said once.
 */
static void
decide_tick(struct engine *e, const struct readings *r, struct policy_in *in,
	    struct policy_out *out)
{
	uint64_t dom0_kb = 0;

	*in = (struct policy_in){ 0 };
	in->mode = decide_mode(e, &dom0_kb);
	if (in->mode == MODE_DIRECTED) {
		learn_hvm_offset(e, dom0_kb, r->driver_kb);
		in->directed_kb = !e->hvm ? dom0_kb :
		    dom0_kb > e->hvm_diff_kb ? dom0_kb - e->hvm_diff_kb : 1;
	}
	if (in->mode != e->mode || !e->mode_logged)
		log_info("mode: %s", mode_names[in->mode]);
	e->mode = in->mode;
	e->mode_logged = true;
	in->mem_total_kb = r->mi.mem_total_kb;
	in->committed_as_kb = r->mi.committed_as_kb;
	in->current_kb = r->current_kb;
	in->driver_target_kb = r->driver_kb;
	in->maxmem_kb = e->maxmem_kb;
	in->minmem_mb = e->cfg.minmem_mb;
	in->reserve_percent = e->cfg.reserve_percent;
	in->static_max_kb = override(e, XSK_STATIC_MAX, 0);
	in->down_hysteresis = (unsigned)override(e, XSK_DOWNHYSTERESIS, e->cfg.down_hysteresis);
	in->up_hysteresis = (unsigned)override(e, XSK_UPHYSTERESIS, e->cfg.up_hysteresis);
	policy_decide(in, out);
	if (in->mode != MODE_IDLE && e->cfg.goal == GOAL_PRESSURE)
		pressure_step(e, r, out, in->mode);
	else
		pressure_off(e);
	e->last = *out;
	e->last_current_kb = r->current_kb;

	if (in->mode == MODE_DIRECTED && out->clamped_floor) {
		if (once_fail(&e->directed_below_floor, 1))
			log_warnx("dom0's target %" PRIu64 " kB is below the floor %" PRIu64
			    " kB; holding the floor", in->directed_kb, out->floor_kb);
	} else {
		(void)once_ok(&e->directed_below_floor);
	}
}

/*
 * Apply: write the new target to the balloon driver when the policy
 * says so. A target already in effect (the kernel applied dom0's
 * memory/target itself) is published as ours all the same. --dry-run
 * logs the decision instead.
 */
static void
apply_tick(struct engine *e, const struct policy_in *in, const struct policy_out *out)
{
	int err = 0;

	if (e->dry_run) {
		log_info("dry-run: mode=%s goal=%" PRIu64 " current=%" PRIu64 " floor=%" PRIu64
		    " max=%s%" PRIu64 " new=%" PRIu64 " kB%s",
		    mode_names[in->mode], out->goal_kb, in->current_kb, out->floor_kb,
		    out->max_kb == UINT64_MAX ? "none/" : "",
		    out->max_kb == UINT64_MAX ? 0 : out->max_kb, out->new_kb,
		    out->write ? " (would write)" : "");
		if (e->pressure_ran)
			log_pressure(e);
		return;
	}
	if (in->mode == MODE_IDLE)
		return;
	if (out->write) {
		log_debug("%s: goal %" PRIu64 " current %" PRIu64 " floor %" PRIu64
		    " -> target %" PRIu64 " kB", mode_names[in->mode], out->goal_kb,
		    in->current_kb, out->floor_kb, out->new_kb);
		if (e->pressure_ran)
			log_pressure(e);
		if (balloon_write_target(&e->balloon, out->new_kb) != 0)
			err = errno;
		once_report(&e->balloon_write, err, e->balloon.target_path,
		    "cannot set the balloon target");
		if (err != 0)
			return;
		e->writes++;
	}
	e->moved_once = true;
	e->last_written_kb = out->new_kb;
}

/* One balloon step: read, decide, apply. */
static void
balloon_step(struct engine *e)
{
	struct readings r = { 0 };
	struct policy_in in;
	struct policy_out out;

	if (!read_tick(e, &r))
		return;
	decide_tick(e, &r, &in, &out);
	apply_tick(e, &in, &out);
}

static void
shrink_preswap(struct engine *e)
{
	char buf[64];
	const char *why;
	uint64_t pages, target;
	ssize_t n;

	e->have_preswap = false;
	if (!e->cfg.preswap_shrink && !e->cfg.send_preswap)
		return;
	n = read_small_file(e->preswap_path, buf, sizeof(buf));
	if (n < 0) {
		/* No tmem in this kernel is the normal case: say so once,
		 * only when shrinking was asked for. */
		if (e->cfg.preswap_shrink)
			once_report(&e->preswap_read, errno, e->preswap_path,
			    "preswap shrinking paused");
		return;
	}
	if (xsval_parse_u64(buf, (size_t)n, 0, 1ULL << 50, &pages, &why) != 0) {
		once_report(&e->preswap_read, EINVAL, e->preswap_path, "preswap shrinking paused");
		return;
	}
	once_report(&e->preswap_read, 0, e->preswap_path, "");
	e->have_preswap = true;
	e->last_preswap_pages = pages;
	if (!e->cfg.preswap_shrink)
		return;
	if (!preswap_step(&e->preswap, pages,
		(unsigned)override(e, XSK_PRESWAPINERTIA, e->cfg.preswap_inertia),
		(unsigned)override(e, XSK_PRESWAPHYSTERESIS, e->cfg.preswap_hysteresis),
		&target))
		return;
	if (e->dry_run) {
		log_info("dry-run: preswap %" PRIu64 " pages, would shrink to %" PRIu64,
		    pages, target);
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, target);
	log_debug("preswap: %" PRIu64 " pages stable, shrinking to %" PRIu64, pages, target);
	once_report(&e->preswap_write, write_existing_file(e->preswap_path, buf) != 0 ? errno : 0,
	    e->preswap_path, "could not shrink preswap");
}

/*
 * Memory in use and the goal are for dom0 to direct memory by, in MB
 * steps: a move under PUBLISH_STEP_KB does not change what it would do,
 * so the figure published stays as it was and costs no xenstore write
 * (meminfo, published beside them, carries the exact numbers). Returns
 * the text to publish, in buf.
 */
#define PUBLISH_STEP_KB 1024u

/* Directed, the guest says it is alive at least this often (a dom0
 * balancer freezes a guest whose heartbeat stops), whatever the tick;
 * a sample timed a little early counts. */
#define HEARTBEAT_MS 1000u
#define HEARTBEAT_SLACK_MS 100u

static const char *
pub_figure_text(struct pub_figure *f, uint64_t kb, char *buf, size_t size)
{
	uint64_t moved = kb > f->kb ? kb - f->kb : f->kb - kb;

	if (!f->set || moved >= PUBLISH_STEP_KB) {
		f->kb = kb;
		f->set = true;
	}
	snprintf(buf, size, "%" PRIu64, f->kb);
	return buf;
}

static void
publish(struct engine *e, bool stats)
{
	const char *texts[XSS_COUNT] = { 0 };
	char selftarget[32], preswap[32], used[32], goal[32], ws[32], beat[32];
	ssize_t n;

	if (e->dry_run || !xs_session_is_up(e->xs))
		return;
	if (e->moved_once) {
		snprintf(selftarget, sizeof(selftarget), "%" PRIu64, e->last_written_kb);
		texts[XSS_SELFTARGET] = selftarget;
	}
	if (stats && e->cfg.send_meminfo && e->meminfo_text[0] != '\0') {
		size_t len = strlen(e->meminfo_text);

		/* /proc/meminfo fits a node; trim (whole lines) only if not. */
		if (len <= XS_VALUE_MAX) {
			texts[XSS_MEMINFO] = e->meminfo_text;
		} else {
			vmstat_trim(e->meminfo_text, len, e->meminfo_pub,
			    sizeof(e->meminfo_pub), XS_VALUE_MAX);
			texts[XSS_MEMINFO] = e->meminfo_pub;
		}
	}
	if (stats && e->cfg.send_vmstat) {
		/* The pressure goal read it a moment ago. */
		n = e->vmstat_fresh ? (ssize_t)strlen(e->vmstat_text) :
		    read_stat_file(e->vmstat_path, e->vmstat_text, sizeof(e->vmstat_text),
			&e->vmstat_read);
		if (n > 0) {
			vmstat_trim(e->vmstat_text, (size_t)n, e->vmstat_pub,
			    sizeof(e->vmstat_pub), XS_VALUE_MAX);
			texts[XSS_VMSTAT] = e->vmstat_pub;
		}
	}
	if (stats && e->cfg.send_uptime) {
		n = read_stat_file(e->uptime_path, e->uptime_text, sizeof(e->uptime_text),
		    &e->uptime_read);
		if (n > 0) {
			if (e->uptime_text[n - 1] == '\n')
				e->uptime_text[n - 1] = '\0';
			texts[XSS_UPTIME] = e->uptime_text;
		}
	}
	/* For dom0 to direct memory: pressure, use, and the goal steered to. */
	if (stats && read_psi(e))
		texts[XSS_PRESSURE] = e->psi_text;
	if (stats && e->have_used)
		texts[XSS_USED] = pub_figure_text(&e->pub_used, e->used_kb, used, sizeof(used));
	if (e->mode == MODE_SELF && e->last.goal_kb != 0)
		texts[XSS_GOAL] = pub_figure_text(&e->pub_goal, e->last.goal_kb, goal, sizeof(goal));
	else if (e->mode == MODE_DIRECTED && e->pressure_ran)
		texts[XSS_GOAL] = pub_figure_text(&e->pub_goal, e->ask_kb, goal, sizeof(goal));
	if (e->pressure_ran)
		texts[XSS_WORKINGSET] = pub_figure_text(&e->pub_ws, e->pressure_last.cache_kb, ws,
		    sizeof(ws));
	texts[XSS_MODE] = mode_names[e->mode];
	if (e->mode == MODE_DIRECTED) {
		uint64_t t = now_ms();

		if (e->heartbeats == 0 || t + HEARTBEAT_SLACK_MS >= e->heartbeat_ms + HEARTBEAT_MS) {
			e->heartbeats++;
			e->heartbeat_ms = t;
		}
		snprintf(beat, sizeof(beat), "%" PRIu64, e->heartbeats);
		texts[XSS_HEARTBEAT] = beat;
	}
	if (stats && e->cfg.send_preswap && e->have_preswap) {
		snprintf(preswap, sizeof(preswap), "%" PRIu64, e->last_preswap_pages);
		texts[XSS_PRESWAP] = preswap;
	}
	xs_session_publish(e->xs, texts);
}

static void
xs_tick(struct engine *e)
{
	if (xs_session_ensure(e->xs, now_ms()))
		xs_session_refresh(e->xs);
}

void
engine_tick(struct engine *e)
{
	e->ticks++;
	e->vmstat_fresh = false;
	e->psi_fresh = false;
	xs_tick(e);
	balloon_step(e);
	shrink_preswap(e);
	publish(e, true);
}

/* dom0 changed a value between ticks: move the balloon now. */
static void
react(struct engine *e)
{
	balloon_step(e);
	publish(e, false);
}

int
engine_xs_fd(const struct engine *e)
{
	return xs_session_fd(e->xs);
}

uint64_t
engine_xs_deadline_ms(const struct engine *e)
{
	return xs_session_retry_at_ms(e->xs);
}

void
engine_xs_dispatch(struct engine *e, short revents, uint64_t now)
{
	unsigned ev = xs_session_dispatch(e->xs, revents, now);

	if (ev & XS_EV_RECONNECTED) {
		/* The new store is empty: everything goes out again now,
		 * not at the next tick, which may be a minute away. */
		balloon_step(e);
		publish(e, true);
	} else if (ev & XS_EV_CHANGED) {
		react(e);
	}
}

int
engine_pressure_fd(const struct engine *e)
{
	return e->psi.trigger_fd;
}

/* Directed: the next heartbeat (UINT64_MAX: none due). */
static uint64_t
heartbeat_due_ms(const struct engine *e)
{
	if (e->mode != MODE_DIRECTED || e->dry_run)
		return UINT64_MAX;
	return e->heartbeat_ms + HEARTBEAT_MS;
}

uint64_t
engine_pressure_deadline_ms(const struct engine *e)
{
	uint64_t beat = heartbeat_due_ms(e);

	return e->sample_at_ms && e->sample_at_ms < beat ? e->sample_at_ms : beat;
}

void
engine_pressure_dispatch(struct engine *e, short revents, uint64_t now)
{
	if (revents & (POLLERR | POLLNVAL)) {
		log_warnx("%s: the pressure trigger failed; stalls are seen at the next sample",
		    e->psi.path);
		psifile_disarm(&e->psi);
		return;
	}
	if (revents & POLLPRI)
		log_debug("%s: tasks stall for memory: sampling now", e->psi.path);
	else if ((e->sample_at_ms == 0 || now < e->sample_at_ms) && now < heartbeat_due_ms(e))
		return;
	e->sample_at_ms = 0;
	e->vmstat_fresh = false;
	e->psi_fresh = false;
	/* Selfballooning, what a sample between ticks changes is published
	 * at the next tick: a xenstore round trip waits on dom0, and while
	 * use rises the next sample is due in 250 ms. Directed, dom0 needs
	 * the goal and the heartbeat now. */
	if (e->mode == MODE_SELF)
		balloon_step(e);
	else
		react(e);
}

const char *
engine_balloon_name(const struct engine *e)
{
	return balloon_kind_name(e->balloon.kind);
}

int
engine_reload(struct engine *e)
{
	struct xb_config cfg;
	char err[512];

	if (config_load(e->config_path, &cfg, err, sizeof(err)) != 0) {
		log_warnx("reload: %s; keeping the previous configuration", err);
		return -1;
	}
	if (cfg.goal != e->cfg.goal)
		pressure_off(e);
	e->cfg = cfg;
	set_paths(e);
	read_maxmem(e);
	xs_session_set_stats_path(e->xs, e->cfg.stats_path);
	e->preswap_read = (struct once){ 0 };
	log_info("reload: configuration %s loaded", e->config_path);
	return 0;
}

void
engine_summary(const struct engine *e, char *buf, size_t len)
{
	if (e->moved_once)
		snprintf(buf, len, "mode %s, balloon target %" PRIu64 " kB", mode_names[e->mode],
		    e->last_written_kb);
	else
		snprintf(buf, len, "mode %s, balloon target not written yet", mode_names[e->mode]);
}

void
engine_status(const struct engine *e)
{
	log_info("status: mode=%s current=%" PRIu64 " kB target=%s%" PRIu64 " goal=%" PRIu64
	    " floor=%" PRIu64 " kB preswap=%s%" PRIu64 " xenstore=%s stats=%s/ ticks=%lu"
	    " writes=%lu reconnects=%u",
	    mode_names[e->mode], e->last_current_kb, e->moved_once ? "" : "unset/",
	    e->last_written_kb, e->last.goal_kb, e->last.floor_kb,
	    e->have_preswap ? "" : "none/", e->last_preswap_pages,
	    xs_session_is_up(e->xs) ? "up" : "down",
	    xs_session_stats_prefix(e->xs), e->ticks, e->writes, xs_session_reconnects(e->xs));
}
