/* check_dns_mx: Looks up a domain's MX records and the address of each mail exchanger.
 * Not implemented yet: only the shared options work. */
#include "stub.h"

static const struct plugin_info info = {
	.name = "check_dns_mx",
	.service = "DNS MX",
	.purpose = "Looks up a domain's MX records and the address of each mail exchanger. (NOT IMPLEMENTED YET: every run reports UNKNOWN.)",
	.usage = "-H DOMAIN [options]",
	.host_help = "The domain whose MX records to check.",
	.default_port = 0,
	.thr_what = "the query time",
	.thr_kind = UNIT_TIME,
	.thr_unit = "s",
};

int main(int argc, char **argv)
{
	return stub_main(&info, argc, argv);
}
