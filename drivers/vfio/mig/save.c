// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mig: the save session, turning device state into a stream.
 *
 * A session starts with every chunk of every iterative section dirty. In
 * pre-copy the device runs and its writes mark chunks dirty again; each
 * call of vfio_mig_save_next() fills a buffer with the header record (the
 * first time) and then with records of dirty chunks, taken in rounds over
 * the sections. Once the device is stopped (the final phase) the rest of
 * the dirty chunks follow, then every ONCE section, then the end record.
 */
#include <linux/sched.h>

#include "mig.h"

#define REC_LEN		sizeof(struct vfio_mig_rec)
#define RUN_CHUNKS	(VFIO_MIG_MAX_PAYLOAD / VFIO_MIG_CHUNK_SIZE)

static void vfio_mig_save_dirty_all(struct vfio_mig_device *mig)
{
	unsigned int i;

	for (i = 0; i < mig->nr_sections; i++)
		vfio_mig_dirty_set_all(&mig->dirty[i]);
}

/**
 * vfio_mig_save_begin() - open a save session
 * @mig: the migration device, locked
 * @precopy: the device keeps running: log its writes
 *
 * Return: 0 or the device's log_start() error.
 */
int vfio_mig_save_begin(struct vfio_mig_device *mig, bool precopy)
{
	int ret;

	lockdep_assert_held(&mig->lock);
	memset(&mig->save, 0, sizeof(mig->save));
	vfio_mig_enc_init(&mig->save.enc);
	if (precopy && mig->ops->log_start) {
		WRITE_ONCE(mig->logging, true);
		ret = mig->ops->log_start(mig->vdev);
		if (ret) {
			WRITE_ONCE(mig->logging, false);
			return ret;
		}
	}
	vfio_mig_save_dirty_all(mig);
	mig->save.active = true;
	return 0;
}

/**
 * vfio_mig_save_final() - the device stopped: the stop-and-copy phase
 * @mig: the migration device, locked, with a save session
 */
void vfio_mig_save_final(struct vfio_mig_device *mig)
{
	lockdep_assert_held(&mig->lock);
	mig->save.final = true;
}

/**
 * vfio_mig_save_end() - close the save session, if any
 * @mig: the migration device, locked
 *
 * Data not read by then is dropped: a user need not read it all.
 */
void vfio_mig_save_end(struct vfio_mig_device *mig)
{
	unsigned int i;

	lockdep_assert_held(&mig->lock);
	if (mig->logging) {
		WRITE_ONCE(mig->logging, false);
		if (mig->ops->log_stop)
			mig->ops->log_stop(mig->vdev);
	}
	if (!mig->save.active)
		return;
	for (i = 0; i < mig->nr_sections; i++)
		vfio_mig_dirty_clear_all(&mig->dirty[i]);
	memset(&mig->save, 0, sizeof(mig->save));
}

/**
 * vfio_mig_save_pending() - bytes the session still has to send
 * @mig: the migration device, locked
 *
 * Payload bytes of the dirty chunks, and in the final phase the ONCE
 * sections and the end record; record headers are not counted. Zero
 * exactly when the stream is complete (or, in pre-copy, when nothing is
 * dirty at the moment).
 *
 * Return: the byte count.
 */
u64 vfio_mig_save_pending(struct vfio_mig_device *mig)
{
	struct vfio_mig_save *sv = &mig->save;
	u64 bytes = 0;
	unsigned int i;

	lockdep_assert_held(&mig->lock);
	if (!sv->active || sv->end_sent)
		return 0;
	if (!sv->header_sent)
		bytes += vfio_mig_enc_header_len();
	for (i = 0; i < mig->nr_sections; i++) {
		bytes += (u64)vfio_mig_dirty_count(&mig->dirty[i]) *
			 VFIO_MIG_CHUNK_SIZE;
		if (sv->final && mig->sections[i].kind == VFIO_MIG_SECTION_ONCE &&
		    !(sv->once_sent & BIT(i)))
			bytes += mig->sections[i].size;
	}
	if (sv->final && !sv->end_sent)
		bytes += REC_LEN + sizeof(struct vfio_mig_stream_end);
	return bytes;
}

/**
 * vfio_mig_save_round_left() - bytes left in the current round
 * @mig: the migration device, locked
 *
 * In pre-copy: the header if it is still due, and the dirty chunks the
 * current round has not passed yet. Chunks marked behind the round's
 * cursor wait for the next round, which starts when the user asks for
 * data again; so the figure reaches 0 at the end of every round however
 * busy the device is, and a user that iterates devices in order and only
 * moves on once a device reports 0 (QEMU 7.2) reaches the next device.
 * In the final phase: everything, as vfio_mig_save_pending().
 *
 * Return: the byte count.
 */
u64 vfio_mig_save_round_left(struct vfio_mig_device *mig)
{
	struct vfio_mig_save *sv = &mig->save;
	u64 bytes = 0;
	unsigned int i;
	size_t from;

	lockdep_assert_held(&mig->lock);
	if (!sv->active || sv->final)
		return vfio_mig_save_pending(mig);
	if (!sv->header_sent)
		bytes += vfio_mig_enc_header_len();
	for (i = sv->sec; i < mig->nr_sections; i++) {
		if (mig->sections[i].kind != VFIO_MIG_SECTION_ITERATIVE)
			continue;
		from = i == sv->sec ? sv->cursor : 0;
		bytes += (u64)vfio_mig_dirty_count_from(&mig->dirty[i], from) *
			 VFIO_MIG_CHUNK_SIZE;
	}
	return bytes;
}

/**
 * vfio_mig_stop_copy_size() - estimated bytes of a stop-and-copy now
 * @mig: the migration device, locked
 *
 * With a save session: what is pending as if the device stopped now,
 * including a staged piece not read yet. Without one: a whole stream.
 * Record headers are not counted.
 *
 * Return: the byte count.
 */
u64 vfio_mig_stop_copy_size(struct vfio_mig_device *mig)
{
	struct vfio_mig_save *sv = &mig->save;
	u64 bytes = REC_LEN + sizeof(struct vfio_mig_stream_end);
	unsigned int i;

	lockdep_assert_held(&mig->lock);
	if (sv->active && sv->end_sent)
		return vfio_mig_save_unread(mig);
	if (!sv->active || !sv->header_sent)
		bytes += vfio_mig_enc_header_len();
	for (i = 0; i < mig->nr_sections; i++) {
		const struct vfio_mig_section *s = &mig->sections[i];

		if (s->kind == VFIO_MIG_SECTION_ONCE) {
			if (!(sv->active && (sv->once_sent & BIT(i))))
				bytes += s->size;
		} else if (sv->active) {
			bytes += (u64)vfio_mig_dirty_count(&mig->dirty[i]) *
				 VFIO_MIG_CHUNK_SIZE;
		} else {
			bytes += s->size;
		}
	}
	return bytes + vfio_mig_save_unread(mig);
}

/**
 * vfio_mig_save_unread() - bytes staged by the owner and not yet taken
 * @mig: the migration device, locked
 *
 * The one place that knows: a piece staged in the owning channel's
 * buffer is still to be read although the session no longer counts it
 * as pending.
 *
 * Return: the byte count, 0 without a save session.
 */
u64 vfio_mig_save_unread(struct vfio_mig_device *mig)
{
	const struct vfio_mig_stage *st;

	lockdep_assert_held(&mig->lock);
	if (!mig->save.active || !mig->owner)
		return 0;
	st = &mig->owner->stage;
	return st->len - st->pos;
}

/*
 * Copy the next run of dirty chunks into a record at @buf. Returns the
 * record's length, 0 when this round has no dirty chunk left, or -errno.
 */
static ssize_t vfio_mig_save_next_run(struct vfio_mig_device *mig, u8 *buf,
				      size_t room)
{
	struct vfio_mig_save *sv = &mig->save;
	const struct vfio_mig_section *s;
	size_t start = 0, n, max;
	u64 off, len;
	int ret;

	if (room < REC_LEN + VFIO_MIG_CHUNK_SIZE)
		return 0;
	max = min_t(size_t, RUN_CHUNKS, (room - REC_LEN) / VFIO_MIG_CHUNK_SIZE);

	for (; sv->sec < mig->nr_sections; sv->sec++, sv->cursor = 0) {
		s = &mig->sections[sv->sec];
		if (s->kind != VFIO_MIG_SECTION_ITERATIVE)
			continue;
		n = vfio_mig_dirty_take(&mig->dirty[sv->sec], &sv->cursor, max,
					&start);
		if (n)
			break;
	}
	if (sv->sec >= mig->nr_sections)
		return 0;

	off = (u64)start << VFIO_MIG_CHUNK_SHIFT;
	len = min_t(u64, (u64)n << VFIO_MIG_CHUNK_SHIFT, s->size - off);
	if (mig->logging && mig->ops->log_protect)
		mig->ops->log_protect(mig->vdev, s->id, off, len);
	ret = s->read(mig->vdev, off, buf + REC_LEN, len);
	if (ret)
		return ret;
	return vfio_mig_enc_data(&sv->enc, s->id, off, buf, room, len);
}

static bool vfio_mig_save_dirty_left(struct vfio_mig_device *mig)
{
	unsigned int i;

	for (i = 0; i < mig->nr_sections; i++)
		if (vfio_mig_dirty_count(&mig->dirty[i]))
			return true;
	return false;
}

/* The ONCE sections and the end record; 0 when there is no room yet. */
static ssize_t vfio_mig_save_next_tail(struct vfio_mig_device *mig, u8 *buf,
				       size_t room)
{
	struct vfio_mig_save *sv = &mig->save;
	const struct vfio_mig_section *s;
	unsigned int i;
	int ret;

	for (i = 0; i < mig->nr_sections; i++) {
		s = &mig->sections[i];
		if (s->kind != VFIO_MIG_SECTION_ONCE ||
		    (sv->once_sent & BIT(i)))
			continue;
		if (room < REC_LEN + s->size)
			return 0;
		ret = s->save(mig->vdev, buf + REC_LEN, s->size);
		if (ret < 0)
			return ret;
		if (!ret || ret > s->size)
			return -EIO;
		sv->once_sent |= BIT(i);
		return vfio_mig_enc_data(&sv->enc, s->id, 0, buf, room, ret);
	}
	if (sv->end_sent)
		return 0;
	ret = vfio_mig_enc_end(&sv->enc, buf, room);
	if (ret == -ENOSPC)
		return 0;
	if (ret > 0)
		sv->end_sent = true;
	return ret;
}

/**
 * vfio_mig_save_next() - produce the next piece of the stream
 * @mig: the migration device, locked, with a save session
 * @buf: where the records go
 * @len: room at @buf, at least 128 KiB
 *
 * At most one new round starts per call, and every turn of the loop
 * fills the buffer further or ends the call: however fast the device
 * marks chunks dirty, a call is bounded by @len.
 *
 * Return: bytes written, whole records only; 0 when nothing is pending
 * now (in pre-copy) or the stream is complete (in the final phase); or a
 * negative errno from the device.
 */
ssize_t vfio_mig_save_next(struct vfio_mig_device *mig, void *buf, size_t len)
{
	struct vfio_mig_save *sv = &mig->save;
	bool new_round = false;
	size_t pos = 0;
	ssize_t n;

	lockdep_assert_held(&mig->lock);
	if (!sv->active)
		return -EINVAL;
	/* Nothing follows the end record, whatever the device marks. */
	if (sv->end_sent)
		return 0;
	if (!sv->header_sent) {
		n = vfio_mig_enc_header(&sv->enc, &mig->desc, buf, len);
		if (n < 0)
			return n;
		pos += n;
		sv->header_sent = true;
	}

	for (;;) {
		n = vfio_mig_save_next_run(mig, buf + pos, len - pos);
		if (n < 0)
			return n;
		if (n) {
			pos += n;
			continue;
		}
		if (len - pos < REC_LEN + VFIO_MIG_CHUNK_SIZE)
			break;		/* full */
		/* The round is over. Another only if chunks are dirty. */
		if (vfio_mig_save_dirty_left(mig)) {
			if (new_round)
				break;	/* the next call goes on */
			sv->sec = 0;
			sv->cursor = 0;
			sv->rounds++;
			new_round = true;
			continue;
		}
		if (!sv->final)
			break;
		n = vfio_mig_save_next_tail(mig, buf + pos, len - pos);
		if (n <= 0) {
			if (n < 0)
				return n;
			break;
		}
		pos += n;
		/* A chunk the device marks from now on is too late. */
		if (sv->end_sent)
			break;
		cond_resched();
	}
	return pos;
}
