// Files: open, info, formats, save, BandWriter; and the boundary table for halos assembled outside the engine (tessera.dask).
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "convert.hpp"

namespace tessera::python {

void bind_io(py::module_& m) {
  // ---- files and stacks (the Python layer, tessera/io.py, adds paths and progress bars) ----
  m.def("open", [](const std::string& path, int page, int level, const std::string& palette) {
    OpenOptions o;
    o.page = page;
    o.level = level;
    o.palette = palette;
    return tessera::open(path, o);
  }, py::arg("path"), py::arg("page") = -1, py::arg("level") = 0, py::arg("palette") = "indices");
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
    d["metadata"] = metadata_to_python(f.metadata);
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
                   py::object progress, double fps, py::object metadata, const std::string& layout,
                   std::optional<int> quality, std::optional<int> compress_level, bool cog,
                   const std::string& overview_resampling) {
    const Image img = image_of(image, "save's image");
    SaveOptions o;
    // A dict: the tags written, as they are (tessera/io.py merges it over the image's).
    if (!metadata.is_none()) o.metadata = metadata_from_python(metadata.cast<py::dict>());
    o.layout = layout;
    o.compression = compression;
    if (!tile.is_none()) {
      if (py::isinstance<py::int_>(tile)) o.tile = std::make_pair(tile.cast<std::int64_t>(), tile.cast<std::int64_t>());
      else o.tile = tile.cast<std::pair<std::int64_t, std::int64_t>>();
    }
    o.bigtiff = bigtiff;
    o.predictor = predictor;
    o.fps = fps;
    o.quality = quality;
    o.compress_level = compress_level;
    o.cog = cog;
    o.overview_resampling = overview_resampling;
    o.threads = threads_of(threads);
    if (!progress.is_none()) {
      py::function fn = progress;
      o.progress = [fn](double fraction) {
        py::gil_scoped_acquire gil;
        fn(fraction);
      };
    }
    EngineCall call;
    tessera::save(img, path, o);
  }, py::arg("image"), py::arg("path"), py::arg("compression") = "none", py::arg("tile") = py::none(),
     py::arg("bigtiff") = "auto", py::arg("predictor") = "auto", py::arg("threads") = py::none(),
     py::arg("progress") = py::none(), py::arg("fps") = 15.0, py::arg("metadata") = py::none(),
     py::arg("layout") = "auto", py::arg("quality") = py::none(), py::arg("compress_level") = py::none(),
     py::arg("cog") = false, py::arg("overview_resampling") = "average");
  m.def("image_metadata", [](const py::object& image) { return metadata_to_python(image_of(image, "image").metadata()); },
        py::arg("image"));
  m.def("metadata_tags", [] {
    py::list out;
    for (const MetaTag& t : metadata_tags()) out.append(py::str(std::string(t.name)));
    return out;
  });
  py::class_<BandWriter>(m, "BandWriter", "A file written from bands supplied in order (tessera.dask.to_tiff).")
      .def(py::init([](const std::string& path, const Shape& shape, const py::object& dtype,
                       const std::string& compression, const std::string& bigtiff, const py::object& metadata,
                       const std::string& layout, bool cog, const std::string& overview_resampling) {
             SaveOptions o;
             o.cog = cog;
             o.overview_resampling = overview_resampling;
             o.compression = compression;
             o.bigtiff = bigtiff;
             if (!metadata.is_none()) o.metadata = metadata_from_python(metadata.cast<py::dict>());
             o.layout = layout;
             return std::make_unique<BandWriter>(path, shape, checked_dtype(py::dtype::from_args(dtype), "dtype"), o);
           }),
           py::arg("path"), py::arg("shape"), py::arg("dtype"), py::arg("compression") = "none",
           py::arg("bigtiff") = "auto", py::arg("metadata") = py::none(), py::arg("layout") = "auto",
           py::arg("cog") = false, py::arg("overview_resampling") = "average")
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
}

}  // namespace tessera::python
