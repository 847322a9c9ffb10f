/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the migration kselftests share: a source and a destination
 * instance with what a test makes of them, the fixture variants over
 * device type, protocol and window, and whole streams moved through a
 * libvfio channel whichever protocol carries it. Include it after
 * kselftest_harness.h.
 */
#ifndef _MIG_PAIR_H
#define _MIG_PAIR_H

#include "mig_v2_util.h"
#include "mdma_fixture.h"
#include "vfio_mig_chan.h"

#define GUARD		0xee
#define NDESC		5

/**
 * struct mig_pair - A source, a destination and what a test made of them.
 * @src: the instance saved.
 * @dst: the instance loaded.
 * @ms: @src's v1 region, when a test opens it.
 * @md: @dst's v1 region, likewise.
 * @cs: @src's migration channel, likewise.
 * @cd: @dst's migration channel, likewise.
 * @sbuf: @src's DMA buffer.
 * @dbuf: @dst's DMA buffer.
 * @wbuf: the buffer of a workload that keeps @src busy.
 * @b: a stream saved through a v2 data fd.
 * @s: a stream saved through the v1 region or a channel.
 * @fd: a v2 data fd, -1 when none is open.
 *
 * mig_pair_destroy() releases whichever of these a test made.
 */
struct mig_pair {
	struct mdma src, dst;
	struct vfio_mig_v1 ms, md;
	struct vfio_mig_chan cs, cd;
	struct vfio_dma_buf sbuf, dbuf, wbuf;
	struct vfio_mig_v2_buf b;
	struct mig_stream s;
	int fd;
};

/**
 * mig_pair_create() - Create the instances of a pair in a fixture's setup.
 * @_metadata: the test's metadata.
 * @p: the pair; zeroed by the harness.
 * @type: the mdev type of both instances.
 *
 * Return: true when both exist, false when the test is skipped.
 */
static inline bool mig_pair_create(struct __test_metadata *_metadata,
				   struct mig_pair *p, const char *type)
{
	p->fd = -1;
	return mdma_fixture_pair(_metadata, &p->src, &p->dst, type);
}

/* Release what mig_pair_create() and the test made, in a teardown. */
static inline void mig_pair_destroy(struct mig_pair *p)
{
	close_fd(&p->fd);
	vfio_mig_chan_close(&p->cs);
	vfio_mig_chan_close(&p->cd);
	vfio_mig_v1_close(&p->ms);
	vfio_mig_v1_close(&p->md);
	mdma_destroy(&p->src);
	mdma_destroy(&p->dst);
	vfio_dma_free(NULL, &p->sbuf);
	vfio_dma_free(NULL, &p->dbuf);
	vfio_dma_free(NULL, &p->wbuf);
	vfio_mig_v2_buf_free(&p->b);
	mig_stream_free(&p->s);
}

/* The carriers a migration test runs over. */
enum mig_carrier {
	MIG_V1_MAPPED,
	MIG_V1_TRAPPED,
	MIG_V2_FD,
};

/**
 * MIG_FIXTURE_VARIANTS() - Run every test of a fixture on each device type
 * and each carrier.
 * @fixture: the fixture.
 *
 * Declares the fixture's variant: the mdev type (variant->type) and the
 * carrier (variant->carrier, an enum mig_carrier): the v1 region with
 * its data window mapped or trapped, or the v2 data fd. Adds one variant
 * per pair. A type the loaded module does not offer skips its variants.
 */
#define MIG_FIXTURE_VARIANTS(fixture)					\
	FIXTURE_VARIANT(fixture) {					\
		const char *type;					\
		enum mig_carrier carrier;				\
	};								\
	MIG_FIXTURE_VARIANTS_OF_TYPE(fixture, 16);			\
	MIG_FIXTURE_VARIANTS_OF_TYPE(fixture, 64)

/* The variants of MIG_FIXTURE_VARIANTS() for mdma's type of @mb MiB. */
#define MIG_FIXTURE_VARIANTS_OF_TYPE(fixture, mb)			\
	FIXTURE_VARIANT_ADD(fixture, m##mb##_v1_mapped) {		\
		.type = MDMA_TYPE_##mb##M,				\
		.carrier = MIG_V1_MAPPED,				\
	};								\
	FIXTURE_VARIANT_ADD(fixture, m##mb##_v1_trapped) {		\
		.type = MDMA_TYPE_##mb##M,				\
		.carrier = MIG_V1_TRAPPED,				\
	};								\
	FIXTURE_VARIANT_ADD(fixture, m##mb##_v2) {			\
		.type = MDMA_TYPE_##mb##M,				\
		.carrier = MIG_V2_FD,					\
	}

/**
 * mig_chan_open() - Open a device's migration channel over a carrier.
 * @c: filled on success.
 * @d: the device.
 * @carrier: an enum mig_carrier.
 *
 * A mapped window that the region does not let this process map is an
 * error, so that a test of the mapped window never runs trapped.
 *
 * Return: 0 or a negative errno, with vfio_errmsg() set.
 */
static inline int mig_chan_open(struct vfio_mig_chan *c, struct vfio_dev *d,
				enum mig_carrier carrier)
{
	int ret;

	if (carrier == MIG_V2_FD)
		return vfio_mig_chan_v2(c, d);
	ret = vfio_mig_chan_v1(c, d, carrier == MIG_V1_MAPPED);
	if (!ret && carrier == MIG_V1_MAPPED && !c->v1.mig.window)
		ret = vfio_set_error(-EPROTO, "the data window is not mapped");
	return ret;
}

/*
 * Save a whole stream through @c into @s: STOP_COPY, read until the end,
 * STOP.
 */
static inline int mig_chan_save_all(struct vfio_mig_chan *c,
				    struct mig_stream *s)
{
	ssize_t n = 0;
	int ret;

	ret = vfio_mig_chan_set_state(c, VFIO_DEVICE_STATE_STOP_COPY);
	while (!ret) {
		ret = mig_stream_grow(s, c->piece);
		if (ret)
			break;
		n = vfio_mig_chan_read(c, s->buf + s->len, c->piece);
		if (n <= 0)
			break;
		s->len += n;
	}
	if (!ret && n < 0)
		ret = vfio_set_error(n, "reading the stop-copy stream");
	return ret ?: vfio_mig_chan_set_state(c, VFIO_DEVICE_STATE_STOP);
}

/*
 * Load @len bytes of @buf through @c in writes of @piece bytes (all at
 * once for 0): RESUMING, the writes, RUNNING.
 */
static inline int mig_chan_load_all(struct vfio_mig_chan *c, const void *buf,
				    size_t len, size_t piece)
{
	size_t off, n;
	int ret;

	ret = vfio_mig_chan_set_state(c, VFIO_DEVICE_STATE_RESUMING);
	for (off = 0; !ret && off < len; off += n) {
		n = piece && piece < len - off ? piece : len - off;
		ret = vfio_mig_chan_write(c, (const uint8_t *)buf + off, n);
	}
	return ret ?: vfio_mig_chan_set_state(c, VFIO_DEVICE_STATE_RUNNING);
}

/**
 * MIG_PAIR_FIXTURE() - A fixture that holds a pair of instances.
 * @fixture: the fixture.
 * @variants: MDMA_FIXTURE_VARIANTS or MIG_FIXTURE_VARIANTS, which declare
 *	its variants (each with a device type).
 *
 * The fixture's self->p is a struct mig_pair whose instances are of the
 * variant's type; the teardown releases whatever the test made of it.
 */
#define MIG_PAIR_FIXTURE(fixture, variants)				\
	FIXTURE(fixture) {						\
		struct mig_pair p;					\
	};								\
	variants(fixture);						\
	FIXTURE_SETUP(fixture)						\
	{								\
		mig_pair_create(_metadata, &self->p, variant->type);	\
	}								\
	FIXTURE_TEARDOWN(fixture)					\
	{								\
		mig_pair_destroy(&self->p);				\
	}

#endif /* _MIG_PAIR_H */
