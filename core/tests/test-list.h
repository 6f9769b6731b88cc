/* Every core test, by area. Each included list uses TEST_ENTRY(name). */
#include "list-remote-error.h"
#include "list-core.h"
