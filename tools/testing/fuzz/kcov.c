// SPDX-License-Identifier: GPL-2.0
/*
 * KCOV as the fuzzer's feedback. The kernel records the PC of every basic
 * block of our modules (the only code built with KCOV_INSTRUMENT) that a
 * thread's system calls run. Each pair of consecutive PCs, an edge, counts
 * in libFuzzer's extra counters, which it clears before each input and
 * reads after it; so an input that takes a new edge, or an edge a new
 * number of times, joins the corpus. The distinct PCs seen so far are
 * kept for the report at the end.
 *
 * Work the modules run in a kernel thread (mdma's DMA engine) is not in a
 * system call: mdma runs it as a KCOV remote section under the common
 * handle of the task that rang DOORBELL. The thread that opens the remote
 * buffer gives the handle to the threads it creates afterwards, and the
 * sections of all of them land in that one buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kcov.h>

#include "kcov.h"

#define KCOV_PATH	"/sys/kernel/debug/kcov"
#define KCOV_WORDS	0x40000
#define KCOV_REMOTE_WORDS	0x10000	/* per remote section */
#define EDGES		0x10000
#define PC_SLOTS	0x10000

/* libFuzzer finds its extra counters by the name of their section. */
static uint8_t edges[EDGES] __used __section("__libfuzzer_extra_counters");

static pthread_mutex_t pcs_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long pcs[PC_SLOTS];
static size_t npcs;

static uint32_t hash(unsigned long v)
{
	return (uint32_t)((v * 0x9e3779b97f4a7c15ull) >> 40);
}

static void pc_seen(unsigned long pc)
{
	uint32_t i = hash(pc) % PC_SLOTS, n;

	for (n = 0; n < PC_SLOTS; n++, i = (i + 1) % PC_SLOTS) {
		if (pcs[i] == pc)
			return;
		if (!pcs[i]) {
			if (npcs < PC_SLOTS / 2) {
				pcs[i] = pc;
				npcs++;
			}
			return;
		}
	}
}

static int kcov_open(struct fz_kcov *k, bool remote)
{
	struct kcov_remote_arg arg = {
		.trace_mode = KCOV_TRACE_PC,
		.area_size = KCOV_REMOTE_WORDS,
		.common_handle = kcov_remote_handle(KCOV_SUBSYSTEM_COMMON,
						    getpid()),
	};
	int err;

	k->area = NULL;
	k->fd = open(KCOV_PATH, O_RDWR | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	if (ioctl(k->fd, KCOV_INIT_TRACE, KCOV_WORDS))
		goto fail;
	k->area = mmap(NULL, KCOV_WORDS * sizeof(unsigned long),
		       PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, 0);
	if (k->area == MAP_FAILED)
		goto fail;
	if (remote ? ioctl(k->fd, KCOV_REMOTE_ENABLE, &arg) :
		     ioctl(k->fd, KCOV_ENABLE, KCOV_TRACE_PC))
		goto fail;
	return 0;
fail:
	err = -errno;
	if (k->area && k->area != MAP_FAILED)
		munmap(k->area, KCOV_WORDS * sizeof(unsigned long));
	close(k->fd);
	k->fd = -1;
	k->area = NULL;
	return err;
}

/**
 * fz_kcov_open() - start collecting the calling thread's coverage
 * @k: the thread's buffer
 *
 * Return: 0, or a negative errno (no KCOV in this kernel: fuzzing runs
 * blind, which the caller reports).
 */
int fz_kcov_open(struct fz_kcov *k)
{
	return kcov_open(k, false);
}

/**
 * fz_kcov_open_remote() - collect the remote sections of this process
 * @k: the buffer
 *
 * The calling thread's own system calls are then not covered; threads it
 * creates later carry the handle and open their own buffers.
 *
 * Return: 0, or a negative errno.
 */
int fz_kcov_open_remote(struct fz_kcov *k)
{
	return kcov_open(k, true);
}

/**
 * fz_kcov_start() - forget what the thread ran so far
 * @k: the thread's buffer
 */
void fz_kcov_start(struct fz_kcov *k)
{
	if (k->area)
		__atomic_store_n(&k->area[0], 0, __ATOMIC_RELAXED);
}

/**
 * fz_kcov_collect() - count what the thread ran since fz_kcov_start()
 * @k: the thread's buffer
 *
 * Threads of one input collect one after the other.
 */
void fz_kcov_collect(struct fz_kcov *k)
{
	unsigned long n, i, prev = 0;

	if (!k->area)
		return;
	n = __atomic_load_n(&k->area[0], __ATOMIC_RELAXED);
	if (n > KCOV_WORDS - 1)
		n = KCOV_WORDS - 1;
	pthread_mutex_lock(&pcs_lock);
	for (i = 1; i <= n; i++) {
		unsigned long pc = k->area[i];
		uint8_t *e = &edges[hash(pc ^ (prev << 1)) % EDGES];

		if (*e != 255)
			(*e)++;
		pc_seen(pc);
		prev = pc;
	}
	pthread_mutex_unlock(&pcs_lock);
}

/**
 * fz_kcov_pcs() - how many distinct kernel PCs all inputs reached
 *
 * Return: the count (it stops growing at 32768).
 */
size_t fz_kcov_pcs(void)
{
	size_t n;

	pthread_mutex_lock(&pcs_lock);
	n = npcs;
	pthread_mutex_unlock(&pcs_lock);
	return n;
}
