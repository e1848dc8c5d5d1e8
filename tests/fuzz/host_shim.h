/* Force-included (-include) before the Host's sources a fuzz target compiles
 * for this machine: the Host reads physical memory through its direct map,
 * which here is a buffer of the harness (fuzz_phys_to_virt()). */
#ifndef FUZZ_HOST_SHIM_H
#define FUZZ_HOST_SHIM_H
#include "host.h"
void *fuzz_phys_to_virt(u64 pa);
#define phys_to_virt(pa) fuzz_phys_to_virt(pa)
#endif
