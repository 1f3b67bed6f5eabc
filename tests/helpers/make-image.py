#!/usr/bin/env python3
"""Builds a test image as an OCI image layout, with the standard library only.

    make-image.py --rootfs DIR [--tag TAG] [--index-tag TAG] [--epoch N] [--docker] OUT

OUT gets oci-layout, index.json and blobs/sha256/. The image (tag TAG,
"latest" by default) is linux/amd64 with three gzip layers:
  1. the rootfs DIR as it is (the suite's busybox rootfs)
  2. test files: etc/skiff-test/{removed,kept}, opt/opaque/{old-a,sub/old-b},
     data/file with its hard link data/hardlink, data/xattr with the extended
     attribute user.test=skiff
  3. changes: the whiteout etc/skiff-test/.wh.removed, opt/opaque made opaque
     (.wh..wh..opq) with one new file opt/opaque/new, etc/skiff-test/kept
     rewritten, data/layer3
With --index-tag, an image index of linux/amd64 (the manifest above) and
linux/arm64/v8 (the same layers, a config of its own) is tagged too. The
arm64 image holds the amd64 busybox: it is for image tests, not for running.
With --docker, Docker's media types instead of OCI's: schema 2 manifests, a
manifest list, the image config and gzip layer types of Docker (index.json
itself stays an OCI index that points at them).

Everything is deterministic (sorted entries, a fixed mtime, no user or group
names, gzip without a name or time): the same rootfs gives the same digests.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import stat
import sys
import tarfile
import time

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
DOCKER_TYPES = {
    MT_MANIFEST: "application/vnd.docker.distribution.manifest.v2+json",
    MT_INDEX: "application/vnd.docker.distribution.manifest.list.v2+json",
    MT_CONFIG: "application/vnd.docker.container.image.v1+json",
    MT_LAYER: "application/vnd.docker.image.rootfs.diff.tar.gzip",
}


class Layer:
    """A tar layer built in memory, entries added in the order given."""

    def __init__(self, epoch):
        self.epoch = epoch
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def _info(self, name, kind, mode, uid=0, gid=0):
        ti = tarfile.TarInfo(name)
        ti.type = kind
        ti.mode = mode
        ti.uid, ti.gid = uid, gid
        ti.uname = ti.gname = ""
        ti.mtime = self.epoch
        return ti

    def dir(self, name, mode=0o755, uid=0, gid=0):
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, mode, uid, gid))

    def file(self, name, data, mode=0o644, uid=0, gid=0, xattrs=None):
        ti = self._info(name, tarfile.REGTYPE, mode, uid, gid)
        ti.size = len(data)
        if xattrs:
            ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in sorted(xattrs.items())}
        self.tar.addfile(ti, io.BytesIO(data))

    def symlink(self, name, target, uid=0, gid=0):
        ti = self._info(name, tarfile.SYMTYPE, 0o777, uid, gid)
        ti.linkname = target
        self.tar.addfile(ti)

    def hardlink(self, name, target, mode=0o644, uid=0, gid=0):
        ti = self._info(name, tarfile.LNKTYPE, mode, uid, gid)
        ti.linkname = target
        self.tar.addfile(ti)

    def finish(self):
        """(uncompressed bytes, gzip bytes)"""
        self.tar.close()
        raw = self.buf.getvalue()
        return raw, gzip.compress(raw, compresslevel=6, mtime=0)


def add_tree(layer, root):
    """Every directory, regular file and symlink under root, sorted; the
    files that are hard links of one another stay hard links."""
    seen = {}
    for top, dirs, files in os.walk(root):
        dirs.sort()
        rel_top = os.path.relpath(top, root)
        for name in sorted(dirs + files):
            path = os.path.join(top, name)
            rel = name if rel_top == "." else rel_top + "/" + name
            st = os.lstat(path)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISDIR(st.st_mode):
                layer.dir(rel, mode, st.st_uid, st.st_gid)
            elif stat.S_ISLNK(st.st_mode):
                layer.symlink(rel, os.readlink(path), st.st_uid, st.st_gid)
            elif stat.S_ISREG(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1 and key in seen:
                    layer.hardlink(rel, seen[key], mode, st.st_uid, st.st_gid)
                    continue
                seen[key] = rel
                with open(path, "rb") as f:
                    layer.file(rel, f.read(), mode, st.st_uid, st.st_gid)
            # devices, fifos and sockets: none in the test rootfs, none here


class Layout:
    def __init__(self, out):
        self.out = out
        os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)

    def blob(self, data, media_type, **extra):
        digest = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.out, "blobs", "sha256", digest)
        with open(path, "wb") as f:
            f.write(data)
        desc = {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}
        desc.update(extra)
        return desc

    def json_blob(self, obj, media_type, **extra):
        return self.blob(canonical(obj), media_type, **extra)

    def finish(self, manifests):
        with open(os.path.join(self.out, "oci-layout"), "wb") as f:
            f.write(canonical({"imageLayoutVersion": "1.0.0"}))
        with open(os.path.join(self.out, "index.json"), "wb") as f:
            f.write(canonical({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": manifests}))


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def build_layers(rootfs, epoch):
    base = Layer(epoch)
    add_tree(base, rootfs)

    files = Layer(epoch)
    files.dir("data")
    files.file("data/file", b"one inode, two names\n")
    files.hardlink("data/hardlink", "data/file")
    files.file("data/xattr", b"has user.test\n", xattrs={"user.test": "skiff"})
    files.dir("etc")
    files.dir("etc/skiff-test")
    files.file("etc/skiff-test/kept", b"layer 2\n")
    files.file("etc/skiff-test/removed", b"removed by a whiteout in layer 3\n")
    files.dir("opt")
    files.dir("opt/opaque")
    files.file("opt/opaque/old-a", b"hidden by the opaque dir of layer 3\n")
    files.dir("opt/opaque/sub")
    files.file("opt/opaque/sub/old-b", b"hidden by the opaque dir of layer 3\n")

    changes = Layer(epoch)
    changes.dir("data")
    changes.file("data/layer3", b"layer 3\n")
    changes.dir("etc")
    changes.dir("etc/skiff-test")
    changes.file("etc/skiff-test/.wh.removed", b"")
    changes.file("etc/skiff-test/kept", b"layer 3\n")
    changes.dir("opt")
    changes.dir("opt/opaque")
    changes.file("opt/opaque/.wh..wh..opq", b"")
    changes.file("opt/opaque/new", b"the only file of opt/opaque\n")

    return [
        ("the busybox rootfs", base.finish()),
        ("test files: a hard link, an xattr, files to remove", files.finish()),
        ("a whiteout, an opaque directory, a changed file", changes.finish()),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rootfs", required=True)
    ap.add_argument("--tag", default="latest")
    ap.add_argument("--index-tag", default=None)
    ap.add_argument("--epoch", type=int, default=1704067200)  # 2024-01-01T00:00:00Z
    ap.add_argument("--docker", action="store_true", help="Docker's media types")
    ap.add_argument("out")
    a = ap.parse_args()
    if not os.path.isfile(os.path.join(a.rootfs, "bin", "busybox")):
        sys.exit(f"make-image: {a.rootfs} is not the busybox rootfs (no bin/busybox)")

    created = "%04d-%02d-%02dT%02d:%02d:%02dZ" % time.gmtime(a.epoch)[:6]
    mt = (lambda t: DOCKER_TYPES[t]) if a.docker else (lambda t: t)
    layout = Layout(a.out)
    layers, diff_ids, history = [], [], []
    for what, (raw, gz) in build_layers(a.rootfs, a.epoch):
        layers.append(layout.blob(gz, mt(MT_LAYER)))
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        history.append({"created": created, "created_by": "make-image.py: " + what})

    def image(arch, variant=None):
        config = {
            "created": created,
            "architecture": arch,
            "os": "linux",
            "config": {
                "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                "Cmd": ["/bin/sh"],
                "WorkingDir": "/",
                "Labels": {"org.skiff.test": "make-image"},
            },
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }
        platform = {"architecture": arch, "os": "linux"}
        if variant:
            config["variant"] = platform["variant"] = variant
        manifest = {
            "schemaVersion": 2,
            "mediaType": mt(MT_MANIFEST),
            "config": layout.json_blob(config, mt(MT_CONFIG)),
            "layers": layers,
        }
        return manifest, platform

    amd64, amd64_platform = image("amd64")
    refs = [layout.json_blob(amd64, mt(MT_MANIFEST), annotations={REF_NAME: a.tag})]
    if a.index_tag:
        arm64, arm64_platform = image("arm64", "v8")
        index = {
            "schemaVersion": 2,
            "mediaType": mt(MT_INDEX),
            "manifests": [
                layout.json_blob(amd64, mt(MT_MANIFEST), platform=amd64_platform),
                layout.json_blob(arm64, mt(MT_MANIFEST), platform=arm64_platform),
            ],
        }
        refs.append(layout.json_blob(index, mt(MT_INDEX), annotations={REF_NAME: a.index_tag}))
    layout.finish(refs)


if __name__ == "__main__":
    main()
