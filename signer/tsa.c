/*
 * tsa: RFC 3161 timestamps over HTTP (libcurl). Every failure on the
 * server's side is temporary: the job waits for the TSA rather than being
 * filed without the timestamp it was configured to carry.
 */
#include "signer_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ts.h>

#define REPLY_MAX (1u << 20) /* a reply is a few KiB; anything bigger is not one */
#define NONCE_BYTES 8

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatalx("libcurl cannot initialise");
}


/* TimeStampReq: SHA-256 imprint, a random 64-bit nonce, certReq. */
static TS_REQ *make_request(const unsigned char md[32], struct err *e)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *imprint = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	unsigned char rnd[NONCE_BYTES];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *nonce = NULL;
	int ok = 0;
	if (req == NULL || imprint == NULL || alg == NULL)
		fatalx("out of memory");
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		ossl_err(e, "no random nonce for the timestamp request");
		goto out;
	}
	rnd[0] &= 0x7f; /* keeps the INTEGER positive and its length fixed */
	rnd[0] |= 0x40;
	if ((bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) == NULL ||
	    (nonce = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		fatalx("out of memory");
	X509_ALGOR_set_md(alg, EVP_sha256());
	/* The setters copy their arguments. */
	ok = TS_MSG_IMPRINT_set_algo(imprint, alg) && TS_MSG_IMPRINT_set_msg(imprint,
	    (unsigned char *)md, 32) && TS_REQ_set_version(req, 1) &&
	    TS_REQ_set_msg_imprint(req, imprint) && TS_REQ_set_nonce(req, nonce) &&
	    TS_REQ_set_cert_req(req, 1);
	if (!ok)
		ossl_err(e, "cannot build the timestamp request");
out:
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(imprint);
	if (!ok) {
		TS_REQ_free(req);
		return NULL;
	}
	return req;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t total = size * n;
	if (b->len + total > REPLY_MAX)
		return 0; /* libcurl stops with CURLE_WRITE_ERROR */
	buf_append(b, p, total);
	return total;
}

/* POSTs the DER request; *reply gets the body of a 200 answer. */
static int http_post(const char *url, unsigned timeout_s, const unsigned char *req,
    size_t req_len, struct buf *reply, struct err *e)
{
	char curl_msg[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = NULL;
	long status = 0;
	int rc = -1;
	pthread_once(&curl_once, curl_init_once);
	CURL *c = curl_easy_init();
	if (c == NULL)
		fatalx("out of memory");
	hdr = curl_slist_append(hdr, "Content-Type: application/timestamp-query");
	hdr = curl_slist_append(hdr, "Accept: application/timestamp-reply");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* the daemon has threads */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(timeout_s ? timeout_s : 20));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req_len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_msg);
	CURLcode cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		err_temporary(e, "timestamp server %s unreachable: %s", url,
		    *curl_msg ? curl_msg : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		err_temporary(e, "timestamp server %s answered HTTP %ld", url, status);
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}

/* PKIStatus granted (0) or grantedWithMods (1); else the server's words. */
static int check_status(TS_RESP *resp, const char *url, struct err *e)
{
	TS_STATUS_INFO *si = TS_RESP_get_status_info(resp);
	long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
	const STACK_OF(ASN1_UTF8STRING) *text = TS_STATUS_INFO_get0_text(si);
	char words[200] = "";
	if (status == 0 || status == 1)
		return 0;
	if (text != NULL && sk_ASN1_UTF8STRING_num(text) > 0) {
		const ASN1_UTF8STRING *t = sk_ASN1_UTF8STRING_value(text, 0);
		snprintf(words, sizeof(words), ": %.*s", ASN1_STRING_length(t) > 180 ? 180 :
		    ASN1_STRING_length(t), (const char *)ASN1_STRING_get0_data(t));
	}
	err_temporary(e, "timestamp server %s refused the request (PKIStatus %ld)%s", url,
	    status, words);
	return -1;
}

/* The reply answers this request: version, nonce, imprint (no signature check here). */
static int check_reply(TS_REQ *req, TS_RESP *resp, const char *url, struct err *e)
{
	int rc = -1;
	if (check_status(resp, url, e) < 0)
		return -1;
	TS_VERIFY_CTX *ctx = TS_REQ_to_TS_VERIFY_CTX(req, NULL);
	if (ctx == NULL)
		fatalx("out of memory");
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE);
	if (TS_RESP_verify_response(ctx, resp) != 1) {
		char what[300];
		snprintf(what, sizeof(what), "timestamp server %s sent a reply that does not "
		    "match the request", url);
		ossl_err(e, what);
		e->temporary = 1;
		goto out;
	}
	rc = 0;
out:
	TS_VERIFY_CTX_free(ctx);
	return rc;
}

/* The TimeStampToken (a ContentInfo) as DER; *token is the caller's. */
static int token_der(TS_RESP *resp, unsigned char **token, size_t *token_len, struct err *e)
{
	PKCS7 *p7 = TS_RESP_get_token(resp);
	int len = p7 != NULL ? i2d_PKCS7(p7, NULL) : -1;
	if (len <= 0) {
		ossl_err(e, "the timestamp reply holds no token");
		e->temporary = 1;
		return -1;
	}
	unsigned char *p = xmalloc((size_t)len);
	*token = p;
	i2d_PKCS7(p7, &p);
	*token_len = (size_t)len;
	return 0;
}

int tsa_timestamp(const char *url, unsigned timeout_s, const unsigned char *data, size_t len,
    unsigned char **token, size_t *token_len, struct err *e)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	unsigned char *req_der = NULL;
	struct buf reply = {0};
	TS_RESP *resp = NULL;
	int req_len, rc = -1;
	*token = NULL;
	*token_len = 0;
	SHA256(data, len, md);
	TS_REQ *req = make_request(md, e);
	if (req == NULL)
		return -1;
	if ((req_len = i2d_TS_REQ(req, &req_der)) <= 0) {
		ossl_err(e, "cannot encode the timestamp request");
		goto out;
	}
	if (http_post(url, timeout_s, req_der, (size_t)req_len, &reply, e) < 0)
		goto out;
	const unsigned char *p = (const unsigned char *)reply.data;
	if (reply.len == 0 || (resp = d2i_TS_RESP(NULL, &p, (long)reply.len)) == NULL) {
		ERR_clear_error();
		err_temporary(e, "timestamp server %s sent something that is not a "
		    "timestamp reply (%zu bytes)", url, reply.len);
		goto out;
	}
	if (check_reply(req, resp, url, e) < 0 || token_der(resp, token, token_len, e) < 0)
		goto out;
	rc = 0;
out:
	TS_RESP_free(resp);
	OPENSSL_free(req_der);
	TS_REQ_free(req);
	free(reply.data);
	return rc;
}
