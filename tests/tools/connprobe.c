/* connprobe: the common layer end to end, for tests and benchmarks.
 * Resolves HOST, connects, reads the banner line, sends QUIT, reads the
 * reply and closes: what `check_tcp -e 220 -s QUIT` does, built on
 * common/resolve, conn, tls and transcript.
 *   connprobe [-v] [--tls] [--ca-file F] [--insecure] [-t SECONDS] HOST PORT
 * Prints "OK peer: banner" or "FAIL class: reason"; exits 0 or 1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "opts.h"
#include "resolve.h"

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tls", no_argument, NULL, 's' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct tls_params tp = { 0 };
	struct tls_info ti;
	struct deadline d;
	struct fail f = { 0 };
	struct resolver *r = NULL;
	struct addr_list *addrs = NULL;
	struct conn *c = NULL;
	struct transcript *t = NULL;
	int64_t timeout_ms = 10000;
	enum state st;
	bool use_tls = false, verbose = false;
	char *line, banner[512] = "", err[256];
	size_t len;
	long port;
	int opt, rc = 1;

	while ((opt = getopt_long(argc, argv, "sC:kt:v", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': use_tls = true; break;
		case 'C': tp.ca_file = optarg; break;
		case 'k': tp.insecure = true; break;
		case 'v': verbose = true; break;
		case 't':
			if (opts_timeout(optarg, &timeout_ms, &st, err, sizeof(err)) < 0) {
				fprintf(stderr, "connprobe: -t: %s\n", err);
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2 || opts_long(argv[optind + 1], 1, 65535, &port, err, sizeof(err)) < 0) {
		fprintf(stderr, "usage: connprobe [-v] [--tls] [--ca-file F] [--insecure] [-t S] HOST PORT\n");
		return 2;
	}
	deadline_start(&d, timeout_ms);
	r = resolver_new(&(struct resolver_params){ .deadline = &d }, &f);
	if (r == NULL || resolve_host(r, argv[optind], AF_UNSPEC, (int)port, &addrs, &f) != RESOLVE_OK)
		goto done;
	t = verbose ? transcript_new() : NULL;
	tp.host = argv[optind];
	c = conn_connect(addrs, &(struct conn_params){ .deadline = &d, .max_line = 512,
						      .transcript = t,
						      .tls = use_tls ? &tp : NULL },
			 &ti, &f);
	if (c == NULL || conn_readline(c, &line, &len, &f) < 0)
		goto done;
	snprintf(banner, sizeof(banner), "%s", line);
	if (conn_send_line(c, "QUIT", NULL, &f) < 0 || conn_readline(c, &line, &len, &f) < 0)
		goto done;
	rc = 0;
done:
	if (rc == 0)
		printf("OK %s: %s\n", conn_peer(c), banner);
	else
		printf("FAIL %s: %s\n", fail_class_name(f.cls), f.text);
	for (size_t i = 0; i < transcript_count(t); i++)
		printf("%s\n", transcript_get(t, i));
	conn_close(c);
	transcript_free(t);
	addr_list_free(addrs);
	resolver_free(r);
	return rc;
}
