// tessera.Image: its operators, basic indexing, evaluate/expression, asarray and block.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "convert.hpp"

namespace tessera::python {

namespace {

// ---- basic indexing ----

std::vector<AxisIndex> indices_of(const Image& img, const py::object& key) {
  py::tuple items = py::isinstance<py::tuple>(key) ? key.cast<py::tuple>() : py::make_tuple(key);
  std::size_t consuming = 0;
  bool ellipsis = false;
  for (auto item : items) {
    if (item.is(py::ellipsis())) {
      if (ellipsis) throw ValueError("an index can only have a single ellipsis ('...')");
      ellipsis = true;
    } else if (!item.is_none()) {
      ++consuming;
    }
  }
  if (consuming > img.ndim())
    throw ValueError("too many indices: image is " + std::to_string(img.ndim()) + "-dimensional, but " +
                     std::to_string(consuming) + " were indexed");
  std::vector<AxisIndex> out;
  std::size_t axis = 0;
  auto full = [&](std::size_t ax) { return AxisIndex{AxisIndex::Kind::Slice, 0, 1, img.shape()[ax]}; };
  for (auto item : items) {
    if (item.is(py::ellipsis())) {
      for (std::size_t k = 0; k < img.ndim() - consuming; ++k) out.push_back(full(axis++));
    } else if (item.is_none()) {
      out.push_back({AxisIndex::Kind::NewAxis, 0, 1, 1});
    } else if (py::isinstance<py::slice>(item)) {
      py::ssize_t start, stop, step, length;
      if (!item.cast<py::slice>().compute(img.shape()[axis], &start, &stop, &step, &length))
        throw py::error_already_set();
      out.push_back({AxisIndex::Kind::Slice, start, step, length});
      ++axis;
    } else if (PyIndex_Check(item.ptr())) {
      std::int64_t i = item.cast<std::int64_t>();
      const std::int64_t n = img.shape()[axis];
      if (i < -n || i >= n)
        throw py::index_error("index " + std::to_string(i) + " is out of bounds for axis " +
                              std::to_string(axis) + " with size " + std::to_string(n));
      if (i < 0) i += n;
      out.push_back({AxisIndex::Kind::Integer, i, 1, 1});
      ++axis;
    } else {
      throw py::index_error("tessera images support basic indexing only (integers, slices, None, ...); got " +
                            py::str(item.get_type()).cast<std::string>());
    }
  }
  while (axis < img.ndim()) out.push_back(full(axis++));
  return out;
}

// ---- operators ----

Image binary_op(const char* op, const py::object& a, const py::object& b) {
  return tessera::apply(op, {operand_of(a), operand_of(b)});
}

}  // namespace

void bind_images(py::module_& m) {
  py::class_<Image>(m, "Image", R"doc(A lazy N-d image: operations build a pipeline; compute() or
numpy.asarray() runs it tile by tile on all cores with no full-size intermediate.)doc")
      .def_property_readonly("shape", [](const Image& i) { return py::tuple(py::cast(i.shape())); })
      .def_property_readonly("dtype", [](const Image& i) { return to_numpy_dtype(i.dtype()); })
      .def_property_readonly("ndim", &Image::ndim)
      .def_property_readonly("size", [](const Image& i) { return element_count(i.shape()); })
      .def("halo", [](const Image& i) { return py::tuple(py::cast(i.halo())); },
           "How far, per axis, computing any region reaches into the inputs: a part computed apart needs this "
           "much of its neighbours.")
      .def("alignment", [](const Image& i) { return py::tuple(py::cast(i.alignment())); },
           "The period per axis of the absolute grids the kernels follow: a part computed apart must start at a "
           "multiple of it to give the same bits (1: anywhere).")
      .def("__len__", [](const Image& i) {
        if (i.ndim() == 0) throw TypeError("len() of a 0-d image");
        return i.shape()[0];
      })
      .def("astype", [](const Image& i, const py::object& dt) {
        return i.astype(checked_dtype(py::dtype::from_args(dt), "astype's dtype"));
      }, py::arg("dtype"),
           "Converts element-wise: floats round to nearest (ties to even) and saturate, NaN becomes 0; "
           "integers saturate.")
      .def("compute", [](const Image& i, py::object out, py::object threads) {
        return compute_to_python(i, out, threads_of(threads));
      }, py::arg("out") = py::none(), py::arg("threads") = py::none())
      .def("__array__", [](const Image& i, py::object dtype) {
        py::object a = compute_to_python(i, py::none(), 0);
        if (!dtype.is_none()) a = a.attr("astype")(dtype, py::arg("copy") = false);
        return a;
      }, py::arg("dtype") = py::none())
      .def("__getitem__", [](const Image& i, py::object key) { return i.index(indices_of(i, key)); })
      .def("__bool__", [](const Image&) -> bool {
        throw ValueError("the truth value of a tessera image is ambiguous; compute it, or use .any()/.all() in numpy");
      })
      .def("__repr__", [](const Image& i) {
        return "tessera.Image(shape=" + shape_to_string(i.shape()) + ", dtype=" + std::string(dtype_name(i.dtype())) +
               ", node=" + i.node()->name() + ")";
      })
      .def("__neg__", [](const Image& a) { return -a; })
      .def("__pos__", [](const Image& a) { return a; })
      .def("__invert__", [](const Image& a) { return ~a; })
      .def("__abs__", [](const Image& a) { return tessera::apply("abs", {a}); })
#define TESSERA_BINARY(name, rname, op)                                                                   \
  .def(name, [](const py::object& a, const py::object& b) { return binary_op(op, a, b); }, py::is_operator()) \
      .def(rname, [](const py::object& a, const py::object& b) { return binary_op(op, b, a); }, py::is_operator())
      TESSERA_BINARY("__add__", "__radd__", "+")
      TESSERA_BINARY("__sub__", "__rsub__", "-")
      TESSERA_BINARY("__mul__", "__rmul__", "*")
      TESSERA_BINARY("__truediv__", "__rtruediv__", "/")
      TESSERA_BINARY("__floordiv__", "__rfloordiv__", "//")
      TESSERA_BINARY("__mod__", "__rmod__", "%")
      TESSERA_BINARY("__pow__", "__rpow__", "**")
      TESSERA_BINARY("__and__", "__rand__", "&")
      TESSERA_BINARY("__or__", "__ror__", "|")
      TESSERA_BINARY("__xor__", "__rxor__", "^")
      TESSERA_BINARY("__lshift__", "__rlshift__", "<<")
      TESSERA_BINARY("__rshift__", "__rrshift__", ">>")
#undef TESSERA_BINARY
      .def("__lt__", [](const py::object& a, const py::object& b) { return binary_op("<", a, b); }, py::is_operator())
      .def("__le__", [](const py::object& a, const py::object& b) { return binary_op("<=", a, b); }, py::is_operator())
      .def("__gt__", [](const py::object& a, const py::object& b) { return binary_op(">", a, b); }, py::is_operator())
      .def("__ge__", [](const py::object& a, const py::object& b) { return binary_op(">=", a, b); }, py::is_operator())
      .def("__eq__", [](const py::object& a, const py::object& b) { return binary_op("==", a, b); }, py::is_operator())
      .def("__ne__", [](const py::object& a, const py::object& b) { return binary_op("!=", a, b); }, py::is_operator())
      .attr("__array_ufunc__") = py::none();
  // numpy's operators defer to ours (arr + img calls img.__radd__).
  m.attr("Image").attr("__hash__") = py::none();

  m.def("asarray", [](const py::object& a) { return image_of(a, "asarray's argument"); }, py::arg("a"),
        "Wraps a numpy array (no copy) as a lazy image; an image is returned as is.");

  m.def(
      "block",
      [](const py::list& pieces, const Shape& grid) {
        std::vector<View> views;
        for (std::size_t i = 0; i < pieces.size(); ++i) {
          py::array a = py::array::ensure(pieces[i]);
          if (!a) throw TypeError("block: piece " + std::to_string(i) + " is not an array");
          views.push_back(view_of(a, false, "block piece"));
        }
        return tessera::block(views, grid);
      },
      py::arg("pieces"), py::arg("grid"));

  m.def("apply", [](const std::string& op, const py::args& args) {
    std::vector<Operand> ops;
    for (auto a : args) ops.push_back(operand_of(a));
    return tessera::apply(op, ops);
  });

  m.def("expression_names", &expression_names, py::arg("expression"));

  // The variables, and the boundary of neighbour reads (a[-1, 0]).
  auto lazy = [](const std::string& expr, const py::dict& variables, const std::string& mode, double cval) {
    Variables vars;
    for (auto [k, v] : variables) {
      const std::string name = k.cast<std::string>();
      vars.emplace(name, operand_of(v, ("variable '" + name + "'").c_str()));
    }
    return expression(expr, vars, Boundary{parse_boundary_mode(mode), cval});
  };
  m.def("evaluate", [lazy](const std::string& expr, const py::dict& variables, py::object out, py::object threads,
                           const std::string& mode, double cval) {
    return compute_to_python(lazy(expr, variables, mode, cval), out, threads_of(threads));
  }, py::arg("expression"), py::arg("variables"), py::arg("out") = py::none(), py::arg("threads") = py::none(),
     py::arg("mode") = "reflect", py::arg("cval") = 0.0);
  m.def("expression", lazy, py::arg("expression"), py::arg("variables"), py::arg("mode") = "reflect",
        py::arg("cval") = 0.0);
}

}  // namespace tessera::python
