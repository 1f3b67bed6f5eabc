#!/usr/bin/env bats
# make install: the executables land under PREFIX, below DESTDIR.

load helpers

@test "make install honours DESTDIR and PREFIX" {
  top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
  build=$(dirname "$(dirname "$(dirname "$SKIFF_RUNTIME_RELEASE")")")
  dest="$BATS_TEST_TMPDIR/dest"
  make -C "$top" BUILD="$build" install DESTDIR="$dest" PREFIX=/opt/skiff-test >/dev/null
  [ -x "$dest/opt/skiff-test/bin/skiff-runtime" ]
  run "$dest/opt/skiff-test/bin/skiff-runtime" --version
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "skiff-runtime version "* ]]
  # and back to the default prefix
  make -C "$top" BUILD="$build" install DESTDIR="$dest" >/dev/null
  [ -x "$dest/usr/local/bin/skiff-runtime" ]
  # nothing outside DESTDIR
  [ ! -e /opt/skiff-test ]
}
