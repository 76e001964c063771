// StreamChart and render_windows in C++: pushing sample by sample gives the
// frames render_windows draws in parallel, and bad options are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "tessera/chart.hpp"
#include "tessera/error.hpp"

namespace {

TEST(Chart, PushesEqualRenderWindows) {
  std::mt19937 gen(3);
  std::normal_distribution<double> normal;
  std::vector<double> series(500);
  double level = 0;
  for (auto& v : series) v = (level += normal(gen));
  series[100] = std::nan("");
  for (auto style : {tessera::ChartStyle::Bars, tessera::ChartStyle::Line, tessera::ChartStyle::Area}) {
    tessera::ChartOptions o;
    o.height = 17;
    o.width = 29;
    o.channels = 3;
    o.style = style;
    o.vmin.reset();
    const std::int64_t n = static_cast<std::int64_t>(series.size());
    const std::int64_t frames = tessera::window_frame_count(n, o.width, 1);
    ASSERT_EQ(frames, n - o.width + 1);
    const std::int64_t bytes = o.height * o.width * o.channels;
    std::vector<std::uint8_t> all(static_cast<std::size_t>(frames * bytes));
    tessera::render_windows(series.data(), n, o, 1, 0, frames, all.data(), 2);
    tessera::StreamChart chart(o);
    chart.push(series.data(), o.width - 1);
    std::vector<std::uint8_t> latest(static_cast<std::size_t>(bytes));
    for (std::int64_t f = 0; f < frames; ++f) {
      chart.push(&series[static_cast<std::size_t>(o.width - 1 + f)], 1);
      ASSERT_EQ(chart.copy_latest(latest.data()), o.width + f);
      ASSERT_EQ(std::memcmp(latest.data(), &all[static_cast<std::size_t>(f * bytes)], static_cast<std::size_t>(bytes)), 0)
          << "frame " << f;
    }
    EXPECT_LT(chart.redraws(), frames);
  }
}

TEST(Chart, RefusesBadOptions) {
  tessera::ChartOptions o;
  o.height = 0;
  o.width = 4;
  EXPECT_THROW(tessera::StreamChart{o}, tessera::ValueError);
  o.height = 4;
  o.channels = 2;
  EXPECT_THROW(tessera::StreamChart{o}, tessera::ValueError);
  o.channels = 1;
  o.colormap.assign(10, 0);
  EXPECT_THROW(tessera::StreamChart{o}, tessera::ValueError);
}

}  // namespace
