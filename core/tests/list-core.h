/* tests of spawn, containment, loop, registry (test-*.c) */
