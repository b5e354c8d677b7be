/* baseline: the path check_hops stores with --baseline and compares later
 * runs against.  A small text file, one line per hop:
 *
 *   # check_hops baseline (delete this file to store the path anew)
 *   target 198.18.4.2
 *   hop 1 198.18.0.2
 *   hop 2 *
 *   hop 3 198.18.2.2 198.18.7.2
 *
 * Written atomically (a temporary file in the same folder, synced, then
 * renamed over the old one), so a run killed half way leaves the old file
 * or the new one, never a mix.  Parsing is a pure function over bytes, for
 * unit tests and fuzzing. */
#ifndef NETCHECK_BASELINE_H
#define NETCHECK_BASELINE_H

#include <stddef.h>
#include <sys/socket.h>

#include "addr.h"

#define BASELINE_MAX_HOPS  255
#define BASELINE_HOP_ADDRS 4        /* addresses kept per hop */
#define BASELINE_FILE_MAX  (64 << 10) /* bytes a baseline file may have */

struct baseline_hop {
	unsigned naddr; /* 0: the hop did not answer */
	struct sockaddr_storage addr[BASELINE_HOP_ADDRS];
};

struct baseline {
	char target[ADDR_TEXT_MAX];
	int first;      /* the TTL of hops[0] */
	size_t nhops;
	struct baseline_hop hops[BASELINE_MAX_HOPS];
};

/* Parses a baseline file's text.  Returns 0, or -1 with err naming the line
 * and what is wrong with it. */
int baseline_parse(const char *text, size_t len, struct baseline *b, char *err, size_t errlen);

/* Writes b as the file holds it.  Returns the length it needed, as
 * snprintf. */
size_t baseline_format(const struct baseline *b, char *buf, size_t len);

/* Reads path: 1 when it held a baseline, 0 when there is no such file, -1
 * with err set when it cannot be read or is damaged (not a regular file,
 * larger than BASELINE_FILE_MAX, a bad line). */
int baseline_load(const char *path, struct baseline *b, char *err, size_t errlen);

/* Stores b in path atomically.  Returns 0, or -1 with err set. */
int baseline_save(const char *path, const struct baseline *b, char *err, size_t errlen);

/* What differs from `then` to `now`, one line per difference in buf
 * ("hop 3: 198.18.2.2 before, now 198.18.9.2"; "5 hops before, now 6").
 * A hop that did not answer in either run is no difference (routers limit
 * their answers).  Returns the number of differences. */
int baseline_diff(const struct baseline *then, const struct baseline *now, char *buf,
		  size_t len);

#endif
