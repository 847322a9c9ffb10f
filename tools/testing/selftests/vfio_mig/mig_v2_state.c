// SPDX-License-Identifier: GPL-2.0
/*
 * Protocol v2 device states of an mdma instance: the migration flags and
 * the stop-copy size feature each kernel offers, every arc from every
 * reachable state, the error state, the v1 region reporting the same
 * state as v2 and the exclusion between a v1 and a v2 session.
 */
#include "kselftest_harness.h"
#include "mig_v2_util.h"
#include "mdma_fixture.h"

static const uint32_t targets[] = {
	VFIO_DEVICE_STATE_ERROR, VFIO_DEVICE_STATE_STOP,
	VFIO_DEVICE_STATE_RUNNING, VFIO_DEVICE_STATE_STOP_COPY,
	VFIO_DEVICE_STATE_RESUMING, VFIO_DEVICE_STATE_RUNNING_P2P,
	VFIO_DEVICE_STATE_PRE_COPY, VFIO_DEVICE_STATE_PRE_COPY_P2P, 8, 100,
};

FIXTURE(v2) {
	struct mdma m;
	struct vfio_mig_v1 v1;
	struct vfio_mig_v2_buf stream;
	bool precopy;
};

MDMA_FIXTURE_VARIANTS(v2);

FIXTURE_SETUP(v2)
{
	self->precopy = kernel_has_precopy();
	mdma_fixture_v1(_metadata, &self->m, &self->v1, variant->type, 0,
			false);
}

FIXTURE_TEARDOWN(v2)
{
	vfio_mig_v1_close(&self->v1);
	mdma_destroy(&self->m);
	vfio_mig_v2_buf_free(&self->stream);
}

/* The states a user can reach on this kernel. */
static bool settable(uint32_t st, bool precopy)
{
	if (st >= VFIO_DEVICE_STATE_STOP && st <= VFIO_DEVICE_STATE_RUNNING_P2P)
		return true;
	return precopy && (st == VFIO_DEVICE_STATE_PRE_COPY ||
			   st == VFIO_DEVICE_STATE_PRE_COPY_P2P);
}

/* What uapi allows from @from to @to (both maybe invalid). */
static bool arc_allowed(uint32_t from, uint32_t to, bool precopy)
{
	if (!settable(to, precopy))
		return false;
	return !(from == VFIO_DEVICE_STATE_STOP_COPY &&
		 (to == VFIO_DEVICE_STATE_PRE_COPY || to == VFIO_DEVICE_STATE_PRE_COPY_P2P));
}

/* Does an allowed arc return a data fd? */
static bool arc_fd(uint32_t from, uint32_t to)
{
	if (from == to)
		return false;
	return (v2_saving(to) && !v2_saving(from)) || to == VFIO_DEVICE_STATE_RESUMING;
}

/* The v1 device_state is the equivalent of @v2. */
static void check_v1(struct __test_metadata *_metadata,
		     struct _test_data_v2 *self, uint32_t v2)
{
	uint32_t v1 = mig_state(&self->v1);

	EXPECT_EQ(v1_of(v2), v1)
		TH_LOG("v2 %s: v1 device_state 0x%x",
		       vfio_mig_v2_state_name(v2), v1);
}

/* A whole stream of this instance, saved through v2; RUNNING after. */
static void save_stream(struct __test_metadata *_metadata,
			struct _test_data_v2 *self)
{
	ASSERT_EQ(0, v2_save_all(&self->m.dev, &self->stream))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_dev_reset(&self->m.dev));
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, v2_state(&self->m.dev));
}

/*
 * Reset the device and bring it to @st; a RESUMING device has the whole
 * saved stream written, so that leaving RESUMING succeeds. *fd: the data
 * fd of the state, or -1.
 */
static void reach(struct __test_metadata *_metadata, struct _test_data_v2 *self,
		  uint32_t st, int *fd)
{
	ASSERT_EQ(0, vfio_dev_reset(&self->m.dev));
	ASSERT_EQ(VFIO_DEVICE_STATE_RUNNING, v2_state(&self->m.dev));
	ASSERT_EQ(0, __v2_set(&self->m.dev, st, fd))
		TH_LOG("RUNNING -> %s: %s", vfio_mig_v2_state_name(st),
		       vfio_errmsg());
	ASSERT_EQ(arc_fd(VFIO_DEVICE_STATE_RUNNING, st), *fd >= 0);
	ASSERT_EQ(st, v2_state(&self->m.dev));
	if (st == VFIO_DEVICE_STATE_RESUMING)
		ASSERT_EQ(0, vfio_mig_v2_write_all(*fd, self->stream.data,
						   self->stream.len, 0))
			TH_LOG("%s", vfio_errmsg());
}

/* VFIO_DEVICE_FEATURE_MIGRATION reports what this kernel can do. */
TEST_F(v2, feature_flags)
{
	uint64_t flags, want = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P;

	if (self->precopy)
		want |= VFIO_MIGRATION_PRE_COPY;
	ASSERT_EQ(0, vfio_mig_v2_flags(&self->m.dev, &flags))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(want, flags) TH_LOG("flags 0x%llx, expected 0x%llx",
				      (unsigned long long)flags,
				      (unsigned long long)want);
	/* The v1 region is index 9. A fresh device is RUNNING in both. */
	EXPECT_EQ(9, self->v1.region.index);
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, v2_state(&self->m.dev));
	check_v1(_metadata, self, VFIO_DEVICE_STATE_RUNNING);
}

/*
 * Every target from every reachable state: allowed arcs succeed, give a
 * data fd exactly when they enter the saving group from outside it or
 * RESUMING, and read back in v2 and v1; a data fd whose session the arc
 * ended fails with ENODEV. Other targets fail with EINVAL and change
 * nothing.
 */
TEST_F_TIMEOUT(v2, every_arc, 600)
{
	unsigned int i, j, ok = 0, refused = 0;
	uint32_t from, to;
	uint8_t buf[4096];
	int fd_from, fd_to, ret;

	save_stream(_metadata, self);
	for (i = 0; i < ARRAY_SIZE(targets); i++) {
		from = targets[i];
		if (!settable(from, self->precopy))
			continue;
		for (j = 0; j < ARRAY_SIZE(targets); j++) {
			to = targets[j];
			reach(_metadata, self, from, &fd_from);
			ret = __v2_set(&self->m.dev, to, &fd_to);
			if (!arc_allowed(from, to, self->precopy)) {
				EXPECT_EQ(-EINVAL, ret)
					TH_LOG("%s -> %u (%s) was not refused",
					       vfio_mig_v2_state_name(from), to,
					       vfio_mig_v2_state_name(to));
				EXPECT_EQ(-1, fd_to);
				EXPECT_EQ(from, v2_state(&self->m.dev));
				check_v1(_metadata, self, from);
				refused++;
				close_fd(&fd_from);
				close_fd(&fd_to);
				continue;
			}
			EXPECT_EQ(0, ret) TH_LOG("%s -> %s: %s",
						 vfio_mig_v2_state_name(from),
						 vfio_mig_v2_state_name(to),
						 vfio_errmsg());
			EXPECT_EQ(arc_fd(from, to), fd_to >= 0)
				TH_LOG("%s -> %s: data fd %d",
				       vfio_mig_v2_state_name(from),
				       vfio_mig_v2_state_name(to), fd_to);
			EXPECT_EQ(to, v2_state(&self->m.dev))
				TH_LOG("%s -> %s",
				       vfio_mig_v2_state_name(from),
				       vfio_mig_v2_state_name(to));
			check_v1(_metadata, self, to);
			/* The new fd works the way its session goes. */
			if (fd_to >= 0 && v2_saving(to))
				EXPECT_EQ(sizeof(buf),
					  fd_read(fd_to, buf, sizeof(buf)));
			if (fd_to >= 0)
				EXPECT_EQ(v2_saving(to) ? O_RDONLY : O_WRONLY,
					  fcntl(fd_to, F_GETFL) & O_ACCMODE);
			/* The old one: still the session, or ended. */
			if (fd_from >= 0 && from != to) {
				bool kept = v2_saving(from) && v2_saving(to);

				EXPECT_EQ(kept ? 1 : -ENODEV, fd_poke(fd_from))
					TH_LOG("%s -> %s: old fd",
					       vfio_mig_v2_state_name(from),
					       vfio_mig_v2_state_name(to));
			}
			ok++;
			close_fd(&fd_from);
			close_fd(&fd_to);
		}
	}
	TH_LOG("%u arcs taken, %u refused", ok, refused);
	EXPECT_EQ(self->precopy ? 47 : 25, ok);
}

/*
 * The multi-step paths of the uapi's FSM go through in one call and end
 * where they should, with a working data fd only at their end.
 */
TEST_F_TIMEOUT(v2, multi_step_paths, 300)
{
	static const struct {
		uint32_t from, to;
		bool precopy;
	} paths[] = {
		{ VFIO_DEVICE_STATE_RUNNING, VFIO_DEVICE_STATE_STOP_COPY, false },
		{ VFIO_DEVICE_STATE_RUNNING, VFIO_DEVICE_STATE_RESUMING, false },
		{ VFIO_DEVICE_STATE_STOP_COPY, VFIO_DEVICE_STATE_RUNNING_P2P, false },
		{ VFIO_DEVICE_STATE_STOP_COPY, VFIO_DEVICE_STATE_RUNNING, false },
		{ VFIO_DEVICE_STATE_STOP_COPY, VFIO_DEVICE_STATE_RESUMING, false },
		{ VFIO_DEVICE_STATE_RESUMING, VFIO_DEVICE_STATE_RUNNING, false },
		{ VFIO_DEVICE_STATE_RESUMING, VFIO_DEVICE_STATE_STOP_COPY, false },
		{ VFIO_DEVICE_STATE_RUNNING_P2P, VFIO_DEVICE_STATE_STOP_COPY, false },
		{ VFIO_DEVICE_STATE_RUNNING_P2P, VFIO_DEVICE_STATE_RESUMING, false },
		{ VFIO_DEVICE_STATE_PRE_COPY, VFIO_DEVICE_STATE_STOP_COPY, true },
		{ VFIO_DEVICE_STATE_PRE_COPY, VFIO_DEVICE_STATE_RUNNING_P2P, true },
		{ VFIO_DEVICE_STATE_PRE_COPY, VFIO_DEVICE_STATE_STOP, true },
		{ VFIO_DEVICE_STATE_PRE_COPY, VFIO_DEVICE_STATE_RESUMING, true },
		{ VFIO_DEVICE_STATE_PRE_COPY_P2P, VFIO_DEVICE_STATE_RUNNING, true },
		{ VFIO_DEVICE_STATE_PRE_COPY_P2P, VFIO_DEVICE_STATE_RESUMING, true },
		{ VFIO_DEVICE_STATE_RESUMING, VFIO_DEVICE_STATE_PRE_COPY, true },
		{ VFIO_DEVICE_STATE_RESUMING, VFIO_DEVICE_STATE_PRE_COPY_P2P, true },
		{ VFIO_DEVICE_STATE_STOP, VFIO_DEVICE_STATE_PRE_COPY, true },
	};
	struct vfio_mig_v2_buf b = { 0 };
	unsigned int i, n = 0;
	int fd_from, fd_to;
	bool ended;

	save_stream(_metadata, self);
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		if (paths[i].precopy && !self->precopy)
			continue;
		reach(_metadata, self, paths[i].from, &fd_from);
		ASSERT_EQ(0, __v2_set(&self->m.dev, paths[i].to, &fd_to))
			TH_LOG("%s -> %s: %s",
			       vfio_mig_v2_state_name(paths[i].from),
			       vfio_mig_v2_state_name(paths[i].to),
			       vfio_errmsg());
		EXPECT_EQ(paths[i].to, v2_state(&self->m.dev));
		check_v1(_metadata, self, paths[i].to);
		EXPECT_EQ(arc_fd(paths[i].from, paths[i].to), fd_to >= 0);
		/* A stop-copy reached by a path gives the whole stream. */
		if (paths[i].to == VFIO_DEVICE_STATE_STOP_COPY) {
			int fd = fd_to >= 0 ? fd_to : fd_from;

			b.len = 0;
			ASSERT_EQ(0, vfio_mig_v2_read_all(fd, &b, 0, &ended))
				TH_LOG("%s", vfio_errmsg());
			EXPECT_TRUE(ended);
			if (fd_to >= 0)
				EXPECT_EQ(self->stream.len, b.len);
		}
		/* A RESUMING one takes a whole stream and commits it. */
		if (paths[i].to == VFIO_DEVICE_STATE_RESUMING) {
			ASSERT_LE(0, fd_to);
			ASSERT_EQ(0, vfio_mig_v2_write_all(fd_to,
							   self->stream.data,
							   self->stream.len,
							   65536))
				TH_LOG("%s", vfio_errmsg());
			EXPECT_EQ(0, __v2_set(&self->m.dev, VFIO_DEVICE_STATE_RUNNING, NULL))
				TH_LOG("%s", vfio_errmsg());
		}
		close_fd(&fd_from);
		close_fd(&fd_to);
		n++;
	}
	TH_LOG("%u paths", n);
	vfio_mig_v2_buf_free(&b);
}

/*
 * A failed load leaves the device in ERROR, in both protocols; from there
 * every set fails, ERROR included, and only VFIO_DEVICE_RESET leads out,
 * to RUNNING.
 */
TEST_F_TIMEOUT(v2, error_state, 300)
{
	struct mdma_digest before, after;
	unsigned int i;
	int fd, fd2;

	save_stream(_metadata, self);
	ASSERT_EQ(0, mdma_digest_read(self->m.uuid, &before));
	v2_set(&self->m.dev, VFIO_DEVICE_STATE_RESUMING, &fd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vfio_mig_v2_write_all(fd, self->stream.data,
					   self->stream.len / 2, 0));
	v2_set_err(ENODATA, &self->m.dev, VFIO_DEVICE_STATE_RUNNING, NULL);
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, v2_state(&self->m.dev));
	check_v1(_metadata, self, VFIO_DEVICE_STATE_ERROR);
	EXPECT_EQ(-ENODEV, fd_poke(fd));

	for (i = 0; i < ARRAY_SIZE(targets); i++) {
		EXPECT_EQ(-EINVAL, __v2_set(&self->m.dev, targets[i], &fd2))
			TH_LOG("ERROR -> %u (%s)", targets[i],
			       vfio_mig_v2_state_name(targets[i]));
		EXPECT_EQ(-1, fd2);
		close_fd(&fd2);
		EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, v2_state(&self->m.dev));
	}
	/* Nor does v1 lead out. */
	mig_set_err(EINVAL, &self->v1, VFIO_DEVICE_STATE_V1_RUNNING);
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, v2_state(&self->m.dev));

	ASSERT_EQ(0, vfio_dev_reset(&self->m.dev));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, v2_state(&self->m.dev));
	check_v1(_metadata, self, VFIO_DEVICE_STATE_RUNNING);
	EXPECT_EQ(-ENODEV, fd_poke(fd));
	close_fd(&fd);

	/* And the device loads a whole stream again. */
	ASSERT_EQ(0, v2_load_all(&self->m.dev, self->stream.data,
				 self->stream.len, 0)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(self->m.uuid, &after));
	EXPECT_STREQ("", mig_digest_diff(&before, &after));
}

/*
 * The v2 state user space is told for @v2: on a kernel whose uapi has no
 * PRE_COPY (6.1), a pre-copy the v1 region runs reads as the device runs.
 */
static uint32_t v2_as_told(uint32_t v2, bool precopy)
{
	if (precopy)
		return v2;
	if (v2 == VFIO_DEVICE_STATE_PRE_COPY)
		return VFIO_DEVICE_STATE_RUNNING;
	if (v2 == VFIO_DEVICE_STATE_PRE_COPY_P2P)
		return VFIO_DEVICE_STATE_RUNNING_P2P;
	return v2;
}

/* The v2 equivalent of a v1 state, inverse of v1_of(). */
static uint32_t v2_of_v1(uint32_t v1)
{
	uint32_t v2;

	for (v2 = VFIO_DEVICE_STATE_STOP; v2 <= VFIO_DEVICE_STATE_PRE_COPY_P2P; v2++)
		if (v1_of(v2) == v1)
			return v2;
	return NO_STATE;
}

/*
 * v2 reads what v1 wrote: the v1 equivalent of each v2 state written
 * from RUNNING, and a walk through the v1 arcs, read back as its v2
 * equivalent (as the running kernel's uapi can name it).
 */
TEST_F(v2, v2_follows_v1)
{
	static const uint32_t v2s[] = {
		VFIO_DEVICE_STATE_STOP, VFIO_DEVICE_STATE_RUNNING,
		VFIO_DEVICE_STATE_STOP_COPY, VFIO_DEVICE_STATE_PRE_COPY,
		VFIO_DEVICE_STATE_RESUMING, VFIO_DEVICE_STATE_RUNNING_P2P,
		VFIO_DEVICE_STATE_PRE_COPY_P2P,
	};
	static const uint32_t walk[] = {
		VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA,
		VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING |
			VFIO_DEVICE_STATE_V1_NDMA,
		VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING,
		VFIO_DEVICE_STATE_V1_SAVING,
		VFIO_DEVICE_STATE_V1_STOP,
		VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA,
		VFIO_DEVICE_STATE_V1_RUNNING,
		VFIO_DEVICE_STATE_V1_STOP,
		VFIO_DEVICE_STATE_V1_RESUMING,
	};
	unsigned int i, k;

	for (i = 0; i < ARRAY_SIZE(v2s); i++) {
		uint32_t v1 = v1_of(v2s[i]);

		ASSERT_EQ(0, vfio_dev_reset(&self->m.dev));
		ASSERT_EQ(0, __mig_set(&self->v1, v1)) TH_LOG("v1 0x%x", v1);
		EXPECT_EQ(v2_as_told(v2s[i], self->precopy),
			  v2_state(&self->m.dev))
			TH_LOG("v1 0x%x", v1);
	}
	ASSERT_EQ(0, vfio_dev_reset(&self->m.dev));
	for (i = 0; i < ARRAY_SIZE(walk); i++) {
		ASSERT_EQ(0, __mig_set(&self->v1, walk[i]))
			TH_LOG("step %u, v1 0x%x", i, walk[i]);
		for (k = 0; k < ARRAY_SIZE(v2s); k++)
			if (v1_of(v2s[k]) == walk[i])
				break;
		ASSERT_LT(k, ARRAY_SIZE(v2s));
		EXPECT_EQ(v2_as_told(v2s[k], self->precopy),
			  v2_state(&self->m.dev))
			TH_LOG("step %u, v1 0x%x", i, walk[i]);
	}
	ASSERT_EQ(0, vfio_dev_reset(&self->m.dev));
}

/*
 * While v1 has a session open (saving or resuming through the region),
 * every v2 set fails with EBUSY and changes nothing; both protocols report
 * the same state. Once the v1 session ends, v2 works again.
 */
TEST_F(v2, v1_session_excludes_v2)
{
	const uint32_t v1s[] = { VFIO_DEVICE_STATE_V1_SAVING,
				 VFIO_DEVICE_STATE_V1_SAVING |
					 VFIO_DEVICE_STATE_V1_RUNNING,
				 VFIO_DEVICE_STATE_V1_RESUMING };
	uint32_t v2;
	unsigned int i, j;
	int fd;

	for (i = 0; i < ARRAY_SIZE(v1s); i++) {
		ASSERT_EQ(0, vfio_dev_reset(&self->m.dev));
		mig_set(&self->v1, v1s[i]);
		v2 = v2_state(&self->m.dev);
		EXPECT_EQ(v2_as_told(v2_of_v1(v1s[i]), self->precopy), v2);
		for (j = 0; j < ARRAY_SIZE(targets); j++) {
			EXPECT_EQ(-EBUSY, __v2_set(&self->m.dev, targets[j], &fd))
				TH_LOG("v1 0x%x, v2 -> %u (%s)", v1s[i],
				       targets[j],
				       vfio_mig_v2_state_name(targets[j]));
			EXPECT_EQ(-1, fd);
			close_fd(&fd);
			EXPECT_EQ(v2, v2_state(&self->m.dev));
			EXPECT_EQ(v1s[i], mig_state(&self->v1));
		}
	}
	/* RESUMING -> STOP with nothing loaded fails: reset instead. */
	ASSERT_EQ(0, vfio_dev_reset(&self->m.dev));
	mig_set(&self->v1, VFIO_DEVICE_STATE_V1_SAVING);
	mig_set(&self->v1, VFIO_DEVICE_STATE_V1_STOP);
	EXPECT_EQ(0, __v2_set(&self->m.dev, VFIO_DEVICE_STATE_STOP_COPY, &fd))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_LE(0, fd);
	close_fd(&fd);
	EXPECT_EQ(0, __v2_set(&self->m.dev, VFIO_DEVICE_STATE_RUNNING, NULL));
}

/*
 * While v2 has a session open, v1 can read device_state (the same state)
 * but not write it, nor read data_offset or pending_bytes, nor write
 * data_size, nor touch the window: EBUSY, nothing changes. After the
 * session, v1 works again.
 */
TEST_F(v2, v2_session_excludes_v1)
{
	uint32_t states[] = { VFIO_DEVICE_STATE_STOP_COPY,
			      VFIO_DEVICE_STATE_RESUMING,
			      VFIO_DEVICE_STATE_PRE_COPY,
			      VFIO_DEVICE_STATE_PRE_COPY_P2P };
	const uint32_t writes[] = { VFIO_DEVICE_STATE_V1_STOP,
				    VFIO_DEVICE_STATE_V1_RUNNING,
				    VFIO_DEVICE_STATE_V1_SAVING,
				    VFIO_DEVICE_STATE_V1_SAVING |
					    VFIO_DEVICE_STATE_V1_RUNNING,
				    VFIO_DEVICE_STATE_V1_RESUMING };
	uint64_t win = self->v1.data_offset, v64 = 0;
	uint8_t page[64];
	unsigned int i, k;
	uint32_t v32;
	int fd;

	ASSERT_NE(0, win);
	for (i = 0; i < ARRAY_SIZE(states); i++) {
		if (!settable(states[i], self->precopy))
			continue;
		ASSERT_EQ(0, vfio_dev_reset(&self->m.dev));
		v2_set(&self->m.dev, states[i], &fd);
		ASSERT_LE(0, fd);
		for (k = 0; k < ARRAY_SIZE(writes); k++) {
			uint32_t w = writes[k];

			EXPECT_EQ(-EBUSY, __mig_set(&self->v1, w))
				TH_LOG("v2 %s, v1 write 0x%x",
				       vfio_mig_v2_state_name(states[i]), w);
		}
		EXPECT_EQ(-EBUSY, mig_rd(&self->v1, MIG_HDR(data_offset), &v64, 8));
		EXPECT_EQ(-EBUSY, mig_rd(&self->v1, MIG_HDR(pending_bytes), &v64, 8));
		v64 = 16;
		EXPECT_EQ(-EBUSY, mig_wr(&self->v1, MIG_HDR(data_size), &v64, 8));
		EXPECT_EQ(-EBUSY, mig_rd(&self->v1, win, page, sizeof(page)));
		memset(page, 0x5a, sizeof(page));
		EXPECT_EQ(-EBUSY, mig_wr(&self->v1, win, page, sizeof(page)));
		EXPECT_EQ(0, mig_rd(&self->v1, MIG_HDR(device_state), &v32, 4));
		EXPECT_EQ(v1_of(states[i]), v32);
		EXPECT_EQ(states[i], v2_state(&self->m.dev));
		/* The session is intact: its fd still works. */
		if (v2_saving(states[i]))
			EXPECT_EQ(1, fd_poke(fd));
		close_fd(&fd);
		ASSERT_EQ(0, vfio_dev_reset(&self->m.dev));
	}
	/* No session: v1 works. */
	v2_set(&self->m.dev, VFIO_DEVICE_STATE_STOP_COPY, &fd);
	v2_set(&self->m.dev, VFIO_DEVICE_STATE_STOP, NULL);
	EXPECT_EQ(-ENODEV, fd_poke(fd));
	close_fd(&fd);
	EXPECT_EQ(0, __mig_set(&self->v1, VFIO_DEVICE_STATE_V1_SAVING));
	EXPECT_EQ(0, mig_rd(&self->v1, MIG_HDR(data_offset), &v64, 8));
	EXPECT_EQ(win, v64);
	EXPECT_EQ(0, __mig_set(&self->v1, VFIO_DEVICE_STATE_V1_RUNNING));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, v2_state(&self->m.dev));
}

/*
 * VFIO_MIG_GET_PRECOPY_INFO works in the PRE_COPY states only: on a
 * STOP_COPY or RESUMING data fd, and on the fd of an ended session, it
 * fails with EINVAL, as the uapi says.
 */
TEST_F(v2, precopy_info_outside_precopy)
{
	uint64_t init, dirty;
	int fd;

	v2_set(&self->m.dev, VFIO_DEVICE_STATE_STOP_COPY, &fd);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, vfio_mig_v2_precopy_info(fd, &init, &dirty));
	v2_set(&self->m.dev, VFIO_DEVICE_STATE_STOP, NULL);
	EXPECT_EQ(-EINVAL, vfio_mig_v2_precopy_info(fd, &init, &dirty));
	close_fd(&fd);

	v2_set(&self->m.dev, VFIO_DEVICE_STATE_RESUMING, &fd);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, vfio_mig_v2_precopy_info(fd, &init, &dirty));
	close_fd(&fd);
	ASSERT_EQ(0, vfio_dev_reset(&self->m.dev));

	if (!self->precopy)
		return;
	/* The same fd, once PRE_COPY became STOP_COPY. */
	v2_set(&self->m.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, vfio_mig_v2_precopy_info(fd, &init, &dirty))
		TH_LOG("%s", vfio_errmsg());
	v2_set(&self->m.dev, VFIO_DEVICE_STATE_PRE_COPY_P2P, NULL);
	EXPECT_EQ(0, vfio_mig_v2_precopy_info(fd, &init, &dirty))
		TH_LOG("%s", vfio_errmsg());
	v2_set(&self->m.dev, VFIO_DEVICE_STATE_STOP_COPY, NULL);
	EXPECT_EQ(-EINVAL, vfio_mig_v2_precopy_info(fd, &init, &dirty));
	close_fd(&fd);
	v2_set(&self->m.dev, VFIO_DEVICE_STATE_STOP, NULL);
}

TEST_HARNESS_MAIN
