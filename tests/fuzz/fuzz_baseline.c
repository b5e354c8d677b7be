/* libFuzzer target: check_hops' baseline files through common/baseline.
 * Whatever the bytes, baseline_parse either refuses them with a message or
 * gives a path that baseline_format writes back so that baseline_parse
 * reads the same path again (no difference, same length), and a path
 * never differs from itself.  make fuzz builds and runs it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct baseline a, b;
	static char text[BASELINE_FILE_MAX], diff[4096];
	char err[256];
	size_t len;

	err[0] = '\0';
	if (baseline_parse((const char *)data, size, &a, err, sizeof(err)) < 0) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if (a.nhops == 0 || a.nhops > BASELINE_MAX_HOPS || a.target[0] == '\0')
		abort();
	len = baseline_format(&a, text, sizeof(text));
	if (len >= sizeof(text))
		abort();
	if (baseline_parse(text, len, &b, err, sizeof(err)) < 0)
		abort();
	if (b.nhops != a.nhops || b.first != a.first || strcmp(a.target, b.target) != 0)
		abort();
	if (baseline_diff(&a, &b, diff, sizeof(diff)) != 0 || diff[0] != '\0')
		abort();
	if (baseline_diff(&a, &a, diff, sizeof(diff)) != 0)
		abort();
	return 0;
}
