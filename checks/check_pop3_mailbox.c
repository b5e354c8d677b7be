/* check_pop3_mailbox: Logs in over POP3 and checks the mailbox: message count, size and age.
 * Not implemented yet: only the shared options work. */
#include "stub.h"

static const struct plugin_info info = {
	.name = "check_pop3_mailbox",
	.service = "POP3",
	.purpose = "Logs in over POP3 and checks the mailbox: message count, size and age. (NOT IMPLEMENTED YET: every run reports UNKNOWN.)",
	.usage = "-H HOST [options]",
	.host_help = "Host name or address of the POP3 server.",
	.default_port = 110,
	.thr_what = "the number of messages",
	.thr_kind = UNIT_NONE,
	.thr_unit = NULL,
};

int main(int argc, char **argv)
{
	return stub_main(&info, argc, argv);
}
