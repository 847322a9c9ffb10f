// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol v1 migration region of mdma: how a VMM finds it (the way
 * QEMU 7.2 looks for it), its capabilities, the argsz protocol, and how
 * header accesses at the wrong width, offset or direction and data
 * accesses outside the window are refused without changing the state.
 */
#include "kselftest_harness.h"
#include "mig_v1_util.h"
#include "mdma_fixture.h"

FIXTURE(region) {
	struct mdma m;
	struct vfio_mig_v1 mig;
};

MDMA_FIXTURE_VARIANTS(region);

FIXTURE_SETUP(region)
{
	mdma_fixture_v1(_metadata, &self->m, &self->mig, variant->type, 0,
			false);
}

FIXTURE_TEARDOWN(region)
{
	vfio_mig_v1_close(&self->mig);
	mdma_destroy(&self->m);
}

/*
 * GET_REGION_INFO with a buffer of @argsz bytes, of which only the fixed
 * part is cleared: 0 or -errno.
 */
static int region_info_sz(struct mdma *m, unsigned int index, uint32_t argsz,
			  struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = argsz;
	ri->index = index;
	return ioctl(m->dev.fd, VFIO_DEVICE_GET_REGION_INFO, ri) ? -errno : 0;
}

/*
 * As QEMU 7.2: num_regions counts the region, and exactly one index below
 * it carries the migration type capability; it is non-empty, readable,
 * writable, mappable, with capabilities: a sparse mmap cap with one page
 * aligned area at data_offset, and the NDMA cap.
 */
TEST_F(region, discovery)
{
	const struct vfio_region_info_cap_sparse_mmap *sp;
	const struct vfio_region_info_cap_type *ct;
	const struct vfio_info_cap_header *hdr;
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct vfio_region_info *ri, *found = NULL;
	unsigned int i, nfound = 0;
	uint64_t data_offset;

	ASSERT_EQ(0, ioctl(self->m.dev.fd, VFIO_DEVICE_GET_INFO, &dinfo));
	EXPECT_GE(dinfo.num_regions, VFIO_PCI_NUM_REGIONS + 1);

	for (i = 0; i < dinfo.num_regions; i++) {
		ASSERT_EQ(0, vfio_region_info(&self->m.dev, i, &ri))
			TH_LOG("%s", vfio_errmsg());
		hdr = vfio_region_cap_find(ri, VFIO_REGION_INFO_CAP_TYPE);
		if (hdr) {
			ct = (const void *)hdr;
			if (ct->type == VFIO_REGION_TYPE_MIGRATION &&
			    ct->subtype == VFIO_REGION_SUBTYPE_MIGRATION) {
				nfound++;
				if (!found) {
					found = ri;
					continue;
				}
			}
		}
		free(ri);
	}
	ASSERT_EQ(1, nfound);
	ri = found;
	EXPECT_EQ(self->mig.region.index, ri->index);
	EXPECT_NE(0, ri->size);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		  VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS,
		  ri->flags);
	EXPECT_EQ(sizeof(*ri), ri->cap_offset);

	hdr = vfio_region_cap_find(ri, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	ASSERT_NE(NULL, hdr) TH_LOG("no sparse mmap capability");
	sp = (const void *)hdr;
	ASSERT_EQ(1, sp->nr_areas);
	ASSERT_EQ(0, mig_rd(&self->mig, MIG_HDR(data_offset), &data_offset,
			    sizeof(data_offset)));
	EXPECT_NE(0, data_offset);
	EXPECT_GE(data_offset, sizeof(struct vfio_device_migration_info));
	EXPECT_EQ(data_offset, sp->areas[0].offset);
	EXPECT_EQ(0, sp->areas[0].offset % MIG_PAGE);
	EXPECT_EQ(0, sp->areas[0].size % MIG_PAGE);
	EXPECT_NE(0, sp->areas[0].size);
	EXPECT_LE(sp->areas[0].offset + sp->areas[0].size, ri->size);

	hdr = vfio_region_cap_find(ri, VFIO_REGION_INFO_CAP_MIGRATION_NDMA);
	EXPECT_NE(NULL, hdr) TH_LOG("no NDMA capability (id %d)",
				    VFIO_REGION_INFO_CAP_MIGRATION_NDMA);
	EXPECT_TRUE(self->mig.ndma);
	free(ri);

	/* The client found the same window. */
	EXPECT_EQ(data_offset, self->mig.data_offset);
	EXPECT_NE(0, self->mig.data_size);
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_RUNNING, mig_state(&self->mig));
}

/*
 * argsz: a buffer too short for the chain gets the size it needs, no
 * capability is copied and cap_offset stays 0; the exact size gets all.
 */
TEST_F(region, argsz)
{
	unsigned int idx = self->mig.region.index;
	struct vfio_region_info *ri;
	uint32_t need;
	uint8_t *tail;
	size_t i;

	ri = calloc(1, 4096);
	ASSERT_NE(NULL, ri);

	/* Shorter than the fixed part: refused. */
	need = offsetof(struct vfio_region_info, offset);
	EXPECT_EQ(-EINVAL, region_info_sz(&self->m, idx, need, ri));

	/* The fixed part only, with a poisoned tail. */
	memset(ri, 0, 4096);
	memset((uint8_t *)ri + sizeof(*ri), 0x5a, 4096 - sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = idx;
	ASSERT_EQ(0, ioctl(self->m.dev.fd, VFIO_DEVICE_GET_REGION_INFO, ri));
	need = ri->argsz;
	EXPECT_GT(need, sizeof(*ri));
	EXPECT_EQ(0, ri->cap_offset);
	EXPECT_NE(0, ri->size);
	EXPECT_TRUE(ri->flags & VFIO_REGION_INFO_FLAG_CAPS);
	tail = (uint8_t *)ri + sizeof(*ri);
	for (i = 0; i < 4096 - sizeof(*ri); i++)
		if (tail[i] != 0x5a)
			break;
	EXPECT_EQ(4096 - sizeof(*ri), i) TH_LOG("byte %zu after the fixed part written", i);

	/* One byte short of the chain: still nothing copied. */
	ASSERT_LT(need, 4096);
	memset(tail, 0x5a, 4096 - sizeof(*ri));
	ASSERT_EQ(0, region_info_sz(&self->m, idx, need - 1, ri));
	EXPECT_EQ(need, ri->argsz);
	EXPECT_EQ(0, ri->cap_offset);
	for (i = 0; i < 4096 - sizeof(*ri); i++)
		if (tail[i] != 0x5a)
			break;
	EXPECT_EQ(4096 - sizeof(*ri), i);

	/* Exactly enough: the whole chain. */
	ASSERT_EQ(0, region_info_sz(&self->m, idx, need, ri));
	EXPECT_EQ(need, ri->argsz);
	EXPECT_EQ(sizeof(*ri), ri->cap_offset);
	EXPECT_NE(NULL, vfio_region_cap_find(ri, VFIO_REGION_INFO_CAP_TYPE));
	EXPECT_NE(NULL, vfio_region_cap_find(ri,
					     VFIO_REGION_INFO_CAP_SPARSE_MMAP));
	EXPECT_NE(NULL, vfio_region_cap_find(ri,
					     VFIO_REGION_INFO_CAP_MIGRATION_NDMA));
	free(ri);
}

/* One refused header access: its errno, and no change of state. */
struct bad_access {
	uint64_t off;
	size_t width;
	bool write;
};

static const struct bad_access bad_header[] = {
	/* device_state at other widths */
	{ MIG_HDR(device_state), 1, false }, { MIG_HDR(device_state), 1, true },
	{ MIG_HDR(device_state), 2, false }, { MIG_HDR(device_state), 2, true },
	{ MIG_HDR(device_state), 8, false }, { MIG_HDR(device_state), 8, true },
	{ MIG_HDR(device_state) + 1, 1, true }, { MIG_HDR(device_state) + 2, 2, true },
	/* reserved is read only, and u32 */
	{ MIG_HDR(reserved), 4, true }, { MIG_HDR(reserved), 8, false },
	/* pending_bytes: u64, read only */
	{ MIG_HDR(pending_bytes), 4, false }, { MIG_HDR(pending_bytes) + 4, 4, false },
	{ MIG_HDR(pending_bytes), 8, true }, { MIG_HDR(pending_bytes), 4, true },
	/* data_offset: u64, read only */
	{ MIG_HDR(data_offset), 4, false }, { MIG_HDR(data_offset), 8, true },
	/* data_size: u64 */
	{ MIG_HDR(data_size), 4, false }, { MIG_HDR(data_size), 4, true },
	{ MIG_HDR(data_size), 2, false },
	/* unaligned */
	{ 2, 4, false }, { 2, 4, true }, { 9, 8, false }, { 12, 8, false },
	{ 12, 8, true }, { 20, 8, false }, { 28, 8, false },
	/* across several fields */
	{ 0, 16, false }, { 0, 32, false }, { 8, 16, false }, { 0, 32, true },
	/* after the header, before the window */
	{ 32, 4, false }, { 32, 8, true }, { 64, 4, false },
};

static void check_bad_header(struct __test_metadata *_metadata,
			     struct vfio_mig_v1 *mig, uint32_t state)
{
	uint8_t buf[32];
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(bad_header); i++) {
		const struct bad_access *a = &bad_header[i];

		/* A write of what would be a valid state, if it went in. */
		memset(buf, 0, sizeof(buf));
		buf[0] = VFIO_DEVICE_STATE_V1_STOP;
		ret = mig_raw_rw(mig, a->off, buf, a->width, a->write);
		EXPECT_EQ(-EINVAL, ret)
			TH_LOG("%s of %zu bytes at %llu in state 0x%x: %d",
			       a->write ? "write" : "read", a->width,
			       (unsigned long long)a->off, state, ret);
		EXPECT_EQ(state, mig_state(mig))
			TH_LOG("after the %s of %zu bytes at %llu",
			       a->write ? "write" : "read", a->width,
			       (unsigned long long)a->off);
	}
}

TEST_F(region, header_bad_access_running)
{
	uint32_t v32;

	ASSERT_EQ(VFIO_DEVICE_STATE_V1_RUNNING, mig_state(&self->mig));
	check_bad_header(_metadata, &self->mig, VFIO_DEVICE_STATE_V1_RUNNING);
	/* The good ones still work. */
	EXPECT_EQ(0, mig_rd(&self->mig, MIG_HDR(reserved), &v32, sizeof(v32)));
	EXPECT_EQ(0, v32);
	EXPECT_EQ(0, mig_pending(&self->mig));
	/* data_size is written only while resuming. */
	EXPECT_EQ(-EINVAL, mig_wr(&self->mig, MIG_HDR(data_size), &(uint64_t){ 0 },
				  8));
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_RUNNING, mig_state(&self->mig));
}

TEST_F(region, header_bad_access_saving)
{
	uint64_t pending, size;

	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->mig, VFIO_DEVICE_STATE_V1_SAVING))
		TH_LOG("%s", vfio_errmsg());
	check_bad_header(_metadata, &self->mig, VFIO_DEVICE_STATE_V1_SAVING);
	/* data_size is read only while saving. */
	size = 0;
	EXPECT_EQ(-EINVAL, mig_wr(&self->mig, MIG_HDR(data_size), &size, 8));
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_SAVING, mig_state(&self->mig));
	/* And the session is intact: the whole device is still pending. */
	pending = mig_pending(&self->mig);
	EXPECT_GT(pending, self->m.mem_size);
}

TEST_F(region, header_bad_access_resuming)
{
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->mig, VFIO_DEVICE_STATE_V1_RESUMING))
		TH_LOG("%s", vfio_errmsg());
	check_bad_header(_metadata, &self->mig, VFIO_DEVICE_STATE_V1_RESUMING);
}

/*
 * The data window: any width inside it; anything reaching past it, past
 * the region or into the gap after the header is refused, and so are
 * mappings that do not fit it.
 */
TEST_F(region, window_bounds)
{
	uint64_t off = self->mig.data_offset, size = self->mig.data_size;
	uint8_t buf[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	void *p;

	ASSERT_NE(0, size);
	ASSERT_EQ(0, vfio_mig_v1_set_state(&self->mig, VFIO_DEVICE_STATE_V1_RESUMING));
	EXPECT_EQ(0, mig_wr(&self->mig, off, buf, 1));
	EXPECT_EQ(0, mig_wr(&self->mig, off + 3, buf, 7));
	EXPECT_EQ(0, mig_wr(&self->mig, off + size - 8, buf, 8));
	EXPECT_EQ(0, mig_rd(&self->mig, off + size - 3, buf, 3));
	EXPECT_EQ(-EINVAL, mig_wr(&self->mig, off + size - 4, buf, 8));
	EXPECT_EQ(-EINVAL, mig_wr(&self->mig, off + size, buf, 1));
	EXPECT_EQ(-EINVAL, mig_rd(&self->mig, off + size, buf, 1));
	EXPECT_EQ(-EINVAL, mig_wr(&self->mig, off - 4, buf, 8));
	EXPECT_EQ(-EINVAL, mig_wr(&self->mig, off - 1, buf, 1));
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_RESUMING, mig_state(&self->mig));

	/* Mapping more than the window, or not at it, fails. */
	EXPECT_NE(0, vfio_region_mmap(&self->m.dev, &self->mig.region, off,
				      size + MIG_PAGE, PROT_READ, &p));
	EXPECT_NE(0, vfio_region_mmap(&self->m.dev, &self->mig.region, 0,
				      MIG_PAGE, PROT_READ, &p));
	EXPECT_NE(0, vfio_region_mmap(&self->m.dev, &self->mig.region,
				      off + size, MIG_PAGE, PROT_READ, &p));
	/* The window itself maps. */
	ASSERT_EQ(0, vfio_region_mmap(&self->m.dev, &self->mig.region, off,
				      size, PROT_READ | PROT_WRITE, &p));
	EXPECT_EQ(7, ((uint8_t *)p)[size - 2]);
	munmap(p, size);
}

TEST_HARNESS_MAIN
