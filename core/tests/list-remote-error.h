/* tests of the remote error parser (test-remote-error.c) */
