/* skiff: libcurl, loaded the first time it is used.
 *
 * libcurl and what it links (GnuTLS, Kerberos, LDAP, ICU...) cost every
 * program that links them about 6 ms at start, measured here: more than a
 * whole `skiff ps`. Only pulls, pushes and logins talk to registries, so the
 * registry code includes this header instead of <curl/curl.h>: each curl_*
 * function it calls is a wrapper of curl-lazy.c that dlopen()s libcurl.so.4
 * once and calls the real one. When the library cannot be loaded, the
 * wrappers fail as libcurl does when out of memory (NULL handles,
 * CURLE_FAILED_INIT), and sk_curl_load_error says why. */
#ifndef SKIFF_IMAGE_CURL_LAZY_H
#define SKIFF_IMAGE_CURL_LAZY_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

/* NULL once libcurl is loaded, else why it could not be. */
const char *sk_curl_load_error (void);

#define curl_global_init sk_curl_global_init
#define curl_easy_init sk_curl_easy_init
#define curl_easy_cleanup sk_curl_easy_cleanup
#define curl_easy_perform sk_curl_easy_perform
#undef curl_easy_setopt /* curl.h's own function-like macros */
#undef curl_easy_getinfo
#define curl_easy_setopt sk_curl_easy_setopt
#define curl_easy_getinfo sk_curl_easy_getinfo
#define curl_easy_strerror sk_curl_easy_strerror
#define curl_free sk_curl_free
#define curl_multi_init sk_curl_multi_init
#define curl_multi_cleanup sk_curl_multi_cleanup
#define curl_multi_add_handle sk_curl_multi_add_handle
#define curl_multi_remove_handle sk_curl_multi_remove_handle
#define curl_multi_perform sk_curl_multi_perform
#define curl_multi_poll sk_curl_multi_poll
#define curl_multi_info_read sk_curl_multi_info_read
#define curl_slist_append sk_curl_slist_append
#define curl_slist_free_all sk_curl_slist_free_all
#define curl_url sk_curl_url
#define curl_url_cleanup sk_curl_url_cleanup
#define curl_url_get sk_curl_url_get
#define curl_url_set sk_curl_url_set

CURLcode curl_global_init (long flags);
CURL *curl_easy_init (void);
void curl_easy_cleanup (CURL *h);
CURLcode curl_easy_perform (CURL *h);
CURLcode curl_easy_setopt (CURL *h, CURLoption option, ...);
CURLcode curl_easy_getinfo (CURL *h, CURLINFO info, ...);
const char *curl_easy_strerror (CURLcode code);
void curl_free (void *p);
CURLM *curl_multi_init (void);
CURLMcode curl_multi_cleanup (CURLM *m);
CURLMcode curl_multi_add_handle (CURLM *m, CURL *h);
CURLMcode curl_multi_remove_handle (CURLM *m, CURL *h);
CURLMcode curl_multi_perform (CURLM *m, int *running);
CURLMcode curl_multi_poll (CURLM *m, struct curl_waitfd extra[], unsigned n, int timeout_ms, int *ret);
CURLMsg *curl_multi_info_read (CURLM *m, int *left);
struct curl_slist *curl_slist_append (struct curl_slist *list, const char *s);
void curl_slist_free_all (struct curl_slist *list);
CURLU *curl_url (void);
void curl_url_cleanup (CURLU *u);
CURLUcode curl_url_get (CURLU *u, CURLUPart what, char **part, unsigned int flags);
CURLUcode curl_url_set (CURLU *u, CURLUPart what, const char *part, unsigned int flags);

#endif
