/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The environment of the pure parts of vfio_mig (state table, stream codec,
 * dirty bookkeeping) and of mdma (its saved CONFIG section): the kernel's
 * own headers. User-space builds of the same .c files (the host-native
 * tests, libvfiomig) include tools/testing/unit/vfio_mig_pure_user.h
 * first, which has this header's include guard and user-space
 * equivalents of what is used here.
 */
#ifndef _VFIO_MIG_PURE_H
#define _VFIO_MIG_PURE_H

#ifndef __KERNEL__
#error "user space: include tools/testing/unit/vfio_mig_pure_user.h first"
#endif

#include <linux/bitops.h>
#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/xxhash.h>
#include <asm/byteorder.h>

#include <linux/vfio_mig_defs.h>

#endif /* _VFIO_MIG_PURE_H */
