/* skiff: the value syntaxes of `run`/`create` flags, as the docker CLI reads
 * them (Go's strconv and time.ParseDuration, go-units' sizes, docker's port,
 * mount, device and ulimit specs). Each returns -1 with the cause only
 * ("invalid suffix: 'x'"); the caller names the flag. */
#ifndef SKIFF_CLI_RUN_VALUES_H
#define SKIFF_CLI_RUN_VALUES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"
#include "util/json.h"

/* Go's strconv.ParseInt/ParseUint with base 0 (0x, 0o, 0b, 0 prefixes). */
int sk_rv_int (const char *s, int bits, int64_t *out, sk_err **err);
int sk_rv_uint (const char *s, int bits, int base, uint64_t *out, sk_err **err);
/* Go's strconv.ParseBool. */
int sk_rv_bool (const char *s, bool *out, sk_err **err);
/* go-units RAMInBytes: "256m", "1.5GiB", "1024" (1024-based). */
int sk_rv_ram (const char *s, int64_t *out, sk_err **err);
/* Go's time.ParseDuration, in nanoseconds. */
int sk_rv_duration (const char *s, int64_t *out, sk_err **err);
/* A rational number of CPUs into nano CPUs ("1.5", "3/2"). */
int sk_rv_nano_cpus (const char *s, int64_t *out, sk_err **err);
/* Go's %q of a string (a static-free, caller-freed copy). */
char *sk_rv_quote (const char *s);
bool sk_rv_is_ip (const char *s, bool *v6);
/* An IP address in canonical form (blanks around it dropped), or NULL. */
char *sk_rv_ip_canon (const char *s);

/* `-p [IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]` into ExposedPorts and
 * PortBindings ("80/tcp": [{"HostIp", "HostPort"}]). */
int sk_rv_publish (const char *spec, sk_json *exposed, sk_json *bindings, sk_err **err);
/* `--expose PORT[-PORT][/PROTO]` into ExposedPorts. */
int sk_rv_expose (const char *spec, sk_json *exposed, sk_err **err);
/* `--mount type=...,source=...,target=...` into a Mount object. */
int sk_rv_mount (const char *spec, sk_json **out, sk_err **err);
/* `--device HOST[:CONTAINER[:PERMS]]` into a DeviceMapping object. */
int sk_rv_device (const char *spec, sk_json **out, sk_err **err);
/* `--ulimit NAME=SOFT[:HARD]` into a Ulimit object. */
int sk_rv_ulimit (const char *spec, sk_json **out, sk_err **err);
/* Docker's env and label files: KEY=VAL lines, `#` comments, blank lines;
 * a line with KEY alone takes the value from the environment when
 * from_env (dropped if unset), else is kept as it is. Appends to lines. */
int sk_rv_kv_file (const char *path, bool from_env, sk_json *lines, sk_err **err);
/* fopen and a whole file, with Go's messages ("open x: no such file or
 * directory"). */
int sk_rv_open (const char *path, FILE **f, sk_err **err);
int sk_rv_read (const char *path, char **data, sk_err **err);
/* Checks a JSON document and removes the blanks outside its strings. */
int sk_rv_json_compact (const char *data, char **out, sk_err **err);

#endif
