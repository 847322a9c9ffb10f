/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vfio_mig migration stream codec: the encoder and the streaming
 * decoder, pure code built into the module and into host-native tests.
 * The wire format itself is <uapi/linux/vfio_mig_stream.h>.
 */
#ifndef _VFIO_MIG_STREAM_H
#define _VFIO_MIG_STREAM_H

#include "pure.h"
#include <uapi/linux/vfio_mig_stream.h>

/**
 * struct vfio_mig_desc - a device's description, in CPU byte order
 * @device_type: NUL-terminated type name
 * @nr_sections: entries in @sections
 * @sections: id, kind and size of each section
 */
struct vfio_mig_desc {
	const char *device_type;
	u32 nr_sections;
	struct {
		u32 id;
		u32 kind;
		u64 size;
	} sections[VFIO_MIG_MAX_SECTIONS];
};

int vfio_mig_desc_check(const struct vfio_mig_desc *desc);
void vfio_mig_rec_seal(void *rec);
bool vfio_mig_rec_sealed(const void *rec);

/* Encoder: each call writes one whole record into @buf. */
struct vfio_mig_enc {
	u32 seq;
	u64 payload_bytes;
};

void vfio_mig_enc_init(struct vfio_mig_enc *enc);
size_t vfio_mig_enc_header_len(void);
int vfio_mig_enc_header(struct vfio_mig_enc *enc,
			const struct vfio_mig_desc *desc,
			void *buf, size_t buflen);
int vfio_mig_enc_data(struct vfio_mig_enc *enc, u32 section, u64 offset,
		      void *buf, size_t buflen, u32 len);
int vfio_mig_enc_end(struct vfio_mig_enc *enc, void *buf, size_t buflen);

/* Why a decoder refused a stream, for the kernel log and the tests. */
enum vfio_mig_dec_reason {
	VFIO_MIG_DEC_OK,
	VFIO_MIG_DEC_BAD_RECORD,	/* record magic, type, length */
	VFIO_MIG_DEC_BAD_SEQ,		/* record missing or out of order */
	VFIO_MIG_DEC_BAD_CSUM,		/* checksum mismatch */
	VFIO_MIG_DEC_BAD_MAGIC,		/* not a vfio_mig stream */
	VFIO_MIG_DEC_BAD_VERSION,	/* unsupported stream version */
	VFIO_MIG_DEC_BAD_TYPE,		/* another device type */
	VFIO_MIG_DEC_BAD_GEOMETRY,	/* sections differ from ours */
	VFIO_MIG_DEC_BAD_BOUNDS,	/* record outside its section */
	VFIO_MIG_DEC_DUPLICATE,		/* ONCE section sent twice */
	VFIO_MIG_DEC_TRAILING,		/* bytes after the end record */
	VFIO_MIG_DEC_TRUNCATED,		/* stream ended early */
	VFIO_MIG_DEC_INCOMPLETE,	/* a chunk or section never came */
	VFIO_MIG_DEC_SINK,		/* the device refused the data */
};

/**
 * struct vfio_mig_dec_sink - where decoded data goes
 * @data: called once per verified DATA record, in stream order
 * @priv: passed to @data
 */
struct vfio_mig_dec_sink {
	int (*data)(void *priv, u32 section, u64 offset,
		    const void *payload, u32 len);
	void *priv;
};

/**
 * struct vfio_mig_dec - streaming decoder state
 *
 * Fed with the stream in pieces of any size. Every payload is copied into
 * @stage (the caller provides VFIO_MIG_MAX_PAYLOAD bytes of its own) and
 * verified whole there before the sink gets it: the sink never sees the
 * caller's bytes, which may be memory a user writes concurrently.
 * Iterative sections are tracked chunk by chunk in @coverage (the caller
 * provides vfio_mig_dec_coverage_longs() longs) so that a stream missing a
 * chunk is refused at the end.
 */
struct vfio_mig_dec {
	const struct vfio_mig_desc *desc;
	u8 *stage;
	unsigned long *coverage;
	struct vfio_mig_rec rec;
	u32 rec_have;
	u32 stage_have;
	u32 seq;
	u64 payload_bytes;
	u32 once_seen;
	bool started;
	bool ended;
	int error;
	enum vfio_mig_dec_reason reason;
};

size_t vfio_mig_dec_coverage_longs(const struct vfio_mig_desc *desc);
void vfio_mig_dec_init(struct vfio_mig_dec *dec,
		       const struct vfio_mig_desc *desc,
		       u8 *stage, unsigned long *coverage);
int vfio_mig_dec_feed(struct vfio_mig_dec *dec, const void *buf, size_t len,
		      const struct vfio_mig_dec_sink *sink);
int vfio_mig_dec_feed_stable(struct vfio_mig_dec *dec, const void *buf,
			     size_t len, const struct vfio_mig_dec_sink *sink);
int vfio_mig_dec_finish(struct vfio_mig_dec *dec);
const char *vfio_mig_dec_reason_str(enum vfio_mig_dec_reason reason);

#endif /* _VFIO_MIG_STREAM_H */
