// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol v2 data fd under misuse: bad streams written to a RESUMING
 * device, a data fd closed before its session ended, a data fd used after
 * its session ended, and a data fd that outlives the device fd and the
 * device itself.
 */
#include "kselftest_harness.h"
#include "mig_pair.h"
#include "mig_refused.h"

FIXTURE(bad) {
	struct mig_pair p;
	struct mdma_digest ds;
	uint8_t *copy;
	uint8_t *before;
};

MDMA_FIXTURE_VARIANTS(bad);

FIXTURE_SETUP(bad)
{
	if (!mig_pair_create(_metadata, &self->p, variant->type))
		return;
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.md, &self->p.dst.dev, false))
		TH_LOG("%s", vfio_errmsg());
}

FIXTURE_TEARDOWN(bad)
{
	mig_pair_destroy(&self->p);
	free(self->copy);
	free(self->before);
}

/* A populated source saved into self->p.b (its digest in self->ds). */
static void save_source(struct __test_metadata *_metadata,
			struct _test_data_bad *self)
{
	ASSERT_EQ(0, mig_populate(&self->p.src, 0x7788, 3, &self->p.sbuf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, v2_save_all(&self->p.src.dev, &self->p.b))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(self->p.src.uuid, &self->ds));
	ASSERT_TRUE(vfio_mig_rec_sealed(self->p.b.data));
	self->copy = malloc(self->p.b.len);
	ASSERT_NE(NULL, self->copy);
}

/* The destination took the source's state. */
static void check_loaded(struct __test_metadata *_metadata,
			 struct _test_data_bad *self)
{
	struct mdma_digest dd;

	ASSERT_EQ(0, mdma_digest_read(self->p.dst.uuid, &dd));
	EXPECT_STREQ("", mig_digest_diff(&self->ds, &dd));
}

/* The good stream loads, and the destination takes the source's state. */
static void load_good(struct __test_metadata *_metadata,
		      struct _test_data_bad *self)
{
	ASSERT_EQ(0, v2_load_all(&self->p.dst.dev, self->p.b.data, self->p.b.len,
				 0)) TH_LOG("%s", vfio_errmsg());
	check_loaded(_metadata, self);
}

/* The destination in ERROR, in both protocols; reset it to RUNNING. */
static void check_error_and_reset(struct __test_metadata *_metadata,
				  struct _test_data_bad *self, const char *what)
{
	int fd2;

	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, v2_state(&self->p.dst.dev)) TH_LOG("%s", what);
	EXPECT_EQ(VFIO_DEVICE_STATE_SET_ERROR(0), mig_state(&self->p.md)) TH_LOG("%s", what);
	EXPECT_EQ(-ENODEV, fd_poke(self->p.fd)) TH_LOG("%s", what);
	EXPECT_EQ(-EINVAL, __v2_set(&self->p.dst.dev, VFIO_DEVICE_STATE_RUNNING, &fd2))
		TH_LOG("%s", what);
	close_fd(&fd2);
	close_fd(&self->p.fd);
	ASSERT_EQ(0, vfio_dev_reset(&self->p.dst.dev));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, v2_state(&self->p.dst.dev));
}

/* RESUMING, @len bytes of @buf in one write(): its result. */
static ssize_t feed(struct __test_metadata *_metadata,
		    struct _test_data_bad *self, const void *buf, size_t len)
{
	ssize_t n;

	EXPECT_EQ(0, __v2_set(&self->p.dst.dev, VFIO_DEVICE_STATE_RESUMING, &self->p.fd))
		TH_LOG("%s", vfio_errmsg());
	if (self->p.fd < 0)
		return -EBADF;
	n = fd_write(self->p.fd, buf, len);
	return n;
}

/*
 * @len bytes of the bad stream self->copy fail with @err; the device
 * memory of the destination holds only what the records that end before
 * byte @at carry, and the destination is in ERROR (then reset).
 */
static void refused(struct __test_metadata *_metadata,
		    struct _test_data_bad *self, size_t len, int err,
		    size_t at, const char *what)
{
	mig_fill_before(_metadata, &self->p.dst, &self->before);
	EXPECT_EQ(err, feed(_metadata, self, self->copy, len)) TH_LOG("%s", what);
	mig_expect_refused(_metadata, &self->p.dst, self->before,
			   self->p.b.data, self->p.b.len, at);
	check_error_and_reset(_metadata, self, what);
}

/*
 * A stream cut short anywhere is taken, but leaving RESUMING fails with
 * ENODATA and leaves the device in ERROR.
 */
TEST_F_TIMEOUT(bad, truncated, 300)
{
	size_t cuts[] = { 0, 100, STREAM_HDR_REC_LEN, 0 };
	unsigned int i;

	save_source(_metadata, self);
	cuts[3] = self->p.b.len / 2;
	for (i = 0; i < ARRAY_SIZE(cuts) + 2; i++) {
		size_t cut = i < ARRAY_SIZE(cuts) ? cuts[i] :
			     self->p.b.len - (i == ARRAY_SIZE(cuts) ?
					    STREAM_END_REC_LEN : 1);

		EXPECT_EQ((ssize_t)cut, feed(_metadata, self, self->p.b.data,
					     cut)) TH_LOG("cut at %zu", cut);
		EXPECT_EQ(-ENODATA, __v2_set(&self->p.dst.dev, VFIO_DEVICE_STATE_STOP, NULL))
			TH_LOG("cut at %zu", cut);
		check_error_and_reset(_metadata, self, "truncated");
	}
	load_good(_metadata, self);
}

/* One bit flipped anywhere: the write fails with EBADMSG, ERROR. */
TEST_F_TIMEOUT(bad, bit_flipped, 300)
{
	size_t at[] = { 0, 20, STREAM_REC_LEN + 3, STREAM_HDR_REC_LEN + 5,
			0, 0, 0 };
	unsigned int i;
	char what[64];

	save_source(_metadata, self);
	at[4] = self->p.b.len / 2;
	at[5] = self->p.b.len - STREAM_END_REC_LEN + 2;
	at[6] = self->p.b.len - 1;
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		memcpy(self->copy, self->p.b.data, self->p.b.len);
		self->copy[at[i]] ^= 0x10;
		snprintf(what, sizeof(what), "bit 4 of byte %zu flipped", at[i]);
		refused(_metadata, self, self->p.b.len, -EBADMSG, at[i], what);
	}
	load_good(_metadata, self);
}

/* Another stream version, with a good checksum: EPROTONOSUPPORT, ERROR. */
TEST_F_TIMEOUT(bad, wrong_version, 300)
{
	uint32_t version = 2;

	save_source(_metadata, self);
	memcpy(self->copy, self->p.b.data, self->p.b.len);
	memcpy(self->copy + STREAM_REC_LEN + STREAM_HDR_VERSION, &version, 4);
	vfio_mig_rec_seal(self->copy);
	refused(_metadata, self, self->p.b.len, -EPROTONOSUPPORT, 0,
		"wrong version");
	load_good(_metadata, self);
}

/* Another device type, with a good checksum: EINVAL, ERROR. */
TEST_F_TIMEOUT(bad, wrong_device_type, 300)
{
	char *type;

	save_source(_metadata, self);
	memcpy(self->copy, self->p.b.data, self->p.b.len);
	type = (char *)self->copy + STREAM_REC_LEN + STREAM_HDR_TYPE;
	ASSERT_STREQ(variant->type, type);
	memcpy(type, "mdma-15m", 8);
	vfio_mig_rec_seal(self->copy);
	refused(_metadata, self, self->p.b.len, -EINVAL, 0, "wrong device type");
	load_good(_metadata, self);
}

/*
 * Garbage: instead of a stream, and after a whole one. Both fail with
 * EBADMSG and leave the device in ERROR.
 */
TEST_F_TIMEOUT(bad, garbage, 300)
{
	const size_t len = 64 << 10;

	save_source(_metadata, self);
	mdma_pattern(self->copy, len, 0xbad);
	refused(_metadata, self, len, -EBADMSG, 0, "garbage");

	mig_fill_before(_metadata, &self->p.dst, &self->before);
	EXPECT_EQ((ssize_t)self->p.b.len,
		  feed(_metadata, self, self->p.b.data, self->p.b.len));
	EXPECT_EQ(-EBADMSG, fd_write(self->p.fd, self->copy, 100));
	mig_expect_refused(_metadata, &self->p.dst, self->before,
			   self->p.b.data, self->p.b.len, self->p.b.len);
	check_error_and_reset(_metadata, self, "garbage after the end");

	load_good(_metadata, self);
}

/* A new migration of the source loads into the destination. */
static void migrate_again(struct __test_metadata *_metadata,
			  struct _test_data_bad *self)
{
	self->p.b.len = 0;
	ASSERT_EQ(0, v2_save_all(&self->p.src.dev, &self->p.b))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(self->p.src.uuid, &self->ds));
	ASSERT_EQ(0, vfio_dev_reset(&self->p.dst.dev));
	load_good(_metadata, self);
}

/*
 * A saving data fd closed before the end, in PRE_COPY and in STOP_COPY:
 * the state stays, a state change ends the session, and the next
 * migration works.
 */
TEST_F_TIMEOUT(bad, close_early_saving, 300)
{
	uint8_t buf[100 << 10];
	int fd2;

	ASSERT_EQ(0, mig_populate(&self->p.src, 0x99aa, 3, &self->p.sbuf))
		TH_LOG("%s", vfio_errmsg());
	if (kernel_has_precopy()) {
		v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_PRE_COPY, &self->p.fd);
		ASSERT_EQ(sizeof(buf), fd_read(self->p.fd, buf, sizeof(buf)));
		close_fd(&self->p.fd);
		EXPECT_EQ(VFIO_DEVICE_STATE_PRE_COPY, v2_state(&self->p.src.dev));
		/* Inside the saving group: no new fd. */
		EXPECT_EQ(0, __v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP_COPY, &fd2))
			TH_LOG("%s", vfio_errmsg());
		EXPECT_EQ(-1, fd2);
		close_fd(&fd2);
		EXPECT_EQ(VFIO_DEVICE_STATE_STOP_COPY, v2_state(&self->p.src.dev));
		EXPECT_EQ(0, __v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_RUNNING, NULL));
		migrate_again(_metadata, self);
		v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_RUNNING, NULL);

		v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_PRE_COPY, &self->p.fd);
		close_fd(&self->p.fd);
		EXPECT_EQ(0, __v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_RUNNING, NULL));
		migrate_again(_metadata, self);
		v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_RUNNING, NULL);
	}
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP_COPY, &self->p.fd);
	ASSERT_EQ(sizeof(buf), fd_read(self->p.fd, buf, sizeof(buf)));
	close_fd(&self->p.fd);
	EXPECT_EQ(VFIO_DEVICE_STATE_STOP_COPY, v2_state(&self->p.src.dev));
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_SAVING, v1_of(v2_state(&self->p.src.dev)));
	EXPECT_EQ(0, __v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_RUNNING, NULL));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, v2_state(&self->p.src.dev));
	migrate_again(_metadata, self);
}

/*
 * A resuming data fd closed early: with the whole stream written, leaving
 * RESUMING commits it; with half of it, leaving fails with ENODATA and
 * the device is in ERROR until a reset; the next migration works.
 */
TEST_F_TIMEOUT(bad, close_early_resuming, 300)
{
	save_source(_metadata, self);
	EXPECT_EQ((ssize_t)self->p.b.len,
		  feed(_metadata, self, self->p.b.data, self->p.b.len));
	close_fd(&self->p.fd);
	EXPECT_EQ(VFIO_DEVICE_STATE_RESUMING, v2_state(&self->p.dst.dev));
	EXPECT_EQ(0, __v2_set(&self->p.dst.dev, VFIO_DEVICE_STATE_RUNNING, NULL))
		TH_LOG("%s", vfio_errmsg());
	check_loaded(_metadata, self);

	ASSERT_EQ(0, vfio_dev_reset(&self->p.dst.dev));
	EXPECT_EQ((ssize_t)self->p.b.len / 2,
		  feed(_metadata, self, self->p.b.data, self->p.b.len / 2));
	close_fd(&self->p.fd);
	EXPECT_EQ(VFIO_DEVICE_STATE_RESUMING, v2_state(&self->p.dst.dev));
	v2_set_err(ENODATA, &self->p.dst.dev, VFIO_DEVICE_STATE_RUNNING, NULL);
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, v2_state(&self->p.dst.dev));
	ASSERT_EQ(0, vfio_dev_reset(&self->p.dst.dev));

	v2_set(&self->p.dst.dev, VFIO_DEVICE_STATE_RESUMING, &self->p.fd);
	close_fd(&self->p.fd);
	v2_set_err(ENODATA, &self->p.dst.dev, VFIO_DEVICE_STATE_STOP, NULL);
	ASSERT_EQ(0, vfio_dev_reset(&self->p.dst.dev));
	migrate_again(_metadata, self);
}

/*
 * A data fd whose session ended fails with ENODEV: after a state change
 * out of the session, after VFIO_DEVICE_RESET, after the device fd was
 * closed. VFIO_MIG_GET_PRECOPY_INFO on it fails with EINVAL, as the uapi
 * says for any fd outside PRE_COPY.
 */
TEST_F_TIMEOUT(bad, ended_session_enodev, 300)
{
	uint64_t init, dirty;
	uint8_t byte = 0;

	save_source(_metadata, self);

	/* After STOP, and after RESUMING -> RUNNING. */
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP_COPY, &self->p.fd);
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP, NULL);
	EXPECT_EQ(-ENODEV, fd_read(self->p.fd, &byte, 1));
	EXPECT_EQ(-EINVAL, vfio_mig_v2_precopy_info(self->p.fd, &init, &dirty));
	close_fd(&self->p.fd);
	EXPECT_EQ((ssize_t)self->p.b.len,
		  feed(_metadata, self, self->p.b.data, self->p.b.len));
	v2_set(&self->p.dst.dev, VFIO_DEVICE_STATE_RUNNING, NULL);
	EXPECT_EQ(-ENODEV, fd_write(self->p.fd, &byte, 1));
	close_fd(&self->p.fd);

	/* After a reset, saving and resuming. */
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP_COPY, &self->p.fd);
	ASSERT_EQ(0, vfio_dev_reset(&self->p.src.dev));
	EXPECT_EQ(-ENODEV, fd_read(self->p.fd, &byte, 1));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, v2_state(&self->p.src.dev));
	close_fd(&self->p.fd);
	v2_set(&self->p.dst.dev, VFIO_DEVICE_STATE_RESUMING, &self->p.fd);
	ASSERT_EQ(0, vfio_dev_reset(&self->p.dst.dev));
	EXPECT_EQ(-ENODEV, fd_write(self->p.fd, self->p.b.data, 64));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, v2_state(&self->p.dst.dev));
	close_fd(&self->p.fd);
	if (kernel_has_precopy()) {
		v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_PRE_COPY, &self->p.fd);
		ASSERT_EQ(0, vfio_dev_reset(&self->p.src.dev));
		EXPECT_EQ(-ENODEV, fd_read(self->p.fd, &byte, 1));
		EXPECT_EQ(-EINVAL, vfio_mig_v2_precopy_info(self->p.fd, &init,
							    &dirty));
		close_fd(&self->p.fd);
	}

	/* After the device fd was closed (then opened again). */
	v2_set(&self->p.dst.dev, VFIO_DEVICE_STATE_RESUMING, &self->p.fd);
	vfio_mig_v1_close(&self->p.md);
	ASSERT_EQ(0, mdma_reopen(&self->p.dst)) TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(-ENODEV, fd_write(self->p.fd, self->p.b.data, 64));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, v2_state(&self->p.dst.dev));
	close_fd(&self->p.fd);
	load_good(_metadata, self);
}

/*
 * A data fd outlives the device fd, and then the device: its reads fail
 * with ENODEV, and closing it last frees everything without a splat (the
 * kernel log is checked by vm-run, and the final rmmods of run_in_guest.sh
 * show that no reference was left behind).
 */
TEST_F_TIMEOUT(bad, data_fd_outlives_device, 300)
{
	uint8_t buf[4096];
	int fd2 = -1;

	ASSERT_EQ(0, mig_populate(&self->p.src, 0xabcd, 3, &self->p.sbuf))
		TH_LOG("%s", vfio_errmsg());
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP_COPY, &self->p.fd);
	ASSERT_EQ(sizeof(buf), fd_read(self->p.fd, buf, sizeof(buf)));
	v2_set(&self->p.dst.dev, VFIO_DEVICE_STATE_RESUMING, &fd2);
	ASSERT_EQ(sizeof(buf), fd_write(fd2, buf, sizeof(buf)));

	/* The device fds go first (a BAR2 mapping would hold one open). */
	if (self->p.src.map) {
		munmap(self->p.src.map, self->p.src.bar2.size);
		self->p.src.map = NULL;
	}
	ASSERT_EQ(0, close(self->p.src.dev.fd));
	self->p.src.dev.fd = -1;
	vfio_mig_v1_close(&self->p.md);
	ASSERT_EQ(0, close(self->p.dst.dev.fd));
	self->p.dst.dev.fd = -1;
	EXPECT_EQ(-ENODEV, fd_read(self->p.fd, buf, sizeof(buf)));
	EXPECT_EQ(-ENODEV, fd_write(fd2, buf, sizeof(buf)));

	/* Then the devices themselves. */
	mdma_destroy(&self->p.src);
	mdma_destroy(&self->p.dst);
	EXPECT_FALSE(vfio_mdev_exists(self->p.src.uuid));
	EXPECT_FALSE(vfio_mdev_exists(self->p.dst.uuid));
	EXPECT_EQ(-ENODEV, fd_read(self->p.fd, buf, sizeof(buf)));
	EXPECT_EQ(-ENODEV, fd_write(fd2, buf, sizeof(buf)));
	close_fd(&self->p.fd);
	close_fd(&fd2);
}

TEST_HARNESS_MAIN
