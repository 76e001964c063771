// The operation registry, for tessera/registry.py to make the Python functions from:
// each operation's spec, and a call with Python values checked by the registry.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "convert.hpp"

namespace tessera::python {

namespace {

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
  d["lazy_result"] = op.lazy_result;
  py::list params;
  for (const ParamSpec& p : op.params) {
    py::dict q;
    q["name"] = p.name;
    q["kind"] = std::string(param_kind_name(p.kind));
    q["doc"] = p.doc;
    q["required"] = p.required;
    q["default"] = p.required ? py::none() : python_value(p.default_value);
    q["allowed"] = allowed_to_string(p);
    q["whole_image_default"] = p.whole_image_default;
    q["choices"] = py::tuple(py::cast(p.choices));
    q["per_axis"] = p.per_axis;
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
  if (h.is_none() && !p.required && std::holds_alternative<std::monostate>(p.default_value)) return std::monostate{};
  switch (p.kind) {
    case ParamKind::Image: return image_of(h, what.c_str());
    case ParamKind::Images: {
      if (!py::isinstance<py::sequence>(h) || py::isinstance<py::str>(h) || py::isinstance<py::array>(h) ||
          py::isinstance<Image>(h))
        throw type_error("a sequence of arrays, images or paths");
      std::vector<Image> images;
      for (auto item : py::reinterpret_borrow<py::sequence>(h))
        images.push_back(image_of(item, (what + " item " + std::to_string(images.size())).c_str()));
      return images;
    }
    case ParamKind::Array:
      if (h.is_none()) return std::monostate{};
      if (!py::isinstance<py::array>(h) && !py::isinstance<Image>(h) && !py::isinstance<py::list>(h) &&
          !py::isinstance<py::tuple>(h))
        throw type_error("an array");
      if (py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h))
        return image_of(py::module_::import("numpy").attr("asarray")(h), what.c_str());
      return image_of(h, what.c_str());
    case ParamKind::DType:
      if (h.is_none()) return std::monostate{};
      return checked_dtype(py::dtype::from_args(py::reinterpret_borrow<py::object>(h)), what.c_str());
    case ParamKind::Choice:
      if (p.per_axis && !py::isinstance<py::str>(h) && (py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h))) {
        // One word per axis: joined by commas, as the command line gives them.
        std::string joined;
        std::size_t count = 0;
        for (auto item : py::reinterpret_borrow<py::iterable>(h)) {
          if (!py::isinstance<py::str>(item)) throw type_error(("a string or a sequence of strings, " + allowed_to_string(p)).c_str());
          const std::string word = item.cast<std::string>();
          if (word.empty() || word.find(',') != std::string::npos)
            throw ValueError(op.name + ": unknown " + p.noun + " '" + word + "' for " + p.name);
          joined += (count++ ? "," : "") + word;
        }
        if (count == 0) throw ValueError(op.name + ": " + p.name + " is an empty sequence; give one " + p.noun + " or one per axis");
        return joined;
      }
      if (!py::isinstance<py::str>(h))
        throw type_error(((p.per_axis ? "a string or a sequence of strings, " : "a string, ") + allowed_to_string(p)).c_str());
      if (p.per_axis && h.cast<std::string>().find(',') != std::string::npos)
        throw ValueError(op.name + ": unknown " + p.noun + " '" + h.cast<std::string>() + "' for " + p.name +
                              "; give one per axis as a sequence");
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

}  // namespace

void bind_operations(py::module_& m) {
  // ---- the operation registry (tessera/registry.py makes the Python functions from it) ----
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
  // ---- reductions (tessera/reduce.py adds the axis rules and the names) ----
  m.def("reduce", [](const py::object& x, const std::string& name, const py::object& axes, const py::object& threads)
            -> py::object {
    const Reduction r = parse_reduction(name);
    const Image img = image_of(x, "the reduction's input");
    std::vector<int> list;
    if (!axes.is_none()) list = axes.cast<std::vector<int>>();
    // Every axis (or none left): one value, computed now, as numpy gives it.
    std::vector<bool> seen(img.ndim(), false);
    for (int a : list) {
      const int k = a < 0 ? a + static_cast<int>(img.ndim()) : a;
      if (k >= 0 && k < static_cast<int>(img.ndim())) seen[static_cast<std::size_t>(k)] = true;
    }
    const bool every = axes.is_none() || (std::all_of(seen.begin(), seen.end(), [](bool b) { return b; }) &&
                                          list.size() == img.ndim());
    if (every) {
      Buffer b;
      {
        EngineCall call;
        b = reduce_all(img, r, threads_of(threads));
      }
      return array_of(b)[py::tuple()];
    }
    const Image out = tessera::reduce(img, r, list);
    if (py::isinstance<Image>(x)) return py::cast(out);
    return compute_to_python(out, py::none(), threads_of(threads));
  }, py::arg("x"), py::arg("reduction"), py::arg("axes"), py::arg("threads") = py::none());
}

}  // namespace tessera::python
