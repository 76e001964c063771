// A TIFF file as an engine source. Opening reads the directories only; the
// pixels of a region are read when the engine asks for it, on the worker that
// asks:
//  - uncompressed striped chunky files (the common case, and the one of the
//    003 seed) are read straight into the tile with pread, no decode, no
//    cache: a stream holds no more of the file than its tiles;
//  - everything else (compressed, tiled, planar) is decoded by libtiff, one
//    strip or tile at a time, into a small LRU cache shared by the workers,
//    so that neighbouring tiles and halos that reach back up decode a chunk
//    once. Each worker decodes with its own libtiff handle (libtiff handles
//    are not thread-safe).
#include "io/tiff_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include "core/cast.hpp"
#include "core/thread_pool.hpp"
#include "engine/copy.hpp"
#include "io/byteswap.hpp"
#include "io/chunk_cache.hpp"
#include "io/tiff_common.hpp"
#include "io/tiff_layout.hpp"
#include "tessera/node.hpp"

namespace tessera::io {

namespace {

class TiffSource final : public Node {
 public:
  TiffSource(Shape shape, DType dtype, std::string path, std::vector<PageLayout> pages, int first_page, bool volume,
             bool swapped, Metadata metadata)
      : Node(std::move(shape), dtype, {}),
        metadata_(std::move(metadata)),
        path_(std::move(path)),
        pages_(std::move(pages)),
        first_page_(first_page),
        volume_(volume),
        swapped_(swapped),
        cache_(cache_capacity(pages_[0])) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) io_fail(path_, std::string("cannot open (") + std::strerror(errno) + ")");
  }
  ~TiffSource() override {
    if (fd_ >= 0) ::close(fd_);
  }

  std::string name() const override { return "TIFF " + path_; }
  std::string file() const override { return path_; }
  Metadata metadata() const override { return metadata_; }

  void generate(const Region& region, const std::vector<View>&, const View& out, Workspace& workspace) const override {
    // Per page: the out view as (rows, cols, channels).
    const std::size_t lead = volume_ ? 1 : 0;
    const std::int64_t p0 = volume_ ? region.offset[0] : 0, pn = volume_ ? region.size[0] : 1;
    for (std::int64_t p = 0; p < pn; ++p) {
      View page_out = out;
      page_out.data = out.data + (volume_ ? p * out.strides[0] : 0);
      page_out.shape.erase(page_out.shape.begin(), page_out.shape.begin() + lead);
      page_out.strides.erase(page_out.strides.begin(), page_out.strides.begin() + lead);
      Region r;
      r.offset.assign(region.offset.begin() + lead, region.offset.end());
      r.size.assign(region.size.begin() + lead, region.size.end());
      if (r.ndim() == 2) {  // one sample: a channel axis of 1
        page_out.shape.push_back(1);
        page_out.strides.push_back(static_cast<std::int64_t>(itemsize(dtype())));
        r.offset.push_back(0);
        r.size.push_back(1);
      }
      read_page(first_page_ + static_cast<int>(p0 + p), r, page_out, workspace);
    }
  }

 private:
  static std::size_t cache_capacity(const PageLayout& L) {
    // Enough for every worker's chunks of a band of rows (halos included),
    // and at least 16 MiB: a bounded window whatever the image's height.
    const std::size_t chunk = static_cast<std::size_t>(L.chunk_bytes());
    return std::max<std::size_t>(std::size_t(16) << 20, chunk * (2 * static_cast<std::size_t>(detail::default_thread_count()) + 2));
  }

  // r: (rows, cols, channels) inside the page; out: the same shape.
  void read_page(int page, const Region& r, const View& out, Workspace& workspace) const {
    const PageLayout& L = pages_[static_cast<std::size_t>(page - first_page_)];
    // Raw bytes as they lie in the file: only what libtiff would not change
    // (FillOrder=2 asks for every byte's bits reversed, which libtiff does).
    const bool direct = L.compression == COMPRESSION_NONE && !L.tiled && !L.planar &&
                        L.fill_order == FILLORDER_MSB2LSB && !L.packed();
    const std::int64_t y0 = r.offset[0], y1 = y0 + r.size[0], x0 = r.offset[1], x1 = x0 + r.size[1];
    const std::int64_t cy0 = y0 / L.chunk_h, cy1 = (y1 - 1) / L.chunk_h;
    const std::int64_t cx0 = x0 / L.chunk_w, cx1 = (x1 - 1) / L.chunk_w;
    for (std::int64_t plane = 0; plane < L.planes(); ++plane) {
      if (L.planar && (plane < r.offset[2] || plane >= r.offset[2] + r.size[2])) continue;
      for (std::int64_t cy = cy0; cy <= cy1; ++cy)
        for (std::int64_t cx = cx0; cx <= cx1; ++cx) {
          const std::int64_t index = plane * L.across * L.down + cy * L.across + cx;
          // The part of the region inside this chunk, in page coordinates.
          const std::int64_t ya = std::max(y0, cy * L.chunk_h), yb = std::min(y1, (cy + 1) * L.chunk_h);
          const std::int64_t xa = std::max(x0, cx * L.chunk_w), xb = std::min(x1, (cx + 1) * L.chunk_w);
          std::byte* dst = out.data + (ya - y0) * out.strides[0] + (xa - x0) * out.strides[1];
          if (L.absent(index)) {
            fill_absent(L, L.planar ? plane : 0, L.chunk_samples(), yb - ya, xb - xa, r, dst, out);
            continue;
          }
          if (direct) {
            read_direct(L, index, ya - cy * L.chunk_h, yb - ya, xa, xb - xa, r, dst, out, workspace);
            continue;
          }
          std::shared_ptr<Chunk> chunk = decoded(page, L, index);
          const std::size_t item = itemsize(L.dtype);
          const std::int64_t pixel = L.chunk_samples() * static_cast<std::int64_t>(item);
          const std::int64_t row_bytes = L.chunk_w * pixel;
          const std::byte* src =
              chunk->data.data() + (ya - cy * L.chunk_h) * row_bytes + (xa - cx * L.chunk_w) * pixel;
          copy_rows(src, row_bytes, pixel, L.planar ? plane : 0, L.chunk_samples(), yb - ya, xb - xa, r, dst, out);
        }
    }
  }

  // An absent chunk's part of the region: its fill value (tessera's
  // conversion rule), in out's channels [s0, s0 + ns).
  static void fill_absent(const PageLayout& L, std::int64_t s0, std::int64_t ns, std::int64_t rows, std::int64_t cols,
                          const Region& r, std::byte* dst, const View& out) {
    const std::int64_t c0 = r.offset[2], c1 = c0 + r.size[2];
    const std::int64_t a = std::max(c0, s0), b = std::min(c1, s0 + ns);
    if (a >= b) return;
    const Shape shape{rows, cols, b - a};
    alignas(8) std::byte value[8];
    detail::store_scalar(L.sparse_fill, out.dtype, value);
    const View one{value, out.dtype, shape, {0, 0, 0}, nullptr};  // the value, broadcast
    const View to{dst + (a - c0) * out.strides[2], out.dtype, shape, {out.strides[0], out.strides[1], out.strides[2]},
                  nullptr};
    detail::copy_convert(one, to);
  }

  // Copies rows x cols pixels holding samples [s0, s0 + ns) into out's
  // channels of the region r (the engine's strided copy: runs of whole
  // pixels become one contiguous copy).
  static void copy_rows(const std::byte* src, std::int64_t src_row, std::int64_t src_pixel, std::int64_t s0,
                        std::int64_t ns, std::int64_t rows, std::int64_t cols, const Region& r, std::byte* dst,
                        const View& out) {
    const auto item = static_cast<std::int64_t>(itemsize(out.dtype));
    const std::int64_t c0 = r.offset[2], c1 = c0 + r.size[2];
    const std::int64_t a = std::max(c0, s0), b = std::min(c1, s0 + ns);
    if (a >= b) return;
    const Shape shape{rows, cols, b - a};
    const View from{const_cast<std::byte*>(src) + (a - s0) * item, out.dtype, shape, {src_row, src_pixel, item}, nullptr};
    const View to{dst + (a - c0) * out.strides[2], out.dtype, shape, {out.strides[0], out.strides[1], out.strides[2]},
                  nullptr};
    detail::copy_convert(from, to);
  }

  // The workspace slot (tessera/workspace.hpp) of a row read for conversion.
  static constexpr std::size_t kRowSlot = 96;

  void read_direct(const PageLayout& L, std::int64_t index, std::int64_t row_in_chunk, std::int64_t rows,
                   std::int64_t x, std::int64_t cols, const Region& r, std::byte* dst, const View& out,
                   Workspace& workspace) const {
    const std::size_t item = itemsize(L.dtype);
    const std::int64_t pixel = L.samples * static_cast<std::int64_t>(item);
    const std::int64_t row_bytes = L.width * pixel;
    const bool whole_pixels = r.offset[2] == 0 && r.size[2] == L.samples;
    const bool packed = out.strides[2] == static_cast<std::int64_t>(item) && out.strides[1] == pixel;
    const bool whole_rows = x == 0 && cols == L.width && out.strides[0] == row_bytes;
    const std::uint64_t base = L.offsets[static_cast<std::size_t>(index)] + row_in_chunk * row_bytes + x * pixel;
    if (whole_pixels && packed) {
      // Straight into the tile: all rows at once when they are adjacent there too.
      const std::int64_t runs = whole_rows ? 1 : rows, per = whole_rows ? rows * row_bytes : cols * pixel;
      for (std::int64_t k = 0; k < runs; ++k) {
        std::byte* d = dst + k * out.strides[0];
        pread_all(d, per, base + k * row_bytes);
        if (swapped_) swap_bytes(d, static_cast<std::size_t>(per), item);
      }
      return;
    }
    const std::size_t row_size = static_cast<std::size_t>(cols * pixel);
    auto* row = static_cast<std::byte*>(workspace.get(kRowSlot, row_size));
    for (std::int64_t k = 0; k < rows; ++k) {
      pread_all(row, cols * pixel, base + k * row_bytes);
      if (swapped_) swap_bytes(row, row_size, item);
      copy_rows(row, 0, pixel, 0, L.samples, 1, cols, r, dst + k * out.strides[0], out);
    }
  }

  void pread_all(std::byte* dst, std::int64_t bytes, std::uint64_t at) const {
    while (bytes > 0) {
      const ssize_t got = ::pread(fd_, dst, static_cast<std::size_t>(bytes), static_cast<off_t>(at));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) io_fail(path_, std::string("read failed (") + std::strerror(errno) + ")");
      if (got == 0) io_fail(path_, "truncated file: no data at byte " + std::to_string(at));
      dst += got;
      bytes -= got;
      at += static_cast<std::uint64_t>(got);
    }
  }

  std::shared_ptr<Chunk> decoded(int page, const PageLayout& L, std::int64_t index) const {
    const std::size_t bytes = static_cast<std::size_t>(L.chunk_bytes());
    std::shared_ptr<Chunk> chunk = cache_.get({page, index}, bytes);
    std::lock_guard<std::mutex> lock(chunk->mutex);
    if (chunk->ready) return chunk;
    try {
      chunk->data.resize(bytes);
    } catch (const std::bad_alloc&) {
      io_fail(path_, "out of memory decoding " + std::string(L.tiled ? "tile " : "strip ") + std::to_string(index) +
                         " of " + page_name(page) + " (" + std::to_string(bytes) + " bytes)");
    }
    std::unique_ptr<TiffHandle> h = take_handle();
    h->clear_error();
    h->set_page(page);
    // Packed samples decode into a buffer of their own, then unpack.
    std::vector<std::byte> packed;
    std::byte* into = chunk->data.data();
    std::size_t capacity = bytes;
    if (L.packed()) {
      capacity = static_cast<std::size_t>(L.stored_row_bytes() * L.chunk_h);
      packed.resize(capacity);
      into = packed.data();
    }
    const auto n = L.tiled ? TIFFReadEncodedTile(h->get(), static_cast<std::uint32_t>(index), into,
                                                 static_cast<tmsize_t>(capacity))
                           : TIFFReadEncodedStrip(h->get(), static_cast<std::uint32_t>(index), into,
                                                  static_cast<tmsize_t>(capacity));
    if (n < 0) {
      // The handle may be in any state after a failed decode: drop it.
      h->fail("corrupt data: cannot decode " + std::string(L.tiled ? "tile " : "strip ") + std::to_string(index) +
              " of " + page_name(page));
    }
    give_handle(std::move(h));
    if (L.packed()) unpack(L, packed.data(), chunk->data.data());
    chunk->ready = true;
    return chunk;
  }

  // Packed samples to whole integers, row by row: a bit stream, most
  // significant bit first, each row starting on a byte, as GDAL writes and
  // reads NBITS (checked against GDAL in either byte order, 24-bit included).
  static void unpack(const PageLayout& L, const std::byte* src, std::byte* dst) {
    const std::int64_t per_row = L.chunk_w * L.chunk_samples(), stride = L.stored_row_bytes();
    dispatch(L.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        for (std::int64_t r = 0; r < L.chunk_h; ++r) {
          const auto* in = reinterpret_cast<const std::uint8_t*>(src + r * stride);
          T* out = reinterpret_cast<T*>(dst) + r * per_row;
          std::uint64_t bitpos = 0;
          for (std::int64_t k = 0; k < per_row; ++k, bitpos += static_cast<std::uint64_t>(L.bits)) {
            std::uint32_t v = 0;
            for (int b = 0; b < L.bits; ++b) {
              const std::uint64_t at = bitpos + static_cast<std::uint64_t>(b);
              v = (v << 1) | ((in[at >> 3] >> (7 - (at & 7))) & 1u);
            }
            out[k] = static_cast<T>(v);
          }
        }
      }
    });
  }

  std::unique_ptr<TiffHandle> take_handle() const {
    {
      std::lock_guard<std::mutex> lock(handles_mutex_);
      if (!handles_.empty()) {
        auto h = std::move(handles_.back());
        handles_.pop_back();
        return h;
      }
    }
    return std::make_unique<TiffHandle>(path_, "rm");
  }
  void give_handle(std::unique_ptr<TiffHandle> h) const {
    std::lock_guard<std::mutex> lock(handles_mutex_);
    handles_.push_back(std::move(h));
  }

  Metadata metadata_;
  std::string path_;
  std::vector<PageLayout> pages_;
  int first_page_;
  bool volume_, swapped_;
  int fd_ = -1;
  mutable ChunkCache cache_;
  mutable std::mutex handles_mutex_;
  mutable std::vector<std::unique_ptr<TiffHandle>> handles_;
};

}  // namespace

Image open_tiff(const std::string& path, int page, bool overview) {
  Opened o = read_file(path, page);
  const bool volume = page < 0 && o.n_main > 1;
  const PageLayout& L = o.pages.front();
  Shape shape = shape_of(L, o.pages.size(), volume);
  const DType dtype = L.dtype;
  if (overview) {
    const Opened main = read_file(path, 0);
    const PageLayout& M = main.pages.front();
    o.metadata = overview_metadata(o.metadata, L.height, L.width, main.metadata, M.height, M.width);
  }
  return Image(std::make_shared<TiffSource>(std::move(shape), dtype, path, std::move(o.pages), std::max(page, 0),
                                            volume, o.swapped, std::move(o.metadata)));
}

int overview_page(const std::string& path, int level) {
  TiffHandle h(path, "rm");
  const int n = TIFFNumberOfDirectories(h.get());
  int found = 0;
  for (int p = 1; p < n; ++p) {
    h.set_page(p);
    std::uint32_t kind = 0;
    TIFFGetFieldDefaulted(h.get(), TIFFTAG_SUBFILETYPE, &kind);
    if ((kind & FILETYPE_REDUCEDIMAGE) && !(kind & FILETYPE_MASK) && ++found == level) return p;
  }
  throw ValueError(path + ": overview level " + std::to_string(level) + " does not exist (the file has " +
                   std::to_string(found) + (found == 1 ? " level)" : " levels)"));
}

FileInfo tiff_info(const std::string& path) {
  Opened o = read_file(path, 0);
  const PageLayout& L = o.pages.front();
  FileInfo info;
  info.format = "tiff";
  info.shape = shape_of(L, static_cast<std::size_t>(o.n_main), o.n_main > 1);
  info.dtype = L.dtype;
  info.pages = o.n_main;
  info.compression = compression_name(L.compression);
  info.layout = L.describe();
  if (o.n_pages > o.n_main)
    info.layout += ", then " + std::to_string(o.n_pages - o.n_main) + " overview or mask page" +
                   (o.n_pages - o.n_main == 1 ? "" : "s") + " (open them with page=)";
  info.bigtiff = o.bigtiff;
  info.metadata = std::move(o.metadata);
  return info;
}

}  // namespace tessera::io
