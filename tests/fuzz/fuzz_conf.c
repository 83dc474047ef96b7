/*
 * libFuzzer harness of the configuration parser (lib/conf): the
 * input is a config file, parsed from memory with conf_parse() as
 * `gatehouse --check -` does.  A refusal must come with a NUL-terminated
 * "name:line: why" message; parsing the same text twice must give the same
 * verdict and message (no state kept between parses); a snapshot is freed
 * (LeakSanitizer checks nothing is left).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/gh_common.h"
#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char err[512], err2[512];
	struct conf *c, *c2;
	char *text;

	if (size > 65536)
		return 0;
	text = malloc(size > 0 ? size : 1);
	GH_VERIFY(text != NULL);
	memcpy(text, data, size);
	memset(err, 0x55, sizeof(err));
	c = conf_parse("fuzz.conf", text, size, err, sizeof(err));
	if (c == NULL) {
		GH_VERIFY(memchr(err, '\0', sizeof(err)) != NULL);
		GH_VERIFY(strncmp(err, "fuzz.conf", 9) == 0);
	}
	c2 = conf_parse("fuzz.conf", text, size, err2, sizeof(err2));
	GH_VERIFY((c == NULL) == (c2 == NULL));
	if (c == NULL)
		GH_VERIFY(strcmp(err, err2) == 0);
	conf_free(c);
	conf_free(c2);
	free(text);
	return 0;
}
