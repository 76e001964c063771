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
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "core/thread_pool.hpp"
#include "engine/copy.hpp"
#include "io/byteswap.hpp"
#include "io/tiff_common.hpp"
#include "tessera/node.hpp"

namespace tessera::io {

namespace {

struct PageLayout {
  std::int64_t height = 0, width = 0;
  int samples = 1;
  DType dtype = DType::UInt8;
  bool planar = false;  // PLANARCONFIG_SEPARATE with more than one sample
  bool tiled = false;
  std::int64_t chunk_h = 0, chunk_w = 0;  // rows per strip and the width, or the tile
  std::int64_t across = 1, down = 1;      // chunks per row of chunks, rows of chunks (per plane)
  unsigned compression = COMPRESSION_NONE;
  unsigned photometric = PHOTOMETRIC_MINISBLACK;
  std::vector<std::uint64_t> offsets, bytecounts;  // per chunk, plane after plane

  std::int64_t planes() const { return planar ? samples : 1; }
  std::int64_t chunk_samples() const { return planar ? 1 : samples; }
  std::int64_t chunk_bytes() const {
    return chunk_h * chunk_w * chunk_samples() * static_cast<std::int64_t>(itemsize(dtype));
  }
  bool same_image(const PageLayout& o) const {
    return height == o.height && width == o.width && samples == o.samples && dtype == o.dtype;
  }
  std::string describe() const {
    std::string s = tiled ? "tiled " + std::to_string(chunk_h) + "x" + std::to_string(chunk_w)
                          : "striped " + std::to_string(chunk_h) + " rows";
    return s + (planar ? ", planar" : ", chunky");
  }
};

std::string page_name(int p) { return "page " + std::to_string(p); }

PageLayout read_layout(TiffHandle& h, int page, std::uint64_t file_size) {
  TIFF* t = h.get();
  PageLayout L;
  std::uint32_t w = 0, hgt = 0;
  std::uint16_t spp = 1, bits = 1, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG, comp = COMPRESSION_NONE,
                photometric = PHOTOMETRIC_MINISBLACK;
  if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &hgt))
    h.fail("corrupt header: " + page_name(page) + " has no image size");
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &comp);
  TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photometric);
  L.height = hgt;
  L.width = w;
  L.samples = spp;
  L.dtype = tiff_dtype(h.path(), bits, format);
  L.planar = planar == PLANARCONFIG_SEPARATE && spp > 1;
  L.compression = comp;
  L.photometric = photometric;
  if (spp == 0) h.fail("corrupt header: " + page_name(page) + " has 0 samples per pixel");
  if (comp == COMPRESSION_JPEG || comp == COMPRESSION_OJPEG || photometric == PHOTOMETRIC_YCBCR)
    io_fail(h.path(), "unsupported layout: JPEG/YCbCr (lossy) TIFFs are not read by tessera");
  if (!TIFFIsCODECConfigured(comp))
    io_fail(h.path(), "unsupported layout: " + compression_name(comp) + " is not available in this libtiff");
  L.tiled = TIFFIsTiled(t);
  if (L.tiled) {
    std::uint32_t tw = 0, th = 0;
    TIFFGetField(t, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(t, TIFFTAG_TILELENGTH, &th);
    if (tw == 0 || th == 0) h.fail("corrupt header: " + page_name(page) + " has a zero tile size");
    L.chunk_h = th;
    L.chunk_w = tw;
    L.across = (L.width + tw - 1) / tw;
    L.down = (L.height + th - 1) / th;
  } else {
    std::uint32_t rps = 0;
    TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &rps);
    L.chunk_h = std::clamp<std::int64_t>(rps, 1, std::max<std::int64_t>(1, L.height));
    L.chunk_w = L.width;
    L.down = (L.height + L.chunk_h - 1) / L.chunk_h;
  }
  const std::int64_t n = L.across * L.down * L.planes();
  const std::int64_t present = L.tiled ? TIFFNumberOfTiles(t) : TIFFNumberOfStrips(t);
  if (present < n)
    h.fail("corrupt header: " + page_name(page) + " has " + std::to_string(present) + " of its " +
           std::to_string(n) + (L.tiled ? " tiles" : " strips"));
  L.offsets.resize(static_cast<std::size_t>(n));
  L.bytecounts.resize(static_cast<std::size_t>(n));
  for (std::int64_t k = 0; k < n; ++k) {
    int err = 0;
    L.offsets[k] = TIFFGetStrileOffsetWithErr(t, static_cast<std::uint32_t>(k), &err);
    L.bytecounts[k] = TIFFGetStrileByteCountWithErr(t, static_cast<std::uint32_t>(k), &err);
    if (err) h.fail("corrupt header: the offsets of " + page_name(page) + " cannot be read");
    if (L.offsets[k] + L.bytecounts[k] > file_size)
      io_fail(h.path(), "truncated file: " + std::string(L.tiled ? "tile " : "strip ") + std::to_string(k) + " of " +
                            page_name(page) + " ends at byte " + std::to_string(L.offsets[k] + L.bytecounts[k]) +
                            ", past the end of the file (" + std::to_string(file_size) + " bytes)");
  }
  if (L.compression == COMPRESSION_NONE) {
    // An uncompressed chunk must hold all its rows (the last strip: the rest).
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t row = (k % (L.across * L.down)) / L.across * L.chunk_h;
      const std::int64_t rows = L.tiled ? L.chunk_h : std::min(L.chunk_h, L.height - row);
      const std::int64_t need = rows * L.chunk_w * L.chunk_samples() * static_cast<std::int64_t>(itemsize(L.dtype));
      if (static_cast<std::int64_t>(L.bytecounts[k]) < need)
        io_fail(h.path(), "corrupt file: " + std::string(L.tiled ? "tile " : "strip ") + std::to_string(k) + " of " +
                              page_name(page) + " holds " + std::to_string(L.bytecounts[k]) + " bytes, not " +
                              std::to_string(need));
    }
  }
  return L;
}

struct ChunkKey {
  int page;
  std::int64_t index;
  bool operator==(const ChunkKey& o) const { return page == o.page && index == o.index; }
};
struct ChunkKeyHash {
  std::size_t operator()(const ChunkKey& k) const {
    return std::hash<std::int64_t>()(k.index * 1000003 + k.page);
  }
};

struct Chunk {
  std::mutex mutex;  // held while decoding: a second reader waits, never decodes twice
  bool ready = false;
  std::vector<std::byte> data;
};

// Decoded chunks, least recently used evicted first; a chunk still being
// copied from (pinned by a shared_ptr) is never evicted.
class ChunkCache {
 public:
  explicit ChunkCache(std::size_t capacity) : capacity_(capacity) {}

  std::shared_ptr<Chunk> get(const ChunkKey& key, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = map_.find(key); it != map_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.position);
      return it->second.chunk;
    }
    auto chunk = std::make_shared<Chunk>();
    lru_.push_front(key);
    map_.emplace(key, Entry{chunk, lru_.begin(), bytes});
    used_ += bytes;
    for (auto it = lru_.end(); used_ > capacity_ && it != lru_.begin();) {
      --it;
      auto found = map_.find(*it);
      if (found->second.chunk.use_count() > 1) continue;  // in use
      used_ -= found->second.bytes;
      map_.erase(found);
      it = lru_.erase(it);
    }
    return chunk;
  }

 private:
  std::mutex mutex_;
  std::size_t capacity_, used_ = 0;
  struct Entry {
    std::shared_ptr<Chunk> chunk;
    std::list<ChunkKey>::iterator position;  // in lru_
    std::size_t bytes;
  };
  std::list<ChunkKey> lru_;
  std::unordered_map<ChunkKey, Entry, ChunkKeyHash> map_;
};

class TiffSource final : public Node {
 public:
  TiffSource(Shape shape, DType dtype, std::string path, std::vector<PageLayout> pages, int first_page, bool volume,
             bool swapped)
      : Node(std::move(shape), dtype, {}),
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
    const bool direct = L.compression == COMPRESSION_NONE && !L.tiled && !L.planar;
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
    chunk->data.resize(bytes);
    std::unique_ptr<TiffHandle> h = take_handle();
    h->clear_error();
    h->set_page(page);
    const auto n = L.tiled ? TIFFReadEncodedTile(h->get(), static_cast<std::uint32_t>(index), chunk->data.data(),
                                                 static_cast<tmsize_t>(bytes))
                           : TIFFReadEncodedStrip(h->get(), static_cast<std::uint32_t>(index), chunk->data.data(),
                                                  static_cast<tmsize_t>(bytes));
    if (n < 0) {
      // The handle may be in any state after a failed decode: drop it.
      h->fail("corrupt data: cannot decode " + std::string(L.tiled ? "tile " : "strip ") + std::to_string(index) +
              " of " + page_name(page));
    }
    give_handle(std::move(h));
    chunk->ready = true;
    return chunk;
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

  std::string path_;
  std::vector<PageLayout> pages_;
  int first_page_;
  bool volume_, swapped_;
  int fd_ = -1;
  mutable ChunkCache cache_;
  mutable std::mutex handles_mutex_;
  mutable std::vector<std::unique_ptr<TiffHandle>> handles_;
};

struct Opened {
  std::vector<PageLayout> pages;
  int n_pages = 0;
  bool swapped = false, bigtiff = false;
};

Opened read_file(const std::string& path, int page) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) io_fail(path, errno == ENOENT ? "no such file" : std::strerror(errno));
  if (S_ISDIR(st.st_mode)) io_fail(path, "is a directory");
  TiffHandle h(path, "rm");
  Opened o;
  o.n_pages = TIFFNumberOfDirectories(h.get());
  o.swapped = TIFFIsByteSwapped(h.get());
  o.bigtiff = TIFFIsBigTIFF(h.get());
  if (o.n_pages < 1) io_fail(path, "corrupt header: no image directory");
  if (page >= o.n_pages)
    throw ValueError(path + ": page " + std::to_string(page) + " does not exist (the file has " +
                     std::to_string(o.n_pages) + (o.n_pages == 1 ? " page)" : " pages)"));
  const int first = page < 0 ? 0 : page, last = page < 0 ? o.n_pages : page + 1;
  for (int p = first; p < last; ++p) {
    h.set_page(p);
    o.pages.push_back(read_layout(h, p, static_cast<std::uint64_t>(st.st_size)));
    if (!o.pages.back().same_image(o.pages.front()))
      io_fail(path, "page " + std::to_string(p) + " differs from page 0 in size, samples or type; open one page with page=");
  }
  return o;
}

Shape shape_of(const PageLayout& L, std::size_t pages, bool volume) {
  Shape s;
  if (volume) s.push_back(static_cast<std::int64_t>(pages));
  s.push_back(L.height);
  s.push_back(L.width);
  if (L.samples > 1) s.push_back(L.samples);
  return s;
}

}  // namespace

Image open_tiff(const std::string& path, int page) {
  Opened o = read_file(path, page);
  const bool volume = page < 0 && o.n_pages > 1;
  const PageLayout& L = o.pages.front();
  Shape shape = shape_of(L, o.pages.size(), volume);
  const DType dtype = L.dtype;
  return Image(std::make_shared<TiffSource>(std::move(shape), dtype, path, std::move(o.pages), std::max(page, 0),
                                            volume, o.swapped));
}

FileInfo tiff_info(const std::string& path) {
  Opened o = read_file(path, 0);
  const PageLayout& L = o.pages.front();
  FileInfo info;
  info.format = "tiff";
  info.shape = shape_of(L, static_cast<std::size_t>(o.n_pages), o.n_pages > 1);
  info.dtype = L.dtype;
  info.pages = o.n_pages;
  info.compression = compression_name(L.compression);
  info.layout = L.describe();
  info.bigtiff = o.bigtiff;
  return info;
}

}  // namespace tessera::io
