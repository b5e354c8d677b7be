/* lookup: common/resolve from the command line, for integration tests.
 *   lookup [-s SERVERS] [--tcp] [-4|-6] [-t SECONDS] TYPE NAME
 * TYPE is host (A/AAAA through resolve_host), mx, ns or ptr.  Prints the
 * status word (ok, nxdomain, nodata, servfail, refused, timeout, error),
 * then the header flags and lowest TTL of a raw answer, then one record a
 * line, or the failure's text.  Exits 0 on ok, 1 otherwise, 2 on bad use.
 * TYPE batch takes a FILE of host names (one a line) and looks them all
 * up at once (resolve_hosts), then prints one line: how many ended with
 * each status and the seconds it took ("ok=1000 nxdomain=0 ... seconds=0.1"). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "resolve.h"

static const char *const status_words[RESOLVE_LAST] = {
	"ok", "nxdomain", "nodata", "servfail", "refused", "timeout", "error",
};

#define BATCH 1000 /* the "type" of a batch lookup */
#define BATCH_MAX 100000

/* Looks up every name of file at once; prints the counts per status. */
static int batch(struct resolver *r, const char *file, int family, const struct deadline *d)
{
	FILE *in = fopen(file, "r");
	char **names = calloc(BATCH_MAX, sizeof(*names)), line[512];
	struct resolve_result *res;
	size_t n = 0, count[RESOLVE_LAST] = { 0 };

	if (in == NULL || names == NULL) {
		fprintf(stderr, "lookup: cannot read %s\n", file);
		return 2;
	}
	while (n < BATCH_MAX && fgets(line, sizeof(line), in) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0')
			names[n++] = strdup(line);
	}
	fclose(in);
	res = calloc(n ? n : 1, sizeof(*res));
	if (res == NULL)
		return 2;
	resolve_hosts(r, (const char *const *)names, n, family, 0, res);
	for (size_t i = 0; i < n; i++) {
		count[res[i].status]++;
		addr_list_free(res[i].addrs);
		free(names[i]);
	}
	for (int s = 0; s < RESOLVE_LAST; s++)
		printf("%s=%zu ", status_words[s], count[s]);
	printf("seconds=%.3f\n", deadline_elapsed_s(d));
	free(res);
	free(names);
	return count[RESOLVE_OK] == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tcp", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct resolver_params p = { 0 };
	struct deadline d;
	struct fail f = { 0 };
	struct resolver *r;
	int64_t timeout_ms = 5000;
	enum state st;
	enum resolve_status s;
	int family = AF_UNSPEC, opt, type;
	char err[256];
	const char *what, *name;

	while ((opt = getopt_long(argc, argv, "s:46t:", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': p.servers = optarg; break;
		case 'T': p.tcp = true; break;
		case '4': family = AF_INET; break;
		case '6': family = AF_INET6; break;
		case 't':
			if (opts_timeout(optarg, &timeout_ms, &st, err, sizeof(err)) < 0) {
				fprintf(stderr, "lookup: -t: %s\n", err);
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: lookup [-s SERVERS] [--tcp] [-4|-6] [-t S] host|mx|ns|ptr NAME\n"
			"       lookup [-s SERVERS] [--tcp] [-4|-6] [-t S] batch FILE\n");
		return 2;
	}
	what = argv[optind];
	name = argv[optind + 1];
	type = strcmp(what, "mx") == 0 ? DNS_TYPE_MX : strcmp(what, "ns") == 0 ? DNS_TYPE_NS
	       : strcmp(what, "ptr") == 0 ? DNS_TYPE_PTR : strcmp(what, "host") == 0 ? 0
	       : strcmp(what, "batch") == 0 ? BATCH : -1;
	if (type < 0) {
		fprintf(stderr, "lookup: unknown type '%s'\n", what);
		return 2;
	}
	deadline_start(&d, timeout_ms);
	p.deadline = &d;
	r = resolver_new(&p, &f);
	if (r == NULL) {
		printf("error\n%s\n", f.text);
		return 1;
	}
	if (type == BATCH) {
		int rc = batch(r, name, family, &d);

		resolver_free(r);
		return rc;
	}
	if (type == 0) {
		struct addr_list *l = NULL;

		s = resolve_host(r, name, family, 0, &l, &f);
		printf("%s\n", status_words[s]);
		for (size_t i = 0; l != NULL && i < l->n; i++) {
			char a[64];

			addr_format((const struct sockaddr *)&l->addr[i], false, a, sizeof(a));
			printf("%s\n", a);
		}
		addr_list_free(l);
	} else {
		struct dns_reply *rep = NULL;

		s = resolve_query(r, name, type, &rep, &f);
		printf("%s\n", status_words[s]);
		if (rep != NULL) {
			printf("flags%s%s%s%s rcode=%u ttl=%s%u\n", rep->hdr.aa ? " aa" : "",
			       rep->hdr.tc ? " tc" : "", rep->hdr.rd ? " rd" : "",
			       rep->hdr.ad ? " ad" : "", rep->hdr.rcode, rep->has_ttl ? "" : "none/",
			       rep->min_ttl);
			if (s == RESOLVE_OK && type == DNS_TYPE_MX) {
				struct dns_mx *mx;
				size_t n;

				if (dns_msg_mx(rep->raw, rep->len, &mx, &n) == 0) {
					for (size_t i = 0; i < n; i++)
						printf("%u %s\n", mx[i].preference, mx[i].host);
					dns_mx_free(mx, n);
				}
			} else if (s == RESOLVE_OK) {
				char **names;
				size_t n;

				if (dns_msg_names(rep->raw, rep->len, (unsigned)type, &names, &n) == 0) {
					for (size_t i = 0; i < n; i++)
						printf("%s\n", names[i]);
					dns_names_free(names, n);
				}
			}
		}
		dns_reply_free(rep);
	}
	if (s != RESOLVE_OK)
		printf("%s\n", f.text);
	resolver_free(r);
	return s == RESOLVE_OK ? 0 : 1;
}
