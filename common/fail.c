#include "fail.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const class_names[FAIL_LAST] = {
	[FAIL_NONE] = "none",
	[FAIL_CONN] = "connection",
	[FAIL_TIMEOUT] = "timeout",
	[FAIL_PROTO] = "protocol",
	[FAIL_REPLY] = "reply",
	[FAIL_TLS] = "tls",
	[FAIL_DNS] = "dns",
	[FAIL_INTERNAL] = "internal",
};

void fail_set(struct fail *f, enum fail_class cls, const char *fmt, ...)
{
	va_list ap;

	if (f == NULL)
		return;
	f->cls = cls;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

void fail_clear(struct fail *f)
{
	f->cls = FAIL_NONE;
	f->text[0] = '\0';
}

const char *fail_class_name(enum fail_class cls)
{
	return (unsigned)cls < FAIL_LAST ? class_names[cls] : "internal";
}
