/*
 * libgw502 C API: the classifier that gw502-logs uses, for the nginx module
 * and the Caddy bridge. One catalogue, one truth.
 *
 * A classifier is not thread-safe: create one per thread (nginx: per worker
 * process). No C++ exception crosses this API. The strings gw502_classify
 * returns live as long as the classifier, or point into the caller's text;
 * it keeps no memory of its own per call, though RE2 allocates briefly while
 * matching a message not seen recently.
 */
#ifndef GW502_H
#define GW502_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gw502_classifier gw502_classifier;

typedef enum gw502_dialect {
  GW502_NGINX = 0,   /* nginx / Nginx Proxy Manager error-log lines */
  GW502_TRAEFIK = 1, /* a Go error text as Traefik logs it */
  GW502_CADDY = 2    /* a Go error text as Caddy logs it ({err.message}) */
} gw502_dialect;

typedef struct gw502_result {
  const char *cause;    /* public cause id, e.g. "connection_refused" */
  const char *rule;     /* catalogue rule id */
  const char *upstream; /* not NUL-terminated; into the caller's text; may be NULL */
  size_t upstream_len;
} gw502_result;

/*
 * Creates a classifier from the embedded catalogue, plus the file at
 * catalogue_path when it is not NULL (its rules come first; same ids
 * override). On failure returns NULL and writes a NUL-terminated one-line
 * reason (file, rule, RE2's error) into err, which holds errlen bytes.
 */
gw502_classifier *gw502_classifier_new(const char *catalogue_path, char *err, size_t errlen);

/*
 * Classifies one line. For GW502_NGINX the text is a whole error-log line as
 * nginx writes it (time, level, message, context; a trailing newline is
 * fine); for the Go proxies it is the error text itself. Returns 1 and fills
 * out when the text shows an upstream failure, 0 when it does not (including
 * known noise such as client-side TLS errors), and -1 on an error: a NULL
 * argument, an unknown dialect, or the regex engine unable to run the match
 * (out of memory). Test for == 1.
 */
int gw502_classify(gw502_classifier *c, gw502_dialect dialect, const char *text, size_t len,
                   gw502_result *out);

void gw502_classifier_free(gw502_classifier *c);

/* The library version, e.g. "0.1.0". */
const char *gw502_version(void);

#ifdef __cplusplus
}
#endif

#endif /* GW502_H */
