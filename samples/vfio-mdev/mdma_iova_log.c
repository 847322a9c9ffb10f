// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: the log of IOVA pages the DMA engine wrote (see mdma_iova_log.h).
 */
#include "mdma_iova_log.h"

/**
 * mdma_iova_log_init() - start an empty log of the given ranges
 * @log: the log
 * @shift: log2 of its page size, below 64
 * @ranges: the ranges to log, in bytes, sorted and disjoint; turned
 *	into pages in place and kept by the log
 * @nranges: entries in @ranges, 1 to MDMA_LOG_MAX_RANGES
 * @runs: room for @max_runs + 1 runs, kept by the log
 * @max_runs: how many runs the log holds, at least 1
 *
 * Return: 0, or -EINVAL if the arguments break the rules above.
 */
int mdma_iova_log_init(struct mdma_iova_log *log, unsigned int shift,
		       struct mdma_iova_run *ranges, unsigned int nranges,
		       struct mdma_iova_run *runs, unsigned int max_runs)
{
	unsigned int i;

	if (shift >= 64 || !nranges || nranges > MDMA_LOG_MAX_RANGES ||
	    !max_runs)
		return -EINVAL;
	for (i = 0; i < nranges; i++) {
		if (ranges[i].first > ranges[i].last)
			return -EINVAL;
		if (i && ranges[i].first <= ranges[i - 1].last)
			return -EINVAL;
	}
	/* Two ranges may now share a page: marks merge, so no matter. */
	for (i = 0; i < nranges; i++) {
		ranges[i].first >>= shift;
		ranges[i].last >>= shift;
	}
	log->shift = shift;
	log->ranges = ranges;
	log->nranges = nranges;
	log->runs = runs;
	log->nruns = 0;
	log->max_runs = max_runs;
	return 0;
}

/* The first run that ends at or after page @page, or nruns. */
static unsigned int mdma_iova_log_find(const struct mdma_iova_log *log,
				       u64 page)
{
	unsigned int lo = 0, hi = log->nruns;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (log->runs[mid].last < page)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Remove runs [@from, @to) and put the @nnew runs of @add there. */
static void mdma_iova_log_splice(struct mdma_iova_log *log, unsigned int from,
				 unsigned int to,
				 const struct mdma_iova_run *add,
				 unsigned int nnew)
{
	memmove(&log->runs[from + nnew], &log->runs[to],
		(log->nruns - to) * sizeof(*log->runs));
	memcpy(&log->runs[from], add, nnew * sizeof(*add));
	log->nruns = log->nruns - (to - from) + nnew;
}

/* Over capacity by one: join the two runs closest to each other. */
static void mdma_iova_log_squeeze(struct mdma_iova_log *log)
{
	struct mdma_iova_run joined;
	unsigned int i, best = 0;
	u64 gap, best_gap = U64_MAX;

	if (log->nruns <= log->max_runs)
		return;
	for (i = 0; i + 1 < log->nruns; i++) {
		gap = log->runs[i + 1].first - log->runs[i].last;
		if (gap < best_gap) {
			best_gap = gap;
			best = i;
		}
	}
	joined.first = log->runs[best].first;
	joined.last = log->runs[best + 1].last;
	mdma_iova_log_splice(log, best, best + 2, &joined, 1);
}

/* Add pages [@first, @last], merging with the runs they touch. */
static void mdma_iova_log_add(struct mdma_iova_log *log, u64 first, u64 last)
{
	struct mdma_iova_run run = { first, last };
	unsigned int i, j;

	/* Runs that end right before @first touch it too. */
	i = mdma_iova_log_find(log, first ? first - 1 : 0);
	for (j = i; j < log->nruns; j++) {
		if (last != U64_MAX && log->runs[j].first > last + 1)
			break;
		run.first = min(run.first, log->runs[j].first);
		run.last = max(run.last, log->runs[j].last);
	}
	mdma_iova_log_splice(log, i, j, &run, 1);
	mdma_iova_log_squeeze(log);
}

/* Drop pages [@first, @last]; a run around them splits in two. */
static void mdma_iova_log_clear(struct mdma_iova_log *log, u64 first,
				u64 last)
{
	struct mdma_iova_run keep[2];
	unsigned int i, j, n = 0;

	i = mdma_iova_log_find(log, first);
	for (j = i; j < log->nruns && log->runs[j].first <= last; j++)
		;
	if (i == j)
		return;
	if (log->runs[i].first < first) {
		keep[n].first = log->runs[i].first;
		keep[n++].last = first - 1;
	}
	if (log->runs[j - 1].last > last) {
		keep[n].first = last + 1;
		keep[n++].last = log->runs[j - 1].last;
	}
	mdma_iova_log_splice(log, i, j, keep, n);
	mdma_iova_log_squeeze(log);
}

/* The last byte of [@iova, @iova + @len), which is not empty. */
static u64 mdma_iova_last(u64 iova, u64 len)
{
	u64 last = iova + len - 1;

	return last < iova ? U64_MAX : last;
}

/**
 * mdma_iova_log_mark() - log a write of the engine
 * @log: the log
 * @iova: first byte written
 * @len: bytes written; 0 logs nothing
 *
 * Logs the pages of the write that lie in the logged ranges.
 */
void mdma_iova_log_mark(struct mdma_iova_log *log, u64 iova, u64 len)
{
	u64 first, last;
	unsigned int i;

	if (!len)
		return;
	first = iova >> log->shift;
	last = mdma_iova_last(iova, len) >> log->shift;
	for (i = 0; i < log->nranges; i++) {
		u64 a = max(first, log->ranges[i].first);
		u64 b = min(last, log->ranges[i].last);

		if (a <= b)
			mdma_iova_log_add(log, a, b);
	}
}

/**
 * mdma_iova_log_take() - report and clear the written pages of a range
 * @log: the log
 * @iova: first byte of the range
 * @len: bytes in the range; 0 reports nothing
 * @out: room for @log->max_runs runs
 *
 * Fills @out with the written pages that touch the range, as byte ranges
 * cut to it, in IOVA order, and clears the pages that lie wholly inside
 * it. A page the range covers only in part stays logged: the rest of it
 * is reported by a later call.
 *
 * Return: the number of runs in @out.
 */
unsigned int mdma_iova_log_take(struct mdma_iova_log *log, u64 iova, u64 len,
				struct mdma_iova_run *out)
{
	u64 mask = (1ULL << log->shift) - 1;
	u64 last, first_pg, last_pg;
	unsigned int i, n = 0;

	if (!len)
		return 0;
	last = mdma_iova_last(iova, len);
	first_pg = iova >> log->shift;
	last_pg = last >> log->shift;
	for (i = mdma_iova_log_find(log, first_pg);
	     i < log->nruns && log->runs[i].first <= last_pg; i++) {
		out[n].first = max(log->runs[i].first << log->shift, iova);
		out[n++].last = min((log->runs[i].last << log->shift) | mask,
				    last);
	}
	/* Only the pages wholly inside; iova & mask implies shift > 0. */
	if (iova & mask)
		first_pg++;
	if ((last & mask) != mask) {
		if (!last_pg)
			return n;
		last_pg--;
	}
	if (first_pg <= last_pg)
		mdma_iova_log_clear(log, first_pg, last_pg);
	return n;
}
