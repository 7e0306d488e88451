/*
 * The browser pages and their assets, served from --www (broadside-api(7),
 * "GET /, GET /gm, GET /dashboard").
 *
 * Safety first: the path is percent-decoded once, any "." or ".." or empty
 * segment is refused, and the resolved real path must still lie inside the
 * real www root, so neither encoded dots nor symlinks lead out of it.
 * Files are read per request (they are small, and the page cache holds
 * them); ETags let browsers revalidate cheaply, and text is gzipped when
 * the client accepts it.
 *
 * Headers: a Content-Security-Policy that lets a page run only the
 * scripts and styles served from here and talk only to this origin (the
 * consoles use fetch and EventSource on it, nothing else), no Referer
 * (tokens travel in URLs: an events URL, the dashboard's access_token),
 * and no sniffing.  A file whose name carries a version ("app.v3.js") is
 * immutable: a new version gets a new name, so browsers may keep it a
 * year without asking; every other file is revalidated with its ETag.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "alloc.h"
#include "api/api.h"
#include "conf.h"

/* Assets are small; anything bigger does not belong in www/. */
#define STATIC_MAX_FILE (8u * 1024 * 1024)
/* Below this, gzip saves too little to be worth it. */
#define STATIC_GZIP_MIN 256

#define STATIC_CSP "default-src 'none'; script-src 'self'; " \
	"style-src 'self'; img-src 'self' data:; connect-src 'self'; " \
	"font-src 'self'; manifest-src 'self'; base-uri 'none'; " \
	"form-action 'self'; frame-ancestors 'none'"

static const struct {
	const char *ext;
	const char *type;
	int compress;
} mime_types[] = {
	{ "html", "text/html; charset=utf-8", 1 },
	{ "css", "text/css; charset=utf-8", 1 },
	{ "js", "text/javascript; charset=utf-8", 1 },
	{ "mjs", "text/javascript; charset=utf-8", 1 },
	{ "json", "application/json", 1 },
	{ "svg", "image/svg+xml", 1 },
	{ "txt", "text/plain; charset=utf-8", 1 },
	{ "map", "application/json", 1 },
	{ "png", "image/png", 0 },
	{ "jpg", "image/jpeg", 0 },
	{ "jpeg", "image/jpeg", 0 },
	{ "gif", "image/gif", 0 },
	{ "webp", "image/webp", 0 },
	{ "ico", "image/x-icon", 0 },
	{ "woff2", "font/woff2", 0 },
	{ "wasm", "application/wasm", 0 },
};

static const char *
mime_type(const char *path, int *compress)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');

	*compress = 0;
	if (dot != NULL && (slash == NULL || dot > slash)) {
		for (size_t i = 0;
		    i < sizeof(mime_types) / sizeof(mime_types[0]); i++) {
			if (strcmp(dot + 1, mime_types[i].ext) == 0) {
				*compress = mime_types[i].compress;
				return mime_types[i].type;
			}
		}
	}
	return "application/octet-stream";
}

/*
 * Whether a file name carries a version, as "name.vN.ext" (N digits): its
 * contents never change under that name.
 */
static int
path_is_versioned(const char *path)
{
	const char *name = strrchr(path, '/'), *ext, *v;

	name = name != NULL ? name + 1 : path;
	if ((ext = strrchr(name, '.')) == NULL || ext == name)
		return 0;
	for (v = ext - 1; v > name && *v >= '0' && *v <= '9'; v--)
		;
	return v < ext - 1 && v - 2 >= name && v[0] == 'v' && v[-1] == '.';
}

/*
 * Checks a decoded relative path: no empty, "." or ".." segment, no
 * backslash.  Returns whether it is safe to join to the root.
 */
static int
path_is_clean(const char *rel)
{
	const char *seg = rel;

	if (*rel == '\0' || strchr(rel, '\\') != NULL)
		return 0;
	for (;;) {
		size_t len = strcspn(seg, "/");

		if (len == 0 || (len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (seg[len] == '\0')
			return 1;
		seg += len + 1;
	}
}

/* Reads a whole regular file of at most STATIC_MAX_FILE bytes. */
static int
read_file(int fd, const struct stat *st, char **out)
{
	char *data;
	size_t got = 0, size = (size_t)st->st_size;

	if (st->st_size < 0 || size > STATIC_MAX_FILE)
		return -1;
	data = xmalloc(size + 1);
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(data);
			return -1;
		}
		got += (size_t)n;
	}
	data[size] = '\0';
	*out = data;
	return 0;
}

/* gzip-compresses data; returns a new buffer or NULL (send it plain). */
static char *
gzip_buffer(const char *data, size_t len, size_t *outlen)
{
	z_stream zs;
	uLong bound;
	char *out;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	bound = deflateBound(&zs, (uLong)len) + 32;
	out = xmalloc(bound);
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(out);
		return NULL;
	}
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

/* Whether an If-None-Match header lists etag (or is "*"). */
static int
etag_matches(const char *inm, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = inm;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p == '*')
			return 1;
		if (strncmp(p, etag, elen) == 0 &&
		    (p[elen] == '\0' || p[elen] == ',' || p[elen] == ' '))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* Whether the root has no file of this name. */
static int
static_missing(const char *www, const char *name)
{
	char *full = xasprintf("%s/%s", www, name);
	int missing = access(full, F_OK) != 0;

	free(full);
	return missing;
}

/*
 * Maps a request path to a file below the root; answers the error itself
 * and returns NULL when there is none.
 */
static char *
static_resolve(struct request *req, const struct api_ctx *api)
{
	const char *www = api->cfg->www_dir;
	char root[PATH_MAX], real[PATH_MAX];
	char *rel, *full;
	size_t rootlen;

	if (strcmp(req->path, "/") == 0)
		rel = xstrdup("index.html");
	else if (strcmp(req->path, "/gm") == 0)
		rel = xstrdup("gm.html");
	else if (strcmp(req->path, "/dashboard") == 0)
		rel = xstrdup("dashboard.html");
	else if (strcmp(req->path, "/favicon.ico") == 0 &&
	    static_missing(www, "favicon.ico"))
		rel = xstrdup("favicon.svg");	/* what browsers ask for */
	else
		rel = url_decode(req->path + 1, strlen(req->path + 1), 0);
	if (rel == NULL || !path_is_clean(rel)) {
		free(rel);
		request_respond(req, response_problem(400, "bad-path",
		    "Bad path", "The path has an empty, '.' or '..' segment or "
		    "a malformed escape; ask for a file by its plain name."));
		return NULL;
	}
	full = xasprintf("%s/%s", www, rel);
	free(rel);
	if (realpath(www, root) == NULL || realpath(full, real) == NULL ||
	    (rootlen = strlen(root), strncmp(real, root, rootlen) != 0) ||
	    real[rootlen] != '/') {
		free(full);
		request_respond(req, response_problem(404, "not-found",
		    "Not found", "There is no such page or file; the player "
		    "console is at /, the GM console at /gm."));
		return NULL;
	}
	free(full);
	return xstrdup(real);
}

static void
static_send(struct request *req, const char *path, const struct stat *st,
    char *data)
{
	struct response *resp;
	const char *type, *inm;
	char etag[96];
	int compress, gz;
	size_t len = (size_t)st->st_size;

	type = mime_type(path, &compress);
	gz = compress && len >= STATIC_GZIP_MIN && request_accepts_gzip(req);
	snprintf(etag, sizeof(etag), "\"%lx-%llx-%llx%s\"",
	    (unsigned long)st->st_ino, (unsigned long long)st->st_size,
	    (unsigned long long)st->st_mtim.tv_sec * 1000000000ull +
	    (unsigned long long)st->st_mtim.tv_nsec, gz ? "-gz" : "");
	inm = request_header(req, "if-none-match");
	if (inm != NULL && etag_matches(inm, etag)) {
		free(data);
		resp = response_new(304);
	} else {
		resp = response_new(200);
		if (gz) {
			size_t zlen;
			char *z = gzip_buffer(data, len, &zlen);

			if (z != NULL) {
				free(data);
				data = z;
				len = zlen;
				response_add_header(resp, "Content-Encoding",
				    "gzip");
			} else {
				snprintf(etag + strlen(etag) - 4, 5, "\"");
			}
		}
		response_set_body(resp, type, data, len);
	}
	response_add_header(resp, "ETag", etag);
	response_add_header(resp, "Cache-Control", path_is_versioned(path) ?
	    "public, max-age=31536000, immutable" : "no-cache");
	response_add_header(resp, "X-Content-Type-Options", "nosniff");
	response_add_header(resp, "Content-Security-Policy", STATIC_CSP);
	response_add_header(resp, "Referrer-Policy", "no-referrer");
	if (compress)
		response_add_header(resp, "Vary", "Accept-Encoding");
	request_respond(req, resp);
}

void
api_static(struct request *req, void *ctx)
{
	const struct api_ctx *api = ctx;
	struct stat st;
	char *path, *data;
	int fd;

	path = static_resolve(req, api);
	if (path == NULL)
		return;
	/* However it is named, the dashboard needs its token. */
	if (strcmp(strrchr(path, '/'), "/dashboard.html") == 0 &&
	    !api_require_operator(req, api)) {
		free(path);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    read_file(fd, &st, &data) != 0) {
		if (fd >= 0)
			close(fd);
		request_respond(req, response_problem(404, "not-found",
		    "Not found", "There is no such page or file; the player "
		    "console is at /, the GM console at /gm."));
		free(path);
		return;
	}
	close(fd);
	static_send(req, path, &st, data);
	free(path);
}
