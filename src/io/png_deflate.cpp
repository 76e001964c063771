#include "io/png_deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/thread_pool.hpp"
#include "tessera/error.hpp"

namespace tessera::io {

namespace {

constexpr std::size_t kPieceBytes = std::size_t{1} << 20;
constexpr std::size_t kWindow = 32768;

int paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

// One row filtered into out[0] (the filter type) and out[1..]: the filter
// whose bytes, read as signed, have the least absolute sum (libpng's
// heuristic). Each filter a loop of its own, so the compiler vectorises it.
void filter_row(const std::uint8_t* row, const std::uint8_t* prev, std::size_t n, int bpp, std::uint8_t* out,
                std::uint8_t* trial) {
  const std::size_t p = static_cast<std::size_t>(bpp);
  const auto cost = [&](const std::uint8_t* f) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += static_cast<std::uint32_t>(std::abs(static_cast<int>(static_cast<std::int8_t>(f[i]))));
    return sum;
  };
  std::uint32_t best = cost(row);  // None
  int best_type = 0;
  std::memcpy(out + 1, row, n);
  const auto consider = [&](int type) {
    const std::uint32_t c = cost(trial);
    if (c < best) best = c, best_type = type, std::memcpy(out + 1, trial, n);
  };
  for (std::size_t i = 0; i < n; ++i) trial[i] = static_cast<std::uint8_t>(row[i] - (i >= p ? row[i - p] : 0));
  consider(1);  // Sub
  for (std::size_t i = 0; i < n; ++i) trial[i] = static_cast<std::uint8_t>(row[i] - prev[i]);
  consider(2);  // Up
  for (std::size_t i = 0; i < n; ++i)
    trial[i] = static_cast<std::uint8_t>(row[i] - ((i >= p ? row[i - p] : 0) + prev[i]) / 2);
  consider(3);  // Average
  for (std::size_t i = 0; i < n; ++i) {
    const int a = i >= p ? row[i - p] : 0, b = prev[i], c = i >= p ? prev[i - p] : 0;
    trial[i] = static_cast<std::uint8_t>(row[i] - paeth(a, b, c));
  }
  consider(4);  // Paeth
  out[0] = static_cast<std::uint8_t>(best_type);
}

}  // namespace

PngDeflater::PngDeflater(std::int64_t row_bytes, int pixel_bytes, bool sixteen_bit, std::int64_t rows, int level,
                         int threads)
    : row_bytes_(row_bytes),
      pixel_bytes_(pixel_bytes),
      sixteen_bit_(sixteen_bit),
      rows_left_(rows),
      level_(level),
      threads_(std::max(1, threads)),
      previous_(static_cast<std::size_t>(row_bytes), 0) {}

void PngDeflater::rows(const std::byte* data, std::int64_t n, std::int64_t stride,
                       const std::function<void(const std::uint8_t*, std::size_t)>& emit) {
  const std::size_t rb = static_cast<std::size_t>(row_bytes_), line = rb + 1;
  // Filter the rows, blocks of them in parallel: a row's filter reads the
  // raw row above it, never a filtered one.
  std::vector<std::uint8_t> filtered(static_cast<std::size_t>(n) * line);
  const auto raw_row = [&](std::int64_t y, std::uint8_t* dst) {  // big-endian samples, as PNG stores them
    const auto* src = reinterpret_cast<const std::uint8_t*>(data + y * stride);
    if (sixteen_bit_) {
      for (std::size_t i = 0; i + 1 < rb; i += 2) dst[i] = src[i + 1], dst[i + 1] = src[i];
    } else {
      std::memcpy(dst, src, rb);
    }
  };
  constexpr std::int64_t kRowsPerTask = 16;
  detail::parallel_for((n + kRowsPerTask - 1) / kRowsPerTask, threads_, [&](std::int64_t t, int) {
    std::vector<std::uint8_t> above(rb), here(rb), trial(rb);
    const std::int64_t y0 = t * kRowsPerTask, y1 = std::min(n, y0 + kRowsPerTask);
    if (y0 == 0) above = previous_;
    else raw_row(y0 - 1, above.data());
    for (std::int64_t y = y0; y < y1; ++y) {
      raw_row(y, here.data());
      filter_row(here.data(), above.data(), rb, pixel_bytes_, filtered.data() + static_cast<std::size_t>(y) * line,
                 trial.data());
      above.swap(here);
    }
  });
  if (n > 0) raw_row(n - 1, previous_.data());
  rows_left_ -= n;
  const bool last = rows_left_ <= 0;
  // Deflate pieces in parallel, each primed with the 32 KB before it.
  const std::size_t total = filtered.size();
  const std::size_t pieces = std::max<std::size_t>(1, (total + kPieceBytes - 1) / kPieceBytes);
  std::vector<std::vector<std::uint8_t>> out(pieces);
  std::vector<std::uint32_t> adlers(pieces);
  std::vector<int> failed(pieces, 0);
  detail::parallel_for(static_cast<std::int64_t>(pieces), threads_, [&](std::int64_t k, int) {
    const std::size_t begin = static_cast<std::size_t>(k) * kPieceBytes, end = std::min(total, begin + kPieceBytes);
    z_stream s{};
    if (deflateInit2(&s, level_, Z_DEFLATED, -15, 8, Z_FILTERED) != Z_OK) {
      failed[static_cast<std::size_t>(k)] = 1;
      return;
    }
    // The dictionary: the bytes before this piece, from this band or the last.
    std::vector<std::uint8_t> dict;
    if (begin >= kWindow) {
      dict.assign(filtered.begin() + static_cast<std::ptrdiff_t>(begin - kWindow), filtered.begin() + static_cast<std::ptrdiff_t>(begin));
    } else {
      const std::size_t from_window = std::min(window_.size(), kWindow - begin);
      dict.assign(window_.end() - static_cast<std::ptrdiff_t>(from_window), window_.end());
      dict.insert(dict.end(), filtered.begin(), filtered.begin() + static_cast<std::ptrdiff_t>(begin));
    }
    if (!dict.empty()) deflateSetDictionary(&s, dict.data(), static_cast<uInt>(dict.size()));
    std::vector<std::uint8_t>& o = out[static_cast<std::size_t>(k)];
    // deflateBound covers a whole stream; a sync flush adds a few bytes.
    o.resize(deflateBound(&s, static_cast<uLong>(end - begin)) + 64);
    s.next_in = filtered.data() + begin;
    s.avail_in = static_cast<uInt>(end - begin);
    s.next_out = o.data();
    s.avail_out = static_cast<uInt>(o.size());
    const bool final_piece = last && static_cast<std::size_t>(k) + 1 == pieces;
    const int r = deflate(&s, final_piece ? Z_FINISH : Z_SYNC_FLUSH);
    // All input taken and room left over: nothing of the piece still pending.
    if ((final_piece && r != Z_STREAM_END) || (!final_piece && r != Z_OK) || s.avail_in != 0 || s.avail_out == 0)
      failed[static_cast<std::size_t>(k)] = 1;
    o.resize(o.size() - s.avail_out);
    deflateEnd(&s);
    adlers[static_cast<std::size_t>(k)] = static_cast<std::uint32_t>(
        adler32(adler32(0, nullptr, 0), filtered.data() + begin, static_cast<uInt>(end - begin)));
  });
  if (std::find(failed.begin(), failed.end(), 1) != failed.end()) throw IOError("zlib could not deflate a piece");
  for (std::size_t k = 0; k < pieces; ++k) {
    const std::size_t len = std::min(total, (k + 1) * kPieceBytes) - k * kPieceBytes;
    adler_ = static_cast<std::uint32_t>(adler32_combine(adler_, adlers[k], static_cast<z_off_t>(len)));
    std::vector<std::uint8_t>& o = out[k];
    if (!started_) {  // the zlib header: deflate, a 32 KB window, the level's hint
      const std::uint8_t flg = level_ <= 1 ? 0x01 : level_ <= 5 ? 0x5E : level_ == 6 ? 0x9C : 0xDA;
      o.insert(o.begin(), {0x78, flg});
      started_ = true;
    }
    if (last && k + 1 == pieces)
      for (int shift = 24; shift >= 0; shift -= 8) o.push_back(static_cast<std::uint8_t>(adler_ >> shift));
    emit(o.data(), o.size());
  }
  // The next band's first dictionary.
  if (total >= kWindow) {
    window_.assign(filtered.end() - static_cast<std::ptrdiff_t>(kWindow), filtered.end());
  } else {
    window_.insert(window_.end(), filtered.begin(), filtered.end());
    if (window_.size() > kWindow) window_.erase(window_.begin(), window_.end() - static_cast<std::ptrdiff_t>(kWindow));
  }
}

}  // namespace tessera::io
