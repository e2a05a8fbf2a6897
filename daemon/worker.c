/* worker: one worker process; runs the jobs the pool sends on fd 3. */
#include "daemon.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <leptonica/allheaders.h>

#include "archive/archive.h"
#include "daemon/protocol.h"
#include "pipeline/pipeline.h"
#include "signer/signer.h"

struct worker_ctx {
	const struct sohoa_config *cfg;
	struct ocr_engine *eng;
	struct preprocessor *pre;
	struct extractor *extract;
	struct archive *archive;   /* only to reserve dossiers' result codes */
	struct signer_config sc;   /* points into cfg */
	struct signer *signer;     /* NULL while the key cannot be reached */
	struct decode_limits limits;
	struct buf in;             /* bytes of fd 3 not yet a whole line */
	int lost;                  /* the supervisor is gone */
};

/* One job line; the strings belong to `msg`. */
struct intake {
	json_t *msg;
	const char *id, *original, *workdir, *watch, *agency_code, *operator_name;
	const char *procedure, *received_at;
	int dossier;
};

/* Takes a reference to msg. A write that fails means the supervisor is gone. */
static void send_msg(struct worker_ctx *c, json_t *msg)
{
	struct err e = { 0 };
	char *line = proto_encode(msg);
	if (!c->lost && fd_write_all(PROTO_FD, line, strlen(line), "to the supervisor", &e) < 0) {
		log_warnx("worker %d: %s", (int)getpid(), e.msg);
		c->lost = 1;
	}
	free(line);
}

static void send_stage(struct worker_ctx *c, const char *id, const char *stage)
{
	send_msg(c, json_pack("{s:s, s:s}", PROTO_ID, id, PROTO_STAGE, stage));
}

struct page_progress {
	struct worker_ctx *c;
	const char *id;
};

static void on_page(void *arg, const char *path, unsigned page, unsigned pages)
{
	struct page_progress *pp = arg;
	(void)path;
	send_msg(pp->c, json_pack("{s:s, s:s, s:i, s:i}", PROTO_ID, pp->id, PROTO_STAGE, "ocr",
	    PROTO_PAGE, (int)page, PROTO_PAGES, (int)pages));
}

/* Less room than this where the job writes is a full disk. */
#define ROOM_MIN (32u << 20)

/* Writers that lose errno (the OCR engine's PDF renderer, qpdf) make a full
 * disk look like a bad scan: with no room where the job writes, the failure is
 * temporary, and the scan is retried instead of quarantined. */
static void full_disk_is_temporary(const char *workdir, struct err *e)
{
	struct statvfs sv;
	if (e->temporary || statvfs(workdir, &sv) < 0 ||
	    (unsigned long long)sv.f_bavail * sv.f_frsize >= ROOM_MIN)
		return;
	err_prefix(e, "the disk of %s is full", workdir);
	e->temporary = 1;
}

static void answer_failure(struct worker_ctx *c, const char *id, const char *stage,
    const struct err *e)
{
	send_msg(c, json_pack("{s:s, s:s, s:s, s:s}", PROTO_ID, id,
	    PROTO_OUTCOME, e->temporary ? PROTO_TEMPORARY : PROTO_PERMANENT,
	    PROTO_STAGE, stage, PROTO_REASON, e->msg));
}

/* ---- a folder dossier -> one lossless multi-page TIFF --------------------- */

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Appends every page of `path` to `out`; *count counts the dossier's pages. */
static int append_file(struct worker_ctx *c, const char *path, const char *out,
    unsigned *count, struct err *e)
{
	struct decoder *dec = NULL;
	int rc = -1;
	if (decoder_open(path, &c->limits, &dec, e) < 0)
		goto out;
	for (unsigned i = 0; i < decoder_page_count(dec); i++) {
		struct page_image img = { 0 };
		if (++*count > c->limits.max_pages) {
			err_set(e, "the dossier has more than %u pages", c->limits.max_pages);
			goto out;
		}
		if (decoder_next_page(dec, &img, e) < 0) {
			err_prefix(e, "page %u", i + 1);
			goto out;
		}
		/* No resolution unless the file gave one: read back, the page is
		 * treated exactly as its own file would have been. */
		int dpi = img.dpi_from_file ? img.dpi : 0;
		pixSetResolution(img.pix, dpi, dpi);
		l_int32 comp = pixGetDepth(img.pix) == 1 ? IFF_TIFF_G4 : IFF_TIFF_ZIP;
		int bad = pixWriteTiff(out, img.pix, comp, *count == 1 ? "w" : "a");
		page_image_clear(&img);
		if (bad) {
			err_temporary(e, "cannot write %s", out);
			goto out;
		}
	}
	rc = 0;
out:
	decoder_close(dec);
	return rc;
}

static int assemble_dossier(struct worker_ctx *c, const char *folder, const char *out,
    struct err *e)
{
	struct dirent **names = NULL;
	unsigned count = 0;
	int rc = -1;
	int n = scandir(folder, &names, not_hidden, by_name);
	if (n < 0) {
		int err = errno;
		err_set(e, "cannot read the folder: %s", strerror(err));
		e->temporary = err != ENOENT && err != ENOTDIR;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct stat st;
		char *path = xasprintf("%s/%s", folder, names[i]->d_name);
		int page = stat(path, &st) == 0 && S_ISREG(st.st_mode);
		if (page && append_file(c, path, out, &count, e) < 0) {
			err_prefix(e, "%s", names[i]->d_name);
			free(path);
			goto out;
		}
		free(path);
	}
	if (count == 0) {
		err_set(e, "the dossier folder has no pages");
		goto out;
	}
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- one job ------------------------------------------------------------- */

/* Opens the file once to fail at "decode", not at "ocr", when it is bad. */
static int check_decodable(struct worker_ctx *c, const char *path, struct err *e)
{
	struct decoder *dec = NULL;
	int rc = decoder_open(path, &c->limits, &dec, e);
	decoder_close(dec);
	return rc;
}

static void add_intake(struct job *j, const struct intake *in)
{
	if (in->received_at != NULL)
		json_object_set_new(j->result, "received_at", json_string(in->received_at));
	json_object_set_new(j->result, "intake", json_pack("{s:s, s:s?, s:s?, s:s?, s:s?}",
	    "job", in->id, "watch", in->watch, "operator", in->operator_name,
	    "agency_code", in->agency_code, "procedure", in->procedure));
}

/* A token handle does not survive an unplug: after a temporary failure the
 * signer is reopened for the next job. */
/*
 * A dossier's result code is handed out before signing, so that the XML names
 * it; the supervisor then files the result under it. SQLite serialises this
 * worker's reservation with the supervisor's commits. A job retried after a
 * crash takes a new code: the old one stays a gap, as the archive allows.
 */
static int reserve_code(struct worker_ctx *c, struct job *j, struct err *e)
{
	json_t *fields = json_object_get(j->result, "fields");
	const char *dossier = json_string_value(json_object_get(fields, "dossier_code"));
	char *code = NULL;
	if (dossier == NULL || json_string_value(json_object_get(j->result, "result_code")))
		return 0;
	if (c->archive == NULL && archive_open(c->cfg->archive_dir, 0, &c->archive, e) < 0) {
		e->temporary = 1;
		return -1;
	}
	if (archive_reserve_result_code(c->archive, dossier, &code, e) < 0) {
		e->temporary = 1;
		return -1;
	}
	json_object_set_new(j->result, "result_code", json_string(code));
	free(code);
	return 0;
}

static int sign_job(struct worker_ctx *c, struct job *j, const struct intake *in,
    struct err *e)
{
	const struct sohoa_config *cfg = c->cfg;
	struct package_info info = {
		.copy_form = "SAO Y",
		.agency_name = cfg->agency_name,
		.agency_code = in->agency_code ? in->agency_code : cfg->agency_code,
		.operator_name = in->operator_name ? in->operator_name : in->watch,
		.counter = in->watch,
		.procedure = in->procedure,
	};
	if (reserve_code(c, j, e) < 0)
		return -1;
	if (c->signer == NULL && signer_open(&c->sc, &c->signer, e) < 0) {
		/* An expired certificate is not the scan's fault: never quarantine for it. */
		e->temporary = 1;
		return -1;
	}
	if (job_sign(j, c->signer, &info, e) == 0)
		return 0;
	if (e->temporary) {
		signer_close(c->signer);
		c->signer = NULL;
	}
	return -1;
}

static int write_result(struct job *j, char **path, struct err *e)
{
	char *s = json_dumps(j->result, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (s == NULL)
		fatalx("out of memory");
	*path = xasprintf("%s/result.json", j->workdir);
	int rc = file_write_atomic(*path, s, strlen(s), 0644, e);
	free(s);
	if (rc < 0)
		e->temporary = 1;
	return rc;
}

static void answer_done(struct worker_ctx *c, const struct intake *in, const struct job *j,
    const char *result_json)
{
	send_msg(c, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", PROTO_ID,
	    in->id, PROTO_OUTCOME, PROTO_DONE, PROTO_STAGE, "", PROTO_REASON, "",
	    "result_json", result_json, "original", j->source, "pdf", j->pdf, "xml", j->xml,
	    "alto", j->alto, "package_ms", j->package_ms, "sign_ms", j->sign_ms));
}

static void run_job(struct worker_ctx *c, const struct intake *in)
{
	struct err e = { 0 };
	struct job j = { 0 };
	struct page_progress pp = { c, in->id };
	struct process_options opt = { .limits = c->limits, .pre = c->pre, .extract = c->extract,
		.pdf_keep_text = c->cfg->pre_pdf_keep_text, .progress = on_page, .progress_arg = &pp };
	char *dossier = NULL, *result_json = NULL;
	const char *source = in->original, *stage = "decode";

	send_stage(c, in->id, stage);
	if (dir_make(in->workdir, 0700, &e) < 0) {
		e.temporary = 1;
		goto fail;
	}
	if (in->dossier) {
		dossier = xasprintf("%s/dossier.tif", in->workdir);
		if (assemble_dossier(c, in->original, dossier, &e) < 0)
			goto fail;
		source = dossier;
	} else if (check_decodable(c, source, &e) < 0) {
		goto fail;
	}
	stage = "ocr";
	send_stage(c, in->id, stage);
	if (job_init(&j, source, in->workdir, &e) < 0 || job_recognise(&j, c->eng, &opt, &e) < 0)
		goto fail;
	add_intake(&j, in);
	stage = "sign";
	send_stage(c, in->id, stage);
	if (sign_job(c, &j, in, &e) < 0 || write_result(&j, &result_json, &e) < 0)
		goto fail;
	answer_done(c, in, &j, result_json);
	/* The files are handed on: the supervisor files them and removes them. */
	job_forget(&j);
	goto out;
fail:
	full_disk_is_temporary(in->workdir, &e);
	log_info("job %s: %s: %s%s", in->id, stage, e.msg, e.temporary ? " (will retry)" : "");
	answer_failure(c, in->id, stage, &e);
	job_clear(&j);
	if (dossier != NULL)
		unlink(dossier);
out:
	free(dossier);
	free(result_json);
}

/* ---- the loop ------------------------------------------------------------- */

static int parse_intake(char *line, struct intake *in)
{
	json_t *m = json_loads(line, 0, NULL);
	*in = (struct intake){ .msg = m };
#define S(key) json_string_value(json_object_get(m, key))
	in->id = S(PROTO_ID);
	in->original = S("original");
	in->workdir = S("workdir");
	in->watch = S("watch");
	in->agency_code = S("agency_code");
	in->operator_name = S("operator");
	in->procedure = S("procedure");
	in->received_at = S("received_at");
#undef S
	in->dossier = json_is_true(json_object_get(m, "dossier"));
	return in->id && in->original && in->workdir ? 0 : -1;
}

/*
 * Test hooks, for the crash tests only (a decoder that crashes is retried
 * once, then quarantined; a hung one is killed). Off unless the variable is
 * set: SOHOA_TEST_ABORT_ON=<name> aborts, SOHOA_TEST_HANG_ON=<name> sleeps
 * forever, for a job from the [watch <name>] drop folder (the spool's copy
 * has no name a test could choose).
 */
static void test_hooks(const struct intake *in)
{
	const char *abort_on = getenv("SOHOA_TEST_ABORT_ON");
	const char *hang_on = getenv("SOHOA_TEST_HANG_ON");
	const char *watch = in->watch != NULL ? in->watch : "";
	if (abort_on != NULL && *abort_on && strcmp(watch, abort_on) == 0) {
		setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }); /* a crash, not a core file */
		abort();
	}
	while (hang_on != NULL && *hang_on && strcmp(watch, hang_on) == 0)
		pause();
}

/* The next job line, blocking; NULL at EOF (or on a broken socket). */
static char *read_line(struct worker_ctx *c)
{
	char chunk[4096];
	char *line;
	while ((line = proto_take_line(&c->in)) == NULL) {
		if (c->in.len > PROTO_LINE_MAX) {
			log_warnx("worker %d: a line too long from the supervisor", (int)getpid());
			return NULL;
		}
		ssize_t n = read(PROTO_FD, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			log_warn("worker %d: reading from the supervisor", (int)getpid());
		if (n <= 0)
			return NULL;
		buf_append(&c->in, chunk, (size_t)n);
	}
	return line;
}

static int serve(struct worker_ctx *c)
{
	char *line;
	send_msg(c, json_pack("{s:i}", PROTO_READY, (int)getpid()));
	while (!c->lost && (line = read_line(c)) != NULL) {
		struct intake in;
		int ok = parse_intake(line, &in) == 0;
		if (!ok)
			log_warnx("worker %d: not a job: %.200s", (int)getpid(), line);
		free(line);
		if (ok) {
			test_hooks(&in);
			run_job(c, &in);
		}
		json_decref(in.msg);
		if (!ok)
			return 1;
	}
	return c->lost ? 1 : 0;
}

static int setup(struct worker_ctx *c, const struct sohoa_config *cfg)
{
	struct err e = { 0 };
	c->cfg = cfg;
	c->limits = (struct decode_limits){ cfg->max_pixels, cfg->max_pages, cfg->max_file_bytes };
	signer_config_from_cfg(cfg, &c->sc);
	if (cfg->signer_pkcs12 == NULL && cfg->signer_pkcs11_uri == NULL) {
		err_set(&e, "no signing key ([signer] pkcs12 or pkcs11_uri): "
		    "sohoa never files an unsigned result");
		goto fail;
	}
	struct preprocess_options po;
	preprocess_options_from_cfg(cfg, &po);
	if (ocr_engine_new(cfg->languages, cfg->tessdata_dir, &c->eng, &e) < 0 ||
	    preprocessor_new(cfg->tessdata_dir, &po, &c->pre, &e) < 0 ||
	    extractor_new(cfg->extract_data, &c->extract, &e) < 0 || signer_xml_init(&e) < 0)
		goto fail;
	if (signer_open(&c->sc, &c->signer, &e) < 0) {
		if (!e.temporary)
			goto fail;
		log_warnx("worker %d: the key cannot be reached yet: %s", (int)getpid(), e.msg);
	}
	return 0;
fail:
	log_warnx("worker %d: %s", (int)getpid(), e.msg);
	return -1;
}

/* Returns the process's exit code: 0 at EOF, 1 when the supervisor went
 * away or spoke nonsense, 2 when the worker could not be set up. */
int worker_main(const struct sohoa_config *cfg)
{
	struct worker_ctx c = { 0 };
	int rc = 2;
	/* A supervisor that is gone shows as EPIPE on the next answer. */
	signal(SIGPIPE, SIG_IGN);
	if (setup(&c, cfg) == 0)
		rc = serve(&c);
	signer_close(c.signer);
	signer_xml_cleanup();
	preprocessor_free(c.pre);
	extractor_free(c.extract);
	archive_close(c.archive);
	ocr_engine_free(c.eng);
	free(c.in.data);
	return rc;
}
