// tessera::open, tessera::save, tessera::file_info and BandWriter: the format
// comes from the format registry (io/format.hpp), by extension or first bytes.
#include <algorithm>

#include "core/thread_pool.hpp"
#include "engine/copy.hpp"
#include "engine/sink.hpp"
#include "io/format.hpp"
#include "tessera/error.hpp"
#include "tessera/io.hpp"

namespace tessera {

std::vector<FormatInfo> formats() {
  std::vector<FormatInfo> out;
  for (const io::Format* f : io::formats())
    out.push_back({f->name, f->extensions, bool(f->open), bool(f->sink), bool(f->encoder)});
  return out;
}

std::string readable_format(const std::string& path) {
  try {
    return io::format_to_read(path).name;
  } catch (const ValueError&) {
    return "";
  }
}

Image open(const std::string& path, const OpenOptions& options) {
  if (options.page < -1)
    throw ValueError(path + ": page must be a page number, 0 or more, got " + std::to_string(options.page));
  if (options.level < 0)
    throw ValueError(path + ": level must be 1 or more (an overview), got " + std::to_string(options.level));
  if (options.level > 0 && options.page >= 0) throw ValueError(path + ": give page or level, not both");
  return io::format_to_read(path).open(path, options);
}

FileInfo file_info(const std::string& path) {
  const io::Format& f = io::format_to_read(path);
  if (!f.info) throw ValueError(path + ": tessera cannot describe " + f.name + " files");
  return f.info(path);
}

namespace {
std::unique_ptr<detail::Sink> make_sink(const std::string& path, const Shape& shape, DType dtype,
                                        const SaveOptions& options) {
  const io::Format& format = io::format_to_write(path);
  // An option of another format is a mistake worth naming, not ignoring.
  if (options.quality && format.name != "jpeg")
    throw ValueError(path + ": quality= applies to JPEG files (.jpg, .jpeg), not " + format.name);
  if (options.cog && format.name != "tiff")
    throw ValueError(path + ": cog= makes a Cloud-Optimised GeoTIFF (.tif, .tiff), not " + format.name);
  if (options.compress_level && format.name != "png")
    throw ValueError(path + ": compress_level= applies to PNG files (.png), not " + format.name);
  return format.sink(path, shape, dtype, options);
}
}  // namespace

void save(const Image& image, const std::string& path, const SaveOptions& options) {
  if (!image) throw ValueError(path + ": nothing to save (an empty image handle)");
  SaveOptions o = options;
  if (!o.metadata) o.metadata = image.metadata();
  const std::unique_ptr<detail::Sink> sink = make_sink(path, image.shape(), image.dtype(), o);
  detail::StreamOptions so;
  so.threads = options.threads;
  so.progress = options.progress;
  detail::stream_to_sink(image, *sink, so);
}

BandWriter::BandWriter(const std::string& path, const Shape& shape, DType dtype, const SaveOptions& options)
    : path_(path),
      shape_(shape),
      dtype_(dtype),
      sink_(make_sink(path, shape, dtype, options)),
      next_(shape.size(), 0) {}

BandWriter::~BandWriter() { abort(); }

std::size_t BandWriter::row_axis() const { return std::min(sink_->row_axis(), shape_.empty() ? 0 : shape_.size() - 1); }
std::int64_t BandWriter::row_granularity() const { return sink_->row_granularity(); }

void BandWriter::write(const Region& band, const View& data) {
  if (done_) throw ValueError(path_ + ": the writer is closed");
  const std::size_t nd = shape_.size();
  const std::size_t axis = row_axis();
  auto fail = [&](const std::string& why) {
    abort();
    throw ValueError(path_ + ": band " + band.to_string() + " " + why);
  };
  if (band.offset.size() != band.size.size() || band.ndim() != nd || data.shape != band.size || data.dtype != dtype_)
    fail("does not match its data (shape " + shape_to_string(data.shape) + ", dtype " +
         std::string(dtype_name(data.dtype)) + ")");
  if (band.offset != next_) fail("is out of order: the next band starts at " + shape_to_string(next_));
  // Whole pages or rows: full extent after the cut axis, one index before it.
  std::size_t cut = 0;
  while (cut < axis && band.size[cut] == 1) ++cut;
  for (std::size_t a = cut + 1; a < nd; ++a)
    if (band.offset[a] != 0 || band.size[a] != shape_[a]) fail("must hold whole rows");
  if (band.offset[cut] + band.size[cut] > shape_[cut]) fail("reaches past the image");
  const std::int64_t grain = cut == axis ? row_granularity() : 1;
  if (band.size[cut] % grain != 0 && band.offset[cut] + band.size[cut] != shape_[cut])
    fail("must hold a multiple of " + std::to_string(grain) + " rows");
  // The band is written on the thread pool's background thread while the
  // caller computes the next one (the engine's write-behind). The writer
  // holds the view (and so its owner, the caller's memory) until the write
  // is done, and lets it go on the caller's thread. At most one band waits.
  finish_pending();
  pending_view_ = data;
  if (!data.is_c_contiguous()) {
    Buffer contiguous(data.dtype, data.shape);
    detail::copy_convert(data, contiguous.view());
    pending_view_ = contiguous.view();
  }
  View raw = pending_view_;
  raw.owner = nullptr;
  pending_ = detail::run_in_background([sink = sink_.get(), band, raw] { sink->write(band, raw); });
  // Advance: along the cut axis, carrying into the axes before it.
  next_[cut] = band.offset[cut] + band.size[cut];
  for (std::size_t a = cut + 1; a-- > 1;) {
    if (next_[a] < shape_[a]) break;
    next_[a] = 0;
    ++next_[a - 1];
  }
}

void BandWriter::finish_pending() {
  if (!pending_.valid()) return;
  try {
    pending_.get();
    pending_view_ = View{};
  } catch (...) {
    abort();
    throw;
  }
}

void BandWriter::commit() {
  if (done_) throw ValueError(path_ + ": the writer is closed");
  finish_pending();
  if (!shape_.empty() && next_[0] < shape_[0]) {
    abort();
    throw ValueError(path_ + ": commit before every band was written (next band at " + shape_to_string(next_) + ")");
  }
  done_ = true;
  sink_->commit();
}

void BandWriter::abort() noexcept {
  if (pending_.valid()) pending_.wait();  // the sink is not touched while it writes
  pending_view_ = View{};
  if (done_) return;
  done_ = true;
  sink_->abort();
}

}  // namespace tessera
