// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-migrate: a workload that keeps the source instance busy while its
 * state is pre-copied, the way a guest keeps using a device during a live
 * migration.
 *
 *   dma    queue descriptors: fill guest RAM with a pattern, copy device
 *          memory to guest RAM, copy guest RAM to device memory
 *   mem    the CPU writes pages of device memory through the BAR2 mapping
 *   mixed  both, alternating
 *
 * Each step is followed by a short pause so that pre-copy can make
 * progress, as with a guest whose dirty rate is below the link's speed.
 * When asked to stop, a DMA workload queues a last burst of large
 * descriptors: the device is stopped right after, with work in flight
 * and queued, which it parks and migrates.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vfio-migrate.h"

#define WL_PAGE		4096U
#define WL_MAX_QUEUED	8	/* leave room in the 16-entry queue */
#define WL_MAX_PAGES	16	/* a descriptor moves 4..64 KiB */
#define WL_MEM_PAGES	4	/* pages the CPU writes per step */
#define WL_PAUSE_US	1000
#define WL_BURST	6	/* descriptors of the last burst */
#define WL_BURST_LEN	(1024U * 1024U)

static const char * const names[] = {
	[VM_WORKLOAD_NONE] = "none",
	[VM_WORKLOAD_DMA] = "dma",
	[VM_WORKLOAD_MEM] = "mem",
	[VM_WORKLOAD_MIXED] = "mixed",
};

const char *vm_workload_name(enum vm_workload_kind kind)
{
	return names[kind];
}

int vm_workload_parse(const char *name)
{
	unsigned int i;

	for (i = 0; i < VM_ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

/* A small generator; the workload need not be reproducible. */
static uint64_t wl_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int dma_step(struct vm_workload *w, uint64_t *x)
{
	uint64_t mem = w->dev->m.mem_size;
	uint32_t queued, len, cmd;
	uint64_t ram_off, dev_off;
	int ret;

	ret = mdma_rd(&w->dev->m, MDMA_REG_DMA_QUEUED, &queued);
	if (ret || queued >= WL_MAX_QUEUED)
		return ret;
	len = (1 + wl_rand(x) % WL_MAX_PAGES) * WL_PAGE;
	ram_off = wl_rand(x) % (w->ram_size / WL_PAGE - WL_MAX_PAGES) * WL_PAGE;
	dev_off = wl_rand(x) % (mem / WL_PAGE - WL_MAX_PAGES) * WL_PAGE;
	cmd = MDMA_CMD_DEV_TO_GUEST + wl_rand(x) % 3;
	switch (cmd) {
	case MDMA_CMD_DEV_TO_GUEST:
		ret = mdma_submit(&w->dev->m, cmd, dev_off,
				  w->ram_iova + ram_off, len, 0);
		break;
	case MDMA_CMD_GUEST_TO_DEV:
		ret = mdma_submit(&w->dev->m, cmd, w->ram_iova + ram_off,
				  dev_off, len, 0);
		break;
	default:
		ret = mdma_submit(&w->dev->m, cmd, 0, w->ram_iova + ram_off,
				  len, (uint32_t)wl_rand(x));
		break;
	}
	if (!ret) {
		w->descs++;
		w->dma_bytes += len;
	}
	return ret;
}

/* Queue a burst of 1 MiB descriptors that are still running at the stop. */
static int dma_burst(struct vm_workload *w, uint64_t *x)
{
	uint64_t ram_off, dev_off, mem = w->dev->m.mem_size;
	uint32_t queued, cmd;
	unsigned int i;
	int ret;

	for (i = 0; i < WL_BURST; i++) {
		ret = mdma_rd(&w->dev->m, MDMA_REG_DMA_QUEUED, &queued);
		if (ret || queued >= MDMA_DMA_QUEUE_DEPTH - 2)
			return ret;
		ram_off = wl_rand(x) % ((w->ram_size - WL_BURST_LEN) / WL_PAGE) *
			  WL_PAGE;
		dev_off = wl_rand(x) % ((mem - WL_BURST_LEN) / WL_PAGE) *
			  WL_PAGE;
		cmd = i & 1 ? MDMA_CMD_FILL_GUEST : MDMA_CMD_DEV_TO_GUEST;
		ret = mdma_submit(&w->dev->m, cmd, dev_off,
				  w->ram_iova + ram_off, WL_BURST_LEN,
				  (uint32_t)wl_rand(x));
		if (ret)
			return ret;
		w->descs++;
		w->dma_bytes += WL_BURST_LEN;
	}
	return 0;
}

static void mem_step(struct vm_workload *w, uint64_t *x)
{
	uint64_t pages = w->dev->m.mem_size / WL_PAGE;
	uint64_t page = wl_rand(x) % (pages - WL_MEM_PAGES);

	vm_fill(w->bar2 + page * WL_PAGE, WL_MEM_PAGES * WL_PAGE,
		wl_rand(x));
	w->mem_bytes += WL_MEM_PAGES * WL_PAGE;
}

static void *workload_thread(void *arg)
{
	struct vm_workload *w = arg;
	uint64_t x = 0x2545f4914f6cdd1dULL;
	unsigned long step;
	int ret = 0;

	for (step = 0; !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE); step++) {
		switch (w->kind) {
		case VM_WORKLOAD_DMA:
			ret = dma_step(w, &x);
			break;
		case VM_WORKLOAD_MEM:
			mem_step(w, &x);
			break;
		case VM_WORKLOAD_MIXED:
			if (step & 1)
				mem_step(w, &x);
			else
				ret = dma_step(w, &x);
			break;
		case VM_WORKLOAD_NONE:
			break;
		}
		if (ret) {
			w->err = ret;
			snprintf(w->errmsg, sizeof(w->errmsg), "%s",
				 vfio_errmsg());
			break;
		}
		usleep(WL_PAUSE_US);
	}
	if (!ret && (w->kind == VM_WORKLOAD_DMA ||
		     w->kind == VM_WORKLOAD_MIXED)) {
		ret = dma_burst(w, &x);
		if (ret) {
			w->err = ret;
			snprintf(w->errmsg, sizeof(w->errmsg), "%s",
				 vfio_errmsg());
		}
	}
	return NULL;
}

int vm_workload_start(struct vm_workload *w)
{
	int ret;

	w->stop = 0;
	w->err = 0;
	w->running = false;
	if (w->kind == VM_WORKLOAD_NONE)
		return 0;
	if ((w->kind == VM_WORKLOAD_MEM || w->kind == VM_WORKLOAD_MIXED) &&
	    !w->bar2)
		return vfio_set_error(-EINVAL, "workload: BAR2 is not mapped");
	ret = pthread_create(&w->thread, NULL, workload_thread, w);
	if (ret)
		return vfio_set_error(-ret, "workload: pthread_create");
	w->running = true;
	return 0;
}

void vm_workload_stop(struct vm_workload *w)
{
	if (!w->running)
		return;
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	pthread_join(w->thread, NULL);
	w->running = false;
}
