/* Unit tests: `skiff run`/`create` flags into the create body, and docker's
 * messages for bad ones. Each case parses a command line in the same
 * process, so the parser is also shown to keep no state between calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/run-flags.h"
#include "util/cleanup.h"
#include "util/json.h"

/* A command line: "run" or "create", then the words split at '|'. */
static int
parse (const char *cmd, const char *words, sk_json **body, sk_run_cli *cli, sk_err **err)
{
  char *copy = strdup (words);
  char *argv[64] = {(char *) cmd};
  int argc = 1;
  for (char *save = NULL, *w = strtok_r (copy, "|", &save); w; w = strtok_r (NULL, "|", &save))
    argv[argc++] = strcmp (w, "''") == 0 ? (char *) "" : w;
  argv[argc] = NULL;
  int r = sk_run_flags_parse (argc, argv, body, cli, err);
  /* cli's strings point into the words: kept until the next parse */
  static char *last;
  free (last);
  last = copy;
  return r;
}

/* The compact JSON at a dotted path of the body ("HostConfig.Memory"), or
 * "absent". */
static char *
at (sk_json *body, const char *path)
{
  _cleanup_free_ char *p = strdup (path);
  sk_json *o = body;
  for (char *save = NULL, *k = strtok_r (p, ".", &save); k; k = strtok_r (NULL, ".", &save))
    if (!json_object_object_get_ex (o, k, &o))
      return strdup ("absent");
  return sk_json_dump (o, false);
}

typedef struct {
  const char *words, *path, *json;
} ok_case;

typedef struct {
  const char *words, *message;
} bad_case;

static void
check_ok (const char *cmd, const ok_case *cases, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    sk_json *body = NULL;
    sk_run_cli cli;
    _cleanup_err_ sk_err *err = NULL;
    int r = parse (cmd, cases[i].words, &body, &cli, &err);
    if (r != 0)
      fail_msg ("%s: %s", cases[i].words, err ? err->msg : "no error");
    _cleanup_free_ char *got = at (body, cases[i].path);
    if (strcmp (got, cases[i].json) != 0)
      fail_msg ("%s: %s is %s, not %s", cases[i].words, cases[i].path, got, cases[i].json);
    json_object_put (body);
  }
}

static void
check_bad (const char *cmd, const bad_case *cases, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    sk_json *body = NULL;
    sk_run_cli cli;
    _cleanup_err_ sk_err *err = NULL;
    int r = parse (cmd, cases[i].words, &body, &cli, &err);
    if (r != -1 || err == NULL)
      fail_msg ("%s: accepted", cases[i].words);
    if (strcmp (err->msg, cases[i].message) != 0)
      fail_msg ("%s: \"%s\", not \"%s\"", cases[i].words, err->msg, cases[i].message);
    assert_null (body);
  }
}

#define OK(cmd, cases)  check_ok (cmd, cases, sizeof cases / sizeof cases[0])
#define BAD(cmd, cases) check_bad (cmd, cases, sizeof cases / sizeof cases[0])

static void
test_image_command_and_defaults (void **state)
{
  static const ok_case cases[] = {
      {"busybox", "Image", "\"busybox\""},
      {"busybox", "Cmd", "absent"},
      {"busybox", "HostConfig.NetworkMode", "\"default\""},
      {"busybox", "AttachStdout", "true"},
      {"busybox", "OpenStdin", "false"},
      {"busybox|sh|-c|echo hi", "Cmd", "[\"sh\",\"-c\",\"echo hi\"]"},
      {"busybox|-m|1g", "Cmd", "[\"-m\",\"1g\"]"},
      {"busybox|-m|1g", "HostConfig.Memory", "absent"},
      {"--|busybox|ls", "Cmd", "[\"ls\"]"},
      {"-it|busybox", "Tty", "true"},
      {"-it|busybox", "AttachStdin", "true"},
      {"-it|busybox", "StdinOnce", "true"},
      {"-dit|busybox", "AttachStdin", "false"},
      {"-dit|busybox", "AttachStdout", "false"},
      {"-dit|busybox", "OpenStdin", "true"},
      {"-dit|busybox", "StdinOnce", "false"},
      {"-t=false|busybox", "Tty", "false"},
      {"--tty=true|busybox", "Tty", "true"},
      {"--entrypoint|/bin/sh|busybox", "Entrypoint", "[\"/bin/sh\"]"},
      {"--entrypoint=|busybox", "Entrypoint", "[\"\"]"},
      {"--entrypoint|''|busybox", "Entrypoint", "[\"\"]"},
      {"--rm|busybox", "HostConfig.AutoRemove", "true"},
      {"--init|busybox", "HostConfig.Init", "true"},
  };
  OK ("run", cases);
  static const ok_case create_cases[] = {
      {"-i|busybox", "AttachStdin", "true"},
      {"-i|busybox", "AttachStdout", "true"},
      {"-i|busybox", "StdinOnce", "true"},
  };
  OK ("create", create_cases);
}

static void
test_cli_fields (void **state)
{
  sk_json *body = NULL;
  sk_run_cli cli;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (parse ("run",
                           "-dq|--name|web|--cidfile|/tmp/c|--detach-keys|ctrl-x|--sig-proxy=false|"
                           "--platform|linux/amd64|--pull|never|busybox",
                           &body, &cli, &err),
                    0);
  assert_true (cli.detach);
  assert_true (cli.quiet);
  assert_false (cli.sig_proxy);
  assert_string_equal (cli.name, "web");
  assert_string_equal (cli.cidfile, "/tmp/c");
  assert_string_equal (cli.detach_keys, "ctrl-x");
  assert_string_equal (cli.platform, "linux/amd64");
  assert_string_equal (cli.pull, "never");
  json_object_put (body);
  body = NULL;
  assert_int_equal (parse ("create", "busybox", &body, &cli, &err), 0);
  assert_false (cli.detach);
  assert_true (cli.sig_proxy);
  assert_string_equal (cli.pull, "missing");
  assert_null (cli.name);
  json_object_put (body);
}

static void
test_help (void **state)
{
  sk_json *body = NULL;
  sk_run_cli cli;
  _cleanup_err_ sk_err *err = NULL;
  fflush (stdout);
  int saved = dup (1);
  FILE *tmp = tmpfile ();
  dup2 (fileno (tmp), 1);
  int r = parse ("run", "-m|1g|--help|busybox", &body, &cli, &err);
  fflush (stdout);
  dup2 (saved, 1);
  close (saved);
  assert_int_equal (r, 1);
  assert_null (body);
  char buf[16384] = "";
  rewind (tmp);
  size_t n = fread (buf, 1, sizeof buf - 1, tmp);
  buf[n] = '\0';
  fclose (tmp);
  assert_non_null (strstr (buf, "Usage:  skiff run [OPTIONS] IMAGE [COMMAND] [ARG...]"));
  assert_non_null (strstr (buf, "  -m, --memory bytes "));
  assert_non_null (strstr (buf, "      --cpus decimal "));
  assert_non_null (strstr (buf, "  -d, --detach "));
  assert_null (strstr (buf, "--net "));
}

static void
test_config_flags (void **state)
{
  static const ok_case cases[] = {
      {"-w|/src|busybox", "WorkingDir", "\"/src\""},
      {"--workdir=/src|busybox", "WorkingDir", "\"/src\""},
      {"-u|1000:1000|busybox", "User", "\"1000:1000\""},
      {"-h|box|--domainname|example.org|busybox", "Hostname", "\"box\""},
      {"-h|box|--domainname|example.org|busybox", "Domainname", "\"example.org\""},
      {"--group-add|audio|--group-add|100|busybox", "HostConfig.GroupAdd", "[\"audio\",\"100\"]"},
      {"--stop-signal|SIGINT|busybox", "StopSignal", "\"SIGINT\""},
      {"--stop-timeout|30|busybox", "StopTimeout", "30"},
      {"-l|a=1|--label|b|-l|c=x=y|busybox", "Labels", "{\"a\":\"1\",\"b\":\"\",\"c\":\"x=y\"}"},
      {"--privileged|--read-only|busybox", "HostConfig.Privileged", "true"},
      {"--privileged|--read-only|busybox", "HostConfig.ReadonlyRootfs", "true"},
      {"--cap-add|NET_ADMIN|--cap-drop|ALL|busybox", "HostConfig.CapAdd", "[\"NET_ADMIN\"]"},
      {"--cap-add|NET_ADMIN|--cap-drop|ALL|busybox", "HostConfig.CapDrop", "[\"ALL\"]"},
      {"--ipc|host|--pid|container:db|--uts|host|--userns|host|--cgroupns|private|busybox",
       "HostConfig.PidMode", "\"container:db\""},
      {"--ipc|shareable|busybox", "HostConfig.IpcMode", "\"shareable\""},
      {"--cgroupns|host|busybox", "HostConfig.CgroupnsMode", "\"host\""},
      {"--uts|host|busybox", "HostConfig.UTSMode", "\"host\""},
      {"--userns|host|busybox", "HostConfig.UsernsMode", "\"host\""},
      {"--cgroup-parent|/skiff|busybox", "HostConfig.CgroupParent", "\"/skiff\""},
      {"--tmpfs|/run:rw,size=64m|--tmpfs|/tmp|busybox", "HostConfig.Tmpfs",
       "{\"/run\":\"rw,size=64m\",\"/tmp\":\"\"}"},
      {"--sysctl|net.ipv4.ip_forward=1|--sysctl|kernel.shmmax=1|busybox", "HostConfig.Sysctls",
       "{\"net.ipv4.ip_forward\":\"1\",\"kernel.shmmax\":\"1\"}"},
      {"--device|/dev/fuse|busybox", "HostConfig.Devices",
       "[{\"PathOnHost\":\"/dev/fuse\",\"PathInContainer\":\"/dev/fuse\",\"CgroupPermissions\":"
       "\"rwm\"}]"},
      {"--device|/dev/sda:/dev/xvda:r|busybox", "HostConfig.Devices",
       "[{\"PathOnHost\":\"/dev/sda\",\"PathInContainer\":\"/dev/xvda\",\"CgroupPermissions\":"
       "\"r\"}]"},
      {"--device|/dev/sda:rw|busybox", "HostConfig.Devices",
       "[{\"PathOnHost\":\"/dev/sda\",\"PathInContainer\":\"/dev/sda\",\"CgroupPermissions\":"
       "\"rw\"}]"},
      {"--security-opt|no-new-privileges|--security-opt|seccomp=unconfined|--security-opt|"
       "label=disable|--security-opt|apparmor=unconfined|busybox",
       "HostConfig.SecurityOpt",
       "[\"no-new-privileges\",\"seccomp=unconfined\",\"label=disable\",\"apparmor=unconfined\"]"},
      {"--security-opt|no-new-privileges:true|busybox", "HostConfig.SecurityOpt",
       "[\"no-new-privileges:true\"]"},
      {"--restart|on-failure:3|busybox", "HostConfig.RestartPolicy",
       "{\"Name\":\"on-failure\",\"MaximumRetryCount\":3}"},
      {"--restart|always|busybox", "HostConfig.RestartPolicy",
       "{\"Name\":\"always\",\"MaximumRetryCount\":0}"},
      {"--restart|unless-stopped|busybox", "HostConfig.RestartPolicy.Name", "\"unless-stopped\""},
      {"--rm|--restart|no|busybox", "HostConfig.RestartPolicy.Name", "\"no\""},
      {"--log-driver|local|--log-opt|max-size=10m|--log-opt|max-file=3|busybox",
       "HostConfig.LogConfig", "{\"Type\":\"local\",\"Config\":{\"max-size\":\"10m\",\"max-file\":\"3\"}}"},
      {"--log-driver|none|busybox", "HostConfig.LogConfig", "{\"Type\":\"none\",\"Config\":{}}"},
  };
  OK ("run", cases);
}

static void
test_env (void **state)
{
  char path[] = "/tmp/skiff-test-env-XXXXXX";
  int fd = mkstemp (path);
  assert_true (fd >= 0);
  static const char text[] = "\xef\xbb\xbf# a comment\n\n  FROM_FILE=1\nSKIFF_TEST_SET\n"
                             "SKIFF_TEST_UNSET\nSPACED= kept \r\nB=from file\n";
  assert_int_equal (write (fd, text, sizeof text - 1), (ssize_t) (sizeof text - 1));
  close (fd);
  setenv ("SKIFF_TEST_SET", "x y", 1);
  unsetenv ("SKIFF_TEST_UNSET");
  char words[256];
  snprintf (words, sizeof words, "-e|A=1|--env|SKIFF_TEST_SET|-e|SKIFF_TEST_UNSET|--env-file|%s|"
            "--label-file|%s|-l|B=flag|busybox", path, path);
  const ok_case cases[] = {
      {"-e|A=1|--env=B=|-e|SKIFF_TEST_SET|-e|SKIFF_TEST_UNSET|busybox", "Env",
       "[\"A=1\",\"B=\",\"SKIFF_TEST_SET=x y\"]"},
      {words, "Env",
       "[\"FROM_FILE=1\",\"SKIFF_TEST_SET=x y\",\"SPACED= kept \",\"B=from file\",\"A=1\","
       "\"SKIFF_TEST_SET=x y\"]"},
      {words, "Labels",
       "{\"FROM_FILE\":\"1\",\"SKIFF_TEST_SET\":\"\",\"SKIFF_TEST_UNSET\":\"\",\"SPACED\":\" kept "
       "\",\"B\":\"flag\"}"},
      {"busybox", "Env", "absent"},
  };
  check_ok ("run", cases, sizeof cases / sizeof cases[0]);
  FILE *f = fopen (path, "w");
  fputs ("OK=1\nBAD KEY=2\n", f);
  fclose (f);
  char bad1[128], bad2[128];
  snprintf (bad1, sizeof bad1, "--env-file|%s|busybox", path);
  snprintf (bad2, sizeof bad2, "--env-file|%s.missing|busybox", path);
  char msg2[256];
  snprintf (msg2, sizeof msg2, "open %s.missing: no such file or directory", path);
  const bad_case bad[] = {
      {bad1, "poorly formatted environment: variable 'BAD KEY' contains whitespaces"},
      {bad2, msg2},
      {"-e|=x|busybox", "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment "
                        "variable: =x"},
      {"-l|=x|busybox", "invalid argument \"=x\" for \"-l, --label\" flag: invalid label '=x': "
                        "empty name"},
      {"-l|a b=x|busybox", "invalid argument \"a b=x\" for \"-l, --label\" flag: label 'a b' "
                           "contains whitespaces"},
  };
  check_bad ("run", bad, sizeof bad / sizeof bad[0]);
  f = fopen (path, "w");
  fputs ("=novar\n", f);
  fclose (f);
  const bad_case bad3[] = {{bad1, "poorly formatted environment: no variable name on line "
                                  "'=novar'"}};
  check_bad ("run", bad3, 1);
  unlink (path);
}

static void
test_resources (void **state)
{
  static const ok_case cases[] = {
      {"-m|256m|busybox", "HostConfig.Memory", "268435456"},
      {"-m256m|busybox", "HostConfig.Memory", "268435456"},
      {"-m=1.5g|busybox", "HostConfig.Memory", "1610612736"},
      {"--memory|1GiB|busybox", "HostConfig.Memory", "1073741824"},
      {"--memory=10KB|busybox", "HostConfig.Memory", "10240"},
      {"--memory|512|busybox", "HostConfig.Memory", "512"},
      {"--memory|512b|busybox", "HostConfig.Memory", "512"},
      {"--memory|2T|busybox", "HostConfig.Memory", "2199023255552"},
      {"--memory|1 m|busybox", "HostConfig.Memory", "1048576"},
      {"--memory-swap|-1|busybox", "HostConfig.MemorySwap", "-1"},
      {"--memory-swap|1g|busybox", "HostConfig.MemorySwap", "1073741824"},
      {"--memory-reservation|64m|busybox", "HostConfig.MemoryReservation", "67108864"},
      {"--memory-high|200m|busybox", "HostConfig.MemoryHigh", "209715200"},
      {"--memory-swappiness|0|busybox", "HostConfig.MemorySwappiness", "0"},
      {"--memory-swappiness|-1|busybox", "HostConfig.MemorySwappiness", "absent"},
      {"--oom-kill-disable|--oom-score-adj|-500|busybox", "HostConfig.OomKillDisable", "true"},
      {"--oom-kill-disable|--oom-score-adj|-500|busybox", "HostConfig.OomScoreAdj", "-500"},
      {"--cpus|1.5|busybox", "HostConfig.NanoCpus", "1500000000"},
      {"--cpus|.25|busybox", "HostConfig.NanoCpus", "250000000"},
      {"--cpus|3/2|busybox", "HostConfig.NanoCpus", "1500000000"},
      {"-c|512|busybox", "HostConfig.CpuShares", "512"},
      {"--cpu-shares=0x10|busybox", "HostConfig.CpuShares", "16"},
      {"--cpuset-cpus|0-3|--cpuset-mems|0|busybox", "HostConfig.CpusetCpus", "\"0-3\""},
      {"--cpuset-cpus|0-3|--cpuset-mems|0|busybox", "HostConfig.CpusetMems", "\"0\""},
      {"--cpu-period|100000|--cpu-quota|50000|busybox", "HostConfig.CpuPeriod", "100000"},
      {"--cpu-period|100000|--cpu-quota|50000|busybox", "HostConfig.CpuQuota", "50000"},
      {"--pids-limit|-1|busybox", "HostConfig.PidsLimit", "-1"},
      {"--blkio-weight|300|busybox", "HostConfig.BlkioWeight", "300"},
      {"--blkio-weight-device|/dev/sda:200|busybox", "HostConfig.BlkioWeightDevice",
       "[{\"Path\":\"/dev/sda\",\"Weight\":200}]"},
      {"--device-read-bps|/dev/sda:1mb|busybox", "HostConfig.BlkioDeviceReadBps",
       "[{\"Path\":\"/dev/sda\",\"Rate\":1048576}]"},
      {"--device-write-bps|/dev/sda:10k|busybox", "HostConfig.BlkioDeviceWriteBps",
       "[{\"Path\":\"/dev/sda\",\"Rate\":10240}]"},
      {"--device-read-iops|/dev/sda:1000|busybox", "HostConfig.BlkioDeviceReadIOps",
       "[{\"Path\":\"/dev/sda\",\"Rate\":1000}]"},
      {"--device-write-iops|/dev/sda:20|busybox", "HostConfig.BlkioDeviceWriteIOps",
       "[{\"Path\":\"/dev/sda\",\"Rate\":20}]"},
      {"--ulimit|nofile=1024:2048|--ulimit|core=-1|busybox", "HostConfig.Ulimits",
       "[{\"Name\":\"nofile\",\"Hard\":2048,\"Soft\":1024},{\"Name\":\"core\",\"Hard\":-1,"
       "\"Soft\":-1}]"},
      {"--shm-size|64m|busybox", "HostConfig.ShmSize", "67108864"},
  };
  OK ("run", cases);
}

static void
test_healthcheck (void **state)
{
  static const ok_case cases[] = {
      {"--health-cmd|curl -f localhost|--health-interval|1m30s|--health-retries|3|"
       "--health-timeout|500ms|--health-start-period|1.5s|busybox",
       "Healthcheck",
       "{\"Test\":[\"CMD-SHELL\",\"curl -f localhost\"],\"Interval\":90000000000,\"Timeout\":"
       "500000000,\"StartPeriod\":1500000000,\"Retries\":3}"},
      {"--health-interval|10s|busybox", "Healthcheck", "{\"Interval\":10000000000}"},
      {"--health-interval|1h2m3.5s|busybox", "Healthcheck.Interval", "3723500000000"},
      {"--health-timeout|2us|busybox", "Healthcheck.Timeout", "2000"},
      {"--health-timeout|0|busybox", "Healthcheck", "absent"},
      {"--no-healthcheck|busybox", "Healthcheck", "{\"Test\":[\"NONE\"]}"},
      {"busybox", "Healthcheck", "absent"},
  };
  OK ("run", cases);
  static const bad_case bad[] = {
      {"--health-timeout|5|busybox", "invalid argument \"5\" for \"--health-timeout\" flag: time: "
                                     "missing unit in duration \"5\""},
      {"--health-interval|1x|busybox", "invalid argument \"1x\" for \"--health-interval\" flag: "
                                       "time: unknown unit \"x\" in duration \"1x\""},
      {"--health-interval|abc|busybox", "invalid argument \"abc\" for \"--health-interval\" flag: "
                                        "time: invalid duration \"abc\""},
      {"--health-start-period|.s|busybox", "invalid argument \".s\" for \"--health-start-period\" "
                                           "flag: time: invalid duration \".s\""},
      {"--health-retries|x|busybox", "invalid argument \"x\" for \"--health-retries\" flag: "
                                     "strconv.ParseInt: parsing \"x\": invalid syntax"},
      {"--no-healthcheck|--health-cmd|true|busybox",
       "--no-healthcheck conflicts with --health-* options"},
      {"--health-interval|-1s|busybox", "--health-interval cannot be negative"},
      {"--health-retries|-1|busybox", "--health-retries cannot be negative"},
  };
  BAD ("run", bad);
}

static void
test_bad_values (void **state)
{
  static const bad_case bad[] = {
      {"-m|256x|busybox", "invalid argument \"256x\" for \"-m, --memory\" flag: invalid suffix: 'x'"},
      {"-m|abc|busybox", "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'"},
      {"-m|-1|busybox", "invalid argument \"-1\" for \"-m, --memory\" flag: invalid size: '-1'"},
      {"-m|1kbb|busybox", "invalid argument \"1kbb\" for \"-m, --memory\" flag: invalid suffix: "
                          "'kbb'"},
      {"-m|1.2.3|busybox", "invalid argument \"1.2.3\" for \"-m, --memory\" flag: "
                           "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax"},
      {"--shm-size|1q|busybox", "invalid argument \"1q\" for \"--shm-size\" flag: invalid suffix: "
                                "'q'"},
      {"--memory-swap|-2|busybox", "invalid argument \"-2\" for \"--memory-swap\" flag: invalid "
                                   "size: '-2'"},
      {"--memory-swappiness|101|busybox", "invalid value: 101. Valid memory swappiness range is "
                                          "0-100"},
      {"--cpus|x|busybox", "invalid argument \"x\" for \"--cpus\" flag: failed to parse x as a "
                           "rational number"},
      {"--cpus|0.0000000001|busybox", "invalid argument \"0.0000000001\" for \"--cpus\" flag: "
                                      "value is too precise"},
      {"-c|x|busybox", "invalid argument \"x\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: "
                       "parsing \"x\": invalid syntax"},
      {"--pids-limit|99999999999999999999|busybox",
       "invalid argument \"99999999999999999999\" for \"--pids-limit\" flag: strconv.ParseInt: "
       "parsing \"99999999999999999999\": value out of range"},
      {"--blkio-weight|70000|busybox", "invalid argument \"70000\" for \"--blkio-weight\" flag: "
                                       "strconv.ParseUint: parsing \"70000\": value out of range"},
      {"--blkio-weight-device|/dev/sda|busybox", "invalid argument \"/dev/sda\" for "
                                                 "\"--blkio-weight-device\" flag: bad format: "
                                                 "/dev/sda"},
      {"--blkio-weight-device|sda:10|busybox", "invalid argument \"sda:10\" for "
                                               "\"--blkio-weight-device\" flag: bad format for "
                                               "device path: sda:10"},
      {"--blkio-weight-device|/dev/sda:5|busybox", "invalid argument \"/dev/sda:5\" for "
                                                   "\"--blkio-weight-device\" flag: invalid weight "
                                                   "for device: /dev/sda:5"},
      {"--device-read-bps|/dev/sda:x|busybox",
       "invalid argument \"/dev/sda:x\" for \"--device-read-bps\" flag: invalid rate for device: "
       "/dev/sda:x. The correct format is <device-path>:<number>[<unit>]. Number must be a "
       "positive integer. Unit is optional and can be kb, mb, or gb"},
      {"--device-write-iops|/dev/sda:1k|busybox",
       "invalid argument \"/dev/sda:1k\" for \"--device-write-iops\" flag: invalid rate for "
       "device: /dev/sda:1k. The correct format is <device-path>:<number>. Number must be a "
       "positive integer"},
      {"--ulimit|nofile|busybox", "invalid argument \"nofile\" for \"--ulimit\" flag: invalid "
                                  "ulimit argument: nofile"},
      {"--ulimit|files=1|busybox", "invalid argument \"files=1\" for \"--ulimit\" flag: invalid "
                                   "ulimit type: files"},
      {"--ulimit|nofile=2048:1024|busybox", "invalid argument \"nofile=2048:1024\" for "
                                            "\"--ulimit\" flag: ulimit soft limit must be less "
                                            "than or equal to hard limit: 2048 > 1024"},
      {"--ulimit|nofile=x|busybox", "invalid argument \"nofile=x\" for \"--ulimit\" flag: "
                                    "strconv.ParseInt: parsing \"x\": invalid syntax"},
      {"--ulimit|nofile=1:2:3|busybox", "invalid argument \"nofile=1:2:3\" for \"--ulimit\" "
                                        "flag: too many limit value arguments - 1:2:3, can only "
                                        "have up to two, `soft[:hard]`"},
      {"--rm=maybe|busybox", "invalid argument \"maybe\" for \"--rm\" flag: strconv.ParseBool: "
                             "parsing \"maybe\": invalid syntax"},
      {"--stop-timeout|soon|busybox", "invalid argument \"soon\" for \"--stop-timeout\" flag: "
                                      "strconv.ParseInt: parsing \"soon\": invalid syntax"},
      {"--sysctl|kernel.foo=1|busybox", "invalid argument \"kernel.foo=1\" for \"--sysctl\" flag: "
                                        "sysctl 'kernel.foo=1' is not allowed"},
      {"--sysctl|net.ipv4.ip_forward|busybox", "invalid argument \"net.ipv4.ip_forward\" for "
                                               "\"--sysctl\" flag: sysctl 'net.ipv4.ip_forward' "
                                               "is not allowed"},
      {"--device|/dev/a:/dev/b:x|busybox", "bad mode specified: x"},
      {"--device|/dev/a:b|busybox", "b is not an absolute path"},
      {"--device|/dev/a:/b:r:x|busybox", "invalid device specification: /dev/a:/b:r:x"},
      {"--security-opt|foo|busybox", "Invalid --security-opt: \"foo\""},
      {"--security-opt|seccomp=/nonexistent/p.json|busybox",
       "opening seccomp profile (/nonexistent/p.json) failed: open /nonexistent/p.json: no such "
       "file or directory"},
      {"--restart|:3|busybox", "invalid restart policy format: no policy provided before colon"},
      {"--restart|on-failure:x|busybox", "invalid restart policy format: maximum retry count must "
                                         "be an integer"},
      {"--restart|sometimes|busybox", "invalid restart policy: unknown policy 'sometimes'; use one "
                                      "of 'no', 'always', 'on-failure', or 'unless-stopped'"},
      {"--restart|always:3|busybox", "invalid restart policy: maximum retry count can only be used "
                                     "with 'on-failure'"},
      {"--restart|on-failure:-1|busybox", "invalid restart policy: maximum retry count cannot be "
                                          "negative"},
      {"--rm|--restart|always|busybox", "conflicting options: cannot specify both --restart and "
                                        "--rm"},
      {"--log-driver|syslog|busybox", "logging driver syslog is not supported: use json-file, "
                                      "local or none"},
      {"--log-driver|none|--log-opt|max-size=1m|busybox", "invalid logging opts for driver none"},
      {"--ipc|foo|busybox", "--ipc: invalid IPC mode"},
      {"--pid|container:|busybox", "--pid: invalid PID mode"},
      {"--uts|container:|busybox", "--uts: invalid UTS mode"},
      {"--uts|private|busybox", "--uts: invalid UTS mode"},
      {"--uts|host|-h|x|busybox", "conflicting options: hostname and the UTS mode"},
      {"--hostname=x|--uts|container:db|busybox", "conflicting options: hostname and the UTS mode"},
      {"--userns|private|busybox", "--userns: invalid USER mode"},
      {"--cgroupns|foo|busybox", "--cgroupns: invalid CGROUP mode"},
      {"--pull|sometimes|busybox", "invalid pull option: 'sometimes': must be one of \"always\", "
                                   "\"missing\" or \"never\""},
  };
  BAD ("run", bad);
}

static void
test_bad_command_lines (void **state)
{
  static const bad_case bad[] = {
      {"--nope|busybox", "unknown flag: --nope"},
      {"--nope=1|busybox", "unknown flag: --nope"},
      {"-dZ|busybox", "unknown shorthand flag: 'Z' in -dZ"},
      {"-m", "flag needs an argument: 'm' in -m"},
      {"--memory", "flag needs an argument: --memory"},
      {"-d", "\"skiff run\" requires at least 1 argument"},
      {"-d|--", "\"skiff run\" requires at least 1 argument"},
  };
  BAD ("run", bad);
  static const bad_case create_bad[] = {
      {"-d|busybox", "unknown shorthand flag: 'd' in -d"},
      {"--sig-proxy=false|busybox", "unknown flag: --sig-proxy"},
      {"", "\"skiff create\" requires at least 1 argument"},
  };
  BAD ("create", create_bad);
}

static void
test_seccomp_file (void **state)
{
  char path[] = "/tmp/skiff-test-seccomp-XXXXXX";
  int fd = mkstemp (path);
  static const char text[] = "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"x\": \"a b\\\" c\"\n}\n";
  assert_int_equal (write (fd, text, sizeof text - 1), (ssize_t) (sizeof text - 1));
  close (fd);
  char words[128];
  snprintf (words, sizeof words, "--security-opt|seccomp=%s|busybox", path);
  const ok_case cases[] = {{words, "HostConfig.SecurityOpt",
                            "[\"seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\",\\\"x\\\":"
                            "\\\"a b\\\\\\\" c\\\"}\"]"}};
  check_ok ("run", cases, 1);
  FILE *f = fopen (path, "w");
  fputs ("{\"a\": ", f);
  fclose (f);
  sk_json *body = NULL;
  sk_run_cli cli;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (parse ("run", words, &body, &cli, &err), -1);
  char prefix[128];
  snprintf (prefix, sizeof prefix, "compacting json for seccomp profile (%s) failed: ", path);
  assert_memory_equal (err->msg, prefix, strlen (prefix));
  unlink (path);
}

static void
test_network_flags (void **state)
{
  static const ok_case cases[] = {
      {"--network|host|busybox", "HostConfig.NetworkMode", "\"host\""},
      {"--net=none|busybox", "HostConfig.NetworkMode", "\"none\""},
      {"busybox", "NetworkingConfig", "absent"},
      {"busybox", "HostConfig.Dns", "[]"},
      {"busybox", "HostConfig.DnsSearch", "[]"},
      {"busybox", "HostConfig.DnsOptions", "[]"},
      {"--network|app|--network-alias|web|--network-alias|www|--ip|10.1.0.5|--mac-address|"
       "92:d0:c6:0a:29:33|busybox",
       "NetworkingConfig",
       "{\"EndpointsConfig\":{\"app\":{\"Aliases\":[\"web\",\"www\"],\"IPAMConfig\":{"
       "\"IPv4Address\":\"10.1.0.5\"},\"MacAddress\":\"92:d0:c6:0a:29:33\"}}}"},
      {"--dns|8.8.8.8|--dns|2001:4860:4860:0::8888|busybox", "HostConfig.Dns",
       "[\"8.8.8.8\",\"2001:4860:4860::8888\"]"},
      {"--dns-search|example.org|--dns-option|ndots:2|busybox", "HostConfig.DnsSearch",
       "[\"example.org\"]"},
      {"--dns-search|example.org|--dns-option|ndots:2|busybox", "HostConfig.DnsOptions",
       "[\"ndots:2\"]"},
      {"--add-host|db:10.0.0.1|--add-host|gw=host-gateway|--add-host|v6:[::1]|--add-host|"
       "v6b:::0002|busybox",
       "HostConfig.ExtraHosts", "[\"db:10.0.0.1\",\"gw:host-gateway\",\"v6:::1\",\"v6b:::2\"]"},
      {"-p|8080:80|busybox", "HostConfig.PortBindings",
       "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}"},
      {"-p|8080:80|busybox", "ExposedPorts", "{\"80/tcp\":{}}"},
      {"-p|80|busybox", "HostConfig.PortBindings", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}"},
      {"-p|127.0.0.1:53:53/UDP|busybox", "HostConfig.PortBindings",
       "{\"53/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"53\"}]}"},
      {"-p|127.0.0.1::80|busybox", "HostConfig.PortBindings",
       "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]}"},
      {"-p|[::1]:9000-9001:7000-7001|busybox", "HostConfig.PortBindings",
       "{\"7000/tcp\":[{\"HostIp\":\"::1\",\"HostPort\":\"9000\"}],\"7001/tcp\":[{\"HostIp\":"
       "\"::1\",\"HostPort\":\"9001\"}]}"},
      {"-p|3000-3002:3000|busybox", "HostConfig.PortBindings",
       "{\"3000/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"3000-3002\"}]}"},
      {"-p|80:80|-p|81:80|busybox", "HostConfig.PortBindings",
       "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"80\"},{\"HostIp\":\"\",\"HostPort\":\"81\"}]}"},
      {"-P|--expose|7000-7001/udp|--expose|22|busybox", "ExposedPorts",
       "{\"7000/udp\":{},\"7001/udp\":{},\"22/tcp\":{}}"},
      {"-P|busybox", "HostConfig.PublishAllPorts", "true"},
      {"-p|target=53,published=5353,protocol=udp,mode=host|busybox", "HostConfig.PortBindings",
       "{\"53/udp\":[{\"HostIp\":\"\",\"HostPort\":\"5353\"}]}"},
  };
  OK ("run", cases);
  static const bad_case bad[] = {
      {"-p|80/xyz|busybox", "invalid proto: xyz"},
      {"-p|target=80,oops|busybox", "invalid publish opts format (should be name=value but got "
                                    "'oops')"},
      {"-p|x:80|busybox", "invalid hostPort: x"},
      {"-p|99999|busybox", "invalid containerPort: 99999"},
      {"-p|8080:|busybox", "no port specified: 8080:<empty>"},
      {"-p|1-2:3-5|busybox", "invalid ranges specified for container and host Ports: 3-5 and 1-2"},
      {"-p|1.2.3:80:80|busybox", "invalid IP address: 1.2.3"},
      {"--expose|1:2|busybox", "invalid port format for --expose: 1:2"},
      {"--expose|x|busybox", "invalid range format for --expose: x, error: strconv.ParseUint: "
                             "parsing \"x\": invalid syntax"},
      {"--dns|x|busybox", "invalid argument \"x\" for \"--dns\" flag: IP address is not correctly "
                          "formatted: x"},
      {"--add-host|nohost|busybox", "invalid argument \"nohost\" for \"--add-host\" flag: bad "
                                    "format for add-host: \"nohost\""},
      {"--add-host|db:1.2.3|busybox", "invalid argument \"db:1.2.3\" for \"--add-host\" flag: "
                                      "invalid IP address in add-host: \"1.2.3\""},
      {"--ip|x|busybox", "invalid argument \"x\" for \"--ip\" flag: failed to parse IP: \"x\""},
      {"--mac-address|92:d0:c6|busybox", "92:d0:c6 is not a valid mac address"},
  };
  BAD ("run", bad);
}

static void
test_storage_flags (void **state)
{
  char cwd[4096], rel[4200];
  assert_non_null (getcwd (cwd, sizeof cwd));
  snprintf (rel, sizeof rel, "[\"%s/data/x:/r:ro\"]", strcmp (cwd, "/") ? cwd : "");
  const ok_case cases[] = {
      {"-v|/data:/data:ro|-v|named:/n|busybox", "HostConfig.Binds",
       "[\"/data:/data:ro\",\"named:/n\"]"},
      {"-v|./data/./x:/r:ro|busybox", "HostConfig.Binds", rel},
      {"-v|/anon|busybox", "Volumes", "{\"/anon\":{}}"},
      {"-v|/anon|busybox", "HostConfig.Binds", "absent"},
      {"--volumes-from|db:ro|busybox", "HostConfig.VolumesFrom", "[\"db:ro\"]"},
      {"--mount|type=bind,source=/src,target=/dst,readonly|busybox", "HostConfig.Mounts",
       "[{\"Type\":\"bind\",\"Source\":\"/src\",\"Target\":\"/dst\",\"ReadOnly\":true}]"},
      {"--mount|src=vol,dst=/v,volume-nocopy,volume-label=a=b,volume-driver=local,volume-opt=o=1|"
       "busybox",
       "HostConfig.Mounts",
       "[{\"Type\":\"volume\",\"Source\":\"vol\",\"Target\":\"/v\",\"VolumeOptions\":{\"NoCopy\":"
       "true,\"Labels\":{\"a\":\"b\"},\"DriverConfig\":{\"Name\":\"local\",\"Options\":{\"o\":"
       "\"1\"}}}}]"},
      {"--mount|type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770|busybox",
       "HostConfig.Mounts",
       "[{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"TmpfsOptions\":{\"SizeBytes\":67108864,\"Mode\":"
       "1016}}]"},
      {"--mount|type=bind,src=/a,target=/b,bind-propagation=rshared,ro=false|busybox",
       "HostConfig.Mounts",
       "[{\"Type\":\"bind\",\"Source\":\"/a\",\"Target\":\"/b\",\"BindOptions\":{\"Propagation\":"
       "\"rshared\"},\"ReadOnly\":false}]"},
      {"--mount|\"type=bind,source=/a,b\",target=/c|busybox", "HostConfig.Mounts",
       "[{\"Type\":\"bind,source=/a,b\",\"Target\":\"/c\"}]"},
  };
  OK ("run", cases);
  static const bad_case bad[] = {
      {"-v|''|busybox", "invalid empty volume spec"},
      {"-v|/a::/b|busybox", "invalid spec: /a::/b: empty section between colons"},
      {"-v|/a:/b:ro:x|busybox", "invalid spec: /a:/b:ro:x: too many colons"},
      {"--mount|type=bind,source=/a|busybox", "invalid argument \"type=bind,source=/a\" for "
                                              "\"--mount\" flag: target is required"},
      {"--mount|type=bind,target=/a,bogus|busybox", "invalid argument \"type=bind,target=/a,"
                                                    "bogus\" for \"--mount\" flag: invalid field "
                                                    "'bogus' must be a key=value pair"},
      {"--mount|type=bind,target=/a,foo=1|busybox", "invalid argument \"type=bind,target=/a,"
                                                    "foo=1\" for \"--mount\" flag: unexpected key "
                                                    "'foo' in 'foo=1'"},
      {"--mount|type=bind,target=/a,volume-nocopy|busybox",
       "invalid argument \"type=bind,target=/a,volume-nocopy\" for \"--mount\" flag: cannot mix "
       "'volume-*' options with mount type 'bind'"},
      {"--mount|target=/a,readonly=maybe|busybox", "invalid argument \"target=/a,readonly=maybe\" "
                                                   "for \"--mount\" flag: invalid value for "
                                                   "readonly: maybe"},
      {"--mount|type=tmpfs,target=/a,tmpfs-size=1x|busybox",
       "invalid argument \"type=tmpfs,target=/a,tmpfs-size=1x\" for \"--mount\" flag: invalid "
       "value for tmpfs-size: 1x"},
  };
  BAD ("run", bad);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_image_command_and_defaults),
      cmocka_unit_test (test_cli_fields),
      cmocka_unit_test (test_help),
      cmocka_unit_test (test_config_flags),
      cmocka_unit_test (test_env),
      cmocka_unit_test (test_resources),
      cmocka_unit_test (test_healthcheck),
      cmocka_unit_test (test_bad_values),
      cmocka_unit_test (test_bad_command_lines),
      cmocka_unit_test (test_seccomp_file),
      cmocka_unit_test (test_network_flags),
      cmocka_unit_test (test_storage_flags),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
