/*
 * pades: the signature as an incremental update (ISO 32000-1 §7.5.6): the
 * input bytes stay as they are, then a signature dictionary, an invisible
 * widget, the catalog and page 1 rewritten, an xref section and a trailer.
 * qpdf only reads the input; letting it write would change signed bytes.
 */
#include "signer_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <qpdf/qpdf-c.h>

#define PDF_MAX ((size_t)1 << 30)
/* DER room in /Contents. A B-T signature with an RSA-3072 chain and a TSA
 * token is 6-9 KiB; this leaves room for longer chains. */
/* Room in /Contents beyond the certificates and the signature value: the
 * attributes and CMS framing (~1 KB), and a timestamp token (~5 KB). */
#define CONTENTS_SLACK 2048
#define CONTENTS_TSA 8192
/* "0 a b c": three numbers of up to 20 digits; padded with spaces. */
#define BYTERANGE_WIDTH 64
#define VN_OFFSET (7 * 3600)

/* What the update needs from the input, read with qpdf. Strings are ours. */
struct doc {
	size_t prev_xref;       /* the input's startxref: the update's /Prev */
	int size;               /* the input trailer's /Size: the first new number */
	int root_num, root_gen;
	int page_num, page_gen;
	char *root_body;        /* the catalog with the new /AcroForm */
	char *page_body;        /* page 1 with the widget added to /Annots */
	char *trailer_keys;     /* " /ID [...] /Info n g R" of the input trailer */
	int field_index;        /* the n of /T (Signaturen) */
};

/* Where the placeholders are in the output. */
struct layout {
	size_t reserve;         /* bytes of DER /Contents can hold */
	size_t byte_range;      /* the BYTERANGE_WIDTH characters inside [ ] */
	size_t contents;        /* '<' of /Contents */
	size_t contents_end;    /* just after its '>' */
};

struct xref_entry {
	int num, gen;
	size_t offset;
};

static void doc_free(struct doc *d)
{
	free(d->root_body);
	free(d->page_body);
	free(d->trailer_keys);
}

/* The input's last startxref, which must point at a classic "xref" table. */
static int find_startxref(const struct buf *pdf, size_t *out, struct err *e)
{
	const char *end = pdf->data + pdf->len, *hit = NULL;
	const char *p = pdf->len > 1024 ? end - 1024 : pdf->data;
	while ((p = memmem(p, (size_t)(end - p), "startxref", 9)) != NULL)
		hit = p++;
	if (hit == NULL) {
		err_set(e, "no startxref at the end: not a complete PDF");
		return -1;
	}
	size_t v = 0;
	for (p = hit + 9; p < end && isspace((unsigned char)*p); p++)
		;
	for (; p < end && isdigit((unsigned char)*p) && v < PDF_MAX; p++)
		v = v * 10 + (size_t)(*p - '0');
	if (v + 4 > pdf->len || memcmp(pdf->data + v, "xref", 4) != 0) {
		err_set(e, "the PDF has no classic cross-reference table at its startxref "
		    "(an xref stream?); write it with qpdf --object-streams=disable");
		return -1;
	}
	*out = v;
	return 0;
}

/* Moves qpdf's pending error, if any, into e. */
static int qpdf_failed(qpdf_data q, struct err *e)
{
	if (!qpdf_has_error(q))
		return 0;
	err_set(e, "qpdf: %s", qpdf_get_error_full_text(q, qpdf_get_error(q)));
	return 1;
}

/* A new direct array: the items of `old` (if it is an array), then `item`. */
static qpdf_oh array_with(qpdf_data q, qpdf_oh old, qpdf_oh item, int *count)
{
	qpdf_oh a = qpdf_oh_new_array(q);
	int n = qpdf_oh_is_array(q, old) ? qpdf_oh_get_array_n_items(q, old) : 0;
	for (int i = 0; i < n; i++)
		qpdf_oh_append_item(q, a, qpdf_oh_get_array_item(q, old, i));
	qpdf_oh_append_item(q, a, item);
	*count = n + 1;
	return a;
}

/* A direct copy of a dictionary's entries (an indirect one included). */
static qpdf_oh dict_copy(qpdf_data q, qpdf_oh old)
{
	qpdf_oh d = qpdf_oh_new_dictionary(q);
	if (!qpdf_oh_is_dictionary(q, old))
		return d;
	qpdf_oh_begin_dict_key_iter(q, old);
	while (qpdf_oh_dict_more_keys(q)) {
		char *key = xstrdup(qpdf_oh_dict_next_key(q));
		qpdf_oh_replace_key(q, d, key, qpdf_oh_get_key(q, old, key));
		free(key);
	}
	return d;
}

/*
 * The catalog gets a direct /AcroForm: the old one's entries, its /Fields
 * plus ours, /SigFlags 3 (SignaturesExist | AppendOnly). An old indirect
 * AcroForm is left unreferenced rather than rewritten as another object.
 */
static void add_to_acroform(qpdf_data q, qpdf_oh root, qpdf_oh field, int *count)
{
	qpdf_oh old = qpdf_oh_get_key(q, root, "/AcroForm");
	qpdf_oh form = dict_copy(q, old);
	qpdf_oh fields_old = qpdf_oh_is_dictionary(q, old) ?
	    qpdf_oh_get_key(q, old, "/Fields") : qpdf_oh_new_null(q);
	qpdf_oh_replace_key(q, form, "/Fields", array_with(q, fields_old, field, count));
	qpdf_oh_replace_key(q, form, "/SigFlags", qpdf_oh_new_integer(q, 3));
	qpdf_oh_replace_key(q, root, "/AcroForm", form);
}

static void add_annot(qpdf_data q, qpdf_oh page, qpdf_oh field)
{
	int n;
	qpdf_oh annots = array_with(q, qpdf_oh_get_key(q, page, "/Annots"), field, &n);
	qpdf_oh_replace_key(q, page, "/Annots", annots);
}

static void read_trailer_keys(qpdf_data q, qpdf_oh trailer, struct doc *d)
{
	static const char *const keep[] = { "/ID", "/Info" };
	struct buf b = {0};
	buf_append(&b, "", 0);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		if (qpdf_oh_has_key(q, trailer, keep[i]))
			buf_appendf(&b, " %s %s", keep[i],
			    qpdf_oh_unparse(q, qpdf_oh_get_key(q, trailer, keep[i])));
	}
	d->trailer_keys = b.data;
}

/* A /Size too small would make the new numbers collide with objects. */
static int numbers_free(qpdf_data q, int size)
{
	return qpdf_oh_is_null(q, qpdf_get_object_by_id(q, size, 0)) &&
	    qpdf_oh_is_null(q, qpdf_get_object_by_id(q, size + 1, 0));
}

/*
 * The edits happen on qpdf's objects in memory only, and are read back with
 * unparse: the field (number size+1) is referenced before it exists.
 */
static int read_objects(qpdf_data q, const char *path, struct doc *d, struct err *e)
{
	qpdf_oh trailer = qpdf_get_trailer(q);
	qpdf_oh size = qpdf_oh_get_key(q, trailer, "/Size");
	if (!qpdf_oh_is_integer(q, size) || (d->size = qpdf_oh_get_int_value_as_int(q, size)) < 1) {
		err_set(e, "%s: the trailer has no valid /Size", path);
		return -1;
	}
	read_trailer_keys(q, trailer, d);
	qpdf_oh root = qpdf_get_root(q);
	int pages = qpdf_get_num_pages(q);
	if (qpdf_failed(q, e))
		return -1;
	if (pages < 1) {
		err_set(e, "%s has no page to put the signature on", path);
		return -1;
	}
	qpdf_oh page = qpdf_get_page_n(q, 0);
	d->root_num = qpdf_oh_get_object_id(q, root);
	d->root_gen = qpdf_oh_get_generation(q, root);
	d->page_num = qpdf_oh_get_object_id(q, page);
	d->page_gen = qpdf_oh_get_generation(q, page);
	if (d->root_num <= 0 || d->page_num <= 0) {
		err_set(e, "%s: the catalog or page 1 is not an indirect object", path);
		return -1;
	}
	if (!numbers_free(q, d->size)) {
		err_set(e, "%s: the trailer /Size %d is below the numbers of its objects", path,
		    d->size);
		return -1;
	}
	qpdf_oh field = qpdf_get_object_by_id(q, d->size + 1, 0);
	add_to_acroform(q, root, field, &d->field_index);
	add_annot(q, page, field);
	d->root_body = xstrdup(qpdf_oh_unparse_resolved(q, root));
	d->page_body = xstrdup(qpdf_oh_unparse_resolved(q, page));
	return qpdf_failed(q, e) ? -1 : 0;
}

static int read_doc(const char *path, const struct buf *pdf, struct doc *d, struct err *e)
{
	int rc = -1;
	qpdf_data q = qpdf_init();
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	/* An update on top of a repaired xref would not hold together. */
	qpdf_set_attempt_recovery(q, QPDF_FALSE);
	if (qpdf_read_memory(q, path, pdf->data, (unsigned long long)pdf->len, NULL) &
	    QPDF_ERRORS) {
		qpdf_failed(q, e);
		goto out;
	}
	if (qpdf_is_encrypted(q)) {
		err_set(e, "%s is encrypted; only unencrypted PDFs are signed", path);
		goto out;
	}
	rc = read_objects(q, path, d, e);
out:
	qpdf_cleanup(&q); /* releases every handle */
	return rc;
}

/* D:YYYYMMDDHHmmSS+07'00', Viet Nam time. */
static void pdf_date(time_t t, char out[32])
{
	struct tm tm;
	time_t local = t + VN_OFFSET;
	gmtime_r(&local, &tm);
	strftime(out, 32, "D:%Y%m%d%H%M%S+07'00'", &tm);
}

static int printable_ascii(const char *s)
{
	for (; *s; s++) {
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	}
	return 1;
}

/* A PDF text string: (literal) for printable ASCII, else <FEFF…> UTF-16BE. */
static int append_text(struct buf *b, const char *key, const char *s, struct err *e)
{
	if (s == NULL)
		return 0;
	buf_appendf(b, "\n%s ", key);
	if (printable_ascii(s)) {
		buf_append(b, "(", 1);
		for (; *s; s++) {
			if (*s == '(' || *s == ')' || *s == '\\')
				buf_append(b, "\\", 1);
			buf_append(b, s, 1);
		}
		buf_append(b, ")", 1);
		return 0;
	}
	buf_appendf(b, "<FEFF");
	for (size_t left = strlen(s); left > 0;) {
		unsigned long c;
		int n = UTF8_getc((const unsigned char *)s, left > 6 ? 6 : (int)left, &c);
		if (n <= 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
			err_set(e, "%s is not valid UTF-8", key);
			return -1;
		}
		if (c >= 0x10000)
			buf_appendf(b, "%04lX%04lX", 0xD800 + ((c - 0x10000) >> 10),
			    0xDC00 + ((c - 0x10000) & 0x3FF));
		else
			buf_appendf(b, "%04lX", c);
		s += n;
		left -= (size_t)n;
	}
	buf_append(b, ">", 1);
	return 0;
}

static void append_repeated(struct buf *b, char c, size_t n)
{
	char chunk[256];
	memset(chunk, c, sizeof(chunk));
	for (; n > sizeof(chunk); n -= sizeof(chunk))
		buf_append(b, chunk, sizeof(chunk));
	buf_append(b, chunk, n);
}

static int append_sig_dict(struct buf *b, int num, const struct pades_options *o,
    struct layout *l, struct err *e)
{
	char date[32];
	pdf_date(o->signing_time ? o->signing_time : time(NULL), date);
	buf_appendf(b, "%d 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite "
	    "/SubFilter /ETSI.CAdES.detached\n/ByteRange [", num);
	l->byte_range = b->len;
	append_repeated(b, ' ', BYTERANGE_WIDTH);
	buf_appendf(b, "]\n/Contents ");
	l->contents = b->len;
	buf_append(b, "<", 1);
	append_repeated(b, '0', 2 * l->reserve);
	buf_append(b, ">", 1);
	l->contents_end = b->len;
	buf_appendf(b, "\n/M (%s)", date);
	if (append_text(b, "/Reason", o->reason, e) < 0 ||
	    append_text(b, "/Location", o->location, e) < 0 ||
	    append_text(b, "/ContactInfo", o->contact, e) < 0)
		return -1;
	buf_appendf(b, " >>\nendobj\n");
	return 0;
}

static int by_number(const void *a, const void *b)
{
	const struct xref_entry *x = a, *y = b;
	return (x->num > y->num) - (x->num < y->num);
}

/* One subsection per run of consecutive numbers; 20-byte entries. */
static void append_xref(struct buf *b, struct xref_entry *x, size_t n)
{
	qsort(x, n, sizeof(*x), by_number);
	buf_appendf(b, "xref\n");
	for (size_t i = 0, run; i < n; i += run) {
		for (run = 1; i + run < n && x[i + run].num == x[i + run - 1].num + 1; run++)
			;
		buf_appendf(b, "%d %zu\n", x[i].num, run);
		for (size_t j = i; j < i + run; j++)
			buf_appendf(b, "%010zu %05d n\r\n", x[j].offset, x[j].gen);
	}
}

static int append_update(struct buf *b, const struct doc *d, const struct pades_options *o,
    struct layout *l, struct err *e)
{
	int sig = d->size, field = d->size + 1;
	struct xref_entry x[4];
	if (b->len > 0 && b->data[b->len - 1] != '\n' && b->data[b->len - 1] != '\r')
		buf_append(b, "\n", 1);
	x[0] = (struct xref_entry){ sig, 0, b->len };
	if (append_sig_dict(b, sig, o, l, e) < 0)
		return -1;
	x[1] = (struct xref_entry){ field, 0, b->len };
	buf_appendf(b, "%d 0 obj\n<< /FT /Sig /T (Signature%d) /V %d 0 R /Type /Annot "
	    "/Subtype /Widget /Rect [0 0 0 0] /F 132 /P %d %d R >>\nendobj\n",
	    field, d->field_index, sig, d->page_num, d->page_gen);
	x[2] = (struct xref_entry){ d->root_num, d->root_gen, b->len };
	buf_appendf(b, "%d %d obj\n%s\nendobj\n", d->root_num, d->root_gen, d->root_body);
	x[3] = (struct xref_entry){ d->page_num, d->page_gen, b->len };
	buf_appendf(b, "%d %d obj\n%s\nendobj\n", d->page_num, d->page_gen, d->page_body);
	size_t xref = b->len;
	append_xref(b, x, 4);
	buf_appendf(b, "trailer\n<< /Size %d /Root %d %d R /Prev %zu%s >>\nstartxref\n%zu\n"
	    "%%%%EOF\n", field + 1, d->root_num, d->root_gen, d->prev_xref, d->trailer_keys, xref);
	return 0;
}

/* Fills /ByteRange, hashes both ranges, and puts the CMS into /Contents. */
static int sign_ranges(struct signer *s, struct buf *b, const struct layout *l,
    struct err *e)
{
	size_t gap = l->contents, after = l->contents_end, tail = b->len - after;
	char br[BYTERANGE_WIDTH + 1];
	unsigned char md[32], *der = NULL;
	size_t derlen = 0;
	int n = snprintf(br, sizeof(br), "0 %zu %zu %zu", gap, after, tail);
	memset(br + n, ' ', (size_t)(BYTERANGE_WIDTH - n));
	memcpy(b->data + l->byte_range, br, BYTERANGE_WIDTH);

	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, b->data, gap) != 1 ||
	    EVP_DigestUpdate(ctx, b->data + after, tail) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, NULL) != 1)
		fatalx("SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	if (cades_sign_digest(s, md, &der, &derlen, e) < 0)
		return -1;
	if (derlen > l->reserve) {
		err_set(e, "the signature is %zu bytes, more than the %zu reserved in /Contents",
		    derlen, l->reserve);
		free(der);
		return -1;
	}
	char *hex = xmalloc(2 * derlen + 1);
	hex_encode(der, derlen, hex);
	memcpy(b->data + gap + 1, hex, 2 * derlen); /* the rest stays '0' padding */
	free(hex);
	free(der);
	return 0;
}

/* Sized to the signer: a fixed 16 KiB would be 32 KB of hex zeros in every
 * copy, more than a whole G4 page. */
static size_t contents_reserve(const struct signer *s)
{
	size_t n = (size_t)i2d_X509(s->cert, NULL) + (size_t)EVP_PKEY_get_size(s->key);
	for (int i = 0; i < sk_X509_num(s->chain); i++)
		n += (size_t)i2d_X509(sk_X509_value(s->chain, i), NULL);
	return n + CONTENTS_SLACK + (s->tsa_url != NULL ? CONTENTS_TSA : 0);
}

int pades_sign_file(struct signer *s, const char *in_path, const char *out_path,
    const struct pades_options *o, struct err *e)
{
	static const struct pades_options defaults;
	struct buf pdf = {0};
	struct doc d = {0};
	struct layout l = {0};
	int rc = -1;
	if (o == NULL)
		o = &defaults;
	l.reserve = contents_reserve(s);
	if (file_read_all(in_path, PDF_MAX, &pdf, e) < 0) {
		err_prefix(e, "%s", in_path);
		goto out;
	}
	if (find_startxref(&pdf, &d.prev_xref, e) < 0) {
		err_prefix(e, "%s", in_path);
		goto out;
	}
	if (read_doc(in_path, &pdf, &d, e) < 0 ||
	    append_update(&pdf, &d, o, &l, e) < 0 ||
	    sign_ranges(s, &pdf, &l, e) < 0)
		goto out;
	if (file_write_atomic(out_path, pdf.data, pdf.len, 0644, e) < 0) {
		err_prefix(e, "%s", out_path);
		goto out;
	}
	rc = 0;
out:
	doc_free(&d);
	free(pdf.data);
	return rc;
}
