/* dnsmsg: DNS messages as pure functions over canned bytes (no network):
 * the header, names in presentation form, the answer section's records,
 * MX and name lists, the lowest TTL, rcode and type names, and malformed
 * messages, which every function refuses with -1 and never reads past. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "suites.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- canned messages ---------------------------------------------------- */

/* Header: id 0x1234, the two flag bytes, qdcount and ancount. */
#define HDR(flags2, flags3, qd, an) 0x12, 0x34, flags2, flags3, 0, qd, 0, an, 0, 0, 0, 0
/* The question "mx.test IN MX", offsets 12 to 24 ("test" at 15). */
#define Q_MX 2, 'm', 'x', 4, 't', 'e', 's', 't', 0, 0, 15, 0, 1
#define TTL(t) (unsigned char)((t) >> 24), (unsigned char)((t) >> 16), \
	       (unsigned char)((t) >> 8), (unsigned char)(t)
/* A record owned by the question name; rdlen bytes of data follow. */
#define RR(type, ttl, rdlen) 0xc0, 12, (unsigned char)((type) >> 8), (unsigned char)(type), \
	0, 1, TTL(ttl), (unsigned char)((rdlen) >> 8), (unsigned char)(rdlen)
/* MX pref 10 -> "mx1.<question>" (compressed), and pref 20 -> <question>. */
#define RR_MX1(ttl) RR(15, ttl, 8), 0, 10, 3, 'm', 'x', '1', 0xc0, 12
#define RR_MX2(ttl) RR(15, ttl, 4), 0, 20, 0xc0, 12

static const unsigned char m_ok[] = { HDR(0x81, 0x80, 1, 2), Q_MX, RR_MX1(3600), RR_MX2(300) };
static const unsigned char m_ok_rev[] = { HDR(0x81, 0x80, 1, 2), Q_MX, RR_MX1(7),
					  RR_MX2(4000000000u) };
static const unsigned char m_empty[] = { HDR(0x81, 0x80, 1, 0), Q_MX };
static const unsigned char m_nx[] = { HDR(0x81, 0x83, 1, 0), Q_MX };
static const unsigned char m_zero_ttl[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR_MX1(0) };
/* An answer whose owner is spelled out instead of compressed. */
static const unsigned char m_plain_owner[] = {
	HDR(0x81, 0x80, 1, 1), Q_MX,
	2, 'm', 'x', 4, 't', 'e', 's', 't', 0, 0, 15, 0, 1, TTL(42), 0, 4, 0, 1, 0xc0, 12
};
/* Owner label, then a pointer to the question's "test". */
static const unsigned char m_label_then_ptr[] = {
	HDR(0x81, 0x80, 1, 1), Q_MX,
	1, 'a', 0xc0, 15, 0, 15, 0, 1, TTL(9), 0, 4, 0, 1, 0xc0, 12
};
/* No question, one answer with the root as owner. */
static const unsigned char m_no_question[] = { HDR(0x81, 0x80, 0, 1), 0, 0, 1, 0, 1, TTL(77), 0, 4,
					       127, 0, 0, 1 };
/* Broken: three answers announced, two there. */
static const unsigned char m_an_missing[] = { HDR(0x81, 0x80, 1, 3), Q_MX, RR_MX1(3600),
					      RR_MX2(300) };
static const unsigned char m_rdata_past[] = { HDR(0x81, 0x80, 1, 1), Q_MX,
					      RR(15, 5, 9), 0, 10, 0xc0, 12 };
static const unsigned char m_rr_hdr_short[] = { HDR(0x81, 0x80, 1, 1), Q_MX, 0xc0, 12, 0, 15, 0, 1,
						TTL(5), 0 };
static const unsigned char m_q_short[] = { HDR(0x81, 0x80, 1, 0),
					   2, 'm', 'x', 4, 't', 'e', 's', 't', 0, 0, 15, 0 };
static const unsigned char m_q_label_past[] = { HDR(0x81, 0x80, 1, 0), 9, 'm', 'x' };
static const unsigned char m_q_no_end[] = { HDR(0x81, 0x80, 1, 0), 2, 'm', 'x' };
static const unsigned char m_label_40[] = { HDR(0x81, 0x80, 1, 0), 0x41, 'm', 'x', 0, 0, 15, 0, 1 };
static const unsigned char m_label_80[] = { HDR(0x81, 0x80, 1, 0), 0x81, 'm', 'x', 0, 0, 15, 0, 1 };
static const unsigned char m_ptr_self[] = { HDR(0x81, 0x80, 1, 1), Q_MX,
					    0xc0, 25, 0, 15, 0, 1, TTL(5), 0, 4, 0, 10, 0xc0, 12 };
static const unsigned char m_ptr_loop2[] = { HDR(0x81, 0x80, 1, 0),
					     0xc0, 14, 0xc0, 12, 0, 15, 0, 1 };
static const unsigned char m_ptr_past[] = { HDR(0x81, 0x80, 1, 1), Q_MX,
					    0xc0, 200, 0, 15, 0, 1, TTL(5), 0, 4, 0, 10, 0xc0, 12 };
static const unsigned char m_ptr_half[] = { HDR(0x81, 0x80, 1, 0), 2, 'm', 'x', 0xc0 };
static const unsigned char m_ptr_forward[] = { HDR(0x81, 0x80, 1, 0),
					       0xc0, 14, 1, 'a', 0, 0, 15, 0, 1 };
static const unsigned char m_ptr_0x40[] = { HDR(0x81, 0x80, 1, 1), Q_MX,
					    0x40, 12, 0, 15, 0, 1, TTL(5), 0, 4, 0, 10, 0xc0, 12 };

/* Two MX, a CNAME (skipped by dns_msg_mx) and the null MX. */
static const unsigned char m_mx3[] = {
	HDR(0x81, 0x80, 1, 4), Q_MX,
	RR_MX1(3600),
	RR_MX2(300),
	RR(5, 5, 2), 0xc0, 12,
	RR(15, 5, 3), 0, 0, 0,
};
/* The MX target points into itself. */
static const unsigned char m_mx_loop[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR(15, 5, 4), 0, 10,
					   0xc0, 39 };
/* The MX data is shorter than preference + name. */
static const unsigned char m_mx_short[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR(15, 5, 2), 0, 10,
					    0xc0, 12 };
/* The MX target runs past its rdlen into the next bytes. */
static const unsigned char m_mx_overrun[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR(15, 5, 4), 0, 10,
					      1, 'a', 0 };
/* The MX target uses label type 0x40. */
static const unsigned char m_mx_0x40[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR(15, 5, 5), 0, 10,
					   0x41, 'a', 0 };
#define Q_PTR 1, '4', 1, '3', 1, '2', 1, '1', 7, 'i', 'n', '-', 'a', 'd', 'd', 'r', \
	      4, 'a', 'r', 'p', 'a', 0, 0, 12, 0, 1
/* Two PTR; the second one's target ends in a pointer to the first's
 * "ptr.test" (offset 55). */
static const unsigned char m_ptr[] = {
	HDR(0x85, 0x80, 1, 2), Q_PTR,
	RR(12, 60, 15), 4, 'h', 'o', 's', 't', 3, 'p', 't', 'r', 4, 't', 'e', 's', 't', 0,
	RR(12, 60, 8), 5, 'a', 'l', 'i', 'a', 's', 0xc0, 55,
};
/* One record of each kind dns_msg_records knows, and of some it does not. */
static const unsigned char m_types[] = {
	HDR(0x81, 0x80, 1, 11), Q_MX,
	RR(1, 7, 4), 192, 0, 2, 1,
	RR(28, 8, 16), 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	RR(5, 9, 6), 3, 'm', 'x', '1', 0xc0, 12,
	RR(2, 10, 17), 2, 'n', 's', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
	RR(12, 11, 2), 0xc0, 12,
	RR(15, 12, 8), 0xff, 0xff, 3, 'm', 'x', '1', 0xc0, 12,
	RR(15, 13, 3), 0, 0, 0,
	RR(16, 14, 6), 5, 'h', 'e', 'l', 'l', 'o',
	RR(65280, 15, 3), 0xab, 0xcd, 0xef,
	RR(99, 16, 0),
	RR(6, 17, 4), 0xc0, 12, 0xc0, 12,
};
/* Escapes in an owner and in a target: "a\.b.test CNAME x\032y.test." and
 * a root owner. */
static const unsigned char m_escaped[] = {
	HDR(0x81, 0x80, 0, 2),
	3, 'a', '.', 'b', 4, 't', 'e', 's', 't', 0, 0, 5, 0, 1, TTL(1), 0, 10,
	3, 'x', ' ', 'y', 4, 't', 'e', 's', 't', 0,
	0, 0, 2, 0, 1, TTL(2), 0, 5, 1, 0x5c, 1, 0xe9, 0,
};
/* An A record of 3 bytes, of 5; an AAAA of 15; a CNAME with no data. */
static const unsigned char m_a_short[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR(1, 7, 3), 1, 2, 3 };
static const unsigned char m_a_long[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR(1, 7, 5), 1, 2, 3, 4,
					  5 };
static const unsigned char m_aaaa_short[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR(28, 7, 15),
					      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const unsigned char m_cname_empty[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR(5, 7, 0) };
static const unsigned char m_ns_past[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR(2, 7, 3),
					   1, 'a', 0xc0 };
static const unsigned char m_ptr_0x80[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR(12, 7, 3),
					    0x81, 'a', 0 };

/* Keeps a canned message in a heap block of exactly its size, so that
 * valgrind sees any read past its end. */
static unsigned char *exact_copy(const unsigned char *msg, size_t len)
{
	unsigned char *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, msg, len);
	return p;
}

/* ---- the header --------------------------------------------------------- */

static const unsigned char h_all_bits[12] = { 0xff, 0xfe, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8 };
static const unsigned char h_none[12] = { 0 };
static const unsigned char h_opcode_rcode[12] = { 0, 1, 0x28, 0x05, 0, 0, 0, 0, 0, 0, 0, 0 };
static const unsigned char h_aa[12] = { 0, 0, 0x04 };
static const unsigned char h_tc[12] = { 0, 0, 0x02 };
static const unsigned char h_rd[12] = { 0, 0, 0x01 };
static const unsigned char h_qr[12] = { 0, 0, 0x80 };
static const unsigned char h_ra[12] = { 0, 0, 0, 0x80 };
static const unsigned char h_ad[12] = { 0, 0, 0, 0x20 };
static const unsigned char h_cd[12] = { 0, 0, 0, 0x10 };
static const unsigned char h_z[12] = { 0, 0, 0, 0x40 }; /* the Z bit: nothing */

static const struct header_case {
	const char *what;
	const unsigned char *msg;
	size_t len;
	int rc;
	struct dns_header want;
} header_cases[] = {
	{ "all bits", h_all_bits, 12, 0,
	  { 0xfffe, true, true, true, true, true, true, true, 15, 15, 0x102, 0x304, 0x506,
	    0x708 } },
	{ "no bits", h_none, 12, 0, { 0 } },
	{ "opcode 5 rcode 5", h_opcode_rcode, 12, 0, { .id = 1, .opcode = 5, .rcode = 5 } },
	{ "aa", h_aa, 12, 0, { .aa = true } },
	{ "tc", h_tc, 12, 0, { .tc = true } },
	{ "rd", h_rd, 12, 0, { .rd = true } },
	{ "qr", h_qr, 12, 0, { .qr = true } },
	{ "ra", h_ra, 12, 0, { .ra = true } },
	{ "ad", h_ad, 12, 0, { .ad = true } },
	{ "cd", h_cd, 12, 0, { .cd = true } },
	{ "z", h_z, 12, 0, { 0 } },
	{ "answer", m_ok, sizeof(m_ok), 0,
	  { .id = 0x1234, .qr = true, .rd = true, .ra = true, .qdcount = 1, .ancount = 2 } },
	{ "11 bytes", m_ok, 11, -1, { 0 } },
	{ "1 byte", m_ok, 1, -1, { 0 } },
	{ "empty", m_ok, 0, -1, { 0 } },
};

START_TEST(test_header_parse)
{
	const struct header_case *c = &header_cases[_i];
	const struct dns_header *w = &c->want;
	unsigned char *msg = exact_copy(c->msg, c->len);
	struct dns_header h;

	ck_assert_msg(dns_header_parse(msg, c->len, &h) == c->rc, "%s", c->what);
	free(msg);
	if (c->rc < 0)
		return;
	ck_assert_uint_eq(h.id, w->id);
	ck_assert_msg(h.qr == w->qr && h.aa == w->aa && h.tc == w->tc && h.rd == w->rd &&
			      h.ra == w->ra && h.ad == w->ad && h.cd == w->cd,
		      "%s: flags qr%d aa%d tc%d rd%d ra%d ad%d cd%d", c->what, h.qr, h.aa, h.tc,
		      h.rd, h.ra, h.ad, h.cd);
	ck_assert_uint_eq(h.opcode, w->opcode);
	ck_assert_uint_eq(h.rcode, w->rcode);
	ck_assert_uint_eq(h.qdcount, w->qdcount);
	ck_assert_uint_eq(h.ancount, w->ancount);
	ck_assert_uint_eq(h.nscount, w->nscount);
	ck_assert_uint_eq(h.arcount, w->arcount);
}
END_TEST

/* ---- names -------------------------------------------------------------- */

/* Names at offset 12 (and after). */
static const unsigned char n_plain[] = {
	HDR(0, 0, 0, 0), 4, 'm', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	4, 't', 'e', 's', 't', 0,
};
static const unsigned char n_root[] = { HDR(0, 0, 0, 0), 0 };
static const unsigned char n_bytes[] = { HDR(0, 0, 0, 0), 8, '!', '~', ' ', 0x7f, 0xff, '"', 'A', 0,
					 0 };
static const unsigned char n_dots[] = { HDR(0, 0, 0, 0), 3, 'a', '.', 'b', 2, 0x01, '\\',
					4, 't', 'e', 's', 't', 0 };
/* "mx.test" at 12, "a" + pointer at 21, a pointer to that at 25, another
 * to 25 at 27. */
static const unsigned char n_ptrs[] = { HDR(0, 0, 0, 0), 2, 'm', 'x', 4, 't', 'e', 's', 't', 0,
					1, 'a', 0xc0, 12, 0xc0, 21, 0xc0, 25 };
static const unsigned char n_forward[] = { HDR(0, 0, 0, 0), 0xc0, 14, 1, 'b', 0 };
static const unsigned char n_self[] = { HDR(0, 0, 0, 0), 0xc0, 12 };
static const unsigned char n_loop2[] = { HDR(0, 0, 0, 0), 0xc0, 14, 0xc0, 12 };
static const unsigned char n_loop_label[] = { HDR(0, 0, 0, 0), 1, 'a', 0xc0, 12 };
static const unsigned char n_ptr_past[] = { HDR(0, 0, 0, 0), 0xc0, 0xff };
static const unsigned char n_ptr_max[] = { HDR(0, 0, 0, 0), 0xff, 0xff };
static const unsigned char n_ptr_half[] = { HDR(0, 0, 0, 0), 1, 'a', 0xc0 };
static const unsigned char n_0x40[] = { HDR(0, 0, 0, 0), 0x41, 'x', 0 };
static const unsigned char n_0x80[] = { HDR(0, 0, 0, 0), 0x81, 'x', 0 };
static const unsigned char n_label_past[] = { HDR(0, 0, 0, 0), 5, 'a', 'b' };
static const unsigned char n_no_end[] = { HDR(0, 0, 0, 0), 2, 'a', 'b' };
static const unsigned char n_one_byte[] = { HDR(0, 0, 0, 0), 1, 0x01, 0 };
static const unsigned char n_a_b[] = { HDR(0, 0, 0, 0), 1, 'a', 1, 'b', 0 };

static const struct name_case {
	const char *what;
	const unsigned char *msg;
	size_t len, off, outlen; /* outlen 0: DNS_NAME_TEXT_MAX */
	int rc;
	const char *text;
	size_t next;
} name_cases[] = {
#define M(m) m, sizeof(m)
	{ "plain", M(n_plain), 12, 0, 0, "mail.example.test", 31 },
	{ "root", M(n_root), 12, 0, 0, "", 13 },
	{ "printable and not", M(n_bytes), 12, 0, 0, "!~\\032\\127\\255\"A\\000", 22 },
	{ "dot and backslash", M(n_dots), 12, 0, 0, "a\\.b.\\001\\\\.test", 25 },
	{ "label + pointer", M(n_ptrs), 21, 0, 0, "a.mx.test", 25 },
	{ "pointer to pointer", M(n_ptrs), 25, 0, 0, "a.mx.test", 27 },
	{ "three pointers", M(n_ptrs), 27, 0, 0, "a.mx.test", 29 },
	{ "forward pointer", M(n_forward), 12, 0, 0, "b", 14 },
	{ "pointer to itself", M(n_self), 12, 0, -1, NULL, 0 },
	{ "two pointers in a loop", M(n_loop2), 12, 0, -1, NULL, 0 },
	{ "loop through a label", M(n_loop_label), 12, 0, -1, NULL, 0 },
	{ "pointer past the end", M(n_ptr_past), 12, 0, -1, NULL, 0 },
	{ "pointer 0x3fff", M(n_ptr_max), 12, 0, -1, NULL, 0 },
	{ "half a pointer", M(n_ptr_half), 12, 0, -1, NULL, 0 },
	{ "label type 0x40", M(n_0x40), 12, 0, -1, NULL, 0 },
	{ "label type 0x80", M(n_0x80), 12, 0, -1, NULL, 0 },
	{ "label past the end", M(n_label_past), 12, 0, -1, NULL, 0 },
	{ "no root label", M(n_no_end), 12, 0, -1, NULL, 0 },
	{ "offset at the end", M(n_plain), sizeof(n_plain), 0, -1, NULL, 0 },
	{ "offset past the end", M(n_plain), sizeof(n_plain) + 5, 0, -1, NULL, 0 },
	{ "exact fit", M(n_plain), 12, 18, 0, "mail.example.test", 31 },
	{ "one byte short", M(n_plain), 12, 17, -1, NULL, 0 },
	{ "no room at all", M(n_plain), 12, 1, -1, NULL, 0 },
	{ "outlen 0", M(n_root), 12, (size_t)-1, -1, NULL, 0 },
	{ "root in 1 byte", M(n_root), 12, 1, 0, "", 13 },
	{ "escape fits", M(n_one_byte), 12, 5, 0, "\\001", 15 },
	{ "escape does not fit", M(n_one_byte), 12, 4, -1, NULL, 0 },
	{ "dot fits", M(n_a_b), 12, 4, 0, "a.b", 17 },
	{ "dot does not fit", M(n_a_b), 12, 3, -1, NULL, 0 },
#undef M
};

START_TEST(test_name_text)
{
	const struct name_case *c = &name_cases[_i];
	unsigned char *msg = exact_copy(c->msg, c->len);
	size_t outlen = c->outlen == 0 ? DNS_NAME_TEXT_MAX : c->outlen == (size_t)-1 ? 0 : c->outlen;
	char *out = malloc(outlen ? outlen : 1);
	size_t next = 9999;
	int rc;

	ck_assert_ptr_nonnull(out);
	rc = dns_name_text(msg, c->len, c->off, out, outlen, &next);
	ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->what, rc, c->rc);
	if (rc == 0) {
		ck_assert_str_eq(out, c->text);
		ck_assert_msg(next == c->next, "%s: next %zu, want %zu", c->what, next, c->next);
	}
	free(out);
	free(msg);
}
END_TEST

/* Names built of labels of given lengths: one at offset 12, and maybe a
 * second that ends in a pointer to the first.  255 bytes on the wire is
 * the most a name may have, counted across pointers. */
static const struct long_case {
	const char *what;
	unsigned first[6];  /* label lengths of the name at 12, 0-terminated */
	size_t ones;        /* ... or this many labels of one byte */
	unsigned second[6]; /* labels of a name + pointer to 12; none: {0} */
	unsigned char fill; /* the label bytes */
	size_t outlen;      /* 0: DNS_NAME_TEXT_MAX */
	int rc;
	size_t text_len;
} long_cases[] = {
	{ "255 bytes", { 63, 63, 63, 61 }, 0, { 0 }, 'a', 0, 0, 253 },
	{ "256 bytes", { 63, 63, 63, 62 }, 0, { 0 }, 'a', 0, -1, 0 },
	{ "321 bytes", { 63, 63, 63, 63, 63 }, 0, { 0 }, 'a', 0, -1, 0 },
	{ "255 bytes, all escaped", { 63, 63, 63, 61 }, 0, { 0 }, 0x01, 0, 0, 1003 },
	{ "all escaped, exact fit", { 63, 63, 63, 61 }, 0, { 0 }, 0x01, 1004, 0, 1003 },
	{ "all escaped, one short", { 63, 63, 63, 61 }, 0, { 0 }, 0x01, 1003, -1, 0 },
	{ "255 bytes across a pointer", { 63, 63 }, 0, { 63, 61 }, 'a', 0, 0, 253 },
	{ "256 bytes across a pointer", { 63, 63 }, 0, { 63, 62 }, 'a', 0, -1, 0 },
	{ "127 labels: 255 bytes", { 0 }, 127, { 0 }, 'a', 0, 0, 127 + 126 },
	{ "128 labels: 257 bytes", { 0 }, 128, { 0 }, 'a', 0, -1, 0 },
};

static size_t put_labels(unsigned char *m, size_t at, const unsigned *labels, size_t nlabels,
			 unsigned char fill)
{
	for (size_t k = 0; k < nlabels; k++) {
		m[at++] = (unsigned char)labels[k];
		memset(m + at, fill, labels[k]);
		at += labels[k];
	}
	return at;
}

START_TEST(test_name_long)
{
	const struct long_case *c = &long_cases[_i];
	unsigned char m[1024] = { HDR(0, 0, 0, 0) };
	unsigned ones[128];
	size_t nfirst = 0, nsecond = 0, len, at, next;
	size_t outlen = c->outlen ? c->outlen : DNS_NAME_TEXT_MAX;
	char *out = malloc(outlen);
	unsigned char *msg;

	ck_assert_ptr_nonnull(out);
	while (nfirst < N(c->first) && c->first[nfirst] != 0)
		nfirst++;
	while (nsecond < N(c->second) && c->second[nsecond] != 0)
		nsecond++;
	for (size_t k = 0; k < N(ones); k++)
		ones[k] = 1;
	ck_assert_uint_le(c->ones, N(ones));
	len = c->ones ? put_labels(m, 12, ones, c->ones, c->fill)
		      : put_labels(m, 12, c->first, nfirst, c->fill);
	m[len++] = 0;
	at = 12;
	if (nsecond > 0) {
		at = len;
		len = put_labels(m, len, c->second, nsecond, c->fill);
		m[len++] = 0xc0;
		m[len++] = 12;
	}
	msg = exact_copy(m, len);
	ck_assert_msg(dns_name_text(msg, len, at, out, outlen, &next) == c->rc, "%s", c->what);
	if (c->rc == 0) {
		ck_assert_msg(strlen(out) == c->text_len, "%s: %zu characters, want %zu", c->what,
			      strlen(out), c->text_len);
		ck_assert_uint_eq(next, len);
	}
	free(msg);
	free(out);
}
END_TEST

/* Kept from before the split: dots and backslashes inside a label. */
START_TEST(test_name_escapes)
{
	static const unsigned char msg[] = {
		0x12, 0x34, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0,
		3, 'a', '.', 'b', 2, 0x01, '\\', 4, 't', 'e', 's', 't', 0,
	};
	char out[DNS_NAME_TEXT_MAX];
	size_t next;

	ck_assert_int_eq(dns_name_text(msg, sizeof(msg), 12, out, sizeof(out), &next), 0);
	ck_assert_str_eq(out, "a\\.b.\\001\\\\.test");
	ck_assert_uint_eq(next, sizeof(msg));
	/* too small a buffer is refused, not cut */
	ck_assert_int_eq(dns_name_text(msg, sizeof(msg), 12, out, 5, &next), -1);
}
END_TEST

/* ---- the lowest TTL ----------------------------------------------------- */

static const struct ttl_case {
	const char *what;
	const unsigned char *msg;
	size_t len;
	int rc;
	bool has_ttl;
	uint32_t ttl;
} ttl_cases[] = {
#define C(m, rc, has, ttl) { #m, m, sizeof(m), rc, has, ttl }
	C(m_ok, 0, true, 300),
	C(m_ok_rev, 0, true, 7),
	C(m_empty, 0, false, 0),
	C(m_nx, 0, false, 0),
	C(m_zero_ttl, 0, true, 0),
	C(m_plain_owner, 0, true, 42),
	C(m_label_then_ptr, 0, true, 9),
	C(m_no_question, 0, true, 77),
	C(m_ptr_forward, 0, false, 0),
	C(m_types, 0, true, 7),
	C(m_mx_overrun, 0, true, 5), /* the TTL does not need the data */
	C(m_an_missing, -1, false, 0),
	C(m_rdata_past, -1, false, 0),
	C(m_rr_hdr_short, -1, false, 0),
	C(m_q_short, -1, false, 0),
	C(m_q_label_past, -1, false, 0),
	C(m_q_no_end, -1, false, 0),
	C(m_label_40, -1, false, 0),
	C(m_label_80, -1, false, 0),
	C(m_ptr_self, -1, false, 0),
	C(m_ptr_loop2, -1, false, 0),
	C(m_ptr_past, -1, false, 0),
	C(m_ptr_half, -1, false, 0),
	C(m_ptr_0x40, -1, false, 0),
#undef C
	{ "short header", m_ok, 11, -1, false, 0 },
	{ "empty", m_ok, 0, -1, false, 0 },
	{ "header only", m_ok, 12, -1, false, 0 },
};

START_TEST(test_min_ttl)
{
	const struct ttl_case *c = &ttl_cases[_i];
	unsigned char *msg = exact_copy(c->msg, c->len);
	bool has = !c->has_ttl;
	uint32_t ttl = 12345;
	int rc = dns_answer_min_ttl(msg, c->len, &has, &ttl);

	free(msg);
	ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->what, rc, c->rc);
	if (rc == 0) {
		ck_assert_msg(has == c->has_ttl, "%s: has_ttl", c->what);
		if (has)
			ck_assert_msg(ttl == c->ttl, "%s: ttl %u, want %u", c->what, ttl, c->ttl);
	}
}
END_TEST

/* An owner that is a pointer to a pointer to the question. */
START_TEST(test_min_ttl_pointer_chain)
{
	static const unsigned char m[] = {
		HDR(0x81, 0x80, 1, 2), 1, 'a', 0, 0, 1, 0, 1,
		/* owner 19: "x" + pointer to the question */
		1, 'x', 0xc0, 12, 0, 1, 0, 1, TTL(20), 0, 4, 127, 0, 0, 1,
		/* owner: a pointer to 19 */
		0xc0, 19, 0, 1, 0, 1, TTL(10), 0, 4, 127, 0, 0, 2,
	};
	bool has;
	uint32_t ttl;
	struct dns_record *rr;
	size_t n;

	ck_assert_int_eq(dns_answer_min_ttl(m, sizeof(m), &has, &ttl), 0);
	ck_assert(has);
	ck_assert_uint_eq(ttl, 10);
	ck_assert_int_eq(dns_msg_records(m, sizeof(m), &rr, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(rr[1].name, "x.a");
	ck_assert_str_eq(rr[1].data, "127.0.0.2");
	dns_records_free(rr, n);
}
END_TEST

/* ---- records in presentation form --------------------------------------- */

struct want_rr {
	const char *name;
	unsigned type;
	uint32_t ttl;
	const char *data;
};

static const struct records_case {
	const char *what;
	const unsigned char *msg;
	size_t len;
	size_t n;
	struct want_rr rr[11];
} records_cases[] = {
	{ "MX, CNAME, null MX", m_mx3, sizeof(m_mx3), 4,
	  { { "mx.test", DNS_TYPE_MX, 3600, "10 mx1.mx.test." },
	    { "mx.test", DNS_TYPE_MX, 300, "20 mx.test." },
	    { "mx.test", DNS_TYPE_CNAME, 5, "mx.test." },
	    { "mx.test", DNS_TYPE_MX, 5, "0 ." } } },
	{ "PTR", m_ptr, sizeof(m_ptr), 2,
	  { { "4.3.2.1.in-addr.arpa", DNS_TYPE_PTR, 60, "host.ptr.test." },
	    { "4.3.2.1.in-addr.arpa", DNS_TYPE_PTR, 60, "alias.ptr.test." } } },
	{ "no answer", m_empty, sizeof(m_empty), 0, { { NULL, 0, 0, NULL } } },
	{ "NXDOMAIN", m_nx, sizeof(m_nx), 0, { { NULL, 0, 0, NULL } } },
	{ "every kind", m_types, sizeof(m_types), 11,
	  { { "mx.test", DNS_TYPE_A, 7, "192.0.2.1" },
	    { "mx.test", DNS_TYPE_AAAA, 8, "2001:db8::1" },
	    { "mx.test", DNS_TYPE_CNAME, 9, "mx1.mx.test." },
	    { "mx.test", DNS_TYPE_NS, 10, "ns.example.test." },
	    { "mx.test", DNS_TYPE_PTR, 11, "mx.test." },
	    { "mx.test", DNS_TYPE_MX, 12, "65535 mx1.mx.test." },
	    { "mx.test", DNS_TYPE_MX, 13, "0 ." },
	    { "mx.test", DNS_TYPE_TXT, 14, "\\# 6 0568656c6c6f" },
	    { "mx.test", 65280, 15, "\\# 3 abcdef" },
	    { "mx.test", 99, 16, "\\# 0" },
	    { "mx.test", DNS_TYPE_SOA, 17, "\\# 4 c00cc00c" } } },
	{ "escaped names, root owner", m_escaped, sizeof(m_escaped), 2,
	  { { "a\\.b.test", DNS_TYPE_CNAME, 1, "x\\032y.test." },
	    { "", DNS_TYPE_NS, 2, "\\\\.\\233." } } },
	{ "plain owner", m_plain_owner, sizeof(m_plain_owner), 1,
	  { { "mx.test", DNS_TYPE_MX, 42, "1 mx.test." } } },
	{ "owner label + pointer", m_label_then_ptr, sizeof(m_label_then_ptr), 1,
	  { { "a.test", DNS_TYPE_MX, 9, "1 mx.test." } } },
	{ "no question", m_no_question, sizeof(m_no_question), 1,
	  { { "", DNS_TYPE_A, 77, "127.0.0.1" } } },
};

START_TEST(test_records)
{
	const struct records_case *c = &records_cases[_i];
	unsigned char *msg = exact_copy(c->msg, c->len);
	struct dns_record *rr = NULL;
	size_t n = 99;

	ck_assert_msg(dns_msg_records(msg, c->len, &rr, &n) == 0, "%s", c->what);
	free(msg);
	ck_assert_msg(n == c->n, "%s: %zu records, want %zu", c->what, n, c->n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(rr[i].name, c->rr[i].name);
		ck_assert_msg(rr[i].type == c->rr[i].type, "%s %zu: type %u", c->what, i, rr[i].type);
		ck_assert_msg(rr[i].ttl == c->rr[i].ttl, "%s %zu: ttl %u", c->what, i, rr[i].ttl);
		ck_assert_str_eq(rr[i].data, c->rr[i].data);
	}
	dns_records_free(rr, n);
}
END_TEST

/* ---- MX and name lists -------------------------------------------------- */

static const struct mx_case {
	const char *what;
	const unsigned char *msg;
	size_t len;
	size_t n;
	struct {
		unsigned pref;
		const char *host;
	} mx[4];
} mx_cases[] = {
	{ "two, a CNAME, the null MX", m_mx3, sizeof(m_mx3), 3,
	  { { 10, "mx1.mx.test" }, { 20, "mx.test" }, { 0, "" } } },
	{ "every kind", m_types, sizeof(m_types), 2, { { 65535, "mx1.mx.test" }, { 0, "" } } },
	{ "none", m_empty, sizeof(m_empty), 0, { { 0, NULL } } },
	{ "no MX among PTR", m_ptr, sizeof(m_ptr), 0, { { 0, NULL } } },
};

START_TEST(test_mx)
{
	const struct mx_case *c = &mx_cases[_i];
	unsigned char *msg = exact_copy(c->msg, c->len);
	struct dns_mx *mx = NULL;
	size_t n = 99;

	ck_assert_msg(dns_msg_mx(msg, c->len, &mx, &n) == 0, "%s", c->what);
	free(msg);
	ck_assert_msg(n == c->n, "%s: %zu MX, want %zu", c->what, n, c->n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(mx[i].preference, c->mx[i].pref);
		ck_assert_str_eq(mx[i].host, c->mx[i].host);
	}
	dns_mx_free(mx, n);
}
END_TEST

static const struct names_case {
	const char *what;
	const unsigned char *msg;
	size_t len;
	unsigned type;
	size_t n;
	const char *names[4];
} names_cases[] = {
	{ "CNAME among MX", m_mx3, sizeof(m_mx3), DNS_TYPE_CNAME, 1, { "mx.test" } },
	{ "no NS among MX", m_mx3, sizeof(m_mx3), DNS_TYPE_NS, 0, { NULL } },
	{ "MX exchanges", m_mx3, sizeof(m_mx3), DNS_TYPE_MX, 3, { "mx1.mx.test", "mx.test", "" } },
	{ "PTR", m_ptr, sizeof(m_ptr), DNS_TYPE_PTR, 2, { "host.ptr.test", "alias.ptr.test" } },
	{ "NS", m_types, sizeof(m_types), DNS_TYPE_NS, 1, { "ns.example.test" } },
	{ "PTR of every kind", m_types, sizeof(m_types), DNS_TYPE_PTR, 1, { "mx.test" } },
	{ "escaped", m_escaped, sizeof(m_escaped), DNS_TYPE_CNAME, 1, { "x\\032y.test" } },
	{ "none at all", m_empty, sizeof(m_empty), DNS_TYPE_PTR, 0, { NULL } },
};

START_TEST(test_names)
{
	const struct names_case *c = &names_cases[_i];
	unsigned char *msg = exact_copy(c->msg, c->len);
	char **names = NULL;
	size_t n = 99;

	ck_assert_msg(dns_msg_names(msg, c->len, c->type, &names, &n) == 0, "%s", c->what);
	free(msg);
	ck_assert_msg(n == c->n, "%s: %zu names, want %zu", c->what, n, c->n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(names[i], c->names[i]);
	dns_names_free(names, n);
}
END_TEST

/* ---- malformed messages ------------------------------------------------- */

/* A name followed by bytes its record does not account for. */
static const unsigned char m_cname_trailing[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR(5, 7, 6),
						  0xc0, 12, 0xde, 0xad, 0xbe, 0xef };
static const unsigned char m_mx_trailing[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR(15, 7, 5),
					       0, 10, 0xc0, 12, 0 };

/* What each function returns for a message: -1 for everything broken in
 * the sections, -1 only for the parsers of the data when just a record's
 * data is broken (the lowest TTL does not read the data; dns_msg_mx and
 * dns_msg_names skip records of other types). */
static const struct bad_case {
	const char *what;
	const unsigned char *msg;
	size_t len;
	int ttl_rc, records_rc, mx_rc, mx_names_rc, ptr_names_rc;
} bad_cases[] = {
#define ALL(m) { #m, m, sizeof(m), -1, -1, -1, -1, -1 }
	ALL(m_an_missing),
	ALL(m_rdata_past),
	ALL(m_rr_hdr_short),
	ALL(m_q_short),
	ALL(m_q_label_past),
	ALL(m_q_no_end),
	ALL(m_label_40),
	ALL(m_label_80),
	ALL(m_ptr_self),
	ALL(m_ptr_loop2),
	ALL(m_ptr_past),
	ALL(m_ptr_half),
	ALL(m_ptr_0x40),
#undef ALL
	{ "short header", m_ok, 11, -1, -1, -1, -1, -1 },
	{ "no bytes", m_ok, 0, -1, -1, -1, -1, -1 },
	{ "header only", m_ok, 12, -1, -1, -1, -1, -1 },
	/* Only the data is wrong: */
	{ "MX target loops", m_mx_loop, sizeof(m_mx_loop), 0, -1, -1, -1, 0 },
	{ "MX data too short", m_mx_short, sizeof(m_mx_short), 0, -1, -1, -1, 0 },
	{ "MX target past rdlen", m_mx_overrun, sizeof(m_mx_overrun), 0, -1, -1, -1, 0 },
	{ "MX target label 0x40", m_mx_0x40, sizeof(m_mx_0x40), 0, -1, -1, -1, 0 },
	{ "A of 3 bytes", m_a_short, sizeof(m_a_short), 0, -1, 0, 0, 0 },
	{ "A of 5 bytes", m_a_long, sizeof(m_a_long), 0, -1, 0, 0, 0 },
	{ "AAAA of 15 bytes", m_aaaa_short, sizeof(m_aaaa_short), 0, -1, 0, 0, 0 },
	{ "CNAME without data", m_cname_empty, sizeof(m_cname_empty), 0, -1, 0, 0, 0 },
	{ "NS target past rdlen", m_ns_past, sizeof(m_ns_past), 0, -1, 0, 0, 0 },
	{ "PTR target label 0x80", m_ptr_0x80, sizeof(m_ptr_0x80), 0, -1, 0, 0, -1 },
	{ "CNAME target and more bytes", m_cname_trailing, sizeof(m_cname_trailing), 0, -1, 0, 0, 0 },
	{ "MX target and more bytes", m_mx_trailing, sizeof(m_mx_trailing), 0, -1, -1, -1, 0 },
};

START_TEST(test_malformed)
{
	const struct bad_case *c = &bad_cases[_i];
	unsigned char *msg = exact_copy(c->msg, c->len);
	struct dns_record *rr = NULL;
	struct dns_mx *mx = NULL;
	char **names = NULL;
	size_t n = 0;
	bool has;
	uint32_t ttl;
	int rc;

	ck_assert_msg(dns_answer_min_ttl(msg, c->len, &has, &ttl) == c->ttl_rc, "%s: min ttl",
		      c->what);
	rc = dns_msg_records(msg, c->len, &rr, &n);
	ck_assert_msg(rc == c->records_rc, "%s: records", c->what);
	if (rc == 0)
		dns_records_free(rr, n);
	rc = dns_msg_mx(msg, c->len, &mx, &n);
	ck_assert_msg(rc == c->mx_rc, "%s: mx", c->what);
	if (rc == 0)
		dns_mx_free(mx, n);
	rc = dns_msg_names(msg, c->len, DNS_TYPE_MX, &names, &n);
	ck_assert_msg(rc == c->mx_names_rc, "%s: names MX", c->what);
	if (rc == 0)
		dns_names_free(names, n);
	rc = dns_msg_names(msg, c->len, DNS_TYPE_PTR, &names, &n);
	ck_assert_msg(rc == c->ptr_names_rc, "%s: names PTR", c->what);
	if (rc == 0)
		dns_names_free(names, n);
	free(msg);
}
END_TEST

/* Every function on a message that stops early: the header alone parses,
 * everything else is malformed. */
static const struct prefix_case {
	const unsigned char *msg;
	size_t len;
} prefix_cases[] = {
	{ m_ok, sizeof(m_ok) }, { m_mx3, sizeof(m_mx3) }, { m_ptr, sizeof(m_ptr) },
	{ m_types, sizeof(m_types) }, { m_escaped, sizeof(m_escaped) },
};

START_TEST(test_prefixes)
{
	const struct prefix_case *c = &prefix_cases[_i];

	for (size_t len = 0; len < c->len; len++) {
		unsigned char *msg = exact_copy(c->msg, len);
		struct dns_header h;
		struct dns_record *rr;
		struct dns_mx *mx;
		char **names;
		size_t n;
		bool has;
		uint32_t ttl;

		ck_assert_int_eq(dns_header_parse(msg, len, &h), len < 12 ? -1 : 0);
		ck_assert_msg(dns_answer_min_ttl(msg, len, &has, &ttl) == -1, "prefix %zu", len);
		ck_assert_msg(dns_msg_records(msg, len, &rr, &n) == -1, "prefix %zu", len);
		ck_assert_msg(dns_msg_mx(msg, len, &mx, &n) == -1, "prefix %zu", len);
		ck_assert_msg(dns_msg_names(msg, len, DNS_TYPE_PTR, &names, &n) == -1, "prefix %zu",
			      len);
		free(msg);
	}
}
END_TEST

/* Random changes to good messages (a fixed seed, so a failure repeats):
 * whatever comes back, nothing reads outside the message (valgrind sees
 * every heap block at its exact size) and what parses is consistent.
 * Fewer under valgrind, where each takes fifty times as long. */
#define MUTATIONS (unit_slow() ? 1000 : 4000)

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

START_TEST(test_mutations)
{
	uint32_t rnd = 0x9e3779b9u;
	size_t parsed = 0, rounds = (size_t)MUTATIONS;

	for (size_t i = 0; i < rounds; i++) {
		const struct prefix_case *seed = &prefix_cases[i % N(prefix_cases)];
		size_t len = seed->len - xorshift(&rnd) % 4;
		unsigned char *msg = exact_copy(seed->msg, seed->len);
		struct dns_header h;
		struct dns_record *rr;
		struct dns_mx *mx;
		char **names;
		size_t n;
		bool has;
		uint32_t ttl;
		char text[DNS_NAME_TEXT_MAX];
		size_t next;

		for (uint32_t k = 1 + xorshift(&rnd) % 3; k > 0; k--) {
			size_t at = DNS_HEADER_LEN + xorshift(&rnd) % (seed->len - DNS_HEADER_LEN);
			uint32_t how = xorshift(&rnd);

			/* a random byte, a pointer, a label type, a length */
			msg[at] = (unsigned char)(how % 4 == 0 ? 0xc0 | (how >> 8 & 0x3f)
						  : how % 4 == 1 ? (how >> 8) & 0xff
						  : how % 4 == 2 ? 0x40 | (how >> 8 & 0x3f)
								 : (how >> 8) % 70);
		}
		/* A shorter message in a block of exactly its size. */
		{
			unsigned char *cut = exact_copy(msg, len);

			free(msg);
			msg = cut;
		}
		ck_assert_int_eq(dns_header_parse(msg, len, &h), 0);
		for (size_t off = DNS_HEADER_LEN; off < len + 2; off += 7)
			if (dns_name_text(msg, len, off, text, sizeof(text), &next) == 0)
				ck_assert(next <= len && strlen(text) < sizeof(text));
		if (dns_answer_min_ttl(msg, len, &has, &ttl) == 0)
			parsed++;
		if (dns_msg_records(msg, len, &rr, &n) == 0) {
			ck_assert_uint_le(n, h.ancount);
			for (size_t k = 0; k < n; k++)
				ck_assert(rr[k].name != NULL && rr[k].data != NULL);
			dns_records_free(rr, n);
		}
		if (dns_msg_mx(msg, len, &mx, &n) == 0) {
			ck_assert_uint_le(n, h.ancount);
			dns_mx_free(mx, n);
		}
		if (dns_msg_names(msg, len, DNS_TYPE_PTR, &names, &n) == 0) {
			ck_assert_uint_le(n, h.ancount);
			dns_names_free(names, n);
		}
		free(msg);
	}
	/* Not everything was refused: the changes left some messages good. */
	ck_assert_uint_gt(parsed, 0);
	ck_assert_uint_lt(parsed, rounds);
}
END_TEST

/* ---- rcodes and types --------------------------------------------------- */

static const struct rcode_case {
	unsigned rcode;
	size_t buflen;
	const char *want;
	bool static_text; /* a name of its own, not written into buf */
} rcode_cases[] = {
	{ 0, 16, "NOERROR", true }, { 1, 16, "FORMERR", true }, { 2, 16, "SERVFAIL", true },
	{ 3, 16, "NXDOMAIN", true }, { 4, 16, "NOTIMP", true }, { 5, 16, "REFUSED", true },
	{ 6, 16, "RCODE6", false }, { 15, 16, "RCODE15", false }, { 23, 16, "RCODE23", false },
	{ 4095, 16, "RCODE4095", false }, { 99, 5, "RCOD", false }, { 3, 1, "NXDOMAIN", true },
};

START_TEST(test_rcode_name)
{
	const struct rcode_case *c = &rcode_cases[_i];
	char buf[16];
	const char *got;

	memset(buf, 'x', sizeof(buf));
	got = dns_rcode_name(c->rcode, buf, c->buflen);
	ck_assert_str_eq(got, c->want);
	ck_assert(c->static_text ? got != buf : got == buf);
	if (c->static_text)
		ck_assert_int_eq(buf[0], 'x');
}
END_TEST

static const struct type_case {
	unsigned type;
	size_t buflen;
	const char *want;
} type_cases[] = {
	{ DNS_TYPE_A, 16, "A" }, { DNS_TYPE_NS, 16, "NS" }, { DNS_TYPE_CNAME, 16, "CNAME" },
	{ DNS_TYPE_SOA, 16, "SOA" }, { DNS_TYPE_PTR, 16, "PTR" }, { DNS_TYPE_MX, 16, "MX" },
	{ DNS_TYPE_TXT, 16, "TXT" }, { DNS_TYPE_AAAA, 16, "AAAA" }, { 33, 16, "SRV" },
	{ 41, 16, "OPT" }, { 43, 16, "DS" }, { 46, 16, "RRSIG" }, { 47, 16, "NSEC" },
	{ 48, 16, "DNSKEY" }, { 50, 16, "NSEC3" }, { 0, 16, "TYPE0" }, { 65, 16, "TYPE65" },
	{ 255, 16, "TYPE255" }, { 65535, 16, "TYPE65535" }, { DNS_TYPE_AAAA, 3, "AA" },
	{ 65535, 5, "TYPE" },
};

START_TEST(test_type_format)
{
	const struct type_case *c = &type_cases[_i];
	char buf[16];

	memset(buf, 'x', sizeof(buf));
	dns_type_format(c->type, buf, c->buflen);
	ck_assert_str_eq(buf, c->want);
}
END_TEST

Suite *dnsmsg_suite(void)
{
	Suite *s = suite_create("dnsmsg");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_header_parse, 0, N(header_cases));
	tcase_add_loop_test(tc, test_name_text, 0, N(name_cases));
	tcase_add_loop_test(tc, test_name_long, 0, N(long_cases));
	tcase_add_test(tc, test_name_escapes);
	tcase_add_loop_test(tc, test_min_ttl, 0, N(ttl_cases));
	tcase_add_test(tc, test_min_ttl_pointer_chain);
	tcase_add_loop_test(tc, test_records, 0, N(records_cases));
	tcase_add_loop_test(tc, test_mx, 0, N(mx_cases));
	tcase_add_loop_test(tc, test_names, 0, N(names_cases));
	tcase_add_loop_test(tc, test_malformed, 0, N(bad_cases));
	tcase_add_loop_test(tc, test_prefixes, 0, N(prefix_cases));
	tcase_add_test(tc, test_mutations);
	tcase_add_loop_test(tc, test_rcode_name, 0, N(rcode_cases));
	tcase_add_loop_test(tc, test_type_format, 0, N(type_cases));
	suite_add_tcase(s, tc);
	return s;
}
