// SPDX-License-Identifier: GPL-2.0
/*
 * Host-native tests of libvfio's v1 migration channel (chan_v1.c) against
 * a region simulated here: the chunks a device stages, the pending_bytes
 * it reports, and reads of the channel in pieces of any size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "vfio_mig_chan.h"
#include "kselftest_harness.h"

#define WINDOW_OFF	0x1000ULL
#define STREAM_LEN	(300 * 1024)

/*
 * The simulated device: the stream it sends, the sizes of the chunks it
 * stages in turn, and the pending_bytes it reports (what is left unless
 * @pending_said is set).
 */
static struct {
	uint32_t state;
	uint8_t stream[STREAM_LEN];
	size_t len;
	size_t sent;
	size_t staged_at;
	size_t staged;
	const size_t *chunks;
	unsigned int nchunks;
	unsigned int next;
	bool say_pending;
	uint64_t pending_said;
	unsigned int pending_reads;
} dev;

static void dev_init(size_t len, const size_t *chunks, unsigned int n)
{
	size_t i;

	memset(&dev, 0, sizeof(dev));
	for (i = 0; i < sizeof(dev.stream); i++)
		dev.stream[i] = (uint8_t)(i * 131 + (i >> 8));
	dev.len = len;
	dev.chunks = chunks;
	dev.nchunks = n;
	dev.state = VFIO_DEVICE_STATE_V1_RUNNING;
}

/* libvfio's region accessors, as the simulated device answers them. */

int vfio_set_error(int err, const char *fmt, ...)
{
	return err;
}

const char *vfio_mig_v2_state_name(uint32_t state)
{
	return "state";
}

int vfio_mig_v1_open(struct vfio_mig_v1 *m, struct vfio_dev *d, bool use_mmap)
{
	memset(m, 0, sizeof(*m));
	m->dev = d;
	m->data_offset = WINDOW_OFF;
	m->data_size = 64 * 1024;
	return 0;
}

void vfio_mig_v1_close(struct vfio_mig_v1 *m)
{
}

int vfio_mig_v1_get_state(struct vfio_mig_v1 *m, uint32_t *state)
{
	*state = dev.state;
	return 0;
}

int vfio_mig_v1_set_state(struct vfio_mig_v1 *m, uint32_t state)
{
	dev.state = state;
	return 0;
}

int vfio_mig_v1_pending(struct vfio_mig_v1 *m, uint64_t *pending)
{
	dev.pending_reads++;
	dev.staged = 0;
	*pending = dev.say_pending ? dev.pending_said : dev.len - dev.sent;
	return 0;
}

int vfio_mig_v1_stage(struct vfio_mig_v1 *m, uint64_t *off, uint64_t *len)
{
	size_t n = 0;

	if (dev.next < dev.nchunks)
		n = dev.chunks[dev.next++];
	if (n > dev.len - dev.sent)
		n = dev.len - dev.sent;
	dev.staged_at = dev.sent;
	dev.staged = n;
	dev.sent += n;
	*off = WINDOW_OFF;
	*len = n;
	return 0;
}

int vfio_mig_v1_read_data(struct vfio_mig_v1 *m, uint64_t off, void *buf,
			  size_t len)
{
	if (off < WINDOW_OFF || off - WINDOW_OFF + len > dev.staged)
		return -EFAULT;
	memcpy(buf, dev.stream + dev.staged_at + (off - WINDOW_OFF), len);
	return 0;
}

int vfio_mig_v1_load_chunk(struct vfio_mig_v1 *m, const void *buf, size_t len)
{
	return 0;
}

static uint8_t got[STREAM_LEN];

/* Read @c in pieces of @piece bytes until it returns 0 or an error. */
static ssize_t read_all(struct vfio_mig_chan *c, size_t piece, size_t *len)
{
	ssize_t n;

	*len = 0;
	while ((n = vfio_mig_chan_read(c, got + *len,
				       piece < sizeof(got) - *len ?
				       piece : sizeof(got) - *len)) > 0)
		*len += n;
	return n;
}

/* Reads of any size return the whole stream, across chunk boundaries. */
TEST(reads_of_any_size)
{
	static const size_t chunks[] = { 65536, 100, 65536, 4097, 65536, 65536,
					 65536, 65536 };
	static const size_t pieces[] = { 1, 7, 4096, 4097, 65536, 1 << 20 };
	struct vfio_dev d = { 0 };
	struct vfio_mig_chan c;
	uint32_t stop_copy = VFIO_DEVICE_STATE_STOP_COPY;
	unsigned int i;
	size_t len;

	for (i = 0; i < ARRAY_SIZE(pieces); i++) {
		dev_init(200000, chunks, ARRAY_SIZE(chunks));
		ASSERT_EQ(0, vfio_mig_chan_v1(&c, &d, false));
		ASSERT_EQ(0, vfio_mig_chan_set_state(&c, stop_copy));
		ASSERT_EQ(0, read_all(&c, pieces[i], &len));
		ASSERT_EQ(200000, len) TH_LOG("pieces of %zu", pieces[i]);
		EXPECT_EQ(0, memcmp(got, dev.stream, len))
			TH_LOG("pieces of %zu", pieces[i]);
		vfio_mig_chan_close(&c);
	}
}

/*
 * One read of a channel moved to @state, from a device with @len bytes
 * pending and no chunk to stage.
 */
static ssize_t read_unstaged(size_t len, uint32_t state)
{
	struct vfio_dev d = { 0 };
	struct vfio_mig_chan c;
	uint8_t b[16];
	ssize_t n = -EIO;

	dev_init(len, NULL, 0);
	if (!vfio_mig_chan_v1(&c, &d, true) &&
	    !vfio_mig_chan_set_state(&c, state))
		n = vfio_mig_chan_read(&c, b, sizeof(b));
	vfio_mig_chan_close(&c);
	return n;
}

/*
 * Nothing pending is a pause in pre-copy and the end in stop-and-copy;
 * bytes pending but no chunk staged is a pause in pre-copy too, and a
 * broken device in stop-and-copy.
 */
TEST(nothing_staged)
{
	EXPECT_EQ(-ENOMSG, read_unstaged(0, VFIO_DEVICE_STATE_PRE_COPY));
	EXPECT_EQ(0, read_unstaged(0, VFIO_DEVICE_STATE_STOP_COPY));
	EXPECT_EQ(-ENOMSG, read_unstaged(1000, VFIO_DEVICE_STATE_PRE_COPY));
	EXPECT_EQ(-EPROTO, read_unstaged(1000, VFIO_DEVICE_STATE_STOP_COPY));
}

/*
 * A chunk read in part stays staged: pending does not read pending_bytes
 * (that would acknowledge it) but counts its rest, even when the device
 * staged more than the pending_bytes it reported just before (it staged
 * what was dirtied in between); the count never wraps around.
 */
TEST(pending_counts_rest_of_longer_chunk)
{
	static const size_t chunks[] = { 156920 };
	struct vfio_dev d = { 0 };
	struct vfio_mig_chan c;
	uint64_t pending;
	unsigned int reads;

	dev_init(200000, chunks, ARRAY_SIZE(chunks));
	dev.say_pending = true;
	dev.pending_said = 8192;
	ASSERT_EQ(0, vfio_mig_chan_v1(&c, &d, true));
	ASSERT_EQ(0, vfio_mig_chan_set_state(&c, VFIO_DEVICE_STATE_PRE_COPY));
	ASSERT_EQ(10000, vfio_mig_chan_read(&c, got, 10000));
	reads = dev.pending_reads;
	ASSERT_EQ(0, vfio_mig_chan_pending(&c, &pending));
	EXPECT_EQ(reads, dev.pending_reads);
	EXPECT_EQ(156920 - 10000, pending);

	/* Shorter than what was reported: the report minus what was read. */
	dev_init(200000, chunks, ARRAY_SIZE(chunks));
	dev.say_pending = true;
	dev.pending_said = 190000;
	ASSERT_EQ(0, vfio_mig_chan_set_state(&c, VFIO_DEVICE_STATE_STOP));
	ASSERT_EQ(0, vfio_mig_chan_set_state(&c, VFIO_DEVICE_STATE_PRE_COPY));
	ASSERT_EQ(10000, vfio_mig_chan_read(&c, got, 10000));
	ASSERT_EQ(0, vfio_mig_chan_pending(&c, &pending));
	EXPECT_EQ(190000 - 10000, pending);

	/* A chunk read whole: pending asks the device, which acknowledges. */
	ASSERT_EQ(146920, vfio_mig_chan_read(&c, got, sizeof(got)));
	reads = dev.pending_reads;
	ASSERT_EQ(0, vfio_mig_chan_pending(&c, &pending));
	EXPECT_EQ(reads + 1, dev.pending_reads);
	EXPECT_EQ(190000, pending);
	vfio_mig_chan_close(&c);
}

/* A chunk read in part in pre-copy goes on in stop-and-copy. */
TEST(part_of_chunk_across_stop_copy)
{
	static const size_t chunks[] = { 50000, 50000 };
	struct vfio_dev d = { 0 };
	struct vfio_mig_chan c;
	size_t len;

	dev_init(100000, chunks, ARRAY_SIZE(chunks));
	ASSERT_EQ(0, vfio_mig_chan_v1(&c, &d, true));
	ASSERT_EQ(0, vfio_mig_chan_set_state(&c, VFIO_DEVICE_STATE_PRE_COPY));
	ASSERT_EQ(100, vfio_mig_chan_read(&c, got, 100));
	ASSERT_EQ(0, vfio_mig_chan_set_state(&c, VFIO_DEVICE_STATE_STOP_COPY));
	ASSERT_EQ(0, read_all(&c, 4093, &len));
	EXPECT_EQ(100000 - 100, len);
	EXPECT_EQ(0, memcmp(got, dev.stream + 100, len));
	vfio_mig_chan_close(&c);
}

TEST_HARNESS_MAIN
