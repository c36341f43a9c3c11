/* once.c - log a failure once (see once.h). */
#include "once.h"

#include <string.h>

#include "log.h"

bool
once_fail(struct once *o, uint64_t key)
{
	bool report = !o->failing || o->key != key;

	o->failing = true;
	o->key = key;
	return report;
}

bool
once_ok(struct once *o)
{
	bool was = o->failing;

	o->failing = false;
	o->key = 0;
	return was;
}

void
once_report(struct once *o, int err, const char *what, const char *consequence)
{
	if (err != 0) {
		if (once_fail(o, (uint64_t)err))
			log_warnx("%s: %s; %s", what, strerror(err), consequence);
	} else if (once_ok(o)) {
		log_info("%s: working again", what);
	}
}

/* FNV-1a, 64 bits: two different bad values logged in a row are told
 * apart; a collision only costs one log line. */
uint64_t
once_key(const char *text)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h;
}
