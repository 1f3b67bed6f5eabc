#!/usr/bin/env python3
"""The image of bench/pull: an OCI layout of four gzip layers of about 50 MB
each (uncompressed), made of the host's own files (/usr/lib, /usr/share,
/usr/bin, /usr/libexec), so that it compresses like real software.
    bench/make-pull-image.py OUT TAG [VARIANTS]
VARIANTS more images, tagged TAG-1, TAG-2...: the same files, but every
layer differs (k zero blocks after the tar's end, as a second gzip member),
so that each pull of a round fetches and unpacks new layers while no store
has to be emptied between pulls.
"""
import gzip, hashlib, io, json, os, sys, tarfile

out, tag = sys.argv[1], sys.argv[2]
variants = int(sys.argv[3]) if len(sys.argv) > 3 else 0
CAP = 50 * 1000 * 1000
SOURCES = ["/usr/lib/x86_64-linux-gnu", "/usr/share", "/usr/bin", "/usr/libexec"]
os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)


def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


layers, diff_ids, total = [], [], 0
for i, src in enumerate(SOURCES):
    raw = io.BytesIO()
    size = 0
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for root, dirs, files in os.walk(src):
            dirs.sort()
            for name in sorted(files):
                p = os.path.join(root, name)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if not (os.path.isfile(p) and not os.path.islink(p)) or st.st_size > 8 << 20:
                    continue
                if size + st.st_size > CAP:
                    break
                ti = t.gettarinfo(p, arcname=f"layer{i}" + p)
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = ""
                with open(p, "rb") as f:
                    t.addfile(ti, f)
                size += st.st_size
            if size >= CAP * 0.98:
                break
    data = raw.getvalue()
    diff_ids.append(hashlib.sha256(data))
    total += len(data)
    layers.append(gzip.compress(data, compresslevel=6, mtime=0))


def image(ref, extra):
    """Writes one image whose layers end in `extra` more zero bytes."""
    tail = gzip.compress(b"\0" * extra, mtime=0) if extra else b""
    blobs, ids = [], []
    for gz, h in zip(layers, diff_ids):
        h = h.copy()
        h.update(b"\0" * extra)
        ids.append("sha256:" + h.hexdigest())
        blobs.append(put(gz + tail))
    config = {
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": ids},
    }
    cd, cs = put(json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n}
                   for d, n in blobs],
    }
    md, ms = put(json.dumps(manifest).encode())
    return blobs, {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
                   "size": ms, "annotations": {"org.opencontainers.image.ref.name": ref}}


blobs, first = image(tag, 0)
entries = [first] + [image(f"{tag}-{k}", 512 * k)[1] for k in range(1, variants + 1)]
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": entries}, f)
with open(os.path.join(out, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion": "1.0.0"}')
print(f"{total} bytes uncompressed in {len(blobs)} layers, "
      f"{sum(n for _, n in blobs)} compressed; largest layer blob {max(blobs, key=lambda l: l[1])[0]}")
