// The whole public C++ API of tessera.
#pragma once

#include "tessera/animation.hpp"
#include "tessera/block.hpp"
#include "tessera/boundary.hpp"
#include "tessera/chart.hpp"
#include "tessera/dtype.hpp"
#include "tessera/error.hpp"
#include "tessera/evaluate.hpp"
#include "tessera/filters.hpp"
#include "tessera/io.hpp"
#include "tessera/memory.hpp"
#include "tessera/stacks.hpp"
#include "tessera/image.hpp"
#include "tessera/node.hpp"
#include "tessera/operation.hpp"
#include "tessera/tiles.hpp"
#include "tessera/view.hpp"
