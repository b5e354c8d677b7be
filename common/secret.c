#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void secret_wipe(void *buf, size_t len)
{
	if (buf != NULL && len > 0)
		OPENSSL_cleanse(buf, len);
}

/* Keeps text[0..n) as the secret, if it fits and is not empty. */
static int keep(const char *text, size_t n, char *buf, size_t len, const char *from,
		struct fail *f)
{
	if (n == 0) {
		fail_set(f, FAIL_INTERNAL, "the password %s is empty", from);
		return -1;
	}
	if (n >= len || n >= SECRET_MAX) {
		fail_set(f, FAIL_INTERNAL, "the password %s is longer than %d bytes", from,
			 SECRET_MAX - 1);
		return -1;
	}
	if (memchr(text, '\0', n) != NULL) {
		fail_set(f, FAIL_INTERNAL, "the password %s holds a NUL byte", from);
		return -1;
	}
	/* Sent inside a command line, a CR or LF would end that command and
	 * start another one of the password's making. */
	if (memchr(text, '\r', n) != NULL || memchr(text, '\n', n) != NULL) {
		fail_set(f, FAIL_INTERNAL, "the password %s holds a CR or LF", from);
		return -1;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	return 0;
}

int secret_from_file(const char *path, char *buf, size_t len, struct fail *f)
{
	char raw[SECRET_MAX + 2], from[300];
	const char *nl;
	struct stat st;
	ssize_t n;
	size_t line;
	int fd, rc;

	snprintf(from, sizeof(from), "in '%s'", path);
	/* O_NONBLOCK: opening a FIFO would otherwise wait for a writer, past
	 * any deadline; a FIFO is then refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fail_set(f, FAIL_INTERNAL, "cannot read the password file '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fail_set(f, FAIL_INTERNAL, "the password file '%s' is not a regular file", path);
		close(fd);
		return -1;
	}
	n = read(fd, raw, sizeof(raw));
	close(fd);
	if (n < 0) {
		fail_set(f, FAIL_INTERNAL, "cannot read the password file '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	nl = memchr(raw, '\n', (size_t)n);
	line = nl != NULL ? (size_t)(nl - raw) : (size_t)n;
	if (line > 0 && raw[line - 1] == '\r')
		line--;
	rc = keep(raw, line, buf, len, from, f);
	secret_wipe(raw, sizeof(raw));
	return rc;
}

int secret_from_env(const char *var, char *buf, size_t len, struct fail *f)
{
	char *v = getenv(var), from[300];
	size_t n;
	int rc;

	snprintf(from, sizeof(from), "in the environment variable %s", var);
	if (v == NULL) {
		fail_set(f, FAIL_INTERNAL, "the environment variable %s is not set", var);
		return -1;
	}
	n = strlen(v);
	rc = keep(v, n, buf, len, from, f);
	/* The environment is the process's own memory (and
	 * /proc/PID/environ): the value is wiped there once copied. */
	secret_wipe(v, n);
	return rc;
}

int secret_from_arg(char *arg, char *buf, size_t len, struct fail *f)
{
	size_t n = strlen(arg);
	int rc = keep(arg, n, buf, len, "given with -P", f);

	memset(arg, 'x', n);
	return rc;
}

int secret_sources(const struct secret_source *s)
{
	return (s->file != NULL) + (s->env != NULL) + (s->arg != NULL);
}

int secret_read(struct secret_source *s, char *buf, size_t len, struct fail *f)
{
	switch (secret_sources(s)) {
	case 0:
		fail_set(f, FAIL_INTERNAL, "a password is required: --password-file FILE, "
			 "--password-env VAR or -P");
		return -1;
	case 1:
		break;
	default:
		fail_set(f, FAIL_INTERNAL, "give one of --password-file, --password-env, -P");
		return -1;
	}
	if (s->file != NULL)
		return secret_from_file(s->file, buf, len, f);
	if (s->env != NULL)
		return secret_from_env(s->env, buf, len, f);
	return secret_from_arg(s->arg, buf, len, f);
}

long secret_base64(const void *in, size_t n, char *out, size_t outlen)
{
	size_t need = 4 * ((n + 2) / 3) + 1;

	if (outlen < need || n > (size_t)0x3fffffff)
		return -1;
	return EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}
