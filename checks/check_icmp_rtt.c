/* check_icmp_rtt: Sends ICMP echo requests to one or many hosts and checks round-trip time and loss.
 * Not implemented yet: only the shared options work. */
#include "stub.h"

static const struct plugin_info info = {
	.name = "check_icmp_rtt",
	.service = "ICMP",
	.purpose = "Sends ICMP echo requests to one or many hosts and checks round-trip time and loss. (NOT IMPLEMENTED YET: every run reports UNKNOWN.)",
	.usage = "-H HOST [-H HOST...] [options]",
	.host_help = "Host name or address to ping.",
	.default_port = 0,
	.thr_what = "the round-trip time",
	.thr_kind = UNIT_TIME,
	.thr_unit = "ms",
};

int main(int argc, char **argv)
{
	return stub_main(&info, argc, argv);
}
