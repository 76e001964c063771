// The metadata an image carries from its file: georeferencing, nodata,
// resolution, orientation, the samples' meaning and descriptions, as named
// TIFF tags. A lazy image carries the metadata of its first input that has
// any, by the rule of carry_metadata; save() writes it back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tessera/view.hpp"

namespace tessera {

// A tag's value: text, real numbers, integers or bytes (an ICC profile).
using MetaValue = std::variant<std::string, std::vector<double>, std::vector<std::int64_t>, std::vector<std::uint8_t>>;
// Tag name ("ModelTiepoint", "GDAL_NODATA") -> value.
using Metadata = std::map<std::string, MetaValue>;

struct MetaTag {
  enum class Kind { Text, Reals, Integers, Bytes };
  // What a tag describes decides when an operation keeps it:
  //  - Grid: where the pixels sit (georeferencing, resolution, orientation):
  //    kept while the output's pixel grid is the input's (a crop shifts it);
  //  - Samples: what the samples mean (photometric, extra samples, colour map,
  //    ICC profile): kept while the output has the input's samples;
  //  - Values: nodata and descriptions: kept by any output of the file's.
  enum class Role { Grid, Samples, Values };
  std::string_view name;
  unsigned tag;  // the TIFF tag number
  Kind kind;
  Role role;
  int count;  // values it must have; 0: any number
};

// Every tag tessera carries, in tag order.
const std::vector<MetaTag>& metadata_tags();
// The tag named `name`, or nullptr.
const MetaTag* metadata_tag(std::string_view name);
// ValueError naming the tag and the problem if `value` does not suit it.
void check_metadata(const std::string& name, const MetaValue& value);

// A value as text, for a command line: numbers separated by commas, text as
// it is, bytes as "<N bytes>"; and back (ValueError naming the tag).
std::string metadata_to_text(const MetaValue& value);
MetaValue metadata_from_text(const std::string& name, const std::string& text);

// How a shape lies in TIFF pages: (height, width), (height, width, samples),
// (pages, height, width) or (pages, height, width, samples). A 3-D shape is
// one page of samples when `metadata`'s SamplesPerPixel says so (the file it
// came from), else when its last axis is smaller than the other two (a
// 5-band scene), else pages (a volume). `layout` "samples" or "pages"
// decides for a 3-D shape instead.
struct ImagePlanes {
  std::int64_t pages = 1, height = 0, width = 0, samples = 1;
  bool volume = false;
  std::size_t height_axis() const { return volume ? 1 : 0; }
};
ImagePlanes image_planes(const Shape& shape, const Metadata& metadata, std::string_view layout = "auto");

// The metadata an operation's output of shape `out` keeps of an input's:
// everything when the planes agree; Grid tags only when height and width
// agree; Samples tags only when the samples agree.
Metadata carry_metadata(const Metadata& in, const Shape& in_shape, const Shape& out);
// The Grid tags of a region starting at (row, col) of the image: the model
// tiepoint or transformation moved by the offset, so that the crop stays
// where it was on the ground.
Metadata crop_metadata(const Metadata& in, std::int64_t row, std::int64_t col);
// The resolution TIFF's tags give (pixels per unit on each axis; unit 2 is
// the inch, 3 the centimetre), when all three are there and positive; and
// the ICC profile, if any: what PNG's and JPEG's writers put in their own
// chunks.
struct Resolution {
  double x = 0, y = 0;
  std::int64_t unit = 0;
};
std::optional<Resolution> resolution_of(const Metadata& m);
const std::vector<std::uint8_t>* icc_profile_of(const Metadata& m);

// Without Grid tags: an image resampled onto another grid (a step slice).
Metadata without_grid(const Metadata& in);
// An overview's (a reduced-resolution page's): its own tags, and the full
// resolution's Grid and Values tags it lacks (GDAL writes no georeferencing
// on overviews) with the pixel size scaled by the sizes' ratio, so that the
// overview covers the same ground.
Metadata overview_metadata(const Metadata& own, std::int64_t own_height, std::int64_t own_width,
                           const Metadata& main, std::int64_t main_height, std::int64_t main_width);

}  // namespace tessera
