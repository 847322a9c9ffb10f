// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol v1 device_state machine of mdma: every value written from
 * every reachable state, NDMA, and leaving the error state by a reset.
 */
#include "kselftest_harness.h"
#include "mig_v1_util.h"
#include "mdma_fixture.h"

#define GUARD		0xee
#define NO_DMA_MS	300

FIXTURE(state) {
	struct mdma m;
	struct vfio_mig_v1 mig;
	struct vfio_dma_buf buf;
};

MDMA_FIXTURE_VARIANTS(state);

FIXTURE_SETUP(state)
{
	mdma_fixture_v1(_metadata, &self->m, &self->mig, variant->type,
			MDMA_SETUP_ENABLE, true);
}

FIXTURE_TEARDOWN(state)
{
	vfio_mig_v1_close(&self->mig);
	vfio_dma_free(NULL, &self->buf);
	mdma_destroy(&self->m);
}

/*
 * The protocol's arcs, written out here rather than taken from the
 * driver. The base states are the values 0 to 4 (STOP, RUNNING, STOP_COPY,
 * PRE_COPY, RESUMING), and ok[from base] has bit "to base" set when the
 * arc is allowed. NDMA only with RUNNING, reserved bits never, nothing
 * from the error state.
 */
static bool arc_allowed(uint32_t from, uint32_t to)
{
	static const uint8_t ok[8] = {
		0x1f,	/* STOP: to any */
		0x1f,	/* RUNNING: to any */
		0x07,	/* STOP_COPY: to STOP, RUNNING, STOP_COPY */
		0x0f,	/* PRE_COPY: and to PRE_COPY */
		0x13,	/* RESUMING: to STOP, RUNNING, RESUMING */
	};

	if (to & ~(VFIO_DEVICE_STATE_MASK | VFIO_DEVICE_STATE_V1_NDMA))
		return false;
	if ((to & VFIO_DEVICE_STATE_V1_NDMA) && !(to & VFIO_DEVICE_STATE_V1_RUNNING))
		return false;
	return (ok[from & VFIO_DEVICE_STATE_MASK] >>
		(to & VFIO_DEVICE_STATE_MASK)) & 1;
}

/* A good stream of this device, to make RESUMING a state one can leave. */
static int good_stream(struct vfio_mig_v1 *mig, struct mig_stream *s)
{
	int ret;

	ret = mig_save_all(mig, s);
	if (!ret)
		ret = vfio_dev_reset(mig->dev);
	return ret;
}

/*
 * Reset, then the writes that reach @start. RESUMING gets a whole stream
 * (so STOP and RUNNING can commit it); the error state is reached by a
 * chunk the device refuses.
 */
static int build(struct vfio_mig_v1 *mig, uint32_t start,
		 const struct mig_stream *good)
{
	static const uint8_t junk[64] = { 0x42 };
	int ret;

	ret = vfio_dev_reset(mig->dev);
	if (ret)
		return ret;
	if (mig_state(mig) != VFIO_DEVICE_STATE_V1_RUNNING)
		return vfio_set_error(-EIO, "reset left state 0x%x",
				      mig_state(mig));
	switch (start) {
	case VFIO_DEVICE_STATE_V1_RUNNING:
		return 0;
	case VFIO_DEVICE_STATE_V1_RESUMING:
		ret = __mig_set(mig, VFIO_DEVICE_STATE_V1_RESUMING);
		if (!ret)
			ret = mig_load_range(mig, good, 0, good->nchunks);
		return ret;
	case VFIO_DEVICE_STATE_SET_ERROR(0):
		ret = __mig_set(mig, VFIO_DEVICE_STATE_V1_RESUMING);
		if (ret)
			return ret;
		ret = mig_feed_raw(mig, junk, sizeof(junk));
		if (ret != -EBADMSG)
			return vfio_set_error(-EIO, "junk chunk: %d", ret);
		if (mig_state(mig) != VFIO_DEVICE_STATE_SET_ERROR(0))
			return vfio_set_error(-EIO, "junk left state 0x%x",
					      mig_state(mig));
		return 0;
	case VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA:
		ret = __mig_set(mig, VFIO_DEVICE_STATE_V1_SAVING |
				     VFIO_DEVICE_STATE_V1_RUNNING);
		return ret ?: __mig_set(mig, start);
	default:
		return __mig_set(mig, start);
	}
}

static const uint32_t starts[] = {
	VFIO_DEVICE_STATE_V1_STOP,
	VFIO_DEVICE_STATE_V1_RUNNING,
	VFIO_DEVICE_STATE_V1_SAVING,
	VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING,
	VFIO_DEVICE_STATE_V1_RESUMING,
	VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA,
	VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING |
		VFIO_DEVICE_STATE_V1_NDMA,
	VFIO_DEVICE_STATE_SET_ERROR(0),
};

/* Every low value, and some with reserved bits. */
static const uint32_t values[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	0x10, 0x11, 0x13, 0x20 | VFIO_DEVICE_STATE_V1_SAVING,
	0x100 | VFIO_DEVICE_STATE_V1_RUNNING,
	0x80000000 | VFIO_DEVICE_STATE_V1_RUNNING, 0x80000000, 0xffffffff,
};

TEST_F_TIMEOUT(state, transition_matrix, 600)
{
	struct mig_stream good = { 0 };
	unsigned int i, j, bad = 0;
	uint32_t from, to, now;
	int ret, want;

	ASSERT_EQ(0, good_stream(&self->mig, &good))
		TH_LOG("%s", vfio_errmsg());
	for (i = 0; i < ARRAY_SIZE(starts); i++) {
		from = starts[i];
		for (j = 0; j < ARRAY_SIZE(values); j++) {
			to = values[j];
			ASSERT_EQ(0, build(&self->mig, from, &good))
				TH_LOG("reaching 0x%x: %s", from,
				       vfio_errmsg());
			ASSERT_EQ(from, mig_state(&self->mig));
			ret = __mig_set(&self->mig, to);
			now = mig_state(&self->mig);
			want = arc_allowed(from, to) ? 0 : -EINVAL;
			if (ret != want || now != (want ? from : to)) {
				bad++;
				TH_LOG("0x%x -> 0x%x: %d, want %d; state 0x%x, want 0x%x",
				       from, to, ret, want, now,
				       want ? from : to);
			}
		}
	}
	EXPECT_EQ(0, bad);
	mig_stream_free(&good);
}

/* The same arc written twice in a row keeps working. */
TEST_F(state, same_state_again)
{
	uint32_t st[] = {
		VFIO_DEVICE_STATE_V1_RUNNING,
		VFIO_DEVICE_STATE_V1_STOP,
		VFIO_DEVICE_STATE_V1_STOP,
		VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING,
		VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING,
		VFIO_DEVICE_STATE_V1_SAVING,
		VFIO_DEVICE_STATE_V1_SAVING,
		VFIO_DEVICE_STATE_V1_STOP,
		VFIO_DEVICE_STATE_V1_RESUMING,
		VFIO_DEVICE_STATE_V1_RESUMING
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(st); i++) {
		EXPECT_EQ(0, __mig_set(&self->mig, st[i])) TH_LOG("0x%x", st[i]);
		EXPECT_EQ(st[i], mig_state(&self->mig));
	}
}

/*
 * RUNNING|NDMA: queued DMA does not run (DMA_COMPLETED stays, the guest
 * buffer is untouched) while registers and device memory are served;
 * clearing NDMA lets it run.
 */
TEST_F(state, ndma_holds_dma)
{
	struct mdma *m = &self->m;
	const size_t len = 256 << 10;
	uint32_t v;

	ASSERT_TRUE(self->mig.ndma);
	ASSERT_EQ(0, vfio_dma_alloc(&m->container, MIG_IOVA, len, &self->buf))
		TH_LOG("%s", vfio_errmsg());
	memset(self->buf.vaddr, GUARD, len);

	mig_set(&self->mig, VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA);
	ASSERT_EQ(VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA, mig_state(&self->mig));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ALL));
	ASSERT_EQ(0, mdma_submit(m, MDMA_CMD_FILL_GUEST, 0, MIG_IOVA, len,
				 0x44332211));
	ASSERT_EQ(0, mdma_submit(m, MDMA_CMD_FILL_GUEST, 0, MIG_IOVA + 100,
				 16, 0x55555555));
	usleep(NO_DMA_MS * 1000);
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_DMA_COMPLETED));
	EXPECT_EQ(2, mdma_reg(m, MDMA_REG_DMA_QUEUED));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_IRQ_STATUS));
	EXPECT_EQ(-1, mdma_check_byte(self->buf.vaddr, len, GUARD))
		TH_LOG("guest memory written while NDMA");

	/* MMIO is served. */
	EXPECT_EQ(MDMA_ID, mdma_reg(m, MDMA_REG_ID));
	EXPECT_EQ(0, mdma_wr(m, MDMA_REG_SCRATCH, 0x600dcafe));
	EXPECT_EQ(0x600dcafe, mdma_reg(m, MDMA_REG_SCRATCH));
	EXPECT_EQ(0, mdma_wr(m, MDMA_REG_DMA_LEN, 77));
	EXPECT_EQ(77, mdma_reg(m, MDMA_REG_DMA_LEN));
	v = 0x01020304;
	EXPECT_EQ(0, vfio_region_write(&m->dev, &m->bar2, 4096, &v, 4));
	v = 0;
	EXPECT_EQ(0, vfio_region_read(&m->dev, &m->bar2, 4096, &v, 4));
	EXPECT_EQ(0x01020304, v);
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA, mig_state(&self->mig));

	/* Clearing NDMA lets both run, in order. */
	mig_set(&self->mig, VFIO_DEVICE_STATE_V1_RUNNING);
	ASSERT_EQ(0, mdma_wait(m, MDMA_IRQ_DONE, MDMA_TIMEOUT_MS))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(2, mdma_reg(m, MDMA_REG_DMA_COMPLETED));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_DMA_ERROR));
	v = 0;
	memcpy(&v, (uint8_t *)self->buf.vaddr + len - 4, 4);
	EXPECT_EQ(0x44332211, v);
	memcpy(&v, (uint8_t *)self->buf.vaddr + 100, 4);
	EXPECT_EQ(0x55555555, v);
}

/* Bytes at the start of @g that a fill with 0x01010101 wrote. */
static size_t filled(const uint8_t *g, size_t len)
{
	long first = mdma_check_byte(g, len, 1);

	return first < 0 ? len : (size_t)first;
}

/*
 * Entering NDMA while a long descriptor runs stops it between two chunks
 * with nothing pinned; leaving NDMA finishes it.
 */
TEST_F(state, ndma_parks_running_dma)
{
	struct mdma *m = &self->m;
	const size_t len = 16 << 20;
	uint8_t *g;
	uint64_t pinned;
	size_t done, again;

	ASSERT_EQ(0, vfio_dma_alloc(&m->container, MIG_IOVA, len, &self->buf))
		TH_LOG("%s", vfio_errmsg());
	g = self->buf.vaddr;
	memset(g, GUARD, len);
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ALL));
	ASSERT_EQ(0, mdma_submit(m, MDMA_CMD_FILL_GUEST, 0, MIG_IOVA, len,
				 0x01010101));
	/*
	 * Wait for the first byte, then hold the engine. Whether the
	 * descriptor still runs is decided before anything is checked:
	 * once NDMA was written to a running one, a completed descriptor
	 * is NDMA waiting for the end instead of parking it, a failure.
	 */
	ASSERT_EQ(0, mig_wait_first_byte(g, GUARD));
	if (mdma_reg(m, MDMA_REG_DMA_COMPLETED))
		SKIP(return, "the descriptor ended before NDMA could be set");
	mig_set(&self->mig, VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA);
	done = filled(g, len);
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_DMA_COMPLETED))
		TH_LOG("NDMA let a running descriptor finish");
	EXPECT_GT(len, done);
	ASSERT_EQ(0, mdma_debugfs(m, "pinned_pages", &pinned));
	EXPECT_EQ(0, pinned);
	usleep(NO_DMA_MS * 1000);
	again = filled(g, len);
	EXPECT_EQ(done, again) TH_LOG("DMA went on under NDMA");
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_DMA_COMPLETED));
	EXPECT_EQ(1, mdma_reg(m, MDMA_REG_DMA_QUEUED));

	mig_set(&self->mig, VFIO_DEVICE_STATE_V1_RUNNING);
	ASSERT_EQ(0, mdma_wait(m, MDMA_IRQ_DONE, MDMA_TIMEOUT_MS))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(1, mdma_reg(m, MDMA_REG_DMA_COMPLETED));
	EXPECT_EQ(-1, mdma_check_byte(g, len, 1));
}

/*
 * The error state, reached by a refused chunk, refuses every write; a
 * device reset brings back a RUNNING device that works, saves and loads.
 */
TEST_F_TIMEOUT(state, reset_from_error, 300)
{
	static const uint8_t junk[128] = { 0x99 };
	struct mdma_digest before, after;
	struct mig_stream s = { 0 };
	struct mdma *m = &self->m;
	uint32_t err;
	unsigned int i;

	ASSERT_EQ(0, vfio_dma_alloc(&m->container, MIG_IOVA, 64 << 10,
				    &self->buf));
	mig_set(&self->mig, VFIO_DEVICE_STATE_V1_RESUMING);
	EXPECT_EQ(-EBADMSG, mig_feed_raw(&self->mig, junk, sizeof(junk)));
	ASSERT_EQ(VFIO_DEVICE_STATE_SET_ERROR(0), mig_state(&self->mig));
	for (i = 0; i < 16; i++) {
		mig_set_err(EINVAL, &self->mig, i);
		EXPECT_EQ(VFIO_DEVICE_STATE_SET_ERROR(0), mig_state(&self->mig));
	}
	/* Nothing is saved from it, nothing loaded into it. */
	EXPECT_EQ(0, mig_pending(&self->mig));
	EXPECT_EQ(-EINVAL, mig_feed_raw(&self->mig, junk, 32));
	EXPECT_EQ(VFIO_DEVICE_STATE_SET_ERROR(0), mig_state(&self->mig));

	ASSERT_EQ(0, vfio_dev_reset(&m->dev)) TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_RUNNING, mig_state(&self->mig));
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0, MIG_IOVA, 64, 0x0d0d0d0d,
			      &err)) TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(MDMA_ERR_NONE, err);
	EXPECT_EQ(0x0d, ((uint8_t *)self->buf.vaddr)[63]);

	/* A whole save, and a load of it into the same device. */
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_SCRATCH, 0x5ca1ab1e));
	ASSERT_EQ(0, mig_save_all(&self->mig, &s)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(m->uuid, &before));
	ASSERT_EQ(0, vfio_dev_reset(&m->dev));
	ASSERT_EQ(0, mig_load_all(&self->mig, &s)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(m->uuid, &after));
	EXPECT_STREQ("", mig_digest_diff(&before, &after));
	EXPECT_EQ(0x5ca1ab1e, mdma_reg(m, MDMA_REG_SCRATCH));
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_RUNNING, mig_state(&self->mig));
	mig_stream_free(&s);
}

TEST_HARNESS_MAIN
