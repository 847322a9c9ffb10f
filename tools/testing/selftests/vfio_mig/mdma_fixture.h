/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The setup the mdma kselftest fixtures share; include it after
 * kselftest_harness.h.
 */
#ifndef MDMA_FIXTURE_H
#define MDMA_FIXTURE_H

#include <stdbool.h>

#include "mdma_util.h"

/**
 * mdma_fixture_create() - Create an mdma instance in a fixture's setup.
 * @_metadata: the test's metadata.
 * @m: the instance.
 * @type: its mdev type.
 *
 * Skips the test when mdma cannot offer @type; a failed create fails it.
 *
 * Return: true when @m is created, false when the test is skipped.
 */
static inline bool mdma_fixture_create(struct __test_metadata *_metadata,
				       struct mdma *m, const char *type)
{
	const char *why = mdma_unavailable(type);
	int ret;

	m->dev.fd = -1;
	if (why)
		SKIP(return false, "%s", why);
	ret = mdma_create(m, type);
	ASSERT_EQ(0, ret) TH_LOG("%s", vfio_errmsg());
	return true;
}

#endif /* MDMA_FIXTURE_H */
