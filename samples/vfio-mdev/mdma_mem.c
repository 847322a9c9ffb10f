// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: device memory, BAR2.
 *
 * The memory is vmalloc_user()ed when the instance is created and freed
 * when it is released. The device fd reads and writes it at any size and
 * offset inside the BAR, with no lock held across the user copy (the user
 * buffer may itself be a mapping of this BAR, and DMA never waits for a
 * user copy).
 *
 * mmap is fault based: the fault handler inserts the pfn of the vmalloc
 * page, so every access to a page that is not mapped yet comes through
 * here. To be able to zap every user mapping of an instance (on reset
 * now, for write tracking later) the mappings must be found through an
 * address_space of the instance's own: the device fd's inode is shared by
 * all vfio devices on older kernels. So while the device is open the
 * instance owns a file on a small internal pseudo filesystem, and mmap
 * moves the vma onto that file (vma_set_file()); unmap_mapping_range() on
 * its mapping then zaps exactly this instance's mappings. The vma keeps a
 * reference to the device fd in vm_private_data, so the device stays open
 * (and the memory alive) as long as any mapping exists.
 *
 * While migration logs dirty memory (s->logging), read faults map pages
 * read-only and the first write to a page faults (.fault or .pfn_mkwrite)
 * and reports it before it is let through; vfio_mig write-protects each
 * range again (mdma_mem_zap_range_locked()) before it copies it.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "mdma.h"
#include "mdma_compat.h"

#define MDMA_FS_MAGIC		0x6d646d61	/* "mdma" */
#define MDMA_RW_CHUNK		SZ_1M

static struct vfsmount *mdma_mnt;
static int mdma_mnt_count;

static int mdma_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, MDMA_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type mdma_fs_type = {
	.name = "mdma_mem",
	.owner = THIS_MODULE,
	.init_fs_context = mdma_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

static const struct file_operations mdma_mem_fops = {
	.owner = THIS_MODULE,
};

/* Called from open_device. */
int mdma_mem_open(struct mdma_state *s)
{
	struct inode *inode;
	struct file *file;
	int ret;

	ret = simple_pin_fs(&mdma_fs_type, &mdma_mnt, &mdma_mnt_count);
	if (ret)
		return ret;

	inode = alloc_anon_inode(mdma_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto err_fs;
	}
	/* The file's final fput drops a reference to its fops' owner. */
	__module_get(mdma_mem_fops.owner);
	file = alloc_file_pseudo(inode, mdma_mnt, "mdma-mem", O_RDWR,
				 &mdma_mem_fops);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		module_put(mdma_mem_fops.owner);
		iput(inode);
		goto err_fs;
	}
	file->private_data = s;

	mutex_lock(&s->lock);
	s->mem_file = file;
	mutex_unlock(&s->lock);
	return 0;

err_fs:
	simple_release_fs(&mdma_mnt, &mdma_mnt_count);
	return ret;
}

/* Called from close_device: no mapping can exist any more. */
void mdma_mem_close(struct mdma_state *s)
{
	struct file *file;

	mutex_lock(&s->lock);
	file = s->mem_file;
	s->mem_file = NULL;
	mutex_unlock(&s->lock);

	if (file) {
		fput(file);
		simple_release_fs(&mdma_mnt, &mdma_mnt_count);
	}
}

/* Remove every user mapping of the memory; later accesses fault again. */
void mdma_mem_zap_locked(struct mdma_state *s)
{
	lockdep_assert_held(&s->lock);
	if (s->mem_file)
		unmap_mapping_range(s->mem_file->f_mapping, 0, 0, 1);
}

/* The same for [off, off + len) of the memory only. */
void mdma_mem_zap_range_locked(struct mdma_state *s, u64 off, u64 len)
{
	lockdep_assert_held(&s->lock);
	if (s->mem_file)
		unmap_mapping_range(s->mem_file->f_mapping,
				    MDMA_INDEX_TO_OFFSET(MDMA_MEM_BAR) + off,
				    len, 1);
}

ssize_t mdma_mem_rw(struct mdma_state *s, char __user *buf, size_t count,
		    u64 off, bool write)
{
	size_t done = 0;

	if (off >= s->mem_size || count > s->mem_size - off)
		return -EINVAL;

	while (done < count) {
		size_t n = min_t(size_t, count - done, MDMA_RW_CHUNK);
		void *p = s->mem + off + done;
		unsigned long left;

		if (write) {
			/* A fault zero-fills the rest: all of it changed. */
			left = copy_from_user(p, buf + done, n);
			mdma_mig_mark_memory(s, off + done, n);
		} else {
			left = copy_to_user(buf + done, p, n);
		}
		if (left)
			return -EFAULT;
		done += n;
		cond_resched();
	}
	return done;
}

static vm_fault_t mdma_mem_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mdma_state *s = vma->vm_file->private_data;
	unsigned long pgoff = vmf->pgoff & MDMA_PGOFF_MASK;
	unsigned long pfn;
	vm_fault_t ret;

	if (pgoff >= s->mem_size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	pfn = vmalloc_to_pfn(s->mem + (pgoff << PAGE_SHIFT));
	/*
	 * Under s->lock, which log_start and log_protect zap under: the
	 * logging check, the mark and the new entry are one step to them.
	 * Unlocked, a harvester could take the chunk and zap the range
	 * between the mark and the insert, leaving a writable entry whose
	 * writes nobody reports.
	 */
	mutex_lock(&s->lock);
	if (!READ_ONCE(s->logging)) {
		ret = vmf_insert_pfn(vma, vmf->address, pfn);
	} else if (!(vmf->flags & FAULT_FLAG_WRITE)) {
		ret = vmf_insert_pfn_prot(vma, vmf->address, pfn,
					  vm_get_page_prot(vma->vm_flags &
							   ~VM_WRITE));
	} else {
		mdma_mig_mark_memory(s, (u64)pgoff << PAGE_SHIFT, PAGE_SIZE);
		ret = vmf_insert_pfn(vma, vmf->address, pfn);
	}
	mutex_unlock(&s->lock);
	return ret;
}

/* A write to a page mapped read-only while logging. */
static vm_fault_t mdma_mem_pfn_mkwrite(struct vm_fault *vmf)
{
	struct mdma_state *s = vmf->vma->vm_file->private_data;
	unsigned long pgoff = vmf->pgoff & MDMA_PGOFF_MASK;

	if (pgoff >= s->mem_size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	mdma_mig_mark_memory(s, (u64)pgoff << PAGE_SHIFT, PAGE_SIZE);
	return 0;
}

/* A copy of the vma (split, fork, mremap) holds the device fd too. */
static void mdma_mem_vm_open(struct vm_area_struct *vma)
{
	get_file(vma->vm_private_data);
}

static void mdma_mem_vm_close(struct vm_area_struct *vma)
{
	fput(vma->vm_private_data);
}

static const struct vm_operations_struct mdma_mem_vm_ops = {
	.open = mdma_mem_vm_open,
	.close = mdma_mem_vm_close,
	.fault = mdma_mem_fault,
	.pfn_mkwrite = mdma_mem_pfn_mkwrite,
};

int mdma_mem_mmap(struct mdma_state *s, struct vm_area_struct *vma)
{
	unsigned long pages = s->mem_size >> PAGE_SHIFT;
	unsigned long pgoff = vma->vm_pgoff & MDMA_PGOFF_MASK;
	struct file *mem_file;

	if ((vma->vm_pgoff >> MDMA_PGOFF_SHIFT) != MDMA_MEM_BAR)
		return -EINVAL;
	if (pgoff >= pages || vma_pages(vma) > pages - pgoff)
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	/* Set by open_device, cleared by close_device: stable here. */
	mutex_lock(&s->lock);
	mem_file = s->mem_file;
	mutex_unlock(&s->lock);
	if (!mem_file)
		return -ENODEV;

	vma->vm_private_data = get_file(vma->vm_file);
	vma_set_file(vma, mem_file);
	mdma_vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &mdma_mem_vm_ops;
	return 0;
}
