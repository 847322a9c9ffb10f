/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mdma: a mediated PCI "DMA accelerator" sample device.
 *
 * Internal definitions shared by the files of mdma.ko.
 *
 * Lock order, outermost first:
 *
 *   workload.lock -> lock	(workload.lock: only with MDMA_WORKLOAD=y)
 *
 * @log_lock is taken with no other lock of ours held, and takes none.
 *
 * @lock guards the register file, the config space, the descriptor queue,
 * the interrupt eventfds, the memory file and @chunk_busy. It is held only
 * for short, non-faulting sections: no user copies and no page pinning
 * under it. The BAR2 fault handler takes it (under the mmap lock) so that
 * its dirty mark and its new page table entry are one step to the zaps
 * of log_start and log_protect, which run under it too.
 *
 * The DMA engine works a chunk at a time: under @lock it checks that its
 * descriptor was not aborted and sets @chunk_busy, then without any lock
 * it pins the guest pages, copies and unpins them, and under @lock again
 * clears @chunk_busy and wakes @chunk_wq. Whoever needs "nothing pinned
 * and no copy in flight" (.dma_unmap, the resets, close) aborts what is
 * left under @lock and then waits on @chunk_wq for the chunk in flight.
 *
 * No lock of ours is held across vfio_pin_pages()/vfio_unpin_pages(): type1
 * calls .dma_unmap with its device_list_lock held, which it takes under its
 * iommu->lock, and pinning takes iommu->lock; a lock of ours on both paths
 * would close that cycle. The wait in .dma_unmap is for a chunk that needs
 * only iommu->lock, which the unmapping thread has dropped; like every
 * driver that must have its pages unpinned before .dma_unmap returns, it
 * relies on nobody holding iommu->lock while waiting for device_list_lock
 * (a device opened on the same container at that very moment).
 *
 * Device memory (BAR2) is accessed without either lock: like real memory
 * it may race with DMA, and it is freed only when the instance is
 * released, after every user of it is gone.
 */
#ifndef _MDMA_H
#define _MDMA_H

#include <linux/atomic.h>
#include <linux/eventfd.h>
#include <linux/ktime.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/vfio.h>
#include <linux/vfio_mig.h>
#include <linux/workqueue.h>
#include <linux/mdma.h>

#include "mdma_iova_log.h"
#include "mdma_saved.h"

#define MDMA_NAME		"mdma"

/* Region offsets in the device fd, the vfio-pci convention. */
#define MDMA_OFFSET_SHIFT	40
#define MDMA_OFFSET_TO_INDEX(off)	((off) >> MDMA_OFFSET_SHIFT)
#define MDMA_INDEX_TO_OFFSET(index)	((u64)(index) << MDMA_OFFSET_SHIFT)
#define MDMA_OFFSET_MASK	(MDMA_INDEX_TO_OFFSET(1) - 1)
#define MDMA_PGOFF_SHIFT	(MDMA_OFFSET_SHIFT - PAGE_SHIFT)
#define MDMA_PGOFF_MASK		((1UL << MDMA_PGOFF_SHIFT) - 1)

#define MDMA_MEM_BAR		VFIO_PCI_BAR2_REGION_INDEX
/* The migration region follows the PCI regions. */
#define MDMA_MIG_REGION		VFIO_PCI_NUM_REGIONS

struct mdma_type {
	struct mdev_type type;
	u64 mem_size;
	bool out_of_band;	/* no in-band migration, only /dev/vfio-mig */
};

struct mdma_state;

/*
 * The test-only workload of mdma_workload.c, built only with
 * "make MDMA_WORKLOAD=y" (see Kbuild); not migrated. Without it the
 * structure is empty and its entry points do nothing.
 */
#ifdef MDMA_WORKLOAD
struct mdma_workload {
	struct mutex lock;		/* the fields below */
	struct delayed_work work;
	bool active;
	bool closed;			/* the device is not open */
	u64 gpa;
	u32 len;
	u32 dma_hz;
	u32 mem_hz;
	unsigned long period;		/* jiffies between ticks */
	ktime_t last;
	u64 dma_credit;
	u64 mem_credit;
	u32 seed;
	u64 seq;
	u32 last_pattern;
	u64 dma_events;
	u64 fills;
	u64 copies;
	u64 skipped;
	u64 mem_writes;
	u64 paused_ticks;
};

void mdma_workload_init(struct mdma_state *s);
void mdma_workload_destroy(struct mdma_state *s);
void mdma_workload_reset(struct mdma_state *s);
void mdma_workload_close(struct mdma_state *s);
void mdma_workload_debugfs(struct mdma_state *s, struct dentry *dir);
#else
struct mdma_workload { };

static inline void mdma_workload_init(struct mdma_state *s) { }
static inline void mdma_workload_destroy(struct mdma_state *s) { }
static inline void mdma_workload_reset(struct mdma_state *s) { }
static inline void mdma_workload_close(struct mdma_state *s) { }
static inline void mdma_workload_debugfs(struct mdma_state *s,
					 struct dentry *dir) { }
#endif /* MDMA_WORKLOAD */

struct mdma_state {
	struct vfio_device vdev;
	struct mdev_device *mdev;
	const struct mdma_type *type;
	u64 mem_size;
	void *mem;			/* vmalloc_user(), BAR2 */

	struct mutex lock;		/* see the top of this file */
	struct mdma_regs regs;
	u8 config[MDMA_CONFIG_SIZE];
	u8 config_wmask[MDMA_CONFIG_SIZE];
	struct mdma_desc queue[MDMA_DMA_QUEUE_DEPTH];
	unsigned int queue_head;
	unsigned int queue_count;
	bool running;			/* a descriptor left the queue; chunk_wq */
	bool running_aborted;
	struct mdma_desc running_desc;
	u32 generation;			/* bumped by every reset */
	struct eventfd_ctx *intx_trigger;
	struct eventfd_ctx *msi_trigger;
	bool intx_masked;
	struct file *mem_file;		/* while open: owns BAR2 mappings */
	bool open;			/* between open_device and close_device */

	bool chunk_busy;		/* pinned or pinning; READ_ONCE() */
	wait_queue_head_t chunk_wq;	/* woken when it is done */
	struct page **pages;		/* VFIO_PIN_PAGES_MAX_ENTRIES */
	spinlock_t fence_lock;		/* @fences */
	struct list_head fences;	/* IOVA ranges being unmapped */
	wait_queue_head_t fence_wq;	/* woken when a fence is lifted */
	struct work_struct dma_work;
	u64 kcov_handle;		/* of the last DOORBELL; READ_ONCE() */
	atomic_long_t pinned_pages;

	struct dentry *debugfs;
	struct mdma_workload workload;

	/* Device DMA logging: not nested with @lock (mdma_log.c). */
	struct mutex log_lock;		/* @log_on, @iova_log */
	bool log_on;
	struct mdma_iova_log iova_log;

	/* Migration: vfio_mig's device, the sections, the run level. */
	struct vfio_mig_device *mig;
	struct vfio_mig_section sections[2];
	enum vfio_mig_run_level run_level;	/* under @lock */
	bool logging;				/* READ_ONCE() */
};

static inline struct mdma_state *vdev_to_mdma(struct vfio_device *vdev)
{
	return container_of(vdev, struct mdma_state, vdev);
}

extern struct workqueue_struct *mdma_wq;

/* mdma_main.c */
int mdma_init_dev(struct vfio_device *vdev);
void mdma_release_dev(struct vfio_device *vdev);
void mdma_power_on_locked(struct mdma_state *s);
int mdma_device_reset(struct mdma_state *s);

/* mdma_pci.c */
void mdma_pci_init(struct mdma_state *s);
void mdma_pci_reset(struct mdma_state *s);
int mdma_pci_read(struct mdma_state *s, u32 off, u8 *buf, u32 count);
int mdma_pci_write(struct mdma_state *s, u32 off, const u8 *buf, u32 count);
bool mdma_pci_msi_enabled(struct mdma_state *s);
bool mdma_pci_intx_disabled(struct mdma_state *s);

/* mdma_regs.c */
void mdma_regs_reset(struct mdma_state *s);
u32 mdma_regs_read(struct mdma_state *s, u32 off);
void mdma_regs_write(struct mdma_state *s, u32 off, u32 val);
int mdma_soft_reset(struct mdma_state *s);

/* mdma_dma.c */
void mdma_dma_work(struct work_struct *work);
void mdma_dma_kick(struct mdma_state *s);
void mdma_dma_abort_locked(struct mdma_state *s);
void mdma_dma_quiesce(struct mdma_state *s);
void mdma_dma_wait_idle(struct mdma_state *s);
int mdma_dma_wait_idle_killable(struct mdma_state *s);
int mdma_dma_park(struct mdma_state *s);
void mdma_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length);
void mdma_dma_init(struct mdma_state *s);
void mdma_dma_release(struct mdma_state *s);

/* mdma_irq.c */
void mdma_irq_raise(struct mdma_state *s, u32 bits);
void mdma_irq_update(struct mdma_state *s);
void mdma_irq_release(struct mdma_state *s);
int mdma_irq_info(struct vfio_irq_info *info);
int mdma_set_irqs(struct mdma_state *s, struct vfio_irq_set *hdr, void *data);

/* mdma_mem.c */
int mdma_mem_open(struct mdma_state *s);
void mdma_mem_close(struct mdma_state *s);
void mdma_mem_zap_locked(struct mdma_state *s);
void mdma_mem_zap_range_locked(struct mdma_state *s, u64 off, u64 len);
ssize_t mdma_mem_rw(struct mdma_state *s, char __user *buf, size_t count,
		    u64 off, bool write);
int mdma_mem_mmap(struct mdma_state *s, struct vm_area_struct *vma);

/* mdma_log.c */
void mdma_log_init(struct mdma_state *s);
void mdma_log_destroy(struct mdma_state *s);
void mdma_log_stop_all(struct mdma_state *s);
void mdma_log_mark(struct mdma_state *s, u64 iova, u64 len);
const struct vfio_log_ops *mdma_log_ops_get(void);

/* mdma_mig.c */
int mdma_mig_create(struct mdma_state *s);
void mdma_mig_mark_memory(struct mdma_state *s, u64 off, u64 len);

/* mdma_vfio.c */
extern const struct vfio_device_ops mdma_dev_ops;

/* mdma_debugfs.c */
void mdma_debugfs_init(void);
void mdma_debugfs_exit(void);
void mdma_debugfs_add(struct mdma_state *s);
void mdma_debugfs_remove(struct mdma_state *s);

#endif /* _MDMA_H */
