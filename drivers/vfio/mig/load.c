// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mig: the load session, applying a stream to the device.
 *
 * The decoder (stream.c) copies each record into memory of its own and
 * verifies it there before its payload reaches the device, so a user who
 * can write the bytes it is fed (the mapped v1 window) cannot change them
 * between the check and the use. This file routes verified payloads to
 * the sections and decides, when the user leaves RESUMING, whether the
 * stream was whole.
 */
#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "mig.h"

static int vfio_mig_load_sink(void *priv, u32 id, u64 off,
			      const void *payload, u32 len)
{
	struct vfio_mig_device *mig = priv;
	const struct vfio_mig_section *s = NULL;
	unsigned int i;

	for (i = 0; i < mig->nr_sections; i++)
		if (mig->sections[i].id == id)
			s = &mig->sections[i];
	if (WARN_ON_ONCE(!s))
		return -EINVAL;
	if (s->kind == VFIO_MIG_SECTION_ONCE)
		return s->load(mig->vdev, payload, len);
	return s->write(mig->vdev, off, payload, len);
}

/**
 * vfio_mig_load_begin() - open a load session
 * @mig: the migration device, locked
 *
 * Return: 0 or -ENOMEM.
 */
int vfio_mig_load_begin(struct vfio_mig_device *mig)
{
	struct vfio_mig_load *ld = &mig->load;
	size_t longs = vfio_mig_dec_coverage_longs(&mig->desc);

	lockdep_assert_held(&mig->lock);
	ld->stage = kvmalloc(VFIO_MIG_MAX_PAYLOAD, GFP_KERNEL);
	ld->coverage = bitmap_zalloc(longs * BITS_PER_LONG, GFP_KERNEL);
	if (!ld->stage || !ld->coverage) {
		vfio_mig_load_end(mig);
		return -ENOMEM;
	}
	vfio_mig_dec_init(&ld->dec, &mig->desc, ld->stage, ld->coverage);
	ld->active = true;
	return 0;
}

static void vfio_mig_load_report(struct vfio_mig_device *mig, int err)
{
	vfio_mig_warn(mig, "migration stream refused: %s (%d)\n",
		      vfio_mig_dec_reason_str(mig->load.dec.reason), err);
}

/**
 * vfio_mig_load_feed() - hand the next piece of the stream to the device
 * @mig: the migration device, locked, with a load session
 * @buf: the bytes, in kernel memory
 * @len: how many
 * @stable: nothing but the caller writes @buf until this returns (a
 *	channel's private buffer): payloads are checked and used in place.
 *	Without it (the v1 window, which a user may write at the same
 *	time) the decoder copies what it checks.
 *
 * Return: 0 or the decoder's (or the device's) error; after an error the
 * stream is refused for good.
 */
int vfio_mig_load_feed(struct vfio_mig_device *mig, const void *buf,
		       size_t len, bool stable)
{
	struct vfio_mig_dec_sink sink = { .data = vfio_mig_load_sink, .priv = mig };
	int ret;

	lockdep_assert_held(&mig->lock);
	if (!mig->load.active)
		return -EINVAL;
	if (stable)
		ret = vfio_mig_dec_feed_stable(&mig->load.dec, buf, len, &sink);
	else
		ret = vfio_mig_dec_feed(&mig->load.dec, buf, len, &sink);
	if (ret)
		vfio_mig_load_report(mig, ret);
	return ret;
}

/**
 * vfio_mig_load_commit() - the user says the stream is over
 * @mig: the migration device, locked, with a load session
 *
 * Return: 0 when the whole state arrived; -ENODATA when the stream ended
 * early or missed a section; the earlier error when it was refused.
 */
int vfio_mig_load_commit(struct vfio_mig_device *mig)
{
	int ret;

	lockdep_assert_held(&mig->lock);
	if (!mig->load.active)
		return -EINVAL;
	ret = vfio_mig_dec_finish(&mig->load.dec);
	if (ret && mig->load.dec.reason != VFIO_MIG_DEC_SINK)
		vfio_mig_load_report(mig, ret);
	return ret;
}

/**
 * vfio_mig_load_end() - close the load session, if any
 * @mig: the migration device, locked
 */
void vfio_mig_load_end(struct vfio_mig_device *mig)
{
	struct vfio_mig_load *ld = &mig->load;

	lockdep_assert_held(&mig->lock);
	kvfree(ld->stage);
	bitmap_free(ld->coverage);
	memset(ld, 0, sizeof(*ld));
}
