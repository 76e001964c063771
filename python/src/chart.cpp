// Charts and animations (the 000 seed): StreamChart, window_frames, AnimationWriter.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "convert.hpp"

namespace tessera::python {

namespace {

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

}  // namespace

void bind_chart(py::module_& m) {
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
}

}  // namespace tessera::python
