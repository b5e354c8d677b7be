/* check_smtp_dialogue: Holds an SMTP dialogue (banner, EHLO, STARTTLS, AUTH, MAIL, RCPT) and checks every step.
 * Not implemented yet: only the shared options work. */
#include "stub.h"

static const struct plugin_info info = {
	.name = "check_smtp_dialogue",
	.service = "SMTP",
	.purpose = "Holds an SMTP dialogue (banner, EHLO, STARTTLS, AUTH, MAIL, RCPT) and checks every step. (NOT IMPLEMENTED YET: every run reports UNKNOWN.)",
	.usage = "-H HOST [options]",
	.host_help = "Host name or address of the SMTP server.",
	.default_port = 25,
	.thr_what = "the total time",
	.thr_kind = UNIT_TIME,
	.thr_unit = "s",
};

int main(int argc, char **argv)
{
	return stub_main(&info, argc, argv);
}
