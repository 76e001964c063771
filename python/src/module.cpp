// tessera._core: the thin Python face of the C++ engine. numpy arrays are
// wrapped without a copy (and kept alive by the graph); every compute runs
// with the GIL released. Each part binds itself (convert.hpp lists them).
#include <pybind11/pybind11.h>

#include "convert.hpp"
#include "engine/scratch_pool.hpp"

namespace py = pybind11;
using namespace tessera;

PYBIND11_MODULE(_core, m) {
  m.doc() = "tessera's C++ engine";
  tessera::python::set_main_thread();

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ExprSyntaxError& e) {
      // Positions in characters, as Python counts them (the parser counts
      // bytes of UTF-8); text decoded with replacement, and NULs kept, so that
      // no byte of the expression can spoil the message.
      const std::string& source = e.expression();
      const std::size_t at = std::min(e.position(), source.size());
      std::size_t chars = 0;
      for (std::size_t i = 0; i < at; ++i) chars += (static_cast<unsigned char>(source[i]) & 0xC0) != 0x80;
      auto text = [](const std::string& s) {
        return py::reinterpret_steal<py::object>(
            PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace"));
      };
      const py::object msg = text(e.message() + " at position " + std::to_string(chars));
      const py::object details =
          py::make_tuple("<expression>", 1, static_cast<int>(chars) + 1, text(source));
      py::object err = py::reinterpret_steal<py::object>(
          PyObject_CallFunctionObjArgs(PyExc_SyntaxError, msg.ptr(), details.ptr(), nullptr));
      PyErr_SetObject(PyExc_SyntaxError, err.ptr());
    } catch (const Interrupted&) {
      // Through Python's SIGINT handler, as if it had run: a program's own
      // handler is honoured; the default raises KeyboardInterrupt.
      // Elsewhere (work on another thread stopped by the same request), a
      // plain KeyboardInterrupt.
      if (python::on_main_thread()) PyErr_SetInterrupt();
      if (!python::on_main_thread() || PyErr_CheckSignals() == 0) PyErr_SetNone(PyExc_KeyboardInterrupt);
    } catch (const NameError& e) {
      PyErr_SetString(PyExc_NameError, e.what());
    } catch (const TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const IOError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });

  python::bind_images(m);
  python::bind_map_tiles(m);
  python::bind_operations(m);
  python::bind_io(m);
  python::bind_chart(m);

  m.def("default_threads", &default_threads, "threads used when threads=None");
  m.def("function_names", &function_names);
  m.def("_scratch_pool_bytes", [] { return detail::scratch_pool_bytes() + detail::idle_workspace_bytes(); },
        "the part of retained_bytes() that is the engine's scratch (the tile scratch and idle workspaces that "
        "finished runs left)");
  m.def("retained_bytes", &retained_bytes,
        "bytes of freed large buffers kept for reuse (each returned to the system after 2 s unused)");
  m.def("release_memory", &release_memory, "returns every kept buffer to the system now");
  m.def("retained_limit", &retained_limit, "the cap on kept bytes (default: RAM / 8, at most 4 GiB)");
  m.def("set_retained_limit", &set_retained_limit, py::arg("bytes"),
        "sets the cap on kept bytes; what is kept beyond it goes back now; 0 keeps nothing");
  m.def("simd", [] { return std::string(simd_instruction_set()); }, "the instruction set of the kernels in use");
}
