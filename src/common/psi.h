/* psi.h - the parser for Linux's pressure stall information,
 * /proc/pressure/memory (Linux 4.20+):
 *
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *
 * "some": the share of wall time at least one task stalled waiting for
 * memory; "full": all non-idle tasks did. avgN are percentages over N
 * seconds (kept here in hundredths of a percent); total is the stall
 * time in microseconds since boot. Pure: text in, numbers out.
 */
#ifndef XB_PSI_H
#define XB_PSI_H

#include <stddef.h>
#include <stdint.h>

enum { PSI_SOME = 1u << 0, PSI_FULL = 1u << 1 };

struct psi_line {
	unsigned avg10_centi;   /* percent x 100: "12.34" -> 1234 */
	unsigned avg60_centi;
	unsigned avg300_centi;
	uint64_t total_us;
};

struct psi {
	struct psi_line some;
	struct psi_line full;
	unsigned have;  /* PSI_SOME, PSI_FULL bits */
};

/* Returns 0 when the "some" line was read whole, -1 otherwise (out is
 * filled with whatever was found either way). A line missing any of
 * its four fields, or holding a value out of range (an average above
 * 100.00, a total above 2^60), is not taken. */
int psi_parse(const char *text, size_t len, struct psi *out);

#endif
