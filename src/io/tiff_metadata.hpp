// The tags of tessera/metadata.hpp, read from and written to a TIFF page;
// and the photometric interpretation and extra samples a page is written with.
#pragma once

#include <cstdint>
#include <vector>

#include "io/tiff_common.hpp"
#include "tessera/metadata.hpp"

namespace tessera::io {

// The carried tags of the handle's current page. tifffile's and ImageJ's
// structural ImageDescription (the array shape they wrote) is not carried:
// it describes that file's layout, not the image.
Metadata read_tiff_metadata(TiffHandle& h);

// How a page of `samples` samples of `dtype` is tagged: `metadata`'s
// Photometric, ExtraSamples and ColorMap when they fit the samples (a
// min-is-white scan, a palette image, CMYK, RGB + near-infrared), else
// tessera's default for an array with no file behind it: grey, RGB from 3
// samples, the first extra sample alpha.
struct SampleTags {
  std::uint16_t photometric = PHOTOMETRIC_MINISBLACK;
  std::vector<std::uint16_t> extra;
  std::vector<std::uint16_t> colormap;  // red, green, blue: 3 << bits entries
};
SampleTags sample_tags(const Metadata& metadata, std::int64_t samples, DType dtype);

// Writes the page's tags: sample_tags and every carried tag but
// SamplesPerPixel (the sink's own).
void write_tiff_metadata(TIFF* t, const Metadata& metadata, std::int64_t samples, DType dtype);

}  // namespace tessera::io
