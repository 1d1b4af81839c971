// SPDX-License-Identifier: LGPL-2.1-or-later
/* The fake lg.ko as an LD_PRELOAD library, to run lguestctl end to end. */
#include <stdbool.h>
#include <stdint.h>

#include "fakelg.h"
