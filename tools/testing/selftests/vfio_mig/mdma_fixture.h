/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The setup the mdma kselftest fixtures share; include it after
 * kselftest_harness.h.
 *
 * The helpers below are called from a FIXTURE_SETUP(). The harness runs
 * no teardown for a setup that failed, so each of them undoes what it
 * made before it fails the test.
 */
#ifndef MDMA_FIXTURE_H
#define MDMA_FIXTURE_H

#include <errno.h>
#include <stdbool.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "mdma_util.h"
#include "vfio_migration.h"

/**
 * MDMA_FIXTURE_VARIANTS() - Run every test of a fixture on each mdma type.
 * @fixture: the fixture.
 *
 * Declares the fixture's variant, which carries the mdev type its
 * instances are created with (variant->type) and the setup flag of the
 * IOMMU backend (variant->backend: 0, the type1 container, here), and
 * adds one variant per type mdma offers. A type that the loaded module
 * does not offer skips its variant (mdma_fixture_create()).
 */
#define MDMA_FIXTURE_VARIANTS(fixture)				\
	FIXTURE_VARIANT(fixture) {				\
		const char *type;				\
		unsigned int backend;				\
	};							\
	FIXTURE_VARIANT_ADD(fixture, m16) {			\
		.type = MDMA_TYPE_16M,				\
	};							\
	FIXTURE_VARIANT_ADD(fixture, m64) {			\
		.type = MDMA_TYPE_64M,				\
	}

/**
 * EXPECT_ERRNO() - Expect a call to fail with an errno.
 * @expected: the errno.
 * @call: a call that returns -1 and sets errno on failure.
 */
#define EXPECT_ERRNO(expected, call)				\
	({							\
		errno = 0;					\
		EXPECT_EQ(-1, call);				\
		EXPECT_EQ(expected, errno);			\
	})

/* What mdma_fixture_create() does with an instance after creating it. */
enum mdma_fixture_setup {
	/* Decode memory and master DMA, as a guest driver does first. */
	MDMA_SETUP_ENABLE = 1 << 0,
	/* Map BAR2 (the device memory) at m->map. */
	MDMA_SETUP_BAR2 = 1 << 1,
	/* Open it through iommufd (mdma_create_iommufd()). */
	MDMA_SETUP_IOMMUFD = 1 << 2,
};

/**
 * MDMA_FIXTURE_BACKENDS() - Run every test of a fixture on each IOMMU
 * backend: the type1 container with both mdma types, and iommufd.
 * @fixture: the fixture.
 *
 * MDMA_FIXTURE_VARIANTS() and one variant more, whose variant->backend
 * is MDMA_SETUP_IOMMUFD; pass variant->backend to mdma_fixture_create().
 * A kernel without iommufd skips that variant.
 */
#define MDMA_FIXTURE_BACKENDS(fixture)				\
	MDMA_FIXTURE_VARIANTS(fixture);				\
	FIXTURE_VARIANT_ADD(fixture, iommufd) {			\
		.type = MDMA_TYPE_16M,				\
		.backend = MDMA_SETUP_IOMMUFD,			\
	}

/*
 * The end of a setup helper: on error @ret, destroy @m (what the helper
 * made) and fail the test; the harness would run no teardown.
 */
static inline bool mdma_fixture_done(struct __test_metadata *_metadata,
				     struct mdma *m, int ret)
{
	if (ret)
		mdma_destroy(m);
	ASSERT_EQ(0, ret) TH_LOG("%s", vfio_errmsg());
	return true;
}

/**
 * mdma_fixture_create() - Create an mdma instance in a fixture's setup.
 * @_metadata: the test's metadata.
 * @m: the instance.
 * @type: its mdev type.
 * @setup: MDMA_SETUP_* steps to take once it exists.
 *
 * Skips the test when mdma cannot offer @type; a failed create or setup
 * step fails it. @m is cleared first, so the teardown may destroy it in
 * every case.
 *
 * Return: true when @m is created, false when the test is skipped.
 */
static inline bool mdma_fixture_create(struct __test_metadata *_metadata,
				       struct mdma *m, const char *type,
				       unsigned int setup)
{
	const char *why = mdma_unavailable(type);
	int ret;

	mdma_init(m);
	if (why)
		SKIP(return false, "%s", why);
	if ((setup & MDMA_SETUP_IOMMUFD) && access("/dev/iommu", F_OK))
		SKIP(return false, "no iommufd in this kernel (CONFIG_IOMMUFD)");
	if (setup & MDMA_SETUP_IOMMUFD)
		ret = mdma_create_iommufd(m, type);
	else
		ret = mdma_create(m, type);
	if (!ret && (setup & MDMA_SETUP_ENABLE))
		ret = vfio_pci_config_write(&m->dev, PCI_COMMAND, 2,
					    PCI_COMMAND_MEMORY |
					    PCI_COMMAND_MASTER);
	if (!ret && (setup & MDMA_SETUP_BAR2))
		ret = mdma_map_bar2(m);
	return mdma_fixture_done(_metadata, m, ret);
}

/**
 * mdma_fixture_v1() - Create an mdma instance and open its v1 region.
 * @_metadata: the test's metadata.
 * @m: the instance.
 * @mig: its v1 region.
 * @type: its mdev type.
 * @setup: MDMA_SETUP_* steps, as for mdma_fixture_create().
 * @mapped: map the region's data window.
 *
 * Return: true when both are ready, false when the test is skipped.
 */
static inline bool mdma_fixture_v1(struct __test_metadata *_metadata,
				   struct mdma *m, struct vfio_mig_v1 *mig,
				   const char *type, unsigned int setup,
				   bool mapped)
{
	int ret;

	if (!mdma_fixture_create(_metadata, m, type, setup))
		return false;
	ret = vfio_mig_v1_open(mig, &m->dev, mapped);
	return mdma_fixture_done(_metadata, m, ret);
}

/**
 * mdma_fixture_pair() - Create a source and a destination instance.
 * @_metadata: the test's metadata.
 * @src: the source.
 * @dst: the destination.
 * @type: the mdev type of both.
 *
 * Skips the test when mdma cannot offer @type; a failed create fails it.
 *
 * Return: true when both are created, false when the test is skipped.
 */
static inline bool mdma_fixture_pair(struct __test_metadata *_metadata,
				     struct mdma *src, struct mdma *dst,
				     const char *type)
{
	int ret;

	mdma_init(dst);
	if (!mdma_fixture_create(_metadata, src, type, 0))
		return false;
	ret = mdma_create(dst, type);
	return mdma_fixture_done(_metadata, src, ret);
}

#endif /* MDMA_FIXTURE_H */
