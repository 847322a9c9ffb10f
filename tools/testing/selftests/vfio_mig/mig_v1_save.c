// SPDX-License-Identifier: GPL-2.0
/*
 * What saving through the protocol v1 region adds to the round trips of
 * mig_save.c: pre-copy of a device under DMA load, type1 dirty pages, a
 * descriptor parked mid-transfer, the chunks of the window loaded in any
 * split, and a VMM that goes away in the middle.
 */
#include "kselftest_harness.h"
#include "mig_pair.h"

MIG_PAIR_FIXTURE(mig, MDMA_FIXTURE_VARIANTS);

/*
 * In stop-and-copy: save the rest, stop, load the whole stream into the
 * destination; its digest must equal the source's.
 */
static void finish_and_compare(struct __test_metadata *_metadata,
			       struct _test_data_mig *self)
{
	struct mdma_digest ds, dd;

	ASSERT_EQ(0, mig_save_rest(&self->p.ms, &self->p.s, NULL));
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms, VFIO_DEVICE_STATE_V1_STOP));
	ASSERT_EQ(0, mdma_digest_read(self->p.src.uuid, &ds));
	ASSERT_EQ(0, mig_load_all(&self->p.md, &self->p.s))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(self->p.dst.uuid, &dd));
	EXPECT_STREQ("", mig_digest_diff(&ds, &dd));
}

/*
 * Pre-copy while GUEST_TO_DEV copies keep dirtying device memory; once
 * they stop, pending_bytes falls to zero in rounds; stop-and-copy then
 * sends only what was dirtied last; the destination matches.
 */
TEST_F_TIMEOUT(mig, precopy_converges, 600)
{
	struct mdma *src = &self->p.src;
	uint64_t got, pending, last, precopy = 0, final;
	const uint64_t tail = 48 * 4096, tail_off = 12345;
	unsigned int i, n = 0, limit, rounds, grew = 0;
	struct mdma_digest ds, dd;
	uint64_t tail_chunks;
	uint32_t err;

	ASSERT_EQ(0, mig_populate(src, 77, 0, &self->p.sbuf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_dma_alloc(&src->container, WORK_IOVA, WORK_SIZE,
				    &self->p.wbuf));
	mdma_pattern(self->p.wbuf.vaddr, WORK_SIZE, 5);
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &src->dev, true));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.md, &self->p.dst.dev, true));
	ASSERT_EQ(0, mdma_wr(src, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	ASSERT_EQ(0, mdma_wr(src, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ALL));

	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms,
					   VFIO_DEVICE_STATE_V1_SAVING |
					   VFIO_DEVICE_STATE_V1_RUNNING))
		TH_LOG("%s", vfio_errmsg());
	/* A first pass over all of memory, with the workload running. */
	limit = src->mem_size / self->p.ms.data_size + 8;
	for (i = 0; i < limit; i++) {
		ASSERT_EQ(0, mig_keep_busy(src, 4, &n));
		ASSERT_EQ(0, mig_save_iter(&self->p.ms, &self->p.s, &got))
			TH_LOG("%s", vfio_errmsg());
		precopy += got;
	}
	EXPECT_GT(n, 4) TH_LOG("the workload did not make progress");
	EXPECT_GT(precopy, src->mem_size)
		TH_LOG("nothing was sent again while the device wrote");

	/*
	 * Stop the workload and drain. pending_bytes counts the current
	 * round, and falls while it lasts. A new round starts with what was
	 * written behind the cursor: inside the piece that ends a round (the
	 * count grows), or when data is asked for after it read 0. With the
	 * device idle, the second new round is empty.
	 */
	ASSERT_EQ(0, mdma_wait(src, MDMA_IRQ_DONE, MDMA_TIMEOUT_MS))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_reg(src, MDMA_REG_DMA_ERROR));
	last = ~0ULL;
	limit = 2 * (src->mem_size / self->p.ms.data_size) + 8;
	for (rounds = 0; rounds < limit; rounds++) {
		pending = mig_pending(&self->p.ms);
		ASSERT_NE(~0ULL, pending);
		if (!pending) {
			ASSERT_EQ(0, mig_save_chunk(&self->p.ms, &self->p.s, &got));
			if (!got)
				break;
			EXPECT_GT(3, ++grew) TH_LOG("a third new round");
			precopy += got;
			last = ~0ULL;
			continue;
		}
		if (pending >= last)
			EXPECT_GT(3, ++grew)
				TH_LOG("read %u: a third new round, %llu bytes after %llu",
				       rounds, (unsigned long long)pending,
				       (unsigned long long)last);
		last = pending;
		ASSERT_EQ(0, mig_save_iter(&self->p.ms, &self->p.s, &got));
		ASSERT_NE(0, got);
		precopy += got;
	}
	EXPECT_EQ(0, mig_pending(&self->p.ms))
		TH_LOG("pending_bytes did not reach 0 in %u reads", limit);
	TH_LOG("pre-copy: %llu bytes, %u descriptors, %u rounds to drain",
	       (unsigned long long)precopy, n, rounds);

	/*
	 * The last dirty set: one copy to an unaligned offset. The round
	 * is over, so pre-copy does not count it; stop-and-copy does.
	 */
	ASSERT_EQ(0, mdma_run(src, MDMA_CMD_GUEST_TO_DEV, WORK_IOVA,
			      src->mem_size / 2 + tail_off, tail, 0, &err));
	ASSERT_EQ(MDMA_ERR_NONE, err);
	tail_chunks = ((src->mem_size / 2 + tail_off + tail - 1) / 4096) -
		      ((src->mem_size / 2 + tail_off) / 4096) + 1;
	EXPECT_EQ(0, mig_pending(&self->p.ms));

	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING))
		TH_LOG("%s", vfio_errmsg());
	pending = mig_pending(&self->p.ms);
	EXPECT_GE(pending, tail_chunks * 4096);
	EXPECT_LE(pending, tail_chunks * 4096 + (64 << 10));
	ASSERT_EQ(0, mig_save_rest(&self->p.ms, &self->p.s, &final))
		TH_LOG("%s", vfio_errmsg());
	TH_LOG("stop-and-copy: %llu bytes of %llu of device memory",
	       (unsigned long long)final,
	       (unsigned long long)src->mem_size);
	EXPECT_GE(final, tail_chunks * 4096);
	/* The dirty chunks, the config section, record headers. */
	EXPECT_LE(final, tail_chunks * 4096 + (64 << 10));
	EXPECT_LT(final * 16, src->mem_size);
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms, VFIO_DEVICE_STATE_V1_STOP));
	ASSERT_EQ(0, mdma_digest_read(src->uuid, &ds));

	ASSERT_EQ(0, mig_load_all(&self->p.md, &self->p.s))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(self->p.dst.uuid, &dd));
	EXPECT_STREQ("", mig_digest_diff(&ds, &dd));
}

static bool bit(const uint64_t *map, size_t i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

/*
 * While the device pre-copies, type1's dirty bitmap holds every page its
 * DMA wrote, and nothing but those and the pages it read.
 */
TEST_F_TIMEOUT(mig, dirty_bitmap, 300)
{
	const uint64_t pg = 4096, npages = 2048;
	struct mdma *src = &self->p.src;
	uint8_t wrote[2048] = { 0 }, read[2048] = { 0 };
	uint64_t *map;
	size_t mapsz, i, missing = 0, extra = 0, first, last;
	uint32_t err;
	unsigned int k;
	const struct {
		uint32_t cmd;
		uint64_t page, off, len;
	} ops[] = {
		/* Across two 2 MiB pinning chunks. */
		{ MDMA_CMD_DEV_TO_GUEST, 5, 17, (3 << 20) + 100 },
		{ MDMA_CMD_FILL_GUEST, 1500, 0, 1 },
		{ MDMA_CMD_FILL_GUEST, 2000, 4095, 4098 },
		{ MDMA_CMD_GUEST_TO_DEV, 1000, 0, 4 * 4096 },
		{ MDMA_CMD_DEV_TO_GUEST, 2047, 4000, 96 },
	};

	ASSERT_EQ(0, vfio_pci_config_write(&src->dev, PCI_COMMAND, 2,
					   PCI_COMMAND_MEMORY |
					   PCI_COMMAND_MASTER));
	ASSERT_EQ(0, vfio_dma_alloc(&src->container, MIG_IOVA, npages * pg,
				    &self->p.sbuf));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &src->dev, true));
	mapsz = vfio_dirty_bitmap_bytes(npages * pg, pg);
	map = calloc(1, mapsz);
	ASSERT_NE(NULL, map);

	ASSERT_EQ(0, vfio_dirty_start(&src->container))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_dirty_get(&src->container, MIG_IOVA, npages * pg,
				    pg, map, mapsz));
	for (i = 0; i < npages; i++)
		EXPECT_FALSE(bit(map, i)) TH_LOG("page %zu dirty at start", i);
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms,
					   VFIO_DEVICE_STATE_V1_SAVING |
					   VFIO_DEVICE_STATE_V1_RUNNING));

	for (k = 0; k < ARRAY_SIZE(ops); k++) {
		uint64_t iova = MIG_IOVA + ops[k].page * pg + ops[k].off;
		bool to_dev = ops[k].cmd == MDMA_CMD_GUEST_TO_DEV;

		ASSERT_EQ(0, mdma_run(src, ops[k].cmd, to_dev ? iova : 0,
				      to_dev ? 0 : iova, ops[k].len, 0x3c3c3c3c,
				      &err)) TH_LOG("%s", vfio_errmsg());
		ASSERT_EQ(MDMA_ERR_NONE, err) TH_LOG("op %u", k);
		first = (iova - MIG_IOVA) / pg;
		last = (iova - MIG_IOVA + ops[k].len - 1) / pg;
		for (i = first; i <= last; i++) {
			if (to_dev)
				read[i] = 1;
			else
				wrote[i] = 1;
		}
	}

	memset(map, 0, mapsz);
	ASSERT_EQ(0, vfio_dirty_get(&src->container, MIG_IOVA, npages * pg,
				    pg, map, mapsz)) TH_LOG("%s", vfio_errmsg());
	for (i = 0; i < npages; i++) {
		if (wrote[i] && !bit(map, i)) {
			missing++;
			TH_LOG("page %zu written by DMA but not dirty", i);
		}
		if (!wrote[i] && !read[i] && bit(map, i)) {
			extra++;
			TH_LOG("page %zu dirty but never touched", i);
		}
	}
	EXPECT_EQ(0, missing);
	EXPECT_EQ(0, extra);

	/* Stopped, with nothing pinned: the next bitmap is empty. */
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING));
	memset(map, 0xff, mapsz);
	ASSERT_EQ(0, vfio_dirty_get(&src->container, MIG_IOVA, npages * pg,
				    pg, map, mapsz));
	for (i = 0; i < npages; i++)
		EXPECT_FALSE(bit(map, i)) TH_LOG("page %zu dirty again", i);
	EXPECT_EQ(0, vfio_dirty_stop(&src->container));
	free(map);
}

/*
 * A long DEV_TO_GUEST copy is stopped mid-transfer by RUNNING ->
 * STOP_COPY, saved, loaded into the destination (with the guest memory
 * copied over, as a VMM migrates RAM) and run there: it completes, from
 * where it stopped, and the destination's guest buffer has all of it.
 */
TEST_F_TIMEOUT(mig, parked_descriptor, 600)
{
	struct mdma *src = &self->p.src, *dst = &self->p.dst;
	uint64_t len = src->mem_size, *map, pg = 4096;
	size_t mapsz, p, i, wrong = 0;
	long first;
	uint8_t *g;

	ASSERT_EQ(0, vfio_pci_config_write(&src->dev, PCI_COMMAND, 2,
					   PCI_COMMAND_MEMORY |
					   PCI_COMMAND_MASTER));
	ASSERT_EQ(0, mdma_map_bar2(src));
	mdma_pattern(src->map, len, 99);
	ASSERT_EQ(0, vfio_dma_alloc(&src->container, MIG_IOVA, len,
				    &self->p.sbuf));
	g = self->p.sbuf.vaddr;
	memset(g, GUARD, len);
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &src->dev, true));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.md, &dst->dev, false));

	ASSERT_EQ(0, mdma_wr(src, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	ASSERT_EQ(0, mdma_wr(src, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ALL));
	ASSERT_EQ(0, mdma_submit(src, MDMA_CMD_DEV_TO_GUEST, 0, MIG_IOVA,
				 len, 0));
	ASSERT_EQ(0, mig_wait_first_byte(g, GUARD));
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING))
		TH_LOG("%s", vfio_errmsg());

	/* Parked: not done, back in the queue, part of it in guest memory. */
	ASSERT_EQ(0, mdma_reg(src, MDMA_REG_DMA_COMPLETED))
		TH_LOG("the copy ended before the device stopped");
	ASSERT_EQ(1, mdma_reg(src, MDMA_REG_DMA_QUEUED));
	first = mdma_cmp(g, src->map, len);
	ASSERT_GT(first, 0);
	p = first;
	ASSERT_LT(p, len);
	TH_LOG("stopped after %zu of %llu bytes", p, (unsigned long long)len);

	ASSERT_EQ(0, mig_save_rest(&self->p.ms, &self->p.s, NULL))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms, VFIO_DEVICE_STATE_V1_STOP));
	/* Nothing moved after the stop. */
	EXPECT_EQ(-1, mdma_check_byte(g + p, len - p, GUARD));

	/* The guest's memory travels too; track what the destination writes. */
	ASSERT_EQ(0, vfio_dma_alloc(&dst->container, MIG_IOVA, len,
				    &self->p.dbuf));
	memcpy(self->p.dbuf.vaddr, g, len);
	mapsz = vfio_dirty_bitmap_bytes(len, pg);
	map = calloc(1, mapsz);
	ASSERT_NE(NULL, map);
	ASSERT_EQ(0, vfio_dirty_start(&dst->container));

	ASSERT_EQ(0, mig_load_all(&self->p.md, &self->p.s))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_wait(dst, MDMA_IRQ_DONE | MDMA_IRQ_ERROR,
			       MDMA_TIMEOUT_MS)) TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(MDMA_ERR_NONE, mdma_reg(dst, MDMA_REG_DMA_ERROR));
	EXPECT_EQ(1, mdma_reg(dst, MDMA_REG_DMA_COMPLETED));
	EXPECT_EQ(0, mdma_reg(dst, MDMA_REG_DMA_QUEUED));
	EXPECT_EQ(-1, mdma_cmp(self->p.dbuf.vaddr, src->map, len))
		TH_LOG("first wrong byte at %ld",
		       mdma_cmp(self->p.dbuf.vaddr, src->map, len));

	/* It went on from where it stopped: the pages before, untouched. */
	ASSERT_EQ(0, vfio_dirty_get(&dst->container, MIG_IOVA, len, pg, map,
				    mapsz));
	for (i = 0; i < len / pg; i++)
		if (bit(map, i) != (i >= p / pg))
			wrong++;
	EXPECT_EQ(0, wrong) TH_LOG("destination DMA wrote pages other than %zu..%llu",
				   p / pg, (unsigned long long)(len / pg - 1));
	vfio_dirty_stop(&dst->container);
	free(map);
}

/*
 * Pre-copy while the VMM writes device memory through its BAR2 mapping
 * and with pwrite(), including chunks already sent: every such write is
 * sent again, and the destination matches.
 */
TEST_F_TIMEOUT(mig, precopy_bar2_writes, 300)
{
	struct mdma *src = &self->p.src;
	uint64_t got, pending, off;
	unsigned int i, limit;
	uint8_t b[300];

	ASSERT_EQ(0, mig_populate(src, 501, 2, &self->p.sbuf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &src->dev, true));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.md, &self->p.dst.dev, true));
	/* Fault every page in writable before pre-copy starts. */
	for (off = 0; off < src->mem_size; off += MIG_PAGE)
		src->map[off] ^= 0x5a;
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms,
					   VFIO_DEVICE_STATE_V1_SAVING |
					   VFIO_DEVICE_STATE_V1_RUNNING));

	limit = src->mem_size / self->p.ms.data_size + 2;
	for (i = 0; i < limit; i++) {
		ASSERT_EQ(0, mig_save_iter(&self->p.ms, &self->p.s, &got))
			TH_LOG("%s", vfio_errmsg());
		/* Behind the cursor, ahead of it, at both ends. */
		off = (uint64_t)i * self->p.ms.data_size / 2 + 8 * i + 1;
		src->map[off % src->mem_size] ^= 0xff;
		src->map[src->mem_size - 1 - i] = i;
		mdma_pattern(b, sizeof(b), i);
		ASSERT_EQ(0, vfio_region_write(&src->dev, &src->bar2,
					       (off * 3) % (src->mem_size - 300),
					       b, sizeof(b)));
	}
	/* Drain; a write after the last pass is still owed. */
	src->map[12345] ^= 0x11;
	for (i = 0; i < limit + 2; i++) {
		pending = mig_pending(&self->p.ms);
		if (!pending)
			break;
		ASSERT_EQ(0, mig_save_iter(&self->p.ms, &self->p.s, &got));
	}
	EXPECT_EQ(0, mig_pending(&self->p.ms));
	/* A write after the round: the next round, when data is asked for. */
	src->map[src->mem_size / 3] ^= 0x22;
	EXPECT_EQ(0, mig_pending(&self->p.ms));
	ASSERT_EQ(0, mig_save_chunk(&self->p.ms, &self->p.s, &got));
	EXPECT_GE(got, 4096)
		TH_LOG("a write through the mapping after pre-copy drained");
	EXPECT_EQ(0, mig_pending(&self->p.ms));
	src->map[src->mem_size / 5] ^= 0x33;
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING));
	finish_and_compare(_metadata, self);
}

/*
 * In pre-copy pending_bytes counts the current round. While the device
 * keeps writing behind the round's cursor, it still reaches 0 at the
 * round's end and stays 0 (a user that iterates devices in order and
 * moves on once one reports 0, as QEMU 7.2 does, reaches the next one).
 * Asking for data again starts the next round, which carries the writes;
 * stop-and-copy counts and sends the rest.
 */
TEST_F_TIMEOUT(mig, precopy_round_ends_while_device_writes, 300)
{
	struct mdma *src = &self->p.src;
	uint64_t got, pending = ~0ULL, off;
	unsigned int i, limit;

	ASSERT_EQ(0, mig_populate(src, 61, 1, &self->p.sbuf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &src->dev, true));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.md, &self->p.dst.dev, true));
	for (off = 0; off < src->mem_size; off += MIG_PAGE)
		src->map[off] ^= 0x3c;
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms,
					   VFIO_DEVICE_STATE_V1_SAVING |
					   VFIO_DEVICE_STATE_V1_RUNNING));

	limit = src->mem_size / self->p.ms.data_size + 4;
	for (i = 0; i < limit; i++) {
		pending = mig_pending(&self->p.ms);
		ASSERT_NE(~0ULL, pending);
		if (!pending)
			break;
		ASSERT_EQ(0, mig_save_chunk(&self->p.ms, &self->p.s, &got))
			TH_LOG("%s", vfio_errmsg());
		ASSERT_NE(0, got);
		/* The first chunk covered these pages: behind the cursor. */
		src->map[(i % 16) * MIG_PAGE + i] ^= 0xa5;
	}
	EXPECT_EQ(0, pending)
		TH_LOG("pending_bytes did not reach 0 in %u reads while the device wrote",
		       limit);

	/* No side effect of reading it, whatever the device writes. */
	src->map[40 * MIG_PAGE] ^= 0x11;
	src->map[src->mem_size - 1] ^= 0x11;
	EXPECT_EQ(0, mig_pending(&self->p.ms));
	EXPECT_EQ(0, mig_pending(&self->p.ms));

	/* The next round: the last loop's write and these two. */
	ASSERT_EQ(0, mig_save_chunk(&self->p.ms, &self->p.s, &got))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_GE(got, 3 * MIG_PAGE);
	EXPECT_LT(got, 4 * MIG_PAGE);
	EXPECT_EQ(0, mig_pending(&self->p.ms));

	src->map[41 * MIG_PAGE] ^= 0x22;
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING));
	EXPECT_GT(mig_pending(&self->p.ms), MIG_PAGE)
		TH_LOG("stop-and-copy does not count the write");
	finish_and_compare(_metadata, self);
}

/*
 * A staged chunk reads the same until pending_bytes acknowledges it; a
 * save abandoned half way (back to RUNNING, the device changes) and
 * started again produces a whole new stream that loads.
 */
TEST_F_TIMEOUT(mig, save_cancel_restart, 300)
{
	struct mdma *src = &self->p.src;
	struct mdma_digest ds, dd;
	uint8_t *a, *b;
	uint64_t la, lb, got;
	unsigned int i;

	ASSERT_EQ(0, mig_populate(src, 601, 1, &self->p.sbuf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &src->dev, false));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.md, &self->p.dst.dev, true));
	a = malloc(self->p.ms.data_size);
	b = malloc(self->p.ms.data_size);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);

	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING));
	ASSERT_NE(0, mig_pending(&self->p.ms));
	ASSERT_EQ(0, vfio_mig_v1_save_chunk(&self->p.ms, a, self->p.ms.data_size,
					    &la));
	ASSERT_EQ(0, vfio_mig_v1_save_chunk(&self->p.ms, b, self->p.ms.data_size,
					    &lb));
	ASSERT_NE(0, la);
	EXPECT_EQ(la, lb);
	EXPECT_EQ(-1, mdma_cmp(a, b, la));
	/* Acknowledged: the next one differs. */
	ASSERT_NE(0, mig_pending(&self->p.ms));
	ASSERT_EQ(0, vfio_mig_v1_save_chunk(&self->p.ms, b, self->p.ms.data_size,
					    &lb));
	EXPECT_NE(-1, mdma_cmp(a, b, la < lb ? la : lb));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, mig_save_iter(&self->p.ms, &self->p.s, &got));
	free(a);
	free(b);

	/* Cancel, as QEMU does on a failed migration; the device goes on. */
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms, VFIO_DEVICE_STATE_V1_RUNNING));
	EXPECT_EQ(0, mig_pending(&self->p.ms));
	ASSERT_EQ(0, mdma_wr(src, MDMA_REG_SCRATCH, 0x7e57ab1e));
	mdma_pattern(src->map + 4096, 8192, 602);

	mig_stream_free(&self->p.s);
	ASSERT_EQ(0, mig_save_all(&self->p.ms, &self->p.s))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(src->uuid, &ds));
	ASSERT_EQ(0, mig_load_all(&self->p.md, &self->p.s))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(self->p.dst.uuid, &dd));
	EXPECT_STREQ("", mig_digest_diff(&ds, &dd));
	EXPECT_EQ(0x7e57ab1e, mdma_reg(&self->p.dst, MDMA_REG_SCRATCH));
}

/*
 * The stream may reach the device in pieces other than those it was
 * saved in (the decoder stages records split between two data_size
 * writes): odd-sized trapped pieces, with some empty ones between.
 */
TEST_F_TIMEOUT(mig, load_any_split, 300)
{
	struct mdma_digest ds, dd;
	size_t pos, n, k = 0;
	uint64_t zero = 0;

	ASSERT_EQ(0, mig_populate(&self->p.src, 701, 4, &self->p.sbuf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &self->p.src.dev, true));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.md, &self->p.dst.dev, false));
	ASSERT_EQ(0, mig_save_all(&self->p.ms, &self->p.s))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(self->p.src.uuid, &ds));

	mig_set(&self->p.md, VFIO_DEVICE_STATE_V1_RESUMING);
	for (pos = 0; pos < self->p.s.len; pos += n, k++) {
		/* 1, 31, 70001, ... bytes: records split every which way. */
		n = k % 3 == 0 ? 1 + k % 61 : 70001 + k * 13;
		if (n > self->p.s.len - pos)
			n = self->p.s.len - pos;
		ASSERT_EQ(0, mig_feed_raw(&self->p.md, self->p.s.buf + pos, n))
			TH_LOG("piece %zu at %zu", n, pos);
		if (k % 7 == 0)
			ASSERT_EQ(0, mig_wr(&self->p.md, MIG_HDR(data_size), &zero,
					    sizeof(zero)));
	}
	mig_set(&self->p.md, VFIO_DEVICE_STATE_V1_RUNNING);
	ASSERT_EQ(0, mdma_digest_read(self->p.dst.uuid, &dd));
	EXPECT_STREQ("", mig_digest_diff(&ds, &dd));
}

/* A working device: RUNNING, nothing pinned, a DMA round trip. */
static void check_works(struct __test_metadata *_metadata, struct mdma *m,
			struct vfio_dma_buf *buf)
{
	struct vfio_mig_v1 mig;
	uint64_t pinned;
	uint32_t err;
	uint8_t *g;

	ASSERT_EQ(0, vfio_mig_v1_open(&mig, &m->dev, false))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_RUNNING, mig_state(&mig));
	EXPECT_EQ(0, mig_pending(&mig));
	vfio_mig_v1_close(&mig);
	ASSERT_EQ(0, mdma_debugfs(m, "pinned_pages", &pinned));
	EXPECT_EQ(0, pinned);

	ASSERT_EQ(0, vfio_pci_config_write(&m->dev, PCI_COMMAND, 2,
					   PCI_COMMAND_MEMORY |
					   PCI_COMMAND_MASTER));
	vfio_dma_free(NULL, buf);
	ASSERT_EQ(0, vfio_dma_alloc(&m->container, MIG_IOVA, 2 * 65536, buf));
	g = buf->vaddr;
	mdma_pattern(g, 65536, 4242);
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_GUEST_TO_DEV, MIG_IOVA, 8192, 65536,
			      0, &err)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(MDMA_ERR_NONE, err);
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_DEV_TO_GUEST, 8192, MIG_IOVA + 65536,
			      65536, 0, &err)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(MDMA_ERR_NONE, err);
	EXPECT_EQ(-1, mdma_cmp(g, g + 65536, 65536));
}

/*
 * The source's VMM goes away two chunks into stop-and-copy; the device
 * comes back RUNNING and working, and saves whole again.
 */
TEST_F_TIMEOUT(mig, close_during_save, 300)
{
	struct mdma *src = &self->p.src;
	struct mdma_digest ds, dd;
	uint64_t got;
	void *chunk;

	ASSERT_EQ(0, mig_populate(src, 31, NDESC, &self->p.sbuf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &src->dev, true));
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING));
	ASSERT_EQ(0, mig_save_iter(&self->p.ms, &self->p.s, &got));
	ASSERT_NE(0, got);
	ASSERT_EQ(0, mig_save_iter(&self->p.ms, &self->p.s, &got));
	ASSERT_NE(0, got);
	/* Stage a third chunk, and leave without acknowledging it. */
	chunk = malloc(self->p.ms.data_size);
	ASSERT_NE(NULL, chunk);
	ASSERT_EQ(0, vfio_mig_v1_save_chunk(&self->p.ms, chunk,
					    self->p.ms.data_size, &got));
	free(chunk);
	ASSERT_NE(0, got);
	vfio_mig_v1_close(&self->p.ms);
	ASSERT_EQ(0, mdma_reopen(src)) TH_LOG("%s", vfio_errmsg());
	check_works(_metadata, src, &self->p.sbuf);

	/* A new save of the reopened device loads into the destination. */
	mig_stream_free(&self->p.s);
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &src->dev, true));
	ASSERT_EQ(0, mig_save_all(&self->p.ms, &self->p.s))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(src->uuid, &ds));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.md, &self->p.dst.dev, true));
	ASSERT_EQ(0, mig_load_all(&self->p.md, &self->p.s))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(self->p.dst.uuid, &dd));
	EXPECT_STREQ("", mig_digest_diff(&ds, &dd));
}

/*
 * The destination's VMM goes away halfway through a load; the device
 * comes back RUNNING and working, and a whole load then succeeds.
 */
TEST_F_TIMEOUT(mig, close_during_load, 300)
{
	struct mdma *dst = &self->p.dst;
	struct mdma_digest ds, dd;

	ASSERT_EQ(0, mig_populate(&self->p.src, 32, NDESC, &self->p.sbuf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &self->p.src.dev, true));
	ASSERT_EQ(0, mig_save_all(&self->p.ms, &self->p.s))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(self->p.src.uuid, &ds));
	ASSERT_GT(self->p.s.nchunks, 2);

	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.md, &dst->dev, true));
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->p.md, VFIO_DEVICE_STATE_V1_RESUMING));
	ASSERT_EQ(0, mig_load_range(&self->p.md, &self->p.s, 0,
				    self->p.s.nchunks / 2))
		TH_LOG("%s", vfio_errmsg());
	vfio_mig_v1_close(&self->p.md);
	ASSERT_EQ(0, mdma_reopen(dst)) TH_LOG("%s", vfio_errmsg());
	check_works(_metadata, dst, &self->p.dbuf);

	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.md, &dst->dev, false));
	ASSERT_EQ(0, mig_load_all(&self->p.md, &self->p.s))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(dst->uuid, &dd));
	EXPECT_STREQ("", mig_digest_diff(&ds, &dd));
}

TEST_HARNESS_MAIN
