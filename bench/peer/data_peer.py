#!/usr/bin/env python3
"""The peer for `gan3d-bench data`: the same data work done the usual Python way.

NumPy reads and writes the ModelNet10 chairs (.npy.gz, gzip level 6 as ours), scikit-image extracts
the same 64³ sphere field (1.5 - distance from the centre / 24, iso 0.5) with marching_cubes.
Prints one JSON object: case name -> median milliseconds after a warm-up run, plus counts the bench
uses to cross-check its own results. Cases whose library or data is missing are left out.
Never a dependency of the product or CI (bench/data.sh runs it when asked).
"""
import argparse, gzip, io, json, os, statistics, sys, tempfile, time

import numpy as np


def median_ms(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join("..", "shared", "data"))
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    out = {"version": f"numpy {np.__version__}"}

    chairs = os.path.join(a.shared, "voxels", "modelnet10", "chair-train-32.npy.gz")
    if os.path.exists(chairs):
        def read():
            with gzip.open(chairs, "rb") as f:
                return np.load(io.BytesIO(f.read()))
        data = read()
        out["read-chairs-npy-gz"] = median_ms(read, a.repeat)
        out["read-chairs-npy-gz-occupied"] = int((data > 0.5).sum())
        fd, temp = tempfile.mkstemp(suffix=".npy.gz")
        os.close(fd)
        try:
            def write():
                with gzip.open(temp, "wb", compresslevel=6) as f:
                    np.save(f, data)
            out["write-chairs-npy-gz"] = median_ms(write, a.repeat)
        finally:
            os.remove(temp)

    try:
        import skimage
        from skimage.measure import marching_cubes
        r, radius = 64, 24.0
        i, j, k = np.meshgrid(*[np.arange(r, dtype=np.float32)] * 3, indexing="ij")
        c = (r - 1) / 2
        field = (1.5 - np.sqrt((i - c) ** 2 + (j - c) ** 2 + (k - c) ** 2) / radius).astype(np.float32)
        verts, faces, _, _ = marching_cubes(field, 0.5)
        out["marching-cubes-64"] = median_ms(lambda: marching_cubes(field, 0.5), a.repeat)
        out["marching-cubes-64-triangles"] = int(len(faces))
        out["version"] += f", scikit-image {skimage.__version__}"
    except ImportError:
        print("data_peer.py: scikit-image not installed, marching cubes left out", file=sys.stderr)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
