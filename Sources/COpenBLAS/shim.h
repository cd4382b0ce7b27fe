#include <cblas.h>

/// OpenBLAS's run-time core selection (driver/others/dynamic.c), exported by its DYNAMIC_ARCH
/// builds such as Debian's: `quit` forgets the core, `init` picks one again (honouring
/// OPENBLAS_CORETYPE) and sets that core's parameters. Used once, first thing in `main`.
void gotoblas_dynamic_init(void);
void gotoblas_dynamic_quit(void);
