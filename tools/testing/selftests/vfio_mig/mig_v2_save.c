// SPDX-License-Identifier: GPL-2.0
/*
 * What saving through the protocol v2 data fd adds to the round trips of
 * mig_save.c: the stop-copy size estimate, and pre-copy of a device under
 * DMA load with VFIO_MIG_GET_PRECOPY_INFO.
 */
#include "kselftest_harness.h"
#include "mig_pair.h"

#define PIECE		(256UL << 10)

MIG_PAIR_FIXTURE(mig, MDMA_FIXTURE_VARIANTS);

/* The digests of source and destination match. */
static void check_digests(struct __test_metadata *_metadata,
			  struct _test_data_mig *self)
{
	struct mdma_digest ds, dd;

	ASSERT_EQ(0, mdma_digest_read(self->p.src.uuid, &ds));
	ASSERT_EQ(0, mdma_digest_read(self->p.dst.uuid, &dd));
	EXPECT_STREQ("", mig_digest_diff(&ds, &dd))
		TH_LOG("src mem %08x regs %08x queued %u, dst mem %08x regs %08x queued %u",
		       ds.mem_crc32, ds.regs_crc32, ds.dma_queued,
		       dd.mem_crc32, dd.regs_crc32, dd.dma_queued);
}

/*
 * VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: ENOTTY before 6.2 (the vfio core has
 * no such feature); from 6.2 an idle device estimates at least its memory,
 * and the stream then read agrees within record headers and the
 * config section.
 */
TEST_F_TIMEOUT(mig, stop_copy_size, 300)
{
	uint64_t est, mem = self->p.src.mem_size, slack;

	if (!kernel_has_precopy()) {
		EXPECT_EQ(-ENOTTY, vfio_mig_v2_stop_copy_size(&self->p.src.dev,
							      &est));
		return;
	}
	ASSERT_EQ(0, mig_populate(&self->p.src, 0x5678, NDESC, &self->p.sbuf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v2_stop_copy_size(&self->p.src.dev, &est))
		TH_LOG("%s", vfio_errmsg());
	TH_LOG("estimate %llu bytes, memory %llu", (unsigned long long)est,
	       (unsigned long long)mem);
	EXPECT_GE(est, mem + STREAM_HDR_REC_LEN + STREAM_END_REC_LEN);
	EXPECT_LE(est, mem + STREAM_HDR_REC_LEN + STREAM_END_REC_LEN + VFIO_MIG_MAX_PAYLOAD);

	ASSERT_EQ(0, v2_save_all(&self->p.src.dev, &self->p.b))
		TH_LOG("%s", vfio_errmsg());
	/* A record per 64 KiB, one more per 1 MiB read, the config one. */
	slack = STREAM_REC_LEN * (est / VFIO_MIG_MAX_PAYLOAD + est / WORK_SIZE + 2);
	EXPECT_LE(self->p.b.len, est + slack);
	EXPECT_GE(self->p.b.len + VFIO_MIG_MAX_PAYLOAD, est);
	/* And stopped after the save: the same estimate again. */
	ASSERT_EQ(0, vfio_mig_v2_stop_copy_size(&self->p.src.dev, &mem));
	EXPECT_EQ(est, mem);
}

/*
 * Bytes a read of stream data may add to @payload payload bytes: a record
 * header per 64 KiB, per run of dirty chunks (at most @runs) and per
 * 1 MiB staged (@got bytes read).
 */
static uint64_t overhead(uint64_t payload, uint64_t runs, uint64_t got)
{
	return STREAM_REC_LEN * (payload / VFIO_MIG_MAX_PAYLOAD + runs + got / WORK_SIZE +
			  2);
}

/*
 * Read @fd in PIECE reads until ENOMSG, checking after each that the
 * field of PRECOPY_INFO it drains (initial_bytes or dirty_bytes) fell
 * and the other stayed 0. Return the bytes read.
 */
static uint64_t drain(struct __test_metadata *_metadata,
		      struct _test_data_mig *self, bool initial)
{
	uint64_t init, dirty, last = ~0ULL, total = 0;
	unsigned int i, limit;
	size_t before;
	bool ended;

	limit = self->p.src.mem_size / PIECE + 16;
	for (i = 0; i < limit; i++) {
		before = self->p.b.len;
		EXPECT_EQ(0, vfio_mig_v2_read_all(self->p.fd, &self->p.b, PIECE,
						  &ended))
			TH_LOG("%s", vfio_errmsg());
		EXPECT_FALSE(ended);
		total += self->p.b.len - before;
		EXPECT_EQ(0, vfio_mig_v2_precopy_info(self->p.fd, &init,
						      &dirty));
		EXPECT_EQ(0, initial ? dirty : init)
			TH_LOG("read %u: initial %llu dirty %llu", i,
			       (unsigned long long)init,
			       (unsigned long long)dirty);
		if (self->p.b.len - before < PIECE)
			break;	/* ENOMSG: the temporary end */
		EXPECT_LT(initial ? init : dirty, last)
			TH_LOG("read %u: initial %llu dirty %llu", i,
			       (unsigned long long)init,
			       (unsigned long long)dirty);
		last = initial ? init : dirty;
	}
	EXPECT_LT(i, limit) TH_LOG("no temporary end after %u reads", i);
	EXPECT_EQ(0, init);
	EXPECT_EQ(0, dirty);
	return total;
}

/*
 * Pre-copy: the initial data, counted down by initial_bytes, up to the
 * temporary end (ENOMSG); then GUEST_TO_DEV copies into device memory make
 * dirty_bytes grow, reading makes it fall; the figures match what is read;
 * through PRE_COPY_P2P, STOP_COPY sends only the last dirty set; the
 * destination matches.
 */
TEST_F_TIMEOUT(mig, precopy_converges, 600)
{
	uint64_t init, dirty, last, total, f, est, final_len, tail_chunks;
	const uint64_t tail = 48 * 4096, tail_off = 12345;
	struct mdma *src = &self->p.src;
	unsigned int k, n = 0, i;
	uint8_t b1;
	uint32_t err;
	bool ended;
	int fd2;

	if (!kernel_has_precopy())
		SKIP(return, "no PRE_COPY before Linux 6.2");
	ASSERT_EQ(0, mig_populate(src, 0x6789, 0, &self->p.sbuf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_dma_alloc(&src->container, WORK_IOVA, WORK_SIZE,
				    &self->p.wbuf));
	mdma_pattern(self->p.wbuf.vaddr, WORK_SIZE, 6);
	ASSERT_EQ(0, mdma_wr(src, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	ASSERT_EQ(0, mdma_wr(src, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ALL));

	v2_set(&src->dev, VFIO_DEVICE_STATE_PRE_COPY, &self->p.fd);
	ASSERT_LE(0, self->p.fd);

	/* The initial data: all of memory and the stream header. */
	ASSERT_EQ(0, vfio_mig_v2_precopy_info(self->p.fd, &init, &dirty))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(src->mem_size + STREAM_HDR_REC_LEN, init);
	EXPECT_EQ(0, dirty);
	total = drain(_metadata, self, true);
	EXPECT_GE(total, init);
	EXPECT_LE(total, init + overhead(init, 1, total))
		TH_LOG("initial_bytes %llu, read %llu",
		       (unsigned long long)init, (unsigned long long)total);
	EXPECT_EQ(-ENOMSG, fd_read(self->p.fd, &b1, 1));

	/* Copies into device memory, one at a time: dirty_bytes grows. */
	last = 0;
	for (k = 1; k <= 3; k++) {
		ASSERT_EQ(0, mdma_run(src, MDMA_CMD_GUEST_TO_DEV, WORK_IOVA,
				      k * 2 * WORK_SIZE, WORK_SIZE, 0, &err))
			TH_LOG("%s", vfio_errmsg());
		ASSERT_EQ(MDMA_ERR_NONE, err);
		ASSERT_EQ(0, vfio_mig_v2_precopy_info(self->p.fd, &init,
						      &dirty));
		EXPECT_EQ(0, init) TH_LOG("copy %u: dirty data counted as initial",
					  k);
		EXPECT_EQ(k * WORK_SIZE, init + dirty) TH_LOG("copy %u", k);
		EXPECT_GT(dirty, last) TH_LOG("copy %u", k);
		last = dirty;
	}

	/* A workload running while the data is read. */
	for (i = 0; i < 2 * src->mem_size / WORK_SIZE; i++) {
		ASSERT_EQ(0, mig_keep_busy(src, 4, &n));
		ASSERT_EQ(0, vfio_mig_v2_read_all(self->p.fd, &self->p.b,
						  WORK_SIZE, &ended))
			TH_LOG("%s", vfio_errmsg());
		ASSERT_FALSE(ended);
	}
	EXPECT_GT(n, 4) TH_LOG("the workload did not make progress");
	ASSERT_EQ(0, mdma_wait(src, MDMA_IRQ_DONE, MDMA_TIMEOUT_MS))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_reg(src, MDMA_REG_DMA_ERROR));

	/* Stopped: what PRECOPY_INFO says is what is read, and it falls. */
	ASSERT_EQ(0, vfio_mig_v2_precopy_info(self->p.fd, &init, &dirty));
	f = init + dirty;
	TH_LOG("%u copies; then initial %llu dirty %llu", n,
	       (unsigned long long)init, (unsigned long long)dirty);
	EXPECT_EQ(0, init);
	EXPECT_GT(dirty, 0);
	total = drain(_metadata, self, false);
	EXPECT_GE(total, f);
	EXPECT_LE(total, f + overhead(f, n + 3, total))
		TH_LOG("dirty_bytes %llu, read %llu", (unsigned long long)f,
		       (unsigned long long)total);

	/* The last dirty set: one copy to an unaligned offset. */
	ASSERT_EQ(0, mdma_run(src, MDMA_CMD_GUEST_TO_DEV, WORK_IOVA,
			      src->mem_size / 2 + tail_off, tail, 0, &err));
	ASSERT_EQ(MDMA_ERR_NONE, err);
	tail_chunks = (src->mem_size / 2 + tail_off + tail - 1) / 4096 -
		      (src->mem_size / 2 + tail_off) / 4096 + 1;
	ASSERT_EQ(0, vfio_mig_v2_precopy_info(self->p.fd, &init, &dirty));
	EXPECT_EQ(0, init);
	EXPECT_EQ(tail_chunks * 4096, dirty);

	v2_set(&src->dev, VFIO_DEVICE_STATE_PRE_COPY_P2P, &fd2);
	EXPECT_EQ(-1, fd2);
	ASSERT_EQ(0, vfio_mig_v2_precopy_info(self->p.fd, &init, &dirty));
	EXPECT_EQ(0, init);
	EXPECT_EQ(tail_chunks * 4096, dirty);
	ASSERT_EQ(0, vfio_mig_v2_stop_copy_size(&src->dev, &est));
	/* The dirty chunks, the config section, the end record. */
	EXPECT_GE(est, tail_chunks * 4096 + STREAM_END_REC_LEN);
	EXPECT_LE(est, tail_chunks * 4096 + STREAM_END_REC_LEN + VFIO_MIG_MAX_PAYLOAD);

	v2_set(&src->dev, VFIO_DEVICE_STATE_STOP_COPY, &fd2);
	EXPECT_EQ(-1, fd2);
	total = self->p.b.len;
	ASSERT_EQ(0, vfio_mig_v2_read_all(self->p.fd, &self->p.b, 0, &ended))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_TRUE(ended);
	final_len = self->p.b.len - total;
	TH_LOG("stop-copy: %llu bytes (estimate %llu) of %llu of memory",
	       (unsigned long long)final_len, (unsigned long long)est,
	       (unsigned long long)src->mem_size);
	EXPECT_GE(final_len, tail_chunks * 4096 + STREAM_END_REC_LEN);
	EXPECT_LE(final_len, est + overhead(est, 2, 0));
	EXPECT_LT(final_len * 16, src->mem_size);
	/* The permanent end: 0 again, never ENOMSG. */
	EXPECT_EQ(0, fd_read(self->p.fd, &b1, 1));
	v2_set(&src->dev, VFIO_DEVICE_STATE_STOP, NULL);
	EXPECT_EQ(-ENODEV, fd_read(self->p.fd, &b1, 1));

	ASSERT_EQ(0, v2_load_all(&self->p.dst.dev, self->p.b.data, self->p.b.len,
				 0)) TH_LOG("%s", vfio_errmsg());
	check_digests(_metadata, self);
}

TEST_HARNESS_MAIN
