/*
 * package_xmp: the XMP packet of the PDF/A-2b and the document metadata
 * the Info dictionary repeats. Our own properties need a pdfaExtension
 * schema description, or the file is not PDF/A.
 */
#include "pipeline/package_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SOHOA_XMP_NS "urn:sohoa:xmp:1.0/"

struct xmp_prop {
	const char *name;
	const char *type; /* XMP value type */
	const char *what;
};

/* The order of sohoa_values() below. */
static const struct xmp_prop sohoa_props[] = {
	{ "documentType", "Text", "Type of the original document (TypeName)" },
	{ "documentNumber", "Text", "Number and symbol of the original (CodeNumber/CodeNotation)" },
	{ "issuer", "Text", "Issuing body of the original (OrganName)" },
	{ "issuedDate", "Text", "Date of the original, YYYY-MM-DD (IssuedDate)" },
	{ "dossierCode", "Text", "One-stop dossier code (ma ho so)" },
	{ "resultCode", "Text", "Electronic result code, dossier code + -KQn" },
	{ "originalSha256", "Text", "SHA-256 of the scanned original, hex; the result id" },
	{ "copyForm", "Text", "Form of the copy: SAO Y, SAO LUC or TRICH SAO" },
	{ "agencyName", "Text", "Name of the copying agency" },
	{ "agencyCode", "Text", "Code of the copying agency (QCVN 102:2016)" },
	{ "operatorName", "Text", "Who digitised the original" },
	{ "procedure", "Text", "Administrative procedure code" },
	{ "signingTime", "Date", "Time of the e-copy mark and of the signature" },
};
#define NPROPS (sizeof(sohoa_props) / sizeof(sohoa_props[0]))

static const char *str_at(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s != NULL && *s != '\0' ? s : NULL;
}

static const char *field(json_t *result, const char *key)
{
	return str_at(json_object_get(result, "fields"), key);
}

static void sohoa_values(json_t *result, const struct package_info *info,
    const char *signed_at, const char *values[NPROPS])
{
	const char *procedure = info->procedure ? info->procedure : field(result, "procedure");
	const char *v[NPROPS] = {
		field(result, "type"), field(result, "number"), field(result, "issuer"),
		field(result, "date"), field(result, "dossier_code"),
		str_at(result, "result_code"), str_at(result, "id"), info->copy_form,
		info->agency_name, info->agency_code, info->operator_name, procedure, signed_at,
	};
	memcpy(values, v, sizeof(v));
}

/* XML 1.0 text: escaped, and without the control characters it forbids
 * (OCR output can hold a stray one). */
static void put_text(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '&')
			buf_append(b, "&amp;", 5);
		else if (c == '<')
			buf_append(b, "&lt;", 4);
		else if (c == '>')
			buf_append(b, "&gt;", 4);
		else if (c == '"')
			buf_append(b, "&quot;", 6);
		else if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
			buf_append(b, s, 1);
	}
}

static void put_elem(struct buf *b, const char *name, const char *value)
{
	if (value == NULL)
		return;
	buf_appendf(b, "   <%s>", name);
	put_text(b, value);
	buf_appendf(b, "</%s>\n", name);
}

static void put_alt(struct buf *b, const char *name, const char *value)
{
	buf_appendf(b, "   <%s><rdf:Alt><rdf:li xml:lang=\"x-default\">", name);
	put_text(b, value);
	buf_appendf(b, "</rdf:li></rdf:Alt></%s>\n", name);
}

static void put_standard(struct buf *b, const struct pdfa_meta *m)
{
	buf_appendf(b, "  <rdf:Description rdf:about=\"\"\n"
	    "    xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n"
	    "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
	    "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n"
	    "    xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n"
	    "   <pdfaid:part>2</pdfaid:part>\n"
	    "   <pdfaid:conformance>B</pdfaid:conformance>\n"
	    "   <dc:format>application/pdf</dc:format>\n"
	    "   <dc:language><rdf:Bag><rdf:li>vi</rdf:li></rdf:Bag></dc:language>\n");
	put_alt(b, "dc:title", m->title);
	buf_appendf(b, "   <dc:creator><rdf:Seq><rdf:li>");
	put_text(b, m->creator);
	buf_appendf(b, "</rdf:li></rdf:Seq></dc:creator>\n");
	put_alt(b, "dc:description", m->description);
	put_elem(b, "xmp:CreateDate", m->xmp_date);
	put_elem(b, "xmp:ModifyDate", m->xmp_date);
	put_elem(b, "xmp:MetadataDate", m->xmp_date);
	put_elem(b, "xmp:CreatorTool", m->creator_tool);
	put_elem(b, "pdf:Producer", m->producer);
	buf_appendf(b, "  </rdf:Description>\n");
}

static void put_sohoa(struct buf *b, const char *const values[NPROPS])
{
	buf_appendf(b, "  <rdf:Description rdf:about=\"\" xmlns:sohoa=\"%s\">\n", SOHOA_XMP_NS);
	for (size_t i = 0; i < NPROPS; i++) {
		char *name = xasprintf("sohoa:%s", sohoa_props[i].name);
		put_elem(b, name, values[i]);
		free(name);
	}
	buf_appendf(b, "  </rdf:Description>\n");
}

/* PDF/A-2 6.6.2.3.2: every property outside the predefined schemas is described. */
static void put_extension(struct buf *b)
{
	buf_appendf(b, "  <rdf:Description rdf:about=\"\"\n"
	    "    xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\"\n"
	    "    xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\"\n"
	    "    xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">\n"
	    "   <pdfaExtension:schemas><rdf:Bag>\n"
	    "    <rdf:li rdf:parseType=\"Resource\">\n"
	    "     <pdfaSchema:schema>sohoa e-copy of a paper original</pdfaSchema:schema>\n"
	    "     <pdfaSchema:namespaceURI>%s</pdfaSchema:namespaceURI>\n"
	    "     <pdfaSchema:prefix>sohoa</pdfaSchema:prefix>\n"
	    "     <pdfaSchema:property><rdf:Seq>\n", SOHOA_XMP_NS);
	for (size_t i = 0; i < NPROPS; i++)
		buf_appendf(b, "      <rdf:li rdf:parseType=\"Resource\">\n"
		    "       <pdfaProperty:name>%s</pdfaProperty:name>\n"
		    "       <pdfaProperty:valueType>%s</pdfaProperty:valueType>\n"
		    "       <pdfaProperty:category>external</pdfaProperty:category>\n"
		    "       <pdfaProperty:description>%s</pdfaProperty:description>\n"
		    "      </rdf:li>\n", sohoa_props[i].name, sohoa_props[i].type,
		    sohoa_props[i].what);
	buf_appendf(b, "     </rdf:Seq></pdfaSchema:property>\n"
	    "    </rdf:li>\n"
	    "   </rdf:Bag></pdfaExtension:schemas>\n"
	    "  </rdf:Description>\n");
}

char *pdfa_xmp(const struct pdfa_meta *m, json_t *result, const struct package_info *info)
{
	struct buf b = { 0 };
	const char *values[NPROPS];
	sohoa_values(result, info, m->xmp_date, values);
	/* PDF/A-2 forbids the bytes and encoding attributes of the header. */
	buf_appendf(&b, "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
	    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
	    " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n");
	put_standard(&b, m);
	put_sohoa(&b, values);
	put_extension(&b);
	buf_appendf(&b, " </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>\n");
	return b.data;
}

/* "SAO Y: QUYẾT ĐỊNH 2684/QĐ-UBND, ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN, 2023-12-12" */
static char *describe(json_t *result, const struct package_info *info)
{
	static const char *const keys[] = { "type", "number", "issuer", "date" };
	struct buf b = { 0 };
	buf_appendf(&b, "%s", info->copy_form ? info->copy_form : "SAO Y");
	int first = 1, after_type = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = field(result, keys[i]);
		if (v == NULL)
			continue;
		/* The number follows the type as on the page: "QUYẾT ĐỊNH 59/QĐ-UBND". */
		buf_appendf(&b, "%s%s", first ? ": " : after_type && i == 1 ? " " : ", ", v);
		first = 0;
		after_type = i == 0;
	}
	return b.data;
}

static char *make_title(json_t *result)
{
	const char *subject = field(result, "subject");
	const char *type = field(result, "type"), *number = field(result, "number");
	const char *id = str_at(result, "id");
	if (subject != NULL)
		return xstrdup(subject);
	if (type != NULL && number != NULL)
		return xasprintf("%s %s", type, number);
	return xasprintf("sohoa %s", id != NULL ? id : "scan");
}

void pdfa_meta_init(struct pdfa_meta *m, json_t *result, const struct package_info *info)
{
	memset(m, 0, sizeof(*m));
	m->title = make_title(result);
	m->creator = xstrdup(info->agency_name ? info->agency_name : "");
	m->description = describe(result, info);
	m->creator_tool = xasprintf("sohoa %s (Tesseract %s)", SOHOA_VERSION,
	    ocr_tesseract_version());
	m->producer = xasprintf("sohoa %s; qpdf %s", SOHOA_VERSION, qpdf_get_qpdf_version());
	time_iso8601_vn(info->signing_time, m->xmp_date);
	time_t local = info->signing_time + 7 * 3600;
	struct tm tm;
	gmtime_r(&local, &tm);
	strftime(m->pdf_date, sizeof(m->pdf_date), "D:%Y%m%d%H%M%S+07'00'", &tm);
}

void pdfa_meta_clear(struct pdfa_meta *m)
{
	free(m->title);
	free(m->creator);
	free(m->description);
	free(m->creator_tool);
	free(m->producer);
	memset(m, 0, sizeof(*m));
}
