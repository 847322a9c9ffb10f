/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mig-agent: the wire protocol shared by the agent and its plugin.
 *
 * JSON-RPC 2.0, one JSON object per line (UTF-8, terminated by '\n', no
 * newline inside a message); see Documentation/out-of-band.rst.
 */
#ifndef _VFIO_MIG_AGENT_H
#define _VFIO_MIG_AGENT_H

#include "b64.h"

/* The largest chunk of a stream in one save or load. */
#define AGENT_MAX_CHUNK		(1024 * 1024)

/* The longest line the agent reads: a chunk in base64 and the envelope. */
#define AGENT_MAX_LINE		(b64_encoded_len(AGENT_MAX_CHUNK) + 4096)

/* Nesting the agent parses at most. */
#define AGENT_MAX_DEPTH		8

/* JSON-RPC 2.0's own error codes. */
#define RPC_PARSE_ERROR		-32700
#define RPC_INVALID_REQUEST	-32600
#define RPC_METHOD_NOT_FOUND	-32601
#define RPC_INVALID_PARAMS	-32602

/* The agent's: the management channel refused (error.data.errno). */
#define AGENT_ERR_CHANNEL	-32000
/* params.token is missing or wrong. */
#define AGENT_ERR_UNAUTHORIZED	-32001
/* No device of that name is described to vfio_mig. */
#define AGENT_ERR_NO_DEVICE	-32002
/* params.handle is not open on this connection. */
#define AGENT_ERR_NO_HANDLE	-32003
/* The connection has as many handles open as the agent allows. */
#define AGENT_ERR_TOO_MANY	-32004

#endif /* _VFIO_MIG_AGENT_H */
