/* check_hops: Traces the path to a host and checks hop count, reachability and per-hop loss and latency.
 * Not implemented yet: only the shared options work. */
#include "stub.h"

static const struct plugin_info info = {
	.name = "check_hops",
	.service = "HOPS",
	.purpose = "Traces the path to a host and checks hop count, reachability and per-hop loss and latency. (NOT IMPLEMENTED YET: every run reports UNKNOWN.)",
	.usage = "-H HOST [options]",
	.host_help = "Host name or address to trace.",
	.default_port = 0,
	.thr_what = "the number of hops",
	.thr_kind = UNIT_NONE,
	.thr_unit = NULL,
};

int main(int argc, char **argv)
{
	return stub_main(&info, argc, argv);
}
