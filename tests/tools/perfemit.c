/* perfemit: writes the perfdata that common/output makes for items given on
 * the command line, for tests against real perfdata consumers.
 *   perfemit LABEL VALUE UOM WARN CRIT MIN MAX [LABEL ...]
 * VALUE "U" is an unmeasured value; an empty WARN, CRIT, MIN or MAX is none.
 * WARN and CRIT are ranges as a user writes them, in the unit UOM implies. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "range.h"
#include "result.h"

static enum unit_kind kind_of(const char *uom)
{
	if (strcmp(uom, "s") == 0 || strcmp(uom, "ms") == 0 || strcmp(uom, "us") == 0)
		return UNIT_TIME;
	if (strcmp(uom, "%") == 0)
		return UNIT_PERCENT;
	if (strlen(uom) > 0 && uom[strlen(uom) - 1] == 'B')
		return UNIT_SIZE;
	return UNIT_NONE;
}

static int number(const char *text, double *v)
{
	char err[256];

	if (text[0] == '\0' || strcmp(text, "U") == 0) {
		*v = NAN;
		return 0;
	}
	if (unit_parse(text, UNIT_NONE, NULL, v, err, sizeof(err)) < 0) {
		fprintf(stderr, "perfemit: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct result *res = result_new("PERF");
	int rc = 1;

	if (res == NULL || argc < 2 || (argc - 1) % 7 != 0) {
		fprintf(stderr, "usage: perfemit LABEL VALUE UOM WARN CRIT MIN MAX ...\n");
		goto done;
	}
	for (int i = 1; i < argc; i += 7) {
		struct range w, c;
		struct perf p = { .label = argv[i], .uom = argv[i + 2] };
		enum unit_kind k = kind_of(p.uom);
		const char *unit = k == UNIT_NONE || k == UNIT_PERCENT ? NULL : p.uom;
		char err[256];

		if (number(argv[i + 1], &p.value) < 0 || number(argv[i + 5], &p.min) < 0 ||
		    number(argv[i + 6], &p.max) < 0)
			goto done;
		if (argv[i + 3][0] != '\0') {
			if (range_parse(&w, argv[i + 3], k, unit, err, sizeof(err)) < 0)
				goto bad_range;
			p.warn = &w;
		}
		if (argv[i + 4][0] != '\0') {
			if (range_parse(&c, argv[i + 4], k, unit, err, sizeof(err)) < 0)
				goto bad_range;
			p.crit = &c;
		}
		result_perf(res, &p);
		continue;
bad_range:
		fprintf(stderr, "perfemit: %s\n", err);
		goto done;
	}
	if (output_perfdata(res, stdout) == 0 && putchar('\n') != EOF)
		rc = 0;
done:
	result_free(res);
	return rc;
}
