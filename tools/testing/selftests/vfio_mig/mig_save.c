// SPDX-License-Identifier: GPL-2.0
/*
 * Saving an mdma instance and loading it into another, the same way over
 * every carrier (the v1 region with a mapped or a trapped window, the v2
 * data fd) and every device type: what a protocol carries is one stream,
 * so one test states what must arrive. The protocols' own ABI is tested
 * in mig_v1_*.c and mig_v2_*.c.
 */
#include "kselftest_harness.h"
#include "mig_pair.h"

MIG_PAIR_FIXTURE(mig, MIG_FIXTURE_VARIANTS);

/* The carrier a test that crosses carriers loads through. */
static enum mig_carrier next_carrier(enum mig_carrier c)
{
	return c == MIG_V2_FD ? MIG_V1_MAPPED : c + 1;
}

/*
 * Populate the source and park descriptors on it, save it all through
 * carrier @from, load it into the destination through carrier @to in
 * writes of @piece bytes (0: whole): the stream names the device type,
 * the digests and registers match, and the parked descriptors then run
 * on the destination with the migrated memory. With @resave, the
 * stopped source saved once more, through @to's kind of carrier, gives
 * the very same bytes.
 */
static void round_trip(struct __test_metadata *_metadata,
		       struct mig_pair *p, const char *type,
		       enum mig_carrier from, enum mig_carrier to,
		       size_t piece, bool resave)
{
	struct mig_stream again = { 0 };
	struct vfio_mig_chan c = { 0 };
	struct mdma_digest ds, dd;
	uint32_t state;

	ASSERT_EQ(0, mig_populate(&p->src, 0x1234 + from + 3 * to + piece,
				  NDESC, &p->sbuf)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mig_chan_open(&p->cs, &p->src.dev, from))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mig_chan_open(&p->cd, &p->dst.dev, to))
		TH_LOG("%s", vfio_errmsg());

	ASSERT_EQ(0, mig_chan_save_all(&p->cs, &p->s))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_chan_get_state(&p->cs, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_STOP, state);
	EXPECT_GT(p->s.len, p->src.mem_size);
	ASSERT_GT(p->s.len, STREAM_REC_LEN + STREAM_HDR_TYPE + 32);
	EXPECT_STREQ(type, (char *)p->s.buf + STREAM_REC_LEN + STREAM_HDR_TYPE);
	ASSERT_EQ(0, mdma_digest_read(p->src.uuid, &ds));
	EXPECT_EQ(NDESC, ds.dma_queued);

	ASSERT_EQ(0, mig_chan_load_all(&p->cd, p->s.buf, p->s.len, piece))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_chan_get_state(&p->cd, &state));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, state);
	ASSERT_EQ(0, mdma_digest_read(p->dst.uuid, &dd));
	EXPECT_STREQ("", mig_digest_diff(&ds, &dd))
		TH_LOG("src mem %08x regs %08x, dst mem %08x regs %08x",
		       ds.mem_crc32, ds.regs_crc32, dd.mem_crc32,
		       dd.regs_crc32);
	EXPECT_EQ(mdma_reg(&p->src, MDMA_REG_SCRATCH),
		  mdma_reg(&p->dst, MDMA_REG_SCRATCH));
	EXPECT_EQ(MDMA_IRQ_ERROR, mdma_reg(&p->dst, MDMA_REG_IRQ_MASK));
	EXPECT_EQ(1, mdma_reg(&p->dst, MDMA_REG_DMA_COMPLETED));

	if (resave) {
		ASSERT_EQ(0, mig_chan_open(&c, &p->src.dev, to))
			TH_LOG("%s", vfio_errmsg());
		ASSERT_EQ(0, mig_chan_save_all(&c, &again))
			TH_LOG("%s", vfio_errmsg());
		vfio_mig_chan_close(&c);
		ASSERT_EQ(p->s.len, again.len);
		EXPECT_EQ(-1, mdma_cmp(p->s.buf, again.buf, again.len));
		mig_stream_free(&again);
	}
	/* The queue came along: run it against the destination's memory. */
	mig_run_parked(_metadata, &p->src, &p->dst, &p->dbuf, NDESC, GUARD);
}

TEST_F_TIMEOUT(mig, round_trip, 300)
{
	round_trip(_metadata, &self->p, variant->type, variant->carrier,
		   variant->carrier, 0, false);
}

/* Writes of an odd size split records and chunks anywhere. */
TEST_F_TIMEOUT(mig, round_trip_odd_writes, 300)
{
	round_trip(_metadata, &self->p, variant->type, variant->carrier,
		   variant->carrier, 4093, false);
}

/*
 * A stream is the same whichever carrier moves it: saved through one, it
 * loads through the next (mapped window to trapped, trapped to the v2
 * data fd, v2 to the mapped window), and that carrier saves the same
 * bytes from the stopped source.
 */
TEST_F_TIMEOUT(mig, to_the_next_carrier, 300)
{
	round_trip(_metadata, &self->p, variant->type, variant->carrier,
		   next_carrier(variant->carrier), 0, true);
}

TEST_HARNESS_MAIN
