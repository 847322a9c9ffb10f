// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio-lm-mdma.so: the example migration plugin for mdma devices. It
 * implements the VFIO live migration plugin ABI (<vfio_lm_plugin.h>) by
 * calling vfio-mig-agent's JSON-RPC methods, one connection per device.
 *
 * Its argument names the agent and the token file:
 *
 *   unix:/run/vfio-mig-agent.sock,token=/etc/vfio-mig-agent/token
 *   tcp:127.0.0.1:7011,token=/etc/vfio-mig-agent/token
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <json-c/json.h>

#include <linux/vfio_mig.h>

#include "../agent.h"
#include "vfio_lm_plugin.h"

#define PLUGIN_EXPORT		__attribute__((visibility("default")))
#define PLUGIN_TIMEOUT_S	30
#define PLUGIN_TOKEN_MAX	256

struct plug {
	int fd;
	long handle;
	bool stop_copy;		/* last set_state was stop-and-copy (010) */
	bool eof;		/* and save has reached the end since */
	long long next_id;
	char token[PLUGIN_TOKEN_MAX + 1];
	char *rbuf;		/* AGENT_MAX_LINE + 1 */
	size_t rlen;
	char *b64;		/* b64_encoded_len(AGENT_MAX_CHUNK) + 1 */
};

static void plug_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vfio-lm-mdma: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int read_token(struct plug *p, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		plug_err("token file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) || (st.st_mode & 077)) {
		plug_err("token file %s may be read by group or others; chmod 600 it",
			 path);
		close(fd);
		return -EACCES;
	}
	n = read(fd, p->token, PLUGIN_TOKEN_MAX);
	close(fd);
	if (n < 0)
		return -EIO;
	while (n && (p->token[n - 1] == '\n' || p->token[n - 1] == '\r' ||
		     p->token[n - 1] == ' '))
		n--;
	p->token[n] = '\0';
	return 0;
}

static int connect_to(struct plug *p, const char *addr)
{
	struct timeval tv = { .tv_sec = PLUGIN_TIMEOUT_S };
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	struct sockaddr_in si = { .sin_family = AF_INET };
	struct sockaddr *sa;
	socklen_t sl;
	char host[64];
	const char *colon;
	unsigned long port;
	char *end;
	int err;

	if (!strncmp(addr, "unix:", 5)) {
		if (strlen(addr + 5) >= sizeof(su.sun_path) || !addr[5])
			return -EINVAL;
		memcpy(su.sun_path, addr + 5, strlen(addr + 5) + 1);
		sa = (struct sockaddr *)&su;
		sl = sizeof(su);
	} else if (!strncmp(addr, "tcp:", 4)) {
		colon = strrchr(addr + 4, ':');
		if (!colon || colon - (addr + 4) >= (long)sizeof(host))
			return -EINVAL;
		memcpy(host, addr + 4, colon - (addr + 4));
		host[colon - (addr + 4)] = '\0';
		port = strtoul(colon + 1, &end, 10);
		if (*end || end == colon + 1 || !port || port > 65535 ||
		    inet_pton(AF_INET, host, &si.sin_addr) != 1)
			return -EINVAL;
		si.sin_port = htons(port);
		sa = (struct sockaddr *)&si;
		sl = sizeof(si);
	} else {
		return -EINVAL;
	}
	p->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(p->fd, sa, sl)) {
		err = -errno;
		plug_err("connect to the agent at %s: %s", addr,
			 strerror(-err));
		close(p->fd);
		p->fd = -1;
		return err;
	}
	return 0;
}

static int send_all(struct plug *p, const char *s, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(p->fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		s += n;
		len -= n;
	}
	return 0;
}

/* Receive one line into p->rbuf; return its length or -errno. */
static long recv_line(struct plug *p)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(p->rbuf, '\n', p->rlen);
		if (nl)
			return nl - p->rbuf;
		if (p->rlen > AGENT_MAX_LINE)
			return -EMSGSIZE;
		n = recv(p->fd, p->rbuf + p->rlen, AGENT_MAX_LINE + 1 - p->rlen,
			 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (!n)
			return -ECONNRESET;
		p->rlen += n;
	}
}

/* An error object of the agent as an errno. */
static int rpc_errno(struct json_object *err)
{
	struct json_object *o, *data;
	int code = 0;

	if (json_object_object_get_ex(err, "code", &o))
		code = json_object_get_int(o);
	switch (code) {
	case AGENT_ERR_CHANNEL:
		if (json_object_object_get_ex(err, "data", &data) &&
		    json_object_object_get_ex(data, "errno", &o) &&
		    json_object_get_int(o) > 0)
			return -json_object_get_int(o);
		return -EIO;
	case AGENT_ERR_UNAUTHORIZED:
		plug_err("the agent refused the token");
		return -EACCES;
	case AGENT_ERR_NO_DEVICE:
		return -ENODEV;
	case AGENT_ERR_NO_HANDLE:
		return -EBADF;
	case RPC_INVALID_PARAMS:
		return -EINVAL;
	default:
		if (json_object_object_get_ex(err, "message", &o))
			plug_err("agent error %d: %s", code,
				 json_object_get_string(o));
		return -EPROTO;
	}
}

/*
 * Call @method with @params (consumed; the token and handle are added)
 * and return its result in @res (put it when done). 0 or -errno.
 */
static int rpc(struct plug *p, const char *method, struct json_object *params,
	       struct json_object **res)
{
	struct json_object *req = json_object_new_object(), *rsp = NULL, *o;
	long long id = ++p->next_id;
	struct json_tokener *tok;
	const char *s;
	size_t len;
	long line;
	int ret;

	*res = NULL;
	if (p->fd < 0) {
		json_object_put(params);
		json_object_put(req);
		return -ENOTCONN;
	}
	json_object_object_add(params, "token",
			       json_object_new_string(p->token));
	if (p->handle > 0)
		json_object_object_add(params, "handle",
				       json_object_new_int64(p->handle));
	json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(req, "id", json_object_new_int64(id));
	json_object_object_add(req, "method", json_object_new_string(method));
	json_object_object_add(req, "params", params);
	s = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE,
					      &len);
	ret = send_all(p, s, len);
	ret = ret ?: send_all(p, "\n", 1);
	json_object_put(req);
	if (ret)
		goto lost;
	line = recv_line(p);
	if (line < 0) {
		ret = line;
		goto lost;
	}
	tok = json_tokener_new_ex(AGENT_MAX_DEPTH);
	if (tok) {
		rsp = json_tokener_parse_ex(tok, p->rbuf, line);
		if (json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(rsp);
			rsp = NULL;
		}
		json_tokener_free(tok);
	}
	p->rlen -= line + 1;
	memmove(p->rbuf, p->rbuf + line + 1, p->rlen);
	if (!rsp || !json_object_object_get_ex(rsp, "id", &o) ||
	    json_object_get_int64(o) != id) {
		json_object_put(rsp);
		plug_err("%s: a reply that is not JSON-RPC or not ours", method);
		ret = -EPROTO;
		goto lost;
	}
	if (json_object_object_get_ex(rsp, "error", &o)) {
		ret = rpc_errno(o);
	} else if (json_object_object_get_ex(rsp, "result", &o)) {
		*res = json_object_get(o);
		ret = 0;
	} else {
		ret = -EPROTO;
	}
	json_object_put(rsp);
	return ret;
lost:
	/* Out of step with the agent: no later call may use this link. */
	plug_err("%s: lost the agent: %s", method, strerror(-ret));
	close(p->fd);
	p->fd = -1;
	return ret;
}

/* An integer member of a result. */
static int res_u64(struct json_object *res, const char *key, uint64_t *v)
{
	struct json_object *o;

	if (!res || !json_object_object_get_ex(res, key, &o) ||
	    !json_object_is_type(o, json_type_int))
		return -EPROTO;
	*v = json_object_get_uint64(o);
	return 0;
}

static void plug_free(struct plug *p)
{
	if (p->fd >= 0)
		close(p->fd);
	free(p->rbuf);
	free(p->b64);
	free(p);
}

static void *plug_init(const char *devid, const char *arg)
{
	struct json_object *params, *res;
	char addr[256], *comma;
	struct plug *p;
	uint64_t h;
	int ret;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->fd = -1;
	p->rbuf = malloc(AGENT_MAX_LINE + 1);
	p->b64 = malloc(b64_encoded_len(AGENT_MAX_CHUNK) + 1);
	ret = -ENOMEM;
	if (!p->rbuf || !p->b64)
		goto fail;
	ret = -EINVAL;
	if (!arg || strlen(arg) >= sizeof(addr)) {
		plug_err("no argument; use unix:PATH,token=FILE or tcp:127.0.0.1:PORT,token=FILE");
		goto fail;
	}
	memcpy(addr, arg, strlen(arg) + 1);
	comma = strchr(addr, ',');
	if (!comma || strncmp(comma + 1, "token=", 6) || !comma[7]) {
		plug_err("argument \"%s\": use unix:PATH,token=FILE or tcp:127.0.0.1:PORT,token=FILE",
			 arg);
		goto fail;
	}
	*comma = '\0';
	ret = read_token(p, comma + 7);
	if (ret)
		goto fail;
	ret = connect_to(p, addr);
	if (ret) {
		if (ret == -EINVAL)
			plug_err("address \"%s\": use unix:PATH or tcp:IPV4:PORT",
				 addr);
		goto fail;
	}
	params = json_object_new_object();
	json_object_object_add(params, "device", json_object_new_string(devid));
	ret = rpc(p, "open", params, &res);
	if (!ret) {
		ret = res_u64(res, "handle", &h);
		json_object_put(res);
	}
	if (ret) {
		plug_err("open %s through the agent: %s", devid, strerror(-ret));
		goto fail;
	}
	p->handle = h;
	return p;
fail:
	plug_free(p);
	errno = -ret;
	return NULL;
}

static int plug_save(void *handle, void *buf, size_t size, size_t *len)
{
	struct plug *p = handle;
	struct json_object *params = json_object_new_object(), *res, *o;
	size_t max = size < AGENT_MAX_CHUNK ? size : AGENT_MAX_CHUNK;
	bool eof;
	long n;
	int ret;

	*len = 0;
	json_object_object_add(params, "max", json_object_new_int64(max));
	ret = rpc(p, "save", params, &res);
	if (ret)
		return ret;
	ret = -EPROTO;
	if (!json_object_object_get_ex(res, "data", &o) ||
	    !json_object_is_type(o, json_type_string))
		goto out;
	n = b64_decode(json_object_get_string(o), json_object_get_string_len(o),
		       buf, max);
	if (n < 0 || !json_object_object_get_ex(res, "eof", &o))
		goto out;
	eof = json_object_get_boolean(o);
	p->eof |= eof;
	*len = n;
	ret = n || eof ? 0 : -ENOMSG;
out:
	json_object_put(res);
	return ret;
}

static int plug_load(void *handle, const void *buf, size_t len)
{
	struct plug *p = handle;
	struct json_object *params, *res;
	size_t n;
	int ret;

	while (len) {
		n = len < AGENT_MAX_CHUNK ? len : AGENT_MAX_CHUNK;
		b64_encode(buf, n, p->b64);
		params = json_object_new_object();
		json_object_object_add(params, "data",
				       json_object_new_string_len(p->b64,
								  b64_encoded_len(n)));
		ret = rpc(p, "load", params, &res);
		json_object_put(res);
		if (ret)
			return ret;
		buf = (const char *)buf + n;
		len -= n;
	}
	return 0;
}

static int plug_update_pending(void *handle, uint64_t *pending)
{
	struct json_object *res;
	int ret;

	struct plug *p = handle;

	ret = rpc(p, "pending", json_object_new_object(), &res);
	if (!ret)
		ret = res_u64(res, "pending", pending);
	json_object_put(res);
	/*
	 * The channel's pending_bytes leaves out what the kernel staged but
	 * has not handed to read() yet, so it can reach 0 before the end of
	 * the stream. In stop-and-copy, report a byte until save has seen
	 * the end, so that a VMM that saves while pending > 0 reads it all.
	 */
	if (!ret && !*pending && p->stop_copy && !p->eof)
		*pending = 1;
	return ret;
}

static int plug_set_state(void *handle, uint32_t state)
{
	struct json_object *params = json_object_new_object(), *res;
	struct plug *p = handle;
	int ret;

	json_object_object_add(params, "state", json_object_new_int64(state));
	ret = rpc(p, "set_state", params, &res);
	json_object_put(res);
	if (!ret) {
		p->stop_copy = (state & VFIO_DEVICE_STATE_MASK) ==
			       VFIO_DEVICE_STATE_V1_SAVING;
		p->eof = false;
	}
	return ret;
}

static int plug_get_state(void *handle, uint32_t *state)
{
	struct json_object *res;
	uint64_t v = 0;
	int ret;

	ret = rpc(handle, "get_state", json_object_new_object(), &res);
	if (!ret)
		ret = res_u64(res, "state", &v);
	json_object_put(res);
	*state = v;
	return ret;
}

static void plug_cleanup(void *handle)
{
	struct plug *p = handle;
	struct json_object *res;

	if (!p)
		return;
	if (p->fd >= 0 && !rpc(p, "close", json_object_new_object(), &res))
		json_object_put(res);
	plug_free(p);
}

static const struct vfio_lm_plugin_ops plug_ops = {
	.init = plug_init,
	.save = plug_save,
	.load = plug_load,
	.update_pending = plug_update_pending,
	.set_state = plug_set_state,
	.get_state = plug_get_state,
	.cleanup = plug_cleanup,
};

PLUGIN_EXPORT int vfio_lm_get_plugin_version(void)
{
	return VFIO_LM_PLUGIN_VERSION;
}

PLUGIN_EXPORT const struct vfio_lm_plugin_ops *vfio_lm_get_plugin_ops(void)
{
	return &plug_ops;
}
