/* probe: the scheduler of many outstanding probes (see probe.h).
 *
 * Targets whose next probe is due sit in a min-heap by due time.  Sent
 * probes wait in a FIFO in the order they went out: every probe waits the
 * same time, so they also expire in that order.  One poll covers the
 * caller's sockets and, while lookups are pending, the resolver's. */
#include "probe.h"

#include <stdlib.h>
#include <string.h>

#define SEND_BURST 32         /* sends between two reads of the sockets: a
			       * reply queue must not overflow while a burst
			       * goes out */
#define RETRY_NS (1 * NS_PER_MS) /* after a full socket */
#define RESOLVER_FDS 16

enum phase { T_NEW, T_STARTED, T_SKIPPED, T_CANCELLED };

struct due {
	int64_t at;  /* when the target's next probe is due */
	uint32_t t;  /* the target */
};

struct probe_run {
	struct probe_params p;
	struct probe_slot *slots;     /* ntargets * count */
	struct probe_target *targets; /* ntargets */
	struct due *heap;             /* targets with a probe due, by time */
	size_t nheap;
	uint32_t *fifo;               /* indices of sent probes, send order */
	size_t fhead, ftail;
	size_t waiting;               /* probes in PROBE_WAITING */
	size_t unstarted;             /* targets neither started nor skipped */
	uint8_t *started;             /* per target: enum phase */
	uint32_t last_target;         /* of the last probe sent */
	int64_t last_send_ns;         /* 0: none sent yet */
	int64_t hold_until;           /* a full socket: nothing before this */
	struct probe_times times;
	int fds[PROBE_MAX_FDS];
	size_t nfds;
};

/* ---- the heap of due targets -------------------------------------------- */

static bool earlier(const struct due *a, const struct due *b)
{
	return a->at < b->at || (a->at == b->at && a->t < b->t);
}

static void heap_push(struct probe_run *r, int64_t at, uint32_t t)
{
	size_t i = r->nheap++;

	r->heap[i] = (struct due){ at, t };
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		struct due tmp;

		if (!earlier(&r->heap[i], &r->heap[parent]))
			break;
		tmp = r->heap[i];
		r->heap[i] = r->heap[parent];
		r->heap[parent] = tmp;
		i = parent;
	}
}

static void sift_down(struct probe_run *r, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct due tmp;

		if (l < r->nheap && earlier(&r->heap[l], &r->heap[m]))
			m = l;
		if (l + 1 < r->nheap && earlier(&r->heap[l + 1], &r->heap[m]))
			m = l + 1;
		if (m == i)
			break;
		tmp = r->heap[i];
		r->heap[i] = r->heap[m];
		r->heap[m] = tmp;
		i = m;
	}
}

static struct due heap_pop(struct probe_run *r)
{
	struct due top = r->heap[0];

	r->heap[0] = r->heap[--r->nheap];
	sift_down(r, 0);
	return top;
}

/* Takes target t out of the heap (rare: a cancel), keeping it a heap. */
static void heap_remove(struct probe_run *r, uint32_t t)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nheap; i++)
		if (r->heap[i].t != t)
			r->heap[n++] = r->heap[i];
	r->nheap = n;
	for (size_t i = n / 2; i-- > 0;)
		sift_down(r, i);
}

/* ---- set up --------------------------------------------------------------- */

struct probe_run *probe_new(const struct probe_params *p)
{
	struct probe_run *r;
	size_t total;

	if (p->count == 0 || p->ntargets == 0 || p->ntargets > UINT32_MAX / p->count)
		return NULL;
	total = p->ntargets * p->count;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->p = *p;
	r->slots = calloc(total, sizeof(*r->slots));
	r->targets = calloc(p->ntargets, sizeof(*r->targets));
	r->heap = calloc(p->ntargets, sizeof(*r->heap));
	r->fifo = calloc(total, sizeof(*r->fifo));
	r->started = calloc(p->ntargets, 1);
	if (!r->slots || !r->targets || !r->heap || !r->fifo || !r->started) {
		probe_free(r);
		return NULL;
	}
	r->unstarted = p->ntargets;
	return r;
}

void probe_free(struct probe_run *r)
{
	if (r == NULL)
		return;
	free(r->slots);
	free(r->targets);
	free(r->heap);
	free(r->fifo);
	free(r->started);
	free(r);
}

int probe_watch(struct probe_run *r, int fd)
{
	if (r->nfds >= PROBE_MAX_FDS)
		return -1;
	r->fds[r->nfds++] = fd;
	return 0;
}

void probe_start(struct probe_run *r, size_t t)
{
	if (t >= r->p.ntargets || r->started[t] != T_NEW)
		return;
	r->started[t] = T_STARTED;
	r->unstarted--;
	heap_push(r, mono_now_ns(), (uint32_t)t);
}

void probe_skip(struct probe_run *r, size_t t)
{
	if (t >= r->p.ntargets || r->started[t] != T_NEW)
		return;
	r->started[t] = T_SKIPPED;
	r->unstarted--;
}

void probe_cancel(struct probe_run *r, size_t t)
{
	struct probe_slot *s;

	if (t >= r->p.ntargets || r->started[t] == T_SKIPPED || r->started[t] == T_CANCELLED)
		return;
	if (r->started[t] == T_NEW)
		r->unstarted--;
	r->started[t] = T_CANCELLED;
	heap_remove(r, (uint32_t)t);
	s = &r->slots[t * r->p.count];
	for (unsigned k = 0; k < r->p.count; k++) {
		if (s[k].state == PROBE_WAITING) {
			s[k].state = PROBE_CANCELLED;
			r->waiting--;
		}
	}
}

int64_t probe_schedule_ns(const struct probe_params *p)
{
	double sends = (double)p->ntargets * p->count - 1;
	double per_target = (double)(p->count ? p->count - 1 : 0) * (double)p->interval_ns;
	double gaps = p->ntargets > 1 ? sends * (double)p->gap_ns : 0;
	double spaced = sends * (double)p->spacing_ns;
	double need = per_target;

	if (gaps > need)
		need = gaps;
	if (spaced > need)
		need = spaced;
	need += (double)p->wait_ns;
	/* (double)INT64_MAX is 2^63, one past the largest int64_t. */
	return need >= (double)INT64_MAX ? INT64_MAX : (int64_t)need;
}

/* ---- answers ------------------------------------------------------------ */

/* Probe index has ended (answered, lost or failed): the target is done
 * when it was the last of its probes. */
static void ended(struct probe_run *r, uint32_t index)
{
	size_t t = index / r->p.count;

	if (++r->targets[t].ended == r->p.count && r->p.done && r->started[t] == T_STARTED)
		r->p.done(r->p.ctx, t);
}

const struct probe_slot *probe_slot_at(const struct probe_run *r, uint32_t index)
{
	return index < r->p.ntargets * r->p.count ? &r->slots[index] : NULL;
}

int probe_answer(struct probe_run *r, uint32_t index, int64_t rx_ns)
{
	struct probe_slot *s;
	struct probe_target *tg;
	uint32_t k;
	int64_t rtt;

	if (index >= r->p.ntargets * r->p.count)
		return 0;
	s = &r->slots[index];
	tg = &r->targets[index / r->p.count];
	k = index % r->p.count;
	if (s->state == PROBE_ANSWERED) {
		if (s->dups < UINT8_MAX)
			s->dups++;
		tg->dups++;
		return 2;
	}
	if (s->state != PROBE_WAITING)
		return 0;
	rtt = rx_ns - s->sent_ns;
	if (rtt < 0 || rtt > r->p.wait_ns) /* a stamp that cannot be right */
		rtt = mono_now_ns() - s->sent_ns;
	if (rtt > r->p.wait_ns)
		return 0; /* late: its wait has ended, or is about to */
	s->rtt_us = (uint32_t)((rtt + NS_PER_US / 2) / NS_PER_US);
	s->state = PROBE_ANSWERED;
	r->waiting--;
	if (k + 1 < tg->highest)
		tg->reordered++;
	else
		tg->highest = k + 1;
	ended(r, index);
	return 1;
}

int probe_error(struct probe_run *r, uint32_t index)
{
	struct probe_slot *s;

	if (index >= r->p.ntargets * r->p.count)
		return 0;
	s = &r->slots[index];
	if (s->state != PROBE_WAITING)
		return 0;
	s->state = PROBE_FAILED;
	r->waiting--;
	ended(r, index);
	return 1;
}

const struct probe_slot *probe_slots(const struct probe_run *r, size_t t)
{
	return &r->slots[t * r->p.count];
}

const struct probe_target *probe_target_info(const struct probe_run *r, size_t t)
{
	return &r->targets[t];
}

/* ---- the loop ----------------------------------------------------------- */

/* How long probe index waits now. */
static int64_t wait_for(const struct probe_run *r, uint32_t index)
{
	int64_t w;

	if (r->p.wait_of == NULL)
		return r->p.wait_ns;
	w = r->p.wait_of(r->p.ctx, index);
	return w < r->p.wait_ns ? w : r->p.wait_ns;
}

/* Ends the waits that are over.  With one wait for all, the FIFO's head
 * is then the next to end; with a wait per probe every waiting one is
 * looked at (a run that sets wait_of has few). */
static void expire(struct probe_run *r, int64_t now)
{
	for (size_t i = r->fhead; i < r->ftail; i++) {
		uint32_t index = r->fifo[i];
		struct probe_slot *s = &r->slots[index];

		if (s->state == PROBE_WAITING) {
			if (s->sent_ns + wait_for(r, index) > now) {
				if (r->p.wait_of == NULL)
					break;
				continue;
			}
			s->state = PROBE_LOST;
			r->waiting--;
			ended(r, index);
		}
		if (i == r->fhead && s->state != PROBE_WAITING)
			r->fhead++;
	}
}

/* When the next wait ends (INT64_MAX: none waits). */
static int64_t next_expiry(const struct probe_run *r)
{
	int64_t at = INT64_MAX;

	for (size_t i = r->fhead; i < r->ftail; i++) {
		uint32_t index = r->fifo[i];
		const struct probe_slot *s = &r->slots[index];
		int64_t end;

		if (s->state != PROBE_WAITING)
			continue;
		end = s->sent_ns + wait_for(r, index);
		if (end < at)
			at = end;
		if (r->p.wait_of == NULL)
			break;
	}
	return at;
}

/* Polls the caller's sockets and the resolver's for at most max_ns and
 * hands over what is ready. */
static void poll_once(struct probe_run *r, int64_t max_ns)
{
	struct pollfd pfd[PROBE_MAX_FDS + RESOLVER_FDS];
	size_t nres = 0;
	bool resolving = r->p.resolver && resolver_pending(r->p.resolver) > 0;
	int n;

	for (size_t i = 0; i < r->nfds; i++)
		pfd[i] = (struct pollfd){ .fd = r->fds[i], .events = POLLIN };
	if (resolving)
		nres = resolver_pollfds(r->p.resolver, pfd + r->nfds, RESOLVER_FDS);
	n = deadline_poll_ns(r->p.deadline, pfd, r->nfds + nres, max_ns);
	if (n < 0)
		return;
	for (size_t i = 0; i < r->nfds && n > 0; i++)
		if (pfd[i].revents)
			r->p.readable(r->p.ctx, pfd[i].fd, pfd[i].revents);
	if (resolving)
		resolver_process(r->p.resolver, pfd + r->nfds, nres);
}

/* Sends one probe of the target at the heap's top. */
static void send_one(struct probe_run *r, int64_t now)
{
	struct due d = heap_pop(r);
	struct probe_target *tg = &r->targets[d.t];
	unsigned k = tg->sent;
	uint32_t index = d.t * r->p.count + k;
	struct probe_slot *s = &r->slots[index];
	enum probe_send res;

	s->sent_ns = mono_now_ns();
	res = r->p.send(r->p.ctx, d.t, k, index);
	if (res == PROBE_AGAIN) {
		s->sent_ns = 0;
		heap_push(r, now + RETRY_NS, d.t);
		r->hold_until = now + RETRY_NS;
		return;
	}
	r->last_target = d.t;
	r->last_send_ns = s->sent_ns;
	tg->sent++;
	if (r->times.first_send_ns == 0)
		r->times.first_send_ns = s->sent_ns;
	r->times.last_send_ns = s->sent_ns;
	if (res == PROBE_SENT) {
		s->state = PROBE_WAITING;
		r->waiting++;
		r->fifo[r->ftail++] = index;
	} else {
		s->state = PROBE_FAILED;
	}
	if (k + 1 < r->p.count)
		heap_push(r, s->sent_ns + r->p.interval_ns, d.t);
	if (res != PROBE_SENT)
		ended(r, index); /* after the push: done may cancel the target */
}

/* When the probe at the heap's top may go: when it is due, the gap after
 * a probe to another target and the spacing after any probe have passed,
 * and the socket is not full.  INT64_MAX: nothing is due. */
static int64_t next_send_at(const struct probe_run *r)
{
	int64_t at, after;

	if (r->nheap == 0)
		return INT64_MAX;
	at = r->heap[0].at;
	if (r->last_send_ns != 0) {
		after = r->last_send_ns + r->p.spacing_ns;
		if (r->heap[0].t != r->last_target && r->p.gap_ns > r->p.spacing_ns)
			after = r->last_send_ns + r->p.gap_ns;
		if (after > at)
			at = after;
	}
	return at > r->hold_until ? at : r->hold_until;
}

/* Sends every probe that is due, reading the sockets between bursts. */
static void send_due(struct probe_run *r)
{
	unsigned burst = 0;
	int64_t now = mono_now_ns();

	while (next_send_at(r) <= now && now < r->p.deadline->end_ns) {
		send_one(r, now);
		if (++burst % SEND_BURST == 0)
			poll_once(r, 0);
		now = mono_now_ns();
	}
}

/* When the loop must wake next: a probe due, a wait ending, a resolver
 * timer.  -1: only the deadline. */
static int64_t next_wake(struct probe_run *r, int64_t now)
{
	int64_t at = next_send_at(r);
	int64_t end = next_expiry(r);

	if (end < at)
		at = end;
	if (r->p.resolver && resolver_pending(r->p.resolver) > 0) {
		int64_t ms = resolver_next_ms(r->p.resolver);

		if (ms >= 0 && now + ms * NS_PER_MS < at)
			at = now + ms * NS_PER_MS;
	}
	if (at == INT64_MAX)
		return -1;
	return at > now ? at - now : 0;
}

/* The deadline came: what still waits is cut short. */
static void cut(struct probe_run *r)
{
	for (size_t i = r->fhead; i < r->ftail; i++) {
		struct probe_slot *s = &r->slots[r->fifo[i]];

		if (s->state == PROBE_WAITING)
			s->state = PROBE_CUT;
	}
	r->waiting = 0;
	r->fhead = r->ftail;
}

static bool finished(struct probe_run *r)
{
	if (r->unstarted > 0 || r->nheap > 0 || r->waiting > 0)
		return false;
	r->times.end_ns = mono_now_ns();
	return true;
}

bool probe_run(struct probe_run *r)
{
	for (;;) {
		int64_t now = mono_now_ns();

		expire(r, now);
		if (finished(r))
			return true;
		if (now >= r->p.deadline->end_ns) {
			cut(r);
			r->times.end_ns = now;
			return false;
		}
		send_due(r);
		now = mono_now_ns();
		expire(r, now);
		if (finished(r))
			return true;
		poll_once(r, next_wake(r, now));
	}
}

const struct probe_times *probe_times(const struct probe_run *r)
{
	return &r->times;
}
