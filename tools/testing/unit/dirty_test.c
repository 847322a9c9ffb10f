// SPDX-License-Identifier: GPL-2.0
/*
 * Host-native tests of the dirty bookkeeping, including markers racing
 * with the harvester.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../../drivers/vfio/mig/dirty.h"
#include "kselftest_harness.h"

#define NBITS	1000	/* not a multiple of the word size */

static unsigned long map[BITS_TO_LONGS(NBITS)];

static size_t popcount(void)
{
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		n += __builtin_popcountl(map[i]);
	return n;
}

TEST(mark_and_count)
{
	struct vfio_mig_dirty d;

	vfio_mig_dirty_init(&d, map, NBITS);
	EXPECT_EQ(0, vfio_mig_dirty_count(&d));
	vfio_mig_dirty_mark(&d, 10, 20);
	vfio_mig_dirty_mark(&d, 15, 25);	/* overlaps: counted once */
	EXPECT_EQ(15, vfio_mig_dirty_count(&d));
	vfio_mig_dirty_mark(&d, 990, 5000);	/* clamped at the end */
	EXPECT_EQ(25, vfio_mig_dirty_count(&d));
	EXPECT_EQ(25, popcount());
	vfio_mig_dirty_set_all(&d);
	EXPECT_EQ(NBITS, vfio_mig_dirty_count(&d));
	EXPECT_EQ(NBITS, popcount());
}

TEST(take_runs_in_order)
{
	struct vfio_mig_dirty d;
	size_t cursor = 0, start = 0, n;

	vfio_mig_dirty_init(&d, map, NBITS);
	vfio_mig_dirty_mark(&d, 3, 5);
	vfio_mig_dirty_mark(&d, 64, 100);
	vfio_mig_dirty_mark(&d, 999, 1000);

	n = vfio_mig_dirty_take(&d, &cursor, 16, &start);
	EXPECT_EQ(2, n);
	EXPECT_EQ(3, start);
	n = vfio_mig_dirty_take(&d, &cursor, 16, &start);
	EXPECT_EQ(16, n);			/* capped at max */
	EXPECT_EQ(64, start);
	n = vfio_mig_dirty_take(&d, &cursor, 100, &start);
	EXPECT_EQ(20, n);
	EXPECT_EQ(80, start);
	n = vfio_mig_dirty_take(&d, &cursor, 100, &start);
	EXPECT_EQ(1, n);
	EXPECT_EQ(999, start);
	EXPECT_EQ(0, vfio_mig_dirty_take(&d, &cursor, 100, &start));
	EXPECT_EQ(0, vfio_mig_dirty_count(&d));
	EXPECT_EQ(0, popcount());
}

TEST(round_ends_at_cursor)
{
	struct vfio_mig_dirty d;
	size_t cursor = 0, start = 0;

	vfio_mig_dirty_init(&d, map, NBITS);
	vfio_mig_dirty_mark(&d, 500, 501);
	EXPECT_EQ(1, vfio_mig_dirty_take(&d, &cursor, 8, &start));
	/* Dirtied behind the cursor: left for the next round. */
	vfio_mig_dirty_mark(&d, 100, 101);
	EXPECT_EQ(0, vfio_mig_dirty_take(&d, &cursor, 8, &start));
	EXPECT_EQ(1, vfio_mig_dirty_count(&d));
	cursor = 0;
	EXPECT_EQ(1, vfio_mig_dirty_take(&d, &cursor, 8, &start));
	EXPECT_EQ(100, start);
}

/* What the current round still holds: the bits at and after its cursor. */
TEST(count_from_cursor)
{
	static const size_t at[] = { 0, 1, 63, 64, 65, 127, 500, 999, 1000,
				     5000 };
	struct vfio_mig_dirty d;
	size_t i, b, want;

	vfio_mig_dirty_init(&d, map, NBITS);
	EXPECT_EQ(0, vfio_mig_dirty_count_from(&d, 0));
	for (b = 0; b < NBITS; b += 7)
		vfio_mig_dirty_mark(&d, b, b + 1 + b % 3);
	vfio_mig_dirty_mark(&d, 63, 66);
	vfio_mig_dirty_mark(&d, 999, 1000);
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		for (want = 0, b = at[i]; b < NBITS; b++)
			want += test_bit(b, map);
		EXPECT_EQ(want, vfio_mig_dirty_count_from(&d, at[i]))
			TH_LOG("from %zu", at[i]);
	}
	EXPECT_EQ(popcount(), vfio_mig_dirty_count_from(&d, 0));
	EXPECT_EQ(1, vfio_mig_dirty_count_from(&d, NBITS - 1));
}

struct racer {
	struct vfio_mig_dirty *d;
	unsigned int seed;
	int *stop;
	unsigned char *marked;
	size_t max_len;
};

static void *marker(void *arg)
{
	struct racer *r = arg;
	size_t first, len;

	while (!__atomic_load_n(r->stop, __ATOMIC_RELAXED)) {
		first = rand_r(&r->seed) % NBITS;
		len = 1 + rand_r(&r->seed) % r->max_len;
		vfio_mig_dirty_mark(r->d, first, first + len);
		for (; len && first < NBITS; len--, first++)
			__atomic_store_n(&r->marked[first], 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

struct writer {
	struct vfio_mig_dirty *d;
	unsigned int seed;
	int *stop;
	unsigned int *cell;
	size_t marks;
};

/* A device: write new contents into a run of chunks, then mark them. */
static void *writer(void *arg)
{
	struct writer *w = arg;
	unsigned int v = w->seed << 24;
	size_t first, len, i;

	while (!__atomic_load_n(w->stop, __ATOMIC_RELAXED)) {
		first = rand_r(&w->seed) % NBITS;
		len = 1 + rand_r(&w->seed) % 4;
		for (i = first; i < first + len && i < NBITS; i++)
			__atomic_store_n(&w->cell[i], ++v, __ATOMIC_RELAXED);
		vfio_mig_dirty_mark(w->d, first, first + len);
		__atomic_add_fetch(&w->marks, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The harvester of a save: take a round of runs, copy their contents. */
static size_t harvest(struct vfio_mig_dirty *d, const unsigned int *cell,
		      unsigned int *copy)
{
	size_t cursor = 0, start, n, i, got = 0;

	while ((n = vfio_mig_dirty_take(d, &cursor, 16, &start))) {
		for (i = start; i < start + n; i++)
			copy[i] = __atomic_load_n(&cell[i], __ATOMIC_RELAXED);
		got += n;
	}
	return got;
}

/*
 * What a migration needs of the bitmap: every write is in a copy made
 * after it, however the writers race with the harvester. Each episode
 * races writers against the harvester for a moment, stops them, and
 * takes one last round: the copy must then equal the cells, since a
 * mark lost to the harvester's clear leaves a cell behind. Only a lost
 * last write of a cell shows, so there are many short episodes.
 */
TEST(markers_race_with_harvester_no_write_lost)
{
	static unsigned int cell[NBITS], copy[NBITS];
	size_t i, ep, marks = 0, taken = 0, stale = 0, bad_eps = 0, n;
	struct vfio_mig_dirty d;
	struct writer w[3];
	pthread_t t[3];
	int stop;
	double end;

	vfio_mig_dirty_init(&d, map, NBITS);
	for (ep = 0; ep < 40; ep++) {
		stop = 0;
		for (i = 0; i < 3; i++) {
			w[i] = (struct writer){ &d, ep * 3 + i + 11, &stop,
						 cell, 0 };
			ASSERT_EQ(0, pthread_create(&t[i], NULL, writer,
						    &w[i]));
		}
		end = now_s() + 0.025;
		while (now_s() < end)
			taken += harvest(&d, cell, copy);
		__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
		for (i = 0; i < 3; i++) {
			pthread_join(t[i], NULL);
			marks += w[i].marks;
		}
		harvest(&d, cell, copy);
		for (n = 0, i = 0; i < NBITS; i++)
			n += cell[i] != copy[i];
		stale += n;
		bad_eps += !!n;
		memcpy(copy, cell, sizeof(copy));
	}
	TH_LOG("%zu marks, %zu chunks taken while they ran", marks, taken);
	EXPECT_LT(100000, taken) TH_LOG("the harvester hardly raced");
	EXPECT_EQ(0, stale)
		TH_LOG("%zu chunks lost their last write, in %zu of 40 episodes",
		       stale, bad_eps);
	EXPECT_EQ(0, vfio_mig_dirty_count(&d));
}

/*
 * A save session ends (clearing every bit) while the device and user
 * mappings still mark. The pending figure must still be the bits set:
 * a count kept beside them drifted above them here, and a stop-and-copy
 * then never saw pending reach zero.
 */
TEST(dirty_count_drift_clear_while_marking)
{
	static unsigned char marked[NBITS];
	struct vfio_mig_dirty d;
	struct racer r[2];
	pthread_t t[2];
	int stop = 0;
	size_t i, rounds, cursor, start;

	vfio_mig_dirty_init(&d, map, NBITS);
	for (i = 0; i < 2; i++) {
		/* Long runs: a clear lands inside a mark more often. */
		r[i] = (struct racer){ &d, i + 7, &stop, marked, NBITS };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, marker, &r[i]));
	}
	for (rounds = 0; rounds < 20000; rounds++)
		vfio_mig_dirty_clear_all(&d);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);

	EXPECT_EQ(popcount(), vfio_mig_dirty_count(&d));
	/* Harvesting what is left empties it for good. */
	cursor = 0;
	while (vfio_mig_dirty_take(&d, &cursor, 16, &start))
		;
	EXPECT_EQ(0, vfio_mig_dirty_count(&d));
	EXPECT_EQ(0, popcount());
}

TEST_HARNESS_MAIN
