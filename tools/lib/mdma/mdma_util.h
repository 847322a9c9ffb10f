/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libmdma: helpers shared by the mdma kselftests and vfio-migrate to
 * create, open and drive an mdma instance through libvfio, and to read the
 * digest of its state that mdma.ko publishes in debugfs.
 */
#ifndef _MDMA_UTIL_H
#define _MDMA_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <linux/mdma.h>

#include "vfio_lib.h"

#define MDMA_PARENT		"/sys/class/mdma/mdma"
#define MDMA_DEBUGFS		"/sys/kernel/debug/mdma"
#define MDMA_TYPE_16M		"mdma-16m"
#define MDMA_TYPE_64M		"mdma-64m"

/* How long a test waits for the engine or an interrupt. */
#define MDMA_TIMEOUT_MS		20000

/**
 * struct mdma - One mdma instance opened through VFIO.
 * @uuid: the mdev's UUID.
 * @created: the mdev exists and must be removed.
 * @dev: the open VFIO device (dev.fd < 0 when closed).
 * @container: the container @dev's group is attached to.
 * @bar0: register region.
 * @bar2: device memory region.
 * @cfg: config space region.
 * @mem_size: device memory size expected from the type.
 * @map: a mapping of @bar2 made by mdma_map_bar2(), or NULL.
 * @iommufd: @dev is opened through its cdev and @container is an
 *	iommufd, not a VFIO container (mdma_create_iommufd()).
 */
struct mdma {
	char uuid[37];
	bool created;
	bool iommufd;
	struct vfio_dev dev;
	struct vfio_container container;
	struct vfio_region bar0;
	struct vfio_region bar2;
	struct vfio_region cfg;
	uint64_t mem_size;
	uint8_t *map;
};

/* Return NULL if mdma instances of @type can be made, else why not. */
const char *mdma_unavailable(const char *type);

/* Size of the device memory of an mdma type name. */
uint64_t mdma_type_size(const char *type);

/* Clear @m, with no file open: mdma_destroy() on it does nothing. */
void mdma_init(struct mdma *m);

/* Create an instance of @type and open it in a container of its own. */
int mdma_create(struct mdma *m, const char *type);

/*
 * The same through the iommufd backend: its cdev, bound to an iommufd of
 * its own, whose IO address space takes the DMA mappings.
 */
int mdma_create_iommufd(struct mdma *m, const char *type);

/*
 * Open an existing instance by UUID in a container of its own; @m->created
 * stays false, so mdma_destroy() closes it but does not remove it.
 */
int mdma_open(struct mdma *m, const char *uuid);

/* The same through iommufd, as mdma_create_iommufd() opens it. */
int mdma_open_iommufd(struct mdma *m, const char *uuid);

/*
 * Close an instance's device and container and open them again, as a VMM
 * that died and came back would; BAR2's mapping goes too.
 */
int mdma_reopen(struct mdma *m);

/* Unmap, close and remove what mdma_create() made; safe to call twice. */
void mdma_destroy(struct mdma *m);

/* Map all of BAR2 read-write into m->map. */
int mdma_map_bar2(struct mdma *m);

int mdma_rd(struct mdma *m, uint32_t reg, uint32_t *val);
int mdma_wr(struct mdma *m, uint32_t reg, uint32_t val);

/* Register value, or 0xdeadbeef (never a valid register value) on error. */
uint32_t mdma_reg(struct mdma *m, uint32_t reg);

/* Program one descriptor and ring the doorbell. */
int mdma_submit(struct mdma *m, uint32_t cmd, uint64_t src, uint64_t dst,
		uint32_t len, uint32_t pattern);

/*
 * Wait until the engine is idle (nothing queued, not busy) and at least
 * one of @irq_bits is set in IRQ_STATUS. Return 0 or -ETIMEDOUT.
 */
int mdma_wait(struct mdma *m, uint32_t irq_bits, int timeout_ms);

/*
 * Enable the engine, clear IRQ_STATUS, run one descriptor to its end and
 * return its result in @err: MDMA_ERR_NONE if it raised IRQ_DONE, else
 * DMA_ERROR.
 */
int mdma_run(struct mdma *m, uint32_t cmd, uint64_t src, uint64_t dst,
	     uint32_t len, uint32_t pattern, uint32_t *err);

/* Read one key=value of the instance's debugfs state file. */
int mdma_debugfs_str(struct mdma *m, const char *key, char *val,
		     size_t size);

/* The same, from another debugfs file of the instance (e.g. "workload"). */
int mdma_debugfs_file_str(struct mdma *m, const char *file, const char *key,
			  char *val, size_t size);

/* The same, for a number (decimal or 0x-prefixed). */
int mdma_debugfs(struct mdma *m, const char *key, uint64_t *val);

/**
 * struct mdma_digest - The debugfs digest of an instance's state.
 * @type: the type's name.
 * @mem_size: device memory size in bytes.
 * @mem_crc32: CRC-32 of all of device memory.
 * @regs_crc32: CRC-32 of the register file and config space.
 * @ctrl: CTRL register.
 * @status: STATUS register.
 * @irq_status: IRQ_STATUS register.
 * @irq_mask: IRQ_MASK register.
 * @dma_completed: DMA_COMPLETED register.
 * @dma_queued: DMA_QUEUED register.
 * @dma_error: DMA_ERROR register.
 * @pinned_pages: guest pages the instance holds pinned.
 */
struct mdma_digest {
	char type[32];
	uint64_t mem_size;
	uint32_t mem_crc32;
	uint32_t regs_crc32;
	uint32_t queue_crc32;
	uint32_t ctrl;
	uint32_t status;
	uint32_t irq_status;
	uint32_t irq_mask;
	uint32_t intx_masked;
	uint32_t dma_completed;
	uint32_t dma_queued;
	uint32_t dma_error;
	int64_t pinned_pages;
};

/*
 * Read the whole debugfs state file of instance @uuid into @buf as a NUL
 * terminated string. Return its length or a negative errno.
 */
int mdma_debugfs_read(const char *uuid, char *buf, size_t size);

/* Read and parse the debugfs state file of instance @uuid. */
int mdma_digest_read(const char *uuid, struct mdma_digest *d);

/* Fill @buf with bytes from a simple generator seeded with @seed. */
void mdma_pattern(void *buf, size_t len, uint32_t seed);

/* Return the first offset where @buf differs from @c, or -1. */
long mdma_check_byte(const void *buf, size_t len, uint8_t c);

/* Return the first offset where @a and @b differ, or -1. */
long mdma_cmp(const void *a, const void *b, size_t len);

#endif /* _MDMA_UTIL_H */
