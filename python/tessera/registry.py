"""tessera's operations as Python functions, made at import from the C++
registry (include/tessera/operation.hpp): one function per registered
operation, with its signature, defaults and docstring. No parameter, default
or check is written here; the registry checks every argument.

Each function accepts a numpy array or a lazy :class:`tessera.Image`. Given an
array, it computes and returns an array (as scipy.ndimage does); given an
image, it returns a lazy image that chains with expressions and other
operations, computed tile by tile with no whole-image temporary. Two
parameters belong to this face, not to the operation: ``output`` (a dtype, or
an array to compute into) where the operation has no ``output`` of its own,
and ``threads`` (for an array input).
"""
import inspect
import os
import textwrap

import numpy as np

from . import _core

_SPECS = {spec["name"]: spec for spec in _core.operations()}
_KIND_TYPES = {
    "image": "array or tessera.Image",
    "images": "sequence of arrays, tessera.Images or paths",
    "int": "int",
    "float": "float",
    "ints": "int or sequence of int",
    "reals": "float or sequence of float",
    "array": "array (a footprint: boolean), or None where optional",
    "choice": "str",
    "dtype": "dtype or None",
}


def operations():
    """Every operation tessera registers, as a list of dicts: ``name``,
    ``summary``, ``doc``, ``outputs`` and ``params`` (each with ``name``,
    ``kind``, ``default``, ``required``, ``allowed``, ``choices``, ``doc``).
    The functions of ``tessera``, ``tessera.dask`` and the command line's
    subcommands are all made from it."""
    return [dict(spec, params=[dict(p) for p in spec["params"]]) for spec in _SPECS.values()]


def _own_output(spec):
    return any(p["name"] == "output" for p in spec["params"])


def signature(spec):
    """The Python signature of a registered operation (with this face's
    ``output`` and ``threads``)."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter(p["name"], kind, default=inspect.Parameter.empty if p["required"] else p["default"])
              for p in spec["params"]]
    if not _own_output(spec):
        params.append(inspect.Parameter("output", kind, default=None))
    params.append(inspect.Parameter("threads", kind, default=None))
    return inspect.Signature(params)


def docstring(spec, face="tessera"):
    """help()'s text for a registered operation, from its registry entry."""
    lines = [spec["summary"], ""]
    if spec["doc"]:
        lines += textwrap.wrap(spec["doc"], 76) + [""]
    lines += ["Parameters", "----------"]
    for p in spec["params"]:
        head = f"{p['name']} : {_KIND_TYPES[p['kind']]}" + (" or sequence of str" if p.get("per_axis") else "")
        if not p["required"]:
            head += f", default {p['default']!r}"
        lines.append(head)
        text = p["doc"] + (f" ({p['allowed']})" if p["allowed"] else "")
        lines += textwrap.wrap(text, 72, initial_indent="    ", subsequent_indent="    ")
    if not _own_output(spec):
        lines += ["output : dtype or array, optional",
                  "    the result's dtype (converted by tessera's rule), or an array to compute into"]
    lines += ["threads : int, optional", "    threads for an array input (default: all cores)", ""]
    outs = spec["outputs"]
    result = "a tuple (" + ", ".join(outs) + ")" if len(outs) > 1 else "the result"
    if face == "dask":
        lines += ["Returns", "-------", f"{result} as Dask arrays, equal to the in-memory result for any chunking."]
    elif spec["lazy_result"]:
        lines += ["Returns", "-------", f"{result} as a lazy tessera.Image, whatever the inputs: it fuses with "
                  "what follows and streams with save()."]
    else:
        lines += ["Returns", "-------",
                  f"{result}: numpy arrays for an array input, lazy tessera.Image for an image input."]
    return "\n".join(lines)


def _stack_of(images, name):
    """A sequence of images as lazy images; paths are opened (lazily)."""
    if isinstance(images, (str, bytes, os.PathLike, np.ndarray, _core.Image)):
        raise TypeError(f"{name} takes a sequence of images (arrays, lazy images or paths)")
    out = []
    for k, x in enumerate(images):
        if isinstance(x, (str, bytes, os.PathLike)):
            x = _core.open(os.fspath(x), -1)
        elif not isinstance(x, _core.Image) and not isinstance(x, np.ndarray) and hasattr(x, "__array_interface__"):
            x = np.asarray(x)
        elif not isinstance(x, (_core.Image, np.ndarray)):
            raise TypeError(f"{name}: item {k} is a {type(x).__name__}; expected an image, an array or a path")
        out.append(x)
    return out


def _finish(results, lazy, output, threads):
    """Computes the lazy results unless the input was lazy and no array was
    given to compute into; a face-level output dtype converts them."""
    if output is not None and not isinstance(output, np.ndarray):
        results = tuple(r.astype(output) for r in results)
    if isinstance(output, np.ndarray):
        if len(results) != 1:
            raise TypeError("output= as an array takes an operation with one result")
        return results[0].compute(out=output, threads=threads)
    if not lazy:
        results = tuple(r.compute(threads=threads) for r in results)
    return results[0] if len(results) == 1 else results


def _make(spec):
    name = spec["name"]
    sig = signature(spec)
    own_output = _own_output(spec)
    main = next(p for p in spec["params"] if p["kind"] in ("image", "images"))

    def operation(*args, **kwargs):
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{name}: {e}") from None
        arguments = dict(bound.arguments)  # only what the caller gave: the registry fills defaults
        threads = arguments.pop("threads", None)
        output = arguments.get("output")
        if own_output:
            if isinstance(output, np.ndarray):
                arguments["output"] = output.dtype
            else:
                output = None  # the operation's own parameter: already applied
        else:
            arguments.pop("output", None)
        if main["kind"] == "images":
            arguments[main["name"]] = _stack_of(arguments[main["name"]], name)
        lazy = spec["lazy_result"] or isinstance(arguments[main["name"]], _core.Image)
        results = _core.call_operation(name, arguments)
        if not isinstance(results, tuple):
            results = (results,)
        return _finish(results, lazy, output, threads)

    operation.__name__ = operation.__qualname__ = name
    operation.__module__ = "tessera"
    operation.__signature__ = sig
    operation.__doc__ = docstring(spec)
    return operation


for _name, _spec in _SPECS.items():
    globals()[_name] = _make(_spec)
del _name, _spec

__all__ = ["operations", *_SPECS]
