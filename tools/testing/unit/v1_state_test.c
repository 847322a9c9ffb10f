// SPDX-License-Identifier: GPL-2.0
/*
 * Host-native tests of the protocol v1 device_state table.
 */
#include "../../../drivers/vfio/mig/v1_state.h"
#include "kselftest_harness.h"

/* The tables below abbreviate the uapi bits. */
#define R	VFIO_DEVICE_STATE_V1_RUNNING
#define SV	VFIO_DEVICE_STATE_V1_SAVING
#define RS	VFIO_DEVICE_STATE_V1_RESUMING
#define N	VFIO_DEVICE_STATE_V1_NDMA

/*
 * The arcs of the v1 protocol as written in its documentation, listed one
 * by one: an oracle independent of the table in v1_state.c.
 */
static const struct { u32 from, to; } documented[] = {
	{ R, 0 }, { R, SV }, { R, SV | R }, { R, RS },		/* from running */
	{ SV | R, SV }, { SV | R, R }, { SV | R, 0 },		/* pre-copy */
	{ SV, 0 }, { SV, R },					/* stop-and-copy */
	{ 0, R }, { 0, SV }, { 0, SV | R }, { 0, RS },		/* stop */
	{ RS, R }, { RS, 0 },					/* resuming */
};

static bool settable(u32 s)
{
	u32 b = s & 7;

	if (s & ~15U)
		return false;
	if ((s & N) && !(s & R))
		return false;
	return b != 5 && b != 6 && b != 7;
}

static bool oracle(u32 from, u32 to)
{
	size_t i;

	if (!settable(from) || !settable(to))
		return false;
	if ((from & 7) == (to & 7))
		return true;
	for (i = 0; i < ARRAY_SIZE(documented); i++)
		if (documented[i].from == (from & 7) &&
		    documented[i].to == (to & 7))
			return true;
	return false;
}

TEST(matrix_matches_documentation)
{
	struct vfio_mig_v1_arc arc;
	u32 from, to;
	int ret;

	/* Every value of the low five bits from every value of them. */
	for (from = 0; from < 32; from++) {
		for (to = 0; to < 32; to++) {
			arc.actions = 0xdead;
			ret = vfio_mig_v1_arc(from, to, &arc);
			if (oracle(from, to)) {
				EXPECT_EQ(0, ret) TH_LOG("%u -> %u", from, to);
			} else {
				EXPECT_EQ(-EINVAL, ret)
					TH_LOG("%u -> %u", from, to);
				EXPECT_EQ(0xdead, arc.actions);
			}
		}
	}
}

TEST(reserved_bits_refused)
{
	struct vfio_mig_v1_arc arc;
	int bit;

	for (bit = 4; bit < 32; bit++) {
		EXPECT_EQ(-EINVAL, vfio_mig_v1_arc(R, R | (1U << bit), &arc));
		EXPECT_EQ(-EINVAL, vfio_mig_v1_arc(R, 1U << bit, &arc));
	}
}

TEST(error_state_is_sticky)
{
	struct vfio_mig_v1_arc arc;
	u32 to;

	for (to = 0; to < 16; to++)
		EXPECT_EQ(-EINVAL, vfio_mig_v1_arc(SV | RS, to, &arc));
	/* Nobody may ask for the error state either. */
	EXPECT_EQ(-EINVAL, vfio_mig_v1_arc(R, SV | RS, &arc));
}

struct arc_case {
	u32 from, to, actions;
	enum vfio_mig_run_level level;
};

static const struct arc_case cases[] = {
	{ R, SV | R, VFIO_MIG_ACT_SAVE_BEGIN | VFIO_MIG_ACT_LOG_START,
	  VFIO_MIG_RUNNING },
	{ SV | R, SV, VFIO_MIG_ACT_LEVEL_DOWN | VFIO_MIG_ACT_SAVE_FINAL,
	  VFIO_MIG_STOPPED },
	{ SV, 0, VFIO_MIG_ACT_SAVE_END, VFIO_MIG_STOPPED },
	{ SV, R, VFIO_MIG_ACT_SAVE_END | VFIO_MIG_ACT_LEVEL_UP,
	  VFIO_MIG_RUNNING },
	{ SV | R, R, VFIO_MIG_ACT_SAVE_END, VFIO_MIG_RUNNING },
	{ R, SV, VFIO_MIG_ACT_LEVEL_DOWN | VFIO_MIG_ACT_SAVE_BEGIN |
	  VFIO_MIG_ACT_SAVE_FINAL, VFIO_MIG_STOPPED },
	{ 0, SV, VFIO_MIG_ACT_SAVE_BEGIN | VFIO_MIG_ACT_SAVE_FINAL,
	  VFIO_MIG_STOPPED },
	{ R, RS, VFIO_MIG_ACT_LEVEL_DOWN | VFIO_MIG_ACT_RESUME_BEGIN,
	  VFIO_MIG_STOPPED },
	{ RS, R, VFIO_MIG_ACT_RESUME_COMMIT | VFIO_MIG_ACT_LEVEL_UP,
	  VFIO_MIG_RUNNING },
	{ RS, 0, VFIO_MIG_ACT_RESUME_COMMIT, VFIO_MIG_STOPPED },
	{ R, R | N, VFIO_MIG_ACT_LEVEL_DOWN, VFIO_MIG_RUNNING_NO_DMA },
	{ R | N, R, VFIO_MIG_ACT_LEVEL_UP, VFIO_MIG_RUNNING },
	{ R | N, SV | R | N, VFIO_MIG_ACT_SAVE_BEGIN | VFIO_MIG_ACT_LOG_START,
	  VFIO_MIG_RUNNING_NO_DMA },
	{ SV | R | N, SV, VFIO_MIG_ACT_LEVEL_DOWN | VFIO_MIG_ACT_SAVE_FINAL,
	  VFIO_MIG_STOPPED },
	{ R, R, 0, VFIO_MIG_RUNNING },
	{ RS, RS, 0, VFIO_MIG_STOPPED },
	{ 0, R, VFIO_MIG_ACT_LEVEL_UP, VFIO_MIG_RUNNING },
};

TEST(actions_of_each_arc)
{
	struct vfio_mig_v1_arc arc;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, vfio_mig_v1_arc(cases[i].from, cases[i].to, &arc));
		EXPECT_EQ(cases[i].actions, arc.actions)
			TH_LOG("%u -> %u", cases[i].from, cases[i].to);
		EXPECT_EQ(cases[i].level, arc.level);
	}
}

TEST(ndma_needs_running)
{
	struct vfio_mig_v1_arc arc;

	EXPECT_EQ(-EINVAL, vfio_mig_v1_arc(R, N, &arc));
	EXPECT_EQ(-EINVAL, vfio_mig_v1_arc(R, SV | N, &arc));
	EXPECT_EQ(-EINVAL, vfio_mig_v1_arc(R, RS | N, &arc));
	EXPECT_EQ(0, vfio_mig_v1_arc(R | N, 0, &arc));
	EXPECT_EQ(VFIO_MIG_ACT_LEVEL_DOWN, arc.actions);
}

TEST_HARNESS_MAIN
