/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-migrate: migrate an mdma instance through the VFIO migration
 * region (protocol v1), to a file or live to another instance.
 */
#ifndef _VFIO_MIGRATE_H
#define _VFIO_MIGRATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdma_util.h"
#include "vfio_migration.h"

#define VM_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define VM_MIB			(1024.0 * 1024.0)

/* Where vfio_mig.ko publishes its window size. */
#define VM_WINDOW_KB_PARAM	"/sys/module/vfio_mig/parameters/window_kb"

/**
 * struct vm_dev - An mdma instance opened for migration.
 * @m: the instance, in a container of its own.
 * @mig: its migration region.
 * @type: its mdev type name.
 * @chunk: a buffer of the window's size for one chunk.
 * @chunk_size: size of @chunk.
 */
struct vm_dev {
	struct mdma m;
	struct vfio_mig_v1 mig;
	char type[VFIO_MIG_FILE_TYPE_LEN];
	void *chunk;
	size_t chunk_size;
};

/* Subcommands: each returns the process exit status. */
int cmd_info(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_live(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* util.c */

/* Print "vfio-migrate: " and the message to stderr. */
void vm_err(const char *fmt, ...);

/* Continue a message on stderr, without a prefix. */
void vm_cont(const char *fmt, ...);

/* Print to stdout (ends any status line first). */
void vm_info(const char *fmt, ...);

/*
 * Open instance @uuid for migration, mapping the data window unless
 * @trapped. Prints what failed and a hint on stderr; returns 0 or -errno.
 */
int vm_dev_open(struct vm_dev *d, const char *uuid, bool trapped);

/* Undo vm_dev_open(); safe on a zeroed or closed device. */
void vm_dev_close(struct vm_dev *d);

/* Print the last libvfio failure with a hint for @err on stderr. */
void vm_explain(const char *what, int err);

/* Seconds of CLOCK_MONOTONIC. */
double vm_now(void);

/* Format @bytes as "12.3 MiB" (or B / KiB) into @buf. */
const char *vm_bytes(char *buf, size_t size, double bytes);

/* Fill @len bytes at @buf quickly from @seed (64-bit xorshift). */
void vm_fill(void *buf, size_t len, uint64_t seed);

/* The loaded vfio_mig's window_kb, or -1 if it cannot be read. */
long vm_window_kb(void);

/*
 * Progress output: on a terminal one status line rewritten in place, at
 * most ten times a second unless @force; elsewhere plain lines, only when
 * @force. vm_status_done() ends the status line.
 */
void vm_status(bool force, const char *fmt, ...);
void vm_status_done(void);

/* True if @arg is -h or --help. */
bool vm_is_help(const char *arg);

/* workload.c: keeps a source instance busy during pre-copy */

enum vm_workload_kind {
	VM_WORKLOAD_NONE,
	VM_WORKLOAD_DMA,	/* DMA into guest RAM and device memory */
	VM_WORKLOAD_MEM,	/* CPU writes to device memory (BAR2 mmap) */
	VM_WORKLOAD_MIXED,	/* both */
};

/**
 * struct vm_workload - A thread that keeps an instance busy.
 * @kind: what it does.
 * @dev: the instance; its engine is enabled.
 * @ram_iova: IOVA of the guest RAM mapped in the instance's container.
 * @ram_size: its size.
 * @bar2: the instance's BAR2 mapping, for VM_WORKLOAD_MEM and _MIXED.
 * @thread: the thread.
 * @running: the thread was started.
 * @stop: set to ask the thread to end.
 * @descs: DMA descriptors queued.
 * @dma_bytes: bytes those descriptors move.
 * @mem_bytes: bytes written to device memory by the CPU.
 * @err: 0, or the negative errno that ended the thread early.
 * @errmsg: what failed.
 */
struct vm_workload {
	enum vm_workload_kind kind;
	struct vm_dev *dev;
	uint64_t ram_iova;
	uint64_t ram_size;
	uint8_t *bar2;
	pthread_t thread;
	bool running;
	int stop;
	uint64_t descs;
	uint64_t dma_bytes;
	uint64_t mem_bytes;
	int err;
	char errmsg[256];
};

/* Name of a workload kind, and its parser (-1 if unknown). */
const char *vm_workload_name(enum vm_workload_kind kind);
int vm_workload_parse(const char *name);

/* Start the thread; 0 or a negative errno. */
int vm_workload_start(struct vm_workload *w);

/*
 * Stop the thread and wait for it. The descriptors it queued stay queued:
 * stopping the device parks them and they migrate with it.
 */
void vm_workload_stop(struct vm_workload *w);

/* Save the whole device state of @d in stop-and-copy: see saveload.c. */
int vm_save_stopcopy(struct vm_dev *d, int fd, uint64_t *bytes,
		     uint64_t *chunks);

#endif /* _VFIO_MIGRATE_H */
