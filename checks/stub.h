/* The body of a plugin whose issue has not landed yet: the shared options
 * work (--help, --version, bad arguments), the check itself says
 * "not implemented" and exits UNKNOWN.  Removed plugin by plugin as each
 * one is written. */
#ifndef NETCHECK_STUB_H
#define NETCHECK_STUB_H

#include <stdio.h>

#include "opts.h"
#include "output.h"
#include "result.h"

static int stub_main(const struct plugin_info *pi, int argc, char **argv)
{
	struct common_opts co;
	struct result *res;
	int rc = opts_parse(pi, &co, argc, argv, NULL, NULL, stdout);

	if (rc >= 0)
		return rc;
	res = result_new(pi->service);
	if (res == NULL) {
		printf("%s UNKNOWN - out of memory\n", pi->service);
		return STATE_UNKNOWN;
	}
	result_raise(res, STATE_UNKNOWN);
	result_summary(res, "not implemented");
	rc = output_write(res, co.output, co.verbose, stdout);
	result_free(res);
	return rc;
}

#endif
