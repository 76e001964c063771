// What every part of tessera._core shares: numpy arrays <-> views (wrapped,
// never copied; kept alive by the graph), Python values as operands, the
// threads= rule, and computing an image into a new or given array with the
// GIL released.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>  // in every part alike: one set of type casters

#include <memory>
#include <optional>

#include "tessera/tessera.hpp"

namespace tessera::python {

namespace py = pybind11;

std::optional<DType> dtype_from_numpy(const py::dtype& dt);
// The dtype of a numpy dtype; TypeError naming `what` for any tessera lacks.
DType checked_dtype(const py::dtype& dt, const char* what);
py::dtype to_numpy_dtype(DType d);
// Keeps a Python object alive from C++; released with the GIL held.
std::shared_ptr<const void> keep_alive(py::object o);
// A view of a numpy array (no copy); ValueError if `writable` and it is read-only.
View view_of(const py::array& a, bool writable, const char* what);
// A numpy array over a buffer's memory (no copy).
py::array array_of(const Buffer& b);
// Images, arrays, numpy scalars and numbers as expression operands.
Operand operand_of(const py::handle& h, const char* what = "operand");
Image image_of(const py::handle& h, const char* what = "input");
int threads_of(const py::object& threads);
// Metadata as a dict: text as str, one-value tags as a number, others as a
// tuple, bytes as bytes; and back (ValueError/TypeError naming the tag).
py::dict metadata_to_python(const Metadata& m);
Metadata metadata_from_python(const py::dict& d);

// Engine work called from Python: releases the GIL, and on the main thread
// routes SIGINT to tessera::request_interrupt while it lasts, so that Ctrl-C
// stops the work at its next tile (Python's own handler cannot run until the
// call returns). The work then throws Interrupted, which the module raises
// through Python's SIGINT handler: the default raises KeyboardInterrupt, a
// program's own handler runs (and if it returns instead of raising, the
// abandoned work still ends in KeyboardInterrupt: it cannot be resumed). An
// interrupt that arrives too late to stop the work is left pending for
// Python's handler. A SIGINT the program ignores (SIG_IGN) stays ignored.
class EngineCall {
 public:
  EngineCall();
  ~EngineCall();
  EngineCall(const EngineCall&) = delete;
  EngineCall& operator=(const EngineCall&) = delete;

 private:
  bool routes_sigint_ = false;
  py::gil_scoped_release release_;  // (the handler is restored without the GIL: sigaction needs none)
};
// Records the interpreter's main thread (called at import); whether the
// caller is on it (the only thread Python runs signal handlers on).
void set_main_thread();
bool on_main_thread();
py::object compute_to_python(const Image& img, const py::object& out, int threads);

// Each part of the module binds its own functions and classes.
void bind_images(py::module_& m);
void bind_map_tiles(py::module_& m);
void bind_operations(py::module_& m);
void bind_io(py::module_& m);
void bind_chart(py::module_& m);

}  // namespace tessera::python
