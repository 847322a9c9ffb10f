// SPDX-License-Identifier: GPL-2.0
/*
 * libmdma: helpers shared by the mdma kselftests and vfio-migrate.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "mdma_util.h"

#define MDMA_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

const char *mdma_unavailable(const char *type)
{
	if (geteuid() != 0)
		return "needs root";
	if (access(MDMA_PARENT, F_OK))
		return "mdma.ko is not loaded (no " MDMA_PARENT ")";
	if (!vfio_mdev_type_exists(MDMA_PARENT, type))
		return "mdma offers no such mdev type";
	if (access("/dev/vfio/vfio", R_OK | W_OK))
		return "no /dev/vfio/vfio (vfio_iommu_type1 not loaded?)";
	return NULL;
}

uint64_t mdma_type_size(const char *type)
{
	if (!strcmp(type, MDMA_TYPE_64M))
		return 64ULL << 20;
	return 16ULL << 20;
}

void mdma_init(struct mdma *m)
{
	memset(m, 0, sizeof(*m));
	m->dev.fd = -1;
	m->dev.group_fd = -1;
	m->container.fd = -1;
}

/*
 * Open @m->uuid in a container (or an iommufd) of its own and look up its
 * regions.
 */
static int mdma_attach(struct mdma *m)
{
	int ret;

	if (m->iommufd)
		ret = vfio_iommufd_open(&m->container);
	else
		ret = vfio_container_open(&m->container);
	if (ret)
		return ret;
	ret = vfio_mdev_open(&m->dev, &m->container, m->uuid);
	if (ret)
		return ret;
	ret = vfio_region_get(&m->dev, VFIO_PCI_BAR0_REGION_INDEX, &m->bar0);
	if (!ret)
		ret = vfio_region_get(&m->dev, VFIO_PCI_BAR2_REGION_INDEX,
				      &m->bar2);
	if (!ret)
		ret = vfio_region_get(&m->dev, VFIO_PCI_CONFIG_REGION_INDEX,
				      &m->cfg);
	return ret;
}

static int mdma_create_on(struct mdma *m, const char *type, bool iommufd)
{
	int ret;

	mdma_init(m);
	m->iommufd = iommufd;
	m->mem_size = mdma_type_size(type);

	ret = vfio_mdev_uuid_generate(m->uuid);
	if (ret)
		return ret;
	ret = vfio_mdev_create(MDMA_PARENT, type, m->uuid);
	if (ret)
		return ret;
	m->created = true;

	ret = mdma_attach(m);
	if (ret)
		mdma_destroy(m);
	return ret;
}

int mdma_create(struct mdma *m, const char *type)
{
	return mdma_create_on(m, type, false);
}

int mdma_create_iommufd(struct mdma *m, const char *type)
{
	return mdma_create_on(m, type, true);
}

static int mdma_open_on(struct mdma *m, const char *uuid, bool iommufd)
{
	int ret;

	mdma_init(m);
	m->iommufd = iommufd;
	snprintf(m->uuid, sizeof(m->uuid), "%s", uuid);

	ret = mdma_attach(m);
	if (ret) {
		mdma_destroy(m);
		return ret;
	}
	m->mem_size = m->bar2.size;
	return 0;
}

int mdma_open(struct mdma *m, const char *uuid)
{
	return mdma_open_on(m, uuid, false);
}

int mdma_open_iommufd(struct mdma *m, const char *uuid)
{
	return mdma_open_on(m, uuid, true);
}

int mdma_reopen(struct mdma *m)
{
	if (m->map) {
		munmap(m->map, m->bar2.size);
		m->map = NULL;
	}
	vfio_dev_close(&m->dev);
	vfio_container_close(&m->container);
	return mdma_attach(m);
}

void mdma_destroy(struct mdma *m)
{
	if (m->map) {
		munmap(m->map, m->bar2.size);
		m->map = NULL;
	}
	if (m->dev.fd >= 0 || m->dev.group_fd >= 0)
		vfio_dev_close(&m->dev);
	vfio_container_close(&m->container);
	if (m->created) {
		if (vfio_mdev_remove(m->uuid))
			fprintf(stderr, "# remove %s: %s\n", m->uuid,
				vfio_errmsg());
		m->created = false;
	}
}

int mdma_map_bar2(struct mdma *m)
{
	void *p;
	int ret;

	if (m->map)
		return 0;
	ret = vfio_region_mmap(&m->dev, &m->bar2, 0, m->bar2.size,
			       PROT_READ | PROT_WRITE, &p);
	if (!ret)
		m->map = p;
	return ret;
}

int mdma_rd(struct mdma *m, uint32_t reg, uint32_t *val)
{
	return vfio_region_read32(&m->dev, &m->bar0, reg, val);
}

int mdma_wr(struct mdma *m, uint32_t reg, uint32_t val)
{
	return vfio_region_write32(&m->dev, &m->bar0, reg, val);
}

uint32_t mdma_reg(struct mdma *m, uint32_t reg)
{
	uint32_t v;

	if (mdma_rd(m, reg, &v))
		return 0xdeadbeef;
	return v;
}

int mdma_submit(struct mdma *m, uint32_t cmd, uint64_t src, uint64_t dst,
		uint32_t len, uint32_t pattern)
{
	int ret;

	ret = mdma_wr(m, MDMA_REG_DMA_SRC_LO, (uint32_t)src);
	ret = ret ?: mdma_wr(m, MDMA_REG_DMA_SRC_HI, src >> 32);
	ret = ret ?: mdma_wr(m, MDMA_REG_DMA_DST_LO, (uint32_t)dst);
	ret = ret ?: mdma_wr(m, MDMA_REG_DMA_DST_HI, dst >> 32);
	ret = ret ?: mdma_wr(m, MDMA_REG_DMA_LEN, len);
	ret = ret ?: mdma_wr(m, MDMA_REG_DMA_CMD, cmd);
	ret = ret ?: mdma_wr(m, MDMA_REG_DMA_PATTERN, pattern);
	ret = ret ?: mdma_wr(m, MDMA_REG_DOORBELL, 1);
	return ret;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int mdma_wait(struct mdma *m, uint32_t irq_bits, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	uint32_t queued, status, irq;
	int ret;

	for (;;) {
		ret = mdma_rd(m, MDMA_REG_DMA_QUEUED, &queued);
		ret = ret ?: mdma_rd(m, MDMA_REG_STATUS, &status);
		ret = ret ?: mdma_rd(m, MDMA_REG_IRQ_STATUS, &irq);
		if (ret)
			return ret;
		if (!queued && !(status & MDMA_STATUS_BUSY) &&
		    (irq & irq_bits))
			return 0;
		if (now_ms() > end)
			return vfio_set_error(-ETIMEDOUT,
					      "engine still busy: queued %u status 0x%x irq_status 0x%x",
					      queued, status, irq);
		usleep(500);
	}
}

int mdma_run(struct mdma *m, uint32_t cmd, uint64_t src, uint64_t dst,
	     uint32_t len, uint32_t pattern, uint32_t *err)
{
	uint32_t irq;
	int ret;

	ret = mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_ENABLE);
	ret = ret ?: mdma_wr(m, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ALL);
	ret = ret ?: mdma_submit(m, cmd, src, dst, len, pattern);
	ret = ret ?: mdma_wait(m, MDMA_IRQ_ALL, MDMA_TIMEOUT_MS);
	ret = ret ?: mdma_rd(m, MDMA_REG_IRQ_STATUS, &irq);
	if (ret)
		return ret;
	/*
	 * DMA_ERROR may still hold an earlier failure: the descriptor's
	 * own outcome is the IRQ_STATUS bit it raised.
	 */
	if (!(irq & MDMA_IRQ_ERROR)) {
		*err = MDMA_ERR_NONE;
		return 0;
	}
	return mdma_rd(m, MDMA_REG_DMA_ERROR, err);
}

/* Find "key=" in a digest and copy its value up to the end of the line. */
static int digest_value(const char *text, const char *key, char *val,
			size_t size)
{
	size_t klen = strlen(key), n;
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			p += klen + 1;
			n = strcspn(p, "\n");
			snprintf(val, size, "%.*s", (int)n, p);
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

static int debugfs_file_read(const char *uuid, const char *file, char *buf,
			     size_t size)
{
	char path[256];
	size_t len = 0;
	ssize_t n;
	int fd;

	if (!size)
		return vfio_set_error(-EINVAL, "debugfs digest: no buffer");
	snprintf(path, sizeof(path), MDMA_DEBUGFS "/%s/%s", uuid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vfio_set_error(-errno, "open %s (debugfs mounted?)",
				      path);
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return vfio_set_error(n, "read %s", path);
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

int mdma_debugfs_read(const char *uuid, char *buf, size_t size)
{
	return debugfs_file_read(uuid, "state", buf, size);
}

int mdma_debugfs_file_str(struct mdma *m, const char *file, const char *key,
			  char *val, size_t size)
{
	char text[1024];
	int ret;

	ret = debugfs_file_read(m->uuid, file, text, sizeof(text));
	if (ret < 0)
		return ret;
	if (digest_value(text, key, val, size))
		return vfio_set_error(-ENOENT, "no %s= in the debugfs %s of %s",
				      key, file, m->uuid);
	return 0;
}

int mdma_debugfs_str(struct mdma *m, const char *key, char *val,
		     size_t size)
{
	char text[1024];
	int ret;

	ret = mdma_debugfs_read(m->uuid, text, sizeof(text));
	if (ret < 0)
		return ret;
	if (digest_value(text, key, val, size))
		return vfio_set_error(-ENOENT, "no %s= in the debugfs state of %s",
				      key, m->uuid);
	return 0;
}

static int digest_num(const char *text, const char *key, uint64_t *val)
{
	char s[64], *end;

	if (digest_value(text, key, s, sizeof(s)))
		return vfio_set_error(-ENOENT, "no %s= in the debugfs digest",
				      key);
	errno = 0;
	/* The checksums are printed as bare hex, everything else as C. */
	*val = strtoull(s, &end, strstr(key, "crc32") ? 16 : 0);
	if (errno || end == s || *end)
		return vfio_set_error(-EINVAL, "%s=%s is not a number", key, s);
	return 0;
}

int mdma_digest_read(const char *uuid, struct mdma_digest *d)
{
	static const char * const keys[] = {
		"mem_size", "mem_crc32", "regs_crc32", "ctrl", "status",
		"irq_status", "irq_mask", "dma_completed", "dma_queued",
		"dma_error", "pinned_pages", "queue_crc32", "intx_masked",
	};
	uint64_t v[MDMA_ARRAY_SIZE(keys)];
	char text[1024];
	unsigned int i;
	int ret;

	ret = mdma_debugfs_read(uuid, text, sizeof(text));
	if (ret < 0)
		return ret;
	memset(d, 0, sizeof(*d));
	if (digest_value(text, "type", d->type, sizeof(d->type)))
		return vfio_set_error(-ENOENT, "no type= in the debugfs digest");
	for (i = 0; i < MDMA_ARRAY_SIZE(keys); i++) {
		ret = digest_num(text, keys[i], &v[i]);
		if (ret)
			return ret;
	}
	d->mem_size = v[0];
	d->mem_crc32 = v[1];
	d->regs_crc32 = v[2];
	d->ctrl = v[3];
	d->status = v[4];
	d->irq_status = v[5];
	d->irq_mask = v[6];
	d->dma_completed = v[7];
	d->dma_queued = v[8];
	d->dma_error = v[9];
	d->pinned_pages = v[10];
	d->queue_crc32 = v[11];
	d->intx_masked = v[12];
	return 0;
}

int mdma_debugfs(struct mdma *m, const char *key, uint64_t *val)
{
	char s[128], *end;
	int ret;

	ret = mdma_debugfs_str(m, key, s, sizeof(s));
	if (ret)
		return ret;
	errno = 0;
	*val = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		return vfio_set_error(-EINVAL, "%s=%s is not a number", key, s);
	return 0;
}

void mdma_pattern(void *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed ? seed : 0x9e3779b9;
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x;
	}
}

long mdma_check_byte(const void *buf, size_t len, uint8_t c)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return i;
	return -1;
}

long mdma_cmp(const void *a, const void *b, size_t len)
{
	const uint8_t *p = a, *q = b;
	size_t i;

	if (!memcmp(a, b, len))
		return -1;
	for (i = 0; i < len; i++)
		if (p[i] != q[i])
			break;
	return i;
}
