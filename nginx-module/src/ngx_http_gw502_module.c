
/*
 * ngx_http_gw502_module: a 502/504 that nginx generates for an upstream
 * failure carries its classified cause, in a response header and in the
 * variables $gw502_cause and $gw502_rule.
 *
 * nginx keeps no record of why an upstream failed except the error line it
 * logs. So for the main request of every location with "gw502 on", the
 * module puts a writer at the head of the connection's log chain (in place:
 * the upstream connection and the peer log through the same ngx_log_t),
 * classifies each error line of that request with libgw502, and keeps the
 * last cause. The original chain continues unchanged behind the writer.
 *
 * Pitfalls, each with its comment at the code that handles it and a test in
 * tests/integration/nginx_module: a location change (rewrite, error_page,
 * internal redirect) resets the request's log chain, so the writer goes in
 * again; keepalive and HTTP/2 reuse a connection for many requests, so the
 * cause belongs to the request, not the connection; a subrequest's failure is
 * never the main request's; an `error_log ... crit` location still lets the
 * module see error-level lines while that log receives only crit ones.
 * README.md ("What is tagged, and what is not") is the user's side of it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <nginx.h>

#include <gw502/gw502.h>


#define NGX_HTTP_GW502_HEADER  "X-Gw502-Cause"
#define NGX_HTTP_GW502_ERRLEN  512


typedef struct {
    ngx_str_t                    catalogue;   /* gw502_catalogue, or empty */
    gw502_classifier            *classifier;  /* one per cycle, per worker */
    ngx_flag_t                   used;        /* some location says "on" */
} ngx_http_gw502_main_conf_t;


typedef struct {
    ngx_flag_t                   enable;
    ngx_str_t                    header;      /* empty: gw502_header off */
    u_char                      *header_lc;
} ngx_http_gw502_loc_conf_t;


typedef struct {
    ngx_http_request_t          *request;     /* the main request */
    ngx_log_t                   *log;         /* the head: c->log */
    ngx_log_t                   *rest;        /* the original head, moved */
    gw502_classifier            *classifier;
    ngx_http_gw502_loc_conf_t   *conf;        /* where the writer went in */
    const char                  *cause;       /* last cause seen, or NULL */
    const char                  *rule;
    ngx_uint_t                   states;      /* upstream states at capture */
    ngx_uint_t                   err_states;  /* ... when an error_page began */
    unsigned                     err_page:1;  /* err_states is set */
} ngx_http_gw502_ctx_t;


static void ngx_http_gw502_log_writer(ngx_log_t *log, ngx_uint_t level,
    u_char *buf, size_t len);
static ngx_int_t ngx_http_gw502_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_gw502_header_filter(ngx_http_request_t *r);
static ngx_http_gw502_ctx_t *ngx_http_gw502_get_ctx(ngx_http_request_t *r);
static ngx_http_gw502_ctx_t *ngx_http_gw502_create_ctx(ngx_http_request_t *r);
static ngx_http_gw502_ctx_t *ngx_http_gw502_final(ngx_http_request_t *r);
static ngx_uint_t ngx_http_gw502_is_id(const char *s);
static void ngx_http_gw502_cleanup(void *data);
static ngx_int_t ngx_http_gw502_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static char *ngx_http_gw502_header(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_gw502_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_gw502_init(ngx_conf_t *cf);
static void *ngx_http_gw502_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_gw502_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_gw502_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static void ngx_http_gw502_free_classifier(void *data);


static ngx_command_t  ngx_http_gw502_commands[] = {

    { ngx_string("gw502"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_gw502_loc_conf_t, enable),
      NULL },

    { ngx_string("gw502_header"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_gw502_header,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("gw502_catalogue"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_gw502_main_conf_t, catalogue),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_gw502_module_ctx = {
    ngx_http_gw502_add_variables,          /* preconfiguration */
    ngx_http_gw502_init,                   /* postconfiguration */

    ngx_http_gw502_create_main_conf,       /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_gw502_create_loc_conf,        /* create location configuration */
    ngx_http_gw502_merge_loc_conf          /* merge location configuration */
};


ngx_module_t  ngx_http_gw502_module = {
    NGX_MODULE_V1,
    &ngx_http_gw502_module_ctx,            /* module context */
    ngx_http_gw502_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_gw502_vars[] = {

    { ngx_string("gw502_cause"), NULL, ngx_http_gw502_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("gw502_rule"), NULL, ngx_http_gw502_variable,
      1, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/*
 * Called by ngx_log_error_core() with the complete line (time, level,
 * message, errno text, context), for every line of the connection's log at
 * our head's level or above. The buffer is on the caller's stack: only
 * pointers into the classifier's own strings are kept.
 */

static void
ngx_http_gw502_log_writer(ngx_log_t *log, ngx_uint_t level, u_char *buf,
    size_t len)
{
    gw502_result           res;
    ngx_http_request_t    *r;
    ngx_http_log_ctx_t    *lctx;
    ngx_http_gw502_ctx_t  *ctx;

    ctx = log->wdata;

    /* warn, notice, info ("upstream server temporarily disabled"), debug */

    if (level > NGX_LOG_ERR || ctx == NULL) {
        return;
    }

    r = ctx->request;

    /* mirror, auth_request, SSI: subrequests share the connection's log */

    lctx = log->data;

    if (lctx != NULL
        && lctx->current_request != NULL
        && lctx->current_request != r)
    {
        return;
    }

    /*
     * Serving an error_page without "=": the status is already decided
     * (r->err_status); a failure of the error page's own upstream is not
     * why, so it must not replace the cause (nor give an upstream's own,
     * intercepted 502 one).
     */

    if (r->err_status) {
        return;
    }

    if (gw502_classify(ctx->classifier, GW502_NGINX, (const char *) buf, len,
                       &res)
        != 1)
    {
        return;
    }

    if (!ngx_http_gw502_is_id(res.cause) || !ngx_http_gw502_is_id(res.rule)) {
        return;
    }

    ctx->cause = res.cause;
    ctx->rule = res.rule;
    ctx->states = r->upstream_states ? r->upstream_states->nelts : 0;
}


/*
 * PRECONTENT phase: runs again after every internal redirect, error_page
 * and named location, each of which resets the head of c->log through
 * ngx_set_connection_log().
 */

static ngx_int_t
ngx_http_gw502_handler(ngx_http_request_t *r)
{
    ngx_log_t                   *log, *rest;
    ngx_http_gw502_ctx_t        *ctx;
    ngx_http_gw502_loc_conf_t   *glcf;
    ngx_http_gw502_main_conf_t  *gmcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    /*
     * An error_page without "=" fixed the status (r->err_status) after the
     * attempts made so far: remember how many, for ngx_http_gw502_final().
     */

    if (r->err_status) {
        ctx = ngx_http_gw502_get_ctx(r);

        if (ctx != NULL && !ctx->err_page) {
            ctx->err_page = 1;
            ctx->err_states = r->upstream_states ? r->upstream_states->nelts
                                                 : 0;
        }
    }

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_gw502_module);

    if (!glcf->enable) {
        return NGX_DECLINED;
    }

    gmcf = ngx_http_get_module_main_conf(r, ngx_http_gw502_module);

    if (gmcf->classifier == NULL) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_gw502_get_ctx(r);

    if (ctx == NULL) {
        ctx = ngx_http_gw502_create_ctx(r);
        if (ctx == NULL) {
            return NGX_DECLINED;
        }

        ctx->classifier = gmcf->classifier;
    }

    ctx->conf = glcf;

    log = r->connection->log;

    if (log->writer == ngx_http_gw502_log_writer) {
        log->wdata = ctx;
        return NGX_DECLINED;
    }

    rest = ngx_palloc(r->pool, sizeof(ngx_log_t));
    if (rest == NULL) {
        return NGX_DECLINED;
    }

    *rest = *log;

    log->writer = ngx_http_gw502_log_writer;
    log->wdata = ctx;
    log->next = rest;

    /*
     * ngx_log_error() checks the head's level only: raise it so that an
     * "error_log ... crit" location still shows us its error lines; the
     * moved original keeps its level and the chain walk stops there.
     * Debug levels are above NGX_LOG_ERR and stay as they are.
     */

    if (log->log_level < NGX_LOG_ERR) {
        log->log_level = NGX_LOG_ERR;
    }

    ctx->log = log;
    ctx->rest = rest;

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_gw502_header_filter(ngx_http_request_t *r)
{
    ngx_table_elt_t       *h;
    ngx_http_gw502_ctx_t  *ctx;

    if (r != r->main
        || (r->headers_out.status != NGX_HTTP_BAD_GATEWAY
            && r->headers_out.status != NGX_HTTP_GATEWAY_TIME_OUT))
    {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_gw502_final(r);

    if (ctx == NULL || ctx->conf->header.len == 0) {
        return ngx_http_next_header_filter(r);
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key = ctx->conf->header;
    h->lowcase_key = ctx->conf->header_lc;
    h->value.data = (u_char *) ctx->cause;
    h->value.len = ngx_strlen(ctx->cause);

    return ngx_http_next_header_filter(r);
}


/*
 * The cause, if the main request's response is a 502/504 that nginx
 * generated for the failure whose line we kept. The attempt that decided
 * the status is the last one, or, when an error_page without "=" was
 * served, the last one before it. If that attempt came after the kept line
 * (proxy_next_upstream, error_page = @fallback), then: it got a response
 * header with this very status, so this is the upstream's own 502/504; or it
 * failed without a line we could classify, so the kept cause is stale; only
 * if it got another status (error_page 502 /page served by an upstream) is
 * the kept cause still the one.
 */

static ngx_http_gw502_ctx_t *
ngx_http_gw502_final(ngx_http_request_t *r)
{
    ngx_uint_t                  status, n;
    ngx_http_gw502_ctx_t       *ctx;
    ngx_http_upstream_state_t  *state;

    status = r->headers_out.status;

    if (status != NGX_HTTP_BAD_GATEWAY && status != NGX_HTTP_GATEWAY_TIME_OUT) {
        return NULL;
    }

    ctx = ngx_http_gw502_get_ctx(r);

    if (ctx == NULL || ctx->cause == NULL) {
        return NULL;
    }

    n = r->upstream_states ? r->upstream_states->nelts : 0;

    if (ctx->err_page && ctx->err_states < n) {
        n = ctx->err_states;
    }

    if (n > ctx->states) {
        state = r->upstream_states->elts;
        state = &state[n - 1];

        if (state->header_time == (ngx_msec_t) -1 || state->status == status) {
            return NULL;
        }
    }

    return ctx;
}


/*
 * ngx_http_internal_redirect() and ngx_http_named_location() zero the
 * module contexts: the context lives on as the data of a pool cleanup
 * (as in ngx_http_realip_module).
 */

static ngx_http_gw502_ctx_t *
ngx_http_gw502_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t    *cln;
    ngx_http_gw502_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_gw502_module);

    if (ctx != NULL) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_gw502_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_gw502_module);
            return ctx;
        }
    }

    return NULL;
}


static ngx_http_gw502_ctx_t *
ngx_http_gw502_create_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t    *cln;
    ngx_http_gw502_ctx_t  *ctx;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_gw502_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_gw502_ctx_t));

    ctx->request = r;

    cln->handler = ngx_http_gw502_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_gw502_module);

    return ctx;
}


/*
 * Runs in ngx_destroy_pool(r->pool), after the log phase. An HTTP/1.1
 * keepalive connection's log outlives the request: give the head back its
 * original fields, unless a location change already did.
 */

static void
ngx_http_gw502_cleanup(void *data)
{
    ngx_http_gw502_ctx_t *ctx = data;

    ngx_log_t  *log;

    log = ctx->log;

    if (log == NULL
        || log->writer != ngx_http_gw502_log_writer
        || log->wdata != ctx)
    {
        return;
    }

    log->file = ctx->rest->file;
    log->next = ctx->rest->next;
    log->writer = ctx->rest->writer;
    log->wdata = ctx->rest->wdata;
    log->log_level = ctx->rest->log_level;

    ctx->log = NULL;
}


/* catalogue ids only: never anything else reaches a response header */

static ngx_uint_t
ngx_http_gw502_is_id(const char *s)
{
    const u_char  *p;

    if (s == NULL || *s == '\0') {
        return 0;
    }

    for (p = (const u_char *) s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')
            || *p == '_' || *p == '-' || *p == '.'
            || (*p >= 'A' && *p <= 'Z'))
        {
            continue;
        }

        return 0;
    }

    return (p - (const u_char *) s) <= 64;
}


static ngx_int_t
ngx_http_gw502_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    const char            *s;
    ngx_http_gw502_ctx_t  *ctx;

    /* a subrequest (log_subrequest on, SSI) has no cause of its own */

    ctx = (r == r->main) ? ngx_http_gw502_final(r) : NULL;

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (data == 0) ? ctx->cause : ctx->rule;

    v->len = ngx_strlen(s);
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = (u_char *) s;

    return NGX_OK;
}


static char *
ngx_http_gw502_header(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_gw502_loc_conf_t *glcf = conf;

    u_char     *p;
    ngx_str_t  *value;

    if (glcf->header.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        ngx_str_set(&glcf->header, "");
        return NGX_CONF_OK;
    }

    if (value[1].len == 0 || value[1].len > 64) {
        return "has an invalid header name";
    }

    /* an RFC 9110 token */

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
            || (*p >= '0' && *p <= '9')
            || (*p != '\0' && ngx_strchr("!#$%&'*+-.^_`|~", *p)))
        {
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid header name \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    glcf->header = value[1];

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_gw502_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_gw502_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_gw502_init(ngx_conf_t *cf)
{
    char                         err[NGX_HTTP_GW502_ERRLEN];
    u_char                      *path;
    ngx_str_t                    name;
    ngx_pool_cleanup_t          *cln;
    ngx_http_handler_pt         *h;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_http_gw502_main_conf_t  *gmcf;

    gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_gw502_module);

    if (!gmcf->used) {
        return NGX_OK;
    }

    /* one classifier per cycle, made in the master, inherited by workers */

    path = NULL;

    if (gmcf->catalogue.len) {
        name = gmcf->catalogue;

        if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
            return NGX_ERROR;
        }

        path = ngx_pnalloc(cf->pool, name.len + 1);
        if (path == NULL) {
            return NGX_ERROR;
        }

        ngx_cpystrn(path, name.data, name.len + 1);
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    err[0] = '\0';

    gmcf->classifier = gw502_classifier_new((const char *) path, err,
                                            sizeof(err));

    if (gmcf->classifier == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "gw502: cannot load the catalogue: %s", err);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_gw502_free_classifier;
    cln->data = gmcf->classifier;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_gw502_handler;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_gw502_header_filter;

    return NGX_OK;
}


static void *
ngx_http_gw502_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_gw502_main_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_gw502_main_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->catalogue = { 0, NULL };
     *     conf->classifier = NULL;
     *     conf->used = 0;
     */

    return conf;
}


static void *
ngx_http_gw502_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_gw502_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_gw502_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->header = { 0, NULL };
     *     conf->header_lc = NULL;
     */

    conf->enable = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_gw502_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_gw502_loc_conf_t *prev = parent;
    ngx_http_gw502_loc_conf_t *conf = child;

    ngx_http_gw502_main_conf_t  *gmcf;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_str_value(conf->header, prev->header,
                             NGX_HTTP_GW502_HEADER);

    if (conf->header.len && conf->header_lc == NULL) {
        conf->header_lc = ngx_pnalloc(cf->pool, conf->header.len);
        if (conf->header_lc == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_strlow(conf->header_lc, conf->header.data, conf->header.len);
    }

    if (conf->enable) {
        gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_gw502_module);
        gmcf->used = 1;
    }

    return NGX_CONF_OK;
}


static void
ngx_http_gw502_free_classifier(void *data)
{
    gw502_classifier_free(data);
}
