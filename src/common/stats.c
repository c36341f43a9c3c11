/* stats.c - the names of the published statistics (see stats.h). */
#include "stats.h"

const char *const xb_stat_names[XSS_COUNT] = {
	[XSS_SELFTARGET] = "selftarget",
	[XSS_MEMINFO] = "meminfo",
	[XSS_VMSTAT] = "vmstat",
	[XSS_UPTIME] = "uptime",
	[XSS_PRESWAP] = "preswap",
	[XSS_PRESSURE] = "pressure",
	[XSS_USED] = "used",
	[XSS_GOAL] = "goal",
	[XSS_MODE] = "mode",
	[XSS_HEARTBEAT] = "heartbeat",
	[XSS_WORKINGSET] = "workingset",
};
