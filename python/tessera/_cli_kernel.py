"""`tessera kernel FILE.py:NAME -i v=in.tif -o out.tif`: a @tessera.kernel
from a Python file over image files, streaming, as `tessera eval` runs an
expression. The C++ command line hands this command to Python (cli/main.cpp).
Errors print one line and exit 2 (a bad command) or 1 (a failure); no
partial output file is left, and Ctrl-C exits 130."""
import argparse
import importlib.util
import os
import sys

import numpy as np

import tessera


class _Usage(Exception):
    pass


def _parser():
    p = argparse.ArgumentParser(prog="tessera kernel", description=__doc__.split("\n\n")[0])
    p.add_argument("kernel", metavar="FILE.py:NAME", help="the file and the name of a @tessera.kernel function")
    p.add_argument("-i", "--input", action="append", default=[], metavar="NAME=FILE",
                   help="a file for each input parameter of the kernel")
    p.add_argument("-o", "--output", action="append", default=[], metavar="FILE",
                   help="the output file (one per result, in order)")
    p.add_argument("--mode", default="reflect", help="outside the image, for neighbours: reflect, mirror, nearest, "
                                                     "wrap, constant (default reflect)")
    p.add_argument("--cval", type=float, default=0.0, help="the value outside the image for --mode constant")
    p.add_argument("--const", action="append", default=[], metavar="NAME=VALUE",
                   help="a keyword-only constant of the kernel (a number)")
    p.add_argument("--dtype", help="the result's dtype (converted by tessera's rule)")
    p.add_argument("--compression", default="none", help="TIFF: none, deflate, lzw, zstd, packbits")
    p.add_argument("--threads", type=int, help="threads (default: all cores)")
    return p


def _pairs(items, what):
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise _Usage(f"{what} takes NAME=VALUE, got '{item}'")
        out[name] = value
    return out


def _load(spec):
    path, colon, name = spec.rpartition(":")
    if not colon or not path or not name:
        raise _Usage(f"the kernel is FILE.py:NAME, got '{spec}'")
    if not os.path.isfile(path):
        raise OSError(f"{path}: no such file")
    module_spec = importlib.util.spec_from_file_location(f"_tessera_kernel_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))  # the file's own imports
    module_spec.loader.exec_module(module)
    k = getattr(module, name, None)
    if k is None:
        raise _Usage(f"{path} defines no '{name}'")
    if not isinstance(k, tessera.Kernel):
        if not callable(k):
            raise _Usage(f"{path}: '{name}' is not a function")
        k = tessera.kernel(k)
    return k


def _number(text):
    try:
        return int(text)
    except ValueError:
        return float(text)


def main(argv):
    args = _parser().parse_args(argv)
    try:
        if args.threads is not None and not 1 <= args.threads <= 1024:
            raise _Usage(f"--threads must be 1 to 1024, got {args.threads}")
        k = _load(args.kernel)
        files = _pairs(args.input, "--input")
        constants = {n: _number(v) for n, v in _pairs(args.const, "--const").items()}
        missing = [n for n in k._inputs if n not in files]
        extra = [n for n in files if n not in k._inputs]
        if missing or extra:
            raise _Usage(f"{k.__name__} takes inputs {', '.join(k._inputs)}: "
                         + (f"no file for {', '.join(missing)}" if missing else f"no input named {', '.join(extra)}"))
        images = [tessera.open(files[n]) for n in k._inputs]
        result = k(*images, mode=args.mode, cval=args.cval, dtype=np.dtype(args.dtype) if args.dtype else None,
                   **constants)
        results = result if isinstance(result, tuple) else (result,)
        if len(args.output) != len(results):
            raise _Usage(f"{k.__name__} gives {len(results)} result(s): give as many -o files, got {len(args.output)}")
        for image, path in zip(results, args.output):
            image.save(path, compression=args.compression, threads=args.threads)
    except _Usage as e:
        print(f"tessera: error: {e}", file=sys.stderr)
        return 2
    except (SyntaxError, TypeError, ValueError, NameError) as e:
        print(f"tessera: error: {e}", file=sys.stderr)
        return 2
    except (OSError, MemoryError) as e:
        print(f"tessera: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
