// tessera.map_tiles: a Python function over tiles on the engine's workers.
// The probe of the first tile, the halo trim and the checks of each result
// are the engine's (tessera/tiles.hpp); this file calls Python with the GIL
// held and names the tile in what the function raises.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "convert.hpp"
#include "tile_temporaries.hpp"

namespace tessera::python {

namespace {

// Calls `func` on one tile's inputs (read-only arrays, valid during the call)
// and returns its result as a view that keeps the array alive. Runs on a
// worker thread, which takes the GIL for the call only.
View call_tile(const py::function& func, const Region& region, const std::vector<View>& inputs) {
  py::gil_scoped_acquire gil;
  const TileTemporaries temporaries;  // the function's arrays reuse the last tile's memory
  const std::string where = "the tile at " + region.to_string();
  py::list args;
  for (const View& v : inputs) {
    py::array a(to_numpy_dtype(v.dtype), v.shape, v.strides, v.data, py::none());
    a.attr("flags").attr("writeable") = false;
    args.append(a);
  }
  py::object result;
  try {
    result = func(*args);
  } catch (py::error_already_set& e) {
    const std::string note = "tessera.map_tiles: raised by the function in " + where;
    if (py::hasattr(e.value(), "add_note")) e.value().attr("add_note")(note);
    throw;
  }
  py::array a = py::array::ensure(result);
  if (!a)
    throw TypeError("map_tiles: the function returned " + py::str(result.get_type()).cast<std::string>() + " for " +
                    where + "; it must return an array");
  return view_of(a, false, "the function's result");
}

py::object map_tiles_py(py::function func, py::args arrays, py::object tile, py::object halo, const std::string& mode,
                        double cval, py::object out_dtype, py::object threads) {
  std::vector<Image> inputs;
  for (auto a : arrays) inputs.push_back(image_of(a, "map_tiles input"));
  if (inputs.empty()) throw ValueError("map_tiles needs at least one input array");
  TileOptions o;
  o.tile = py::isinstance<py::int_>(tile) ? Shape{tile.cast<std::int64_t>()} : tile.cast<Shape>();
  if (py::isinstance<py::int_>(halo)) o.halo.assign(o.tile.size(), halo.cast<std::int64_t>());
  else o.halo = halo.cast<Shape>();
  o.boundary = Boundary{parse_boundary_mode(mode), cval};
  std::optional<DType> dtype;
  if (!out_dtype.is_none()) dtype = checked_dtype(py::dtype::from_args(out_dtype), "out_dtype");
  const int n_threads = threads_of(threads);
  // The function lives as long as the image; it is released with the GIL held.
  auto fn = std::shared_ptr<py::function>(new py::function(std::move(func)), [](py::function* f) {
    py::gil_scoped_acquire gil;
    delete f;
  });
  Image result;
  {
    EngineCall call;  // the probe runs the first tile, which takes the GIL itself
    result = map_tiles([fn](const Region& r, const std::vector<View>& in) { return call_tile(*fn, r, in); }, inputs, o,
                       dtype);
  }
  return compute_to_python(result, py::none(), n_threads);
}

}  // namespace

void bind_map_tiles(py::module_& m) {
  m.def("map_tiles", &map_tiles_py, py::arg("func"), py::arg("tile") = py::make_tuple(512, 512),
        py::arg("halo") = 0, py::arg("mode") = "reflect", py::arg("cval") = 0.0, py::arg("out_dtype") = py::none(),
        py::arg("threads") = py::none());
}

}  // namespace tessera::python
