/* probe: the scheduler, driven through its callbacks.  The send callback
 * records (time, target, probe, index) and, as planned per probe index,
 * writes records into a socketpair that the scheduler watches; the
 * readable callback reads them and calls probe_answer / probe_error /
 * probe_start / probe_skip, as a plugin does with the replies on its
 * socket.  No network.
 *
 * Time (suites.h): intervals, gaps, spacings and waits are a few tens of ms and only
 * bounded from below (what the scheduler promises); a wait that an answer
 * must beat is UNIT_DEADLINE_MS, far above any scheduling delay; deadlines
 * that are not what a test is about are UNIT_BUDGET_MS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"
#include "suites.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MS NS_PER_MS
#define MAXI 128    /* probe indices a plan covers */
#define MAXREC 1024 /* sends and answers a test records */
#define LONG_WAIT ((int64_t)UNIT_DEADLINE_MS * MS) /* a wait that answers beat */

/* What the readable callback does with a record. */
enum op { OP_END, OP_ANSWER, OP_ERROR, OP_START, OP_SKIP, OP_CANCEL, OP_WAIT };

/* The receive time an answer is given. */
enum stamp {
	ST_NOW,         /* mono_now_ns() when it is read */
	ST_ZERO,        /* 0: no kernel stamp */
	ST_SENT_PLUS,   /* the probe's sent_ns + plus_ns */
	ST_BEFORE_SENT, /* 1 us before it was sent: cannot be right */
	ST_PAST_WAIT,   /* sent_ns + wait + 1 ms: cannot be right either */
};

struct op_spec {
	uint8_t op;     /* enum op */
	uint32_t arg;   /* probe index, or target */
	uint8_t stamp;  /* enum stamp */
	int64_t plus_ns;
};

/* What happens when probe `index` is sent (a zeroed row: it goes out and
 * is answered at once). */
struct plan {
	int again;              /* PROBE_AGAIN this many times first */
	bool error;             /* then PROBE_ERROR */
	bool silent;            /* no answer */
	struct op_spec ops[8];  /* written instead of the answer when given */
};

struct send_rec {
	int64_t at;  /* mono time in the callback */
	size_t t;
	unsigned k;
	uint32_t index;
	enum probe_send res;
};

struct ans_rec {
	uint8_t op;
	uint32_t index;
	int rc;
	int64_t rx;             /* stamp given */
	int64_t before, after;  /* mono time around the call */
};

struct tctx {
	struct deadline d;
	struct probe_params pp;
	struct probe_run *r;
	int sv[2];            /* [0] watched, [1] written by cb_send */
	const struct plan *plan;
	int again_done[MAXI];
	struct send_rec sends[MAXREC];
	size_t nsends;
	struct ans_rec answers[MAXREC];
	size_t nanswers;
	size_t readable_calls;
	int other_fd;         /* readable called for an fd not watched */
	int64_t run_start, run_end;
	bool run_rc;
	size_t done_t[MAXI];  /* targets done, in order, and when */
	int64_t done_at[MAXI];
	size_t ndone;
	bool window;          /* done(t) starts target t + 1 */
	int64_t waits[MAXI];  /* wait_of: per probe (0: wait_ns) */
	int64_t wait_all;     /* OP_WAIT: every probe waits this (0: waits[]) */
};

/* The record on the socketpair. */
struct wire {
	uint32_t op, arg, stamp, pad;
	int64_t plus_ns;
};

static const struct plan no_plan;

static void put_wire(struct tctx *c, const struct op_spec *o)
{
	struct wire w = { o->op, o->arg, o->stamp, 0, o->plus_ns };

	ck_assert_int_eq(write(c->sv[1], &w, sizeof(w)), (ssize_t)sizeof(w));
}

static enum probe_send cb_send(void *ctx, size_t t, unsigned k, uint32_t index)
{
	struct tctx *c = ctx;
	const struct plan *p = c->plan && index < MAXI ? &c->plan[index] : &no_plan;
	struct send_rec *rec;

	ck_assert_uint_lt(c->nsends, MAXREC);
	rec = &c->sends[c->nsends++];
	*rec = (struct send_rec){ mono_now_ns(), t, k, index, PROBE_SENT };
	if (index < MAXI && c->again_done[index] < p->again) {
		c->again_done[index]++;
		return rec->res = PROBE_AGAIN;
	}
	if (p->error)
		return rec->res = PROBE_ERROR;
	if (p->ops[0].op != OP_END) {
		for (int i = 0; i < N(p->ops) && p->ops[i].op != OP_END; i++)
			put_wire(c, &p->ops[i]);
	} else if (!p->silent) {
		put_wire(c, &(struct op_spec){ OP_ANSWER, index, ST_NOW, 0 });
	}
	return PROBE_SENT;
}

static int64_t stamp_of(struct tctx *c, const struct wire *w)
{
	const struct probe_slot *s = probe_slot_at(c->r, w->arg);
	int64_t sent = s ? s->sent_ns : 0;

	switch (w->stamp) {
	case ST_ZERO: return 0;
	case ST_SENT_PLUS: return sent + w->plus_ns;
	case ST_BEFORE_SENT: return sent - 1000;
	case ST_PAST_WAIT: return sent + c->pp.wait_ns + MS;
	default: return mono_now_ns();
	}
}

static void cb_readable(void *ctx, int fd, short revents)
{
	struct tctx *c = ctx;
	struct wire w;
	ssize_t n;

	(void)revents;
	c->readable_calls++;
	if (fd != c->sv[0]) {
		c->other_fd++;
		return;
	}
	while ((n = read(fd, &w, sizeof(w))) == (ssize_t)sizeof(w)) {
		struct ans_rec *a;

		if (w.op == OP_START) {
			probe_start(c->r, w.arg);
			continue;
		}
		if (w.op == OP_SKIP) {
			probe_skip(c->r, w.arg);
			continue;
		}
		if (w.op == OP_CANCEL) {
			probe_cancel(c->r, w.arg);
			continue;
		}
		if (w.op == OP_WAIT) {
			c->wait_all = (int64_t)w.arg * MS;
			continue;
		}
		ck_assert_uint_lt(c->nanswers, MAXREC);
		a = &c->answers[c->nanswers++];
		a->op = (uint8_t)w.op;
		a->index = w.arg;
		a->rx = stamp_of(c, &w);
		a->before = mono_now_ns();
		a->rc = w.op == OP_ANSWER ? probe_answer(c->r, w.arg, a->rx) : probe_error(c->r, w.arg);
		a->after = mono_now_ns();
	}
	ck_assert_msg(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "read %zd: a record cut",
		      n);
}

static void cb_done(void *ctx, size_t t)
{
	struct tctx *c = ctx;

	ck_assert_uint_lt(c->ndone, MAXI);
	c->done_at[c->ndone] = mono_now_ns();
	c->done_t[c->ndone++] = t;
	if (c->window)
		probe_start(c->r, t + 1);
}

static int64_t cb_wait_of(void *ctx, uint32_t index)
{
	struct tctx *c = ctx;

	if (c->wait_all)
		return c->wait_all;
	return index < MAXI && c->waits[index] ? c->waits[index] : c->pp.wait_ns;
}

/* A run of ntargets x count with these times; the deadline is budget_ms
 * away.  Nothing started yet. */
static struct tctx *setup_spaced(size_t ntargets, unsigned count, int64_t interval_ns,
				 int64_t gap_ns, int64_t spacing_ns, int64_t wait_ns, int64_t budget_ms,
				 const struct plan *plan)
{
	struct tctx *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, c->sv),
			 0);
	deadline_start(&c->d, budget_ms);
	c->pp = (struct probe_params){
		.deadline = &c->d, .ntargets = ntargets, .count = count,
		.interval_ns = interval_ns, .gap_ns = gap_ns, .spacing_ns = spacing_ns,
		.wait_ns = wait_ns,
		.resolver = NULL, .ctx = c, .send = cb_send, .readable = cb_readable,
		.done = cb_done,
	};
	c->plan = plan;
	c->r = probe_new(&c->pp);
	ck_assert_ptr_nonnull(c->r);
	ck_assert_int_eq(probe_watch(c->r, c->sv[0]), 0);
	return c;
}

static struct tctx *setup(size_t ntargets, unsigned count, int64_t interval_ns, int64_t gap_ns,
			  int64_t wait_ns, int64_t budget_ms, const struct plan *plan)
{
	return setup_spaced(ntargets, count, interval_ns, gap_ns, 0, wait_ns, budget_ms, plan);
}

static void start_all(struct tctx *c)
{
	for (size_t t = 0; t < c->pp.ntargets; t++)
		probe_start(c->r, t);
}

/* Starts target t with a due time after every earlier one's (the clock
 * moves on before the next start). */
static void start_distinct(struct tctx *c, size_t t)
{
	int64_t now;

	probe_start(c->r, t);
	now = mono_now_ns();
	while (mono_now_ns() == now)
		;
}

/* What every run must hold: indices are t * count + k, each target's
 * probes go out in order, each once, and the slot's send time is the
 * one the callback saw (taken just before it). */
static void check_sends(const struct tctx *c)
{
	unsigned next[64] = { 0 };

	ck_assert_int_eq(c->other_fd, 0);
	for (size_t i = 0; i < c->nsends; i++) {
		const struct send_rec *s = &c->sends[i];
		const struct probe_slot *slot;

		ck_assert_uint_lt(s->t, c->pp.ntargets);
		ck_assert_uint_lt(s->k, c->pp.count);
		ck_assert_uint_eq(s->index, s->t * c->pp.count + s->k);
		if (s->t < 64) {
			ck_assert_msg(s->k == next[s->t], "target %zu: probe %u sent, want %u", s->t, s->k,
				      next[s->t]);
			if (s->res != PROBE_AGAIN)
				next[s->t]++;
		}
		if (s->res == PROBE_AGAIN)
			continue;
		slot = probe_slot_at(c->r, s->index);
		ck_assert_ptr_nonnull(slot);
		ck_assert_int_le(slot->sent_ns, s->at);
		ck_assert_int_ge(slot->sent_ns, c->run_start);
		ck_assert_int_lt(s->at, c->d.end_ns); /* nothing goes out past the deadline */
	}
}

static bool run(struct tctx *c)
{
	c->run_start = mono_now_ns();
	c->run_rc = probe_run(c->r);
	c->run_end = mono_now_ns();
	check_sends(c);
	return c->run_rc;
}

static void teardown(struct tctx *c)
{
	probe_free(c->r);
	close(c->sv[0]);
	close(c->sv[1]);
	free(c);
}

static const struct probe_slot *slot(const struct tctx *c, size_t t, unsigned k)
{
	return &probe_slots(c->r, t)[k];
}

static void assert_state(const struct tctx *c, size_t t, unsigned k, enum probe_state want)
{
	ck_assert_msg(slot(c, t, k)->state == want, "target %zu probe %u: state %u, want %u", t, k,
		      slot(c, t, k)->state, want);
}

/* The answers recorded for `index`, in order, as return codes. */
static int answer_rcs(const struct tctx *c, uint8_t op, uint32_t index, int *rcs, int max)
{
	int n = 0;

	for (size_t i = 0; i < c->nanswers && n < max; i++)
		if (c->answers[i].op == op && c->answers[i].index == index)
			rcs[n++] = c->answers[i].rc;
	return n;
}

/* ---- parameters ----------------------------------------------------------- */

static const struct new_case {
	size_t ntargets;
	unsigned count;
	bool ok;
} new_cases[] = {
	{ 1, 1, true },
	{ 1000, 10, true },
	{ 1, 0, false },
	{ 0, 1, false },
	{ 0, 0, false },
	{ (size_t)UINT32_MAX / 2 + 1, 2, false },     /* 2^32 probes */
	{ 65536, 65536, false },
	{ (size_t)UINT32_MAX, UINT32_MAX, false },
	{ (size_t)UINT32_MAX + 1, 1, false },          /* size_t is 64 bits here */
	{ SIZE_MAX, 1, false },
	{ SIZE_MAX, UINT32_MAX, false },
};

START_TEST(test_probe_new)
{
	const struct new_case *c = &new_cases[_i];
	struct deadline d;
	struct probe_params pp = { .deadline = &d, .ntargets = c->ntargets, .count = c->count,
				   .interval_ns = MS, .wait_ns = MS, .send = cb_send,
				   .readable = cb_readable };
	struct probe_run *r;

	deadline_start(&d, UNIT_BUDGET_MS);
	r = probe_new(&pp);
	ck_assert_msg((r != NULL) == c->ok, "probe_new(%zu targets, %u probes): %p", c->ntargets,
		      c->count, (void *)r);
	if (r) {
		size_t total = c->ntargets * c->count;

		ck_assert_ptr_eq(probe_slot_at(r, (uint32_t)(total - 1)),
				 &probe_slots(r, c->ntargets - 1)[c->count - 1]);
		ck_assert_ptr_null(probe_slot_at(r, (uint32_t)total));
		ck_assert_ptr_null(probe_slot_at(r, UINT32_MAX));
		for (size_t t = 0; t < c->ntargets; t++) {
			const struct probe_target *ti = probe_target_info(r, t);

			ck_assert(ti->sent == 0 && ti->dups == 0 && ti->reordered == 0 &&
				  ti->highest == 0);
			for (unsigned k = 0; k < c->count; k++)
				ck_assert_uint_eq(probe_slots(r, t)[k].state, PROBE_UNSENT);
		}
	}
	probe_free(r);
	probe_free(NULL);
}
END_TEST

START_TEST(test_probe_watch_limit)
{
	struct deadline d;
	struct probe_params pp = { .deadline = &d, .ntargets = 1, .count = 1, .send = cb_send,
				   .readable = cb_readable };
	struct probe_run *r;

	deadline_start(&d, UNIT_BUDGET_MS);
	r = probe_new(&pp);
	for (int i = 0; i < PROBE_MAX_FDS; i++)
		ck_assert_int_eq(probe_watch(r, 100 + i), 0);
	ck_assert_int_eq(probe_watch(r, 200), -1);
	probe_free(r);
}
END_TEST

/* From the first probe to the end of the last wait: (count - 1) intervals,
 * or (all probes - 1) gaps (with more than one target) or spacings,
 * whichever is longest, plus the wait. */
static const struct sched_case {
	size_t ntargets;
	unsigned count;
	int64_t interval, gap, spacing, wait, want;
} sched_cases[] = {
	{ 1, 5, NS_PER_S, 0, 0, 2 * NS_PER_S, 6 * NS_PER_S },
	{ 1, 1, NS_PER_S, 0, 0, 500 * MS, 500 * MS },             /* one probe: no interval */
	{ 10, 3, NS_PER_S, 100 * MS, 0, NS_PER_S, 3900 * MS },    /* 29 gaps are longer */
	{ 10, 3, NS_PER_S, 10 * MS, 0, NS_PER_S, 3 * NS_PER_S },  /* 2 intervals are */
	{ 100, 1, NS_PER_S, 20 * MS, 0, 0, 1980 * MS },
	{ 500, 5, 200 * MS, MS, 0, 1500 * MS, 2499 * MS + 1500 * MS },
	{ 1, 5, 10 * MS, NS_PER_S, 0, 0, 40 * MS },               /* one target: no gap */
	{ 1, 5, 10 * MS, 0, 100 * MS, 0, 400 * MS },              /* spacing: any two */
	{ 10, 3, 0, 10 * MS, 50 * MS, NS_PER_S, 29 * 50 * MS + NS_PER_S },
	{ 10, 3, 0, 50 * MS, 10 * MS, NS_PER_S, 29 * 50 * MS + NS_PER_S },
	{ 4, 1, 0, 0, 0, 0, 0 },
	{ 1, 1, 0, 0, 0, 7, 7 },
	{ 3, 0, NS_PER_S, NS_PER_S, NS_PER_S, 7, 7 },  /* no probes: the wait */
	/* too long for int64_t: saturates */
	{ 1, UINT32_MAX, INT64_MAX / 2, 0, 0, INT64_MAX, INT64_MAX },
	{ 1000000, UINT32_MAX, 0, INT64_MAX / 4, 0, 0, INT64_MAX },
	{ 1000000, UINT32_MAX, 0, 0, INT64_MAX / 4, 0, INT64_MAX },
};

static int64_t schedule_of(const struct sched_case *c)
{
	struct probe_params p = { .ntargets = c->ntargets, .count = c->count,
				  .interval_ns = c->interval, .gap_ns = c->gap,
				  .spacing_ns = c->spacing, .wait_ns = c->wait };

	return probe_schedule_ns(&p);
}

START_TEST(test_probe_schedule_ns)
{
	const struct sched_case *c = &sched_cases[_i];
	int64_t got = schedule_of(c);

	ck_assert_msg(got == c->want, "schedule of %zu x %u, interval %lld, gap %lld, spacing %lld, "
		      "wait %lld: %lld, want %lld", c->ntargets, c->count, (long long)c->interval,
		      (long long)c->gap, (long long)c->spacing, (long long)c->wait, (long long)got,
		      (long long)c->want);
}
END_TEST

/* A schedule of 2^63 ns or more saturates at INT64_MAX: (double)INT64_MAX
 * is 2^63 itself, and converting 2^63 to int64_t would be undefined (on
 * x86-64 INT64_MIN, a negative schedule that any -t accepts). */
static const struct sched_case sched_edge_cases[] = {
	{ 1, 2, INT64_MAX, 0, 0, 0, INT64_MAX },                  /* (double)INT64_MAX = 2^63 */
	{ 1, 2, INT64_C(1) << 62, 0, 0, INT64_C(1) << 62, INT64_MAX },
	{ 3, 1, 0, INT64_C(1) << 62, 0, 0, INT64_MAX },           /* 2 gaps of 2^62 */
	{ 1, 3, 0, 0, INT64_C(1) << 62, 0, INT64_MAX },           /* 2 spacings of 2^62 */
};

START_TEST(test_probe_schedule_saturates)
{
	const struct sched_case *c = &sched_edge_cases[_i];
	int64_t got = schedule_of(c);

	ck_assert_msg(got == INT64_MAX, "schedule of %zu x %u, interval %lld, gap %lld, spacing "
		      "%lld, wait %lld: %lld, want INT64_MAX", c->ntargets, c->count,
		      (long long)c->interval, (long long)c->gap, (long long)c->spacing,
		      (long long)c->wait, (long long)got);
}
END_TEST

/* ---- order and spacing ---------------------------------------------------- */

/* Earliest due first: targets started 2, 0, 1 go out in that order, round
 * after round; every probe answered, the run ends true. */
START_TEST(test_probe_order)
{
	struct tctx *c = setup(3, 3, 20 * MS, 0, LONG_WAIT, UNIT_BUDGET_MS, NULL);
	static const size_t want_t[] = { 2, 0, 1, 2, 0, 1, 2, 0, 1 };

	start_distinct(c, 2);
	start_distinct(c, 0);
	start_distinct(c, 1);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nsends, 9);
	for (size_t i = 0; i < 9; i++)
		ck_assert_msg(c->sends[i].t == want_t[i], "send %zu went to target %zu, want %zu", i,
			      c->sends[i].t, want_t[i]);
	for (size_t t = 0; t < 3; t++) {
		const struct probe_target *ti = probe_target_info(c->r, t);

		ck_assert_uint_eq(ti->sent, 3);
		ck_assert_uint_eq(ti->highest, 3);
		ck_assert_uint_eq(ti->dups + ti->reordered, 0);
		for (unsigned k = 0; k < 3; k++)
			assert_state(c, t, k, PROBE_ANSWERED);
	}
	teardown(c);
}
END_TEST

/* Two probes to one target are at least the interval apart; the two
 * targets take turns. */
START_TEST(test_probe_interval)
{
	const int64_t interval = 25 * MS;
	struct tctx *c = setup(2, 4, interval, 0, LONG_WAIT, UNIT_BUDGET_MS, NULL);

	start_distinct(c, 0);
	start_distinct(c, 1);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nsends, 8);
	for (size_t i = 0; i < 8; i++)
		ck_assert_uint_eq(c->sends[i].t, i % 2);
	for (size_t t = 0; t < 2; t++)
		for (unsigned k = 1; k < 4; k++) {
			int64_t apart = slot(c, t, k)->sent_ns - slot(c, t, k - 1)->sent_ns;

			ck_assert_msg(apart >= interval, "target %zu probes %u and %u %lld ns apart", t,
				      k - 1, k, (long long)apart);
			assert_state(c, t, k, PROBE_ANSWERED);
		}
	ck_assert_int_ge(c->run_end - c->run_start, 3 * interval);
	teardown(c);
}
END_TEST

/* Probes to different targets are at least the gap apart, even when the
 * per-target interval would allow them sooner; earliest due first. */
START_TEST(test_probe_gap)
{
	const int64_t gap = 15 * MS;
	struct tctx *c = setup(4, 2, MS, gap, LONG_WAIT, UNIT_BUDGET_MS, NULL);
	int64_t last = 0;

	for (size_t t = 0; t < 4; t++)
		start_distinct(c, t);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nsends, 8);
	for (size_t i = 0; i < 8; i++) {
		const struct send_rec *s = &c->sends[i];
		int64_t at = probe_slot_at(c->r, s->index)->sent_ns;

		ck_assert_uint_eq(s->t, i % 4);
		if (i > 0)
			ck_assert_msg(at - last >= gap, "sends %zu and %zu %lld ns apart", i - 1, i,
				      (long long)(at - last));
		last = at;
	}
	ck_assert_int_ge(c->run_end - c->run_start, 7 * gap);
	teardown(c);
}
END_TEST

/* The gap is between probes to different targets only: one target's
 * probes follow at its interval.  (Were the gap applied, the run would
 * take two gaps; it takes two intervals, far less.) */
START_TEST(test_probe_gap_other_targets_only)
{
	const int64_t gap = (int64_t)UNIT_DEADLINE_MS * MS, interval = MS;
	struct tctx *c = setup(1, 3, interval, gap, LONG_WAIT, UNIT_BUDGET_MS, NULL);

	probe_start(c->r, 0);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nsends, 3);
	for (unsigned k = 1; k < 3; k++)
		ck_assert_int_ge(slot(c, 0, k)->sent_ns - slot(c, 0, k - 1)->sent_ns, interval);
	ck_assert_msg(slot(c, 0, 2)->sent_ns - slot(c, 0, 0)->sent_ns < gap,
		      "one target's probes kept the gap apart");
	teardown(c);
}
END_TEST

/* Spacing: any two probes, also to one target, at least spacing apart. */
START_TEST(test_probe_spacing)
{
	const int64_t spacing = 15 * MS;
	struct tctx *c = setup_spaced(2, 3, MS, 0, spacing, LONG_WAIT, UNIT_BUDGET_MS, NULL);
	int64_t last = 0;

	start_distinct(c, 0);
	start_distinct(c, 1);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nsends, 6);
	for (size_t i = 0; i < c->nsends; i++) {
		int64_t at = probe_slot_at(c->r, c->sends[i].index)->sent_ns;

		if (i > 0)
			ck_assert_msg(at - last >= spacing, "sends %zu and %zu %lld ns apart", i - 1, i,
				      (long long)(at - last));
		last = at;
	}
	for (size_t t = 0; t < 2; t++)
		for (unsigned k = 0; k < 3; k++)
			assert_state(c, t, k, PROBE_ANSWERED);
	ck_assert_int_ge(c->run_end - c->run_start, 5 * spacing);
	teardown(c);
}
END_TEST

/* PROBE_AGAIN (a full socket): the same probe is tried again later, the
 * other target's probes still go out, and only the probe that went out
 * counts. */
START_TEST(test_probe_again)
{
	static struct plan plan[MAXI] = { [0] = { .again = 3 }, [3] = { .again = 1 } };
	const int64_t interval = 10 * MS;
	struct tctx *c = setup(2, 3, interval, 0, LONG_WAIT, UNIT_BUDGET_MS, plan);
	int64_t last = -1;
	int tries = 0;

	start_distinct(c, 0);
	start_distinct(c, 1);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nsends, 6 + 3 + 1);
	for (size_t i = 0; i < c->nsends; i++) {
		if (c->sends[i].index != 0)
			continue;
		ck_assert_int_gt(c->sends[i].at, last); /* later each time */
		last = c->sends[i].at;
		ck_assert_int_eq(c->sends[i].res, ++tries <= 3 ? PROBE_AGAIN : PROBE_SENT);
	}
	ck_assert_int_eq(tries, 4);
	for (size_t t = 0; t < 2; t++) {
		ck_assert_uint_eq(probe_target_info(c->r, t)->sent, 3);
		for (unsigned k = 0; k < 3; k++)
			assert_state(c, t, k, PROBE_ANSWERED);
		for (unsigned k = 1; k < 3; k++)
			ck_assert_int_ge(slot(c, t, k)->sent_ns - slot(c, t, k - 1)->sent_ns, interval);
	}
	teardown(c);
}
END_TEST

/* PROBE_ERROR: that probe fails for good, the schedule goes on. */
START_TEST(test_probe_send_error)
{
	static struct plan plan[MAXI] = { [1] = { .error = true }, [3] = { .error = true } };
	const int64_t interval = 10 * MS;
	struct tctx *c = setup(2, 3, interval, 0, LONG_WAIT, UNIT_BUDGET_MS, plan);
	int rc[4];

	start_distinct(c, 0);
	start_distinct(c, 1);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nsends, 6);
	assert_state(c, 0, 0, PROBE_ANSWERED);
	assert_state(c, 0, 1, PROBE_FAILED);
	assert_state(c, 0, 2, PROBE_ANSWERED);
	assert_state(c, 1, 0, PROBE_FAILED);
	assert_state(c, 1, 1, PROBE_ANSWERED);
	assert_state(c, 1, 2, PROBE_ANSWERED);
	ck_assert_int_ge(slot(c, 0, 2)->sent_ns - slot(c, 0, 1)->sent_ns, interval);
	ck_assert_int_ge(slot(c, 1, 1)->sent_ns - slot(c, 1, 0)->sent_ns, interval);
	/* a failed probe takes no answer and no error */
	ck_assert_int_eq(answer_rcs(c, OP_ANSWER, 1, rc, 4), 0);
	ck_assert_int_eq(probe_answer(c->r, 1, mono_now_ns()), 0);
	ck_assert_int_eq(probe_error(c->r, 1), 0);
	assert_state(c, 0, 1, PROBE_FAILED);
	teardown(c);
}
END_TEST

/* ---- answers -------------------------------------------------------------- */

/* The round trip is the answer's stamp minus the send time, in us,
 * rounded; a stamp that cannot be right (none, before the send, past the
 * wait) is replaced by the time the answer is handled. */
static const struct stamp_case {
	uint8_t stamp;
	int64_t plus_ns;
	bool exact;      /* rtt_us follows from the stamp */
} stamp_cases[] = {
	{ ST_NOW, 0, true },
	{ ST_SENT_PLUS, 5 * MS, true },
	{ ST_SENT_PLUS, 1499, true },   /* 1.499 us: 1 */
	{ ST_SENT_PLUS, 1500, true },   /* 1.5 us: 2 */
	{ ST_SENT_PLUS, 0, true },
	{ ST_ZERO, 0, false },
	{ ST_BEFORE_SENT, 0, false },
	{ ST_PAST_WAIT, 0, false },
};

START_TEST(test_probe_answer_stamp)
{
	const struct stamp_case *sc = &stamp_cases[_i];
	struct plan plan[MAXI] = { [0] = { .ops = { { OP_ANSWER, 0, sc->stamp, sc->plus_ns } } } };
	struct tctx *c = setup(1, 1, MS, 0, LONG_WAIT, UNIT_BUDGET_MS, plan);
	const struct ans_rec *a;
	const struct probe_slot *s;

	probe_start(c->r, 0);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nanswers, 1);
	a = &c->answers[0];
	s = slot(c, 0, 0);
	ck_assert_int_eq(a->rc, 1);
	ck_assert_uint_eq(s->state, PROBE_ANSWERED);
	ck_assert_uint_eq(probe_target_info(c->r, 0)->highest, 1);
	if (sc->exact) {
		ck_assert_uint_eq(s->rtt_us, (uint32_t)((a->rx - s->sent_ns + 500) / 1000));
	} else {
		ck_assert_int_ge((int64_t)s->rtt_us, (a->before - s->sent_ns) / 1000);
		ck_assert_int_le((int64_t)s->rtt_us, (a->after - s->sent_ns + 999) / 1000);
	}
	ck_assert_int_le((int64_t)s->rtt_us * 1000, c->pp.wait_ns);
	teardown(c);
}
END_TEST

/* A second and third answer to one probe are duplicates: 2, counted in
 * the slot (saturating at 255) and the target (not saturating). */
START_TEST(test_probe_duplicates)
{
	static struct plan plan[MAXI] = {
		[0] = { .ops = { { OP_ANSWER, 0, ST_NOW, 0 }, { OP_ANSWER, 0, ST_NOW, 0 },
				 { OP_ANSWER, 0, ST_ZERO, 0 } } },
	};
	struct tctx *c = setup(1, 2, MS, 0, LONG_WAIT, UNIT_BUDGET_MS, plan);
	int rc[4];
	uint32_t rtt;

	probe_start(c->r, 0);
	ck_assert(run(c));
	ck_assert_int_eq(answer_rcs(c, OP_ANSWER, 0, rc, 4), 3);
	ck_assert(rc[0] == 1 && rc[1] == 2 && rc[2] == 2);
	ck_assert_uint_eq(slot(c, 0, 0)->dups, 2);
	ck_assert_uint_eq(slot(c, 0, 1)->dups, 0);
	ck_assert_uint_eq(probe_target_info(c->r, 0)->dups, 2);
	assert_state(c, 0, 0, PROBE_ANSWERED);
	/* a duplicate changes nothing else */
	rtt = slot(c, 0, 0)->rtt_us;
	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(probe_answer(c->r, 0, mono_now_ns()), 2);
	ck_assert_uint_eq(slot(c, 0, 0)->dups, 255);
	ck_assert_uint_eq(probe_target_info(c->r, 0)->dups, 302);
	ck_assert_uint_eq(slot(c, 0, 0)->rtt_us, rtt);
	ck_assert_uint_eq(probe_target_info(c->r, 0)->reordered, 0);
	teardown(c);
}
END_TEST

/* Probe 0's answer comes after probe 1's: reordered once; the answer
 * still counts, its round trip longer than the interval. */
START_TEST(test_probe_reordered)
{
	static struct plan plan[MAXI] = {
		[0] = { .silent = true },
		[1] = { .ops = { { OP_ANSWER, 1, ST_NOW, 0 }, { OP_ANSWER, 0, ST_NOW, 0 } } },
	};
	const int64_t interval = 10 * MS;
	struct tctx *c = setup(1, 3, interval, 0, LONG_WAIT, UNIT_BUDGET_MS, plan);
	const struct probe_target *ti;
	int rc[2];

	probe_start(c->r, 0);
	ck_assert(run(c));
	ck_assert_int_eq(answer_rcs(c, OP_ANSWER, 0, rc, 2), 1);
	ck_assert_int_eq(rc[0], 1);
	ck_assert_int_eq(answer_rcs(c, OP_ANSWER, 1, rc, 2), 1);
	ck_assert_int_eq(rc[0], 1);
	for (unsigned k = 0; k < 3; k++)
		assert_state(c, 0, k, PROBE_ANSWERED);
	ti = probe_target_info(c->r, 0);
	ck_assert_uint_eq(ti->reordered, 1);
	ck_assert_uint_eq(ti->highest, 3);
	ck_assert_uint_eq(ti->dups, 0);
	ck_assert_int_ge((int64_t)slot(c, 0, 0)->rtt_us * 1000, interval - 500);
	teardown(c);
}
END_TEST

/* Answers and errors for no probe of the run, or for one that is not
 * waiting (not sent yet: its target is started only afterwards; failed;
 * answered), change nothing and give 0. */
START_TEST(test_probe_not_waiting)
{
	static struct plan plan[MAXI] = {
		[0] = { .ops = {
			{ OP_ANSWER, 6, ST_NOW, 0 },           /* past the last index */
			{ OP_ANSWER, UINT32_MAX, ST_ZERO, 0 },
			{ OP_ANSWER, 3, ST_NOW, 0 },           /* target 1: not sent yet */
			{ OP_ERROR, 4, ST_NOW, 0 },            /* the same */
			{ OP_ERROR, 6, ST_NOW, 0 },
			{ OP_ANSWER, 0, ST_NOW, 0 },           /* the real one */
			{ OP_ERROR, 0, ST_NOW, 0 },            /* answered already */
			{ OP_START, 1, 0, 0 },
		} },
		[2] = { .error = true },
	};
	struct tctx *c = setup(2, 3, MS, 0, LONG_WAIT, UNIT_BUDGET_MS, plan);
	static const int want[] = { 0, 0, 0, 0, 0, 1, 0 };

	probe_start(c->r, 0);
	ck_assert(run(c));
	ck_assert_uint_ge(c->nanswers, N(want));
	for (int i = 0; i < N(want); i++)
		ck_assert_msg(c->answers[i].rc == want[i], "record %d: %d, want %d", i,
			      c->answers[i].rc, want[i]);
	assert_state(c, 0, 0, PROBE_ANSWERED);
	assert_state(c, 0, 1, PROBE_ANSWERED);
	assert_state(c, 0, 2, PROBE_FAILED);
	for (unsigned k = 0; k < 3; k++)
		assert_state(c, 1, k, PROBE_ANSWERED);
	ck_assert_uint_eq(probe_target_info(c->r, 0)->dups, 0);
	ck_assert_uint_eq(probe_target_info(c->r, 1)->dups, 0);
	ck_assert_int_eq(probe_answer(c->r, 2, mono_now_ns()), 0); /* failed */
	ck_assert_int_eq(probe_answer(c->r, 6, mono_now_ns()), 0);
	ck_assert_int_eq(probe_error(c->r, UINT32_MAX), 0);
	teardown(c);
}
END_TEST

/* An error that comes back ends the probe without an answer (FAILED):
 * 1 once, then 0; an answer after it is 0; the rest goes on. */
START_TEST(test_probe_error_back)
{
	static struct plan plan[MAXI] = {
		[0] = { .ops = { { OP_ERROR, 0, ST_NOW, 0 }, { OP_ERROR, 0, ST_NOW, 0 },
				 { OP_ANSWER, 0, ST_NOW, 0 } } },
	};
	struct tctx *c = setup(1, 3, 5 * MS, 0, LONG_WAIT, UNIT_BUDGET_MS, plan);

	probe_start(c->r, 0);
	ck_assert(run(c));
	ck_assert_uint_ge(c->nanswers, 3);
	ck_assert_int_eq(c->answers[0].rc, 1);
	ck_assert_int_eq(c->answers[1].rc, 0);
	ck_assert_int_eq(c->answers[2].rc, 0);
	assert_state(c, 0, 0, PROBE_FAILED);
	assert_state(c, 0, 1, PROBE_ANSWERED);
	assert_state(c, 0, 2, PROBE_ANSWERED);
	ck_assert_uint_eq(probe_target_info(c->r, 0)->dups, 0);
	teardown(c);
}
END_TEST

/* No answer: LOST once its wait is over, and the run ends then (true); a
 * late answer or error is 0. */
START_TEST(test_probe_lost)
{
	static struct plan plan[MAXI] = { [0] = { .silent = true }, [1] = { .silent = true } };
	const int64_t wait = 20 * MS, interval = 5 * MS;
	struct tctx *c = setup(1, 2, interval, 0, wait, UNIT_BUDGET_MS, plan);

	probe_start(c->r, 0);
	ck_assert(run(c));
	assert_state(c, 0, 0, PROBE_LOST);
	assert_state(c, 0, 1, PROBE_LOST);
	ck_assert_int_ge(c->run_end, slot(c, 0, 1)->sent_ns + wait);
	ck_assert_int_ge(c->run_end - c->run_start, interval + wait);
	ck_assert_uint_eq(probe_target_info(c->r, 0)->sent, 2);
	ck_assert_uint_eq(probe_target_info(c->r, 0)->highest, 0);
	ck_assert_int_eq(probe_answer(c->r, 0, mono_now_ns()), 0);
	ck_assert_int_eq(probe_answer(c->r, 1, slot(c, 0, 1)->sent_ns + MS), 0);
	ck_assert_int_eq(probe_error(c->r, 1), 0);
	assert_state(c, 0, 1, PROBE_LOST);
	teardown(c);
}
END_TEST

/* Many targets due at once: answers are read while the burst goes out
 * (a reply queue must not fill up meanwhile). */
START_TEST(test_probe_burst_reads)
{
	enum { TARGETS = 100 };
	struct tctx *c = setup(TARGETS, 1, MS, 0, LONG_WAIT, UNIT_BUDGET_MS, NULL);

	start_all(c);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nsends, TARGETS);
	ck_assert_uint_eq(c->nanswers, TARGETS);
	ck_assert_msg(c->answers[0].before < c->sends[TARGETS - 1].at,
		      "no answer read before the last of %d sends", TARGETS);
	for (size_t t = 0; t < TARGETS; t++)
		assert_state(c, t, 0, PROBE_ANSWERED);
	teardown(c);
}
END_TEST

/* ---- targets started and skipped ------------------------------------------ */

/* Target 1 starts from a callback after the run began (its address came
 * in): its probes go out then, at its own interval. */
START_TEST(test_probe_start_later)
{
	static struct plan plan[MAXI] = {
		[0] = { .ops = { { OP_ANSWER, 0, ST_NOW, 0 }, { OP_START, 1, 0, 0 } } },
	};
	const int64_t interval = 20 * MS;
	struct tctx *c = setup(2, 3, interval, 0, LONG_WAIT, UNIT_BUDGET_MS, plan);

	probe_start(c->r, 0);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nsends, 6);
	ck_assert_uint_eq(c->sends[0].t, 0);
	ck_assert_int_ge(slot(c, 1, 0)->sent_ns, c->answers[0].after); /* after its start */
	for (size_t t = 0; t < 2; t++) {
		ck_assert_uint_eq(probe_target_info(c->r, t)->sent, 3);
		for (unsigned k = 0; k < 3; k++)
			assert_state(c, t, k, PROBE_ANSWERED);
		for (unsigned k = 1; k < 3; k++)
			ck_assert_int_ge(slot(c, t, k)->sent_ns - slot(c, t, k - 1)->sent_ns, interval);
	}
	teardown(c);
}
END_TEST

/* Target 1 is skipped from a callback (its name did not resolve): the run
 * ends when target 0 is done, not at the deadline. */
START_TEST(test_probe_skip_later)
{
	static struct plan plan[MAXI] = {
		[0] = { .ops = { { OP_ANSWER, 0, ST_NOW, 0 }, { OP_SKIP, 1, 0, 0 } } },
	};
	struct tctx *c = setup(2, 2, 5 * MS, 0, LONG_WAIT, UNIT_BUDGET_MS, plan);

	probe_start(c->r, 0);
	ck_assert(run(c));
	ck_assert_int_lt(c->run_end - c->run_start, (int64_t)UNIT_BUDGET_MS * MS / 2);
	ck_assert_uint_eq(c->nsends, 2);
	assert_state(c, 0, 0, PROBE_ANSWERED);
	assert_state(c, 0, 1, PROBE_ANSWERED);
	assert_state(c, 1, 0, PROBE_UNSENT);
	assert_state(c, 1, 1, PROBE_UNSENT);
	ck_assert_uint_eq(probe_target_info(c->r, 1)->sent, 0);
	teardown(c);
}
END_TEST

/* Skipped before the run: nothing to do, true at once.  A start after a
 * skip, a second start, and targets out of range change nothing. */
START_TEST(test_probe_skip_all)
{
	struct tctx *c = setup(3, 2, MS, 0, LONG_WAIT, UNIT_BUDGET_MS, NULL);

	probe_skip(c->r, 0);
	probe_skip(c->r, 1);
	probe_start(c->r, 0);      /* skipped already */
	probe_start(c->r, 2);
	probe_start(c->r, 2);      /* twice */
	probe_skip(c->r, 2);       /* started already */
	probe_start(c->r, 3);      /* out of range */
	probe_skip(c->r, SIZE_MAX);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nsends, 2);
	ck_assert_uint_eq(c->sends[0].t, 2);
	ck_assert_uint_eq(c->sends[1].t, 2);
	for (size_t t = 0; t < 2; t++)
		for (unsigned k = 0; k < 2; k++)
			assert_state(c, t, k, PROBE_UNSENT);
	ck_assert_int_lt(c->run_end - c->run_start, (int64_t)UNIT_BUDGET_MS * MS / 2);
	teardown(c);

	c = setup(2, 2, MS, 0, LONG_WAIT, UNIT_BUDGET_MS, NULL);
	probe_skip(c->r, 0);
	probe_skip(c->r, 1);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nsends, 0);
	teardown(c);
}
END_TEST

/* ---- targets done, cancelled, waits of their own ---------------------------- */

/* done comes once per target when its last probe ended, however it ended
 * (answered, lost, failed); a done that starts the next target keeps one
 * target in flight at a time, as check_hops keeps a window of TTLs. */
START_TEST(test_probe_done_window)
{
	static struct plan plan[MAXI] = { [3] = { .silent = true }, [4] = { .error = true } };
	struct tctx *c = setup(4, 2, 0, 0, 20 * MS, UNIT_BUDGET_MS, plan);

	c->window = true;
	probe_start(c->r, 0);
	ck_assert(run(c));
	ck_assert_uint_eq(c->nsends, 8);
	ck_assert_uint_eq(c->ndone, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_uint_eq(c->done_t[i], i);
		ck_assert_uint_eq(probe_target_info(c->r, i)->ended, 2);
		if (i > 0) /* the next target goes out only after this one is done */
			ck_assert_int_ge(slot(c, i, 0)->sent_ns, c->done_at[i - 1]);
	}
	ck_assert_int_ge(c->done_at[1], slot(c, 1, 1)->sent_ns + 20 * MS); /* 3 was lost */
	assert_state(c, 1, 1, PROBE_LOST);
	assert_state(c, 2, 0, PROBE_FAILED);
	assert_state(c, 3, 1, PROBE_ANSWERED);
	teardown(c);
}
END_TEST

/* Cancelled from an answer: a waiting probe ends CANCELLED, an unsent one
 * is never sent, no done comes for it, and the run ends at once instead
 * of waiting; a target never started counts as skipped. */
START_TEST(test_probe_cancel)
{
	static struct plan plan[MAXI] = {
		[0] = { .ops = { { OP_ANSWER, 0, ST_NOW, 0 }, { OP_CANCEL, 1, 0, 0 },
				 { OP_CANCEL, 2, 0, 0 }, { OP_CANCEL, 3, 0, 0 } } },
		[2] = { .silent = true },
	};
	const int64_t interval = 50 * MS;
	struct tctx *c = setup(4, 2, interval, 0, LONG_WAIT, UNIT_BUDGET_MS, plan);

	start_distinct(c, 1);
	start_distinct(c, 2);
	start_distinct(c, 0);
	ck_assert(run(c));
	ck_assert_int_lt(c->run_end - c->run_start, LONG_WAIT / 2);
	assert_state(c, 0, 0, PROBE_ANSWERED);
	assert_state(c, 0, 1, PROBE_ANSWERED);
	assert_state(c, 1, 0, PROBE_CANCELLED); /* was waiting */
	assert_state(c, 1, 1, PROBE_UNSENT);
	assert_state(c, 2, 0, PROBE_ANSWERED);  /* answered before the cancel */
	assert_state(c, 2, 1, PROBE_UNSENT);
	assert_state(c, 3, 0, PROBE_UNSENT);    /* never started */
	ck_assert_uint_eq(c->nsends, 4);
	ck_assert_uint_eq(c->ndone, 1);
	ck_assert_uint_eq(c->done_t[0], 0);
	ck_assert_int_eq(probe_answer(c->r, 2, mono_now_ns()), 0); /* no longer waited for */
	probe_cancel(c->r, 1); /* twice, and out of range: nothing */
	probe_cancel(c->r, 9);
	teardown(c);
}
END_TEST

/* Each probe waits what wait_of says: the shorter wait ends first, though
 * its probe went out last; nothing waits for wait_ns. */
START_TEST(test_probe_wait_of)
{
	static struct plan plan[MAXI] = { [0] = { .silent = true }, [1] = { .silent = true } };
	struct tctx *c = setup(2, 1, 0, 0, LONG_WAIT, UNIT_BUDGET_MS, plan);

	c->pp.wait_of = cb_wait_of;
	probe_free(c->r);
	c->r = probe_new(&c->pp);
	ck_assert_int_eq(probe_watch(c->r, c->sv[0]), 0);
	c->waits[0] = 80 * MS;
	c->waits[1] = 20 * MS;
	start_distinct(c, 0);
	start_distinct(c, 1);
	ck_assert(run(c));
	ck_assert_uint_eq(c->ndone, 2);
	ck_assert_uint_eq(c->done_t[0], 1);
	ck_assert_uint_eq(c->done_t[1], 0);
	ck_assert_int_ge(c->done_at[0], slot(c, 1, 0)->sent_ns + 20 * MS);
	ck_assert_int_ge(c->done_at[1], slot(c, 0, 0)->sent_ns + 80 * MS);
	ck_assert_int_lt(c->run_end - c->run_start, LONG_WAIT / 2);
	assert_state(c, 0, 0, PROBE_LOST);
	assert_state(c, 1, 0, PROBE_LOST);
	teardown(c);
}
END_TEST

/* A wait that shrinks while a probe waits (an answer from elsewhere made
 * it shorter) ends that probe then, not at its first wait. */
START_TEST(test_probe_wait_shrinks)
{
	static struct plan plan[MAXI] = {
		[0] = { .silent = true },
		[1] = { .ops = { { OP_ANSWER, 1, ST_NOW, 0 }, { OP_WAIT, 30, 0, 0 } } },
	};
	struct tctx *c = setup(2, 1, 0, 0, LONG_WAIT, UNIT_BUDGET_MS, plan);

	c->pp.wait_of = cb_wait_of;
	probe_free(c->r);
	c->r = probe_new(&c->pp);
	ck_assert_int_eq(probe_watch(c->r, c->sv[0]), 0);
	start_distinct(c, 0);
	start_distinct(c, 1);
	ck_assert(run(c));
	assert_state(c, 0, 0, PROBE_LOST);
	assert_state(c, 1, 0, PROBE_ANSWERED);
	ck_assert_int_ge(c->run_end, slot(c, 0, 0)->sent_ns + 30 * MS);
	ck_assert_int_lt(c->run_end - c->run_start, LONG_WAIT / 2);
	teardown(c);
}
END_TEST

/* ---- the deadline --------------------------------------------------------- */

/* At the deadline: what still waits is CUT, what was not sent stays
 * UNSENT (also a target never started), answered stays answered, and the
 * run says false, not long after the deadline. */
START_TEST(test_probe_deadline)
{
	static struct plan plan[MAXI] = { [0] = { .silent = true } };
	const int64_t far = 10 * (int64_t)UNIT_DEADLINE_MS * MS;
	struct tctx *c = setup(3, 3, far, 0, far, UNIT_DEADLINE_MS, plan);

	start_distinct(c, 0);
	start_distinct(c, 1);
	/* target 2 is never started nor skipped */
	ck_assert(!run(c));
	ck_assert_int_ge(c->run_end, c->d.end_ns);
	ck_assert_msg(c->run_end - c->d.end_ns < (int64_t)UNIT_SLACK_MS * MS,
		      "probe_run returned %lld ms after the deadline",
		      (long long)((c->run_end - c->d.end_ns) / MS));
	ck_assert_uint_eq(c->nsends, 2);
	assert_state(c, 0, 0, PROBE_CUT);
	assert_state(c, 1, 0, PROBE_ANSWERED);
	for (size_t t = 0; t < 3; t++)
		for (unsigned k = t == 2 ? 0 : 1; k < 3; k++)
			assert_state(c, t, k, PROBE_UNSENT);
	ck_assert_int_eq(probe_answer(c->r, 0, mono_now_ns()), 0);
	ck_assert_int_eq(probe_error(c->r, 0), 0);
	assert_state(c, 0, 0, PROBE_CUT);
	teardown(c);
}
END_TEST

/* A deadline already past: nothing is sent, false at once. */
START_TEST(test_probe_deadline_passed)
{
	struct tctx *c = setup(2, 2, MS, 0, LONG_WAIT, 0, NULL);

	start_all(c);
	ck_assert(!run(c));
	ck_assert_uint_eq(c->nsends, 0);
	for (size_t t = 0; t < 2; t++)
		for (unsigned k = 0; k < 2; k++)
			assert_state(c, t, k, PROBE_UNSENT);
	teardown(c);
}
END_TEST

Suite *probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *params = tcase_create("params");
	TCase *sched = tcase_create("schedule");

	tcase_set_timeout(params, UNIT_TIMEOUT);
	tcase_add_loop_test(params, test_probe_new, 0, N(new_cases));
	tcase_add_test(params, test_probe_watch_limit);
	tcase_add_loop_test(params, test_probe_schedule_ns, 0, N(sched_cases));
	tcase_add_loop_test(params, test_probe_schedule_saturates, 0, N(sched_edge_cases));
	suite_add_tcase(s, params);

	tcase_set_timeout(sched, UNIT_TIMEOUT);
	tcase_add_test(sched, test_probe_order);
	tcase_add_test(sched, test_probe_interval);
	tcase_add_test(sched, test_probe_gap);
	tcase_add_test(sched, test_probe_gap_other_targets_only);
	tcase_add_test(sched, test_probe_spacing);
	tcase_add_test(sched, test_probe_again);
	tcase_add_test(sched, test_probe_send_error);
	tcase_add_loop_test(sched, test_probe_answer_stamp, 0, N(stamp_cases));
	tcase_add_test(sched, test_probe_duplicates);
	tcase_add_test(sched, test_probe_reordered);
	tcase_add_test(sched, test_probe_not_waiting);
	tcase_add_test(sched, test_probe_error_back);
	tcase_add_test(sched, test_probe_lost);
	tcase_add_test(sched, test_probe_done_window);
	tcase_add_test(sched, test_probe_cancel);
	tcase_add_test(sched, test_probe_wait_of);
	tcase_add_test(sched, test_probe_wait_shrinks);
	tcase_add_test(sched, test_probe_burst_reads);
	tcase_add_test(sched, test_probe_start_later);
	tcase_add_test(sched, test_probe_skip_later);
	tcase_add_test(sched, test_probe_skip_all);
	tcase_add_test(sched, test_probe_deadline);
	tcase_add_test(sched, test_probe_deadline_passed);
	suite_add_tcase(s, sched);
	return s;
}
