/* skiff: libcurl loaded on first use (see curl-lazy.h). */
#include "curl-lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>

static struct {
  const char *error;
  CURLcode (*global_init) (long);
  CURL *(*easy_init) (void);
  void (*easy_cleanup) (CURL *);
  CURLcode (*easy_perform) (CURL *);
  CURLcode (*easy_setopt) (CURL *, CURLoption, ...);
  CURLcode (*easy_getinfo) (CURL *, CURLINFO, ...);
  const char *(*easy_strerror) (CURLcode);
  void (*free) (void *);
  CURLM *(*multi_init) (void);
  CURLMcode (*multi_cleanup) (CURLM *);
  CURLMcode (*multi_add_handle) (CURLM *, CURL *);
  CURLMcode (*multi_remove_handle) (CURLM *, CURL *);
  CURLMcode (*multi_perform) (CURLM *, int *);
  CURLMcode (*multi_poll) (CURLM *, struct curl_waitfd[], unsigned, int, int *);
  CURLMsg *(*multi_info_read) (CURLM *, int *);
  struct curl_slist *(*slist_append) (struct curl_slist *, const char *);
  void (*slist_free_all) (struct curl_slist *);
  CURLU *(*url) (void);
  void (*url_cleanup) (CURLU *);
  CURLUcode (*url_get) (CURLU *, CURLUPart, char **, unsigned int);
  CURLUcode (*url_set) (CURLU *, CURLUPart, const char *, unsigned int);
} fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;

#define LOAD(field, name)                                                                          \
  do {                                                                                             \
    *(void **) &fn.field = dlsym (lib, name);                                                      \
    if (fn.field == NULL)                                                                          \
      missing = name;                                                                              \
  } while (0)

static void
load (void)
{
  void *lib = dlopen ("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fn.error = "libcurl.so.4 cannot be loaded (Debian's libcurl4)";
    return;
  }
  const char *missing = NULL;
  LOAD (global_init, "curl_global_init");
  LOAD (easy_init, "curl_easy_init");
  LOAD (easy_cleanup, "curl_easy_cleanup");
  LOAD (easy_perform, "curl_easy_perform");
  LOAD (easy_setopt, "curl_easy_setopt");
  LOAD (easy_getinfo, "curl_easy_getinfo");
  LOAD (easy_strerror, "curl_easy_strerror");
  LOAD (free, "curl_free");
  LOAD (multi_init, "curl_multi_init");
  LOAD (multi_cleanup, "curl_multi_cleanup");
  LOAD (multi_add_handle, "curl_multi_add_handle");
  LOAD (multi_remove_handle, "curl_multi_remove_handle");
  LOAD (multi_perform, "curl_multi_perform");
  LOAD (multi_poll, "curl_multi_poll");
  LOAD (multi_info_read, "curl_multi_info_read");
  LOAD (slist_append, "curl_slist_append");
  LOAD (slist_free_all, "curl_slist_free_all");
  LOAD (url, "curl_url");
  LOAD (url_cleanup, "curl_url_cleanup");
  LOAD (url_get, "curl_url_get");
  LOAD (url_set, "curl_url_set");
  if (missing) {
    fn.error = "libcurl.so.4 lacks a function skiff needs (older than 7.88?)";
    fn.easy_init = NULL; /* every wrapper checks it */
  }
}

/* Whether libcurl is there (loading it the first time). */
static int
ready (void)
{
  pthread_once (&once, load);
  return fn.error == NULL;
}

const char *
sk_curl_load_error (void)
{
  ready ();
  return fn.error;
}

CURLcode
curl_global_init (long flags)
{
  return ready () ? fn.global_init (flags) : CURLE_FAILED_INIT;
}

CURL *
curl_easy_init (void)
{
  return ready () ? fn.easy_init () : NULL;
}

void
curl_easy_cleanup (CURL *h)
{
  if (h && ready ())
    fn.easy_cleanup (h);
}

CURLcode
curl_easy_perform (CURL *h)
{
  return ready () ? fn.easy_perform (h) : CURLE_FAILED_INIT;
}

/* The third argument's type follows from the option's number (libcurl's own
 * rule): long, a pointer, a function pointer, curl_off_t, a blob pointer. */
CURLcode
curl_easy_setopt (CURL *h, CURLoption option, ...)
{
  if (!ready ())
    return CURLE_FAILED_INIT;
  va_list ap;
  va_start (ap, option);
  CURLcode r;
  if (option < CURLOPTTYPE_OBJECTPOINT)
    r = fn.easy_setopt (h, option, va_arg (ap, long));
  else if (option < CURLOPTTYPE_FUNCTIONPOINT || option >= CURLOPTTYPE_BLOB)
    r = fn.easy_setopt (h, option, va_arg (ap, void *));
  else if (option < CURLOPTTYPE_OFF_T)
    r = fn.easy_setopt (h, option, va_arg (ap, void (*) (void)));
  else
    r = fn.easy_setopt (h, option, va_arg (ap, curl_off_t));
  va_end (ap);
  return r;
}

/* Every CURLINFO takes a pointer. */
CURLcode
curl_easy_getinfo (CURL *h, CURLINFO info, ...)
{
  if (!ready ())
    return CURLE_FAILED_INIT;
  va_list ap;
  va_start (ap, info);
  CURLcode r = fn.easy_getinfo (h, info, va_arg (ap, void *));
  va_end (ap);
  return r;
}

const char *
curl_easy_strerror (CURLcode code)
{
  return ready () ? fn.easy_strerror (code) : fn.error;
}

void
curl_free (void *p)
{
  if (p && ready ())
    fn.free (p);
}

CURLM *
curl_multi_init (void)
{
  return ready () ? fn.multi_init () : NULL;
}

CURLMcode
curl_multi_cleanup (CURLM *m)
{
  return ready () ? fn.multi_cleanup (m) : CURLM_BAD_HANDLE;
}

CURLMcode
curl_multi_add_handle (CURLM *m, CURL *h)
{
  return ready () ? fn.multi_add_handle (m, h) : CURLM_BAD_HANDLE;
}

CURLMcode
curl_multi_remove_handle (CURLM *m, CURL *h)
{
  return ready () ? fn.multi_remove_handle (m, h) : CURLM_BAD_HANDLE;
}

CURLMcode
curl_multi_perform (CURLM *m, int *running)
{
  return ready () ? fn.multi_perform (m, running) : CURLM_BAD_HANDLE;
}

CURLMcode
curl_multi_poll (CURLM *m, struct curl_waitfd extra[], unsigned n, int timeout_ms, int *ret)
{
  return ready () ? fn.multi_poll (m, extra, n, timeout_ms, ret) : CURLM_BAD_HANDLE;
}

CURLMsg *
curl_multi_info_read (CURLM *m, int *left)
{
  return ready () ? fn.multi_info_read (m, left) : NULL;
}

struct curl_slist *
curl_slist_append (struct curl_slist *list, const char *s)
{
  return ready () ? fn.slist_append (list, s) : NULL;
}

void
curl_slist_free_all (struct curl_slist *list)
{
  if (list && ready ())
    fn.slist_free_all (list);
}

CURLU *
curl_url (void)
{
  return ready () ? fn.url () : NULL;
}

void
curl_url_cleanup (CURLU *u)
{
  if (u && ready ())
    fn.url_cleanup (u);
}

CURLUcode
curl_url_get (CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
  return ready () ? fn.url_get (u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode
curl_url_set (CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
  return ready () ? fn.url_set (u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}
