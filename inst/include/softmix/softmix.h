// The whole core: include this one header.
#ifndef SOFTMIX_SOFTMIX_H
#define SOFTMIX_SOFTMIX_H

#include "degenerate.h"
#include "em.h"
#include "estep.h"
#include "hc.h"
#include "init.h"
#include "missing.h"
#include "model.h"
#include "mstep.h"
#include "parallel.h"
#include "selection.h"

#endif  // SOFTMIX_SOFTMIX_H
