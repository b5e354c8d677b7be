/* baseline: check_hops' stored path (see baseline.h). */
#include "baseline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "result.h"

/* One word of a line: [*p, end) up to the next space. */
static size_t word(const char **p, const char *end, const char **w)
{
	while (*p < end && **p == ' ')
		(*p)++;
	*w = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	return (size_t)(*p - *w);
}

static bool word_is(const char *w, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(w, s, n) == 0;
}

/* "hop N ADDR..." or "hop N *" after "hop". */
static int parse_hop(const char *p, const char *end, struct baseline *b, char *why, size_t len)
{
	const char *w;
	size_t n = word(&p, end, &w);
	char num[8], addr[ADDR_TEXT_MAX];
	long ttl;
	char *stop;
	struct baseline_hop *h;
	socklen_t alen;

	if (n == 0 || n >= sizeof(num)) {
		snprintf(why, len, "no hop number");
		return -1;
	}
	memcpy(num, w, n);
	num[n] = '\0';
	ttl = strtol(num, &stop, 10);
	if (*stop != '\0' || ttl < 1 || ttl > BASELINE_MAX_HOPS) {
		snprintf(why, len, "'%s' is no hop number", num);
		return -1;
	}
	if (b->nhops == 0)
		b->first = (int)ttl;
	if (ttl != b->first + (long)b->nhops || b->nhops >= BASELINE_MAX_HOPS) {
		snprintf(why, len, "hop %ld out of order", ttl);
		return -1;
	}
	h = &b->hops[b->nhops++];
	while ((n = word(&p, end, &w)) > 0) {
		if (word_is(w, n, "*") && h->naddr == 0 && p == end)
			return 0;
		if (n >= sizeof(addr) || h->naddr >= BASELINE_HOP_ADDRS) {
			snprintf(why, len, "too many or too long addresses");
			return -1;
		}
		memcpy(addr, w, n);
		addr[n] = '\0';
		if (addr_parse(addr, 0, &h->addr[h->naddr], &alen) < 0) {
			snprintf(why, len, "'%s' is not an address", addr);
			return -1;
		}
		h->naddr++;
	}
	if (h->naddr == 0) {
		snprintf(why, len, "no address and no '*'");
		return -1;
	}
	return 0;
}

static int parse_line(const char *p, const char *end, struct baseline *b, char *why, size_t len)
{
	const char *w, *rest;
	size_t n = word(&p, end, &w);
	struct sockaddr_storage ss;
	socklen_t alen;

	if (n == 0 || w[0] == '#')
		return 0;
	if (word_is(w, n, "hop"))
		return parse_hop(p, end, b, why, len);
	if (!word_is(w, n, "target")) {
		snprintf(why, len, "unknown line");
		return -1;
	}
	n = word(&p, end, &w);
	if (n == 0 || n >= sizeof(b->target) || b->target[0] || word(&p, end, &rest) != 0) {
		snprintf(why, len, "a bad or second target line");
		return -1;
	}
	memcpy(b->target, w, n);
	b->target[n] = '\0';
	if (addr_parse(b->target, 0, &ss, &alen) < 0) {
		snprintf(why, len, "'%s' is not an address", b->target);
		return -1;
	}
	return 0;
}

int baseline_parse(const char *text, size_t len, struct baseline *b, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	unsigned line = 0;
	char why[160];

	memset(b, 0, sizeof(*b));
	b->first = 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		line++;
		if (memchr(p, '\0', (size_t)(le - p)) || memchr(p, '\r', (size_t)(le - p))) {
			snprintf(err, errlen, "line %u: a NUL or CR byte", line);
			return -1;
		}
		if (parse_line(p, le, b, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "line %u: %s", line, why);
			return -1;
		}
		p = nl ? nl + 1 : end;
	}
	if (b->target[0] == '\0' || b->nhops == 0) {
		snprintf(err, errlen, "%s", b->target[0] ? "no hop lines" : "no target line");
		return -1;
	}
	return 0;
}

size_t baseline_format(const struct baseline *b, char *buf, size_t len)
{
	size_t used = 0;

	result_text_put(buf, len, &used,
			"# check_hops baseline (delete this file to store the path anew)\n"
			"target %s\n", b->target);
	for (size_t i = 0; i < b->nhops; i++) {
		const struct baseline_hop *h = &b->hops[i];

		result_text_put(buf, len, &used, "hop %zu", (size_t)b->first + i);
		if (h->naddr == 0)
			result_text_put(buf, len, &used, " *");
		for (unsigned k = 0; k < h->naddr; k++) {
			char a[ADDR_TEXT_MAX];

			addr_format((const struct sockaddr *)&h->addr[k], false, a, sizeof(a));
			result_text_put(buf, len, &used, " %s", a);
		}
		result_text_put(buf, len, &used, "\n");
	}
	return used;
}

int baseline_load(const char *path, struct baseline *b, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *text;
	ssize_t n;
	int rc;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		snprintf(err, errlen, "--baseline %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > BASELINE_FILE_MAX) {
		snprintf(err, errlen, "--baseline %s: %s", path,
			 !S_ISREG(st.st_mode) ? "not a regular file" : "larger than 64 KB");
		close(fd);
		return -1;
	}
	text = malloc(BASELINE_FILE_MAX + 1);
	n = text ? read(fd, text, BASELINE_FILE_MAX + 1) : -1;
	close(fd);
	if (n < 0 || n > BASELINE_FILE_MAX) {
		snprintf(err, errlen, "--baseline %s: %s", path,
			 n < 0 ? strerror(errno) : "larger than 64 KB");
		free(text);
		return -1;
	}
	rc = baseline_parse(text, (size_t)n, b, err, errlen);
	free(text);
	if (rc < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "--baseline %s is damaged (%s): delete it to store the path anew",
			 path, why);
		return -1;
	}
	return 1;
}

int baseline_save(const char *path, const struct baseline *b, char *err, size_t errlen)
{
	size_t plen = strlen(path), len;
	char *tmp = malloc(plen + 16), *text = malloc(BASELINE_FILE_MAX);
	int fd = -1;

	if (tmp == NULL || text == NULL) {
		snprintf(err, errlen, "--baseline %s: out of memory", path);
		goto fail;
	}
	len = baseline_format(b, text, BASELINE_FILE_MAX);
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "--baseline %s: cannot write next to it: %s", path,
			 strerror(errno));
		goto fail;
	}
	if (len >= BASELINE_FILE_MAX || write(fd, text, len) != (ssize_t)len || fchmod(fd, 0644) != 0 ||
	    fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "--baseline %s: cannot store it: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		fd = -1;
		goto fail;
	}
	free(tmp);
	free(text);
	return 0;
fail:
	free(tmp);
	free(text);
	return -1;
}

static bool same_hop(const struct baseline_hop *a, const struct baseline_hop *b)
{
	if (a->naddr != b->naddr)
		return false;
	for (unsigned i = 0; i < a->naddr; i++) {
		bool found = false;

		for (unsigned j = 0; j < b->naddr && !found; j++)
			found = addr_same_ip((const struct sockaddr *)&a->addr[i],
					     (const struct sockaddr *)&b->addr[j]);
		if (!found)
			return false;
	}
	return true;
}

static void hop_addrs(const struct baseline_hop *h, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < h->naddr; k++) {
		char a[ADDR_TEXT_MAX];

		addr_format((const struct sockaddr *)&h->addr[k], false, a, sizeof(a));
		result_text_put(buf, len, &used, "%s%s", k ? " " : "", a);
	}
}

int baseline_diff(const struct baseline *then, const struct baseline *now, char *buf,
		  size_t len)
{
	size_t used = 0;
	int n = 0;

	buf[0] = '\0';
	if (strcmp(then->target, now->target) != 0) {
		result_text_put(buf, len, &used, "the baseline traced %s, this run %s", then->target,
				now->target);
		return 1;
	}
	if ((long)then->first + (long)then->nhops != (long)now->first + (long)now->nhops) {
		result_text_put(buf, len, &used, "%ld hops before, now %ld\n",
				(long)then->first + (long)then->nhops - 1,
				(long)now->first + (long)now->nhops - 1);
		n++;
	}
	for (size_t i = 0; i < now->nhops; i++) {
		long ttl = (long)now->first + (long)i, j = ttl - then->first;
		const struct baseline_hop *a, *c = &now->hops[i];
		char was[4 * ADDR_TEXT_MAX], is[4 * ADDR_TEXT_MAX];

		if (j < 0 || (size_t)j >= then->nhops)
			continue;
		a = &then->hops[j];
		if (a->naddr == 0 || c->naddr == 0 || same_hop(a, c))
			continue;
		hop_addrs(a, was, sizeof(was));
		hop_addrs(c, is, sizeof(is));
		result_text_put(buf, len, &used, "hop %ld: %s before, now %s\n", ttl, was, is);
		n++;
	}
	if (used > 0 && buf[used - 1] == '\n')
		buf[used - 1] = '\0';
	return n;
}
