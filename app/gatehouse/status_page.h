/*
 * The status page of the management endpoint (GET /status): the bytes of
 * app/gatehouse/status_page.html, made into a C array at build time
 * (embed_file.py, a meson custom_target), so the binary serves it with
 * nothing to install or find at run time.
 */
#ifndef GH_APP_STATUS_PAGE_H
#define GH_APP_STATUS_PAGE_H

#include <stddef.h>

extern const char status_page_html[];
extern const size_t status_page_html_len;

#endif /* GH_APP_STATUS_PAGE_H */
