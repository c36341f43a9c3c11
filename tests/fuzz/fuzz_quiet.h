/* fuzz_quiet.h - for the harnesses of parsers that warn (fuzz_config,
 * fuzz_bconfig): unknown keys are reported through log_warnx, on the
 * stdio stream stderr; a harness swaps that stream for /dev/null around
 * the parse (stderr = devnull; ...; stderr = saved). Sanitizer and
 * libFuzzer reports use file descriptor 2 directly and are not affected.
 * Defines LLVMFuzzerInitialize: include it once, in the harness. */
#ifndef XB_FUZZ_QUIET_H
#define XB_FUZZ_QUIET_H

#include <assert.h>
#include <stdio.h>

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	assert(devnull != NULL);
	return 0;
}

#endif
