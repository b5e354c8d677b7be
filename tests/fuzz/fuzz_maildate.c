/* libFuzzer target: message dates (common/maildate) as a Date header or
 * the end of a Received header brings them: maildate_parse and
 * maildate_received over the input's bytes.
 *
 * Invariants checked besides "no crash": a refusal says why; an accepted
 * date lies between 1899 and 10000 (a four-digit year, and a zone of at
 * most 99:59 hours, as the four digits of RFC 5322 allow); written back in
 * the modern form ("Tue, 01 Jul 2025 10:00:00 +0000") it parses to the
 * same second, and so does the same text after "by mx; " as a Received
 * header; maildate_received agrees with maildate_parse on the text after
 * the last ';'.  make fuzz builds and runs it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maildate.h"

/* 1900-01-01 less 100 hours and 10000-01-01 plus 100 hours, in seconds
 * since the epoch. */
#define EARLIEST (-2208988800LL - 360000)
#define LATEST   (253402300800LL + 360000)

static void roundtrip(time_t t)
{
	struct tm tm;
	char text[96], received[128], err[128];
	time_t again;
	size_t n;

	if (gmtime_r(&t, &tm) == NULL)
		abort();
	if (tm.tm_year + 1900 < 1900 || tm.tm_year + 1900 > 9999)
		return; /* the zone took it past what four digits write */
	n = strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (n == 0)
		abort();
	if (maildate_parse((const unsigned char *)text, n, &again, err, sizeof(err)) != 0 ||
	    again != t)
		abort();
	n = (size_t)snprintf(received, sizeof(received), "from a by mx; %s", text);
	if (maildate_received((const unsigned char *)received, n, &again, err, sizeof(err)) != 0 ||
	    again != t)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	time_t t = 0, t2 = 0;
	const uint8_t *semi = NULL;
	int rc;

	err[0] = '\0';
	rc = maildate_parse(data, size, &t, err, sizeof(err));
	if (rc != 0 && (rc != -1 || err[0] == '\0'))
		abort();
	if (rc == 0) {
		if ((long long)t < EARLIEST || (long long)t > LATEST)
			abort();
		roundtrip(t);
	}
	maildate_parse(data, size, &t, NULL, 0);

	for (size_t i = 0; i < size; i++)
		if (data[i] == ';')
			semi = data + i;
	rc = maildate_received(data, size, &t, err, sizeof(err));
	if (semi == NULL && rc == 0)
		abort();
	if (semi != NULL) {
		size_t rest = size - (size_t)(semi + 1 - data);
		int rc2 = maildate_parse(semi + 1, rest, &t2, err, sizeof(err));

		if (rc != rc2 || (rc == 0 && t != t2))
			abort();
	}
	return 0;
}
