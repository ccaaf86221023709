"""Decodes images with peer decoders (zxing-cpp, zbar) for the decode benchmark.

Usage: peers.py DECODER < paths   (DECODER is zxing-cpp or zbar; one image path a line)
Prints one JSON object per image: {"path", "texts", "ms"}; the image is loaded and converted
to 8-bit luma before the clock starts, so only decoding is timed, as for our decoder.
Exits with status 3 and a message on stderr when the decoder's Python module is missing.
"""
import json
import sys
import time


def load_luma(path):
    from PIL import Image
    import numpy

    with Image.open(path) as img:
        return numpy.asarray(img.convert("L"))


def zxing_cpp():
    import zxingcpp

    def run(luma):
        return [r.text for r in zxingcpp.read_barcodes(luma)]

    return run


def zbar():
    from pyzbar import pyzbar

    # pyzbar 0.1.9 raises on a symbol whose orientation zbar leaves unknown (it does for
    # structured-append parts) instead of returning what zbar decoded.
    known = pyzbar.ZBarOrientation

    class Orientation:
        def __init__(self, value):
            try:
                self.name = known(value).name
            except ValueError:
                self.name = "UNKNOWN"

    pyzbar.ZBarOrientation = Orientation

    def run(luma):
        return [s.data.decode("utf-8", errors="replace") for s in pyzbar.decode(luma)]

    return run


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    factories = {"zxing-cpp": zxing_cpp, "zbar": zbar}
    if name not in factories:
        print(f"unknown decoder {name!r}; expected one of {sorted(factories)}", file=sys.stderr)
        return 2
    try:
        run = factories[name]()
        import numpy  # noqa: F401  (needed to hand images over)
        import PIL  # noqa: F401
    except ImportError as err:
        print(f"{name}: {err}", file=sys.stderr)
        return 3
    for line in sys.stdin:
        path = line.rstrip("\n")
        if not path:
            continue
        luma = load_luma(path)
        # CPU time of this thread, as for our decoder: on a shared machine wall time also
        # counts the wait for a core, which says nothing about the decoder.
        start = time.thread_time()
        texts = run(luma)
        ms = (time.thread_time() - start) * 1000.0
        print(json.dumps({"path": path, "texts": texts, "ms": ms}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
