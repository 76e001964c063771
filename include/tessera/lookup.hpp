// Values mapped through a table, as numpy's table[indices].
#pragma once

#include "tessera/image.hpp"

namespace tessera {

// Each value of `indices` (bool, uint8 or uint16) replaced by its row of
// `table`: 1-D, a value per index, or 2-D, a row per index that becomes a
// last axis (a palette's colours). The table has a row for every value the
// indices' dtype can take (2, 256 or 65536: no index can fall outside it);
// the result has the table's dtype. ValueError/TypeError otherwise.
Image lookup(const Image& indices, const Image& table);

}  // namespace tessera
