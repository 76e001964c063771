// Engine: tiling covers the output exactly, padding follows the boundary
// table for every mode (including wrap and halos larger than the image),
// kernel errors surface once, intermediates are never whole-image.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <random>

#include <algorithm>

#include "engine/copy.hpp"
#include "engine/scheduler.hpp"
#include "engine/sink.hpp"
#include "engine/tile_context.hpp"
#include "tessera/tessera.hpp"

using namespace tessera;

namespace {

Buffer iota(DType dtype, const Shape& shape) {
  Buffer b(dtype, shape);
  dispatch(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    for (std::int64_t i = 0; i < element_count(shape); ++i) b.data_as<T>()[i] = static_cast<T>(i % 97);
  });
  return b;
}

// A node that records the largest region it was asked for and copies its
// input shifted by a halo: out[i, j] = in[i + dy, j + dx] with the boundary.
class ShiftNode final : public Node {
 public:
  ShiftNode(const Image& in, std::int64_t dy, std::int64_t dx, Boundary b)
      : Node(in.shape(), in.dtype(), {in}), dy_(dy), dx_(dx), b_(b) {}
  std::string name() const override { return "shift"; }
  Boundary input_boundary(std::size_t) const override { return b_; }
  Region input_region(std::size_t, const Region& out) const override {
    return Region{{out.offset[0] + dy_, out.offset[1] + dx_}, out.size};
  }
  void generate(const Region& r, const std::vector<View>& in, const View& out, Workspace& workspace) const override {
    for (std::int64_t i = 0; i < r.size[0]; ++i)
      for (std::int64_t j = 0; j < r.size[1]; ++j)
        *reinterpret_cast<float*>(out.at({i, j})) = *reinterpret_cast<const float*>(in[0].at({i, j}));
    std::int64_t n = r.count(), prev = largest.load();
    while (n > prev && !largest.compare_exchange_weak(prev, n)) {}
  }
  mutable std::atomic<std::int64_t> largest{0};

 private:
  std::int64_t dy_, dx_;
  Boundary b_;
};

class FailingNode final : public Node {
 public:
  explicit FailingNode(const Image& in) : Node(in.shape(), in.dtype(), {in}) {}
  std::string name() const override { return "failing"; }
  void generate(const Region& r, const std::vector<View>&, const View&, Workspace&) const override {
    if (r.offset[0] > 0) throw ValueError("kernel failed at " + r.to_string());
  }
};

}  // namespace

TEST(Scheduler, TilesCoverTheOutputExactlyOnce) {
  for (const Shape& shape : std::vector<Shape>{{1}, {7}, {1000003}, {3, 5}, {997, 1009}, {2, 3, 5, 7}, {13, 1, 4}, {}}) {
    Buffer b(DType::UInt8, shape);
    const Image img = Image::wrap(b.view());
    for (int threads : {1, 2, 16}) {
      const auto tiles = detail::plan_tiles(*img.node(), threads);
      std::vector<int> covered(static_cast<std::size_t>(element_count(shape)), 0);
      for (const Region& r : tiles) {
        ASSERT_TRUE(r.inside(shape)) << r.to_string();
        ASSERT_LE(r.count(), std::max<std::int64_t>(detail::kTileElements, shape.empty() ? 1 : shape.back()));
        Shape idx(shape.size(), 0);
        for (std::int64_t k = 0; k < r.count(); ++k) {
          std::int64_t flat = 0;
          for (std::size_t a = 0; a < shape.size(); ++a) flat = flat * shape[a] + r.offset[a] + idx[a];
          covered[static_cast<std::size_t>(flat)]++;
          for (std::size_t a = shape.size(); a-- > 0;) {
            if (++idx[a] < r.size[a]) break;
            idx[a] = 0;
          }
        }
      }
      for (int c : covered) ASSERT_EQ(c, 1) << shape_to_string(shape);
    }
  }
  Buffer empty(DType::UInt8, {0, 5});
  EXPECT_TRUE(detail::plan_tiles(*Image::wrap(empty.view()).node(), 2).empty());
}

TEST(Engine, PaddingFollowsTheBoundaryTableInEveryMode) {
  // Shifts larger than the image exercise repeated reflection and wrapping.
  const Shape shape{5, 7};
  Buffer in(DType::Float32, shape);
  for (std::int64_t i = 0; i < 35; ++i) in.data_as<float>()[i] = static_cast<float>(i);
  for (auto mode : {BoundaryMode::Reflect, BoundaryMode::Mirror, BoundaryMode::Nearest, BoundaryMode::Wrap,
                    BoundaryMode::Constant}) {
    for (auto [dy, dx] : std::vector<std::pair<int, int>>{{0, 0}, {2, -3}, {-4, 6}, {11, -13}, {-1, 1}}) {
      const Image img(std::make_shared<ShiftNode>(Image::wrap(in.view()), dy, dx, Boundary{mode, -7.5}));
      const Buffer out = img.compute({2});
      for (std::int64_t i = 0; i < 5; ++i)
        for (std::int64_t j = 0; j < 7; ++j) {
          const std::int64_t si = map_coordinate(i + dy, 5, mode), sj = map_coordinate(j + dx, 7, mode);
          const float want = (si < 0 || sj < 0) ? -7.5f : static_cast<float>(si * 7 + sj);
          ASSERT_EQ(out.data_as<float>()[i * 7 + j], want)
              << boundary_mode_name(mode) << " shift " << dy << "," << dx << " at " << i << "," << j;
        }
    }
  }
}

TEST(Engine, ChainedHaloNodesStayTileSized) {
  const Shape shape{1500, 1300};
  Buffer in(DType::Float32, shape);
  std::iota(in.data_as<float>(), in.data_as<float>() + element_count(shape), 0.0f);
  auto a = std::make_shared<ShiftNode>(Image::wrap(in.view()), 3, -2, Boundary{BoundaryMode::Wrap, 0});
  auto b = std::make_shared<ShiftNode>(Image(a), -5, 4, Boundary{BoundaryMode::Reflect, 0});
  const Buffer out = Image(b).compute({2});
  // Every intermediate region is a tile (grown by its halo), never the image.
  const Shape halo = detail::accumulated_halo(*b);
  EXPECT_EQ(halo, (Shape{8, 6}));
  EXPECT_LE(a->largest.load(), 2 * detail::kHaloTileElements);
  EXPECT_LE(b->largest.load(), 2 * detail::kHaloTileElements);
  EXPECT_LT(a->largest.load(), element_count(shape) / 4);
  for (std::int64_t i : {0, 1, 700, 1499})
    for (std::int64_t j : {0, 1, 650, 1299}) {
      const std::int64_t mi = map_coordinate(i - 5, 1500, BoundaryMode::Reflect);
      const std::int64_t mj = map_coordinate(j + 4, 1300, BoundaryMode::Reflect);
      const std::int64_t si = map_coordinate(mi + 3, 1500, BoundaryMode::Wrap);
      const std::int64_t sj = map_coordinate(mj - 2, 1300, BoundaryMode::Wrap);
      ASSERT_EQ(out.data_as<float>()[i * 1300 + j], static_cast<float>(si * 1300 + sj));
    }
}

TEST(Engine, KernelErrorsStopTheRunAndSurfaceOnce) {
  Buffer in = iota(DType::Float32, {4000, 300});
  const Image img(std::make_shared<FailingNode>(Image::wrap(in.view())));
  EXPECT_THROW(img.compute({2}), ValueError);
  try {
    img.compute({2});
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("kernel failed at"), std::string::npos);
  }
}

TEST(Engine, AnInterruptStopsEveryRunUntilWithdrawn) {
  Buffer in = iota(DType::Float32, {600, 500});
  const Image img = uniform_filter(Image::wrap(in.view()), {5, 5});
  const Buffer expected = img.compute({2});
  request_interrupt();
  EXPECT_TRUE(interrupt_requested());
  EXPECT_THROW(img.compute({2}), Interrupted);
  EXPECT_THROW(img.compute({1}), Interrupted);
  clear_interrupt();
  const Buffer again = img.compute({2});
  EXPECT_EQ(std::memcmp(again.data(), expected.data(), 600 * 500 * sizeof(float)), 0);
}

TEST(Engine, ComputeRegionAndOutShapeChecks) {
  Buffer in = iota(DType::Int16, {30, 40});
  const Image img = Image::wrap(in.view()) * 2;
  const Buffer r = img.compute_region(Region{{3, 5}, {4, 6}});
  EXPECT_EQ(r.data_as<std::int16_t>()[0], static_cast<std::int16_t>(2 * ((3 * 40 + 5) % 97)));
  EXPECT_THROW(img.compute_region(Region{{28, 0}, {4, 4}}), ValueError);
  Buffer wrong(DType::Int16, {40, 30});
  EXPECT_THROW(img.compute_into(wrong.view()), ValueError);
}

TEST(Engine, BlockReadsOnePieceInPlaceAndGathersAcrossPieces) {
  // A 2 x 3 grid: rows of 4 and 3, columns of 2, 5 and 1; piece p holds
  // 1000 p + its own row-major index, so every element names its source.
  const std::vector<std::int64_t> rows{4, 3}, cols{2, 5, 1};
  std::vector<Buffer> buffers;
  std::vector<View> pieces;
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t c = 0; c < cols.size(); ++c) {
      Buffer b(DType::Float32, {rows[r], cols[c]});
      for (std::int64_t i = 0; i < rows[r] * cols[c]; ++i)
        b.data_as<float>()[i] = static_cast<float>(1000 * buffers.size() + i);
      pieces.push_back(b.view());
      buffers.push_back(std::move(b));
    }
  const Image img = block(pieces, {2, 3});
  ASSERT_EQ(img.shape(), (Shape{7, 8}));
  const Buffer whole = img.compute({2});
  for (std::int64_t i = 0; i < 7; ++i)
    for (std::int64_t j = 0; j < 8; ++j) {
      const std::int64_t r = i < 4 ? 0 : 1, li = i < 4 ? i : i - 4;
      const std::int64_t c = j < 2 ? 0 : j < 7 ? 1 : 2, lj = j < 2 ? j : j < 7 ? j - 2 : j - 7;
      ASSERT_EQ(whole.data_as<float>()[i * 8 + j], static_cast<float>(1000 * (3 * r + c) + li * cols[c] + lj))
          << i << "," << j;
    }
  // Inside piece (1, 1): a view of that piece's memory, no copy.
  View v;
  ASSERT_TRUE(img.node()->direct_view(Region{{5, 3}, {2, 4}}, v));
  EXPECT_EQ(v.data, buffers[4].view().data + (1 * 5 + 1) * sizeof(float));
  EXPECT_FALSE(img.node()->direct_view(Region{{3, 1}, {2, 2}}, v));
  // Halo reads across pieces and past the border equal those of the assembled image.
  for (auto mode : {BoundaryMode::Reflect, BoundaryMode::Wrap, BoundaryMode::Constant}) {
    const Buffer got = Image(std::make_shared<ShiftNode>(img, 2, -3, Boundary{mode, -1})).compute({2});
    const Buffer want = Image(std::make_shared<ShiftNode>(Image::wrap(whole.view()), 2, -3, Boundary{mode, -1}))
                            .compute({1});
    EXPECT_TRUE(std::equal(got.data_as<float>(), got.data_as<float>() + 56, want.data_as<float>()))
        << boundary_mode_name(mode);
  }
  EXPECT_THROW(block({pieces.begin(), pieces.end() - 1}, {2, 3}), ValueError);
  std::vector<View> swapped = pieces;
  std::swap(swapped[0], swapped[1]);
  EXPECT_THROW(block(swapped, {2, 3}), ValueError);
  Buffer ints(DType::Int32, {3, 1});
  std::vector<View> mixed = pieces;
  mixed[5] = ints.view();
  EXPECT_THROW(block(mixed, {2, 3}), ValueError);
}

// Tiles over a block of pieces: together they cover the output once; with no
// halo every tile lies inside one piece; with a halo only the tiles near a
// seam (kSeamTile or 2 x halo wide) reach across one, the rest read in place.
TEST(Scheduler, TilesAreCutAtTheSeamsOfABlock) {
  // Pieces of odd sizes, some narrower than the halo, a seam next to the border.
  const std::vector<std::int64_t> rows{1, 300, 2, 701}, cols{2, 997, 5, 3, 1033};
  const std::int64_t height = 1004, width = 2040;
  std::vector<Buffer> buffers;
  std::vector<View> pieces;
  for (auto r : rows)
    for (auto c : cols) {
      buffers.emplace_back(DType::Float32, Shape{r, c});
      pieces.push_back(buffers.back().view());
    }
  const Image img = block(pieces, {4, 5});
  ASSERT_EQ(img.shape(), (Shape{height, width}));
  const std::vector<std::int64_t> row_seams{1, 301, 303}, col_seams{2, 999, 1004, 1007};
  EXPECT_EQ(img.node()->seams(0), row_seams);
  EXPECT_EQ(img.node()->seams(1), col_seams);
  auto near_seam = [](std::int64_t lo, std::int64_t hi, const std::vector<std::int64_t>& seams, std::int64_t reach) {
    for (auto s : seams)
      if (lo < s + reach && hi > s - reach) return true;
    return false;
  };
  for (std::int64_t halo : {0, 3}) {
    const Image root = halo ? uniform_filter(img, {2 * halo + 1, 2 * halo + 1}) : img * 2.0;
    for (int threads : {1, 2, 8}) {
      const Region area{{0, 0}, {height, width}};
      const Region inner{{3, 5}, {height - 9, width - 12}};  // a crop's region, as GraphRunner plans it
      for (const Region& where : {area, inner}) {
        std::vector<std::uint8_t> covered(static_cast<std::size_t>(height * width), 0);
        for (const Region& t : detail::plan_tiles(*root.node(), where, threads)) {
          ASSERT_TRUE(t.inside(img.shape())) << t.to_string();
          for (std::int64_t i = t.offset[0]; i < t.offset[0] + t.size[0]; ++i)
            for (std::int64_t j = t.offset[1]; j < t.offset[1] + t.size[1]; ++j)
              covered[static_cast<std::size_t>(i * width + j)]++;
          Region reach = t;
          for (std::size_t a = 0; a < 2; ++a) {
            reach.offset[a] = std::max<std::int64_t>(0, t.offset[a] - halo);
            reach.size[a] = std::min(img.shape()[a], t.offset[a] + t.size[a] + halo) - reach.offset[a];
          }
          View v;
          if (img.node()->direct_view(reach, v)) continue;
          // A gathered tile lies near a seam along some axis, and is short along it.
          const std::int64_t margin = std::max(detail::kSeamTile, 2 * halo);
          const bool by_rows = near_seam(t.offset[0] - halo, t.offset[0] + t.size[0] + halo, row_seams, 0) &&
                               t.size[0] <= margin + halo * 2 + 2;
          const bool by_cols = near_seam(t.offset[1] - halo, t.offset[1] + t.size[1] + halo, col_seams, 0) &&
                               t.size[1] <= margin + halo * 2 + 2;
          EXPECT_TRUE(halo > 0 && (by_rows || by_cols)) << "halo " << halo << " tile " << t.to_string();
        }
        for (std::int64_t i = 0; i < height; ++i)
          for (std::int64_t j = 0; j < width; ++j) {
            const bool in = i >= where.offset[0] && i < where.offset[0] + where.size[0] && j >= where.offset[1] &&
                            j < where.offset[1] + where.size[1];
            ASSERT_EQ(covered[static_cast<std::size_t>(i * width + j)], in ? 1 : 0) << i << "," << j;
          }
      }
    }
  }
}

// A run's scratch goes back to a bounded pool and the next run takes it:
// after a run that gathered tiles the pool holds them, a second run leaves it
// no fuller, and it never holds more than its bound.
TEST(Engine, ScratchIsPooledBetweenRunsAndBounded) {
  std::vector<Buffer> buffers;
  std::vector<View> pieces;
  for (std::int64_t c : {700, 3, 900}) {
    buffers.push_back(iota(DType::Float32, {600, c}));
    pieces.push_back(buffers.back().view());
  }
  const Image img = uniform_filter(block(pieces, {1, 3}), {5, 5});
  // One worker: with two, whether the second joins a run before the first has
  // taken every tile is the scheduler's choice, and a run it joins needs
  // scratch of its own (the pool then grows by it, as it should).
  const Buffer first = img.compute({1});
  const std::size_t pooled = detail::TileContext::pooled_bytes();
  EXPECT_GT(pooled, 0u);
  const Buffer second = img.compute({1});
  EXPECT_EQ(detail::TileContext::pooled_bytes(), pooled);
  EXPECT_TRUE(std::equal(first.data_as<float>(), first.data_as<float>() + element_count(first.shape()),
                         second.data_as<float>()));
  // Contexts whose scratch together exceeds the bound: the pool keeps no more.
  {
    Buffer big(DType::Float32, {2048, 2048});  // 16 MiB; each padded fetch takes that much scratch
    const Image src = Image::wrap(big.view());
    std::vector<detail::TileContext> contexts(detail::kScratchPoolBytes / (std::size_t{16} << 20) + 2);
    for (auto& ctx : contexts) {
      ctx.begin_tile();
      ctx.fetch(*src.node(), Region{{-1, -1}, {2048, 2048}}, Boundary{BoundaryMode::Reflect, 0});
    }
  }
  EXPECT_LE(detail::TileContext::pooled_bytes(), detail::kScratchPoolBytes);
}

TEST(Expression, SyntaxErrorsCarryThePosition) {
  try {
    expression_names("a + * b");
    FAIL();
  } catch (const ExprSyntaxError& e) {
    EXPECT_EQ(e.position(), 4u);
    EXPECT_NE(std::string(e.what()).find("    ^"), std::string::npos);
  }
  EXPECT_THROW(expression_names("(a + b"), ExprSyntaxError);
  EXPECT_THROW(expression_names("a = b"), ExprSyntaxError);
  EXPECT_THROW(expression_names(""), ExprSyntaxError);
  EXPECT_THROW(expression_names("1.2.3"), ExprSyntaxError);
  EXPECT_EQ(expression_names("where(a > b, sqrt(c), a)"), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Expression, EvaluatesAgainstAPlainLoop) {
  Buffer a = iota(DType::UInt8, {61, 53});
  Buffer b = iota(DType::Float32, {53});
  const Buffer out = evaluate("where(a > 40, a * b - 1, -b / 2) ** 2",
                              {{"a", Image::wrap(a.view())}, {"b", Image::wrap(b.view())}});
  ASSERT_EQ(out.dtype(), DType::Float32);
  for (std::int64_t i = 0; i < 61; ++i)
    for (std::int64_t j = 0; j < 53; ++j) {
      const float av = a.data_as<std::uint8_t>()[i * 53 + j], bv = b.data_as<float>()[j];
      const float w = av > 40 ? av * bv - 1.0f : -bv / 2.0f;
      ASSERT_EQ(out.data_as<float>()[i * 53 + j], w * w);
    }
  EXPECT_THROW(evaluate("a + c", {{"a", Image::wrap(a.view())}}), NameError);
  EXPECT_THROW(evaluate("a + b", {{"a", Image::wrap(a.view())}, {"b", Image::wrap(iota(DType::Int8, {5}).view())}}),
               ValueError);
  EXPECT_THROW(evaluate("a & 1.5", {{"a", Image::wrap(a.view())}}), TypeError);
}

// ---- streams of bands (engine/sink.hpp) ----

namespace {

// Records the bands it receives, and copies them into a full-size buffer.
class RecordingSink final : public tessera::detail::Sink {
 public:
  RecordingSink(const tessera::Shape& shape, std::size_t row_axis, std::int64_t granularity, int fail_at = -1)
      : all(tessera::DType::Float64, shape), axis(row_axis), grain(granularity), fail_at(fail_at) {}
  std::size_t row_axis() const override { return axis; }
  std::int64_t row_granularity() const override { return grain; }
  void write(const tessera::Region& band, const tessera::View& data) override {
    if (static_cast<int>(bands.size()) == fail_at) throw tessera::IOError("disk full");
    bands.push_back(band);
    tessera::detail::copy_convert(data, all.view().sub(band));
  }
  void commit() override { committed = true; }
  void abort() noexcept override { aborted = true; }

  tessera::Buffer all;
  std::size_t axis;
  std::int64_t grain;
  int fail_at;
  std::vector<tessera::Region> bands;
  bool committed = false, aborted = false;
};

}  // namespace

TEST(Stream, BandsTileTheImageInOrderAtTheGranularity) {
  const tessera::Shape shape{5, 301, 7, 3};
  const auto bands = tessera::detail::plan_bands(shape, 8, 1, 16, 16 * 7 * 3 * 8 * 3 + 5);
  std::int64_t covered = 0;
  for (std::size_t k = 0; k < bands.size(); ++k) {
    const auto& b = bands[k];
    EXPECT_EQ(b.size[0], 1);
    EXPECT_TRUE(b.size[1] % 16 == 0 || b.offset[1] + b.size[1] == 301);
    EXPECT_EQ(b.size[2], 7);
    if (k > 0 && bands[k - 1].offset[0] == b.offset[0])
      EXPECT_EQ(bands[k - 1].offset[1] + bands[k - 1].size[1], b.offset[1]);
    covered += b.count();
  }
  EXPECT_EQ(covered, tessera::element_count(shape));
  // Whole slices of the first axis when they fit.
  const auto whole = tessera::detail::plan_bands({40, 10, 10}, 1, 1, 4, 1000);
  ASSERT_EQ(whole.size(), 4u);
  EXPECT_EQ(whole[0].size, (tessera::Shape{10, 10, 10}));
}

TEST(Stream, ComputesEveryBandAndCommitsOrAbortsOnError) {
  tessera::Buffer in(tessera::DType::Float64, {523, 97});
  for (std::int64_t k = 0; k < 523 * 97; ++k) in.data_as<double>()[k] = static_cast<double>(k % 1013) * 0.5;
  const tessera::Image img = tessera::Image::wrap(in.view()) * 3.0 + 1.0;
  tessera::detail::StreamOptions o;
  o.band_bytes = 97 * 8 * 40;
  std::vector<double> progress;
  o.progress = [&](double f) { progress.push_back(f); };
  RecordingSink sink({523, 97}, 0, 8);
  tessera::detail::stream_to_sink(img, sink, o);
  EXPECT_TRUE(sink.committed);
  EXPECT_FALSE(sink.aborted);
  EXPECT_GT(sink.bands.size(), 10u);
  for (std::int64_t k = 0; k < 523 * 97; ++k)
    ASSERT_EQ(sink.all.data_as<double>()[k], in.data_as<double>()[k] * 3.0 + 1.0);
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress.back(), 1.0);

  RecordingSink failing({523, 97}, 0, 8, 3);
  EXPECT_THROW(tessera::detail::stream_to_sink(img, failing, o), tessera::IOError);
  EXPECT_TRUE(failing.aborted);
  EXPECT_FALSE(failing.committed);
}

// map_tiles over a function that returns its results: the first tile is
// probed for the dtype and trailing axes, results with the halo are trimmed,
// and a result of another shape names its tile.
TEST(MapTiles, AFunctionReturningResultsIsProbedAndTrimmed) {
  const Buffer src = iota(DType::Int32, {37, 29});
  TileOptions o;
  o.tile = {8, 16};
  o.halo = {2, 1};
  o.boundary = Boundary{BoundaryMode::Nearest, 0};
  std::atomic<int> calls{0};
  auto fn = [&](const Region&, const std::vector<View>& in) {
    ++calls;
    // The haloed tile, doubled, as float64 with a trailing axis of 2.
    Shape shape = in[0].shape;
    shape.push_back(2);
    Buffer b(DType::Float64, shape);
    for (std::int64_t y = 0; y < shape[0]; ++y)
      for (std::int64_t x = 0; x < shape[1]; ++x) {
        const auto v = *reinterpret_cast<const std::int32_t*>(in[0].data + y * in[0].strides[0] + x * in[0].strides[1]);
        b.data_as<double>()[(y * shape[1] + x) * 2] = 2.0 * v;
        b.data_as<double>()[(y * shape[1] + x) * 2 + 1] = -1.0;
      }
    return b.view();
  };
  const Image img = map_tiles(fn, {Image::wrap(src.view())}, o, std::nullopt);
  EXPECT_EQ(img.shape(), (Shape{37, 29, 2}));
  EXPECT_EQ(img.dtype(), DType::Float64);
  const Buffer out = img.compute({2});
  for (std::int64_t i = 0; i < 37 * 29; ++i) {
    ASSERT_EQ(out.data_as<double>()[2 * i], 2.0 * src.data_as<std::int32_t>()[i]);
    ASSERT_EQ(out.data_as<double>()[2 * i + 1], -1.0);
  }
  EXPECT_EQ(calls.load(), 5 * 2);  // 5 x 2 tiles: the probed first tile is not called again

  const View whole = src.view();
  EXPECT_EQ(trim_tile_result(whole, Region{{0, 0}, {33, 27}}, {2, 1}, 2).shape, (Shape{33, 27}));
  try {
    trim_tile_result(whole, Region{{8, 16}, {8, 13}}, {2, 1}, 2);
    FAIL() << "a result of another shape was taken";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("for the tile at [8:16, 16:29]"), std::string::npos) << e.what();
  }
}
