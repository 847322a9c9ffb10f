// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty bookkeeping of iterative sections (see dirty.h).
 */
#include "dirty.h"

/**
 * vfio_mig_dirty_init() - set up an empty dirty bitmap
 * @d: the bitmap
 * @map: BITS_TO_LONGS(@nbits) longs of storage
 * @nbits: chunks to track
 */
void vfio_mig_dirty_init(struct vfio_mig_dirty *d, unsigned long *map,
			 size_t nbits)
{
	d->map = map;
	d->nbits = nbits;
	vfio_mig_dirty_clear_all(d);
}

/**
 * vfio_mig_dirty_set_all() - mark every chunk dirty
 * @d: the bitmap
 *
 * Not atomic against vfio_mig_dirty_take(); markers may run concurrently.
 */
void vfio_mig_dirty_set_all(struct vfio_mig_dirty *d)
{
	vfio_mig_dirty_mark(d, 0, d->nbits);
}

/**
 * vfio_mig_dirty_clear_all() - forget every dirty chunk
 * @d: the bitmap
 *
 * Markers may run concurrently: what they mark during the clear may stay
 * marked, which costs a chunk sent twice at most, never a lost one.
 */
void vfio_mig_dirty_clear_all(struct vfio_mig_dirty *d)
{
	size_t i;

	for (i = 0; i < BITS_TO_LONGS(d->nbits); i++)
		WRITE_ONCE(d->map[i], 0);
}

/**
 * vfio_mig_dirty_mark() - mark chunks [@first, @end) dirty
 * @d: the bitmap
 * @first: first chunk
 * @end: chunk after the last; clamped to the bitmap
 */
void vfio_mig_dirty_mark(struct vfio_mig_dirty *d, size_t first, size_t end)
{
	size_t bit;

	if (end > d->nbits)
		end = d->nbits;
	for (bit = first; bit < end; bit++)
		set_bit(bit, d->map);
}

/**
 * vfio_mig_dirty_count_from() - chunks marked at or after @first
 * @d: the bitmap
 * @first: first chunk counted
 *
 * A snapshot: markers may add bits while it counts.
 *
 * Return: the number of bits set in [@first, nbits).
 */
size_t vfio_mig_dirty_count_from(struct vfio_mig_dirty *d, size_t first)
{
	size_t i, n = 0;

	if (first >= d->nbits)
		return 0;
	i = first / BITS_PER_LONG;
	n = hweight_long(READ_ONCE(d->map[i]) &
			 (~0UL << (first % BITS_PER_LONG)));
	for (i++; i < BITS_TO_LONGS(d->nbits); i++)
		n += hweight_long(READ_ONCE(d->map[i]));
	return n;
}

/**
 * vfio_mig_dirty_count() - chunks marked and not yet taken
 * @d: the bitmap
 *
 * Return: the number of bits set.
 */
size_t vfio_mig_dirty_count(struct vfio_mig_dirty *d)
{
	return vfio_mig_dirty_count_from(d, 0);
}

/**
 * vfio_mig_dirty_take() - take the next run of dirty chunks
 * @d: the bitmap
 * @cursor: where the search starts; moved past the run
 * @max: longest run to take
 * @start: first chunk of the run
 *
 * Clears the run's bits. A caller harvests one round by starting with
 * *@cursor at 0 and calling until it gets 0. Single harvester only.
 *
 * Return: chunks in the run, 0 when no dirty chunk is left at or after
 * *@cursor.
 */
size_t vfio_mig_dirty_take(struct vfio_mig_dirty *d, size_t *cursor,
			   size_t max, size_t *start)
{
	size_t bit, n = 0;

	if (*cursor >= d->nbits) {
		*cursor = d->nbits;
		return 0;
	}
	bit = find_next_bit(d->map, d->nbits, *cursor);
	if (bit >= d->nbits) {
		*cursor = d->nbits;
		return 0;
	}
	*start = bit;
	while (n < max && bit < d->nbits && test_and_clear_bit(bit, d->map)) {
		n++;
		bit++;
	}
	*cursor = bit;
	return n;
}
