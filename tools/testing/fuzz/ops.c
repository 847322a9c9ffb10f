// SPDX-License-Identifier: GPL-2.0
/*
 * The operations of a fuzz program, each a few system calls on the mdma
 * instance, its data fds or /dev/vfio-mig. An argument that picks an
 * offset, a count or a state is folded into the range where the kernel
 * has something to decide unless its top bit is set; then it is passed
 * as it is. Lengths are always bounded by the buffer they use, and every
 * buffer handed to an ioctl is at least as large as the argsz it claims.
 * Failures are expected and ignored: the kernel's reports and a hang are
 * what the fuzzer looks for.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/mdma.h>
#include <linux/vfio.h>
#include <linux/vfio_mig.h>

#include "ops.h"
#include "vfio_lib.h"
#include "vfio_mig_chan.h"

#define RAW		0x80000000u
#define PAGE		4096u
#define IO_MAX		0x10000u
#define IOVA_BASE	0x40000000ull
#define DMA_SLOT	0x100000u
#define MIG_REGION	(FZ_REGIONS - 1)

#define ARG_MAX		128	/* bytes of an ioctl's argument buffer */

static __thread uint8_t iobuf[IO_MAX];
static __thread sigjmp_buf *bus_jmp;

static void on_sigbus(int sig)
{
	if (bus_jmp)
		siglongjmp(*bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static uint32_t fold(uint32_t v, uint32_t n)
{
	return (v & RAW) || !n ? v : v % n;
}

static int dev_fd(struct fz_ctx *c)
{
	return c->open ? c->m.dev.fd : -1;
}

/*
 * A copy of the file in @slot, or -1; the caller closes it. Another
 * thread may close the slot meanwhile: the copy keeps the same file, so
 * an operation never lands on a file that took over the number.
 */
static int slot_get(struct fz_ctx *c, uint32_t slot)
{
	int fd = -1;

	pthread_mutex_lock(&c->lock);
	if (c->fd[slot % FZ_SLOTS] >= 0)
		fd = fcntl(c->fd[slot % FZ_SLOTS], F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&c->lock);
	return fd;
}

static void slot_put(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void slot_set(struct fz_ctx *c, unsigned int slot, int fd)
{
	int old;

	pthread_mutex_lock(&c->lock);
	old = c->fd[slot];
	c->fd[slot] = fd;
	pthread_mutex_unlock(&c->lock);
	slot_put(old);
}

/* A new data fd takes a free data slot, or the oldest one's place. */
static void slot_add(struct fz_ctx *c, int fd)
{
	unsigned int i;
	int old;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < FZ_DATA_SLOTS && c->fd[i] >= 0; i++)
		;
	if (i == FZ_DATA_SLOTS)
		i = c->next_slot++ % FZ_DATA_SLOTS;
	old = c->fd[i];
	c->fd[i] = fd;
	pthread_mutex_unlock(&c->lock);
	slot_put(old);
}

static void sbuf_add(struct fz_ctx *c, const void *buf, size_t len)
{
	pthread_mutex_lock(&c->lock);
	if (len > FZ_SBUF - c->slen)
		len = FZ_SBUF - c->slen;
	memcpy(c->sbuf + c->slen, buf, len);
	c->slen += len;
	pthread_mutex_unlock(&c->lock);
}

/* Up to @len bytes of the saved stream from @from into iobuf. */
static size_t sbuf_get(struct fz_ctx *c, uint32_t from, uint32_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	if (c->slen) {
		from %= c->slen;
		n = len % (IO_MAX + 1);
		if (n > c->slen - from)
			n = c->slen - from;
		memcpy(iobuf, c->sbuf + from, n);
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* The file offset of @off in region @r: within it or just past it. */
static uint64_t region_at(struct fz_ctx *c, uint32_t r, uint32_t off)
{
	unsigned int i = r % FZ_REGIONS;

	return c->region_off[i] + fold(off, c->region_size[i] + 8);
}

static void op_read(struct fz_ctx *c, const uint32_t *a)
{
	ssize_t ret = pread(dev_fd(c), iobuf, fold(a[2], 4097) % (IO_MAX + 1),
			    region_at(c, a[0], a[1]));

	(void)ret;
}

static void op_write(struct fz_ctx *c, const uint32_t *a)
{
	uint32_t len = fold(a[2], 4097) % (IO_MAX + 1), i;
	ssize_t ret;

	for (i = 0; i < len; i++)
		iobuf[i] = a[3] >> (8 * (i % 4));
	ret = pwrite(dev_fd(c), iobuf, len, region_at(c, a[0], a[1]));
	(void)ret;
}

/* Maps part of a region and writes through the mapping. */
static void op_mmap(struct fz_ctx *c, const uint32_t *a)
{
	unsigned int r = a[0] % FZ_REGIONS, i;
	uint64_t pages = c->region_size[r] / PAGE;
	size_t len = (1 + a[2] % 16) * PAGE;
	off_t off = c->region_off[r] + fold(a[1], pages + 2) * (uint64_t)PAGE;
	sigjmp_buf jmp;
	uint8_t *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dev_fd(c), off);
	if (p == MAP_FAILED)
		return;
	if (!sigsetjmp(jmp, 1)) {
		bus_jmp = &jmp;
		for (i = 0; i < len / PAGE; i++)
			memcpy(p + i * PAGE, &a[3], sizeof(a[3]));
	}
	bus_jmp = NULL;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < FZ_MAPS; i++) {
		if (!c->map[i].addr) {
			c->map[i].addr = p;
			c->map[i].len = len;
			p = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (p)
		munmap(p, len);
}

static ssize_t mig_rw(struct fz_ctx *c, bool write, uint64_t off, void *v,
		      size_t len)
{
	if (!c->region_size[MIG_REGION])
		return -1;
	off += c->region_off[MIG_REGION];
	if (write)
		return pwrite(dev_fd(c), v, len, off);
	return pread(dev_fd(c), v, len, off);
}

#define MIG_FIELD(f) offsetof(struct vfio_device_migration_info, f)

static void op_v1_state(struct fz_ctx *c, const uint32_t *a)
{
	uint32_t state = fold(a[0], 16);

	mig_rw(c, true, MIG_FIELD(device_state), &state, sizeof(state));
}

static void op_v1_field(struct fz_ctx *c, const uint32_t *a)
{
	static const uint8_t field[] = {
		MIG_FIELD(reserved), MIG_FIELD(pending_bytes),
		MIG_FIELD(data_offset), MIG_FIELD(data_size),
	};
	uint64_t v = a[1] | (uint64_t)a[2] << 32;
	unsigned int f = field[a[0] % 4];

	mig_rw(c, true, f, &v, f == MIG_FIELD(reserved) ? 4 : 8);
}

/* One chunk of a v1 save, as a VMM reads it, into the saved stream. */
static void op_v1_save(struct fz_ctx *c, const uint32_t *a)
{
	uint64_t pending = 0, off = 0, size = 0;
	ssize_t n;

	mig_rw(c, false, MIG_FIELD(pending_bytes), &pending, 8);
	mig_rw(c, false, MIG_FIELD(data_offset), &off, 8);
	mig_rw(c, false, MIG_FIELD(data_size), &size, 8);
	if (size > a[0] % (IO_MAX + 1))
		size = a[0] % (IO_MAX + 1);
	if (!size || off > UINT32_MAX)
		return;
	n = mig_rw(c, false, off, iobuf, size);
	if (n > 0)
		sbuf_add(c, iobuf, n);
}

/* One chunk of a v1 load from the saved stream. */
static void op_v1_load(struct fz_ctx *c, const uint32_t *a)
{
	uint64_t off = 0, size = sbuf_get(c, a[0], a[1]);

	mig_rw(c, false, MIG_FIELD(data_offset), &off, 8);
	if (off <= UINT32_MAX)
		mig_rw(c, true, off, iobuf, size);
	mig_rw(c, true, MIG_FIELD(data_size), &size, 8);
}

static int feature(struct fz_ctx *c, uint32_t flags, void *data,
		   size_t len, uint32_t argsz)
{
	uint64_t buf[ARG_MAX / 8] = { 0 };
	struct vfio_device_feature *f = (void *)buf;

	if (len > sizeof(buf) - sizeof(*f))
		len = sizeof(buf) - sizeof(*f);
	f->flags = flags;
	memcpy(f->data, data, len);
	f->argsz = argsz ? argsz : sizeof(*f) + len;
	if (ioctl(dev_fd(c), VFIO_DEVICE_FEATURE, f))
		return -errno;
	memcpy(data, f->data, len);
	return 0;
}

static void op_v2_set(struct fz_ctx *c, const uint32_t *a)
{
	struct vfio_device_feature_mig_state st = {
		.device_state = fold(a[0], 10),
		.data_fd = -1,
	};

	if (!feature(c, VFIO_DEVICE_FEATURE_SET |
		     VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &st, sizeof(st), 0) &&
	    st.data_fd >= 0)
		slot_add(c, st.data_fd);
}

static void op_v2_get(struct fz_ctx *c, const uint32_t *a)
{
	struct vfio_device_feature_mig_state st = { .data_fd = -1 };

	feature(c, VFIO_DEVICE_FEATURE_GET |
		VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &st, sizeof(st),
		a[0] & RAW ? a[0] % ARG_MAX : 0);
}

/* Any feature, any flags, any argsz; a data fd that comes back is closed. */
static void op_feature(struct fz_ctx *c, const uint32_t *a)
{
	static const uint32_t op[] = {
		VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_PROBE,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET, 0,
	};
	struct vfio_device_feature_mig_state st;
	uint32_t flags = a[0];

	if (!(flags & RAW))
		flags = (flags & 0xffff) % 12 | op[(flags >> 16) % 7];
	memset(&st, 0xff, sizeof(st));
	st.device_state = (a[1] >> 16) % 10;
	if (!feature(c, flags, &st, sizeof(st),
		     sizeof(struct vfio_device_feature) + a[1] % 96) &&
	    (flags & VFIO_DEVICE_FEATURE_MASK) ==
		    VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE &&
	    (int)st.data_fd > 2 && (flags & VFIO_DEVICE_FEATURE_SET) &&
	    !(flags & VFIO_DEVICE_FEATURE_PROBE))
		close(st.data_fd);
}

static void op_precopy(struct fz_ctx *c, const uint32_t *a)
{
	uint64_t buf[ARG_MAX / 8] = { 0 };
	struct vfio_precopy_info *info = (void *)buf;
	int fd = slot_get(c, a[0]);

	info->argsz = a[1] & RAW ? a[1] % ARG_MAX : sizeof(*info);
	ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, info);
	slot_put(fd);
}

static void op_data_read(struct fz_ctx *c, const uint32_t *a)
{
	int fd = slot_get(c, a[0]);
	ssize_t n = read(fd, iobuf, a[1] % (IO_MAX + 1));

	slot_put(fd);
	if (n > 0)
		sbuf_add(c, iobuf, n);
}

static void op_data_write(struct fz_ctx *c, const uint32_t *a)
{
	size_t n = sbuf_get(c, a[1], a[2]);
	int fd = slot_get(c, a[0]);
	ssize_t ret = write(fd, iobuf, n);

	(void)ret;
	slot_put(fd);
}

static void op_poll(struct fz_ctx *c, const uint32_t *a)
{
	struct pollfd p = {
		.fd = slot_get(c, a[0]),
		.events = POLLIN | POLLOUT | POLLPRI,
	};

	poll(&p, 1, 0);
	slot_put(p.fd);
}

static void op_close(struct fz_ctx *c, const uint32_t *a)
{
	slot_set(c, a[0] % FZ_SLOTS, -1);
}

/* VFIO_DEVICE_SET_IRQS with any action, data type, range and argsz. */
static void op_irqs(struct fz_ctx *c, const uint32_t *a)
{
	uint64_t buf[(sizeof(struct vfio_irq_set) + 64 * 4 + 7) / 8] = { 0 };
	struct vfio_irq_set *s = (void *)buf;
	int32_t *fd = (int32_t *)s->data;
	uint32_t count = fold(a[3] & ~0xff00u, 5), i, elem;

	s->flags = a[0];
	if (!(a[0] & RAW))
		s->flags = VFIO_IRQ_SET_ACTION_MASK << (a[0] % 3) |
			   VFIO_IRQ_SET_DATA_NONE << ((a[0] >> 2) % 3);
	s->index = fold(a[1], 6);
	s->start = fold(a[2], 4);
	s->count = count;
	elem = s->flags & VFIO_IRQ_SET_DATA_EVENTFD ? 4 :
	       s->flags & VFIO_IRQ_SET_DATA_BOOL ? 1 : 0;
	for (i = 0; i < 64; i++) {
		if (elem == 4)
			fd[i] = a[3] >> (8 + i % 8) & 1 ?
				-1 : c->efd[i % FZ_EVENTFDS];
		else
			s->data[i] = a[3] >> (8 + i % 8) & 1;
	}
	s->argsz = sizeof(*s) + (uint64_t)count * elem > sizeof(buf) ?
		   sizeof(buf) : sizeof(*s) + count * elem;
	if (a[3] & 0x8000)
		s->argsz = sizeof(*s) + (a[3] >> 16) % 64;
	ioctl(dev_fd(c), VFIO_DEVICE_SET_IRQS, s);
}

static void op_dma_map(struct fz_ctx *c, const uint32_t *a)
{
	unsigned int slot = a[0] % FZ_DATA_SLOTS;

	vfio_dma_map(&c->m.container, c->dma + slot * DMA_SLOT,
		     IOVA_BASE + slot * DMA_SLOT,
		     (1 + a[1] % (DMA_SLOT / PAGE)) * PAGE,
		     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
}

static void op_dma_unmap(struct fz_ctx *c, const uint32_t *a)
{
	unsigned int slot = a[0] % FZ_DATA_SLOTS;

	vfio_dma_unmap(&c->m.container, IOVA_BASE + slot * DMA_SLOT,
		       fold(a[1], DMA_SLOT / PAGE + 1) * (uint64_t)PAGE, NULL);
}

static void bar0_write(struct fz_ctx *c, uint32_t reg, uint32_t v)
{
	ssize_t ret = pwrite(dev_fd(c), &v, 4, c->region_off[0] + reg);

	(void)ret;
}

/* A descriptor in the registers, then the doorbell. */
static void op_doorbell(struct fz_ctx *c, const uint32_t *a)
{
	uint64_t iova = IOVA_BASE + a[1] % (FZ_DATA_SLOTS * DMA_SLOT + 0x10000);
	uint64_t mem = a[2] % (c->region_size[2] + 0x10000);
	uint64_t src = a[1], dst = a[2];
	uint32_t cmd = fold(a[0], 4);

	if (!(a[0] & RAW)) {
		src = cmd == MDMA_CMD_GUEST_TO_DEV ? iova : mem;
		dst = cmd == MDMA_CMD_GUEST_TO_DEV ? mem : iova;
	}
	bar0_write(c, MDMA_REG_DMA_SRC_LO, src);
	bar0_write(c, MDMA_REG_DMA_SRC_HI, src >> 32);
	bar0_write(c, MDMA_REG_DMA_DST_LO, dst);
	bar0_write(c, MDMA_REG_DMA_DST_HI, dst >> 32);
	bar0_write(c, MDMA_REG_DMA_LEN, fold(a[3], 2u << 20));
	bar0_write(c, MDMA_REG_DMA_CMD, cmd);
	bar0_write(c, MDMA_REG_DMA_PATTERN, a[3]);
	bar0_write(c, MDMA_REG_CTRL, MDMA_CTRL_ENABLE);
	bar0_write(c, MDMA_REG_DOORBELL, 1);
}

static void op_reset(struct fz_ctx *c, const uint32_t *a)
{
	ioctl(dev_fd(c), VFIO_DEVICE_RESET);
}

/* The regions of a freshly opened device. */
static void instance_regions(struct fz_ctx *c)
{
	struct vfio_region_info info;
	struct vfio_region_info *mig;
	unsigned int i;

	c->open = true;
	c->m.created = false;
	for (i = 0; i < MIG_REGION; i++) {
		info = (struct vfio_region_info){ .argsz = sizeof(info),
						  .index = i };
		c->region_off[i] = (uint64_t)i << 40;
		c->region_size[i] = 0;
		if (!ioctl(c->m.dev.fd, VFIO_DEVICE_GET_REGION_INFO, &info)) {
			c->region_off[i] = info.offset;
			c->region_size[i] = info.size;
		}
	}
	c->region_off[MIG_REGION] = (uint64_t)MIG_REGION << 40;
	c->region_size[MIG_REGION] = 0;
	if (!vfio_region_find_type(&c->m.dev, VFIO_REGION_TYPE_MIGRATION,
				   VFIO_REGION_SUBTYPE_MIGRATION, &mig)) {
		c->region_off[MIG_REGION] = mig->offset;
		c->region_size[MIG_REGION] = mig->size;
		free(mig);
	}
}

static int instance_open(struct fz_ctx *c)
{
	if (c->iommufd ? mdma_open_iommufd(&c->m, c->uuid) :
			 mdma_open(&c->m, c->uuid))
		return -1;
	instance_regions(c);
	return 0;
}

static int instance_create(struct fz_ctx *c)
{
	if (c->iommufd ? mdma_create_iommufd(&c->m, MDMA_TYPE_16M) :
			 mdma_create(&c->m, MDMA_TYPE_16M)) {
		c->uuid[0] = '\0';
		return -1;
	}
	memcpy(c->uuid, c->m.uuid, sizeof(c->uuid));
	instance_regions(c);
	return 0;
}

/* Undoes the mappings and closes the device (and the slots if @all). */
static void instance_close(struct fz_ctx *c, bool all)
{
	unsigned int i;

	for (i = 0; i < FZ_MAPS; i++) {
		if (c->map[i].addr)
			munmap(c->map[i].addr, c->map[i].len);
		c->map[i].addr = NULL;
	}
	for (i = 0; all && i < FZ_SLOTS; i++)
		slot_set(c, i, -1);
	if (c->open)
		mdma_destroy(&c->m);
	c->open = false;
}

static void op_reopen(struct fz_ctx *c, const uint32_t *a)
{
	instance_close(c, false);
	instance_open(c);
}

/* Removes the instance under the open data fds and makes a new one. */
static void op_remove(struct fz_ctx *c, const uint32_t *a)
{
	instance_close(c, false);
	if (c->uuid[0] && vfio_mdev_remove(c->uuid))
		return;
	instance_create(c);
}

static void op_mgmt_open(struct fz_ctx *c, const uint32_t *a)
{
	uint64_t buf[ARG_MAX / 8] = { 0 };
	struct vfio_mig_mgmt_select *sel = (void *)buf;
	int fd;

	switch (a[0] % 4) {
	case 0:
		snprintf(sel->name, sizeof(sel->name), "%s", c->uuid);
		break;
	case 1:
		break;
	case 2:
		snprintf(sel->name, sizeof(sel->name), "no-such-device");
		break;
	default:
		memset(sel->name, 'a', sizeof(sel->name));
		break;
	}
	sel->argsz = a[0] & RAW ? (a[0] >> 8) % ARG_MAX : sizeof(*sel);
	sel->flags = a[0] & RAW ? a[0] >> 16 : 0;
	fd = open(VFIO_MIG_MGMT_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	ioctl(fd, VFIO_MIG_MGMT_SELECT, sel);
	slot_set(c, FZ_DATA_SLOTS, fd);
}

/* The management channel speaks the v1 device_state bits. */
static void op_mgmt_state(struct fz_ctx *c, const uint32_t *a)
{
	struct vfio_mig_mgmt_state st = {
		.argsz = sizeof(st),
		.device_state = fold(a[0], 16),
	};
	int fd = slot_get(c, FZ_DATA_SLOTS);

	ioctl(fd, VFIO_MIG_MGMT_SET_STATE, &st);
	slot_put(fd);
}

static void op_mgmt_get(struct fz_ctx *c, const uint32_t *a)
{
	uint64_t buf[ARG_MAX / 8] = { 0 };
	struct vfio_mig_mgmt_info *info = (void *)buf;
	int fd = slot_get(c, FZ_DATA_SLOTS);

	info->argsz = a[1] & RAW ? a[1] % ARG_MAX :
		      a[0] % 2 ? sizeof(*info) : sizeof(struct vfio_mig_mgmt_state);
	ioctl(fd, a[0] % 2 ? VFIO_MIG_MGMT_INFO : VFIO_MIG_MGMT_GET_STATE, buf);
	slot_put(fd);
}

static void op_mutate(struct fz_ctx *c, const uint32_t *a)
{
	unsigned int i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < 4 && c->slen; i++)
		c->sbuf[(a[0] + i) % c->slen] ^= a[1] >> (8 * i);
	pthread_mutex_unlock(&c->lock);
}

static void op_truncate(struct fz_ctx *c, const uint32_t *a)
{
	pthread_mutex_lock(&c->lock);
	if (a[0] < c->slen)
		c->slen = a[0];
	pthread_mutex_unlock(&c->lock);
}

/* Type1's dirty page tracking around the device's pinned pages. */
static void op_dirty(struct fz_ctx *c, const uint32_t *a)
{
	uint64_t bitmap[DMA_SLOT / PAGE / 64];
	unsigned int slot = a[1] % FZ_DATA_SLOTS;

	switch (a[0] % 4) {
	case 0:
		vfio_dirty_start(&c->m.container);
		break;
	case 1:
		vfio_dirty_stop(&c->m.container);
		break;
	case 2:
		vfio_dirty_get(&c->m.container, IOVA_BASE + slot * DMA_SLOT,
			       DMA_SLOT, PAGE, bitmap, sizeof(bitmap));
		break;
	default:
		vfio_dma_unmap_dirty(&c->m.container,
				     IOVA_BASE + slot * DMA_SLOT, DMA_SLOT,
				     PAGE, bitmap, sizeof(bitmap));
		break;
	}
}

#define LOG_BITMAP_WORDS	4096

/*
 * Device DMA logging: op 0 starts it on @ranges ranges (one per data slot,
 * the first moved and resized by @where), 1 reports a part of a slot (or,
 * raw, any range) into a bitmap large enough for it, 2 stops, 3 probes.
 * A raw @pgsize goes as it is; else it is a power of two from 512 bytes.
 */
static void op_dma_log(struct fz_ctx *c, const uint32_t *a)
{
	static __thread uint64_t bitmap[LOG_BITMAP_WORDS];
	struct vfio_device_feature_dma_logging_range r[FZ_DATA_SLOTS + 1];
	struct vfio_device_feature_dma_logging_control ctl = {
		.page_size = a[2] & RAW ? a[2] & ~RAW : 512ull << a[2] % 12,
		.ranges = (uintptr_t)r,
	};
	struct vfio_device_feature_dma_logging_report rep = {
		.page_size = ctl.page_size,
		.bitmap = a[0] & 0x100 ? 8 : (uintptr_t)bitmap,
	};
	uint32_t i;

	switch (a[0] % 4) {
	case 0:
		ctl.num_ranges = a[1] & RAW ?
				 (a[1] & ~RAW) % (FZ_DATA_SLOTS + 2) :
				 1 + a[1] % FZ_DATA_SLOTS;
		for (i = 0; i < ctl.num_ranges && i < FZ_DATA_SLOTS + 1; i++) {
			r[i].iova = IOVA_BASE + (uint64_t)i * DMA_SLOT;
			r[i].length = DMA_SLOT;
		}
		if (a[3] & RAW) {
			r[0].iova = (uint64_t)(a[3] & 0xffff) << 12;
			r[0].length = (uint64_t)((a[3] >> 16) & 0x7fff) << 12;
		}
		feature(c, VFIO_DEVICE_FEATURE_SET |
			VFIO_DEVICE_FEATURE_DMA_LOGGING_START, &ctl,
			sizeof(ctl), 0);
		break;
	case 1:
		if (a[3] & RAW) {
			rep.iova = (uint64_t)(a[3] & 0xffff) << 12;
			rep.length = (uint64_t)((a[3] >> 16) & 0x7fff) << 12;
		} else {
			rep.iova = IOVA_BASE + a[1] % FZ_DATA_SLOTS *
				   (uint64_t)DMA_SLOT + (a[3] & 0xff) * PAGE;
			rep.length = (1 + (a[3] >> 8) % 512) * (uint64_t)PAGE;
		}
		/* The kernel writes a bit per page: keep it in the bitmap. */
		if (rep.page_size &&
		    rep.length / rep.page_size >= LOG_BITMAP_WORDS * 64)
			rep.length = (LOG_BITMAP_WORDS * 64 - 1) * rep.page_size;
		feature(c, VFIO_DEVICE_FEATURE_GET |
			VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, &rep,
			sizeof(rep), 0);
		break;
	case 2:
		feature(c, VFIO_DEVICE_FEATURE_SET |
			VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, &rep, 0, 0);
		break;
	default:
		feature(c, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
			VFIO_DEVICE_FEATURE_DMA_LOGGING_START, &rep, 0, 0);
		break;
	}
}

typedef void (*fz_fn)(struct fz_ctx *c, const uint32_t *a);

static const fz_fn run[FZ_NR_OPS] = {
	[FZ_READ] = op_read,		[FZ_WRITE] = op_write,
	[FZ_MMAP] = op_mmap,		[FZ_V1_STATE] = op_v1_state,
	[FZ_V1_FIELD] = op_v1_field,	[FZ_V1_SAVE] = op_v1_save,
	[FZ_V1_LOAD] = op_v1_load,	[FZ_V2_SET] = op_v2_set,
	[FZ_V2_GET] = op_v2_get,	[FZ_FEATURE] = op_feature,
	[FZ_PRECOPY] = op_precopy,	[FZ_DATA_READ] = op_data_read,
	[FZ_DATA_WRITE] = op_data_write, [FZ_POLL] = op_poll,
	[FZ_CLOSE] = op_close,		[FZ_IRQS] = op_irqs,
	[FZ_DMA_MAP] = op_dma_map,	[FZ_DMA_UNMAP] = op_dma_unmap,
	[FZ_DOORBELL] = op_doorbell,	[FZ_RESET] = op_reset,
	[FZ_REOPEN] = op_reopen,	[FZ_REMOVE] = op_remove,
	[FZ_MGMT_OPEN] = op_mgmt_open,	[FZ_MGMT_STATE] = op_mgmt_state,
	[FZ_MGMT_GET] = op_mgmt_get,	[FZ_MUTATE] = op_mutate,
	[FZ_TRUNCATE] = op_truncate,	[FZ_DIRTY] = op_dirty,
	[FZ_DMA_LOG] = op_dma_log,
};

/**
 * fz_run_op() - run one operation
 * @c: the instance
 * @op: the operation
 *
 * Reopen and remove run alone; the others hold the instance shared, so
 * threads run them at once.
 */
void fz_run_op(struct fz_ctx *c, const struct fz_op *op)
{
	bool alone = op->code == FZ_REOPEN || op->code == FZ_REMOVE;

	if (alone)
		pthread_rwlock_wrlock(&c->inst);
	else
		pthread_rwlock_rdlock(&c->inst);
	run[op->code](c, op->arg);
	pthread_rwlock_unlock(&c->inst);
}

/**
 * fz_ctx_init() - make the instance programs run against
 * @c: the context
 *
 * With FUZZ_IOMMUFD=1 in the environment the instance is opened through
 * its cdev and iommufd instead of a type1 container.
 *
 * Return: 0, or -1 with the reason printed.
 */
int fz_ctx_init(struct fz_ctx *c)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->iommufd = getenv("FUZZ_IOMMUFD") &&
		     !strcmp(getenv("FUZZ_IOMMUFD"), "1");
	pthread_rwlock_init(&c->inst, NULL);
	pthread_mutex_init(&c->lock, NULL);
	for (i = 0; i < FZ_SLOTS; i++)
		c->fd[i] = -1;
	for (i = 0; i < FZ_EVENTFDS; i++)
		c->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	sigaction(SIGBUS, &sa, NULL);
	c->sbuf = malloc(FZ_SBUF);
	c->dma = mmap(NULL, FZ_DATA_SLOTS * DMA_SLOT, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (!c->sbuf || c->dma == MAP_FAILED) {
		fprintf(stderr, "fuzz: out of memory\n");
		return -1;
	}
	mdma_init(&c->m);
	if (instance_create(c)) {
		fprintf(stderr, "fuzz: cannot create an %s instance: %s\n",
			MDMA_TYPE_16M, vfio_errmsg());
		return -1;
	}
	instance_close(c, true);
	return 0;
}

/**
 * fz_begin() - open the instance for a program, reset
 * @c: the context
 *
 * Return: 0, or -1 if the instance cannot be opened.
 */
int fz_begin(struct fz_ctx *c)
{
	c->slen = 0;
	c->next_slot = 0;
	memset(c->dma, 0, FZ_DATA_SLOTS * DMA_SLOT);
	if (!c->uuid[0] && instance_create(c))
		return -1;
	if (!c->open && instance_open(c))
		return -1;
	ioctl(c->m.dev.fd, VFIO_DEVICE_RESET);
	return 0;
}

/**
 * fz_end() - close every file a program left open
 * @c: the context
 */
void fz_end(struct fz_ctx *c)
{
	instance_close(c, true);
}

/**
 * fz_ctx_fini() - remove the instance
 * @c: the context
 */
void fz_ctx_fini(struct fz_ctx *c)
{
	instance_close(c, true);
	if (c->uuid[0])
		vfio_mdev_remove(c->uuid);
}
