// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mig-agent: the out-of-band migration agent of a card's SoC, in
 * miniature. It serves JSON-RPC 2.0, one JSON object per line, over a UNIX
 * socket and over TCP on 127.0.0.1, and carries out each request on the
 * management channel, /dev/vfio-mig: open selects a device on a new file,
 * get_state/set_state drive its v1 state machine, save/load move its
 * migration stream in base64 chunks, info/pending report its sizes.
 *
 * Every request carries a shared token (params.token), read at start from a
 * file only its owner may read. A connection is served by a thread of its
 * own; the handles it opens are its own and are closed with it, which ends
 * a save it left open (the device keeps running) or fails a load.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <json-c/json.h>
#include <linux/vfio_mig.h>

#include "agent.h"
#include "b64.h"
#include "vfio_mig_chan.h"

#define AGENT_MAX_CONNS		64
#define AGENT_MAX_HANDLES	16	/* per connection */
#define AGENT_TOKEN_MIN		16
#define AGENT_TOKEN_MAX		256
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

struct conn {
	int fd;
	char peer[64];
	char *buf;		/* AGENT_MAX_LINE + 1 */
	size_t len;
	bool discarding;	/* the rest of an oversized line */
	/* Management channels; handle = index + 1, free without ops. */
	struct vfio_mig_chan handles[AGENT_MAX_HANDLES];
	unsigned char *chunk;	/* AGENT_MAX_CHUNK */
	char *b64;		/* b64_encoded_len(AGENT_MAX_CHUNK) + 1 */
};

/* An error a method returns; code 0 means success. */
struct rpc_err {
	int code;
	const char *msg;
	int err;		/* errno of the channel, for AGENT_ERR_CHANNEL */
};

static char token[AGENT_TOKEN_MAX + 1];
static atomic_int nr_conns;
static atomic_int stopping;

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vfio-mig-agent: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static struct rpc_err rpc_fail(int code, const char *msg)
{
	return (struct rpc_err){ .code = code, .msg = msg };
}

/* A channel's failure, @err a negative errno of libvfio. */
static struct rpc_err chan_fail(int err)
{
	return (struct rpc_err){
		.code = AGENT_ERR_CHANNEL,
		.msg = "the management channel refused the request",
		.err = -err,
	};
}

/* Compare without leaking where the first difference is. */
static bool token_ok(const char *t, size_t len)
{
	size_t n = strlen(token), i;
	unsigned char d = len != n;

	for (i = 0; i < len; i++)
		d |= (unsigned char)t[i] ^ (unsigned char)token[i < n ? i : 0];
	return !d;
}

/* params.@key as an integer in [@min, @max]; -1 if absent, -2 if bad. */
static int param_u64(struct json_object *params, const char *key,
		     uint64_t min, uint64_t max, uint64_t *val)
{
	struct json_object *o;
	int64_t v;

	if (!json_object_object_get_ex(params, key, &o))
		return -1;
	if (!json_object_is_type(o, json_type_int))
		return -2;
	errno = 0;
	v = json_object_get_int64(o);
	if (errno || v < 0 || (uint64_t)v < min || (uint64_t)v > max)
		return -2;
	*val = v;
	return 0;
}

/* The channel of params.handle. */
static struct rpc_err get_handle(struct conn *c, struct json_object *params,
				 struct vfio_mig_chan **ch)
{
	uint64_t h;
	int ret;

	ret = param_u64(params, "handle", 0, INT32_MAX, &h);
	if (ret)
		return rpc_fail(RPC_INVALID_PARAMS,
				"params.handle must be a non-negative integer");
	if (h < 1 || h > AGENT_MAX_HANDLES || !c->handles[h - 1].ops)
		return rpc_fail(AGENT_ERR_NO_HANDLE,
				"no such handle on this connection");
	*ch = &c->handles[h - 1];
	return (struct rpc_err){ 0 };
}

static bool device_name_ok(const char *s, size_t len)
{
	size_t i;

	if (!len || len >= VFIO_MIG_MGMT_NAME_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!(s[i] == '-' || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

static struct rpc_err m_open(struct conn *c, struct json_object *params,
			     struct json_object **res)
{
	struct json_object *o;
	const char *name;
	int i, len, ret;

	if (!json_object_object_get_ex(params, "device", &o) ||
	    !json_object_is_type(o, json_type_string))
		return rpc_fail(RPC_INVALID_PARAMS,
				"params.device must be a string");
	name = json_object_get_string(o);
	len = json_object_get_string_len(o);
	if (!device_name_ok(name, len))
		return rpc_fail(RPC_INVALID_PARAMS,
				"params.device must be a device name (an mdev UUID)");
	for (i = 0; i < AGENT_MAX_HANDLES && c->handles[i].ops; i++)
		;
	if (i == AGENT_MAX_HANDLES)
		return rpc_fail(AGENT_ERR_TOO_MANY,
				"too many handles open on this connection");
	ret = vfio_mig_chan_mgmt(&c->handles[i], name);
	if (ret == -ENODEV)
		return rpc_fail(AGENT_ERR_NO_DEVICE,
				"no such device (or it is not migratable)");
	if (ret)
		return chan_fail(ret);
	*res = json_object_new_object();
	json_object_object_add(*res, "handle", json_object_new_int(i + 1));
	return (struct rpc_err){ 0 };
}

static struct rpc_err m_close(struct conn *c, struct json_object *params,
			      struct json_object **res)
{
	struct vfio_mig_chan *ch;
	struct rpc_err e;

	e = get_handle(c, params, &ch);
	if (e.code)
		return e;
	vfio_mig_chan_close(ch);
	*res = json_object_new_boolean(1);
	return e;
}

/*
 * The wire speaks the v1 device_state values of the plugin ABI; the
 * channel speaks enum vfio_device_mig_state. A value without a channel
 * state (an invalid encoding, reserved bits) is refused as the kernel
 * refuses it.
 */
static int state_from_wire(uint64_t v1, uint32_t *state)
{
	uint32_t back;

	*state = vfio_mig_chan_from_v1(v1);
	if (vfio_mig_chan_v1_state(*state, &back) || back != v1)
		return -EINVAL;
	return 0;
}

static struct rpc_err m_get_state(struct conn *c, struct json_object *params,
				  struct json_object **res)
{
	struct vfio_mig_chan *ch;
	struct rpc_err e;
	uint32_t state, v1;
	int ret;

	e = get_handle(c, params, &ch);
	if (e.code)
		return e;
	ret = vfio_mig_chan_get_state(ch, &state);
	if (ret)
		return chan_fail(ret);
	if (vfio_mig_chan_v1_state(state, &v1))
		v1 = VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RESUMING;
	*res = json_object_new_object();
	json_object_object_add(*res, "state", json_object_new_int64(v1));
	return e;
}

static struct rpc_err m_set_state(struct conn *c, struct json_object *params,
				  struct json_object **res)
{
	struct vfio_mig_chan *ch;
	struct rpc_err e;
	uint32_t state;
	uint64_t v;
	int ret;

	e = get_handle(c, params, &ch);
	if (e.code)
		return e;
	if (param_u64(params, "state", 0, UINT32_MAX, &v))
		return rpc_fail(RPC_INVALID_PARAMS,
				"params.state must be a 32-bit device_state value");
	ret = state_from_wire(v, &state);
	ret = ret ?: vfio_mig_chan_set_state(ch, state);
	if (ret)
		return chan_fail(ret);
	*res = json_object_new_object();
	json_object_object_add(*res, "state", json_object_new_int64(v));
	return e;
}

static struct rpc_err m_info(struct conn *c, struct json_object *params,
			     struct json_object **res)
{
	struct vfio_mig_mgmt_info info;
	struct vfio_mig_chan *ch;
	struct rpc_err e;
	int ret;

	e = get_handle(c, params, &ch);
	if (e.code)
		return e;
	ret = vfio_mig_chan_mgmt_info(ch, &info);
	if (ret)
		return chan_fail(ret);
	info.device_type[sizeof(info.device_type) - 1] = '\0';
	*res = json_object_new_object();
	json_object_object_add(*res, "pending",
			       json_object_new_int64(info.pending_bytes));
	json_object_object_add(*res, "stop_copy",
			       json_object_new_int64(info.stop_copy_bytes));
	json_object_object_add(*res, "device_type",
			       json_object_new_string(info.device_type));
	json_object_object_add(*res, "in_band",
			       json_object_new_boolean(info.flags &
						       VFIO_MIG_MGMT_INFO_INBAND));
	return e;
}

static struct rpc_err m_pending(struct conn *c, struct json_object *params,
				struct json_object **res)
{
	struct vfio_mig_chan *ch;
	struct rpc_err e;
	uint64_t pending;
	int ret;

	e = get_handle(c, params, &ch);
	if (e.code)
		return e;
	ret = vfio_mig_chan_pending(ch, &pending);
	if (ret)
		return chan_fail(ret);
	*res = json_object_new_object();
	json_object_object_add(*res, "pending",
			       json_object_new_int64(pending));
	return e;
}

static struct rpc_err m_save(struct conn *c, struct json_object *params,
			     struct json_object **res)
{
	uint64_t max = AGENT_MAX_CHUNK;
	struct vfio_mig_chan *ch;
	struct rpc_err e;
	ssize_t n;

	e = get_handle(c, params, &ch);
	if (e.code)
		return e;
	if (param_u64(params, "max", 1, AGENT_MAX_CHUNK, &max) == -2)
		return rpc_fail(RPC_INVALID_PARAMS,
				"params.max must be an integer from 1 to 1048576");
	n = vfio_mig_chan_read(ch, c->chunk, max);
	if (n < 0 && n != -ENOMSG)
		return chan_fail(n);
	b64_encode(c->chunk, n > 0 ? n : 0, c->b64);
	*res = json_object_new_object();
	json_object_object_add(*res, "data",
			       json_object_new_string_len(c->b64,
							  b64_encoded_len(n > 0 ? n : 0)));
	json_object_object_add(*res, "eof", json_object_new_boolean(n == 0));
	return e;
}

static struct rpc_err m_load(struct conn *c, struct json_object *params,
			     struct json_object **res)
{
	struct vfio_mig_chan *ch;
	struct json_object *o;
	struct rpc_err e;
	long len;
	int ret;

	e = get_handle(c, params, &ch);
	if (e.code)
		return e;
	if (!json_object_object_get_ex(params, "data", &o) ||
	    !json_object_is_type(o, json_type_string))
		return rpc_fail(RPC_INVALID_PARAMS,
				"params.data must be a base64 string");
	len = b64_decode(json_object_get_string(o),
			 json_object_get_string_len(o), c->chunk,
			 AGENT_MAX_CHUNK);
	if (len < 0)
		return rpc_fail(RPC_INVALID_PARAMS,
				"params.data is not padded base64 of at most 1048576 bytes");
	ret = vfio_mig_chan_write(ch, c->chunk, len);
	if (ret)
		return chan_fail(ret);
	*res = json_object_new_object();
	json_object_object_add(*res, "written", json_object_new_int64(len));
	return e;
}

static const struct {
	const char *name;
	struct rpc_err (*fn)(struct conn *c, struct json_object *params,
			     struct json_object **res);
} methods[] = {
	{ "open", m_open },
	{ "close", m_close },
	{ "get_state", m_get_state },
	{ "set_state", m_set_state },
	{ "info", m_info },
	{ "pending", m_pending },
	{ "save", m_save },
	{ "load", m_load },
};

/* Send one JSON value and a newline; -1 if the peer is gone. */
static int send_json(struct conn *c, struct json_object *msg)
{
	size_t len, done = 0;
	const char *s;
	ssize_t n;

	s = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE,
					      &len);
	while (done <= len) {
		if (done == len)
			n = send(c->fd, "\n", 1, MSG_NOSIGNAL);
		else
			n = send(c->fd, s + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

/* Reply to request @id (NULL: null) with @res, or with @e if it is set. */
static int reply(struct conn *c, struct json_object *id,
		 struct json_object *res, struct rpc_err e)
{
	struct json_object *msg = json_object_new_object(), *err, *data;
	int ret;

	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(msg, "id", json_object_get(id));
	if (e.code) {
		err = json_object_new_object();
		json_object_object_add(err, "code", json_object_new_int(e.code));
		json_object_object_add(err, "message",
				       json_object_new_string(e.msg));
		if (e.err) {
			data = json_object_new_object();
			json_object_object_add(data, "errno",
					       json_object_new_int(e.err));
			json_object_object_add(data, "strerror",
					       json_object_new_string(strerror(e.err)));
			json_object_object_add(err, "data", data);
		}
		json_object_object_add(msg, "error", err);
		json_object_put(res);
	} else {
		json_object_object_add(msg, "result", res);
	}
	ret = send_json(c, msg);
	json_object_put(msg);
	return ret;
}

/* Handle one line (without its newline); -1 ends the connection. */
static int handle_line(struct conn *c, char *line, size_t len)
{
	struct json_object *req, *id = NULL, *o, *params, *res = NULL;
	struct json_tokener *tok;
	struct rpc_err e = { 0 };
	const char *method;
	unsigned int i;
	int ret;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
		       line[len - 1] == '\t'))
		len--;
	if (!len)
		return 0;
	tok = json_tokener_new_ex(AGENT_MAX_DEPTH);
	if (!tok)
		return -1;
	req = json_tokener_parse_ex(tok, line, len);
	if (!req || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_tokener_free(tok);
		json_object_put(req);
		return reply(c, NULL, NULL,
			     rpc_fail(RPC_PARSE_ERROR,
				      "not one JSON value on the line"));
	}
	json_tokener_free(tok);

	if (!json_object_is_type(req, json_type_object)) {
		e = rpc_fail(RPC_INVALID_REQUEST,
			     json_object_is_type(req, json_type_array) ?
			     "batches are not supported" :
			     "a request is a JSON object");
		goto out;
	}
	if (json_object_object_get_ex(req, "id", &id)) {
		if (id && !json_object_is_type(id, json_type_int) &&
		    !json_object_is_type(id, json_type_string)) {
			id = NULL;
			e = rpc_fail(RPC_INVALID_REQUEST,
				     "id must be a string, an integer or null");
			goto out;
		}
	} else {
		/* A notification: no reply, and nothing is done for it. */
		json_object_put(req);
		return 0;
	}
	if (!json_object_object_get_ex(req, "jsonrpc", &o) ||
	    !json_object_is_type(o, json_type_string) ||
	    strcmp(json_object_get_string(o), "2.0")) {
		e = rpc_fail(RPC_INVALID_REQUEST, "jsonrpc must be \"2.0\"");
		goto out;
	}
	if (!json_object_object_get_ex(req, "method", &o) ||
	    !json_object_is_type(o, json_type_string)) {
		e = rpc_fail(RPC_INVALID_REQUEST, "method must be a string");
		goto out;
	}
	method = json_object_get_string(o);
	if (!json_object_object_get_ex(req, "params", &params) ||
	    !json_object_is_type(params, json_type_object)) {
		e = rpc_fail(RPC_INVALID_PARAMS,
			     "params must be an object with the token");
		goto out;
	}
	if (!json_object_object_get_ex(params, "token", &o) ||
	    !json_object_is_type(o, json_type_string) ||
	    !token_ok(json_object_get_string(o),
		      json_object_get_string_len(o))) {
		e = rpc_fail(AGENT_ERR_UNAUTHORIZED,
			     "missing or wrong params.token");
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(methods); i++)
		if (!strcmp(method, methods[i].name))
			break;
	if (i == ARRAY_SIZE(methods)) {
		e = rpc_fail(RPC_METHOD_NOT_FOUND, "no such method");
		goto out;
	}
	e = methods[i].fn(c, params, &res);
out:
	ret = reply(c, id, res, e);
	json_object_put(req);
	return ret;
}

/* Serve lines until the peer closes; -1 on a send or receive error. */
static int serve(struct conn *c)
{
	char *nl;
	size_t used;
	ssize_t n;

	for (;;) {
		n = recv(c->fd, c->buf + c->len, AGENT_MAX_LINE + 1 - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -1 : 0;
		c->len += n;
		while ((nl = memchr(c->buf, '\n', c->len))) {
			used = nl - c->buf;
			if (c->discarding)
				c->discarding = false;
			else if (handle_line(c, c->buf, used))
				return -1;
			c->len -= used + 1;
			memmove(c->buf, nl + 1, c->len);
		}
		if (c->len > AGENT_MAX_LINE) {
			if (!c->discarding &&
			    reply(c, NULL, NULL,
				  rpc_fail(RPC_INVALID_REQUEST,
					   "message longer than the agent accepts")))
				return -1;
			c->discarding = true;
			c->len = 0;
		}
	}
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	int i;

	serve(c);
	for (i = 0; i < AGENT_MAX_HANDLES; i++)
		vfio_mig_chan_close(&c->handles[i]);
	close(c->fd);
	free(c->buf);
	free(c->chunk);
	free(c->b64);
	free(c);
	atomic_fetch_sub(&nr_conns, 1);
	return NULL;
}

static void start_conn(int fd)
{
	pthread_attr_t attr;
	struct conn *c;
	pthread_t t;
	int i;

	if (atomic_fetch_add(&nr_conns, 1) >= AGENT_MAX_CONNS) {
		atomic_fetch_sub(&nr_conns, 1);
		logmsg("%d connections already; refusing another",
		       AGENT_MAX_CONNS);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c) {
		c->buf = malloc(AGENT_MAX_LINE + 1);
		c->chunk = malloc(AGENT_MAX_CHUNK);
		c->b64 = malloc(b64_encoded_len(AGENT_MAX_CHUNK) + 1);
	}
	if (!c || !c->buf || !c->chunk || !c->b64)
		goto fail;
	c->fd = fd;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	i = pthread_create(&t, &attr, conn_thread, c);
	pthread_attr_destroy(&attr);
	if (!i)
		return;
fail:
	logmsg("out of memory or threads; dropping a connection");
	if (c) {
		free(c->buf);
		free(c->chunk);
		free(c->b64);
	}
	free(c);
	close(fd);
	atomic_fetch_sub(&nr_conns, 1);
}

/* Read the token; refuse a file that others may read or write. */
static int read_token(const char *path)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		logmsg("token file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		logmsg("token file %s is not a regular file", path);
		goto fail;
	}
	if (st.st_mode & 077) {
		logmsg("refusing to start: token file %s has mode %04o", path,
		       (unsigned int)(st.st_mode & 07777));
		logmsg("group and others must not read or write it: chmod 600 %s",
		       path);
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		logmsg("refusing to start: token file %s belongs to uid %u, not %u",
		       path, (unsigned int)st.st_uid, (unsigned int)geteuid());
		goto fail;
	}
	n = read(fd, token, sizeof(token));
	close(fd);
	if (n < 0 || n > AGENT_TOKEN_MAX) {
		logmsg("token file %s: unreadable or longer than %d bytes",
		       path, AGENT_TOKEN_MAX);
		return -1;
	}
	while (n && (token[n - 1] == '\n' || token[n - 1] == '\r' ||
		     token[n - 1] == ' '))
		n--;
	token[n] = '\0';
	if (n < AGENT_TOKEN_MIN || strlen(token) != (size_t)n) {
		logmsg("token file %s: the token must be %d to %d bytes without NUL",
		       path, AGENT_TOKEN_MIN, AGENT_TOKEN_MAX);
		return -1;
	}
	return 0;
fail:
	close(fd);
	return -1;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		logmsg("--unix %s: path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			logmsg("--unix %s: exists and is not a socket", path);
			return -1;
		}
		unlink(path);	/* left behind by an agent that was killed */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	old = umask(077);	/* the socket is the owner's alone */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		umask(old);
		logmsg("--unix %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

static int listen_tcp(unsigned int port, unsigned int *bound)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t sl = sizeof(sa);
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		logmsg("--tcp %u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

static void on_signal(int sig)
{
	atomic_store(&stopping, sig);
}

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-mig-agent --token-file FILE [--unix PATH] [--tcp PORT]\n"
		"\n"
		"Serve out-of-band migration of the devices of this machine's\n"
		"management channel (/dev/vfio-mig) as JSON-RPC 2.0, one JSON object\n"
		"per line, to the VMM's migration plugin.\n"
		"\n"
		"  --unix PATH        listen on a UNIX socket (mode 0600)\n"
		"  --tcp PORT         listen on 127.0.0.1:PORT (0: any free port)\n"
		"  --token-file FILE  the shared token every request carries in\n"
		"                     params.token; FILE must be the agent user's and\n"
		"                     not readable or writable by group or others\n"
		"  --help             this text\n"
		"\n"
		"At least one of --unix and --tcp. Once listening it prints one line,\n"
		"\"vfio-mig-agent: listening on ...\", on stdout. Methods: open, close,\n"
		"get_state, set_state, info, pending, save, load (Documentation/\n"
		"out-of-band.rst).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "unix", required_argument, NULL, 'u' },
		{ "tcp", required_argument, NULL, 't' },
		{ "token-file", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *unix_path = NULL, *token_file = NULL;
	struct pollfd pfd[2];
	unsigned long port = 0;
	unsigned int nfds = 0, i, bound = 0;
	bool tcp = false;
	struct sigaction sa = { .sa_handler = on_signal };
	char *end;
	int c, fd;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			unix_path = optarg;
			break;
		case 't':
			port = strtoul(optarg, &end, 10);
			if (*end || end == optarg || port > 65535) {
				logmsg("--tcp %s: use a port from 0 to 65535",
				       optarg);
				return 2;
			}
			tcp = true;
			break;
		case 'k':
			token_file = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			print_usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !token_file || (!unix_path && !tcp)) {
		print_usage(stderr);
		return 2;
	}
	if (read_token(token_file))
		return 1;

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (unix_path) {
		fd = listen_unix(unix_path);
		if (fd < 0)
			return 1;
		pfd[nfds++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	if (tcp) {
		fd = listen_tcp(port, &bound);
		if (fd < 0) {
			if (unix_path)
				unlink(unix_path);
			return 1;
		}
		pfd[nfds++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	printf("vfio-mig-agent: listening on%s%s%s", unix_path ? " unix:" : "",
	       unix_path ? unix_path : "", tcp ? " tcp:127.0.0.1:" : "");
	if (tcp)
		printf("%u", bound);
	printf("\n");
	fflush(stdout);

	while (!atomic_load(&stopping)) {
		if (poll(pfd, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			logmsg("poll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < nfds; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			fd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				start_conn(fd);
		}
	}
	if (unix_path)
		unlink(unix_path);
	if (atomic_load(&stopping))
		logmsg("stopping on signal %d", atomic_load(&stopping));
	/* Exiting closes every channel file: saves drop, loads fail. */
	return 0;
}
