#!/usr/bin/env bats
# Restart policies and healthchecks, both applied by the container's shim
# with no daemon: --restart no|on-failure[:N]|always|unless-stopped (the
# same rootfs and log, Docker's die and start events, RestartCount, the
# "restarting" state, stop, kill and rm -f of a restarting container), and
# healthchecks from --health-* or the image (State.Health, ps, events,
# timeouts, the start period, the log of the last 5 probes). Waits are
# generous and never decide a test by how long something took. Each test
# has its own data root, exec root and cgroup parent, and leaves nothing.

load helpers
load engine

state() { sk inspect -f "$2" "$1"; }

# a column of ps for one container
ps_of() { # NAME FIELD
  sk ps -a --format "{{.Names}}|{{.$2}}" | sed -n "s/^$1|//p"
}

# the actions of one container's events so far, on one line
actions_of() { # NAME
  sk events --since 0 --until "$(date +%s.%N)" --filter "container=$1" --format '{{.Action}}' |
    tr '\n' ' '
}

# whether the shim of a container still runs
shim_running() { # ID
  local pid
  pid=$(cat "$XR/containers/$1/shim.pid" 2> /dev/null) || return 1
  [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = skiff-shim ]
}

# ---- restart policies ----

@test "restart: no policy (and --restart no): an exited container stays exited" {
  run sk run --name plain busybox sh -c 'exit 3'
  [ "$status" -eq 3 ]
  run sk run --name never --restart no busybox sh -c 'exit 3'
  [ "$status" -eq 3 ]
  for n in plain never; do
    [ "$(state $n '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}')" = "exited 0 3" ]
    ! shim_running "$(state $n '{{.Id}}')"
  done
  [ "$(actions_of never)" = "create start die " ]
}

@test "restart: on-failure:2 restarts a failing container twice, in the same rootfs and log, with die and start each time" {
  id=$(sk run -d --name fail2 --restart on-failure:2 busybox sh -c 'echo x >> /runs; echo "run $(wc -l < /runs)"; exit 3')
  until_true "[ \"\$(state $id '{{.State.Status}}')\" = exited ]"
  until_true "! shim_running $id"
  [ "$(state $id '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}} {{.State.Restarting}}')" = "exited 2 3 false" ]
  [ "$(sk logs $id)" = "run 1
run 2
run 3" ]
  [ "$(actions_of fail2)" = "create start die start die start die " ]
  run sk events --since 0 --until "$(date +%s.%N)" --filter container=fail2 --filter event=die --format '{{.Actor.Attributes.exitCode}}'
  [ "$output" = "3
3
3" ]
}

@test "restart: update --restart of a running container applies at its next exit" {
  id=$(sk run -d --name later busybox sh -c 'sleep 2; exit 4')
  sk update --restart on-failure:1 later
  [ "$(state later '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}')" = "on-failure 1" ]
  until_true "[ \"\$(state $id '{{.State.Status}} {{.RestartCount}}')\" = 'exited 1' ]"
  until_true "! shim_running $id"
  [ "$(actions_of later)" = "create start update die start die " ]
}

@test "restart: on-failure does not restart a container that exited with 0" {
  id=$(sk run -d --restart on-failure busybox sh -c 'echo once')
  until_true "[ \"\$(state $id '{{.State.Status}}')\" = exited ]"
  until_true "! shim_running $id"
  [ "$(state $id '{{.RestartCount}} {{.State.ExitCode}}')" = "0 0" ]
  [ "$(sk logs $id)" = once ]
}

@test "restart: always restarts after exit 0; stop ends it for good and the shim goes" {
  id=$(sk run -d --name again --restart always busybox sh -c 'echo x >> /runs; wc -l < /runs; sleep 0.2')
  until_true "[ \"\$(state $id '{{.RestartCount}}')\" -ge 2 ]"
  # the runs share the rootfs and the log: the count goes on
  until_true "[ \"\$(sk logs $id | wc -l)\" -ge 3 ]"
  sk logs $id | head -3 | tr '\n' ' ' | grep -qx '1 2 3 '
  sk stop -t 30 $id
  [ "$(state $id '{{.State.Status}} {{.State.Restarting}}')" = "exited false" ]
  until_true "! shim_running $id"
  count=$(state $id '{{.RestartCount}}')
  [ "$(state $id '{{.State.Status}} {{.RestartCount}}')" = "exited $count" ]
  # the stop's kill came to a run, or between two (after a die)
  actions_of again | grep -Eq ' kill (die )?stop $'
}

@test "restart: a container waiting in its back-off is shown restarting; stop ends the wait" {
  id=$(sk run -d --name flap --restart always busybox sh -c 'exit 4')
  # the back-off doubles: soon a wait is long enough to be seen
  until_true "ps_of flap Status | grep -q '^Restarting (4) '"
  until_true "[ \"\$(state $id '{{.State.Status}} {{.State.Running}} {{.State.Restarting}} {{.State.Pid}} {{.State.ExitCode}}')\" = 'restarting true true 0 4' ]"
  [ "$(state $id '{{.RestartCount}}')" -ge 1 ]
  ps_of flap State | grep -Eq '^(restarting|running)$'
  run sk stop -t 30 $id
  [ "$status" -eq 0 ]
  [ "$(state $id '{{.State.Status}} {{.State.ExitCode}}')" = "exited 4" ]
  until_true "! shim_running $id"
}

@test "restart: unless-stopped restarts until a stop; kill also ends an always container for good" {
  id=$(sk run -d --name us --restart unless-stopped busybox sh -c 'sleep 0.2; exit 1')
  until_true "[ \"\$(state $id '{{.RestartCount}}')\" -ge 1 ]"
  sk stop -t 30 $id
  until_true "! shim_running $id"
  [ "$(state $id '{{.State.Status}}')" = exited ]
  id2=$(sk run -d --name killed --restart always busybox sleep 1000)
  sk kill $id2
  until_true "[ \"\$(state $id2 '{{.State.Status}}')\" = exited ]"
  until_true "! shim_running $id2"
  [ "$(state $id2 '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}')" = "exited 0 137" ]
}

@test "restart: rm -f of a restarting container removes everything" {
  id=$(sk run -d --name gone --restart always busybox sh -c 'exit 1')
  until_true "[ \"\$(state $id '{{.State.Status}}')\" = restarting ]"
  run sk exec $id true
  [ "$status" -ne 0 ]
  [[ "$output" == *"Container $id is restarting, wait until the container is running"* ]] ||
    [ "$(state $id '{{.State.Status}}')" = running ]
  sk rm -f $id
  run sk inspect $id
  [ "$status" -ne 0 ]
  until_true "! shim_running $id"
  assert_gone $id
  [ -z "$(sk ps -aq)" ]
}

@test "restart: stop and rm -f of a flapping container, whenever they come, end it for good" {
  for i in 1 2 3 4 5; do
    id=$(sk run -d --restart always busybox sh -c 'exit 1')
    sleep 0.$((i * 2))
    sk stop -t 30 $id
    [ "$(state $id '{{.State.Status}}')" = exited ]
    until_true "! shim_running $id"
    id2=$(sk run -d --restart always busybox sh -c 'exit 1')
    sleep 0.$((i * 2))
    sk rm -f $id2
    until_true "! shim_running $id2"
    assert_gone $id2
  done
}

@test "restart: with a terminal or an open stdin, each run gets its own; the shim keeps no descriptor of the runs before" {
  id=$(sk run -d -t --restart on-failure:2 busybox sh -c 'echo tty; exit 1')
  until_true "! shim_running $id"
  [ "$(sk logs $id | grep -c tty)" -eq 3 ]
  id2=$(sk run -d -i --restart always busybox sh -c 'sleep 0.3')
  until_true "[ \"\$(state $id2 '{{.RestartCount}}')\" -ge 2 ]"
  pid=$(cat "$XR/containers/$id2/shim.pid")
  before=$(ls "/proc/$pid/fd" | wc -l)
  n=$(state $id2 '{{.RestartCount}}')
  until_true "[ \"\$(state $id2 '{{.RestartCount}}')\" -ge $((n + 2)) ]"
  [ "$(ls "/proc/$pid/fd" | wc -l)" -le "$before" ]
}

@test "restart: a manual start after a stop starts the policy again" {
  id=$(sk run -d --restart on-failure:1 busybox sh -c 'exit 2')
  until_true "[ \"\$(state $id '{{.State.Status}}')\" = exited ]"
  until_true "! shim_running $id"
  [ "$(state $id '{{.RestartCount}}')" = 1 ]
  sk start $id
  until_true "[ \"\$(state $id '{{.State.Status}}')\" = exited ]"
  until_true "! shim_running $id"
  [ "$(state $id '{{.RestartCount}}')" = 2 ]
}

@test "restart: an attached run and wait end at the first exit, as docker's, while the container goes on" {
  run sk run --name att --restart always busybox sh -c 'echo hi; exit 3'
  [ "$status" -eq 3 ]
  [ "${lines[0]}" = hi ]
  until_true "[ \"\$(state att '{{.RestartCount}}')\" -ge 1 ]"
  id=$(sk run -d --restart always busybox sh -c 'sleep 0.5; exit 5')
  run sk wait $id
  [ "$status" -eq 0 ]
  [ "$output" = 5 ]
  sk rm -f att $id
}

@test "restart: the shim that restarts a container stays small (release build)" {
  [ -x "${SKIFF_SHIM_RELEASE:-}" ] || skip "no release build"
  id=$(SKIFF_SHIM="$SKIFF_SHIM_RELEASE" sk run -d --restart always \
    --health-cmd true --health-interval 1s busybox sh -c 'sleep 2')
  until_true "[ \"\$(state $id '{{.RestartCount}}')\" -ge 2 ]"
  # probes go on in the runs after a restart
  until_true "state $id '{{json .State}}' | jq -e '(.Health.Log | length) > 0 and .Health.Log[-1].Start > .StartedAt' > /dev/null"
  pid=$(cat "$XR/containers/$id/shim.pid")
  # ten samples: at most a moment of a start (the runtime's code) above
  # 1 MiB, and never above the bound of shim.bats's test
  samples=$(for i in $(seq 10); do awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; sleep 0.2; done | sort -n)
  echo "# skiff-shim VmRSS after restarts and probes (kB): $(echo $samples)" >&3
  [ "$(echo "$samples" | sed -n 5p)" -lt 1024 ]
  [ "$(echo "$samples" | tail -1)" -lt 2048 ]
}

@test "restart: bad policies are refused with docker's messages, nothing made" {
  run sk run --restart sometimes busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"* ]]
  run sk run --restart always:3 busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"maximum retry count can only be used with 'on-failure'"* ]]
  run sk run --restart on-failure:-1 busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"maximum retry count cannot be negative"* ]]
  run sk run --rm --restart always busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"conflicting options: cannot specify both --restart and --rm"* ]]
  [ -z "$(sk ps -aq)" ]
}

# ---- healthchecks ----

@test "health: a passing check makes the container healthy: inspect, ps and the event" {
  id=$(sk run -d --name hok --health-cmd 'echo fine' --health-interval 1s busybox sleep 1000)
  until_true "[ \"\$(state $id '{{.State.Health.Status}}')\" = healthy ]"
  [ "$(state $id '{{.State.Health.FailingStreak}}')" = 0 ]
  state $id '{{json .State.Health}}' | jq -e '.Log[0].ExitCode == 0 and .Log[0].Output == "fine\n"'
  state $id '{{json .State.Health}}' | jq -e '.Log[0] | (.Start | test("^[0-9]{4}-")) and (.End | test("^[0-9]{4}-"))'
  ps_of hok Status | grep -Eq '^Up .* \(healthy\)$'
  [ "$(state $id '{{json .Config.Healthcheck}}' | jq -c .)" = '{"Test":["CMD-SHELL","echo fine"],"Interval":1000000000}' ]
  until_true "actions_of hok | grep -q 'health_status: healthy'"
  # stopped, its last status is unhealthy as docker's (with no event)
  sk stop -t 1 $id
  [ "$(state $id '{{.State.Status}} {{.State.Health.Status}}')" = "exited unhealthy" ]
  ! actions_of hok | grep -q 'health_status: unhealthy'
  # docker's filter: health_status matches each status, or one in full
  run sk events --since 0 --until "$(date +%s.%N)" --filter event=health_status --format '{{.Action}}'
  [ "$output" = "health_status: healthy" ]
  run sk events --since 0 --until "$(date +%s.%N)" --filter 'event=health_status: healthy' --format '{{.Action}}'
  [ "$output" = "health_status: healthy" ]
  run sk events --since 0 --until "$(date +%s.%N)" --filter 'event=health_status: unhealthy' --format '{{.Action}}'
  [ -z "$output" ]
}

@test "health: before the first probe the container is starting" {
  id=$(sk run -d --name hstart --health-cmd true --health-interval 1h busybox sleep 1000)
  until_true "[ \"\$(state $id '{{.State.Health.Status}}')\" = starting ]"
  [ "$(state $id '{{json .State.Health.Log}}')" = '[]' ]
  ps_of hstart Status | grep -Eq '^Up .* \(health: starting\)$'
}

@test "health: failing checks make it unhealthy after the retries; a later success makes it healthy" {
  id=$(sk run -d --name hbad --health-cmd 'cat /ok || { echo bad; exit 1; }' --health-interval 1s --health-retries 2 busybox sleep 1000)
  until_true "[ \"\$(state $id '{{.State.Health.Status}}')\" = unhealthy ]"
  [ "$(state $id '{{.State.Health.FailingStreak}}')" -ge 2 ]
  state $id '{{json .State.Health}}' | jq -e '.Log[-1].ExitCode == 1 and (.Log[-1].Output | endswith("bad\n"))'
  ps_of hbad Status | grep -Eq '^Up .* \(unhealthy\)$'
  until_true "actions_of hbad | grep -q 'health_status: unhealthy'"
  sk exec $id sh -c 'echo good > /ok'
  until_true "[ \"\$(state $id '{{.State.Health.Status}}')\" = healthy ]"
  [ "$(state $id '{{.State.Health.FailingStreak}}')" = 0 ]
  until_true "actions_of hbad | grep -q 'health_status: unhealthy health_status: healthy'"
}

@test "health: a probe past its timeout is killed and counts as a failure with docker's message" {
  id=$(sk run -d --name hslow --health-cmd 'sleep 1000' --health-interval 1s --health-timeout 200ms --health-retries 1 busybox sleep 1000)
  until_true "[ \"\$(state $id '{{.State.Health.Status}}')\" = unhealthy ]"
  state $id '{{json .State.Health}}' | jq -e '.Log[0].ExitCode == -1 and .Log[0].Output == "Health check exceeded timeout (200ms)"'
  # the processes of the timed out probes are gone from the container: the
  # init and at most the probe in progress (its shell and its sleep) are left
  until_true "[ \"\$(state $id '{{.State.Health.FailingStreak}}')\" -ge 3 ]"
  [ "$(sk top $id | grep -c 'sleep 1000')" -le 3 ]
  sk stop -t 1 $id
  until_true "! shim_running $id"
}

@test "health: the log keeps the last 5 probes, each output cut at 4096 bytes" {
  id=$(sk run -d --health-cmd 'head -c 5000 /dev/zero | tr "\0" a; exit 1' --health-interval 1s --health-retries 100 busybox sleep 1000)
  until_true "[ \"\$(state $id '{{.State.Health.FailingStreak}}')\" -ge 6 ]"
  state $id '{{json .State.Health}}' | jq -e '(.Log | length) == 5 and ([.Log[].Output | length] | unique) == [4096]'
}

@test "health: failures in the start period do not count" {
  id=$(sk run -d --health-cmd false --health-interval 1s --health-retries 1 --health-start-period 1h busybox sleep 1000)
  until_true "[ \"\$(state $id '{{json .State.Health}}' | jq '.Log | length')\" -ge 2 ]"
  [ "$(state $id '{{.State.Health.Status}} {{.State.Health.FailingStreak}}')" = "starting 0" ]
}

@test "health: in the start period before a first success, probes come at the start interval" {
  id=$(sk run -d --health-cmd 'test -e /ok' --health-interval 1h --health-start-period 1h --health-start-interval 1s busybox sleep 1000)
  [ "$(state $id '{{json .Config.Healthcheck.StartInterval}}')" = 1000000000 ]
  until_true "[ \"\$(state $id '{{json .State.Health}}' | jq '.Log | length')\" -ge 2 ]"
  [ "$(state $id '{{.State.Health.Status}}')" = starting ]
  sk exec $id touch /ok
  until_true "[ \"\$(state $id '{{.State.Health.Status}}')\" = healthy ]"
}

# An image whose config has a HEALTHCHECK: busybox saved, its config given one.
image_with_healthcheck() {
  local d="$BATS_TEST_TMPDIR/img"
  mkdir -p "$d"
  sk save -o "$d/bb.tar" busybox
  tar -C "$d" -xf "$d/bb.tar"
  rm "$d/bb.tar"
  python3 - "$d" << 'EOF'
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
old = m[0]["Config"]
cfg = json.load(open(os.path.join(d, old)))
cfg["config"]["Healthcheck"] = {"Test": ["CMD-SHELL", "echo from-image"], "Interval": 1000000000, "Retries": 2}
data = json.dumps(cfg).encode()
new = hashlib.sha256(data).hexdigest() + ".json"
open(os.path.join(d, new), "wb").write(data)
os.remove(os.path.join(d, old))
m[0]["Config"] = new
m[0]["RepoTags"] = ["hc:latest"]
json.dump(m, open(os.path.join(d, "manifest.json"), "w"))
os.remove(os.path.join(d, "repositories"))
EOF
  tar -C "$d" -cf "$BATS_TEST_TMPDIR/hc.tar" .
  sk load -i "$BATS_TEST_TMPDIR/hc.tar" > /dev/null
}

@test "health: the image's healthcheck is used; --health-* override its fields; --no-healthcheck disables it" {
  image_with_healthcheck
  id=$(sk run -d hc sleep 1000)
  [ "$(state $id '{{json .Config.Healthcheck}}' | jq -c .)" = '{"Test":["CMD-SHELL","echo from-image"],"Interval":1000000000,"Retries":2}' ]
  until_true "[ \"\$(state $id '{{.State.Health.Status}}')\" = healthy ]"
  state $id '{{json .State.Health}}' | jq -e '.Log[0].Output == "from-image\n"'
  id2=$(sk run -d --health-retries 5 hc sleep 1000)
  [ "$(state $id2 '{{json .Config.Healthcheck}}' | jq -c .)" = '{"Retries":5,"Test":["CMD-SHELL","echo from-image"],"Interval":1000000000}' ]
  id3=$(sk run -d --name nohc --no-healthcheck hc sleep 1000)
  [ "$(state $id3 '{{json .Config.Healthcheck.Test}}')" = '["NONE"]' ]
  [ "$(state $id3 '{{json .State.Health}}')" = null ]
  ps_of nohc Status | grep -Eq '^Up [^(]*$'
}

@test "health: a container without a healthcheck has no State.Health" {
  id=$(sk run -d busybox sleep 1000)
  [ "$(state $id '{{json .State.Health}}')" = null ]
  [ ! -e "$XR/containers/$id/health.json" ]
}

@test "health: bad values are refused with docker's messages, nothing made" {
  for f in interval timeout start-period start-interval; do
    run sk run --health-cmd true --health-$f=-1s busybox true
    [ "$status" -eq 125 ]
    [[ "$output" == *"--health-$f cannot be negative"* ]]
  done
  run sk run --health-cmd true --health-retries=-1 busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--health-retries cannot be negative"* ]]
  run sk run --health-cmd true --health-interval=10us busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"Interval in Healthcheck cannot be less than 1ms"* ]]
  run sk run --health-cmd true --health-timeout=1ns busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"Timeout in Healthcheck cannot be less than 1ms"* ]]
  run sk run --health-interval=soon busybox true
  [ "$status" -eq 125 ]
  run sk run --no-healthcheck --health-cmd true busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--no-healthcheck conflicts with --health-* options"* ]]
  [ -z "$(sk ps -aq)" ]
}
