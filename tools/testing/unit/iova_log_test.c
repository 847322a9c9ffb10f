// SPDX-License-Identifier: GPL-2.0
/*
 * Host-native tests of mdma's log of written IOVA pages: exact edges,
 * report-and-clear, the logged ranges, and a model check with a small
 * capacity where the log may report more than was written, never less.
 */
#include <stdlib.h>
#include <string.h>
#include "../../../samples/vfio-mdev/mdma_iova_log.h"
#include "kselftest_harness.h"

#define PG		4096ULL
#define MODEL_PAGES	512

static struct mdma_iova_run runs[MDMA_LOG_MAX_RUNS + 1];
static struct mdma_iova_run out[MDMA_LOG_MAX_RUNS + 1];

/* A log of one range [@first, @last] in bytes, 4 KiB pages. */
static void log_one(struct mdma_iova_log *log, struct mdma_iova_run *range,
		    u64 first, u64 last, unsigned int max_runs)
{
	range->first = first;
	range->last = last;
	if (mdma_iova_log_init(log, 12, range, 1, runs, max_runs))
		abort();
}

TEST(bad_arguments)
{
	struct mdma_iova_run r[3] = { { 0, PG - 1 }, { PG, 2 * PG - 1 } };
	struct mdma_iova_log log;

	EXPECT_EQ(-EINVAL, mdma_iova_log_init(&log, 12, r, 0, runs, 8));
	EXPECT_EQ(-EINVAL, mdma_iova_log_init(&log, 12, r,
					      MDMA_LOG_MAX_RANGES + 1,
					      runs, 8));
	EXPECT_EQ(-EINVAL, mdma_iova_log_init(&log, 64, r, 2, runs, 8));
	EXPECT_EQ(-EINVAL, mdma_iova_log_init(&log, 12, r, 2, runs, 0));
	r[0].first = 5;
	r[0].last = 4;		/* empty */
	EXPECT_EQ(-EINVAL, mdma_iova_log_init(&log, 12, r, 1, runs, 8));
	r[0] = (struct mdma_iova_run){ 0, 2 * PG };
	r[1] = (struct mdma_iova_run){ 2 * PG, 3 * PG - 1 };	/* overlap */
	EXPECT_EQ(-EINVAL, mdma_iova_log_init(&log, 12, r, 2, runs, 8));
	r[0] = (struct mdma_iova_run){ 4 * PG, 5 * PG - 1 };
	r[1] = (struct mdma_iova_run){ 0, PG - 1 };		/* unsorted */
	EXPECT_EQ(-EINVAL, mdma_iova_log_init(&log, 12, r, 2, runs, 8));
	r[0] = (struct mdma_iova_run){ 0, PG - 1 };
	r[1] = (struct mdma_iova_run){ PG, 2 * PG - 1 };
	EXPECT_EQ(0, mdma_iova_log_init(&log, 12, r, 2, runs, 8));
}

TEST(byte_exact_edges)
{
	struct mdma_iova_run range;
	struct mdma_iova_log log;
	unsigned int n;

	log_one(&log, &range, 0, 1024 * PG - 1, MDMA_LOG_MAX_RUNS);
	/* The last byte of page 9 and the first of page 11. */
	mdma_iova_log_mark(&log, 10 * PG - 1, 1);
	mdma_iova_log_mark(&log, 11 * PG, 1);
	n = mdma_iova_log_take(&log, 0, 1024 * PG, out);
	ASSERT_EQ(2, n);
	EXPECT_EQ(9 * PG, out[0].first);
	EXPECT_EQ(10 * PG - 1, out[0].last);
	EXPECT_EQ(11 * PG, out[1].first);
	EXPECT_EQ(12 * PG - 1, out[1].last);
	/* Reported means cleared. */
	EXPECT_EQ(0, mdma_iova_log_take(&log, 0, 1024 * PG, out));
}

TEST(adjacent_writes_are_one_run)
{
	struct mdma_iova_run range;
	struct mdma_iova_log log;

	log_one(&log, &range, 0, 1024 * PG - 1, MDMA_LOG_MAX_RUNS);
	mdma_iova_log_mark(&log, 20 * PG, 4 * PG);
	mdma_iova_log_mark(&log, 10 * PG, 10 * PG);
	mdma_iova_log_mark(&log, 24 * PG + 7, 3);
	EXPECT_EQ(1, log.nruns);
	ASSERT_EQ(1, mdma_iova_log_take(&log, 0, 1024 * PG, out));
	EXPECT_EQ(10 * PG, out[0].first);
	EXPECT_EQ(25 * PG - 1, out[0].last);
}

TEST(writes_outside_the_ranges)
{
	struct mdma_iova_run r[2] = {
		{ 16 * PG, 32 * PG - 1 }, { 64 * PG, 65 * PG - 1 },
	};
	struct mdma_iova_log log;
	unsigned int n;

	ASSERT_EQ(0, mdma_iova_log_init(&log, 12, r, 2, runs, 64));
	mdma_iova_log_mark(&log, 0, 16 * PG);		/* before */
	mdma_iova_log_mark(&log, 32 * PG, 32 * PG);	/* between */
	mdma_iova_log_mark(&log, 65 * PG, PG);		/* after */
	EXPECT_EQ(0, mdma_iova_log_take(&log, 0, 1ULL << 40, out));
	/* One write across all of it: only the ranges' parts. */
	mdma_iova_log_mark(&log, 0, 100 * PG);
	n = mdma_iova_log_take(&log, 0, 1ULL << 40, out);
	ASSERT_EQ(2, n);
	EXPECT_EQ(16 * PG, out[0].first);
	EXPECT_EQ(32 * PG - 1, out[0].last);
	EXPECT_EQ(64 * PG, out[1].first);
	EXPECT_EQ(65 * PG - 1, out[1].last);
}

TEST(take_cuts_runs_and_keeps_the_rest)
{
	struct mdma_iova_run range;
	struct mdma_iova_log log;
	unsigned int n;

	log_one(&log, &range, 0, 1024 * PG - 1, MDMA_LOG_MAX_RUNS);
	mdma_iova_log_mark(&log, 0, 100 * PG);
	/* The middle of the run: it splits in two. */
	n = mdma_iova_log_take(&log, 40 * PG, 10 * PG, out);
	ASSERT_EQ(1, n);
	EXPECT_EQ(40 * PG, out[0].first);
	EXPECT_EQ(50 * PG - 1, out[0].last);
	EXPECT_EQ(2, log.nruns);
	/* A range that cuts pages reports them and leaves them logged. */
	n = mdma_iova_log_take(&log, 10 * PG + 100, PG, out);
	ASSERT_EQ(1, n);
	EXPECT_EQ(10 * PG + 100, out[0].first);
	EXPECT_EQ(11 * PG + 99, out[0].last);
	n = mdma_iova_log_take(&log, 10 * PG, 2 * PG, out);
	ASSERT_EQ(1, n);
	EXPECT_EQ(10 * PG, out[0].first);
	EXPECT_EQ(12 * PG - 1, out[0].last);
	/* All of what is left: [0, 10), [12, 40), [50, 100). */
	n = mdma_iova_log_take(&log, 0, 1024 * PG, out);
	ASSERT_EQ(3, n);
	EXPECT_EQ(0, out[0].first);
	EXPECT_EQ(10 * PG - 1, out[0].last);
	EXPECT_EQ(12 * PG, out[1].first);
	EXPECT_EQ(40 * PG - 1, out[1].last);
	EXPECT_EQ(50 * PG, out[2].first);
	EXPECT_EQ(100 * PG - 1, out[2].last);
	EXPECT_EQ(0, log.nruns);
	EXPECT_EQ(0, mdma_iova_log_take(&log, 0, 0, out));
}

TEST(top_of_the_address_space)
{
	struct mdma_iova_run range;
	struct mdma_iova_log log;

	log_one(&log, &range, -(64 * PG), U64_MAX - 1, 8);
	mdma_iova_log_mark(&log, -(2 * PG), 2 * PG);	/* ends at 2^64 */
	mdma_iova_log_mark(&log, U64_MAX, 1);
	ASSERT_EQ(1, mdma_iova_log_take(&log, -(64 * PG), 64 * PG - 1, out));
	EXPECT_EQ(-(2 * PG), out[0].first);
	EXPECT_EQ(U64_MAX - 1, out[0].last);
	/* The last byte of the last page was not in the range: kept. */
	EXPECT_EQ(1, log.nruns);
	ASSERT_EQ(1, mdma_iova_log_take(&log, -PG, PG, out));
	EXPECT_EQ(0, log.nruns);
}

TEST(full_log_joins_the_closest_runs)
{
	struct mdma_iova_run range;
	struct mdma_iova_log log;
	unsigned int n;

	log_one(&log, &range, 0, 1024 * PG - 1, 2);
	mdma_iova_log_mark(&log, 0, PG);
	mdma_iova_log_mark(&log, 100 * PG, PG);
	mdma_iova_log_mark(&log, 103 * PG, PG);	/* 2 pages from page 100 */
	EXPECT_EQ(2, log.nruns);
	n = mdma_iova_log_take(&log, 0, 1024 * PG, out);
	ASSERT_EQ(2, n);
	EXPECT_EQ(0, out[0].first);
	EXPECT_EQ(PG - 1, out[0].last);
	EXPECT_EQ(100 * PG, out[1].first);
	EXPECT_EQ(104 * PG - 1, out[1].last);
}

/*
 * Random marks and takes against a page map. Every written page is
 * reported by the first take that covers it; with room for every run
 * nothing else is, and with two runs only pages that fall between
 * written ones may be.
 */
static void model_check(struct __test_metadata *_metadata,
			unsigned int max_runs, unsigned int seed)
{
	unsigned char written[MODEL_PAGES], seen[MODEL_PAGES];
	struct mdma_iova_run range;
	struct mdma_iova_log log;
	unsigned int step, i, n, p;

	srand(seed);
	log_one(&log, &range, 0, MODEL_PAGES * PG - 1, max_runs);
	memset(written, 0, sizeof(written));
	for (step = 0; step < 20000; step++) {
		u64 a = rand() % (MODEL_PAGES * PG + 8 * PG);
		u64 len = rand() % (16 * PG) + 1;

		if (rand() % 3) {
			mdma_iova_log_mark(&log, a, len);
			for (p = a / PG; p <= (a + len - 1) / PG; p++)
				if (p < MODEL_PAGES)
					written[p] = 1;
			continue;
		}
		if (!(rand() % 8)) {
			a = 0;
			len = MODEL_PAGES * PG;
		}
		n = mdma_iova_log_take(&log, a, len, out);
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < n; i++) {
			ASSERT_LE(a, out[i].first);
			ASSERT_GE(a + len - 1, out[i].last);
			ASSERT_LE(out[i].first, out[i].last);
			if (i)
				ASSERT_LT(out[i - 1].last, out[i].first);
			for (p = out[i].first / PG; p <= out[i].last / PG; p++)
				seen[p] = 1;
		}
		for (p = a / PG; p <= (a + len - 1) / PG && p < MODEL_PAGES;
		     p++) {
			/* Every written page; with room, no other. */
			ASSERT_TRUE(seen[p] || !written[p]);
			ASSERT_TRUE(!seen[p] || written[p] ||
				    max_runs < MODEL_PAGES);
			/* Wholly inside the range: cleared. */
			if (p * PG >= a && (p + 1) * PG - 1 <= a + len - 1)
				written[p] = 0;
		}
		ASSERT_LE(log.nruns, max_runs);
	}
}

TEST(model_exact)
{
	model_check(_metadata, MDMA_LOG_MAX_RUNS, 1);
	model_check(_metadata, MDMA_LOG_MAX_RUNS, 2);
}

TEST(model_full_log)
{
	model_check(_metadata, 2, 3);
	model_check(_metadata, 7, 4);
}

TEST_HARNESS_MAIN
