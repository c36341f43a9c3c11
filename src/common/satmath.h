/* satmath.h - kB arithmetic that cannot wrap: a sum saturates at the
 * largest value, a difference stops at 0. The policies add headrooms and
 * offsets to figures read from files and xenstore; a garbage figure must
 * give a huge target (clamped later), never a small one. */
#ifndef XB_SATMATH_H
#define XB_SATMATH_H

#include <stdint.h>

/* a + b, saturating. */
static inline uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* a - b, or 0 when b is larger. */
static inline uint64_t
sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

#endif
