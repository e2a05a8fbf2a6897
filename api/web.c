/*
 * web: the page at / (api/web/), assembled into the binary with .incbin, so
 * an installed sohoa serves the page that matches it and needs no files.
 */
#include "api_int.h"

#include <string.h>

#define EMBED(sym, file)                                                          \
	__asm__(".section .rodata\n.balign 16\n.global " #sym "_start\n" #sym "_start:\n" \
	    ".incbin \"" file "\"\n.global " #sym "_end\n" #sym "_end:\n.byte 0\n"         \
	    ".previous\n");                                                           \
	extern const char sym##_start[], sym##_end[]

EMBED(web_index, "api/web/index.html");
EMBED(web_app, "api/web/app.js");
EMBED(web_style, "api/web/style.css");

int web_file(const char *path, const char **type, const void **data, size_t *len)
{
	static const struct {
		const char *path, *type;
		const char *start, *end;
	} files[] = {
		{ "/", "text/html; charset=utf-8", web_index_start, web_index_end },
		{ "/index.html", "text/html; charset=utf-8", web_index_start, web_index_end },
		{ "/app.js", "text/javascript; charset=utf-8", web_app_start, web_app_end },
		{ "/style.css", "text/css; charset=utf-8", web_style_start, web_style_end },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(path, files[i].path) == 0) {
			*type = files[i].type;
			*data = files[i].start;
			*len = (size_t)(files[i].end - files[i].start);
			return 0;
		}
	}
	return -1;
}
