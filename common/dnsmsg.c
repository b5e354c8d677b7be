#include "dnsmsg.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POINTERS 64 /* compression pointers followed in one name */

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int dns_header_parse(const unsigned char *msg, size_t len, struct dns_header *h)
{
	if (len < DNS_HEADER_LEN)
		return -1;
	h->id = get16(msg);
	h->qr = msg[2] & 0x80;
	h->opcode = (msg[2] >> 3) & 0x0f;
	h->aa = msg[2] & 0x04;
	h->tc = msg[2] & 0x02;
	h->rd = msg[2] & 0x01;
	h->ra = msg[3] & 0x80;
	h->ad = msg[3] & 0x20;
	h->cd = msg[3] & 0x10;
	h->rcode = msg[3] & 0x0f;
	h->qdcount = get16(msg + 4);
	h->ancount = get16(msg + 6);
	h->nscount = get16(msg + 8);
	h->arcount = get16(msg + 10);
	return 0;
}

const char *dns_rcode_name(unsigned rcode, char *buf, size_t len)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					     "NOTIMP", "REFUSED" };

	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	snprintf(buf, len, "RCODE%u", rcode);
	return buf;
}

void dns_type_format(unsigned type, char *buf, size_t len)
{
	static const struct {
		unsigned type;
		const char *name;
	} names[] = {
		{ DNS_TYPE_A, "A" }, { DNS_TYPE_NS, "NS" }, { DNS_TYPE_CNAME, "CNAME" },
		{ DNS_TYPE_SOA, "SOA" }, { DNS_TYPE_PTR, "PTR" }, { DNS_TYPE_MX, "MX" },
		{ DNS_TYPE_TXT, "TXT" }, { DNS_TYPE_AAAA, "AAAA" }, { 33, "SRV" }, { 41, "OPT" },
		{ 43, "DS" }, { 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" }, { 50, "NSEC3" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type) {
			snprintf(buf, len, "%s", names[i].name);
			return;
		}
	snprintf(buf, len, "TYPE%u", type);
}

/* Appends the presentation form of one label byte to out[*at]; false when
 * it does not fit. */
static bool put_label_byte(unsigned char c, char *out, size_t outlen, size_t *at)
{
	char tmp[5];
	int n;

	if (c == '.' || c == '\\')
		n = snprintf(tmp, sizeof(tmp), "\\%c", c);
	else if (c > 0x20 && c < 0x7f)
		n = snprintf(tmp, sizeof(tmp), "%c", c);
	else
		n = snprintf(tmp, sizeof(tmp), "\\%03u", c);
	if (*at + (size_t)n >= outlen)
		return false;
	memcpy(out + *at, tmp, (size_t)n);
	*at += (size_t)n;
	return true;
}

int dns_name_text(const unsigned char *msg, size_t len, size_t off, char *out,
		  size_t outlen, size_t *next)
{
	size_t end = 0, wire = 1, at = 0;
	int pointers = 0;

	if (outlen == 0)
		return -1;
	/* Each turn adds a label (at most 127 fit in 255 bytes) or follows a
	 * pointer (at most MAX_POINTERS), so the loop always ends. */
	for (;;) {
		unsigned char l;

		if (off >= len)
			return -1;
		l = msg[off];
		if (l == 0) {
			*next = end != 0 ? end : off + 1;
			out[at] = '\0';
			return 0;
		}
		if ((l & 0xc0) == 0xc0) {
			if (off + 2 > len || ++pointers > MAX_POINTERS)
				return -1;
			if (end == 0)
				end = off + 2;
			off = ((size_t)(l & 0x3f) << 8) | msg[off + 1];
			continue;
		}
		if ((l & 0xc0) != 0)
			return -1; /* 0x40, 0x80: not label types of RFC 1035 */
		wire += 1 + (size_t)l;
		if (wire > DNS_NAME_WIRE_MAX || off + 1 + l > len)
			return -1;
		if (at > 0) {
			if (at + 1 >= outlen)
				return -1;
			out[at++] = '.';
		}
		for (size_t i = 0; i < l; i++)
			if (!put_label_byte(msg[off + 1 + i], out, outlen, &at))
				return -1;
		off += 1 + (size_t)l;
	}
}

/* One resource record of the answer section. */
struct rr {
	size_t owner; /* offset of its owner name */
	uint16_t type;
	uint32_t ttl;
	size_t rdata; /* offset of its data */
	uint16_t rdlen;
};

/* Offset just past the name at off, or 0 when it is malformed. */
static size_t skip_name(const unsigned char *msg, size_t len, size_t off)
{
	char scratch[DNS_NAME_TEXT_MAX];
	size_t next;

	return dns_name_text(msg, len, off, scratch, sizeof(scratch), &next) == 0 ? next : 0;
}

/* Calls fn for each record of the answer section; -1 when malformed or
 * when fn returns -1. */
static int each_answer(const unsigned char *msg, size_t len,
		       int (*fn)(const unsigned char *msg, size_t len, const struct rr *rr,
				 void *ctx),
		       void *ctx)
{
	struct dns_header h;
	size_t off = DNS_HEADER_LEN;

	if (dns_header_parse(msg, len, &h) < 0)
		return -1;
	for (unsigned i = 0; i < h.qdcount; i++) {
		off = skip_name(msg, len, off);
		if (off == 0 || off + 4 > len)
			return -1;
		off += 4;
	}
	for (unsigned i = 0; i < h.ancount; i++) {
		struct rr rr;

		rr.owner = off;
		off = skip_name(msg, len, off);
		if (off == 0 || off + 10 > len)
			return -1;
		rr.type = get16(msg + off);
		rr.ttl = get32(msg + off + 4);
		rr.rdlen = get16(msg + off + 8);
		rr.rdata = off + 10;
		if (rr.rdata + rr.rdlen > len)
			return -1;
		if (fn != NULL && fn(msg, len, &rr, ctx) < 0)
			return -1;
		off = rr.rdata + rr.rdlen;
	}
	return 0;
}

struct ttl_ctx {
	bool has;
	uint32_t min;
};

static int ttl_fn(const unsigned char *msg, size_t len, const struct rr *rr, void *ctx)
{
	struct ttl_ctx *t = ctx;

	(void)msg;
	(void)len;
	if (!t->has || rr->ttl < t->min)
		t->min = rr->ttl;
	t->has = true;
	return 0;
}

int dns_answer_min_ttl(const unsigned char *msg, size_t len, bool *has_ttl,
		       uint32_t *min_ttl)
{
	struct ttl_ctx t = { false, 0 };

	if (each_answer(msg, len, ttl_fn, &t) < 0)
		return -1;
	*has_ttl = t.has;
	*min_ttl = t.min;
	return 0;
}

/* The name that fills a record's data from rdata + skip to its end, as a
 * new string (with a final dot when `dot`); NULL when malformed, when it
 * runs past the record or leaves bytes of it over, or out of memory. */
static char *rdata_name(const unsigned char *msg, size_t len, const struct rr *rr,
			size_t skip, bool dot)
{
	char name[DNS_NAME_TEXT_MAX + 1];
	size_t next, n;

	/* The name fills the data to its end: no more, no less. */
	if (rr->rdlen < skip + 1 ||
	    dns_name_text(msg, len, rr->rdata + skip, name, sizeof(name) - 1, &next) < 0 ||
	    next != rr->rdata + rr->rdlen)
		return NULL;
	n = strlen(name);
	if (dot) {
		name[n] = '.';
		name[n + 1] = '\0';
	}
	return strdup(name);
}

static char *rdata_text(const unsigned char *msg, size_t len, const struct rr *rr)
{
	const unsigned char *d = msg + rr->rdata;
	char *out = NULL, buf[INET6_ADDRSTRLEN];

	switch (rr->type) {
	case DNS_TYPE_A:
		if (rr->rdlen != 4)
			return NULL;
		return strdup(inet_ntop(AF_INET, d, buf, sizeof(buf)));
	case DNS_TYPE_AAAA:
		if (rr->rdlen != 16)
			return NULL;
		return strdup(inet_ntop(AF_INET6, d, buf, sizeof(buf)));
	case DNS_TYPE_CNAME:
	case DNS_TYPE_NS:
	case DNS_TYPE_PTR:
		return rdata_name(msg, len, rr, 0, true);
	case DNS_TYPE_MX: {
		char *host = rr->rdlen >= 3 ? rdata_name(msg, len, rr, 2, true) : NULL;

		if (host == NULL || asprintf(&out, "%u %s", (unsigned)get16(d), host) < 0)
			out = NULL;
		free(host);
		return out;
	}
	default:
		/* RFC 3597 generic form. */
		out = malloc(16 + 2 * (size_t)rr->rdlen);
		if (out != NULL) {
			int k = sprintf(out, "\\# %u%s", (unsigned)rr->rdlen, rr->rdlen ? " " : "");

			for (size_t i = 0; i < rr->rdlen; i++)
				k += sprintf(out + k, "%02x", d[i]);
		}
		return out;
	}
}

/* A growing array of elements of `size` bytes. */
struct vec {
	void *items;
	size_t n, cap;
};

/* Room for one more element; NULL when out of memory. */
static void *vec_slot(struct vec *v, size_t size)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 8;
		void *ni = realloc(v->items, ncap * size);

		if (ni == NULL)
			return NULL;
		v->items = ni;
		v->cap = ncap;
	}
	return (char *)v->items + v->n * size;
}

static int records_fn(const unsigned char *msg, size_t len, const struct rr *rr, void *ctx)
{
	struct vec *v = ctx;
	struct dns_record *rec = vec_slot(v, sizeof(*rec));
	char name[DNS_NAME_TEXT_MAX];
	size_t next;

	if (rec == NULL || dns_name_text(msg, len, rr->owner, name, sizeof(name), &next) < 0)
		return -1;
	*rec = (struct dns_record){ .type = rr->type, .ttl = rr->ttl };
	rec->name = strdup(name);
	rec->data = rec->name ? rdata_text(msg, len, rr) : NULL;
	if (rec->data == NULL) {
		free(rec->name);
		return -1;
	}
	v->n++;
	return 0;
}

int dns_msg_records(const unsigned char *msg, size_t len, struct dns_record **out,
		    size_t *n)
{
	struct vec v = { 0 };

	if (each_answer(msg, len, records_fn, &v) < 0) {
		dns_records_free(v.items, v.n);
		return -1;
	}
	*out = v.items;
	*n = v.n;
	return 0;
}

void dns_records_free(struct dns_record *rr, size_t n)
{
	for (size_t i = 0; rr != NULL && i < n; i++) {
		free(rr[i].name);
		free(rr[i].data);
	}
	free(rr);
}

static int mx_fn(const unsigned char *msg, size_t len, const struct rr *rr, void *ctx)
{
	struct vec *v = ctx;
	struct dns_mx *mx;

	if (rr->type != DNS_TYPE_MX)
		return 0;
	mx = vec_slot(v, sizeof(*mx));
	if (mx == NULL || rr->rdlen < 3)
		return -1;
	mx->preference = get16(msg + rr->rdata);
	mx->host = rdata_name(msg, len, rr, 2, false);
	if (mx->host == NULL)
		return -1;
	v->n++;
	return 0;
}

int dns_msg_mx(const unsigned char *msg, size_t len, struct dns_mx **out, size_t *n)
{
	struct vec v = { 0 };

	if (each_answer(msg, len, mx_fn, &v) < 0) {
		dns_mx_free(v.items, v.n);
		return -1;
	}
	*out = v.items;
	*n = v.n;
	return 0;
}

void dns_mx_free(struct dns_mx *mx, size_t n)
{
	for (size_t i = 0; mx != NULL && i < n; i++)
		free(mx[i].host);
	free(mx);
}

struct names_ctx {
	struct vec v;
	unsigned type;
};

static int names_fn(const unsigned char *msg, size_t len, const struct rr *rr, void *ctx)
{
	struct names_ctx *c = ctx;
	char **slot;

	if (rr->type != c->type)
		return 0;
	slot = vec_slot(&c->v, sizeof(*slot));
	if (slot == NULL)
		return -1;
	/* An MX record's name follows its preference. */
	*slot = rdata_name(msg, len, rr, rr->type == DNS_TYPE_MX ? 2 : 0, false);
	if (*slot == NULL)
		return -1;
	c->v.n++;
	return 0;
}

int dns_msg_names(const unsigned char *msg, size_t len, unsigned type, char ***out,
		  size_t *n)
{
	struct names_ctx c = { .type = type };

	if (each_answer(msg, len, names_fn, &c) < 0) {
		dns_names_free(c.v.items, c.v.n);
		return -1;
	}
	*out = c.v.items;
	*n = c.v.n;
	return 0;
}

void dns_names_free(char **names, size_t n)
{
	for (size_t i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
}
