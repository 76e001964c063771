// numpy arrays <-> views, Python values as operands (see convert.hpp).
#include "convert.hpp"

#include <signal.h>

#include <exception>

namespace tessera::python {

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

namespace {
// numpy allows arrays whose data or strides are no multiple of the item size
// (unpickled from a byte stream, as Dask's workers do, or a view of a
// packed record); typed loads from them are undefined behaviour.
bool aligned(const py::array& a) {
  const auto item = static_cast<std::uintptr_t>(a.itemsize());
  if (reinterpret_cast<std::uintptr_t>(a.data()) % item != 0) return false;
  for (py::ssize_t i = 0; i < a.ndim(); ++i)  // as numpy: length-1 axes' strides do not count
    if (a.shape(i) > 1 && static_cast<std::uintptr_t>(a.strides(i)) % item != 0) return false;
  return true;
}
}  // namespace

View view_of(const py::array& array, bool writable, const char* what) {
  if (writable && !array.writeable()) throw ValueError(std::string(what) + " is read-only");
  py::array a = array;
  if (!aligned(a)) {
    if (writable)
      throw ValueError(std::string(what) + " is not aligned to its item size; give an aligned array (a copy)");
    a = py::array::ensure(a.attr("copy")());  // an input: read an aligned copy
  }
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
Operand operand_of(const py::handle& h, const char* what) {
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

Image image_of(const py::handle& h, const char* what) {
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

namespace {
unsigned long main_thread_id = 0;
int sigint_routes = 0;  // nested EngineCalls on the main thread
struct sigaction python_sigint;

extern "C" void interrupt_on_sigint(int) { request_interrupt(); }
}  // namespace

void set_main_thread() {
  main_thread_id = py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
}
bool on_main_thread() { return PyThread_get_thread_ident() == main_thread_id; }

EngineCall::EngineCall() {
  // Only the main thread receives Python's SIGINT, and only Python's own C
  // handler is replaced: SIG_IGN or SIG_DFL chosen by the program stay.
  if (!on_main_thread()) return;
  if (sigint_routes == 0) {
    struct sigaction current;
    if (sigaction(SIGINT, nullptr, &current) != 0) return;
    if (!(current.sa_flags & SA_SIGINFO) && (current.sa_handler == SIG_IGN || current.sa_handler == SIG_DFL)) return;
    struct sigaction route {};
    route.sa_handler = interrupt_on_sigint;
    sigemptyset(&route.sa_mask);
    if (sigaction(SIGINT, &route, &python_sigint) != 0) return;
  }
  ++sigint_routes;
  routes_sigint_ = true;
}

EngineCall::~EngineCall() {
  if (!routes_sigint_) return;
  if (--sigint_routes > 0) return;
  sigaction(SIGINT, &python_sigint, nullptr);
  if (interrupt_requested()) {
    clear_interrupt();
    // Stopped work throws Interrupted, raised as KeyboardInterrupt by the
    // module; work that ended first leaves the signal to Python's handler.
    if (std::uncaught_exceptions() == 0) PyErr_SetInterrupt();
  }
}

py::object compute_to_python(const Image& img, const py::object& out, int threads) {
  if (out.is_none()) {
    Buffer b;
    {
      EngineCall call;
      b = img.compute({threads});
    }
    return array_of(b);
  }
  py::array a = py::array::ensure(out);
  if (!a) throw TypeError("out must be a numpy array");
  const View v = view_of(a, true, "out");
  {
    EngineCall call;
    img.compute_into(v, {threads});
  }
  return std::move(a);
}

py::dict metadata_to_python(const Metadata& m) {
  py::dict d;
  for (const auto& [name, value] : m) {
    const MetaTag* tag = metadata_tag(name);
    const bool one = tag && tag->count == 1;
    if (const auto* text = std::get_if<std::string>(&value)) {
      d[py::str(name)] = py::str(*text);
    } else if (const auto* reals = std::get_if<std::vector<double>>(&value)) {
      d[py::str(name)] = one && reals->size() == 1 ? py::object(py::float_((*reals)[0])) : py::object(py::tuple(py::cast(*reals)));
    } else if (const auto* ints = std::get_if<std::vector<std::int64_t>>(&value)) {
      d[py::str(name)] = one && ints->size() == 1 ? py::object(py::int_((*ints)[0])) : py::object(py::tuple(py::cast(*ints)));
    } else if (const auto* bytes = std::get_if<std::vector<std::uint8_t>>(&value)) {
      d[py::str(name)] = py::bytes(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    }
  }
  return d;
}

Metadata metadata_from_python(const py::dict& d) {
  Metadata m;
  for (const auto& [key, item] : d) {
    if (!py::isinstance<py::str>(key)) throw TypeError("metadata: tag names are strings, not " + std::string(py::str(py::type::of(key))));
    const std::string name = key.cast<std::string>();
    const MetaTag* tag = metadata_tag(name);
    if (!tag) check_metadata(name, MetaValue{});  // names the known tags
    const py::object v = py::reinterpret_borrow<py::object>(item);
    auto numbers = [&](auto zero) {
      using T = decltype(zero);
      std::vector<T> out;
      auto one = [&](const py::handle& x) {
        if (py::isinstance<py::bool_>(x) || py::isinstance<py::str>(x) || py::isinstance<py::bytes>(x) ||
            (std::is_integral_v<T> && !py::isinstance<py::int_>(x) && !py::hasattr(x, "__index__")))
          throw TypeError("metadata: " + name + " takes " + (std::is_integral_v<T> ? "integers" : "numbers") +
                          ", not " + std::string(py::str(py::repr(x))));
        const py::object o = py::reinterpret_borrow<py::object>(x);
        try {
          if constexpr (std::is_integral_v<T>) out.push_back(py::int_(o).cast<std::int64_t>());
          else out.push_back(py::float_(o).cast<double>());
        } catch (const py::error_already_set&) {
          throw TypeError("metadata: " + name + " takes numbers, not " + std::string(py::str(py::repr(x))));
        }
      };
      if (py::isinstance<py::sequence>(v) && !py::isinstance<py::str>(v) && !py::isinstance<py::bytes>(v))
        for (const auto& x : v) one(x);
      else
        one(v);
      return out;
    };
    MetaValue value;
    switch (tag->kind) {
      case MetaTag::Kind::Text:
        if (py::isinstance<py::str>(v)) value = v.cast<std::string>();
        else if (py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v)) value = std::string(py::str(v));  // GDAL_NODATA=-9999
        else throw TypeError("metadata: " + name + " takes text, not " + std::string(py::str(py::repr(v))));
        break;
      case MetaTag::Kind::Reals: value = numbers(double{}); break;
      case MetaTag::Kind::Integers: value = numbers(std::int64_t{}); break;
      case MetaTag::Kind::Bytes:
        if (!py::isinstance<py::bytes>(v) && !py::isinstance<py::bytearray>(v))
          throw TypeError("metadata: " + name + " takes bytes");
        {
          const std::string b = py::isinstance<py::bytes>(v) ? v.cast<std::string>() : std::string(py::bytes(v));
          value = std::vector<std::uint8_t>(b.begin(), b.end());
        }
        break;
    }
    check_metadata(name, value);
    m[name] = std::move(value);
  }
  return m;
}

}  // namespace tessera::python
