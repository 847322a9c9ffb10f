/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dirty bookkeeping of iterative sections: one bit per chunk. Harvesting
 * is O(dirty chunks) plus one pass over the bitmap words per round; "how
 * much is pending" is a popcount of the words, one pass too.
 *
 * Marking is lock free and may race with harvesting and clearing: a
 * writer marks after its write, the harvester clears a bit before it
 * copies the chunk, so a write is either in the copy or marks the chunk
 * again. No count is kept beside the bits: whatever races, the bits are
 * the only truth, so the figure reported can never drift from them.
 */
#ifndef _VFIO_MIG_DIRTY_H
#define _VFIO_MIG_DIRTY_H

#include "pure.h"

/**
 * struct vfio_mig_dirty - a dirty bitmap
 * @map: BITS_TO_LONGS(@nbits) longs
 * @nbits: chunks covered
 */
struct vfio_mig_dirty {
	unsigned long *map;
	size_t nbits;
};

void vfio_mig_dirty_init(struct vfio_mig_dirty *d, unsigned long *map,
			 size_t nbits);
void vfio_mig_dirty_set_all(struct vfio_mig_dirty *d);
void vfio_mig_dirty_clear_all(struct vfio_mig_dirty *d);
void vfio_mig_dirty_mark(struct vfio_mig_dirty *d, size_t first, size_t end);
size_t vfio_mig_dirty_count(struct vfio_mig_dirty *d);
size_t vfio_mig_dirty_count_from(struct vfio_mig_dirty *d, size_t first);
size_t vfio_mig_dirty_take(struct vfio_mig_dirty *d, size_t *cursor,
			   size_t max, size_t *start);

#endif /* _VFIO_MIG_DIRTY_H */
