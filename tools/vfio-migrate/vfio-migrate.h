/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-migrate: migrate an mdma instance, to a file or live to another
 * instance, through the VFIO migration region (protocol v1) or through
 * VFIO_DEVICE_FEATURE and its data fd (protocol v2).
 */
#ifndef _VFIO_MIGRATE_H
#define _VFIO_MIGRATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdma_util.h"
#include "vfio_mig_chan.h"
#include <linux/vfio_mig_stream.h>

#define VM_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define VM_MIB			(1024.0 * 1024.0)

/* Where vfio_mig.ko publishes its window size. */
#define VM_WINDOW_KB_PARAM	"/sys/module/vfio_mig/parameters/window_kb"

/* The migration protocol a command speaks. */
enum vm_proto {
	VM_PROTO_V1 = 1,	/* the migration region */
	VM_PROTO_V2 = 2,	/* VFIO_DEVICE_FEATURE and a data fd */
	VM_PROTO_PLUGIN = 3,	/* v1 states through a plugin (backend.c) */
};

/**
 * struct vm_dev - An mdma instance opened for migration.
 * @m: the instance, in a container of its own.
 * @proto: the protocol it is migrated with.
 * @chan: its migration channel (libvfio's struct vfio_mig_chan): the v1
 *	region, the v2 data fd or a migration plugin.
 * @type: its mdev type name.
 * @chunk: a buffer for one read or write of the channel.
 * @chunk_size: size of @chunk, the channel's piece.
 */
struct vm_dev {
	struct mdma m;
	enum vm_proto proto;
	struct vfio_mig_chan chan;
	char type[VFIO_MIG_TYPE_LEN];
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
 * Open instance @uuid (an mdma instance, in a container of its own)
 * without a migration channel yet. Prints what failed and a hint on
 * stderr; returns 0 or -errno.
 */
int vm_dev_open(struct vm_dev *d, const char *uuid);

/* Undo vm_dev_open() and vm_dev_open_backend(); safe on a zeroed device. */
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

/*
 * "v1" or "v2" (also "1" or "2") to a protocol; -1, with the error
 * printed, if it is neither.
 */
int vm_proto_parse(const char *arg);

/* "v1" or "v2". */
const char *vm_proto_name(enum vm_proto proto);

/* The v2 migration flags as words: "stop-copy p2p pre-copy". */
const char *vm_v2_flags_str(char *buf, size_t size, uint64_t flags);

/*
 * backend.c: where a device's migration data goes. "local" (the default)
 * is the device's own region or v2 fd; "plugin" is a migration plugin
 * (<vfio_lm_plugin.h>), as QEMU's x-plugin-path and x-plugin-arg, that
 * reaches an out-of-band agent. The plugin drives the v1 state machine.
 */
struct vm_backend {
	bool plugin;
	const char *path;
	const char *arg;
	const char *src_arg;
	const char *dst_arg;
};

/* The backend the command line chose (vm_backend_option()). */
extern struct vm_backend vm_backend;

/* getopt_long() values of the backend options. */
#define VM_OPT_BACKEND		0x100
#define VM_OPT_PLUGIN_PATH	0x101
#define VM_OPT_PLUGIN_ARG	0x102
#define VM_OPT_SRC_PLUGIN_ARG	0x103
#define VM_OPT_DST_PLUGIN_ARG	0x104

/* The usage text of the backend options. */
#define VM_BACKEND_USAGE \
	"  --backend B     local: the device's own region or v2 fd (default);\n" \
	"                  plugin: a migration plugin (QEMU's x-plugin-path)\n" \
	"  --plugin-path SO  the plugin, with --backend plugin\n" \
	"  --plugin-arg ARG  its argument (QEMU's x-plugin-arg), e.g.\n" \
	"                  unix:/run/vfio-mig-agent.sock,token=FILE\n"

/* Take backend option @c; 0, or 1 after printing a usage error. */
int vm_backend_option(int c, const char *arg);

/*
 * The end of every command's option switch: a backend option, --help
 * (@usage on stdout, -1: exit 0) or an unknown option (@usage on stderr,
 * 1). Returns 0 once a backend option is taken.
 */
int vm_other_option(int c, const char *arg, void (*usage)(FILE *f));

/* Check the backend options against @proto and @trapped; 0 or 1. */
int vm_backend_check(enum vm_proto proto, bool trapped, bool live);

/*
 * vm_dev_open() and a migration channel chosen by vm_backend: with the
 * local backend, the device's own (protocol @proto: v1 with its data
 * window mapped unless @trapped, or v2, which needs STOP_COPY); with the
 * plugin backend, the plugin inited with @arg (NULL: --plugin-arg). A
 * plugin that is missing, of another ABI version or incomplete is
 * refused, and the device reported as not migratable; so is, with the
 * local backend, a device without in-band migration.
 */
int vm_dev_open_backend(struct vm_dev *d, const char *uuid, bool trapped,
			enum vm_proto proto, const char *arg);

/*
 * Move @d to @state (enum vfio_device_mig_state) through its channel. On
 * failure, vm_explain(@what) unless @what is NULL. Returns 0 or -errno.
 */
int vm_set_state(struct vm_dev *d, uint32_t state, const char *what);

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

/*
 * Read the rest of @d's stream in stop-and-copy (the device in STOP_COPY)
 * until its end, into the file @fd unless it is -1 (see saveload.c).
 * @reads counts the channel reads that returned data.
 */
int vm_save_stopcopy(struct vm_dev *d, int fd, uint64_t *bytes,
		     uint64_t *reads);

#endif /* _VFIO_MIGRATE_H */
