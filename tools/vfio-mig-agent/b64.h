/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Base64 (RFC 4648, with padding) for the chunks of a migration stream
 * that travel in the agent's JSON-RPC messages.
 */
#ifndef _VFIO_MIG_AGENT_B64_H
#define _VFIO_MIG_AGENT_B64_H

#include <stddef.h>

/* Characters b64_encode() writes for @len bytes, without the NUL. */
static inline size_t b64_encoded_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

/* Encode @len bytes of @in into @out (b64_encoded_len(@len) + 1 bytes). */
void b64_encode(const void *in, size_t len, char *out);

/*
 * Decode @len characters of @in into @out (room for @size bytes). Return
 * the bytes decoded, or -1 if @in is not padded base64 or does not fit.
 */
long b64_decode(const char *in, size_t len, void *out, size_t size);

#endif /* _VFIO_MIG_AGENT_B64_H */
