/* Entry point of the supervisor executable embedded in the library. */
#include "internal.h"

int main(int argc, char **argv) { return mv__supervisor_main(argc, argv); }
