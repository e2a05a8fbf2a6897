/*
 * fuzz_xml: arbitrary bytes as a signed XML e-result given to `sohoa verify`
 * (verify_xml_file): the parse without network, DTD or entities, the search
 * for the one ds:Signature, the certificates of KeyInfo, the restricted
 * XMLDSig check and the chain against a trust store. The trust store is
 * fuzz/xml-trust.pem, the development CA that signed the seed e-result; it
 * holds no key.
 */
#include "fuzz/fuzz_kit.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "signer/signer.h"

static char *trust;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	struct err e = { 0 };
	log_set_level(LOG_LEVEL_ERROR);
	/* fuzz_data_dir() is <repo>/config; the trust file is <repo>/fuzz/xml-trust.pem. */
	char *repo = xstrdup(fuzz_data_dir());
	char *slash = strrchr(repo, '/');
	if (slash != NULL)
		*slash = '\0';
	trust = xasprintf("%s/fuzz/xml-trust.pem", repo);
	free(repo);
	if (signer_xml_init(&e) < 0)
		fatalx("%s", e.msg);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = { 0 };
	struct verify_options vo = { .trust = trust };
	json_t *checks = json_array();
	int rc = verify_xml_file(fuzz_memfile(data, size), &vo, checks, &e);
	/* 0 only when every check ran and held. */
	if (rc == 0 && json_array_size(checks) != 2)
		abort();
	json_decref(checks);
	return 0;
}
