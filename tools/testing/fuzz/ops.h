/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running fuzz programs against one mdma instance.
 */
#ifndef _FUZZ_OPS_H
#define _FUZZ_OPS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "mdma_util.h"
#include "prog.h"

#define FZ_DATA_SLOTS	4		/* data fds; slot FZ_DATA_SLOTS: mgmt */
#define FZ_SLOTS	(FZ_DATA_SLOTS + 1)
#define FZ_MAPS		8
#define FZ_REGIONS	10		/* the PCI regions and the migration one */
#define FZ_EVENTFDS	4
#define FZ_SBUF		(256u << 10)	/* saved stream bytes kept */

/**
 * struct fz_ctx - the instance a program runs against, and its files
 * @inst: held shared by the device's operations, alone by reopen/remove
 * @lock: guards the fields below; never held across a slow system call
 * @m: the mdma instance and its container
 * @uuid: the instance's, empty when there is none
 * @open: @m has a device fd
 * @region_off: file offset of each region (FZ_REGIONS - 1: migration)
 * @region_size: its size, 0 if the device has none
 * @fd: data fds of v2 and the management channel's fd, or -1
 * @next_slot: the data slot a new data fd takes when all are in use
 * @map: mappings of the device, undone when the program ends
 * @efd: eventfds for SET_IRQS
 * @sbuf: bytes read from a channel, for writing back (mutated) later
 * @slen: bytes in @sbuf
 * @dma: guest memory for DMA mappings, FZ_DATA_SLOTS MiB
 * @iommufd: the instance is opened through iommufd (FUZZ_IOMMUFD=1)
 */
struct fz_ctx {
	pthread_rwlock_t inst;
	pthread_mutex_t lock;
	struct mdma m;
	char uuid[37];
	bool open;
	uint64_t region_off[FZ_REGIONS];
	uint64_t region_size[FZ_REGIONS];
	int fd[FZ_SLOTS];
	unsigned int next_slot;
	struct { void *addr; size_t len; } map[FZ_MAPS];
	int efd[FZ_EVENTFDS];
	uint8_t *sbuf;
	size_t slen;
	uint8_t *dma;
	bool iommufd;
};

int fz_ctx_init(struct fz_ctx *c);
int fz_begin(struct fz_ctx *c);
void fz_end(struct fz_ctx *c);
void fz_ctx_fini(struct fz_ctx *c);
void fz_run_op(struct fz_ctx *c, const struct fz_op *op);

#endif /* _FUZZ_OPS_H */
