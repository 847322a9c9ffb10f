// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: the vfio_device_ops of an instance.
 *
 * Regions, at index << 40 in the device fd as with vfio-pci:
 *   BAR0    4 KiB register file, 4-byte aligned 4-byte accesses only
 *   BAR2    device memory, any access inside the BAR, mmap (MAP_SHARED)
 *   CONFIG  256 bytes, any access inside them
 *   9       the migration region, served by vfio_mig (mdma_mig.c)
 * Every other index has size 0 and no flags; accessing it fails with
 * -EINVAL, as does any access outside a region.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "mdma.h"
#include "mdma_compat.h"

/*
 * Every open starts from the power-on state. Close only stops the engine
 * and drops the eventfds: the rest stays as it was (and visible in
 * debugfs) until the next open or the removal of the instance.
 */
static int mdma_open_device(struct vfio_device *vdev)
{
	struct mdma_state *s = vdev_to_mdma(vdev);
	int ret;

	ret = mdma_mem_open(s);
	if (ret)
		return ret;
	ret = mdma_device_reset(s);
	if (!ret)
		ret = vfio_mig_open(s->mig);
	if (ret) {
		mdma_mem_close(s);
		return ret;
	}
	mutex_lock(&s->lock);
	s->open = true;
	mutex_unlock(&s->lock);
	return 0;
}

static void mdma_close_device(struct vfio_device *vdev)
{
	struct mdma_state *s = vdev_to_mdma(vdev);

	/* From now on the engine refuses work; quiesce ends what runs. */
	mutex_lock(&s->lock);
	s->open = false;
	mutex_unlock(&s->lock);
	mdma_workload_close(s);
	vfio_mig_close(s->mig);
	mdma_dma_quiesce(s);
	mdma_log_stop_all(s);
	mdma_irq_release(s);
	mdma_mem_close(s);
}

static int mdma_bar0_rw(struct mdma_state *s, char __user *buf,
			size_t count, u64 off, bool write)
{
	u32 val;

	if (count != sizeof(val) || off >= MDMA_BAR0_SIZE ||
	    !IS_ALIGNED(off, sizeof(val)))
		return -EINVAL;

	if (!write) {
		mutex_lock(&s->lock);
		val = mdma_regs_read(s, off);
		mutex_unlock(&s->lock);
		return copy_to_user(buf, &val, sizeof(val)) ? -EFAULT : 0;
	}

	if (copy_from_user(&val, buf, sizeof(val)))
		return -EFAULT;
	if (off == MDMA_REG_CTRL && (val & MDMA_CTRL_RESET))
		return mdma_soft_reset(s);
	mutex_lock(&s->lock);
	mdma_regs_write(s, off, val);
	mutex_unlock(&s->lock);
	return 0;
}

static int mdma_config_rw(struct mdma_state *s, char __user *buf,
			  size_t count, u64 off, bool write)
{
	u8 data[MDMA_CONFIG_SIZE];
	int ret;

	if (count > MDMA_CONFIG_SIZE || off >= MDMA_CONFIG_SIZE)
		return -EINVAL;

	if (write) {
		if (copy_from_user(data, buf, count))
			return -EFAULT;
		mutex_lock(&s->lock);
		ret = mdma_pci_write(s, off, data, count);
		mutex_unlock(&s->lock);
		return ret;
	}

	mutex_lock(&s->lock);
	ret = mdma_pci_read(s, off, data, count);
	mutex_unlock(&s->lock);
	if (!ret && copy_to_user(buf, data, count))
		ret = -EFAULT;
	return ret;
}

static ssize_t mdma_rw(struct mdma_state *s, char __user *buf, size_t count,
		       loff_t *ppos, bool write)
{
	u64 pos = *ppos;
	u64 index = MDMA_OFFSET_TO_INDEX(pos);
	u64 off = pos & MDMA_OFFSET_MASK;
	ssize_t ret;

	if (index == MDMA_MIG_REGION)
		return vfio_mig_region_rw(s->mig, buf, count, ppos, write);
	switch (index) {
	case VFIO_PCI_BAR0_REGION_INDEX:
		ret = mdma_bar0_rw(s, buf, count, off, write);
		break;
	case MDMA_MEM_BAR:
		ret = mdma_mem_rw(s, buf, count, off, write);
		if (ret > 0)
			ret = 0;
		break;
	case VFIO_PCI_CONFIG_REGION_INDEX:
		ret = mdma_config_rw(s, buf, count, off, write);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (ret)
		return ret;
	*ppos += count;
	return count;
}

static ssize_t mdma_read(struct vfio_device *vdev, char __user *buf,
			 size_t count, loff_t *ppos)
{
	return mdma_rw(vdev_to_mdma(vdev), buf, count, ppos, false);
}

static ssize_t mdma_write(struct vfio_device *vdev, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	return mdma_rw(vdev_to_mdma(vdev), (char __user *)buf, count, ppos,
		       true);
}

static int mdma_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct mdma_state *s = vdev_to_mdma(vdev);

	if ((vma->vm_pgoff >> MDMA_PGOFF_SHIFT) == MDMA_MIG_REGION)
		return vfio_mig_region_mmap(s->mig, vma);
	return mdma_mem_mmap(s, vma);
}

static long mdma_ioctl_get_info(struct mdma_state *s, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	vfio_mig_fill_device_info(s->mig, &info);
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long mdma_ioctl_region_info(struct mdma_state *s, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz >= minsz && vfio_mig_is_region(s->mig, info.index))
		return vfio_mig_region_info(s->mig, arg);
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;

	info.offset = MDMA_INDEX_TO_OFFSET(info.index);
	info.cap_offset = 0;
	switch (info.index) {
	case VFIO_PCI_BAR0_REGION_INDEX:
		info.size = MDMA_BAR0_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case MDMA_MEM_BAR:
		info.size = s->mem_size;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE |
			     VFIO_REGION_INFO_FLAG_MMAP;
		break;
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.size = MDMA_CONFIG_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		break;
	default:
		info.size = 0;
		info.flags = 0;
		break;
	}
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long mdma_ioctl_irq_info(struct mdma_state *s, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	ret = mdma_irq_info(&info);
	if (ret)
		return ret;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long mdma_ioctl_set_irqs(struct mdma_state *s, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	struct vfio_irq_info info;
	size_t data_size = 0;
	u8 *data = NULL;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;

	info.index = hdr.index;
	if (mdma_irq_info(&info))
		info.count = 0;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, info.count,
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;

	if (data_size) {
		data = memdup_user(arg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	ret = mdma_set_irqs(s, &hdr, data);
	kfree(data);
	return ret;
}

static long mdma_ioctl(struct vfio_device *vdev, unsigned int cmd,
		       unsigned long arg)
{
	struct mdma_state *s = vdev_to_mdma(vdev);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return mdma_ioctl_get_info(s, uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return mdma_ioctl_region_info(s, uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return mdma_ioctl_irq_info(s, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return mdma_ioctl_set_irqs(s, uarg);
	case VFIO_DEVICE_RESET:
		/* Under vfio_mig's lock: no migration step runs beside it. */
		return vfio_mig_reset(s->mig);
	default:
		return -ENOTTY;
	}
}

const struct vfio_device_ops mdma_dev_ops = {
	.name = "vfio-mdma",
	.init = mdma_init_dev,
	.release = mdma_release_dev,
	.open_device = mdma_open_device,
	.close_device = mdma_close_device,
	.read = mdma_read,
	.write = mdma_write,
	.mmap = mdma_mmap,
	.ioctl = mdma_ioctl,
	.dma_unmap = mdma_dma_unmap,
	MDMA_EMULATED_IOMMUFD_OPS
};
