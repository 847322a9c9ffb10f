/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel coverage of one thread's system calls, and of the kernel work they
 * start, from KCOV, as libFuzzer's extra counters.
 */
#ifndef _FUZZ_KCOV_H
#define _FUZZ_KCOV_H

#include <stdbool.h>
#include <stddef.h>

/**
 * struct fz_kcov - a thread's KCOV buffer
 * @fd: the thread's /sys/kernel/debug/kcov, or -1 without KCOV
 * @area: the mapped buffer: a count, then the PCs
 */
struct fz_kcov {
	int fd;
	unsigned long *area;
};

int fz_kcov_open(struct fz_kcov *k);
int fz_kcov_open_remote(struct fz_kcov *k);
void fz_kcov_start(struct fz_kcov *k);
void fz_kcov_collect(struct fz_kcov *k);
size_t fz_kcov_pcs(void);

#endif /* _FUZZ_KCOV_H */
