// SPDX-License-Identifier: GPL-2.0
/*
 * Host-native tests of the v2 <-> v1 state mapping: known answers taken
 * from both uapis, and every single arc of the v2 state
 * machine maps onto an allowed v1 arc with the documented effect.
 */
#include "../../../drivers/vfio/mig/v1_state.h"
#include "../../../drivers/vfio/mig/v2_state.h"
#include "kselftest_harness.h"

/*
 * The mapping, written down from the two uapis rather than from the
 * project's table: v2 states are include/uapi/linux/vfio.h's numbers
 * (STOP 1 ... PRE_COPY_P2P 7), v1 states the device_state bits
 * (RUNNING 1, SAVING 2, RESUMING 4, and NDMA 8 of the v1 NDMA proposal).
 */
static const struct { u32 v2, v1; } known[] = {
	{ 1, 0 },	/* STOP */
	{ 2, 1 },	/* RUNNING */
	{ 3, 2 },	/* STOP_COPY: SAVING */
	{ 4, 4 },	/* RESUMING */
	{ 5, 9 },	/* RUNNING_P2P: RUNNING | NDMA */
	{ 6, 3 },	/* PRE_COPY: RUNNING | SAVING */
	{ 7, 11 },	/* PRE_COPY_P2P: RUNNING | SAVING | NDMA */
};

TEST(known_answers)
{
	u32 v1, v2, want;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known); i++) {
		v1 = ~0U;
		ASSERT_EQ(0, vfio_mig_v2_to_v1(known[i].v2, &v1));
		EXPECT_EQ(known[i].v1, v1) TH_LOG("v2 state %u", known[i].v2);
	}
	/* Every v1 value: its v2 state, or ERROR for what is none. */
	for (v1 = 0; v1 < 32; v1++) {
		want = 0;
		for (i = 0; i < ARRAY_SIZE(known); i++)
			if (known[i].v1 == v1)
				want = known[i].v2;
		EXPECT_EQ(want, vfio_mig_v1_to_v2(v1)) TH_LOG("v1 %#x", v1);
	}
	EXPECT_EQ(-EINVAL, vfio_mig_v2_to_v1(0, &v1));	/* ERROR */
	for (v2 = 8; v2 < 64; v2++)
		EXPECT_EQ(-EINVAL, vfio_mig_v2_to_v1(v2, &v1));
	EXPECT_EQ(-EINVAL, vfio_mig_v2_to_v1(~0U, &v1));
}

/* The single arcs of Linux's v2 FSM (include/uapi/linux/vfio.h). */
static const struct { u32 from, to, actions; } arcs[] = {
	{ VFIO_MIG_V2_RUNNING_P2P, VFIO_MIG_V2_STOP, VFIO_MIG_ACT_LEVEL_DOWN },
	{ VFIO_MIG_V2_STOP_COPY, VFIO_MIG_V2_STOP, VFIO_MIG_ACT_SAVE_END },
	{ VFIO_MIG_V2_RESUMING, VFIO_MIG_V2_STOP, VFIO_MIG_ACT_RESUME_COMMIT },
	{ VFIO_MIG_V2_PRE_COPY, VFIO_MIG_V2_RUNNING, VFIO_MIG_ACT_SAVE_END },
	{ VFIO_MIG_V2_RUNNING_P2P, VFIO_MIG_V2_RUNNING,
	  VFIO_MIG_ACT_LEVEL_UP },
	{ VFIO_MIG_V2_PRE_COPY_P2P, VFIO_MIG_V2_RUNNING_P2P,
	  VFIO_MIG_ACT_SAVE_END },
	{ VFIO_MIG_V2_RUNNING, VFIO_MIG_V2_RUNNING_P2P,
	  VFIO_MIG_ACT_LEVEL_DOWN },
	{ VFIO_MIG_V2_STOP, VFIO_MIG_V2_RUNNING_P2P, VFIO_MIG_ACT_LEVEL_UP },
	{ VFIO_MIG_V2_RUNNING, VFIO_MIG_V2_PRE_COPY,
	  VFIO_MIG_ACT_SAVE_BEGIN | VFIO_MIG_ACT_LOG_START },
	{ VFIO_MIG_V2_RUNNING_P2P, VFIO_MIG_V2_PRE_COPY_P2P,
	  VFIO_MIG_ACT_SAVE_BEGIN | VFIO_MIG_ACT_LOG_START },
	{ VFIO_MIG_V2_STOP, VFIO_MIG_V2_STOP_COPY,
	  VFIO_MIG_ACT_SAVE_BEGIN | VFIO_MIG_ACT_SAVE_FINAL },
	{ VFIO_MIG_V2_PRE_COPY, VFIO_MIG_V2_PRE_COPY_P2P,
	  VFIO_MIG_ACT_LEVEL_DOWN },
	{ VFIO_MIG_V2_PRE_COPY_P2P, VFIO_MIG_V2_PRE_COPY,
	  VFIO_MIG_ACT_LEVEL_UP },
	{ VFIO_MIG_V2_PRE_COPY_P2P, VFIO_MIG_V2_STOP_COPY,
	  VFIO_MIG_ACT_LEVEL_DOWN | VFIO_MIG_ACT_SAVE_FINAL },
	{ VFIO_MIG_V2_STOP, VFIO_MIG_V2_RESUMING,
	  VFIO_MIG_ACT_RESUME_BEGIN },
};

TEST(every_v2_arc_is_a_v1_arc)
{
	struct vfio_mig_v1_arc arc;
	u32 from, to;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(arcs); i++) {
		ASSERT_EQ(0, vfio_mig_v2_to_v1(arcs[i].from, &from));
		ASSERT_EQ(0, vfio_mig_v2_to_v1(arcs[i].to, &to));
		ASSERT_EQ(0, vfio_mig_v1_arc(from, to, &arc))
			TH_LOG("v2 %u -> %u", arcs[i].from, arcs[i].to);
		EXPECT_EQ(arcs[i].actions, arc.actions)
			TH_LOG("v2 %u -> %u", arcs[i].from, arcs[i].to);
	}
}

TEST(forbidden_v2_arcs_are_forbidden_in_v1)
{
	struct vfio_mig_v1_arc arc;
	u32 from, to;

	/* STOP_COPY -> PRE_COPY(_P2P) is not permitted in v2. */
	ASSERT_EQ(0, vfio_mig_v2_to_v1(VFIO_MIG_V2_STOP_COPY, &from));
	ASSERT_EQ(0, vfio_mig_v2_to_v1(VFIO_MIG_V2_PRE_COPY, &to));
	EXPECT_EQ(-EINVAL, vfio_mig_v1_arc(from, to, &arc));
	ASSERT_EQ(0, vfio_mig_v2_to_v1(VFIO_MIG_V2_PRE_COPY_P2P, &to));
	EXPECT_EQ(-EINVAL, vfio_mig_v1_arc(from, to, &arc));
}

/*
 * A kernel without PRE_COPY (6.1) must never be told a state its uapi
 * does not name, whichever channel runs a pre-copy: every state maps to
 * a value below VFIO_MIG_V2_PRE_COPY there, and to itself on 6.2+.
 */
TEST(v2_get_state_6_1_names_only_known_states)
{
	static const u32 v1s[] = {
		0, VFIO_DEVICE_STATE_V1_RUNNING, VFIO_DEVICE_STATE_V1_SAVING,
		VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_SAVING,
		VFIO_DEVICE_STATE_V1_RESUMING, VFIO_DEVICE_STATE_SET_ERROR(0),
		VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA,
		VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_SAVING |
			VFIO_DEVICE_STATE_V1_NDMA,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v1s); i++) {
		EXPECT_GT(VFIO_MIG_V2_PRE_COPY,
			  vfio_mig_v1_to_v2_known(v1s[i], false))
			TH_LOG("v1 %#x", v1s[i]);
		EXPECT_EQ(vfio_mig_v1_to_v2(v1s[i]),
			  vfio_mig_v1_to_v2_known(v1s[i], true));
	}
	EXPECT_EQ(VFIO_MIG_V2_RUNNING,
		  vfio_mig_v1_to_v2_known(VFIO_DEVICE_STATE_V1_RUNNING |
					  VFIO_DEVICE_STATE_V1_SAVING, false));
	EXPECT_EQ(VFIO_MIG_V2_RUNNING_P2P,
		  vfio_mig_v1_to_v2_known(VFIO_DEVICE_STATE_V1_RUNNING |
					  VFIO_DEVICE_STATE_V1_SAVING |
					  VFIO_DEVICE_STATE_V1_NDMA, false));
}

TEST_HARNESS_MAIN
