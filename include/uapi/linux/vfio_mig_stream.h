/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The vfio_mig migration stream on the wire: what a source writes and a
 * destination reads, through the v1 region, the v2 data fd or the
 * /dev/vfio-mig channel, possibly on another machine. A header that
 * describes the device, data records for its sections, an end record;
 * every record carries its sequence number and an xxh64 checksum of
 * itself and its payload. All fields are little endian and records are
 * packed back to back. Documentation/vfio-mig/stream-format.rst has the
 * whole format.
 *
 *   +---------+---------+---------+-----+---------+
 *   | HEADER  | DATA    | DATA    | ... | END     |
 *   | rec+hdr | rec+pay | rec+pay |     | rec+sum |
 *   +---------+---------+---------+-----+---------+
 */
#ifndef _UAPI_LINUX_VFIO_MIG_STREAM_H
#define _UAPI_LINUX_VFIO_MIG_STREAM_H

#include <linux/types.h>

#define VFIO_MIG_STREAM_MAGIC		0x0047494d4f494656ULL /* "VFIOMIG\0" */
#define VFIO_MIG_STREAM_VERSION		1
#define VFIO_MIG_REC_MAGIC		0x3152564dU	/* "MVR1" */
#define VFIO_MIG_MAX_SECTIONS		8
#define VFIO_MIG_TYPE_LEN		32
/* Largest record payload: bounds the destination's staging buffer. */
#define VFIO_MIG_MAX_PAYLOAD		(64U << 10)
/* Granularity of iterative sections: dirty logging and coverage. */
#define VFIO_MIG_CHUNK_SHIFT		12
#define VFIO_MIG_CHUNK_SIZE		(1UL << VFIO_MIG_CHUNK_SHIFT)

enum vfio_mig_rec_type {
	VFIO_MIG_REC_HEADER = 1,
	VFIO_MIG_REC_DATA = 2,
	VFIO_MIG_REC_END = 3,
};

/**
 * struct vfio_mig_rec - header of every record
 * @magic: VFIO_MIG_REC_MAGIC
 * @type: enum vfio_mig_rec_type
 * @section: section id of a DATA record, 0 otherwise
 * @offset: byte offset of a DATA payload in its section, 0 otherwise
 * @len: payload bytes that follow this header
 * @seq: record number, 0 for the header record
 * @csum: xxh64 of the payload, seeded with the xxh64 of this header (with
 *	@csum zero)
 */
struct vfio_mig_rec {
	__le32 magic;
	__le16 type;
	__le16 section;
	__le64 offset;
	__le32 len;
	__le32 seq;
	__le64 csum;
};

/**
 * struct vfio_mig_section_desc - one section, as described in the stream
 * @id: section id, unique in the device
 * @kind: enum vfio_mig_section_kind
 * @size: section size in bytes; a ONCE section's payload may be shorter
 */
struct vfio_mig_section_desc {
	__le32 id;
	__le32 kind;
	__le64 size;
};

/**
 * struct vfio_mig_stream_hdr - payload of the HEADER record
 * @magic: VFIO_MIG_STREAM_MAGIC
 * @version: VFIO_MIG_STREAM_VERSION
 * @nr_sections: entries used in @sections
 * @device_type: NUL-padded name of the device type, e.g. "mdma-16m"
 * @sections: the device's sections
 */
struct vfio_mig_stream_hdr {
	__le64 magic;
	__le32 version;
	__le32 nr_sections;
	char device_type[VFIO_MIG_TYPE_LEN];
	struct vfio_mig_section_desc sections[VFIO_MIG_MAX_SECTIONS];
};

/**
 * struct vfio_mig_stream_end - payload of the END record
 * @records: records in the stream before this one, header included
 * @payload_bytes: DATA payload bytes in the stream
 */
struct vfio_mig_stream_end {
	__le64 records;
	__le64 payload_bytes;
};

/**
 * enum vfio_mig_section_kind - how a section travels
 * @VFIO_MIG_SECTION_ONCE: small; saved in stop-and-copy only, as one
 *	record, and loaded in stream order (device config)
 * @VFIO_MIG_SECTION_ITERATIVE: large; sent in chunk-aligned pieces, again
 *	for every chunk dirtied while the source still runs (device memory)
 */
enum vfio_mig_section_kind {
	VFIO_MIG_SECTION_ONCE = 1,
	VFIO_MIG_SECTION_ITERATIVE = 2,
};

#endif /* _UAPI_LINUX_VFIO_MIG_STREAM_H */
