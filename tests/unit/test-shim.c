/* Unit tests: the shim's json-file records (escaping, time stamps,
 * rotation), its exit codes for failures to start, the lines of the event
 * log, the kernel's OOM records it believes, and the restart policies with
 * Docker's back-off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/events.h"
#include "engine/jsonlog.h"
#include "engine/logfile.h"
#include "engine/shim.h"
#include "engine/shim-oom.h"
#include "engine/shim-int.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define CASE(in, want) {in, sizeof in - 1, want}

static void
test_escape (void **state)
{
  static const struct {
    const char *in;
    size_t len;
    const char *want;
  } cases[] = {
      CASE ("plain text\n", "plain text\\n"),
      CASE ("\"q\" \\ \t\r", "\\\"q\\\" \\\\ \\t\\r"),
      CASE ("\x01\x1f\x7f", "\\u0001\\u001f\x7f"),
      CASE ("a\0b", "a\\u0000b"),
      CASE ("<a&b>", "\\u003ca\\u0026b\\u003e"),
      /* valid UTF-8 as it is; U+2028 and U+2029 escaped */
      CASE ("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
      CASE ("\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029"),
      /* invalid: a lone continuation, an overlong form, a surrogate, beyond
       * U+10FFFF, a sequence cut at the end: each byte that starts no valid
       * sequence is one U+FFFD */
      CASE ("\x80", "\\ufffd"),
      CASE ("\xc0\xaf", "\\ufffd\\ufffd"),
      CASE ("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"),
      CASE ("\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"),
      CASE ("a\xe2\x82", "a\\ufffd\\ufffd"),
      CASE ("\xff" "b", "\\ufffdb"),
  };
  for (size_t i = 0; i < SK_N_ELEMENTS (cases); i++) {
    char out[6 * 64 + 1];
    size_t n = sk_jsonlog_escape (cases[i].in, cases[i].len, out);
    out[n] = '\0';
    assert_string_equal (out, cases[i].want);
  }
}

static void
test_time (void **state)
{
  char buf[SK_JSONLOG_TIME_SIZE];
  time_t before = time (NULL);
  sk_jsonlog_time (buf);
  time_t after = time (NULL);
  assert_int_equal (strlen (buf), 30);
  struct tm tm = {0};
  char *rest = strptime (buf, "%Y-%m-%dT%H:%M:%S", &tm);
  assert_non_null (rest);
  assert_int_equal (rest[0], '.');
  assert_int_equal (rest[10], 'Z');
  time_t t = timegm (&tm);
  assert_true (t >= before && t <= after);
}

static char *
read_all (const char *path)
{
  char *data = NULL;
  size_t len = 0;
  _cleanup_err_ sk_err *err = NULL;
  if (sk_read_file (path, &data, &len, &err) < 0)
    return NULL;
  return data;
}

static void
test_records_and_rotation (void **state)
{
  char dir[] = "/tmp/skiff-test-jsonlog-XXXXXX";
  assert_non_null (mkdtemp (dir));
  _cleanup_free_ char *path = sk_path_join (dir, "log");
  static sk_jsonlog l;
  _cleanup_err_ sk_err *err = NULL;
  const char *t = "2026-11-29T07:10:00.123456789Z";
  assert_int_equal (sk_jsonlog_open (&l, path, 0, 1, false, false, &err), 0);
  assert_int_equal (sk_jsonlog_add (&l, "stdout", "hi\n", 3, t, &err), 0);
  assert_int_equal (sk_jsonlog_add (&l, "stderr", "x", 1, t, &err), 0);
  assert_int_equal (sk_jsonlog_close (&l, &err), 0);
  _cleanup_free_ char *doc = read_all (path);
  assert_string_equal (doc, "{\"log\":\"hi\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-29T07:10:00."
                            "123456789Z\"}\n{\"log\":\"x\",\"stream\":\"stderr\",\"time\":\"2026-11-"
                            "29T07:10:00.123456789Z\"}\n");
  size_t rec = (size_t) (strchr (doc, '\n') - doc) + 1; /* the first record */
  /* three records fit in no file of 2 * rec - 1 bytes: one a file, 3 kept */
  unlink (path);
  assert_int_equal (sk_jsonlog_open (&l, path, 2 * rec - 1, 3, false, false, &err), 0);
  for (int i = 0; i < 4; i++)
    assert_int_equal (sk_jsonlog_add (&l, "stdout", i % 2 ? "hi\n" : "ho\n", 3, t, &err), 0);
  assert_int_equal (sk_jsonlog_close (&l, &err), 0);
  char p[4096];
  struct stat st;
  for (int i = 0; i < 3; i++) {
    snprintf (p, sizeof p, i ? "%s.%d" : "%s", path, i);
    assert_int_equal (stat (p, &st), 0);
    assert_int_equal (st.st_size, rec);
    unlink (p);
  }
  snprintf (p, sizeof p, "%s.3", path);
  assert_int_equal (stat (p, &st), -1);
  /* one file kept: emptied */
  assert_int_equal (sk_jsonlog_open (&l, path, 2 * rec - 1, 1, false, false, &err), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal (sk_jsonlog_add (&l, "stdout", "hi\n", 3, t, &err), 0);
  assert_int_equal (sk_jsonlog_close (&l, &err), 0);
  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_size, rec);
  unlink (path);
  rmdir (dir);
}

static void
test_local_records (void **state)
{
  char dir[] = "/tmp/skiff-test-locallog-XXXXXX";
  assert_non_null (mkdtemp (dir));
  _cleanup_free_ char *path = sk_path_join (dir, "log");
  static sk_jsonlog l;
  _cleanup_err_ sk_err *err = NULL;
  const char *t = "2026-11-29T07:10:00.123456789Z";
  int64_t ns = 0;
  char back[SK_JSONLOG_TIME_SIZE];
  assert_int_equal (sk_log_parse_time (t, &ns), 0);
  sk_log_format_time (ns, back);
  assert_string_equal (back, t);
  assert_int_equal (sk_log_parse_time ("2026-11-29T07:10:00Z", &ns), -1);
  /* two records, rotated into two files (one record a file), compressed */
  assert_int_equal (sk_jsonlog_open (&l, path, 40, 3, true, true, &err), 0);
  assert_int_equal (sk_jsonlog_add (&l, "stdout", "hi\n", 3, t, &err), 0);
  assert_int_equal (sk_jsonlog_add (&l, "stderr", "there", 5, t, &err), 0);
  assert_int_equal (sk_jsonlog_close (&l, &err), 0);
  char p[4096];
  snprintf (p, sizeof p, "%s.1", path);
  FILE *f = sk_log_open_any (p); /* PATH.1.gz */
  assert_non_null (f);
  char *buf = NULL;
  size_t alloc = 0;
  sk_log_record rec;
  assert_int_equal (sk_locallog_next (f, &buf, &alloc, &rec), 1);
  assert_int_equal (rec.stream, SK_LOG_STDOUT);
  assert_true (rec.len == 3 && memcmp (rec.data, "hi\n", 3) == 0);
  sk_log_parse_time (t, &ns);
  assert_true (rec.time_ns == ns);
  assert_int_equal (sk_locallog_next (f, &buf, &alloc, &rec), 0);
  fclose (f);
  f = fopen (path, "r+");
  assert_non_null (f);
  assert_int_equal (sk_locallog_next (f, &buf, &alloc, &rec), 1);
  assert_int_equal (rec.stream, SK_LOG_STDERR);
  assert_true (rec.len == 5 && memcmp (rec.data, "there", 5) == 0);
  /* walked backwards: the one record starts the file */
  size_t found;
  assert_int_equal (sk_locallog_tail (f, 5, &found), 0);
  assert_int_equal (found, 1);
  assert_int_equal (sk_locallog_tail (f, 0, &found), (long) (SK_LOCALLOG_OVERHEAD + 5));
  assert_int_equal (found, 0);
  /* a record cut short is not read (yet); one whose lengths differ is damaged */
  fclose (f);
  assert_int_equal (truncate (path, SK_LOCALLOG_OVERHEAD + 4), 0);
  f = fopen (path, "r+");
  assert_non_null (f);
  assert_int_equal (sk_locallog_next (f, &buf, &alloc, &rec), 0);
  assert_int_equal (ftell (f), 0);
  char bad[64];
  size_t n = sk_locallog_encode (bad, SK_LOG_STDOUT, 1, "abc", 3);
  bad[n - 4] = 9;
  assert_int_equal (ftruncate (fileno (f), 0), 0);
  assert_int_equal (fwrite (bad, 1, n, f), n);
  fflush (f);
  rewind (f);
  assert_int_equal (sk_locallog_next (f, &buf, &alloc, &rec), -1);
  fclose (f);
  free (buf);
  unlink (path);
  snprintf (p, sizeof p, "%s.1.gz", path);
  unlink (p);
  rmdir (dir);
}

static void
test_failure_codes (void **state)
{
  assert_int_equal (sk_shim_failure_code ("exec: `x`: executable file not found in $PATH"), 127);
  assert_int_equal (sk_shim_failure_code ("exec: `/x`: No such file or directory"), 127);
  assert_int_equal (sk_shim_failure_code ("exec: `/etc`: Is a directory"), 126);
  assert_int_equal (sk_shim_failure_code ("exec: `/etc/passwd`: Permission denied"), 126);
  assert_int_equal (sk_shim_failure_code ("exec `/bin/sh`: Permission denied"), 126);
  assert_int_equal (sk_shim_failure_code ("mount `/x`: No such file or directory"), 125);
  assert_int_equal (sk_shim_failure_code ("process.cwd `/etc/passwd`: Not a directory"), 125);
}

static void
test_event_lines (void **state)
{
  char dir[] = "/tmp/skiff-test-events-XXXXXX";
  assert_non_null (mkdtemp (dir));
  _cleanup_free_ char *path = sk_path_join (dir, "events.log");
  _cleanup_err_ sk_err *err = NULL;
  /* sorted by key, a NULL value left out, values escaped */
  sk_event_attr attrs[] = {{"name", "a\"b\n<c>"}, {"exitCode", "3"}, {"label", NULL},
                           {"image", "busybox"}};
  assert_int_equal (sk_event_append (path, "container", "die", "0123", attrs, 4, &err), 0);
  assert_int_equal (sk_event_append (path, "image", "tag", "sha256:ab", NULL, 0, &err), 0);
  _cleanup_free_ char *doc = read_all (path);
  assert_non_null (doc);
  long long secs, ns;
  char *second = strchr (doc, '\n') + 1;
  assert_int_equal (sscanf (strstr (doc, "\"time\":"), "\"time\":%lld,\"timeNano\":%lld}\n", &secs,
                            &ns),
                    2);
  assert_true (secs == ns / 1000000000 && secs >= time (NULL) - 5);
  *strstr (doc, ",\"time\":") = '\0';
  assert_string_equal (doc, "{\"status\":\"die\",\"id\":\"0123\",\"from\":\"busybox\",\"Type\":"
                            "\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"0123\","
                            "\"Attributes\":{\"exitCode\":\"3\",\"image\":\"busybox\",\"name\":"
                            "\"a\\\"b\\n\\u003cc\\u003e\"}},\"scope\":\"local\"");
  /* not a container: none of docker's older fields */
  *strstr (second, ",\"time\":") = '\0';
  assert_string_equal (second, "{\"Type\":\"image\",\"Action\":\"tag\",\"Actor\":{\"ID\":"
                               "\"sha256:ab\",\"Attributes\":{}},\"scope\":\"local\"");
  unlink (path);
  rmdir (dir);
  /* a log that cannot be opened is an error naming it */
  assert_int_equal (sk_event_append (path, "container", "x", "1", NULL, 0, &err), -1);
  assert_non_null (strstr (err->msg, "events.log"));
}

static void
test_oom_records (void **state)
{
  const char *cg = "/skiff/abc";
  pid_t pid = 0;
  char task[64];
  uint64_t usec = 0;
#define KREC(pri, memcg, rest)                                                                     \
  pri ",812,31749411047,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=abc,"        \
      "mems_allowed=0,oom_memcg=" memcg ",task_memcg=" memcg rest "\n SUBSYSTEM=x\n"
  /* the kernel's record of a task in the cgroup */
  assert_true (sk_shim_oom_record (KREC ("3", "/skiff/abc", ",task=tail,pid=27442,uid=0"), cg, &pid,
                                   task, sizeof task, &usec));
  assert_int_equal (pid, 27442);
  assert_string_equal (task, "tail");
  assert_int_equal (usec, 31749411047ULL);
  /* seen from above the hierarchy's mount, and in a cgroup below ours */
  assert_true (sk_shim_oom_record (KREC ("6", "/host/skiff/abc/sub", ",task=sh,pid=9,uid=0"), cg,
                                   &pid, task, sizeof task, &usec));
  assert_int_equal (pid, 9);
  /* a name with commas and pid= in it: the pid is the kernel's, the last */
  assert_true (sk_shim_oom_record (KREC ("3", "/skiff/abc", ",task=a,pid=1,pid=77,uid=0"), cg, &pid,
                                   task, sizeof task, &usec));
  assert_int_equal (pid, 77);
  assert_string_equal (task, "a,pid=1");
  /* another cgroup, one whose name only begins as ours */
  assert_false (sk_shim_oom_record (KREC ("3", "/skiff/other", ",task=sh,pid=9,uid=0"), cg, &pid,
                                    task, sizeof task, &usec));
  assert_false (sk_shim_oom_record (KREC ("3", "/skiff/abcdef", ",task=sh,pid=9,uid=0"), cg, &pid,
                                    task, sizeof task, &usec));
  /* what a process wrote to /dev/kmsg: the user facility (priority >= 8) */
  assert_false (sk_shim_oom_record (KREC ("12", "/skiff/abc", ",task=sh,pid=9,uid=0"), cg, &pid,
                                    task, sizeof task, &usec));
  /* not an oom-kill record, malformed ones */
  assert_false (sk_shim_oom_record ("3,1,2,-;Out of memory: Killed process 9 (sh)\n", cg, &pid,
                                    task, sizeof task, &usec));
  assert_false (sk_shim_oom_record (KREC ("3", "/skiff/abc", ",task=sh,pid=x,uid=0"), cg, &pid,
                                    task, sizeof task, &usec));
  assert_false (sk_shim_oom_record (KREC ("3", "/skiff/abc", ",pid=9,uid=0"), cg, &pid, task,
                                    sizeof task, &usec));
  assert_false (sk_shim_oom_record ("oom-kill:task_memcg=/skiff/abc,task=sh,pid=9", cg, &pid, task,
                                    sizeof task, &usec));
  assert_false (sk_shim_oom_record (KREC ("3", "/skiff/abc", ",task=sh,pid=9,uid=0"), "", &pid,
                                    task, sizeof task, &usec));
#undef KREC
}

/* Docker's restart manager: 100 ms doubled up to a minute, back to 100 ms
 * after a run of 10 s; on-failure only for a non-zero exit, at most N. */
static void
test_restart_policy (void **state)
{
  char dir[] = "/tmp/skiff-test-restart-XXXXXX";
  assert_non_null (mkdtemp (dir));
  sk_shim_opts o = {.state_dir = dir, .restart = "always"};
  sk_shim_restart r = {0};
  int64_t delay = 0;
  static const int64_t want[] = {100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000};
  for (size_t i = 0; i < SK_N_ELEMENTS (want); i++) {
    assert_true (sk_shim_restart_decide (&o, &r, 0, 50, &delay));
    assert_int_equal (delay, want[i]);
  }
  assert_int_equal (r.count, SK_N_ELEMENTS (want));
  assert_true (sk_shim_restart_decide (&o, &r, 1, 10000, &delay));
  assert_int_equal (delay, 100);
  /* on-failure:2 */
  o.restart = "on-failure";
  o.restart_max = 2;
  r = (sk_shim_restart){0};
  assert_false (sk_shim_restart_decide (&o, &r, 0, 50, &delay));
  assert_true (sk_shim_restart_decide (&o, &r, 3, 50, &delay));
  assert_true (sk_shim_restart_decide (&o, &r, 3, 50, &delay));
  assert_false (sk_shim_restart_decide (&o, &r, 3, 50, &delay));
  /* no, and a container a user stopped */
  o.restart = "no";
  assert_false (sk_shim_restart_decide (&o, &r, 1, 50, &delay));
  o.restart = "unless-stopped";
  assert_true (sk_shim_restart_decide (&o, &r, 0, 50, &delay));
  _cleanup_free_ char *mark = sk_path_join (dir, "stopped");
  FILE *f = fopen (mark, "w");
  assert_non_null (f);
  fclose (f);
  assert_false (sk_shim_restart_decide (&o, &r, 0, 50, &delay));
  o.restart = "always";
  assert_false (sk_shim_restart_decide (&o, &r, 1, 50, &delay));
  unlink (mark);
  rmdir (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_escape),
      cmocka_unit_test (test_time),
      cmocka_unit_test (test_records_and_rotation),
      cmocka_unit_test (test_local_records),
      cmocka_unit_test (test_failure_codes),
      cmocka_unit_test (test_event_lines),
      cmocka_unit_test (test_oom_records),
      cmocka_unit_test (test_restart_policy),
  };
  return cmocka_run_group_tests_name ("shim", tests, NULL, NULL);
}
