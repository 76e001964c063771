// tessera._core: the thin Python face of the C++ engine. numpy arrays are
// wrapped without a copy (and kept alive by the graph); every compute runs
// with the GIL released.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <mutex>
#include <optional>

#include "engine/scratch_pool.hpp"
#include "tessera/tessera.hpp"

namespace py = pybind11;
using namespace tessera;

namespace {

// ---- numpy <-> views ----

std::optional<DType> dtype_from_numpy(const py::dtype& dt) {
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'b' && size == 1) return DType::Bool;
  if (kind == 'u' || kind == 'i') {
    const bool s = kind == 'i';
    switch (size) {
      case 1: return s ? DType::Int8 : DType::UInt8;
      case 2: return s ? DType::Int16 : DType::UInt16;
      case 4: return s ? DType::Int32 : DType::UInt32;
      case 8: return s ? DType::Int64 : DType::UInt64;
      default: return std::nullopt;
    }
  }
  if (kind == 'f' && size == 4) return DType::Float32;
  if (kind == 'f' && size == 8) return DType::Float64;
  return std::nullopt;
}

DType checked_dtype(const py::dtype& dt, const char* what) {
  auto d = dtype_from_numpy(dt);
  const bool native = dt.attr("isnative").cast<bool>();
  if (!d || !native)
    throw TypeError(std::string(what) + " has dtype " + py::str(static_cast<py::handle>(dt)).cast<std::string>() +
                    (d ? " in non-native byte order" : "") +
                    "; tessera supports bool, uint8, int8, uint16, int16, uint32, int32, uint64, "
                    "int64, float32 and float64");
  return *d;
}

py::dtype to_numpy_dtype(DType d) { return py::dtype(std::string(dtype_name(d))); }

// Keeps a Python object alive from C++; released with the GIL held.
std::shared_ptr<const void> keep_alive(py::object o) {
  return std::shared_ptr<const void>(new py::object(std::move(o)), [](const void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<const py::object*>(p);
  });
}

View view_of(const py::array& a, bool writable, const char* what) {
  if (writable && !a.writeable()) throw ValueError(std::string(what) + " is read-only");
  View v;
  v.dtype = checked_dtype(a.dtype(), what);
  v.data = static_cast<std::byte*>(const_cast<void*>(a.data()));
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    v.shape.push_back(a.shape(i));
    v.strides.push_back(a.strides(i));
  }
  v.owner = keep_alive(a);
  return v;
}

py::array array_of(const Buffer& b) {
  // The array's base owns the buffer's memory: no copy.
  auto* owner = new std::shared_ptr<const void>(b.view().owner);
  py::capsule base(owner, [](void* p) { delete static_cast<std::shared_ptr<const void>*>(p); });
  return py::array(to_numpy_dtype(b.dtype()), b.shape(), b.view().strides, b.data(), base);
}

// Python values as expression operands: images, arrays, numpy scalars, numbers.
Operand operand_of(const py::handle& h, const char* what = "operand") {
  if (py::isinstance<Image>(h)) return h.cast<Image>();
  if (py::isinstance<py::bool_>(h)) return Scalar::of(h.cast<bool>());
  if (PyLong_Check(h.ptr())) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(h.ptr(), &overflow);
    if (overflow) throw ValueError(std::string(what) + ": integer " + py::str(h).cast<std::string>() +
                                   " does not fit in int64");
    return Scalar::of(static_cast<std::int64_t>(v));
  }
  if (PyFloat_Check(h.ptr())) return Scalar::of(h.cast<double>());
  py::array a = py::array::ensure(h);
  if (!a) throw TypeError(std::string(what) + " of type " + py::str(h.get_type()).cast<std::string>() +
                          " is not an array, image or number");
  if (a.ndim() == 0) {
    const DType d = checked_dtype(a.dtype(), what);
    const py::object item = a.attr("item")();
    Scalar sc = Scalar::typed(d, item.cast<double>());
    // Integers keep every bit (a double holds only 53); uint64 beyond int64 stays approximate.
    if (is_integer(d) && d != DType::UInt64) sc.i = item.cast<std::int64_t>();
    return sc;
  }
  return Image::wrap(view_of(a, false, what));
}

Image image_of(const py::handle& h, const char* what = "input") {
  Operand op = operand_of(h, what);
  if (const auto* img = std::get_if<Image>(&op.value())) return *img;
  return tessera::apply("u+", {op});  // a scalar as a 0-d image
}

int threads_of(const py::object& threads) {
  if (threads.is_none()) return 0;
  const int t = threads.cast<int>();
  if (t < 1) throw ValueError("threads must be a positive integer or None, got " + std::to_string(t));
  return t;
}

py::object compute_to_python(const Image& img, const py::object& out, int threads) {
  if (out.is_none()) {
    Buffer b;
    {
      py::gil_scoped_release release;
      b = img.compute({threads});
    }
    return array_of(b);
  }
  py::array a = py::array::ensure(out);
  if (!a) throw TypeError("out must be a numpy array");
  const View v = view_of(a, true, "out");
  {
    py::gil_scoped_release release;
    img.compute_into(v, {threads});
  }
  return std::move(a);
}

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

// ---- map_tiles ----

struct TileCall {
  py::function func;
  std::size_t tiled;
  Shape halo;
  std::optional<DType> out_dtype;
  // The probe's result for the first tile, reused by the real run.
  std::mutex mutex;
  std::optional<Region> cached_region;
  py::object cached;

  std::string where(const Region& r) const { return "the tile at " + r.to_string(); }

  // Calls the function on one tile. The caller holds the GIL, and every
  // Python object made here dies while it still does.
  py::object call(const Region& region, const std::vector<View>& inputs) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (cached_region && *cached_region == region) {
        cached_region.reset();
        return std::move(cached);
      }
    }
    py::list args;
    for (const View& v : inputs) {
      // Read-only views of the tile's inputs, valid during the call.
      py::array a(to_numpy_dtype(v.dtype), v.shape, v.strides, v.data, py::none());
      a.attr("flags").attr("writeable") = false;
      args.append(a);
    }
    try {
      return func(*args);
    } catch (py::error_already_set& e) {
      const std::string note = "tessera.map_tiles: raised by the function in " + where(region);
      if (py::hasattr(e.value(), "add_note")) e.value().attr("add_note")(note);
      throw;
    }
  }

  // The engine's tile kernel (on a worker thread, without the GIL): runs the
  // function, checks its result and copies it into out, trimming the halo.
  // The copy runs without the GIL, so other tiles' functions run meanwhile.
  void tile(const Region& region, const std::vector<View>& inputs, const View& out) {
    py::gil_scoped_acquire gil;
    const py::object result = call(region, inputs);
    py::array a = py::array::ensure(result);
    if (!a) throw TypeError("map_tiles: the function returned " + py::str(result.get_type()).cast<std::string>() +
                            " for " + where(region) + "; it must return an array");
    const View v = view_of(a, false, "the function's result");
    if (v.ndim() < tiled) throw ValueError("map_tiles: the function returned shape " + shape_to_string(v.shape) +
                                           " for " + where(region));
    Region trim{Shape(v.ndim(), 0), v.shape};
    for (std::size_t k = 0; k < tiled; ++k) {
      const std::int64_t h = k < halo.size() ? halo[k] : 0;
      if (v.shape[k] == region.size[k] + 2 * h) {
        trim.offset[k] = h;
        trim.size[k] = region.size[k];
      } else if (v.shape[k] != region.size[k]) {
        Shape with_halo = region.size;
        for (std::size_t j = 0; j < tiled; ++j) with_halo[j] += 2 * (j < halo.size() ? halo[j] : 0);
        throw ValueError("map_tiles: the function returned shape " + shape_to_string(v.shape) + " for " +
                         where(region) + "; expected leading axes " +
                         shape_to_string(Shape(with_halo.begin(), with_halo.begin() + tiled)) + " (with halo) or " +
                         shape_to_string(Shape(region.size.begin(), region.size.begin() + tiled)));
      }
    }
    const View src = v.sub(trim);
    if (!std::equal(src.shape.begin() + tiled, src.shape.end(), out.shape.begin() + tiled, out.shape.end()))
      throw ValueError("map_tiles: the function returned shape " + shape_to_string(v.shape) + " for " +
                       where(region) + ", but the first tile's trailing axes were " +
                       shape_to_string(Shape(out.shape.begin() + tiled, out.shape.end())));
    py::gil_scoped_release release;
    Image::wrap(src).compute_into(out, {1});
  }
};

py::object map_tiles_py(py::function func, py::args arrays, py::object tile, py::object halo, const std::string& mode,
                        double cval, py::object out_dtype, py::object threads) {
  std::vector<Image> inputs;
  for (auto a : arrays) inputs.push_back(image_of(a, "map_tiles input"));
  if (inputs.empty()) throw ValueError("map_tiles needs at least one input array");
  auto call = std::make_shared<TileCall>();
  call->func = func;
  TileOptions o;
  o.tile = py::isinstance<py::int_>(tile) ? Shape{tile.cast<std::int64_t>()} : tile.cast<Shape>();
  call->tiled = o.tile.size();
  if (py::isinstance<py::int_>(halo)) o.halo.assign(o.tile.size(), halo.cast<std::int64_t>());
  else o.halo = halo.cast<Shape>();
  call->halo = o.halo;
  o.boundary = Boundary{parse_boundary_mode(mode), cval};
  if (!out_dtype.is_none()) call->out_dtype = checked_dtype(py::dtype::from_args(out_dtype), "out_dtype");
  const int n_threads = threads_of(threads);

  // Probe: run the first tile to learn the output's dtype and trailing axes.
  o.out_dtype = DType::Bool;
  py::object first;
  Region first_region;
  Image probe = map_tiles(
      [&](const Region& r, const std::vector<View>& in, const View&) {
        py::gil_scoped_acquire gil;
        first = call->call(r, in);
        first_region = r;
      },
      inputs, o);
  {
    Region r0 = Region::whole(probe.shape());
    for (std::size_t k = 0; k < o.tile.size(); ++k) r0.size[k] = std::min(o.tile[k], r0.size[k]);
    if (r0.count() == 0) throw ValueError("map_tiles: the input is empty");
    py::gil_scoped_release release;
    probe.compute_region(r0);
  }
  py::array first_array = py::array::ensure(first);
  if (!first_array) throw TypeError("map_tiles: the function returned " + py::str(first.get_type()).cast<std::string>() +
                                    " for the tile at " + first_region.to_string() + "; it must return an array");
  o.out_dtype = call->out_dtype ? *call->out_dtype : checked_dtype(first_array.dtype(), "the function's result");
  for (py::ssize_t k = static_cast<py::ssize_t>(o.tile.size()); k < first_array.ndim(); ++k)
    o.out_trailing.push_back(first_array.shape(k));
  call->cached = first_array;
  call->cached_region = first_region;

  Image result = map_tiles(
      [call](const Region& r, const std::vector<View>& in, const View& out) { call->tile(r, in, out); },
      inputs, o);
  return compute_to_python(result, py::none(), n_threads);
}

// ---- the operation registry ----

py::object python_value(const Value& v) {
  return std::visit(
      [](const auto& x) -> py::object {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return py::none();
        else if constexpr (std::is_same_v<T, Shape> || std::is_same_v<T, std::vector<double>>) {
          if (x.size() == 1) return py::cast(x[0]);
          return py::tuple(py::cast(x));
        } else if constexpr (std::is_same_v<T, DType>) return py::str(std::string(dtype_name(x)));
        else return py::cast(x);
      },
      v);
}

py::dict operation_dict(const Operation& op) {
  py::dict d;
  d["name"] = op.name;
  d["summary"] = op.summary;
  d["doc"] = op.doc;
  d["outputs"] = py::tuple(py::cast(op.outputs));
  py::list params;
  for (const ParamSpec& p : op.params) {
    py::dict q;
    q["name"] = p.name;
    q["kind"] = std::string(param_kind_name(p.kind));
    q["doc"] = p.doc;
    q["required"] = p.required;
    q["default"] = p.required ? py::none() : python_value(p.default_value);
    q["allowed"] = allowed_to_string(p);
    q["choices"] = py::tuple(py::cast(p.choices));
    params.append(q);
  }
  d["params"] = params;
  return d;
}

// A Python argument as a registry Value of the parameter's kind; the
// registry then checks it (range, choices) with the same message every face
// gives. Numbers are taken from anything numpy calls a number; bools are not
// numbers here.
Value value_of(const py::handle& h, const ParamSpec& p, const Operation& op) {
  const std::string what = op.name + ": " + p.name;
  auto type_error = [&](const char* want) -> TypeError {
    return TypeError(what + " must be " + want + ", got " + py::repr(h).cast<std::string>());
  };
  auto number = [&](const py::handle& x) -> std::optional<Value> {
    if (py::isinstance<py::bool_>(x)) return std::nullopt;
    if (py::isinstance<py::array>(x)) {  // a 0-d array is a number; numpy bools are not
      const py::array a = py::reinterpret_borrow<py::array>(x);
      if (a.ndim() != 0 || a.dtype().kind() == 'b') return std::nullopt;
    } else if (py::isinstance(x, py::module_::import("numpy").attr("bool_"))) {
      return std::nullopt;
    }
    if (PyIndex_Check(x.ptr())) {
      int overflow = 0;
      py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(x.ptr()));
      if (!i) throw py::error_already_set();
      const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
      if (overflow) throw ValueError(what + ": " + py::str(x).cast<std::string>() + " is out of range");
      return static_cast<std::int64_t>(v);
    }
    if (PyFloat_Check(x.ptr()) || py::isinstance(x, py::module_::import("numpy").attr("floating")))
      return x.cast<double>();
    return std::nullopt;
  };
  switch (p.kind) {
    case ParamKind::Image: return image_of(h, what.c_str());
    case ParamKind::DType:
      if (h.is_none()) return std::monostate{};
      return checked_dtype(py::dtype::from_args(py::reinterpret_borrow<py::object>(h)), what.c_str());
    case ParamKind::Choice:
      if (!py::isinstance<py::str>(h)) throw type_error(("a string, " + allowed_to_string(p)).c_str());
      return h.cast<std::string>();
    case ParamKind::Int:
    case ParamKind::Real:
      if (auto v = number(h)) return *v;
      throw type_error(p.kind == ParamKind::Int ? "an integer" : "a number");
    case ParamKind::Ints:
    case ParamKind::Reals: {
      const bool ints = p.kind == ParamKind::Ints;
      const char* want = ints ? "an integer or a sequence of integers" : "a number or a sequence of numbers";
      if (auto v = number(h)) return *v;
      if ((!py::isinstance<py::sequence>(h) && !py::isinstance<py::array>(h)) || py::isinstance<py::str>(h))
        throw type_error(want);
      Shape s;
      std::vector<double> r;
      for (auto item : py::reinterpret_borrow<py::iterable>(h)) {
        const auto v = number(item);
        if (!v) throw type_error(want);
        const Value checked = check_argument(op, p, *v);  // names the operation on 3.5
        if (ints) s.push_back(std::get<Shape>(checked)[0]);
        else r.push_back(std::get<std::vector<double>>(checked)[0]);
      }
      if (ints) return s;
      return r;
    }
  }
  throw InternalError("unknown parameter kind");
}

// ---- operators ----

Image binary_op(const char* op, const py::object& a, const py::object& b) {
  return tessera::apply(op, {operand_of(a), operand_of(b)});
}

}  // namespace

// ChartOptions from the Python keywords (tessera.StreamChart's signature).
ChartOptions chart_options_of(std::int64_t height, std::int64_t width, const std::string& style, int channels,
                              const py::object& dtype, const py::object& vmin, const py::object& vmax,
                              const std::string& origin, const py::object& colormap, const py::object& foreground,
                              const py::object& background) {
  ChartOptions o;
  o.height = height;
  o.width = width;
  o.style = parse_chart_style(style);
  o.channels = channels;
  o.dtype = checked_dtype(py::dtype::from_args(dtype), "chart dtype");
  o.vmin = vmin.is_none() ? std::nullopt : std::optional<double>(vmin.cast<double>());
  o.vmax = vmax.is_none() ? std::nullopt : std::optional<double>(vmax.cast<double>());
  o.origin = parse_chart_origin(origin);
  if (py::isinstance<py::str>(colormap)) {
    if (colormap.cast<std::string>() != "height")
      throw ValueError("chart: colormap must be None, 'height' or a (256, channels) uint8 table, got '" +
                       colormap.cast<std::string>() + "'");
    if (channels == 1 || channels == 3 || channels == 4) o.colormap = height_colormap(channels);
  } else if (!colormap.is_none()) {
    const py::array table = py::array::ensure(colormap);
    if (!table || table.dtype().kind() != 'u' || table.itemsize() != 1)
      throw ValueError("chart: a colormap table must be a uint8 array of shape (256, channels)");
    const bool ok = (table.ndim() == 2 && table.shape(0) == 256 && table.shape(1) == channels) ||
                    (table.ndim() == 1 && channels == 1 && table.shape(0) == 256);
    if (!ok) throw ValueError("chart: a colormap table must have shape (256, " + std::to_string(channels) + ")");
    const auto c = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(table);
    o.colormap.assign(c.data(), c.data() + c.size());
  }
  auto colour = [&](const py::object& v, const char* name) {
    std::vector<std::uint8_t> out;
    if (v.is_none()) return out;
    const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(v);
    if (!a || a.ndim() > 1) throw ValueError(std::string("chart: ") + name + " must be a number or a sequence of numbers");
    for (py::ssize_t i = 0; i < a.size(); ++i) {
      const double x = a.data()[i];
      if (!(x >= 0 && x <= 255)) throw ValueError(std::string("chart: ") + name + " values must be from 0 to 255");
      out.push_back(static_cast<std::uint8_t>(std::lround(x)));
    }
    return out;
  };
  o.foreground = colour(foreground, "foreground");
  o.background = colour(background, "background");
  return checked_chart_options(std::move(o));
}

py::array frame_array(const View& v, const py::handle& base) {
  return py::array(to_numpy_dtype(v.dtype), v.shape, v.strides, v.data, base);
}

PYBIND11_MODULE(_core, m) {
  m.doc() = "tessera's C++ engine";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ExprSyntaxError& e) {
      const std::string msg = e.message() + " at position " + std::to_string(e.position());
      py::object err = py::reinterpret_steal<py::object>(PyObject_CallFunction(
          PyExc_SyntaxError, "s(siis)", msg.c_str(), "<expression>", 1, static_cast<int>(e.position()) + 1,
          e.expression().c_str()));
      PyErr_SetObject(PyExc_SyntaxError, err.ptr());
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

  m.def("evaluate", [](const std::string& expr, const py::dict& variables, py::object out, py::object threads) {
    Variables vars;
    for (auto [k, v] : variables) {
      const std::string name = k.cast<std::string>();
      vars.emplace(name, operand_of(v, ("variable '" + name + "'").c_str()));
    }
    const Image img = expression(expr, vars);
    return compute_to_python(img, out, threads_of(threads));
  }, py::arg("expression"), py::arg("variables"), py::arg("out") = py::none(), py::arg("threads") = py::none());

  m.def("expression", [](const std::string& expr, const py::dict& variables) {
    Variables vars;
    for (auto [k, v] : variables) {
      const std::string name = k.cast<std::string>();
      vars.emplace(name, operand_of(v, ("variable '" + name + "'").c_str()));
    }
    return expression(expr, vars);
  }, py::arg("expression"), py::arg("variables"));

  m.def("map_tiles", &map_tiles_py, py::arg("func"), py::arg("tile") = py::make_tuple(512, 512),
        py::arg("halo") = 0, py::arg("mode") = "reflect", py::arg("cval") = 0.0, py::arg("out_dtype") = py::none(),
        py::arg("threads") = py::none());

  // ---- the operation registry (tessera/operations.py makes the Python functions from it) ----
  m.def("operations", [] {
    py::list out;
    for (const Operation* op : operations()) out.append(operation_dict(*op));
    return out;
  }, "Every registered operation: name, summary, doc, outputs and parameters (name, kind, default, allowed).");
  m.def("call_operation", [](const std::string& name, const py::dict& kwargs) -> py::object {
    const Operation& op = tessera::operation(name);
    std::map<std::string, Value> args;
    for (auto [k, v] : kwargs) {
      const std::string key = k.cast<std::string>();
      args.emplace(key, value_of(v, op.param(key), op));
    }
    const std::vector<Image> results = call_operation(op, args);
    if (results.size() == 1) return py::cast(results[0]);
    return py::tuple(py::cast(results));
  }, py::arg("name"), py::arg("arguments"), "Builds a registered operation's lazy result(s) from checked arguments.");

  // ---- files and stacks (the Python layer, tessera/io.py, adds paths and progress bars) ----
  m.def("open", [](const std::string& path, int page) {
    OpenOptions o;
    o.page = page;
    return tessera::open(path, o);
  }, py::arg("path"), py::arg("page") = -1);
  m.def("file_info", [](const std::string& path) {
    const FileInfo f = file_info(path);
    py::dict d;
    d["format"] = f.format;
    d["shape"] = py::tuple(py::cast(f.shape));
    d["dtype"] = to_numpy_dtype(f.dtype);
    d["pages"] = f.pages;
    d["compression"] = f.compression;
    d["layout"] = f.layout;
    d["bigtiff"] = f.bigtiff;
    return d;
  }, py::arg("path"));
  m.def("formats", [] {
    py::list out;
    for (const FormatInfo& f : formats()) {
      py::dict d;
      d["name"] = f.name;
      d["extensions"] = py::tuple(py::cast(f.extensions));
      d["reads"] = f.reads;
      d["writes"] = f.writes;
      d["animates"] = f.animates;
      out.append(d);
    }
    return out;
  }, "The file formats tessera reads and writes (the format registry).");
  m.def("save", [](const py::object& image, const std::string& path, const std::string& compression,
                   py::object tile, const std::string& bigtiff, const std::string& predictor, py::object threads,
                   py::object progress, double fps) {
    const Image img = image_of(image, "save's image");
    SaveOptions o;
    o.compression = compression;
    if (!tile.is_none()) {
      if (py::isinstance<py::int_>(tile)) o.tile = std::make_pair(tile.cast<std::int64_t>(), tile.cast<std::int64_t>());
      else o.tile = tile.cast<std::pair<std::int64_t, std::int64_t>>();
    }
    o.bigtiff = bigtiff;
    o.predictor = predictor;
    o.fps = fps;
    o.threads = threads_of(threads);
    if (!progress.is_none()) {
      py::function fn = progress;
      o.progress = [fn](double fraction) {
        py::gil_scoped_acquire gil;
        fn(fraction);
      };
    }
    py::gil_scoped_release release;
    tessera::save(img, path, o);
  }, py::arg("image"), py::arg("path"), py::arg("compression") = "none", py::arg("tile") = py::none(),
     py::arg("bigtiff") = "auto", py::arg("predictor") = "auto", py::arg("threads") = py::none(),
     py::arg("progress") = py::none(), py::arg("fps") = 15.0);
  py::class_<BandWriter>(m, "BandWriter", "A file written from bands supplied in order (tessera.dask.to_tiff).")
      .def(py::init([](const std::string& path, const Shape& shape, const py::object& dtype,
                       const std::string& compression, const std::string& bigtiff) {
             SaveOptions o;
             o.compression = compression;
             o.bigtiff = bigtiff;
             return std::make_unique<BandWriter>(path, shape, checked_dtype(py::dtype::from_args(dtype), "dtype"), o);
           }),
           py::arg("path"), py::arg("shape"), py::arg("dtype"), py::arg("compression") = "none",
           py::arg("bigtiff") = "auto")
      .def_property_readonly("row_axis", &BandWriter::row_axis)
      .def_property_readonly("row_granularity", &BandWriter::row_granularity)
      .def("write", [](BandWriter& w, const Shape& offset, const py::array& data) {
        const View v = view_of(data, false, "band");
        Region r{offset, v.shape};
        py::gil_scoped_release release;
        w.write(r, v);
      }, py::arg("offset"), py::arg("data"))
      .def("commit", [](BandWriter& w) {
        py::gil_scoped_release release;
        w.commit();
      })
      .def("abort", [](BandWriter& w) {
        py::gil_scoped_release release;  // waits for a band being written
        w.abort();
      });
  m.def("weighted_sum", [](const std::vector<Image>& images, const std::vector<double>& weights, py::object dtype) {
    std::optional<DType> d;
    if (!dtype.is_none()) d = checked_dtype(py::dtype::from_args(dtype), "dtype");
    return weighted_sum(images, weights, d);
  }, py::arg("images"), py::arg("weights"), py::arg("dtype") = py::none());
  m.def("stack_reduce", [](const std::string& kind, const std::vector<Image>& images, py::object dtype) {
    std::optional<DType> d;
    if (!dtype.is_none()) d = checked_dtype(py::dtype::from_args(dtype), "dtype");
    if (kind == "mean") return stack_mean(images, d);
    if (kind == "min") return stack_min(images, d);
    if (kind == "max") return stack_max(images, d);
    throw ValueError("unknown stack reduction " + kind);
  }, py::arg("kind"), py::arg("images"), py::arg("dtype") = py::none());
  m.def("boundary_indices", [](std::int64_t start, std::int64_t stop, std::int64_t n, const std::string& mode) {
    // tessera's one boundary table, for halos assembled outside the engine (tessera.dask).
    const BoundaryMode m = parse_boundary_mode(mode);
    if (n < 1) throw ValueError("boundary_indices: the axis must have at least one element");
    py::array_t<std::int64_t> out(std::max<std::int64_t>(0, stop - start));
    auto* p = out.mutable_data();
    for (std::int64_t c = start; c < stop; ++c) p[c - start] = map_coordinate(c, n, m);
    return out;
  }, py::arg("start"), py::arg("stop"), py::arg("n"), py::arg("mode"),
        "Indices into an axis of length n for coordinates [start, stop) by the boundary mode; -1 for constant.");
  // ---- charts and animations (the 000 seed) ----
  py::class_<StreamChart>(m, "StreamChart", R"doc(A live chart of the last `width` samples of a stream.

StreamChart(height, width, style="bars"|"line"|"area", channels=1|3|4,
            dtype="uint8"|"float32", vmin=0.0, vmax=None, origin="lower"|"upper",
            colormap=None|"height"|(256, channels) uint8 table,
            foreground=255, background=0)

A column of value v fills rows [0, floor(height * ((v - vmin) / (vmax - vmin)))),
clamped to [0, height], from the baseline (the bottom with origin="lower", the
top with "upper", as the 000 seed's final_image). vmin/vmax None: the window's
own min/max. NaN samples, and every column of a flat window, are empty.
"line" joins each sample to the one before it; "area" fills under the line
with the foreground and background averaged. Colours are 0-255 per channel
(float32 frames hold colour / 255). colormap colours a filled pixel by its
height ("height": low blue, middle green, high red).

push(values) appends any number of samples and returns the frame, a view of
the chart's buffer: valid until the next push; frame.copy() keeps it. When the
range is unchanged only the new columns are drawn. push and latest() may be
called from different threads.)doc")
      .def(py::init([](std::int64_t height, std::int64_t width, const std::string& style, int channels,
                       const py::object& dtype, const py::object& vmin, const py::object& vmax,
                       const std::string& origin, const py::object& colormap, const py::object& foreground,
                       const py::object& background) {
             return std::make_unique<StreamChart>(chart_options_of(height, width, style, channels, dtype, vmin, vmax,
                                                                   origin, colormap, foreground, background));
           }),
           py::arg("height"), py::arg("width"), py::arg("style") = "bars", py::arg("channels") = 1,
           py::arg("dtype") = "uint8", py::arg("vmin") = 0.0, py::arg("vmax") = py::none(),
           py::arg("origin") = "lower", py::arg("colormap") = py::none(), py::arg("foreground") = py::none(),
           py::arg("background") = py::none())
      .def("push", [](py::object self, const py::object& values) {
        StreamChart& chart = self.cast<StreamChart&>();
        if (PyFloat_Check(values.ptr()) || PyLong_Check(values.ptr())) {
          const double v = values.cast<double>();
          chart.push(&v, 1);
        } else {
          const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(values);
          if (!a) throw TypeError("StreamChart.push: values must be a number or a 1-D array of numbers");
          if (a.ndim() > 1)
            throw ValueError("StreamChart.push: values must be a number or 1-D, got shape " +
                             shape_to_string(Shape(a.shape(), a.shape() + a.ndim())));
          chart.push(a.data(), a.size());
        }
        return frame_array(chart.frame(), self);
      }, py::arg("values"), "Appends samples; returns the frame (valid until the next push).")
      .def("frame", [](py::object self) { return frame_array(self.cast<StreamChart&>().frame(), self); },
           "The newest frame, a view valid until the next push.")
      .def("latest", [](const StreamChart& chart) {
        py::array out(to_numpy_dtype(chart.options().dtype), chart.frame_shape());
        std::int64_t seen;
        {
          py::gil_scoped_release release;
          seen = chart.copy_latest(out.mutable_data());
        }
        return py::make_tuple(out, seen);
      }, "(a copy of the newest frame, the number of samples seen), taken together.")
      .def_property_readonly("samples_seen", &StreamChart::samples_seen)
      .def_property_readonly("redraws", &StreamChart::redraws, "full redraws so far (range changes)")
      .def_property_readonly("shape", [](const StreamChart& c) { return py::tuple(py::cast(c.frame_shape())); })
      .def_property_readonly("dtype", [](const StreamChart& c) { return to_numpy_dtype(c.options().dtype); });
  m.def("height_colormap", [](int channels) {
    const auto lut = height_colormap(channels);
    py::array_t<std::uint8_t> out({py::ssize_t{256}, py::ssize_t{channels}});
    std::copy(lut.begin(), lut.end(), out.mutable_data());
    return out;
  }, py::arg("channels") = 3, "The 'height' palette: (256, channels) uint8, low blue, middle green, high red.");
  m.def("window_frame_count", &window_frame_count, py::arg("n"), py::arg("width"), py::arg("step"));
  m.def("window_frames", [](const py::array& series, std::int64_t step, std::int64_t height, std::int64_t width,
                            const std::string& style, int channels, const py::object& dtype, const py::object& vmin,
                            const py::object& vmax, const std::string& origin, const py::object& colormap,
                            const py::object& foreground, const py::object& background) {
    const ChartOptions o = chart_options_of(height, width, style, channels, dtype, vmin, vmax, origin, colormap,
                                            foreground, background);
    return window_frames(view_of(series, false, "series"), o, step);
  }, py::arg("series"), py::arg("step"), py::arg("height"), py::arg("width"), py::arg("style") = "bars",
     py::arg("channels") = 1, py::arg("dtype") = "uint8", py::arg("vmin") = 0.0, py::arg("vmax") = py::none(),
     py::arg("origin") = "lower", py::arg("colormap") = py::none(), py::arg("foreground") = py::none(),
     py::arg("background") = py::none());
  py::class_<AnimationWriter>(m, "AnimationWriter", "An animation written frame by frame (tessera.save_animation).")
      .def(py::init<const std::string&, std::int64_t, std::int64_t, int, double>(), py::arg("path"),
           py::arg("height"), py::arg("width"), py::arg("channels"), py::arg("fps"))
      .def("add", [](AnimationWriter& w, const py::array& frame) {
        const View v = view_of(frame, false, "frame");
        py::gil_scoped_release release;
        w.add(v);
      }, py::arg("frame"))
      .def("commit", [](AnimationWriter& w) {
        py::gil_scoped_release release;
        w.commit();
      })
      .def("abort", &AnimationWriter::abort)
      .def_property_readonly("frames", &AnimationWriter::frames);
  m.def("default_threads", &default_threads, "threads used when threads=None");
  m.def("function_names", &function_names);
  m.def("_scratch_pool_bytes", &detail::scratch_pool_bytes,
        "the part of retained_bytes() that is the engine's scratch pool (tile scratch and workspaces of finished "
        "runs)");
  m.def("retained_bytes", &retained_bytes,
        "bytes of freed large buffers kept for reuse (each returned to the system after 2 s unused)");
  m.def("release_memory", &release_memory, "returns every kept buffer to the system now");
  m.def("retained_limit", &retained_limit, "the cap on kept bytes (default: RAM / 8, at most 4 GiB)");
  m.def("set_retained_limit", &set_retained_limit, py::arg("bytes"),
        "sets the cap on kept bytes; what is kept beyond it goes back now; 0 keeps nothing");
  m.def("simd", [] { return std::string(simd_instruction_set()); }, "the instruction set of the kernels in use");
}
