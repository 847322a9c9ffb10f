/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libFuzzer's entry points, under names the compiler command line maps to
 * libFuzzer's own (see the Makefile).
 */
#ifndef _VFIO_MIG_FUZZ_ENTRY_H
#define _VFIO_MIG_FUZZ_ENTRY_H

#include <stddef.h>
#include "vfio_mig_pure_user.h"

/* Run one input. */
int fuzz_one_input(const u8 *data, size_t size);
/* Mutate @data in place into at most @max_size bytes; return its size. */
size_t fuzz_mutate(u8 *data, size_t size, size_t max_size, unsigned int seed);
/* libFuzzer's own byte-level mutator, for fuzz_mutate() to fall back on. */
size_t fuzz_default_mutate(u8 *data, size_t size, size_t max_size);

#endif /* _VFIO_MIG_FUZZ_ENTRY_H */
