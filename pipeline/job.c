/* job: one scan through every stage; the signed files wait in a work folder. */
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlsave.h>

#include "signer/signer.h"

int job_init(struct job *j, const char *source, const char *work_root, struct err *e)
{
	memset(j, 0, sizeof(*j));
	j->source = source;
	char *tmpl = xasprintf("%s/job-XXXXXX", work_root);
	if (mkdtemp(tmpl) == NULL) {
		err_temporary(e, "cannot make a work folder in %s: %s", work_root, strerror(errno));
		free(tmpl);
		return -1;
	}
	j->workdir = tmpl;
	return 0;
}

int job_recognise(struct job *j, struct ocr_engine *eng, const struct process_options *opt,
    struct err *e)
{
	struct process_options with_pdf = *opt;
	j->ocr_pdf = xasprintf("%s/ocr.pdf", j->workdir);
	j->alto = xasprintf("%s/alto.xml", j->workdir);
	with_pdf.pdf_path = j->ocr_pdf;
	with_pdf.alto_path = j->alto;
	return pipeline_process_file(eng, &with_pdf, j->source, &j->result, e);
}

static int write_xml(xmlDocPtr doc, const char *path, struct err *e)
{
	xmlChar *mem = NULL;
	int len = 0;
	/* No indenting: the bytes written are the bytes signed. */
	xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
	if (mem == NULL)
		fatalx("out of memory");
	int rc = file_write_atomic(path, mem, (size_t)len, 0644, e);
	xmlFree(mem);
	return rc;
}

/* *sign_ms: the time XMLDSig took of it. */
static int make_xml(struct job *j, struct signer *s, const struct package_info *info,
    const char *pdf_sha, double *sign_ms, struct err *e)
{
	xmlDocPtr doc = NULL;
	int rc = -1;
	char *xml = xasprintf("%s/e-result.xml", j->workdir);
	if (eresult_build(j->result, info, pdf_sha, &doc, e) < 0)
		goto out;
	double t = clock_ms();
	int signed_ok = xmldsig_sign(s, doc, e);
	*sign_ms = clock_ms() - t;
	if (signed_ok < 0) {
		err_prefix(e, "XML signature");
		goto out;
	}
	if (write_xml(doc, xml, e) < 0)
		goto out;
	free(j->xml);
	j->xml = xml;
	xml = NULL;
	rc = 0;
out:
	free(xml);
	xmlFreeDoc(doc);
	return rc;
}

int job_sign(struct job *j, struct signer *s, const struct package_info *info, struct err *e)
{
	int rc = -1;
	struct package_info now = *info;
	char pdf_sha[65];
	char *pdfa = xasprintf("%s/pdfa.pdf", j->workdir);
	char *pdf = xasprintf("%s/signed.pdf", j->workdir);
	double xml_sign_ms = 0, t = clock_ms();
	now.signing_time = time(NULL);
	j->sign_ms = 0;
	json_object_set_new(j->result, "signed", json_false());
	int packaged = package_pdfa(j->ocr_pdf, pdfa, j->result, &now, e);
	j->package_ms = clock_ms() - t;
	if (packaged < 0) {
		err_prefix(e, "PDF/A");
		goto out;
	}
	struct pades_options po = {
		.signing_time = now.signing_time,
		.reason = now.copy_form,
		.location = now.agency_name,
	};
	t = clock_ms();
	int signed_ok = pades_sign_file(s, pdfa, pdf, &po, e);
	j->sign_ms = clock_ms() - t;
	if (signed_ok < 0) {
		err_prefix(e, "PDF signature");
		goto out;
	}
	t = clock_ms();
	int xml_ok = sha256_file_hex(pdf, pdf_sha, e) == 0 &&
	    make_xml(j, s, &now, pdf_sha, &xml_sign_ms, e) == 0;
	j->package_ms += clock_ms() - t - xml_sign_ms;
	j->sign_ms += xml_sign_ms;
	if (!xml_ok)
		goto out;
	free(j->pdf);
	j->pdf = pdf;
	pdf = NULL;
	json_object_set_new(j->result, "signed", json_true());
	rc = 0;
out:
	unlink(pdfa);
	free(pdfa);
	free(pdf);
	return rc;
}

void job_clear(struct job *j)
{
	if (j->workdir != NULL && remove_tree(j->workdir) < 0)
		log_warn("cannot remove %s", j->workdir);
	job_forget(j);
}

void job_forget(struct job *j)
{
	free(j->workdir);
	json_decref(j->result);
	free(j->ocr_pdf);
	free(j->alto);
	free(j->pdf);
	free(j->xml);
	memset(j, 0, sizeof(*j));
}
