/* policy.c - the ballooning control rule, free of I/O.
 *
 * The feedback idea (from the original script and the kernel's
 * xen-selfballoon.c): the guest should own about as much memory as it
 * has committed (Committed_AS), never less than a floor that keeps the
 * kernel alive, never more than the hypervisor's static maximum. Each
 * tick we close part of the gap between what we have (the balloon's
 * current allocation) and that goal: 1/down of it when shrinking, so a
 * momentary dip does not give memory away, and 1/up of it when growing,
 * so demand is met at once (up = 1 by default).
 *
 * Directed ballooning is different: dom0's memory/target is applied as
 * is (within the floor and the maximum). Every Xen balloon driver
 * already follows memory/target by itself, at once; stepping toward it
 * would drag the guest back from where the kernel just put it (measured
 * in a real guest: xl mem-set 300m took 27 s instead of under one).
 *
 * Everything is in balloon units. The balloon's allocation counts pages
 * the kernel keeps for itself and never shows in MemTotal; a goal built
 * from /proc/meminfo is moved into balloon units by adding that offset.
 * Without it each write would shrink the guest by the offset again.
 */
#include "policy.h"
#include "satmath.h"

uint64_t
policy_floor_mb(uint64_t maxmem_kb)
{
	uint64_t mb = maxmem_kb / 1024, pages = maxmem_kb / 4;

	if (mb < 125)
		return 8 + (pages >> 9);
	if (mb < 500)
		return 40 + (pages >> 10);
	if (mb < 2000)
		return 104 + (pages >> 11);
	return 296 + (pages >> 13);
}

uint64_t
policy_step(uint64_t current_kb, uint64_t goal_kb, unsigned down, unsigned up)
{
	if (down == 0)
		down = 1;
	if (up == 0)
		up = 1;
	if (current_kb > goal_kb)
		return current_kb - (current_kb - goal_kb) / down;
	if (current_kb < goal_kb)
		return current_kb + (goal_kb - current_kb) / up;
	return current_kb;
}


uint64_t
policy_clamp(const struct policy_out *out, uint64_t kb)
{
	if (kb < out->floor_kb)
		kb = out->floor_kb;
	if (kb > out->max_kb)
		kb = out->max_kb;
	return kb;
}

void
policy_decide(const struct policy_in *in, struct policy_out *out)
{
	uint64_t floor_mb, raw;

	*out = (struct policy_out){ 0 };
	out->offset_kb = in->current_kb > in->mem_total_kb ?
	    in->current_kb - in->mem_total_kb : 0;
	floor_mb = in->minmem_mb ? in->minmem_mb : policy_floor_mb(in->maxmem_kb);
	out->floor_kb = sat_add(floor_mb * 1024, out->offset_kb);
	out->max_kb = in->static_max_kb ? in->static_max_kb : UINT64_MAX;
	/* A static maximum below the floor is dom0's call: the hypervisor
	 * would refuse more anyway. */
	if (out->floor_kb > out->max_kb)
		out->floor_kb = out->max_kb;

	switch (in->mode) {
	case MODE_SELF:
		raw = sat_add(in->committed_as_kb,
		    in->mem_total_kb / 100 * in->reserve_percent);
		raw = sat_add(raw, out->offset_kb);
		break;
	case MODE_DIRECTED:
		raw = in->directed_kb;
		break;
	case MODE_IDLE:
	default:
		out->goal_kb = in->current_kb;
		out->new_kb = in->current_kb;
		return;
	}
	out->goal_kb = raw;
	if (raw < out->floor_kb) {
		out->goal_kb = out->floor_kb;
		out->clamped_floor = true;
	}
	if (raw > out->max_kb) {
		out->goal_kb = out->max_kb;
		out->clamped_max = true;
	}
	if (in->mode == MODE_DIRECTED)
		out->new_kb = out->goal_kb;
	else
		out->new_kb = policy_step(in->current_kb, out->goal_kb,
		    in->down_hysteresis, in->up_hysteresis);
	/* The step starts from the current allocation, which may itself sit
	 * outside the bounds (dom0 moved it, or the floor rose): never write
	 * a target outside them. */
	out->new_kb = policy_clamp(out, out->new_kb);
	/* The one place that decides whether to write: a target the driver
	 * already has (the kernel applied dom0's memory/target itself) is
	 * not written again. */
	out->write = out->new_kb != (in->driver_target_kb ? in->driver_target_kb : in->current_kb);
}

bool
preswap_step(struct preswap_state *st, uint64_t pages, unsigned inertia,
	     unsigned hysteresis, uint64_t *target_pages)
{
	st->last_pages = st->now_pages;
	st->now_pages = pages;
	if (pages == 0 || pages != st->last_pages) {
		st->counter = inertia;
		return false;
	}
	if (st->counter > 0)
		st->counter--;
	if (st->counter != 0)
		return false;
	st->counter = inertia;
	if (hysteresis == 0)
		return false;
	/* Xen 3.4's xenballoond's target, now - now/hys, equals now when now < hys, so
	 * a small stale preswap was never squeezed out; the kernel's
	 * successor shrinks it to 0 instead. */
	*target_pages = pages <= hysteresis ? 0 : pages - pages / hysteresis;
	return true;
}
