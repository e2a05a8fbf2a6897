/*
 * BagIt 1.0 export (RFC 8493) with a METS file holding PREMIS v3 objects and
 * events. The bag is written as <bag_dir>.partial and renamed to <bag_dir>
 * only once complete and synced; on failure the partial tree is removed.
 */
#include "archive/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/tree.h>
#include <openssl/evp.h>

#define BAG_DIR_MODE 0750
#define BAG_FILE_MODE 0640
#define RESULT_FILES (BLOB_KINDS + 1) /* the blobs plus result.json */

struct format {
	const char *ext, *name, *mime;
};

/* One payload file as the manifest and METS describe it. */
struct pfile {
	char *name;            /* inside the result's directory */
	const char *use;       /* "original", "pdf", "xml", "alto", "metadata" */
	const struct format *fmt;
	char sha256[65], sha512[129];
	uint64_t size;
};

struct pres {
	json_t *result;        /* borrowed */
	const char *id;
	char *dir;             /* under data/ */
	struct pfile files[RESULT_FILES];
	int nfiles;
};

struct bag {
	const struct blob_store *store;
	char *root;            /* <bag_dir>.partial */
	int claimed;           /* root is ours: remove it on failure */
	char now[32];
	struct pres *res;
	size_t nres;
	struct pfile mets;
	uint64_t bytes;
	size_t files;
};

struct digests {
	EVP_MD_CTX *sha256, *sha512;
	uint64_t size;
};

static const struct format originals[] = {
	{ "tiff", "TIFF", "image/tiff" }, { "png", "PNG", "image/png" },
	{ "jpeg", "JPEG", "image/jpeg" }, { "pnm", "PNM", "image/x-portable-anymap" },
};
static const struct format unknown_fmt = { "bin", "unknown", "application/octet-stream" };
static const struct format json_fmt = { "json", "JSON", "application/json" };

/* The result's "files" keys (blob_kind_name) and their names in the bag. */
static const struct {
	const char *key, *name;
	struct format fmt;
} kinds[BLOB_KINDS] = {
	[BLOB_ORIGINAL] = { "original", NULL, { NULL, NULL, NULL } },
	[BLOB_PDF] = { "pdf", "result.pdf", { "pdf", "PDF", "application/pdf" } },
	[BLOB_XML] = { "xml", "result.xml", { "xml", "XML", "application/xml" } },
	[BLOB_ALTO] = { "alto", "alto.xml", { "xml", "ALTO XML", "application/xml" } },
};

static void digests_init(struct digests *d)
{
	d->sha256 = EVP_MD_CTX_new();
	d->sha512 = EVP_MD_CTX_new();
	d->size = 0;
	if (d->sha256 == NULL || d->sha512 == NULL)
		fatalx("out of memory");
	if (EVP_DigestInit_ex(d->sha256, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(d->sha512, EVP_sha512(), NULL) != 1)
		fatalx("sha256/sha512 are unavailable");
}

static void digests_update(struct digests *d, const void *p, size_t n)
{
	if (EVP_DigestUpdate(d->sha256, p, n) != 1 || EVP_DigestUpdate(d->sha512, p, n) != 1)
		fatalx("digest update failed");
	d->size += n;
}

static void hex_of(EVP_MD_CTX *ctx, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(ctx, md, &n);
	hex_encode(md, n, out);
}

/* Frees d and puts its results into pf. */
static void digests_done(struct digests *d, struct pfile *pf)
{
	hex_of(d->sha256, pf->sha256);
	hex_of(d->sha512, pf->sha512);
	pf->size = d->size;
	EVP_MD_CTX_free(d->sha256);
	EVP_MD_CTX_free(d->sha512);
}

/* Reads src to the end, hashing it and, if dst >= 0, copying it there. */
static int stream(int src, const char *src_path, int dst, const char *dst_path,
    struct digests *d, struct err *e)
{
	unsigned char chunk[65536];
	for (;;) {
		ssize_t n = read(src, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(e, "cannot read %s: %s", src_path, strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		digests_update(d, chunk, (size_t)n);
		if (dst >= 0 && fd_write_all(dst, chunk, (size_t)n, dst_path, e) < 0)
			return -1;
	}
}

static int create_file(const char *path, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, BAG_FILE_MODE);
	if (fd < 0)
		err_set(e, "cannot create %s: %s", path, strerror(errno));
	return fd;
}

/* Closes fd; a failure there (delayed write error) fails a so far good rc. */
static int close_checked(int fd, const char *path, int rc, struct err *e)
{
	if (close(fd) < 0 && rc == 0) {
		err_set(e, "cannot close %s: %s", path, strerror(errno));
		return -1;
	}
	return rc;
}

/* Hashes the file src and, unless dst is NULL, copies it to the new file dst. */
static int copy_file(const char *src, const char *dst, struct pfile *pf, struct err *e)
{
	struct digests d;
	int out = -1, rc = -1;
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		err_set(e, "cannot open %s: %s", src, strerror(errno));
		return -1;
	}
	digests_init(&d);
	if (dst == NULL || (out = create_file(dst, e)) >= 0)
		rc = stream(in, src, out, dst, &d, e);
	digests_done(&d, pf);
	if (out >= 0)
		rc = close_checked(out, dst, rc, e);
	close(in);
	return rc;
}

static const char *jstr(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static const struct format *original_format(json_t *result)
{
	const char *f = jstr(json_object_get(result, "ocr"), "format");
	for (size_t i = 0; f != NULL && i < sizeof(originals) / sizeof(originals[0]); i++)
		if (strcmp(f, originals[i].ext) == 0)
			return &originals[i];
	return &unknown_fmt;
}

/* A single path component, printable, not hidden: safe in a path and in XML. */
static int usable_dir_name(const char *s)
{
	if (s == NULL || s[0] == '\0' || s[0] == '.')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Copies blob `rel` to dst, refusing a blob whose bytes no longer match its name. */
static int copy_blob(const struct bag *b, const char *rel, const char *dst, struct pfile *pf,
    struct err *e)
{
	int rc = -1;
	size_t n = strlen(rel);
	const char *hex = n >= 64 ? rel + n - 64 : rel;
	char *canon = store_relpath(hex);
	char *src = store_path(b->store, hex);
	if (strcmp(canon, rel) != 0) {
		err_set(e, "'%s' is not a blob path of this archive", rel);
		goto out;
	}
	if (access(src, R_OK) < 0) {
		err_set(e, "blob %s cannot be read (%s); run sohoa fsck", rel, strerror(errno));
		goto out;
	}
	if (copy_file(src, dst, pf, e) < 0)
		goto out;
	if (strcmp(pf->sha256, hex) != 0) {
		err_set(e, "blob %s is corrupt: its bytes hash to %s; run sohoa fsck, "
		    "refusing to export it", rel, pf->sha256);
		goto out;
	}
	rc = 0;
out:
	free(canon);
	free(src);
	return rc;
}

static int add_blobs(struct bag *b, struct pres *r, const char *dir, struct err *e)
{
	json_t *files = json_object_get(r->result, "files");
	for (int k = 0; k < BLOB_KINDS; k++) {
		const char *rel = jstr(files, kinds[k].key);
		if (rel == NULL)
			continue;
		struct pfile *pf = &r->files[r->nfiles++];
		pf->use = kinds[k].key;
		pf->fmt = k == BLOB_ORIGINAL ? original_format(r->result) : &kinds[k].fmt;
		pf->name = k == BLOB_ORIGINAL ? xasprintf("original.%s", pf->fmt->ext)
		                              : xstrdup(kinds[k].name);
		char *dst = xasprintf("%s/%s", dir, pf->name);
		int rc = copy_blob(b, rel, dst, pf, e);
		free(dst);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int add_result_json(struct pres *r, const char *dir, struct err *e)
{
	struct pfile *pf = &r->files[r->nfiles++];
	*pf = (struct pfile){ .name = xstrdup("result.json"), .use = "metadata", .fmt = &json_fmt };
	char *path = xasprintf("%s/%s", dir, pf->name);
	int rc = json_dump_file(r->result, path, JSON_INDENT(2)) == 0 ? 0 : -1;
	if (rc < 0)
		err_set(e, "cannot write %s: %s", path, strerror(errno));
	else
		rc = copy_file(path, NULL, pf, e);
	free(path);
	return rc;
}

static int add_result(struct bag *b, struct pres *r, size_t i, struct err *e)
{
	int rc = -1;
	char *dir = NULL;
	if (!json_is_object(r->result) || !usable_dir_name(jstr(r->result, "id"))) {
		err_set(e, "result %zu has no usable \"id\"", i + 1);
		goto out;
	}
	r->id = jstr(r->result, "id");
	const char *code = jstr(r->result, "result_code");  /* an unusable one: the id */
	r->dir = xstrdup(usable_dir_name(code) ? code : r->id);
	dir = xasprintf("%s/data/%s", b->root, r->dir);
	if (mkdir(dir, BAG_DIR_MODE) < 0) {
		err_set(e, errno == EEXIST ? "two results would share data/%s" :
		    "cannot create data/%s", r->dir);
		goto out;
	}
	if (add_blobs(b, r, dir, e) < 0 || add_result_json(r, dir, e) < 0)
		goto out;
	for (int k = 0; k < r->nfiles; k++)
		b->bytes += r->files[k].size;
	b->files += (size_t)r->nfiles;
	rc = 0;
out:
	free(dir);
	return rc;
}

#define NS_METS "http://www.loc.gov/METS/"
#define NS_PREMIS "http://www.loc.gov/premis/v3"
#define NS_XLINK "http://www.w3.org/1999/xlink"
#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define EVENT_TYPES "http://id.loc.gov/vocabulary/preservation/eventType"

struct mets {
	const struct bag *b;
	xmlDocPtr doc;
	xmlNodePtr root;
	xmlNodePtr results;    /* structMap's top div, attached last (schema order) */
	xmlNsPtr m, p, xlink, xsi;
};

static xmlNodePtr add(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	return xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text);
}

/* attrs(node, name, value, name, value, ..., NULL) */
static void attrs(xmlNodePtr node, ...)
{
	va_list ap;
	va_start(ap, node);
	for (const char *name; (name = va_arg(ap, const char *)) != NULL;)
		xmlNewProp(node, BAD_CAST name, BAD_CAST va_arg(ap, const char *));
	va_end(ap);
}

/* <mets:X ID=id><mets:mdWrap MDTYPE=type><mets:xmlData> — returns xmlData. */
static xmlNodePtr md_section(struct mets *x, xmlNodePtr amd, const char *sec, const char *id,
    const char *type)
{
	xmlNodePtr wrap = add(add(amd, x->m, sec, NULL), x->m, "mdWrap", NULL);
	attrs(wrap->parent, "ID", id, NULL);
	attrs(wrap, "MDTYPE", type, NULL);
	return add(wrap, x->m, "xmlData", NULL);
}

/* <what><whatType>type</whatType><whatValue>value</whatValue></what>, returned */
static xmlNodePtr identifier(struct mets *x, xmlNodePtr parent, const char *what,
    const char *type, const char *value)
{
	char *tname = xasprintf("%sType", what);
	char *vname = xasprintf("%sValue", what);
	xmlNodePtr id = add(parent, x->p, what, NULL);
	add(id, x->p, tname, type);
	add(id, x->p, vname, value);
	free(tname);
	free(vname);
	return id;
}

static void fixity(struct mets *x, xmlNodePtr oc, const char *alg, const char *digest)
{
	xmlNodePtr f = add(oc, x->p, "fixity", NULL);
	add(f, x->p, "messageDigestAlgorithm", alg);
	add(f, x->p, "messageDigest", digest);
	add(f, x->p, "messageDigestOriginator", "sohoa");
}

static void premis_object(struct mets *x, xmlNodePtr amd, const struct pres *r,
    const struct pfile *pf, const char *id)
{
	char size[24];
	xmlNodePtr obj = add(md_section(x, amd, "techMD", id, "PREMIS:OBJECT"), x->p, "object",
	    NULL);
	xmlNewNsProp(obj, x->xsi, BAD_CAST "type", BAD_CAST "premis:file");
	attrs(obj, "version", "3.0", NULL);
	identifier(x, obj, "objectIdentifier", "SHA-256", pf->sha256);
	identifier(x, obj, "objectIdentifier", "sohoa result id", r->id);
	xmlNodePtr oc = add(obj, x->p, "objectCharacteristics", NULL);
	add(oc, x->p, "compositionLevel", "0");
	fixity(x, oc, "SHA-256", pf->sha256);
	fixity(x, oc, "SHA-512", pf->sha512);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)pf->size);
	add(oc, x->p, "size", size);
	xmlNodePtr fd = add(add(oc, x->p, "format", NULL), x->p, "formatDesignation", NULL);
	add(fd, x->p, "formatName", pf->fmt->name);
	char *name = xasprintf("data/%s/%s", r->dir, pf->name);
	add(obj, x->p, "originalName", name);
	free(name);
}

/* Which of a result's files an event concerns, and in what role. */
enum scope {
	SCOPE_ALL,       /* every file, no role */
	SCOPE_ORIGINAL,  /* the scan */
	SCOPE_DERIVED,   /* the scan as source, pdf/xml/alto as outcome */
	SCOPE_SIGNED,    /* pdf and xml as outcome */
};

struct event {
	const char *key, *type, *date, *detail, *agent;
	enum scope scope;
};

/* NULL when the event does not concern the file, else its role ("" for none). */
static const char *role_of(enum scope scope, const char *use)
{
	int signable = strcmp(use, "pdf") == 0 || strcmp(use, "xml") == 0;
	if (scope == SCOPE_ALL)
		return "";
	if (strcmp(use, "original") == 0)
		return scope == SCOPE_SIGNED ? NULL : "source";
	if (scope == SCOPE_DERIVED)
		return strcmp(use, "metadata") != 0 ? "outcome" : NULL;
	return scope == SCOPE_SIGNED && signable ? "outcome" : NULL;
}

static void link_objects(struct mets *x, xmlNodePtr ev, const struct pres *r,
    const struct event *v)
{
	int linked = 0;
	for (int k = 0; k < r->nfiles; k++) {
		const char *role = role_of(v->scope, r->files[k].use);
		if (role == NULL)
			continue;
		xmlNodePtr l = identifier(x, ev, "linkingObjectIdentifier", "SHA-256",
		    r->files[k].sha256);
		if (role[0] != '\0')
			add(l, x->p, "linkingObjectRole", role);
		linked++;
	}
	if (!linked)  /* e.g. a result filed without its scan */
		identifier(x, ev, "linkingObjectIdentifier", "sohoa result id", r->id);
}

static void premis_event(struct mets *x, xmlNodePtr amd, const struct pres *r,
    const struct event *v, const char *id)
{
	char *value = xasprintf("%s/%s", r->id, v->key);
	xmlNodePtr ev = add(md_section(x, amd, "digiprovMD", id, "PREMIS:EVENT"), x->p, "event",
	    NULL);
	attrs(ev, "version", "3.0", NULL);
	identifier(x, ev, "eventIdentifier", "local", value);
	xmlNodePtr type = add(ev, x->p, "eventType", v->type);
	attrs(type, "authority", "eventType", "authorityURI", EVENT_TYPES, NULL);
	add(ev, x->p, "eventDateTime", v->date);
	add(add(ev, x->p, "eventDetailInformation", NULL), x->p, "eventDetail", v->detail);
	add(add(ev, x->p, "eventOutcomeInformation", NULL), x->p, "eventOutcome", "success");
	add(identifier(x, ev, "linkingAgentIdentifier", "local", "sohoa"), x->p,
	    "linkingAgentRole", "implementer");
	if (v->agent != NULL)
		add(identifier(x, ev, "linkingAgentIdentifier", "local", v->agent), x->p,
		    "linkingAgentRole", "executing program");
	link_objects(x, ev, r, v);
	free(value);
}

/* The events the result object supports: its received_at is the only time it
 * keeps, so ingestion, OCR and signing carry it; digests are made now. */
static size_t result_events(const struct mets *x, const struct pres *r, struct event *out,
    char **ocr_detail)
{
	const char *received = jstr(r->result, "received_at");
	const char *engine = jstr(json_object_get(r->result, "ocr"), "engine");
	size_t n = 0;
	if (received == NULL)
		received = x->b->now;
	*ocr_detail = engine != NULL ? xasprintf("OCR of the scan by %s; fields extracted", engine)
	                             : xstrdup("OCR of the scan; fields extracted");
	out[n++] = (struct event){ "ingestion", "ingestion", received,
		"scan received and filed in the archive", NULL, SCOPE_ORIGINAL };
	out[n++] = (struct event){ "message-digest", "message digest calculation", x->b->now,
		"SHA-256 checked against the archive's content address; SHA-512 computed "
		"for the bag", NULL, SCOPE_ALL };
	out[n++] = (struct event){ "ocr", "metadata extraction", received, *ocr_detail, engine,
		SCOPE_DERIVED };
	if (json_is_true(json_object_get(r->result, "signed")))
		out[n++] = (struct event){ "signing", "digital signature generation", received,
			"result.pdf and result.xml signed with the agency's certificate", NULL,
			SCOPE_SIGNED };
	return n;
}

static void mets_div(struct mets *x, size_t i, const char *admid)
{
	const struct pres *r = &x->b->res[i];
	char id[48];
	xmlNodePtr div = add(x->results, x->m, "div", NULL);
	attrs(div, "TYPE", "result", "LABEL", r->dir, "ADMID", admid, NULL);
	for (int k = 0; k < r->nfiles; k++) {
		snprintf(id, sizeof(id), "file-%zu-%d", i + 1, k + 1);
		attrs(add(div, x->m, "fptr", NULL), "FILEID", id, NULL);
	}
}

/* One amdSec per result: a PREMIS object per file, then its events. */
static void mets_amd(struct mets *x, size_t i)
{
	struct buf admid = { 0 };
	const struct pres *r = &x->b->res[i];
	char id[48];
	struct event ev[4];
	char *ocr_detail;
	snprintf(id, sizeof(id), "amd-%zu", i + 1);
	xmlNodePtr amd = add(x->root, x->m, "amdSec", NULL);
	attrs(amd, "ID", id, NULL);
	for (int k = 0; k < r->nfiles; k++) {
		snprintf(id, sizeof(id), "obj-%zu-%d", i + 1, k + 1);
		premis_object(x, amd, r, &r->files[k], id);
	}
	size_t n = result_events(x, r, ev, &ocr_detail);
	for (size_t k = 0; k < n; k++) {
		snprintf(id, sizeof(id), "ev-%zu-%s", i + 1, ev[k].key);
		premis_event(x, amd, r, &ev[k], id);
		buf_appendf(&admid, "%s%s", k ? " " : "", id);
	}
	mets_div(x, i, admid.data);
	free(admid.data);
	free(ocr_detail);
}

static void premis_agent(struct mets *x, xmlNodePtr amd, const char *id, const char *name,
    const char *version)
{
	xmlNodePtr ag = add(md_section(x, amd, "digiprovMD", id, "PREMIS:AGENT"), x->p, "agent",
	    NULL);
	attrs(ag, "version", "3.0", NULL);
	identifier(x, ag, "agentIdentifier", "local", name);
	add(ag, x->p, "agentName", name);
	add(ag, x->p, "agentType", "software");
	if (version != NULL)
		add(ag, x->p, "agentVersion", version);
}

static void mets_agents(struct mets *x)
{
	char id[32];
	xmlNodePtr amd = add(x->root, x->m, "amdSec", NULL);
	attrs(amd, "ID", "amd-agents", NULL);
	premis_agent(x, amd, "agent-sohoa", "sohoa", SOHOA_VERSION);
	json_t *seen = json_object();  /* the distinct OCR engines */
	for (size_t i = 0; i < x->b->nres; i++) {
		const char *engine = jstr(json_object_get(x->b->res[i].result, "ocr"), "engine");
		if (engine == NULL || json_object_get(seen, engine) != NULL)
			continue;
		json_object_set_new(seen, engine, json_true());
		snprintf(id, sizeof(id), "agent-%zu", json_object_size(seen) + 1);
		premis_agent(x, amd, id, engine, NULL);
	}
	json_decref(seen);
}

static void mets_file(struct mets *x, xmlNodePtr grp, size_t i, int k)
{
	const struct pfile *pf = &x->b->res[i].files[k];
	char id[48], obj[48], size[24];
	snprintf(id, sizeof(id), "file-%zu-%d", i + 1, k + 1);
	snprintf(obj, sizeof(obj), "obj-%zu-%d", i + 1, k + 1);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)pf->size);
	xmlNodePtr f = add(grp, x->m, "file", NULL);
	attrs(f, "ID", id, "MIMETYPE", pf->fmt->mime, "SIZE", size, "CHECKSUM", pf->sha256,
	    "CHECKSUMTYPE", "SHA-256", "ADMID", obj, NULL);
	xmlNodePtr loc = add(f, x->m, "FLocat", NULL);
	attrs(loc, "LOCTYPE", "OTHER", "OTHERLOCTYPE", "SYSTEM", NULL);
	char *href = xasprintf("%s/%s", x->b->res[i].dir, pf->name);
	xmlNewNsProp(loc, x->xlink, BAD_CAST "href", BAD_CAST href);
	free(href);
}

static void mets_filesec(struct mets *x)
{
	static const char *const uses[] = { "original", "pdf", "xml", "alto", "metadata" };
	if (x->b->nres == 0)
		return;  /* an empty fileSec is invalid; every result has files */
	xmlNodePtr sec = add(x->root, x->m, "fileSec", NULL);
	for (size_t u = 0; u < sizeof(uses) / sizeof(uses[0]); u++) {
		xmlNodePtr grp = NULL;
		for (size_t i = 0; i < x->b->nres; i++)
			for (int k = 0; k < x->b->res[i].nfiles; k++) {
				if (strcmp(x->b->res[i].files[k].use, uses[u]) != 0)
					continue;
				if (grp == NULL) {
					grp = add(sec, x->m, "fileGrp", NULL);
					attrs(grp, "USE", uses[u], NULL);
				}
				mets_file(x, grp, i, k);
			}
	}
}

static void mets_header(struct mets *x)
{
	x->root = xmlNewNode(NULL, BAD_CAST "mets");
	xmlDocSetRootElement(x->doc, x->root);
	x->m = xmlNewNs(x->root, BAD_CAST NS_METS, BAD_CAST "mets");
	x->p = xmlNewNs(x->root, BAD_CAST NS_PREMIS, BAD_CAST "premis");
	x->xlink = xmlNewNs(x->root, BAD_CAST NS_XLINK, BAD_CAST "xlink");
	x->xsi = xmlNewNs(x->root, BAD_CAST NS_XSI, BAD_CAST "xsi");
	xmlSetNs(x->root, x->m);
	xmlNewNsProp(x->root, x->xsi, BAD_CAST "schemaLocation", BAD_CAST
	    NS_METS " http://www.loc.gov/standards/mets/mets.xsd "
	    NS_PREMIS " http://www.loc.gov/standards/premis/premis.xsd");
	attrs(x->root, "LABEL", "sohoa export", NULL);
	xmlNodePtr hdr = add(x->root, x->m, "metsHdr", NULL);
	attrs(hdr, "CREATEDATE", x->b->now, NULL);
	xmlNodePtr agent = add(hdr, x->m, "agent", NULL);
	attrs(agent, "ROLE", "CREATOR", "TYPE", "OTHER", "OTHERTYPE", "SOFTWARE", NULL);
	add(agent, x->m, "name", "sohoa " SOHOA_VERSION);
}

static int write_mets(struct bag *b, struct err *e)
{
	struct mets x = { .b = b, .doc = xmlNewDoc(BAD_CAST "1.0") };
	mets_header(&x);
	xmlNodePtr map = xmlNewNode(x.m, BAD_CAST "structMap");
	attrs(map, "TYPE", "physical", NULL);
	x.results = add(map, x.m, "div", NULL);
	attrs(x.results, "TYPE", "results", NULL);
	mets_agents(&x);
	for (size_t i = 0; i < b->nres; i++)
		mets_amd(&x, i);
	mets_filesec(&x);
	xmlAddChild(x.root, map);
	b->mets.name = xstrdup("mets.xml");
	char *path = xasprintf("%s/data/mets.xml", b->root);
	int rc = xmlSaveFormatFileEnc(path, x.doc, "UTF-8", 1) < 0 ? -1 : 0;
	if (rc < 0)
		err_set(e, "cannot write %s: %s", path, strerror(errno));
	else
		rc = copy_file(path, NULL, &b->mets, e);
	free(path);
	xmlFreeDoc(x.doc);
	return rc;
}

/* RFC 8493 2.1.3: CR, LF and % in a manifest path are percent-encoded. */
static void manifest_line(struct buf *m, const char *sha512, const char *path)
{
	buf_appendf(m, "%s  data/", sha512);
	for (const char *p = path; *p; p++) {
		if (*p == '\r' || *p == '\n' || *p == '%')
			buf_appendf(m, "%%%02X", (unsigned char)*p);
		else
			buf_append(m, p, 1);
	}
	buf_append(m, "\n", 1);
}

static int write_tag(const struct bag *b, const char *name, const struct buf *body,
    struct buf *tagmanifest, struct err *e)
{
	struct pfile pf = { 0 };
	char *path = xasprintf("%s/%s", b->root, name);
	int rc = file_write_atomic(path, body->data ? body->data : "", body->len, BAG_FILE_MODE, e);
	if (rc == 0)
		rc = copy_file(path, NULL, &pf, e);
	if (rc == 0 && tagmanifest != NULL)
		buf_appendf(tagmanifest, "%s  %s\n", pf.sha512, name);
	free(path);
	return rc;
}

static int write_tag_files(const struct bag *b, struct err *e)
{
	struct buf manifest = { 0 }, info = { 0 }, bagit = { 0 }, tags = { 0 };
	for (size_t i = 0; i < b->nres; i++)
		for (int k = 0; k < b->res[i].nfiles; k++) {
			char *path = xasprintf("%s/%s", b->res[i].dir, b->res[i].files[k].name);
			manifest_line(&manifest, b->res[i].files[k].sha512, path);
			free(path);
		}
	manifest_line(&manifest, b->mets.sha512, "mets.xml");
	buf_appendf(&bagit, "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
	buf_appendf(&info, "Bag-Software-Agent: sohoa %s\nBagging-Date: %.10s\n"
	    "Payload-Oxum: %llu.%zu\nExternal-Description: %zu results exported from a "
	    "sohoa archive, with METS/PREMIS in data/mets.xml\n", SOHOA_VERSION, b->now,
	    (unsigned long long)(b->bytes + b->mets.size), b->files + 1, b->nres);
	int rc = write_tag(b, "bagit.txt", &bagit, &tags, e) < 0 ||
	    write_tag(b, "bag-info.txt", &info, &tags, e) < 0 ||
	    write_tag(b, "manifest-sha512.txt", &manifest, &tags, e) < 0 ||
	    write_tag(b, "tagmanifest-sha512.txt", &tags, NULL, e) < 0 ? -1 : 0;
	free(manifest.data);
	free(info.data);
	free(bagit.data);
	free(tags.data);
	return rc;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* fsync(2) of a directory, or with fs=1 syncfs(2) of its whole filesystem. */
static int sync_dir(const char *path, int fs)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 ? -1 : fs ? syncfs(fd) : fsync(fd);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Makes everything durable, then gives the bag its final name (never over another). */
static int finish(const struct bag *b, const char *bag_dir, struct err *e)
{
	if (sync_dir(b->root, 1) < 0) {
		err_set(e, "cannot sync %s: %s", b->root, strerror(errno));
		return -1;
	}
	if (renameat2(AT_FDCWD, b->root, AT_FDCWD, bag_dir, RENAME_NOREPLACE) < 0 &&
	    (errno != EINVAL || rename(b->root, bag_dir) < 0)) {
		err_set(e, "cannot rename %s to %s: %s", b->root, bag_dir, strerror(errno));
		return -1;
	}
	char *copy = xstrdup(bag_dir);
	if (sync_dir(dirname(copy), 0) < 0)
		log_warn("%s: cannot sync the directory holding it", bag_dir);
	free(copy);
	return 0;
}

/* Claims <bag_dir>.partial (mkdir is atomic: a concurrent export is refused). */
static int start(struct bag *b, const char *bag_dir, struct err *e)
{
	struct stat st;
	if (lstat(bag_dir, &st) == 0) {
		err_set(e, "%s already exists; a bag is written only into a new directory", bag_dir);
		return -1;
	}
	if (mkdir(b->root, BAG_DIR_MODE) < 0) {
		err_set(e, errno == EEXIST ? "%s exists (an export in progress, or an interrupted "
		    "one: remove it)" : "cannot create %s", b->root);
		return -1;
	}
	b->claimed = 1;
	char *data = xasprintf("%s/data", b->root);
	int rc = mkdir(data, BAG_DIR_MODE);
	if (rc < 0)
		err_set(e, "cannot create %s: %s", data, strerror(errno));
	free(data);
	return rc;
}

static void bag_free(struct bag *b)
{
	for (size_t i = 0; i < b->nres; i++) {
		for (int k = 0; k < b->res[i].nfiles; k++)
			free(b->res[i].files[k].name);
		free(b->res[i].dir);
	}
	free(b->res);
	free(b->mets.name);
	free(b->root);
}

int bagit_write(const struct blob_store *s, json_t *results, const char *bag_dir,
    json_t **report, struct err *e)
{
	int rc = -1;
	struct bag b = { .store = s, .root = xasprintf("%s.partial", bag_dir) };
	*report = NULL;
	time_iso8601_vn(time(NULL), b.now);
	if (!json_is_array(results)) {
		err_set(e, "nothing to export: results is not a JSON array");
		goto out;
	}
	if (start(&b, bag_dir, e) < 0)
		goto out;
	b.res = xcalloc(json_array_size(results) + 1, sizeof(*b.res));
	for (; b.nres < json_array_size(results); b.nres++) {
		b.res[b.nres].result = json_array_get(results, b.nres);
		if (add_result(&b, &b.res[b.nres], b.nres, e) < 0) {
			b.nres++;  /* so its names are freed */
			goto out;
		}
	}
	if (write_mets(&b, e) < 0 || write_tag_files(&b, e) < 0 || finish(&b, bag_dir, e) < 0)
		goto out;
	*report = json_pack("{s:I, s:I, s:I}", "results", (json_int_t)b.nres,
	    "files", (json_int_t)(b.files + 1), "bytes", (json_int_t)(b.bytes + b.mets.size));
	rc = 0;
out:
	if (rc < 0 && b.claimed)
		nftw(b.root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	bag_free(&b);
	return rc;
}
