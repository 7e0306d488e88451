/*
 * The integration tests' HTTP client (client.h).
 */
#include "config.h"

#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

static char base_url[256];
static CURL *curl;
static int no_retry;
static int http2;

void
client_init(const char *base)
{
	snprintf(base_url, sizeof(base_url), "%s", base);
	http2 = getenv("BS_CLIENT_HTTP2") != NULL &&
	    strcmp(getenv("BS_CLIENT_HTTP2"), "1") == 0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	if (curl == NULL) {
		fprintf(stderr, "curl_easy_init failed\n");
		exit(1);
	}
}

void
client_cleanup(void)
{
	curl_easy_cleanup(curl);
	curl = NULL;
	curl_global_cleanup();
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb;
	char *p = realloc(r->body, r->len + n + 1);

	if (p == NULL)
		return 0;
	r->body = p;
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb;

	if (n > 13 && strncasecmp(data, "Retry-After:", 12) == 0)
		snprintf(r->retry_after, sizeof(r->retry_after), "%.*s",
		    (int)strcspn(data + 13, "\r\n"), data + 13);
	return n;
}

static int client_call_once(struct reply *r, const char *method,
    const char *path, const char *token, const char *body,
    const char *content_type);

/* Like a well-behaved client: a 429 waits its Retry-After and retries. */
int
client_call(struct reply *r, const char *method, const char *path,
    const char *token, const char *body, const char *content_type)
{
	long wait;
	int rv;

	for (int tries = 0;; tries++) {
		rv = client_call_once(r, method, path, token, body,
		    content_type);
		if (rv != 0 || r->status != 429 || tries == 5 || no_retry)
			return rv;
		wait = strtol(r->retry_after, NULL, 10);
		sleep((unsigned)(wait > 0 && wait < 60 ? wait : 1));
		reply_free(r);
	}
}

void
client_no_retry(int on)
{
	no_retry = on;
}

static int
client_call_once(struct reply *r, const char *method, const char *path,
    const char *token, const char *body, const char *content_type)
{
	struct curl_slist *headers = NULL;
	char url[1024], auth[256], ct[160];
	const char *type = NULL;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	r->body = calloc(1, 1);
	snprintf(url, sizeof(url), "%s%s", base_url, path);
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	if (http2) {
		curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
		    (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
		/*
		 * libcurl 7.88 cannot reuse a prior-knowledge connection
		 * ("Error in the HTTP2 framing layer", curl issue 10634,
		 * fixed in 8.0): one connection per call.
		 */
		curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
	}
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		headers = curl_slist_append(headers, auth);
	}
	if (body != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s",
		    content_type ? content_type : "application/json");
		headers = curl_slist_append(headers, ct);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	rc = curl_easy_perform(curl);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK)
		return -1;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
	snprintf(r->content_type, sizeof(r->content_type), "%s",
	    type ? type : "");
	if (r->len > 0)
		r->json = json_loadb(r->body, r->len, 0, NULL);
	return 0;
}

int
client_json(struct reply *r, const char *method, const char *path,
    const char *token, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	int rv;

	json_decref(body);
	rv = client_call(r, method, path, token, text, NULL);
	free(text);
	return rv;
}

void
reply_free(struct reply *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

const char *
reply_str(const struct reply *r, const char *key)
{
	const char *s = json_string_value(json_object_get(r->json, key));

	return s ? s : "";
}

int
reply_is_problem(const struct reply *r, long status, const char *slug)
{
	char type[128];

	snprintf(type, sizeof(type), "urn:broadside:problem:%s", slug);
	return r->status == status &&
	    strncmp(r->content_type, "application/problem+json", 24) == 0 &&
	    strcmp(reply_str(r, "type"), type) == 0 &&
	    json_integer_value(json_object_get(r->json, "status")) == status &&
	    strlen(reply_str(r, "title")) > 0 &&
	    strlen(reply_str(r, "detail")) > 10;
}

void
reply_fail(const struct reply *r, const char *what)
{
	fprintf(stderr, "FAIL: %s: status %ld, body: %.600s\n", what,
	    r->status, r->body ? r->body : "(none)");
	exit(1);
}

void
expect_status(const struct reply *r, long status, const char *what)
{
	if (r->status != status)
		reply_fail(r, what);
}
