/* engine.c - one tick: inputs -> policy -> balloon, preswap, xenstore. */
#include "engine.h"

#include <bsd/string.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kfiles.h"
#include "log.h"
#include "util.h"
#include "xsval.h"

#define DEFAULT_PRESWAP_SYSFILE "/proc/sys/vm/preswap"
#define GUEST_TYPE_FILE "/sys/hypervisor/guest_type"

static const char *const mode_names[] = {
	[MODE_SELF] = "self", [MODE_DIRECTED] = "directed", [MODE_IDLE] = "idle",
};

/* Log a failure of one source once, until it succeeds again. */
static void
report(int *last, int err, const char *what, const char *consequence)
{
	if (err != 0 && err != *last)
		log_warnx("%s: %s; %s", what, strerror(err), consequence);
	if (err == 0 && *last != 0)
		log_info("%s: working again", what);
	*last = err;
}

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
	    const char *root, bool dry_run, bool use_xenstore)
{
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	strlcpy(e->config_path, config_path, sizeof(e->config_path));
	strlcpy(e->root, root ? root : "", sizeof(e->root));
	e->dry_run = dry_run;
	e->use_xenstore = use_xenstore;
	e->mode = MODE_IDLE;
	e->mode_logged = false;
	balloon_detect(&e->balloon, e->root);
	set_paths(e);
	read_maxmem(e);
	detect_guest_type(e);
	xs_session_init(&e->xs, e->cfg.stats_path);
	psifile_init(&e->psi, e->root);
	pressure_init(&e->pressure);
}

void
engine_close(struct engine *e)
{
	psifile_disarm(&e->psi);
	xs_session_abandon(&e->xs);
}

static uint64_t
override(const struct engine *e, enum xs_key k, uint64_t dflt)
{
	return e->xs.have[k] ? e->xs.val[k] : dflt;
}

static bool
selfballooning(const struct engine *e)
{
	return e->xs.have[XSK_SELFBALLOON] ? e->xs.val[XSK_SELFBALLOON] == 1 : e->cfg.self;
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
	report(&e->err_meminfo, err, e->meminfo_path, "not ballooning until it reads right");
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
	report(&e->err_maxmem, err, e->cfg.maxmem_file, "cannot record the maxmem mark");
}

/* Which mode, and dom0's target in balloon units (0 = none usable). */
static enum policy_mode
decide_mode(struct engine *e, uint64_t driver_target_kb, uint64_t *directed_kb)
{
	uint64_t t;

	*directed_kb = 0;
	if (selfballooning(e))
		return MODE_SELF;
	if (!e->xs.have[XSK_TARGET])
		return MODE_IDLE;
	t = e->xs.val[XSK_TARGET];
	if (e->xs.have[XSK_STATIC_MAX] && t > e->xs.val[XSK_STATIC_MAX]) {
		if (!e->warned_target_max)
			log_warnx("xenstore: ignoring memory/target = %" PRIu64
			    " kB: above memory/static-max = %" PRIu64 " kB",
			    t, e->xs.val[XSK_STATIC_MAX]);
		e->warned_target_max = true;
		return MODE_IDLE;
	}
	e->warned_target_max = false;
	/* HVM/PVH: the kernel subtracts what the device model holds from
	 * every memory/target; learn that difference once, before we move
	 * the balloon ourselves, so our target agrees with the kernel's. */
	if (e->hvm && !e->hvm_diff_known) {
		e->hvm_diff_kb = t > driver_target_kb ? t - driver_target_kb : 0;
		if (e->xs.have[XSK_STATIC_MAX] && e->hvm_diff_kb > e->xs.val[XSK_STATIC_MAX] / 4)
			e->hvm_diff_kb = 0;
		e->hvm_diff_known = true;
		log_info("HVM/PVH guest: memory/target is %" PRIu64 " kB above the balloon's",
		    e->hvm_diff_kb);
	}
	*directed_kb = e->hvm ? (t > e->hvm_diff_kb ? t - e->hvm_diff_kb : 1) : t;
	return MODE_DIRECTED;
}

/* A file we only publish: a missing or empty one is logged once and
 * its last published copy left as it was. Returns its length or -1. */
static ssize_t
read_stat_file(const char *path, char *buf, size_t size, int *last_err)
{
	ssize_t n = read_small_file(path, buf, size);
	int err = n < 0 ? (errno ? errno : EIO) : n == 0 ? ENODATA : 0;

	report(last_err, err, path, "not publishing it");
	return err == 0 ? n : -1;
}

/* The pressure figures of the last decision, one line: at info level
 * for a dry run, debug otherwise. */
static void
log_pressure(const struct engine *e, bool dry_run)
{
	const struct pressure_out *po = &e->pressure_last;
	char line[512];

	snprintf(line, sizeof(line), "pressure: %s (%s): used=%" PRIu64 " headroom=%" PRIu64
	    " goal=%" PRIu64 " kB rate=%" PRIu64 " kB/s stall=%u ppm psi-some-avg10=%s%u.%02u%%"
	    " refaults=%" PRIu64 " pages/s deadband=%" PRIu64 " kB",
	    pressure_action_name(po->action), po->why, po->used_kb, po->headroom_kb,
	    po->goal_kb, po->rate_kb_s, po->stall_ppm, e->have_psi_last ? "" : "none/",
	    e->psi_last.some.avg10_centi / 100, e->psi_last.some.avg10_centi % 100,
	    po->refault_pages_s, po->deadband_kb);
	if (dry_run)
		log_info("dry-run: %s", line);
	else
		log_debug("%s", line);
}

/* Leave the pressure goal: no trigger, no samples between ticks. */
static void
pressure_off(struct engine *e)
{
	if (e->pressure_ran)
		pressure_init(&e->pressure);
	e->pressure_ran = false;
	e->sample_at_ms = 0;
	e->sampling_fast = false;
	e->psi_trigger_tried = false;
	psifile_disarm(&e->psi);
}

/* The pressure goal's edge inputs: PSI, refaults and swap-ins. */
static void
pressure_inputs(struct engine *e, struct pressure_in *pin)
{
	struct vmstat vm;
	ssize_t n;
	int err = 0;

	e->have_psi_last = psifile_read(&e->psi, &e->psi_last) == 0;
	if (!e->have_psi_last)
		err = errno ? errno : EIO;
	report(&e->err_psi, err, e->psi.path,
	    "no pressure stall information; the pressure goal uses MemAvailable alone");
	pin->have_psi = e->have_psi_last;
	pin->some_us = e->psi_last.some.total_us;
	if (pin->have_psi && !e->psi_trigger_tried) {
		e->psi_trigger_tried = true;
		if (psifile_arm(&e->psi) < 0 && e->psi.trigger_err != 0)
			report(&e->err_psi_trigger, e->psi.trigger_err, e->psi.path,
			    "cannot arm a trigger; stalls are seen at the next sample");
	}
	n = read_stat_file(e->vmstat_path, e->vmstat_text, sizeof(e->vmstat_text),
	    &e->err_vmstat);
	e->vmstat_fresh = n > 0;
	if (n > 0 && vmstat_parse(e->vmstat_text, (size_t)n, &vm) == 0 &&
	    (vm.have & (VM_REFAULT_ANON | VM_REFAULT_FILE | VM_REFAULT | VM_PSWPIN))) {
		pin->have_refaults = true;
		pin->refault_pages = vm.refault_anon + vm.refault_file + vm.refault + vm.pswpin;
	}
}

/* XENBALLOON_GOAL=pressure: replace the 2009 goal and step of out with
 * the pressure rule's, within the same floor and maximum. */
static void
pressure_step(struct engine *e, const struct meminfo *mi, uint64_t drv_kb,
	      struct policy_out *out)
{
	struct pressure_in pin = { 0 };
	struct pressure_out *po = &e->pressure_last;

	pin.now_ms = now_ms();
	pin.mem_total_kb = mi->mem_total_kb;
	/* Kernels before 3.14 have no MemAvailable: free memory is the
	 * cautious stand-in. */
	pin.mem_available_kb = (mi->have & MI_MEMAVAILABLE) ? mi->mem_available_kb :
	    mi->mem_free_kb;
	pin.target_kb = drv_kb;
	pin.bounds = out;
	pressure_inputs(e, &pin);
	pressure_decide(&e->pressure, &pin, po);
	e->pressure_ran = true;
	e->sample_at_ms = po->next_sample_ms ? pin.now_ms + po->next_sample_ms : 0;
	if ((po->next_sample_ms != 0) != e->sampling_fast) {
		if (po->next_sample_ms)
			log_debug("pressure: use rising: sampling every %u ms", po->next_sample_ms);
		else
			log_debug("pressure: settled: sampling at the tick");
	}
	e->sampling_fast = po->next_sample_ms != 0;
	out->goal_kb = po->goal_kb;
	out->new_kb = po->write ? po->new_kb : drv_kb;
	out->write = po->write;
}

/* Inputs -> policy -> balloon. */
static void
balloon_step(struct engine *e)
{
	struct meminfo mi = { 0 };
	struct policy_in in = { 0 };
	struct policy_out out;
	uint64_t cur_kb, drv_kb, directed_kb;
	const char *failed;
	int err = 0;

	if (!read_meminfo(e, &mi))
		return;
	update_maxmem(e, mi.mem_total_kb);
	if (e->balloon.kind == BALLOON_NONE) {
		/* --dry-run without a driver: pretend MemTotal is all we have. */
		cur_kb = drv_kb = mi.mem_total_kb;
	} else if (balloon_read(&e->balloon, &cur_kb, &drv_kb, &failed) != 0) {
		report(&e->err_balloon_read, errno, failed,
		    "cannot read the balloon; not ballooning");
		return;
	} else if (cur_kb < mi.mem_total_kb) {
		/* The allocation always includes MemTotal: one of the two
		 * readings is wrong, and a goal built on them could be too. */
		if (e->err_balloon_read != ERANGE)
			log_warnx("%s: %" PRIu64 " kB is below MemTotal %" PRIu64
			    " kB: inconsistent readings; not ballooning",
			    e->balloon.current_path, cur_kb, mi.mem_total_kb);
		e->err_balloon_read = ERANGE;
		return;
	} else {
		report(&e->err_balloon_read, 0, "balloon driver", "");
	}

	in.mode = decide_mode(e, drv_kb, &directed_kb);
	if (in.mode != e->mode || !e->mode_logged)
		log_info("mode: %s", mode_names[in.mode]);
	e->mode = in.mode;
	e->mode_logged = true;
	in.mem_total_kb = mi.mem_total_kb;
	in.committed_as_kb = mi.committed_as_kb;
	in.current_kb = cur_kb;
	in.maxmem_kb = e->maxmem_kb;
	in.minmem_mb = e->cfg.minmem_mb;
	in.reserve_percent = e->cfg.reserve_percent;
	in.directed_kb = directed_kb;
	in.static_max_kb = override(e, XSK_STATIC_MAX, 0);
	in.down_hysteresis = (unsigned)override(e, XSK_DOWNHYSTERESIS, e->cfg.down_hysteresis);
	in.up_hysteresis = (unsigned)override(e, XSK_UPHYSTERESIS, e->cfg.up_hysteresis);
	policy_decide(&in, &out);
	if (in.mode == MODE_SELF && e->cfg.goal == GOAL_PRESSURE)
		pressure_step(e, &mi, drv_kb, &out);
	else
		pressure_off(e);
	e->last = out;
	e->last_current_kb = cur_kb;

	if (in.mode == MODE_DIRECTED && out.clamped_floor && !e->warned_clamp_floor)
		log_warnx("dom0's target %" PRIu64 " kB is below the floor %" PRIu64
		    " kB; holding the floor", directed_kb, out.floor_kb);
	e->warned_clamp_floor = in.mode == MODE_DIRECTED && out.clamped_floor;

	if (e->dry_run) {
		log_info("dry-run: mode=%s goal=%" PRIu64 " current=%" PRIu64 " floor=%" PRIu64
		    " max=%s%" PRIu64 " new=%" PRIu64 " kB%s",
		    mode_names[in.mode], out.goal_kb, cur_kb, out.floor_kb,
		    out.max_kb == UINT64_MAX ? "none/" : "",
		    out.max_kb == UINT64_MAX ? 0 : out.max_kb, out.new_kb,
		    in.mode != MODE_IDLE && out.new_kb != drv_kb ? " (would write)" : "");
		if (e->pressure_ran)
			log_pressure(e, true);
		return;
	}
	if (in.mode == MODE_IDLE)
		return;
	if (out.new_kb == drv_kb) {
		/* Already in effect (the kernel applied memory/target
		 * itself): publish it as our target all the same. */
		e->moved_once = true;
		e->last_written_kb = out.new_kb;
		return;
	}
	log_debug("%s: goal %" PRIu64 " current %" PRIu64 " floor %" PRIu64 " -> target %" PRIu64
	    " kB", mode_names[in.mode], out.goal_kb, cur_kb, out.floor_kb, out.new_kb);
	if (e->pressure_ran)
		log_pressure(e, false);
	if (balloon_write_target(&e->balloon, out.new_kb) != 0)
		err = errno;
	report(&e->err_balloon_write, err, e->balloon.target_path,
	    "cannot set the balloon target");
	if (err == 0) {
		e->moved_once = true;
		e->last_written_kb = out.new_kb;
		e->writes++;
	}
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
			report(&e->err_preswap, errno, e->preswap_path,
			    "preswap shrinking paused");
		return;
	}
	if (xsval_parse_u64(buf, (size_t)n, 0, 1ULL << 50, &pages, &why) != 0) {
		report(&e->err_preswap, EINVAL, e->preswap_path, "preswap shrinking paused");
		return;
	}
	report(&e->err_preswap, 0, e->preswap_path, "");
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
	report(&e->err_preswap_write, write_existing_file(e->preswap_path, buf) != 0 ? errno : 0,
	    e->preswap_path, "could not shrink preswap");
}

static void
publish(struct engine *e, bool stats)
{
	const char *texts[XSS_COUNT] = { 0 };
	char selftarget[32], preswap[32];
	ssize_t n;

	if (!e->use_xenstore || e->dry_run || e->xs.state != XS_UP)
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
			&e->err_vmstat);
		if (n > 0) {
			vmstat_trim(e->vmstat_text, (size_t)n, e->vmstat_pub,
			    sizeof(e->vmstat_pub), XS_VALUE_MAX);
			texts[XSS_VMSTAT] = e->vmstat_pub;
		}
	}
	if (stats && e->cfg.send_uptime) {
		n = read_stat_file(e->uptime_path, e->uptime_text, sizeof(e->uptime_text),
		    &e->err_uptime);
		if (n > 0) {
			if (e->uptime_text[n - 1] == '\n')
				e->uptime_text[n - 1] = '\0';
			texts[XSS_UPTIME] = e->uptime_text;
		}
	}
	if (stats && e->cfg.send_preswap && e->have_preswap) {
		snprintf(preswap, sizeof(preswap), "%" PRIu64, e->last_preswap_pages);
		texts[XSS_PRESWAP] = preswap;
	}
	xs_session_publish(&e->xs, texts);
}

static void
xs_tick(struct engine *e)
{
	if (!e->use_xenstore)
		return;
	if (xs_session_ensure(&e->xs, now_ms()))
		xs_session_refresh(&e->xs);
	e->xs.changed = false;
}

void
engine_tick(struct engine *e)
{
	e->ticks++;
	e->vmstat_fresh = false;
	xs_tick(e);
	balloon_step(e);
	shrink_preswap(e);
	publish(e, true);
}

uint64_t
engine_sample_at_ms(const struct engine *e)
{
	return e->sample_at_ms;
}

int
engine_psi_fd(const struct engine *e)
{
	return e->psi.trigger_fd;
}

void
engine_psi_event(struct engine *e, bool failed)
{
	if (failed) {
		log_warnx("%s: the pressure trigger failed; stalls are seen at the next sample",
		    e->psi.path);
		psifile_disarm(&e->psi);
		return;
	}
	log_debug("%s: tasks stall for memory: sampling now", e->psi.path);
	engine_sample(e);
}

/* Between ticks, for the pressure goal: the balloon only, then the
 * target if it moved. */
void
engine_sample(struct engine *e)
{
	e->vmstat_fresh = false;
	e->sample_at_ms = 0;
	balloon_step(e);
	publish(e, false);
}

void
engine_react(struct engine *e)
{
	e->xs.changed = false;
	balloon_step(e);
	publish(e, false);
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
	xs_session_set_stats_path(&e->xs, e->cfg.stats_path);
	e->err_preswap = 0;
	log_info("reload: configuration %s loaded", e->config_path);
	return 0;
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
	    !e->use_xenstore ? "off" : e->xs.state == XS_UP ? "up" : "down",
	    xs_session_stats_prefix(&e->xs), e->ticks, e->writes, e->xs.reconnects);
}
