/* index.c -- being written. */
